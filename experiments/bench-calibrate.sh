#!/usr/bin/env bash
# Probe-overhead benchmark for rxcalibrate, called by experiments/bench.sh (make bench).
# Built-in testbed, softirq NAPI (the sender's CPU also runs the whole receive path, so that CPU is
# the bottleneck), receiver in busy-poll mode (--rx-busy: it never sleeps, so no frame pays a
# wakeup and the testbed stays in one regime; without it the receiver sleeps and is woken per batch
# in some runs and not in others, which changes the cost per frame by far more than the probes do).
# Figures:
#  - the maximum receive rate without probes, with the lean probe set (--probes lean, the subject:
#    no tracepoint program per frame outside 1/16 of the window, frames from the testbed XDP
#    program's count, stacks sampled on the scheduler tick), the same with the cpu-clock perf
#    sampler at 250 Hz (lean's sampler before the tick sampler), and the full set (the softirq
#    pair timing every NET_RX span) on the tick and with the perf sampler at 1000 Hz;
#  - the sender thread's CPU time per frame sent (exact: CLOCK_THREAD_CPUTIME_ID, which here
#    includes the NET_RX softirq run on its back), at the maximum rate and at a fixed rate below
#    it (no probes against the lean set): its growth with the probes is their cost per frame, in ns,
#    and the slowdown it means for a sender that has its CPU whole (d / (t + d)): the rate figure
#    also moves with whatever else takes the CPUs (other processes, the VM's host);
#  - the cost of one probe run per program family (kernel.bpf_stats run_time_ns / run_cnt in the
#    stats slice of the window; the testbed's XDP program, which runs with and without probes,
#    beside them).
# The VM's speed changes by up to 1.5x from one minute to the next, so the runs go in adjacent
# groups (one run per setting, the order rotating) and every figure is the median over the groups
# of the within-group comparison.
# Usage: experiments/bench-calibrate.sh OUTPUT_DIR [DURATION_S [GROUPS]]   (defaults 1 s, 10)
# Prints "SKIP: reason" and exits 0 where it cannot run (no root, no BPF), so make bench goes on.
set -u
out=${1:-.output}
dur=${2:-1}
groups=${3:-10}
bin=$out/rxcalibrate
max=20G	# far above what one CPU can push through veth: the sender runs flat out
fixed=2G	# 170k frames/s of 1472 bytes, below the maximum: the sender sleeps between batches
subject="--probes lean"

[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: rxcalibrate bench needs root"; exit 0; }
"$bin" probe >/dev/null 2>&1 || { echo "SKIP: rxcalibrate probe fails here (no BPF?)"; exit 0; }

tmp=$(mktemp -d /tmp/rxc_bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() {	# run NAME RATE [options]: prints "sent_pps received_pps sender_ns_per_frame"
	local name=$1 rate=$2
	shift 2
	"$bin" run --rates "$rate" --duration "$dur" --warmup 0.5 --rx-busy -v --out "$tmp/$name.csv" \
		"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || { cat "$tmp/$name.err" >&2; return 1; }
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["stage"] == "ip" { n = $c["offered_pps"] * $c["duration_s"]
			printf "%.0f %.0f %.1f\n", $c["offered_pps"], $c["received_pps"],
				(n > 0 ? $c["tx_thread_ns"] / n : 0); exit }' "$tmp/$name.csv"
}

# probe settings compared at the maximum rate (name, options); "off" is the reference, "lean" the
# subject
names=(off lean leanperf full fullperf)
opts=("--no-probes" "$subject" "$subject --sampler perf --sample-hz 250" "--probes full"
	"--probes full --sampler perf --sample-hz 1000")
what=("no probes" "--probes lean" "lean, perf sampler 250 Hz" "--probes full"
	"full, perf sampler 1000 Hz")
nk=${#names[@]}

echo "rxcalibrate probe overhead (testbed, softirq NAPI, --rx-busy, 1472-byte UDP payload," \
	"${dur}s windows, $groups groups)"
for g in $(seq "$groups"); do
	line="$g"
	for j in $(seq 0 $((nk - 1))); do	# rotate the order from group to group
		k=$(((j + g) % nk))
		r=$(run "${names[k]}$g" $max ${opts[k]}) || exit 1
		eval "res_$k=\"\$r\""
	done
	for k in $(seq 0 $((nk - 1))); do eval "line=\"\$line \$res_$k\""; done
	if [ $((g % 2)) -eq 1 ]; then
		a=$(run "foff$g" $fixed --no-probes) || exit 1
		b=$(run "fon$g" $fixed $subject) || exit 1
	else
		b=$(run "fon$g" $fixed $subject) || exit 1
		a=$(run "foff$g" $fixed --no-probes) || exit 1
	fi
	echo "$line $a $b"
done >"$tmp/groups" || { cat "$tmp/groups"; exit 1; }

# a line: group, then (sent received ns/frame) per setting in names[] order at the maximum rate,
# then the same for no probes and the lean set at the fixed rate
awk -v fixed=$fixed -v nk="$nk" -v what="$(IFS=:; echo "${what[*]}")" '
function med(a, n,   i, j, t, v) {
	for (i = 1; i <= n; i++) v[i] = a[i]
	for (i = 2; i <= n; i++)	# insertion sort (POSIX awk has no asort)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
BEGIN { split(what, W, ":") }
{
	n = NR
	printf "  group %d: max rate", n
	for (k = 0; k < nk; k++) {
		rate[k, n] = $(2 + 3 * k); cpu[k, n] = $(4 + 3 * k)
		printf " %.0f", rate[k, n]
		if (k) {
			slow[k, n] = 100 * (rate[0, n] - rate[k, n]) / rate[0, n]
			add[k, n] = cpu[k, n] - cpu[0, n]
		}
	}
	f = 2 + 3 * nk
	foff[n] = $(f + 2); fadd[n] = $(f + 5) - $(f + 2)
	printf " pkt/s; sender ns/frame"
	for (k = 0; k < nk; k++) printf " %.0f", cpu[k, n]
	printf "; at %s %.0f / %.0f ns/frame\n", fixed, $(f + 2), $(f + 5)
}
END {
	for (k = 0; k < nk; k++) {
		for (i = 1; i <= n; i++) { r[i] = rate[k, i]; c[i] = cpu[k, i]; s[i] = slow[k, i]; d[i] = add[k, i] }
		if (!k) {
			for (i = 1; i <= n; i++) c0[i] = c[i]
		}
		if (!k)
			printf "  %-24s max rate %7.0f pkt/s, sender CPU %6.1f ns per frame (medians)\n", W[k + 1], med(r, n), med(c, n)
		else
			printf "  %-24s max rate %7.0f pkt/s, slowdown %5.1f %%, sender CPU +%5.1f ns per frame (medians of groups): %4.1f %% of the rate at 100 %% CPU\n", W[k + 1], med(r, n), med(s, n), med(d, n), 100 * med(d, n) / (med(c0, n) + med(d, n))
	}
	printf "  target: the probes (--probes lean) lower the maximum rate by at most 5 %%\n"
	printf "  at %s (below the maximum): sender CPU %.1f ns per frame without probes, +%.1f ns with --probes lean\n", fixed, med(foff, n), med(fadd, n)
}' "$tmp/groups"
for k in lean full; do
	echo "  probe cost per run (bpf_stats, --probes $k, group $groups at the maximum rate):"
	grep -E '^    [a-z_ ]+ +[0-9]+ runs/s' "$tmp/$k$groups.err"
done
echo "  mean over all runs: $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["stage"] == "ip" { print $c["probe_ns_per_event"]; exit }' "$tmp/lean$groups.csv") ns (--probes lean)"
