#!/usr/bin/env bash
# Runs each libFuzzer harness for a bounded time (make fuzz; see docs/fuzz.md):
#   fuzz/run.sh OUT SECONDS HARNESS...
# Seeds come from the repository (configs/, experiments/data/, fuzz/corpus/); the growing corpus
# is $OUT/corpus/NAME, findings go to $OUT/artifacts/, the full log to $OUT/NAME.log. Prints one
# line per harness (executions, coverage) and exits 1 if any harness found something.
set -u
out=$1 secs=$2
shift 2
found=0

seed() { # harness corpus-dir
	case $1 in
	fuzz_config) cp configs/*.cfg "$2"/ ;;
	fuzz_placement) cp configs/gilan-chain.cfg "$2"/ ;;
	fuzz_measurements)
		# the header and the first rows of each measured sweep (a few KB each)
		for f in experiments/data/validate-*.csv; do head -n 24 "$f" >"$2/$(basename "$f")"; done ;;
	esac
	[ -d "fuzz/corpus/${1#fuzz_}" ] && cp "fuzz/corpus/${1#fuzz_}"/* "$2"/ 2>/dev/null
	return 0
}

mkdir -p "$out/artifacts"
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
printf '%-18s %8s %12s %10s %8s %8s  %s\n' harness seconds executions exec/s cov ft result
for h in "$@"; do
	corpus=$out/corpus/${h#fuzz_}
	mkdir -p "$corpus"
	seed "$h" "$corpus"
	dict=fuzz/${h#fuzz_}.dict
	[ "$h" = fuzz_placement ] && dict=fuzz/config.dict
	opts=(-max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$out/artifacts/${h#fuzz_}-")
	[ -f "$dict" ] && opts+=(-dict="$dict")
	before=$(ls "$out/artifacts" | wc -l)
	# libFuzzer leaves by _Exit (no atexit): the harness's scratch dir goes under $out/tmp
	mkdir -p "$out/tmp"
	TMPDIR=$(cd "$out/tmp" && pwd) "$out/$h" "${opts[@]}" "$corpus" >"$out/$h.log" 2>&1
	rc=$?
	rm -rf "$out/tmp"
	after=$(ls "$out/artifacts" | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log" | tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -n1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$out/$h.log" | tail -n1 | cut -d' ' -f2)
	if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
		found=1
		res="FOUND (exit $rc): $(grep -m1 -E 'ERROR:|runtime error|contract|bad message|NaN' "$out/$h.log")"
	else
		res=ok
	fi
	printf '%-18s %8s %12s %10s %8s %8s  %s\n' "$h" "$secs" "${execs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "$res"
done
[ "$found" -eq 0 ] || echo "fuzz: findings in $out/artifacts/ (logs: $out/fuzz_*.log)" >&2
exit "$found"
