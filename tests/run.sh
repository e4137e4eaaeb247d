#!/usr/bin/env bash
# Runs every test program and script and prints one closing line:
#   check: N passed, N failed, N skipped
# A cmocka program counts its own tests ("[  PASSED  ] N test(s).", "[  FAILED  ] N test(s)");
# any other program or script counts as one test: exit 0 passed, 77 skipped, else failed.
set -u
out=${1:-.output}
passed=0 failed=0 skipped=0
failures=""

run_one() {
	local name=$1
	shift
	local log rc p f
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	if [ "$rc" -eq 77 ]; then
		skipped=$((skipped + 1))
		printf 'SKIP  %s: %s\n' "$name" "$(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: *//')"
	elif [ -n "$p$f" ]; then
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ -z "$f" ]; then failed=$((failed + 1)); fi
		if [ "$rc" -ne 0 ] || [ -n "$f" ]; then
			failures="$failures $name"
			cat "$log"
		fi
		printf '%-5s %s (%s passed, %s failed)\n' "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" \
			"$name" "${p:-0}" "${f:-0}"
	elif [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok    %s\n' "$name"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		cat "$log"
		printf 'FAIL  %s (exit %d)\n' "$name" "$rc"
	fi
	rm -f "$log"
}

for t in "$out"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d | *.o) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in tests/*.sh tests/calibrate/*.sh; do
	[ -x "$t" ] || continue
	[ "$(basename "$t")" = run.sh ] && continue
	run_one "$t" "$t" "$out"
done

[ -n "$failures" ] && echo "failed:$failures"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
