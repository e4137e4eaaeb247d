#!/usr/bin/env bash
# Out-of-sample error of one calibration on every stored round of one NAPI mode: per round, the
# receive-path error (%) over all its steps of the baseline (validate-MODE-all.csv) and of each
# drop variant (validate-MODE-VARIANT.csv), by rxcalibrate validate with today's code ("-":
# the round has no such file).
# Usage: experiments/oos-rounds.sh OUTPUT_DIR MODE CALIBRATION [ROUND...]
#   e.g. experiments/oos-rounds.sh .output softirq configs/calibration-testbed-softirq.cfg \
#            15 16 17 18 19 20 21 22 23 24 25
#   Rounds default to 15-25. Prints "round baseline xdp-drop netfilter-drop tc-drop".
# (docs/validation.md, "Thirteenth round").
set -eu
out=${1:?usage: $0 OUTPUT_DIR MODE CALIBRATION [ROUND...]}
mode=${2:?usage: $0 OUTPUT_DIR MODE CALIBRATION [ROUND...]}
cal=${3:?usage: $0 OUTPUT_DIR MODE CALIBRATION [ROUND...]}
shift 3
[ $# -gt 0 ] || set -- 15 16 17 18 19 20 21 22 23 24 25
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "round baseline xdp-drop netfilter-drop tc-drop"
for r in "$@"; do
	line=$r
	for v in all xdp-drop netfilter-drop tc-drop; do
		f=experiments/data/round$r/validate-$mode-$v.csv
		if [ ! -f "$f" ]; then
			line="$line -"
			continue
		fi
		e=$("$out/rxcalibrate" validate --measured "$f" --calibration "$cal" --out "$tmp/v.csv" |
			sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p')
		line="$line ${e:-?}"
	done
	echo "$line"
done
