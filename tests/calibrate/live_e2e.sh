#!/usr/bin/env bash
# Live end-to-end test of rxcalibrate on the built-in testbed (root and BPF needed, else skip).
# Three short softirq-mode steps (default probes: per-stage packets from napi_poll work), then one
# threaded step in detail mode (--detail: GRO and netif_receive_skb tracepoints), checked
# against the kernel's own counts:
#  - packets the probes counted up the stack (default: napi_poll work; detail: events in
#    __netif_receive_skb_core) == the receiver's count (+ socket drops) within 1 %, and the
#    receiver's count == Udp InDatagrams of the rx namespace within 1 % (the only differences are
#    packets in flight at the window's two edges);
#  - napi_poll work summed == packets that entered GRO (every polled packet passes GRO) within 1 %
#    (by construction in default mode, measured by the GRO tracepoint in the detail step);
#  - poll, gro and transport times > 0 and the NET_RX stages sum to at most the NET_RX softirq
#    time (the stage split is a share of that time, so this holds by construction unless the
#    attribution is broken);
#  - the softirq row counts only NET_RX invocations that polled the device: at most one per poll
#    (+ 2: a window edge can fall between a poll and the exit of its NET_RX, where the call is
#    counted) and a part of every NET_RX on the machine (softirq mode); none in threaded mode,
#    where the kernel wakes the NAPI kthread instead of raising NET_RX (napi_schedule with threaded NAPI);
#  - --probes lean (softirq pair and napi_poll only in slices, NET_RX calls from /proc/softirqs,
#    frames from the testbed XDP program's count, polls = frames / work per poll in the slices):
#    the same checks on two steps, where the packets are the frames counted by XDP (so XDP vs the
#    receiver + socket drops and vs Udp InDatagrams within 1 %), and the softirq calls are the
#    kernel's NET_RX count of the sender's CPU, which also holds other devices' invocations
#    there: within 1 % of the estimated polls (one poll per NET_RX in softirq mode);
#  - the threads whose CPU time anchors the samples were read: sender and receiver in softirq
#    mode, NAPI kthread and receiver in threaded mode;
#  - the receiver's sleeps (rx_thread_runs, its voluntary context switches, so its wake-ups)
#    were read, and in softirq mode they are at most its recvmmsg calls + 2; the wake-ups the
#    sched_waking/sched_switch probes saw (rx_wakeups) are those sleeps within 1 % + 2 (the
#    window's edges), with a mean latency in (0, 10 ms); none with --probes lean; their latency
#    histogram (rx_wake_hist) counts the same wake-ups within 2;
#  - threaded mode: the NAPI kthread's probed wake-ups are between 1 and its polls + 2, their
#    mean latency in (0, 10 ms), their histogram counts them within 2; none in softirq mode;
#  - the built-in sender's bursts (one sendmmsg each) are between the frames sent / 64 and the
#    frames sent (1 % + 2 for the window's edges), it slept before at most each, and its lateness histogram counts those sleeps
#    within 2, with a mean lateness in (0, 10 ms), the same by the sleep's length (four
#    classes) too, and its time inside sendmmsg is in (0, the window);
#  - achieved send rate within 5 % of the requested rate (the pacing target is exact; 5 % leaves
#    room for a busy 2-CPU VM);
#  - nothing of ours is left: no rxc* namespace or veth, no XDP or BPF program.
# Usage: tests/calibrate/live_e2e.sh OUTPUT_DIR
set -u
out=${1:-.output}
. "$(dirname "$0")/live-lib.sh"
require_live "sender and receiver pinned apart"

