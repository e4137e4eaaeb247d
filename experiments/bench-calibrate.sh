#!/usr/bin/env bash
# Probe-overhead benchmark for rxcalibrate, called by experiments/bench.sh (make bench).
# Measures on the built-in testbed (softirq NAPI: the sender's CPU also runs the whole receive
# path, so that CPU is the bottleneck): the maximum receive rate without and with the probes, and
# the cost of one probe run per program family (kernel.bpf_stats run_time_ns / run_cnt, measured in
# the stats slice of the window; runs/s over the whole window).
# The VM's speed drifts by up to 2x between runs, so runs go in PAIRS adjacent pairs (off/on, then
# on/off, ...) and the slowdown is the median of the pairs' slowdowns; the best rates of each kind
# are printed too.
# Usage: experiments/bench-calibrate.sh OUTPUT_DIR [DURATION_S [PAIRS]]
# Prints "SKIP: reason" and exits 0 where it cannot run (no root, no BPF), so make bench goes on.
set -u
out=${1:-.output}
dur=${2:-3}
pairs=${3:-4}
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

echo "rxcalibrate probe overhead (testbed, softirq NAPI, 1472-byte UDP payload, ${dur}s per run," \
	"$pairs pairs)"
for i in $(seq "$pairs"); do
	if [ $((i % 2)) -eq 1 ]; then	# alternate the order within pairs too
		run "off$i" --no-probes || exit 1
		run "on$i" -v || exit 1
	else
		run "on$i" -v || exit 1
		run "off$i" --no-probes || exit 1
	fi
	# softirq NAPI: the sender's CPU runs the whole receive path up to the socket, so the
	# sent rate is the rate the receive path sustained (the app's rate is bounded by its own CPU)
	echo "$(col "$tmp/off$i.csv" offered_pps ip) $(col "$tmp/on$i.csv" offered_pps ip)"
done >"$tmp/pairs" || { cat "$tmp/pairs"; exit 1; }
awk '{ off[NR] = $1; on[NR] = $2; s[NR] = $1 > 0 ? 100 * ($1 - $2) / $1 : 0
	if ($1 > boff) boff = $1; if ($2 > bon) bon = $2
	printf "  pair %d: no probes %9.0f, probes on %9.0f pkt/s, slowdown %6.1f %%\n", NR, $1, $2, s[NR] }
END {
	n = NR
	for (i = 2; i <= n; i++)	# insertion sort (POSIX awk has no asort)
		for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
	med = n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
	printf "  max receive-path rate, no probes %9.0f pkt/s (best)\n", boff
	printf "  max receive-path rate, probes on %9.0f pkt/s (best)\n", bon
	printf "  slowdown, best vs best          %10.1f %%\n", (boff > 0 ? 100 * (boff - bon) / boff : 0)
	printf "  slowdown, median of pairs       %10.1f %%   (target <= 5 %%)\n", med
}' "$tmp/pairs"
echo "  probe cost per run (bpf_stats; last run with probes):"
grep -E '^    [a-z_ ]+ +[0-9]+ runs/s' "$tmp/on$pairs.err" | sed 's/^    /    /'
echo "  mean over all runs: $(col "$tmp/on$pairs.csv" probe_ns_per_event ip) ns"
