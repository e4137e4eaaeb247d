#!/usr/bin/env bash
# Issue 4's validation on this machine's testbed, end to end, for one NAPI mode:
#   1. one rxcalibrate run over the fit rates and the held-out rates, interleaved and repeated
#      (the VM's speed drifts by 10-20 % over seconds: interleaving spreads the drift over both
#      sets instead of letting it separate them);
#   2. rxcalibrate fit on the fit rates only;
#   3. rxcalibrate validate on the held-out rates (one between fitted rates, one above them);
#   4. each drop variant measured live at one rate and validated against the baseline fit.
# Usage: experiments/validate-testbed.sh OUTPUT_DIR MODE [DATA_DIR]
#   MODE softirq or threaded; DATA_DIR default experiments/data. Needs root and BPF.
# Writes DATA_DIR/validate-MODE-{all,fit,heldout}.csv, calibration-MODE.cfg,
# validation-MODE.csv and validation-MODE-VARIANT.csv, and prints the comparison.
set -eu
out=${1:?usage: $0 OUTPUT_DIR MODE [DATA_DIR]}
mode=${2:?usage: $0 OUTPUT_DIR MODE [DATA_DIR]}
data=${3:-experiments/data}
bin=$out/rxcalibrate
fit_rates="50M 100M 200M 300M 400M"
held_rates="150M 600M"
order="50M,150M,400M,100M,600M,300M,200M,200M,300M,600M,100M,400M,150M,50M"
variant_rate=200M
dur=${DURATION:-5}
case $mode in softirq|threaded) ;; *) echo "$0: MODE must be softirq or threaded" >&2; exit 2 ;; esac
[ -x "$bin" ] || { echo "$0: $bin not built (make OUTPUT=$out)" >&2; exit 2; }
mkdir -p "$data"
all=$data/validate-$mode-all.csv

echo "== run: $order ($mode NAPI, ${dur}s per step)" >&2
"$bin" run --rates "$order" --napi "$mode" --duration "$dur" --quiet --out "$all"

split() {	# split RATES OUT: the header and the rows whose requested rate is in RATES
	awk -F, -v want="$1" 'BEGIN { n = split(want, r, " ")
		for (i = 1; i <= n; i++) { v = r[i]; m = 1
			if (v ~ /G$/) m = 1e9; else if (v ~ /M$/) m = 1e6; else if (v ~ /k$/) m = 1e3
			sub(/[kMG]$/, "", v); keep[v * m] = 1 } }
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
		($c["rate_requested_bps"] + 0) in keep' "$all" >"$2"
}
split "$fit_rates" "$data/validate-$mode-fit.csv"
split "$held_rates" "$data/validate-$mode-heldout.csv"

echo "== fit" >&2
"$bin" fit --in "$data/validate-$mode-fit.csv" --out "$data/calibration-$mode.cfg" \
	--name "testbed-$mode" >"$data/fit-$mode.txt"
echo "== validate held-out rates" >&2
"$bin" validate --measured "$data/validate-$mode-heldout.csv" \
	--calibration "$data/calibration-$mode.cfg" --out "$data/validation-$mode.csv"
for v in xdp-drop netfilter-drop tc-drop; do
	echo "== variant $v at $variant_rate" >&2
	"$bin" run --rates "$variant_rate" --napi "$mode" --duration "$dur" --quiet --variant "$v" \
		--out "$data/validate-$mode-$v.csv"
	"$bin" validate --measured "$data/validate-$mode-$v.csv" \
		--calibration "$data/calibration-$mode.cfg" --out "$data/validation-$mode-$v.csv"
done
