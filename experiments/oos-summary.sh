#!/usr/bin/env bash
# One table of the out-of-sample validations on record: for each data directory with an oos/
# (experiments/validate-testbed.sh writes it, against the calibration shipped when the round was
# measured), per NAPI mode the receive-path error over all steps and, where the steps carry the
# speed canary, over the steps at speed (their count in brackets); then each drop variant's
# error over all steps. Read from the validation text files only (rxcalibrate validate's
# "all steps: receive-path" and "at speed, all steps: receive-path" lines); nothing is run.
#
# Usage: experiments/oos-summary.sh [DATA_DIR...]   (default: experiments/data/round*/)
set -eu
[ $# -gt 0 ] || set -- experiments/data/round*/
printf '%-12s %-9s %9s %14s %9s %9s %9s\n' round mode "all %" "at speed %" xdp-drop netfilter tc-drop
for d in "$@"; do
	d=${d%/}
	[ -d "$d/oos" ] || continue
	for m in softirq threaded; do
		f=$d/oos/validation-$m.txt
		[ -f "$f" ] || continue
		awk -v round="$(basename "$d")" -v mode="$m" -v dir="$d/oos" '
			function err(file,  l, e) {
				e = "-"
				while ((getline l < file) > 0)
					if (l ~ /^all steps: receive-path/) { sub(/.*error /, "", l); sub(/ %.*/, "", l); e = l }
				close(file)
				return e
			}
			/^all steps: receive-path/ { all = $0; sub(/.*error /, "", all); sub(/ %.*/, "", all) }
			/^at speed, all steps: receive-path/ { fast = $0; sub(/.*error /, "", fast)
				sub(/ %.*/, "", fast); n = $0; sub(/.* of /, "", n); sub(/ steps.*/, "", n) }
			END {
				at = fast != "" ? sprintf("%s (%s)", fast, n) : "-"
				printf "%-12s %-9s %9s %14s %9s %9s %9s\n", round, mode, all, at,
					err(dir "/validation-" mode "-xdp-drop.txt"),
					err(dir "/validation-" mode "-netfilter-drop.txt"),
					err(dir "/validation-" mode "-tc-drop.txt")
			}' "$f"
	done
done