tmp=$(mktemp -d /tmp/rxc_e2e.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

progs_before=$(nprogs)

# 1. three softirq steps
if ! "$bin" run --rates 50M,100M,200M --duration 2 --warmup 0.5 --sample-hz 5000 --out "$tmp/m.csv" \
	>"$tmp/run.out" 2>"$tmp/run.err"; then
	cat "$tmp/run.err"
	fail "rxcalibrate run exited non-zero"
fi
[ -s "$tmp/m.csv" ] || fail "no CSV written"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary CSV left behind"

check() {	# check CSV MODE: prints one line per step, exits non-zero on the first failure
	awk -F, -v mode="$1" '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		st = $c["step"]; s = $c["stage"]; steps[st] = 1
		req[st] = $c["rate_requested_bps"]; off[st] = $c["offered_bps"]
		rcv[st] = $c["received_packets"]; udp[st] = $c["udp_indatagrams"]
		sock[st] = $c["drops_socket"]; sirq[st] = $c["net_rx_softirq_ns"]
		pk[st, s] = $c["packets"]; ns[st, s] = $c["cpu_ns"]; polls[st] = $c["polls"]
		calls[st, s] = $c["calls"]; sirq_all[st] = $c["net_rx_softirq_ns_all"]
		tx_ns[st] = $c["tx_thread_ns"]; rx_ns[st] = $c["rx_thread_ns"]; napi_ns[st] = $c["napi_thread_ns"]
		rx_runs[st] = $c["rx_thread_runs"]; wk[st] = $c["rx_wakeups"]
		lat[st] = $c["rx_wake_latency_ns"]
		nh = split($c["rx_wake_hist"], hs, " "); hn[st] = 0
		for (i = 1; i <= nh; i++) { split(hs[i], kv, ":"); hn[st] += kv[2] }
		kw[st] = $c["napi_wakeups"]; klat[st] = $c["napi_wake_latency_ns"]
		nh = split($c["napi_wake_hist"], hs, " "); khn[st] = 0
		for (i = 1; i <= nh; i++) { split(hs[i], kv, ":"); khn[st] += kv[2] }
		txb[st] = $c["tx_bursts"]; txz[st] = $c["tx_sleeps"]; txl[st] = $c["tx_wake_latency_ns"]
		frames[st] = $c["offered_pps"] * $c["duration_s"]; txs[st] = $c["tx_send_ns"]; dur[st] = $c["duration_s"]
		nh = split($c["tx_wake_hist"], hs, " "); txh[st] = 0
		for (i = 1; i <= nh; i++) { split(hs[i], kv, ":"); txh[st] += kv[2] }
		ncls[st] = split($c["tx_wake_by_sleep"], cls, "|"); txc[st] = 0
		for (j = 1; j <= ncls[st]; j++) { nh = split(cls[j], hs, " ")
			for (i = 1; i <= nh; i++) { split(hs[i], kv, ":"); txc[st] += kv[2] } }
		cr[st] = $c["canary_rx_ns"]; ca[st] = $c["canary_app_ns"]; ct[st] = $c["canary_tx_ns"]
		rxcpu[st] = $c["rx_cpu"]; napicpu[st] = $c["napi_cpu"]
		if (s ~ /^(softirq|poll|xdp|gro|skb_prep|ip|ip_to_transport|transport)$/)
			sum[st] += $c["cpu_ns"]
	}
	function rel(a, b) { return b > 0 ? (a - b) / b : (a > 0 ? 1 : 0) }
	function abs(x) { return x < 0 ? -x : x }
	END {
		bad = 0
		for (st in steps) {
			printf "step %s: requested %.0f sent %.0f bit/s; probes %d pkts, receiver %d + %d socket drops, Udp InDatagrams %d; napi work %d, gro %d; NET_RX %.0f ns in %d calls (all devices %.0f ns), stages %.0f ns (poll %.0f gro %.0f transport %.0f); threads tx %.0f rx %.0f napi %.0f ns; receiver %d sleeps, %d probed wake-ups (%.0f ns), %d recv calls\n", st, req[st], off[st], pk[st, "ip"], rcv[st], sock[st], udp[st], pk[st, "poll"], pk[st, "gro"], sirq[st], calls[st, "softirq"], sirq_all[st], sum[st], ns[st, "poll"], ns[st, "gro"], ns[st, "transport"], tx_ns[st], rx_ns[st], napi_ns[st], rx_runs[st], wk[st], lat[st], calls[st, "app"]
			if (abs(rel(pk[st, "ip"], rcv[st] + sock[st])) > 0.01) { print "  " (mode == "lean" ? "XDP-counted frames" : "probe packets") " vs receiver off by more than 1 %"; bad = 1 }
			if (mode == "lean" && abs(rel(pk[st, "poll"], udp[st] + sock[st])) > 0.01) { print "  lean: XDP-counted frames vs Udp InDatagrams + socket drops off by more than 1 %"; bad = 1 }
			if (abs(rel(udp[st], rcv[st])) > 0.01) { print "  Udp InDatagrams vs receiver off by more than 1 %"; bad = 1 }
			if (abs(rel(pk[st, "poll"], pk[st, "gro"])) > 0.01) { print "  napi_poll work vs packets polled off by more than 1 %"; bad = 1 }
			if (abs(rel(off[st], req[st])) > 0.05) { print "  achieved rate off by more than 5 %"; bad = 1 }
			if (!(ns[st, "poll"] > 0 && ns[st, "transport"] > 0 && sum[st] > 0)) { print "  a stage time is not positive"; bad = 1 }
			if (mode != "threaded" && sum[st] > sirq[st] * 1.000001) { print "  stages exceed NET_RX softirq time"; bad = 1 }
			if (mode == "threaded" && !(polls[st] < pk[st, "poll"])) { print "  threaded NAPI did not batch (polls >= packets)"; bad = 1 }
			# the two sums are read one after the other at each window edge: an invocation
			# that ends in between is in one of them only (at most one per edge)
			edge = calls[st, "softirq"] > 0 ? 2 * sirq[st] / calls[st, "softirq"] : 0
			if (sirq[st] > sirq_all[st] + edge) { print "  NET_RX time of the device exceeds that of all devices by " sirq[st] - sirq_all[st] " ns, more than two invocations (" edge " ns)"; bad = 1 }
			# a call is counted at its softirq exit, its poll at napi_poll: a window edge can
			# fall between the two, so one call at each edge may lack its poll
			if (mode == "softirq" && !(calls[st, "softirq"] > 0 && calls[st, "softirq"] <= polls[st] + 2)) { print "  softirq calls not in 1..polls + 2"; bad = 1 }
			if (mode == "threaded" && calls[st, "softirq"] != 0) { print "  NET_RX invocations polled the device in threaded mode"; bad = 1 }
			if (!(rx_ns[st] > 0)) { print "  receiver thread CPU time not read"; bad = 1 }
			# the receiver sleeps only in a recvmmsg, which returns after the wake-up: its
			# sleeps are at most its calls (+ 2 at the window edges)
			if (!(rx_runs[st] > 0)) { print "  receiver sleeps not read"; bad = 1 }
			if (mode != "threaded" && rx_runs[st] > calls[st, "app"] + 2) { print "  receiver slept more often than it called recvmmsg"; bad = 1 }
			# each sleep ends in one wake-up: the wake-ups probed (waking, then switch in)
			# are the voluntary switches of the kernel but for the window edges; lean leaves
			# the sched probes out
			if (mode != "lean" && abs(wk[st] - rx_runs[st]) > 0.01 * rx_runs[st] + 2) { print "  probed wake-ups vs the receiver sleeps off by more than 1 % + 2"; bad = 1 }
			if (mode != "lean" && !(lat[st] > 0 && lat[st] < 1e7)) { print "  wake-up latency not in (0, 10 ms)"; bad = 1 }
			if (mode == "lean" && wk[st] != 0) { print "  lean: wake-ups probed"; bad = 1 }
			if (abs(khn[st] - kw[st]) > 2) { print "  the kthread wake-up histogram counts " khn[st] " wake-ups, not " kw[st]; bad = 1 }
			if (mode == "threaded" && !(kw[st] > 0 && kw[st] <= polls[st] + 2 && klat[st] > 0 && klat[st] < 1e7)) { print "  threaded: the NAPI kthread wake-ups (" kw[st] ", " klat[st] " ns) not between 1 and the polls (" polls[st] ") + 2, or their latency not in (0, 10 ms)"; bad = 1 }
			if (mode != "threaded" && kw[st] != 0) { print "  kthread wake-ups outside threaded mode"; bad = 1 }
			if (abs(hn[st] - wk[st]) > 2) { print "  wake-up latency histogram counts " hn[st] " wake-ups, not " wk[st] " (+- 2: the snapshot can fall between the two counters)"; bad = 1 }
			if (mode == "lean" && abs(rel(calls[st, "softirq"], polls[st])) > 0.01) { print "  lean: NET_RX calls of the sender CPU vs polls off by more than 1 %"; bad = 1 }
			if (mode != "threaded" && !(tx_ns[st] > 0)) { print "  sender thread CPU time not read"; bad = 1 }
			if (mode == "threaded" && !(napi_ns[st] > 0)) { print "  NAPI kthread CPU time not read"; bad = 1 }
			# the built-in sender: one sendmmsg of 1..64 frames per burst, a sleep before at
			# most each, each sleep in the lateness histogram (+- 2 at the window edges)
			if (!(txb[st] >= frames[st] / 64 * 0.99 - 2 && txb[st] <= frames[st] * 1.01 + 2)) { print "  sender bursts " txb[st] " not between frames/64 and the frames sent (" frames[st] ")"; bad = 1 }
			if (!(txz[st] <= txb[st] + 2)) { print "  sender slept " txz[st] " times in " txb[st] " bursts"; bad = 1 }
			if (abs(txh[st] - txz[st]) > 2) { print "  sender lateness histogram counts " txh[st] " sleeps, not " txz[st]; bad = 1 }
			if (txz[st] > 0 && !(txl[st] > 0 && txl[st] < 1e7)) { print "  sender lateness after a sleep not in (0, 10 ms)"; bad = 1 }
			if (!(txs[st] > 0 && txs[st] < dur[st] * 1e9)) { print "  sender time inside sendmmsg " txs[st] " ns not in (0, the window)"; bad = 1 }
			if ((txz[st] > 0 && ncls[st] != 4) || abs(txc[st] - txz[st]) > 2) { print "  sender lateness by sleep: " ncls[st] " classes counting " txc[st] " sleeps, not 4 and " txz[st]; bad = 1 }
			# the speed canary (on by default): ns per iteration on each testbed CPU; the
			# receive path runs on the CPU of the sender (0) in softirq mode, on that of the
			# receiver (1) in threaded mode, and a CPU has one value
			if (!(cr[st] > 0 && ca[st] > 0 && ct[st] > 0 && cr[st] < 1e6 && ca[st] < 1e6 && ct[st] < 1e6)) { print "  canary " cr[st] " " ca[st] " " ct[st] " ns not all in (0, 1 ms)"; bad = 1 }
			if (mode != "threaded" && cr[st] != ct[st]) { print "  softirq: the receive path'"'"'s canary " cr[st] " is not the sender'"'"'s " ct[st] " (both CPU 0)"; bad = 1 }
			# the CPUs of the run (defaults): receiver on 1; NET_RX on 0 with the sender,
			# the threaded kthread on 1 with the receiver
			if (rxcpu[st] != 1 || napicpu[st] != (mode == "threaded" ? 1 : 0)) { print "  rx_cpu " rxcpu[st] ", napi_cpu " napicpu[st] ": not the run'"'"'s CPUs"; bad = 1 }
			if (mode == "threaded" && cr[st] != ca[st]) { print "  threaded: the receive path'"'"'s canary " cr[st] " is not the receiver'"'"'s " ca[st] " (both CPU 1)"; bad = 1 }
		}
		exit bad
	}' "$2"
}

# checked MODE CSV STDERR WHAT: the step lines; on a failure, the run's stderr and then the failed
# checks again, so that they are the last lines of the output
checked() {
	check "$1" "$2" >"$tmp/check.out" && { cat "$tmp/check.out"; return 0; }
	cat "$3" "$tmp/check.out"
	echo "failed checks:"
	grep '^  ' "$tmp/check.out"
	fail "$4"
}

checked softirq "$tmp/m.csv" "$tmp/run.err" "softirq steps"
# the run's last word on the canary: its range over the three steps, as in the CSV (to the
# 0.1 ns it prints)
line=$(grep "^speed canary: the receive path's CPU [0-9.]*-[0-9.]* ns per iteration (median [0-9.]*) over 3 steps" \
	"$tmp/run.err") || fail "no canary summary line: $(tail -3 "$tmp/run.err")"
awk -F, -v line="$line" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ v = $c["canary_rx_ns"]; if (lo == "" || v < lo) lo = v; if (v > hi) hi = v }
	END { split(line, w, " "); split(w[7], r, "-")
		d1 = r[1] - lo; d2 = r[2] - hi
		exit !(d1 < 0.06 && d1 > -0.06 && d2 < 0.06 && d2 > -0.06) }' "$tmp/m.csv" ||
	fail "canary summary '$line' is not the CSV's range"

