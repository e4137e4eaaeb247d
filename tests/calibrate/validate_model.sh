#!/usr/bin/env bash
# rxcalibrate validate against measurements the model itself produced (rxmodel --format
# measurements, same scenario, calibration and seed): every stage must agree exactly (0 %),
# which checks the comparison plumbing without privileges. Bad input: one message, no file.
set -u
out=${1:-.output}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cal=configs/calibration-published.cfg
"$out/rxmodel" -c configs/testbed-threaded.cfg -C $cal --sweep 150M,450M -f measurements -q \
	-o "$tmp/m.csv" || exit 1
"$out/rxcalibrate" validate --measured "$tmp/m.csv" --calibration $cal --out "$tmp/v.csv" \
	>"$tmp/log" || { cat "$tmp/log"; exit 1; }
bad=$(awk -F, 'NR > 1 && $7 != "nan" && ($7 > 0.01 || $7 < -0.01)' "$tmp/v.csv")
rows=$(($(wc -l <"$tmp/v.csv") - 1))
if [ -n "$bad" ] || [ "$rows" -lt 10 ]; then
	echo "FAIL: $rows rows; rows off by more than 0.01 %:"; echo "$bad"; exit 1
fi
echo "ok   $rows stage rows agree"
if "$out/rxcalibrate" validate --measured "$tmp/nope.csv" --calibration $cal --out "$tmp/x.csv" \
	2>"$tmp/err"; then
	echo "FAIL: missing file accepted"; exit 1
fi
grep -q "nope.csv" "$tmp/err" || { echo "FAIL: error does not name the file"; cat "$tmp/err"; exit 1; }
[ -e "$tmp/x.csv" ] && { echo "FAIL: output written on error"; exit 1; }
if "$out/rxcalibrate" validate --measured "$tmp/m.csv" 2>"$tmp/err"; then
	echo "FAIL: missing --calibration accepted"; exit 1
fi
echo "ok   bad input rejected"
