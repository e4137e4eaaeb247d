#!/usr/bin/env bash
# Probe-overhead benchmark for rxcalibrate, called by experiments/bench.sh (make bench).
# Measures on the built-in testbed (softirq NAPI: the sender's CPU also runs the whole receive
# path, so that CPU is the bottleneck): the maximum receive rate without and with the probes, and
# the cost of one probe run per program family (kernel.bpf_stats run_time_ns / run_cnt).
# Usage: experiments/bench-calibrate.sh OUTPUT_DIR [DURATION_S]
# Prints "SKIP: reason" and exits 0 where it cannot run (no root, no BPF), so make bench goes on.
set -u
out=${1:-.output}
dur=${2:-3}
bin=$out/rxcalibrate
offered=20G	# far above what one CPU can push through veth: the sender runs flat out

[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: rxcalibrate bench needs root"; exit 0; }
"$bin" probe >/dev/null 2>&1 || { echo "SKIP: rxcalibrate probe fails here (no BPF?)"; exit 0; }

tmp=$(mktemp -d /tmp/rxc_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

col() {	# col CSV COLUMN STAGE: value of COLUMN in the row of STAGE
	awk -F, -v want="$2" -v st="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["stage"] == st { print $c[want]; exit }' "$1"
}

run() {	# run NAME [extra options]
	local name=$1
	shift
	"$bin" run --rates $offered --duration "$dur" --warmup 1 --out "$tmp/$name.csv" \
		"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || { cat "$tmp/$name.err"; return 1; }
}

echo "rxcalibrate probe overhead (testbed, softirq NAPI, 1472-byte UDP payload, ${dur}s per run)"
best_off=0
best_on=0
for i in 1 2; do	# alternate to spread machine noise over both
	run "off$i" --no-probes || exit 1
	run "on$i" -v || exit 1
	# softirq NAPI: the sender's CPU runs the whole receive path up to the socket, so the
	# sent rate is the rate the receive path sustained (the app's rate is bounded by its own CPU)
	off=$(col "$tmp/off$i.csv" offered_pps ip)
	on=$(col "$tmp/on$i.csv" offered_pps ip)
	best_off=$(awk -v a="$best_off" -v b="$off" 'BEGIN { print (b > a ? b : a) }')
	best_on=$(awk -v a="$best_on" -v b="$on" 'BEGIN { print (b > a ? b : a) }')
done
awk -v off="$best_off" -v on="$best_on" 'BEGIN {
	printf "  max receive-path rate, no probes %9.0f pkt/s\n", off
	printf "  max receive-path rate, probes on %9.0f pkt/s\n", on
	printf "  slowdown                        %10.1f %%   (target <= 5 %%)\n", (off > 0 ? 100 * (off - on) / off : 0)
}'
echo "  probe cost per run (bpf_stats; last run with probes):"
grep -E '^    [a-z_ ]+ +[0-9]+ runs/s' "$tmp/on2.err" | sed 's/^    /    /'
echo "  mean over all runs: $(col "$tmp/on2.csv" probe_ns_per_event ip) ns"
