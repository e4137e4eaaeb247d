#!/usr/bin/env bash
# Every figure of docs/figures.md, from data a command produced:
#   1. rxmodel writes the model's side into FIGDIR as CSV (docs/report.md columns);
#   2. the live testbed measurements in DATA (default experiments/data/round4to11, the pooled
#      rounds the shipped testbed calibrations were fitted on; rxcalibrate run,
#      docs/measurements-csv.md) are reduced to one row per rate step, in rxmodel's column
#      names, into FIGDIR;
#   3. gnuplot draws each figure from those files only, as SVG and PNG.
# Usage: experiments/figures.sh OUTPUT_DIR FIGDIR     (make figures: .output figures)
# SEED (default 1) seeds every simulation: the same seed gives byte-identical files.
set -eu
out=${1:?usage: $0 OUTPUT_DIR FIGDIR}
fig=${2:?usage: $0 OUTPUT_DIR FIGDIR}
seed=${SEED:-1}
here=$(dirname "$0")
gp=$here/figures
data=${DATA:-$here/data/round4to11}	# DATA=experiments/data: the second and third rounds
rxmodel=$out/rxmodel

[ -x "$rxmodel" ] || { echo "$0: $rxmodel not built (make OUTPUT=$out)" >&2; exit 2; }
command -v gnuplot >/dev/null 2>&1 || {
	echo "$0: gnuplot not found: install gnuplot-nox (scripts/install-deps.sh all)" >&2
	exit 2
}
mkdir -p "$fig"

model() {	# model OUT.csv rxmodel-args...: one CSV report
	local f=$1
	shift
	"$rxmodel" --seed "$seed" --format csv --quiet "$@" -o "$fig/$f"
}

# The testbed's rates are UDP payload bit/s of 1472-byte datagrams, the unit of rxmodel --bw
# (frames/s = bw / (8 × 1472)); the testbed configs carry the frame (1472 + 46 = 1518 B), as
# rxcalibrate validate sets it. One simulated second per run, as rxcalibrate validate does, so a
# model point at a measured rate is the prediction docs/validation.md reports.
testbed_rates=$(seq -s, 10 10 700 | sed 's/\([0-9]*\)/\1M/g')
echo "== model: testbed sweeps (threaded, softirq)" >&2
model model-testbed-threaded.csv --config configs/testbed-threaded.cfg --sweep "$testbed_rates" \
	--duration 1s
model model-testbed-softirq.csv --config configs/testbed.cfg --sweep "$testbed_rates" --duration 1s

held=${HELDOUT:-150e6 600e6}	# experiments/validate-testbed.sh's held-out rates
for mode in threaded softirq; do
	awk -F, -v heldout="$held" -f "$gp/measured.awk" "$data/validate-$mode-all.csv" \
		>"$fig/measured-testbed-$mode.csv"
done

# Drop variants at 200 Mbit/s: each measured step against the model at the rate the sender
# achieved (exactly rxcalibrate validate's prediction); the baseline is the mean of the two 200M
# steps of the validation run against the model at their mean rate.
vrate=200e6	# experiments/validate-testbed.sh's variant_rate
echo "== model: testbed variants at 200 Mbit/s" >&2
for mode in threaded softirq; do
	cfg=configs/testbed-$mode.cfg
	[ "$mode" = softirq ] && cfg=configs/testbed.cfg
	t=$fig/variants-testbed-$mode.csv
	echo "variant,offered_bps,measured_ns_per_s,predicted_ns_per_s,predicted_se_ns_per_s" >"$t"
	for v in baseline xdp-drop netfilter-drop tc-drop; do
		if [ "$v" = baseline ]; then
			steps=$fig/measured-testbed-$mode.csv
		else
			steps=$fig/measured-testbed-$mode-$v.csv
			awk -F, -v heldout= -f "$gp/measured.awk" "$data/validate-$mode-$v.csv" >"$steps"
		fi
		# mean offered rate and receive total of the steps at the variants' rate
		m=$(awk -F, -v want="$vrate" '
			NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$c["rate_requested_bps"] == want + 0 { b += $c["offered_bps"]; r += $c["rx_total_ns_per_s"]; n++ }
			END { if (n) printf "%.6g %.6g", b / n, r / n }' "$steps")
		[ -n "$m" ] || { echo "$0: no $v step at $vrate bit/s in $steps" >&2; exit 1; }
		# shellcheck disable=SC2086 # two numbers: rate and receive total
		set -- $m
		"$rxmodel" --seed "$seed" --format csv --quiet --config "$cfg" --bw "$1" --variant "$v" \
			--duration 1s |
			awk -F, -v v="$v" -v bw="$1" -v meas="$2" '
				NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
				{ print v "," bw "," meas "," $c["rx_total_ns_per_s"] "," $c["rx_total_se_ns_per_s"] }' >>"$t"
	done
done

# Gi-LAN capacity: a sweep over the offered rate and the capacity search, same run length.
echo "== model: gilan.cfg sweep and capacity" >&2
gilan_rates=$(seq -s, 1 1 40 | sed 's/\([0-9]*\)/\1G/g')
limit=${DROP_LIMIT:-0.1%}
model model-gilan-sweep.csv --config configs/gilan.cfg --sweep "$gilan_rates" --duration 0.5s
model model-gilan-capacity.csv --config configs/gilan.cfg --capacity "drop=$limit" --duration 0.5s

echo "== model: gilan.cfg variants" >&2
rate=${VARIANT_RATE:-10G}
model model-gilan-variants.csv --config configs/gilan.cfg --bw "$rate" --duration 0.5s \
	--variant baseline --variant xdp-drop --variant no-netfilter --variant skip-transport \
	--variant gro-off
awk -F, -f "$gp/saved.awk" "$fig/model-gilan-variants.csv" >"$fig/variants-gilan-saved.csv"

echo "== model: VNF placement search (configs/gilan-chain.cfg)" >&2
pbw=${PLACEMENT_BW:-40G}
plimits=${PLACEMENT_LIMITS:-drop=0.1%,p99=500us}
# exit 3: a function cannot meet the limits within one server; the figure would be wrong
model model-placement-search.csv --placement configs/gilan-chain.cfg --bw "$pbw" \
	--search "$plimits"

# the speed canary's runs (experiments/canary-vs-cost.sh), as CSV
for m in softirq threaded; do
	awk 'BEGIN { print "run,canary_rx_ns,canary_app_ns,canary_tx_ns,receive_ns_per_packet" }
		!/^#/ && NF == 5 { print $1 "," $2 "," $3 "," $4 "," $5 }' \
		"$here/data/canary/canary-vs-cost-$m.txt" >"$fig/canary-$m.csv"
done

echo "== gnuplot" >&2
for f in stages cs napi capacity variants-gilan variants-testbed placement canary; do
	for fmt in svg png; do
		gnuplot -e "figdir='$fig'; gpdir='$gp'; fmt='$fmt'; name='$f'; limit='drop=$limit'; limits='$plimits'" \
			"$gp/$f.gp"
	done
done
echo "figures in $fig/" >&2