# 1b. the lean probe set, two softirq steps (enough samples that poll and transport get some in
#     2 s windows, as in step 1)
if ! "$bin" run --rates 100M,400M --duration 2 --warmup 0.5 --probes lean --sample-hz 2000 \
	--out "$tmp/l.csv" \
	>"$tmp/l.out" 2>"$tmp/l.err"; then
	cat "$tmp/l.err"
	fail "rxcalibrate run --probes lean exited non-zero"
fi
checked lean "$tmp/l.csv" "$tmp/l.err" "lean steps"

# 1c. every step states what the probes cost the achievable rate (a lower bound, from the step's
#     own figures: rxcalibrate.md, probe overhead), a percentage in [0, 100)
for f in run l; do
	n=$(grep -cE '^  probes: .* achievable rate lowered by at least [0-9]+\.[0-9] %$' "$tmp/$f.err")
	bad=$(sed -n 's/.*achievable rate lowered by at least \([0-9.]*\) %$/\1/p' "$tmp/$f.err" |
		awk '$1 < 0 || $1 >= 100')
	steps=$(grep -c '^step [0-9]*/[0-9]*:' "$tmp/$f.err")
	[ "$n" -eq "$steps" ] && [ -z "$bad" ] ||
		{ grep 'probes:' "$tmp/$f.err"; fail "$f: $n of $steps steps state the rate lowering"; }
