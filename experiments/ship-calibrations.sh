#!/usr/bin/env bash
# Refits the three shipped testbed calibrations from the stored measurements (no live run, no
# privileges) and writes them into configs/ with a header saying what each is fitted from:
#   configs/calibration-testbed-softirq.cfg    rounds 26-31 pooled, both placements of the
#                                              application, and their drop variants (drop_ns)
#   configs/calibration-testbed.cfg            threaded, rounds 4-11 pooled, and their variants
#   configs/calibration-testbed-placement.cfg  threaded, rounds 32-36, the NAPI kthread on either
#                                              CPU, and their variants
#   configs/calibration-testbed-nov25-softirq.cfg, configs/calibration-testbed-nov25-threaded.cfg
#                                              the VM's host since 2026-11-25: rounds 40 and 41
#                                              pooled, with the drop stages' heads, no drop_ns;
#                                              threaded with the cold onset the fit chooses
# The old host's threaded calibrations are fitted with --cold-onset off: on their rounds 4-11 the
# chosen onset (45 us) moved the held-out rates from -3.6/+7.5 to -15.1/+22.9 % (docs/fit.md,
# "Cold polls after a halt").
# Each fit's printout goes to the data directory beside its measurements (fit-*.txt).
# Usage: experiments/ship-calibrations.sh [OUTPUT_DIR]   (default .output; rxcalibrate built)
# (docs/validation.md, "Results with the shipped calibrations" and "Commands").
set -eu
out=${1:-.output}
rxc=$out/rxcalibrate
[ -x "$rxc" ] || { echo "$0: $rxc not built (make OUTPUT=$out)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ship NAME OUT FITTXT HEADER DATA_FIT VARIANT_DIR MODE [nohost|host [FIT_OPTION...]]
#   (VARIANT_DIR -: no drop_ns; FIT_OPTIONs go to rxcalibrate fit)
# nohost: without the fit's host group. The testbed scenarios' idle exits and sender are those of
# the host of rounds 4-36 (measured in their rounds: docs/validation.md, ninth and fourteenth), so
# that host's calibrations leave them to the scenario, as their results were validated; pooled
# over rounds 26-31, the group moves softirq's held-out error from +2.7 to +9.5 % (600M +7.8 to
# +15.6; docs/validation.md, "Nineteenth round").
ship() {
	local name=$1 cfg=$2 txt=$3 header=$4 fitcsv=$5 vdir=$6 mode=$7 nohost=${8:-} drops=()

	shift $(($# < 8 ? $# : 8))

	[ "$vdir" = - ] || for v in xdp-drop netfilter-drop tc-drop; do
		drops+=(--drops "$vdir/validate-$mode-$v-used.csv")
	done
	"$rxc" fit --in "$fitcsv" ${drops[@]+"${drops[@]}"} "$@" --name "$name" --out "$tmp/cal.cfg" \
		>"$tmp/fit.txt"
	{ printf '%s\n' "$header"
	  if [ "$nohost" = nohost ]; then
		awk '/^  host:$/ { skip = 1 } !skip { print } skip && /^  };$/ { skip = 0 }' "$tmp/cal.cfg"
	  else
		cat "$tmp/cal.cfg"
	  fi; } >"$tmp/ship.cfg"
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
	"$d/validate-softirq-fit.csv" "$d" softirq nohost
d=experiments/data/round4to11
ship testbed configs/calibration-testbed.cfg experiments/data/round4to11-drops/fit-threaded.txt \
"# The threaded testbed calibration (configs/testbed-threaded.cfg): rounds 4, 5, 7, 8, 9, 10 and 11
# pooled (experiments/data/round4to11/), and the drop variants' own work (drop_ns) from the same
# rounds' variant steps (rxcalibrate fit --drops). Rebuild: experiments/ship-calibrations.sh.
# Results: docs/validation.md, \"Results with the shipped calibrations\"." \
	"$d/validate-threaded-fit.csv" "$d" threaded nohost --cold-onset off
d=experiments/data/round32to36
ship testbed-threaded-placement configs/calibration-testbed-placement.cfg \
	"$d/fit-threaded-drops.txt" \
"# The threaded testbed calibration with the receiver's wake-up across CPUs: rounds 32, 34, 35 and
# 36 pooled, each threaded repeat run with the NAPI kthread on the receiver's CPU 1 and on CPU 0
# (experiments/validate-testbed.sh with REMOTE=1), and the drop variants' own work (drop_ns) from
# the same rounds' variant steps. Rebuild: experiments/ship-calibrations.sh. Use it to predict
# where the kthread runs (variant napi-off-app-cpu of configs/testbed-threaded.cfg);
# docs/validation.md, \"Thirteenth round\"." \
	"$d/validate-threaded-fit.csv" "$d" threaded nohost --cold-onset off
d=experiments/data/round40to41
for mode in softirq threaded; do
	[ $mode = softirq ] && scen=configs/testbed.cfg || scen=configs/testbed-threaded.cfg
	ship testbed-$mode-nov25 configs/calibration-testbed-nov25-$mode.cfg "$d/fit-$mode-ship.txt" \
"# The $mode testbed calibration of the VM's host since 2026-11-25 ($scen with it): rounds
# 40 and 41 pooled (experiments/data/round40to41/), six repeats of each rate, fitted with the
# head of each drop stage (head_share) and the host's idle exits and sender (its host group,
# which rxcalibrate validate applies); no drop_ns: the variants come from the baseline's costs.
# The host is slower and less steady than the one of the calibrations above (speed canary 90-287
# ns against 45). Rebuild: experiments/ship-calibrations.sh. Results: docs/validation.md,
# \"Results on the VM's host since 2026-11-25\"." \
		"$d/validate-$mode-fit.csv" - $mode
done
