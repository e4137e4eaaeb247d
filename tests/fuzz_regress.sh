#!/usr/bin/env bash
# Inputs found by the fuzz harnesses (fuzz/regress/, docs/fuzz.md), fed through the tools as a
# user would: each must give a non-zero exit and exactly one error line naming the file, with
# no crash and no sanitizer report (this script also runs in make check's ASan+UBSan pass).
#   *.cfg           rxmodel --config FILE
#   *.placement     rxmodel --placement FILE --bw 40G
#   *.csv           rxcalibrate fit --in FILE
set -u
out=${1:-.output}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# libconfig 1.5's own leak on syntax errors (fuzz/lsan.supp) is not ours; anything else is.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
fail=0 n=0

for f in fuzz/regress/*; do
	case $f in
	*.cfg) cmd=("$out/rxmodel" --config "$f" -q) ;;
	*.placement) cmd=("$out/rxmodel" --placement "$f" --bw 40G -q) ;;
	*.csv) cmd=("$out/rxcalibrate" fit --in "$f" --out "$tmp/cal.cfg") ;;
	*) continue ;;
	esac
	[ -x "${cmd[0]}" ] || { echo "SKIP: ${cmd[0]} not built"; exit 77; }
	n=$((n + 1))
	"${cmd[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	lines=$(grep -c . "$tmp/stderr")
	if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || [ "$lines" -ne 1 ] ||
		! grep -q "$(basename "$f")" "$tmp/stderr" ||
		grep -qE 'Sanitizer|runtime error' "$tmp/stderr"; then
		echo "FAIL $f: exit $rc, $lines stderr lines:"
		sed 's/^/  /' "$tmp/stderr" | head -20
		fail=$((fail + 1))
	else
		echo "ok   $f: exit $rc: $(cat "$tmp/stderr")"
	fi
done
echo "fuzz regressions: $n inputs, $fail failed"
[ "$fail" -eq 0 ]