done

# 2. one threaded-NAPI step in detail mode: batches form on the kthread (work per poll > 1 at this
#    rate); GRO and netif_receive_skb packets come from their own tracepoints. The perf sampler
#    at 1000 Hz (the tick gives 250): the kthread runs ~90 ms/s, and every stage must get samples
#    in a 1 s window
if ! "$bin" run --rates 400M --duration 1 --warmup 0.3 --napi threaded --detail \
	--sample-hz 1000 --out "$tmp/t.csv" \
	>"$tmp/t.out" 2>"$tmp/t.err"; then
	cat "$tmp/t.err"
	fail "threaded run exited non-zero"
fi
checked threaded "$tmp/t.csv" "$tmp/t.err" "threaded step"

# 3. an interrupted run removes everything and writes nothing
"$bin" run --rates 100M --duration 30 --out "$tmp/int.csv" >/dev/null 2>"$tmp/int.err" &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "interrupted run exited $rc, expected 130"
[ -e "$tmp/int.csv" ] && fail "interrupted run wrote its CSV"

# 4. a SIGKILLed run leaves its namespaces; cleanup removes them
"$bin" run --rates 100M --duration 30 --out "$tmp/kill.csv" >/dev/null 2>&1 &
pid=$!
sleep 2
kill -KILL $pid
wait $pid 2>/dev/null
ip netns list | grep -q "^rxc${pid}[tr]" || fail "killed run left no namespace to clean (setup too slow?)"
"$bin" cleanup >/dev/null || fail "cleanup failed"

# 5. nothing of ours is left
#    (a namespace rxc<pid>t/r whose process is gone; another rxcalibrate running meanwhile
#    owns its own)
check_nothing_left "$progs_before"
echo "PASS: live_e2e"
exit 0
