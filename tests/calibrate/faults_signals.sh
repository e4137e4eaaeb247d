#!/usr/bin/env bash
# Faults for rxcalibrate run (issue 6, docs/faults.md): SIGINT, SIGTERM and SIGKILL in each phase
# of a run, on the built-in testbed (root and BPF needed, else skip):
#  - setup: sent to the run's whole process group, as a terminal's Ctrl-C is, as soon as its
#    namespace rxc<pid>t appears (the testbed being built, then the probes loading);
#  - a rate step: sent as soon as stderr shows step 1 of 2 done (inside step 2's warm-up or
#    window, which last 1.2 s); once more with --generator iperf3 and --inferred, whose child
#    processes must go too;
#  - writing: RXC_FAULT=pause:write (calibrate/fault.h) stops the run with measurements.csv
#    written to an unnamed temporary file (checked in /proc/PID/fd), then the signal comes.
# Each case expects: exit 128 + signal; for SIGINT/SIGTERM one last line "interrupted by ...;
# testbed removed, FILE not written" and no other error line; no CSV and no temporary file; then
# (after `rxcalibrate cleanup` for SIGKILL) no namespace or veth of the run, no XDP or BPF program
# more than before, no perf event of the run (bpftool perf), no child process (its process group,
# iperf3, rxc-inferred).
# Usage: tests/calibrate/faults_signals.sh OUTPUT_DIR
set -u
out=${1:-.output}
. "$(dirname "$0")/live-lib.sh"
require_live "sender and receiver pinned apart"

tmp=$(mktemp -d /tmp/rxc_faults.XXXXXX)
trap 'cleanup_live "$tmp"' EXIT
progs_before=$(nprogs)
pass=0

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN (0) or time is up (1)
wait_for() {
	for _ in $(seq $(($3 * 100))); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	grep -Eq "$2" "$1" 2>/dev/null
}

# start NAME ARGS...: rxcalibrate run in the background as the leader of its own process group
# (setsid, no fork: $pid is rxcalibrate's), stderr in $tmp/NAME.err, CSV $tmp/NAME.csv
start() {
	local name=$1
	shift
	setsid "$bin" run "$@" --out "$tmp/$name.csv" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
}

# finish NAME SIGNAL: waits for the run, checks exit status, message, outputs and leftovers
finish() {
	local name=$1 sig=$2 rc want left
	wait "$pid"
	rc=$?
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" -eq "$want" ] || { cat "$tmp/$name.err"; fail "$name: exit $rc, want $want"; }
	if [ "$sig" != KILL ]; then
		tail -n1 "$tmp/$name.err" |
			grep -Eq "^rxcalibrate: interrupted by (Interrupt|Terminated); testbed removed, .*$name.csv not written$" ||
			{ cat "$tmp/$name.err"; fail "$name: last line is not the interrupted message"; }
		# besides it: the pause, and a step short of its rate (issue 3: said beyond 2 %)
		[ "$(grep '^rxcalibrate:' "$tmp/$name.err" |
		     grep -cvE 'RXC_FAULT: paused|^rxcalibrate: step [0-9]+: the .* reached')" -eq 1 ] ||
			{ cat "$tmp/$name.err"; fail "$name: more than one error line"; }
	else
		"$bin" cleanup >/dev/null || fail "$name: rxcalibrate cleanup failed"
	fi
	[ -e "$tmp/$name.csv" ] && fail "$name: CSV written"
	ls -A "$tmp" | grep -q '\.tmp\.' && fail "$name: temporary file left: $(ls -A "$tmp")"
	ip netns list | grep -qE "^rxc${pid}[tr]\b" && fail "$name: namespace of the run left"
	ip -o link show | grep -qE ": rxc${pid}[tr][@:]" && fail "$name: veth left"
	bpftool perf list 2>/dev/null | grep -qE "^pid $pid " && fail "$name: perf event left"
	# children die of PR_SET_PDEATHSIG once the kernel has released the parent: up to 3 s
	for _ in $(seq 30); do
		left=$(pgrep -g "$pid"; pgrep -x iperf3; pgrep -x rxc-inferred)
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || fail "$name: processes left: $(ps -o pid,comm -p "$(echo $left | tr ' ' ,)")"
	check_nothing_left "$progs_before"
	pass=$((pass + 1))
	echo "ok   $name: exit $rc, last line: $(tail -n1 "$tmp/$name.err")"
}

run_args=(--duration 1 --warmup 0.2 --quiet)
for sig in INT TERM KILL; do
	# setup: the whole process group, as soon as the namespace exists
	start "setup-$sig" --rates 50M "${run_args[@]}"
	for _ in $(seq 500); do
		[ -e "/run/netns/rxc${pid}t" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	[ -e "/run/netns/rxc${pid}t" ] || fail "setup-$sig: namespace rxc${pid}t never appeared"
	kill -s "$sig" -- "-$pid"
	finish "setup-$sig" "$sig"

	# a rate step: step 2 of 2
	start "step-$sig" --rates 50M,50M "${run_args[@]}"
	wait_for "$tmp/step-$sig.err" '^step 1/2' 20 || { cat "$tmp/step-$sig.err"; fail "step-$sig: no step 1"; }
	kill -s "$sig" "$pid"
	finish "step-$sig" "$sig"

	# writing: the CSV in an unnamed file, not yet linked in
	RXC_FAULT=pause:write start "write-$sig" --rates 50M --duration 0.3 --warmup 0.1 --quiet
	wait_for "$tmp/write-$sig.err" 'RXC_FAULT: paused at write' 20 ||
		{ cat "$tmp/write-$sig.err"; fail "write-$sig: never paused at write"; }
	ls -l "/proc/$pid/fd" | grep -q "$tmp/#.* (deleted)" ||
		fail "write-$sig: no unnamed file open in $tmp: $(ls -l "/proc/$pid/fd")"
	kill -s "$sig" "$pid"
	finish "write-$sig" "$sig"
done

# children: iperf3 client and server, the --inferred workload; SIGKILL in the first step
if command -v iperf3 >/dev/null; then
	start children-KILL --rates 50M --generator iperf3 --inferred "${run_args[@]}"
	wait_for "$tmp/children-KILL.err" '^inferred: baseline [0-9]' 20 ||
		{ cat "$tmp/children-KILL.err"; fail "children-KILL: no baseline"; }
	for _ in $(seq 300); do pgrep -x iperf3 >/dev/null && break; sleep 0.01; done
	pgrep -x iperf3 >/dev/null || fail "children-KILL: iperf3 never started"
	pgrep -x rxc-inferred >/dev/null || fail "children-KILL: no rxc-inferred workload"
	kill -s KILL "$pid"
	finish children-KILL KILL
else
	echo "note: iperf3 not installed, children case skipped"
fi
echo "PASS: faults_signals ($pass cases)"
exit 0
