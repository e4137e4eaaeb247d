#!/usr/bin/env bash
# Does a drop's own work measured at one rate carry to the others? For one round of
# experiments/validate-testbed.sh run with VARIANT_RATES="100M 200M 400M" (or more rates): fit
# drop_ns (rxcalibrate fit --drops) from each variant's steps at FIT_RATE only, on top of the
# round's own baseline, then validate the variant steps at every other rate with that drop_ns
# and without it (the baseline's costs alone). The variant steps validated were not fitted.
# Usage: experiments/drops-across-rates.sh OUTPUT_DIR MODE DATA_DIR [FIT_RATE]
#   MODE softirq or threaded; DATA_DIR a round's directory holding validate-MODE-fit.csv and
#   validate-MODE-VARIANT-used.csv; FIT_RATE default 200M (the rate the shipped calibrations'
#   drop_ns come from). No live run: needs no privileges.
# Writes into DATA_DIR/drops-across-rates/ (the other mode's files stay): calibration-MODE-FIT_RATE.cfg, fit-MODE-FIT_RATE.txt and,
# per variant, validation-MODE-VARIANT[-without-drops].{csv,txt}; prints one line per variant:
# its error over the other rates' steps with drop_ns, without it, and per rate with drop_ns.
# Nothing in DATA_DIR changes unless every fit and validation succeeded.
set -eu
usage="usage: $0 OUTPUT_DIR MODE DATA_DIR [FIT_RATE]"
out=${1:?$usage}
mode=${2:?$usage}
data=${3:?$usage}
fit_rate=${4:-200M}
bin=$out/rxcalibrate
[ -x "$bin" ] || { echo "$0: $bin not built (make OUTPUT=$out)" >&2; exit 2; }
case $mode in softirq | threaded) ;; *) echo "$0: MODE '$mode' is not softirq or threaded" >&2; exit 2 ;; esac
bps=$(awk -v r="$fit_rate" 'BEGIN {
	n = r + 0; s = substr(r, length(n "") + 1)
	m = s == "K" ? 1e3 : s == "M" ? 1e6 : s == "G" ? 1e9 : s == "" ? 1 : 0
	if (n <= 0 || m == 0) exit 1
	printf "%.0f", n * m }') || { echo "$0: FIT_RATE '$fit_rate' is not a rate (e.g. 200M)" >&2; exit 2; }
base=$data/validate-$mode-fit.csv
[ -r "$base" ] || { echo "$0: cannot read $base (a round of experiments/validate-testbed.sh)" >&2; exit 2; }
tmp=$(realpath "$(mktemp -d "$data/.drops-across-rates.XXXXXX")")
trap 'rm -rf "$tmp"' EXIT
# split FILE into the steps at the fit rate and the others, header kept on both
split_rate() {
	awk -F, -v at="$tmp/$2-at-$fit_rate.csv" -v rest="$tmp/$2-rest.csv" -v bps="$bps" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "rate_requested_bps") c = i
			  if (!c) { print FILENAME ": no rate_requested_bps column" > "/dev/stderr"; exit 2 }
			  print > at; print > rest; next }
		{ if ($c + 0 == bps + 0) print > at; else print > rest }' "$1"
}
drops=()
variants=()
for v in xdp-drop netfilter-drop tc-drop; do
	f=$data/validate-$mode-$v-used.csv
	[ -r "$f" ] || continue
	split_rate "$f" "$mode-$v"
	if [ "$(wc -l <"$tmp/$mode-$v-at-$fit_rate.csv")" -lt 2 ] || [ "$(wc -l <"$tmp/$mode-$v-rest.csv")" -lt 2 ]; then
		echo "$0: $f has no steps at $fit_rate, or none at another rate (VARIANT_RATES)" >&2
		exit 2
	fi
	drops+=(--drops "$mode-$v-at-$fit_rate.csv")
	variants+=("$v")
done
[ ${#variants[@]} -gt 0 ] || { echo "$0: no validate-$mode-VARIANT-used.csv in $data" >&2; exit 2; }
mkdir -p "$tmp/res"
cal=$tmp/res/calibration-$mode-$fit_rate.cfg
# in the work directory, so that the calibration's sources and the fit's notes name the split
# files (MODE-VARIANT-at-FIT_RATE.csv: the round's validate-MODE-VARIANT-used.csv steps at it)
abin=$(realpath "$bin")
abase=$(realpath "$base")
(cd "$tmp" && "$abin" fit --in "$abase" --out "$cal" \
	--name "testbed-$mode-drops-$fit_rate" "${drops[@]}") >"$tmp/res/fit-$mode-$fit_rate.txt"
# (the baseline named as given, not by its absolute path)
sed -i "s|$abase|$base|g" "$cal" "$tmp/res/fit-$mode-$fit_rate.txt"
printf '%-15s %12s %15s   %s\n' variant "with drop_ns" "without drop_ns" "per rate, with drop_ns (%)"
for v in "${variants[@]}"; do
	for w in "" "-without-drops"; do
		"$bin" validate --measured "$tmp/$mode-$v-rest.csv" --calibration "$cal" --variant "$v" \
			${w:+--without-drops} --out "$tmp/res/validation-$mode-$v$w.csv" \
			>"$tmp/res/validation-$mode-$v$w.txt"
	done
	with=$(sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p' "$tmp/res/validation-$mode-$v.txt")
	without=$(sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p' \
		"$tmp/res/validation-$mode-$v-without-drops.txt")
	per=$(awk '/^per rate/ { on = 1; next } on && /^ +rate/ { next }
		on && /^ +[0-9.]+[KMG]?b / { printf "%s %+.1f  ", $1, $5; next } on { exit }' \
		"$tmp/res/validation-$mode-$v.txt")
	printf '%-15s %11s %% %14s %%   %s\n' "$v" "${with:-?}" "${without:-?}" "$per"
done
mkdir -p "$data/drops-across-rates"
mv "$tmp"/res/* "$data/drops-across-rates/"
echo "wrote $data/drops-across-rates/ (drop_ns from $fit_rate: fit-$mode-$fit_rate.txt)"
