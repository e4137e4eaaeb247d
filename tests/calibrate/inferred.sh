#!/usr/bin/env bash
# Live test of `rxcalibrate run --inferred` (the paper's openssl-speed cross-check with the built-in
# workload) on the testbed, softirq NAPI mode: two short steps, 10 Mbit/s and 400 Mbit/s.
#  - the workload's baseline (no traffic) is > 0 iterations/s;
#  - the CPU stolen from it (inferred_ns_per_s) is > 0 at 400M and larger than at 10M (about
#    500 ms/s against 20-50 ms/s on the 2-vCPU development VM: far outside the noise);
#  - the per-step line with the eBPF total and the ratio is printed;
#  - the CPU the workload did not get equals the sender thread's CPU time plus the time other
#    tasks ran on CPU 0 (sched_switch, CSV inferred_other_ns_per_s) within 10 % + 10 ms/s; a
#    second run is made if the first disagrees (interrupts on the workload's back are in
#    neither count);
#  - an interrupted --inferred run exits 130 and leaves no workload process;
#  - nothing is left: no rxc-inferred process, no rxc* namespace, no BPF program.
# Root needed (else SKIP, exit 77). About 10 s.
# Usage: tests/calibrate/inferred.sh OUTPUT_DIR
set -u
out=${1:-.output}
. "$(dirname "$0")/live-lib.sh"
require_live "sender and receiver pinned apart"
command -v pgrep >/dev/null || skip "pgrep (procps) not installed"
pgrep -x rxc-inferred >/dev/null && skip "another rxcalibrate --inferred is running"

tmp=$(mktemp -d /tmp/rxc_inf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
progs_before=$(nprogs)

# measure: one run and its checks; returns 1 if only the CPU-taken comparison failed
measure() {
	if ! "$bin" run --rates 10M,400M --duration 1 --warmup 0.3 --inferred --out "$tmp/m.csv" \
		>"$tmp/run.out" 2>"$tmp/run.err"; then
		cat "$tmp/run.err"
		fail "rxcalibrate run --inferred exited non-zero"
	fi
	grep -E '^inferred|inferred \(CPU' "$tmp/run.err"
	grep -q 'inferred (CPU 0): workload .* stolen; eBPF total ip proc .* ratio' "$tmp/run.err" ||
		fail "no per-step inferred line"
	[ "$(grep -c '^  other tasks on CPU 0: [0-9.]* ms/s' "$tmp/run.err")" = 2 ] ||
		fail "other tasks' time on CPU 0 not counted in both steps"
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i
		  if (!("inferred_ns_per_s" in c) || !("inferred_baseline_iter_per_s" in c) ||
		      !("inferred_other_ns_per_s" in c)) exit 2
		  next }
	$c["stage"] == "poll" { inf[$c["step"]] = $c["inferred_ns_per_s"]; base = $c["inferred_baseline_iter_per_s"]
		it[$c["step"]] = $c["inferred_iter_per_s"]; tk[$c["step"]] = $c["inferred_cpu_taken_ns_per_s"]
		tx[$c["step"]] = $c["tx_thread_ns"] / $c["duration_s"]; ot[$c["step"]] = $c["inferred_other_ns_per_s"] }
	END {
		printf "baseline %.4g iter/s; step 1 (10M): %.4g iter/s, %.1f ms/s stolen; step 2 (400M): %.4g iter/s, %.1f ms/s stolen\n", base, it[1], inf[1] / 1e6, it[2], inf[2] / 1e6
		if (!(base > 0)) { print "  baseline iterations/s not > 0"; exit 1 }
		if (!(inf[2] > 0)) { print "  inferred ns/s not > 0 at 400M"; exit 1 }
		if (!(inf[2] > inf[1])) { print "  inferred ns/s not larger at 400M than at 10M"; exit 1 }
		# CPU 0 runs the workload and the sender thread (which carries NET_RX in softirq mode):
		# the CPU the workload did not get (its schedstat) is the CPU time of the sender thread (its
		# CLOCK_THREAD_CPUTIME_ID) plus that of any other task on CPU 0 (timed between context
		# switches by the probes), counts kept by the kernel; the windows differ by the
		# snapshots, hence 10 % + 10 ms/s
		for (k = 1; k <= 2; k++) {
			printf "step %d: cpu taken from the workload %.1f ms/s, sender thread %.1f ms/s, other tasks %.1f ms/s\n", k, tk[k] / 1e6, tx[k] / 1e6, ot[k] / 1e6
			d = tk[k] - tx[k] - ot[k]; if (d < 0) d = -d
			if (!(tx[k] > 0) || d > 0.1 * tx[k] + 1e7) { print "  cpu taken and sender + other time disagree"; exit 3 }
		}
	}' "$tmp/m.csv"
	case $? in
	0) ;;
	2) fail "CSV lacks the inferred columns" ;;
	3) return 1 ;;
	*) cat "$tmp/run.err"; fail "inferred figures" ;;
	esac
}

# Other tasks on CPU 0 are counted now (CI once saw 58 ms/s taken at 10M, twice in a row, before
# they were); interrupts that land on the workload's back and a task still running at a
# snapshot are not, so the comparison alone is repeated once on a fresh run, which must pass.
if ! measure; then
	echo "cpu taken and sender + other time disagree: measuring once more"
	measure || { cat "$tmp/run.err"; fail "cpu taken and sender + other time disagree in two runs"; }
fi

"$bin" fit --in "$tmp/m.csv" --out "$tmp/c.cfg" 2>&1 | grep -q 'missing column\|fields, the header' &&
	fail "the fit does not read the CSV with the inferred columns"

# an interrupted run (during the baseline or the first step) stops its workload
"$bin" run --rates 100M --duration 5 --inferred --out "$tmp/int.csv" >/dev/null 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 50); do pgrep -x rxc-inferred >/dev/null && break; sleep 0.1; done
pgrep -x rxc-inferred >/dev/null || { kill -INT $pid; wait $pid; fail "no rxc-inferred process seen"; }
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat "$tmp/int.err"; fail "interrupted run exited $rc, expected 130"; }
[ -e "$tmp/int.csv" ] && fail "interrupted run wrote its CSV"

# nothing left
pgrep -a -x rxc-inferred && fail "workload process left behind"
check_nothing_left "$progs_before"
echo "PASS: inferred"
exit 0
