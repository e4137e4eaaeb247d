#!/usr/bin/env bash
# Refits the three shipped testbed calibrations from the stored measurements (no live run, no
# privileges) and writes them into configs/ with a header saying what each is fitted from:
#   configs/calibration-testbed-softirq.cfg    rounds 26-31 pooled, both placements of the
#                                              application, and their drop variants (drop_ns)
#   configs/calibration-testbed.cfg            threaded, rounds 4-11 pooled, and their variants
#   configs/calibration-testbed-placement.cfg  threaded, rounds 32-36, the NAPI kthread on either
#                                              CPU, and their variants
# Each fit's printout goes to the data directory beside its measurements (fit-*.txt).
# Usage: experiments/ship-calibrations.sh [OUTPUT_DIR]   (default .output; rxcalibrate built)
# (docs/validation.md, "Results with the shipped calibrations" and "Commands").
set -eu
out=${1:-.output}
rxc=$out/rxcalibrate
[ -x "$rxc" ] || { echo "$0: $rxc not built (make OUTPUT=$out)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ship NAME OUT FITTXT HEADER DATA_FIT VARIANT_DIR MODE
ship() {
	local name=$1 cfg=$2 txt=$3 header=$4 fitcsv=$5 vdir=$6 mode=$7 drops=()

	for v in xdp-drop netfilter-drop tc-drop; do
		drops+=(--drops "$vdir/validate-$mode-$v-used.csv")
	done
	"$rxc" fit --in "$fitcsv" "${drops[@]}" --name "$name" --out "$tmp/cal.cfg" >"$tmp/fit.txt"
	{ printf '%s\n' "$header"; cat "$tmp/cal.cfg"; } >"$tmp/ship.cfg"
	sed -i "s|$tmp/cal.cfg|$cfg|" "$tmp/fit.txt"
	mv "$tmp/fit.txt" "$txt"
	mv "$tmp/ship.cfg" "$cfg"
	echo "wrote $cfg ($txt)"
}

d=experiments/data/round26to31-drops
ship testbed-softirq configs/calibration-testbed-softirq.cfg "$d/fit-softirq.txt" \
"# The softirq testbed calibration (configs/testbed.cfg): rounds 26, 27, 29, 30 and 31 pooled, each
# softirq repeat run with the receiving application on CPU 1 (the default) and on CPU 0, NET_RX's
# (experiments/validate-testbed.sh LOCAL=1), so that the cost of buffers read on another CPU
# (remote_ns) is apart from per_packet; and the drop variants' own work (drop_ns) from the same
# rounds' variant steps (rxcalibrate fit --drops). Rebuild: experiments/ship-calibrations.sh.
# Results: docs/validation.md, \"Results with the shipped calibrations\"." \
	"$d/validate-softirq-fit.csv" "$d" softirq
d=experiments/data/round4to11
ship testbed configs/calibration-testbed.cfg experiments/data/round4to11-drops/fit-threaded.txt \
"# The threaded testbed calibration (configs/testbed-threaded.cfg): rounds 4, 5, 7, 8, 9, 10 and 11
# pooled (experiments/data/round4to11/), and the drop variants' own work (drop_ns) from the same
# rounds' variant steps (rxcalibrate fit --drops). Rebuild: experiments/ship-calibrations.sh.
# Results: docs/validation.md, \"Results with the shipped calibrations\"." \
	"$d/validate-threaded-fit.csv" "$d" threaded
d=experiments/data/round32to36
ship testbed-threaded-placement configs/calibration-testbed-placement.cfg \
	"$d/fit-threaded-drops.txt" \
"# The threaded testbed calibration with the receiver's wake-up across CPUs: rounds 32, 34, 35 and
# 36 pooled, each threaded repeat run with the NAPI kthread on the receiver's CPU 1 and on CPU 0
# (experiments/validate-testbed.sh with REMOTE=1), and the drop variants' own work (drop_ns) from
# the same rounds' variant steps. Rebuild: experiments/ship-calibrations.sh. Use it to predict
# where the kthread runs (variant napi-off-app-cpu of configs/testbed-threaded.cfg);
# docs/validation.md, \"Thirteenth round\"." \
	"$d/validate-threaded-fit.csv" "$d" threaded
