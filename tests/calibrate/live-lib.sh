# Sourced by the live tests (not run on its own): skip/fail helpers and the checks every live
# test makes before touching the machine. Sets $bin to the rxcalibrate binary.
# shellcheck shell=bash
bin=${out:-.output}/rxcalibrate

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# require_live WHY_TWO_CPUS: root, iproute2, BPF tracepoints and perf_event sampling, 2 CPUs.
require_live() {
	[ -x "$bin" ] || skip "$bin not built"
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, BPF, perf events)"
	command -v ip >/dev/null || skip "iproute2 (ip) not installed"
	probe=$("$bin" probe 2>&1) || skip "rxcalibrate probe failed: $(echo "$probe" | tail -1)"
	echo "$probe" | grep -Eq '^  (tp_btf|raw_tp) +yes' || skip "no BPF tracepoints on this kernel"
	echo "$probe" | grep -Eq '^  perf_event sampling +yes' || skip "no perf_event sampling"
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs ($1)"
}

# cleanup_live TMPDIR: for `trap ... EXIT`, so a failing test leaves nothing either: stops our
# background jobs, removes namespaces whose rxcalibrate is gone (rxcalibrate cleanup: a killed
# run's testbed, and with it any variant's rule and programs) and the temporary directory.
cleanup_live() {
	local j
	j=$(jobs -p)
	# shellcheck disable=SC2086 # one pid per word
	[ -n "$j" ] && kill $j 2>/dev/null && wait 2>/dev/null
	"$bin" cleanup >/dev/null 2>&1
	rm -rf "$1"
}

# nprogs: BPF programs loaded on the machine now (for check_nothing_left's PROGS_BEFORE).
nprogs() { bpftool prog list 2>/dev/null | grep -cE '^[0-9]+:' || true; }

# check_nothing_left PROGS_BEFORE: no rxc<pid>[tr] namespace whose process is gone, no testbed
# veth in the root namespace, no rxcalibrate child of this shell, and no more BPF programs than
# PROGS_BEFORE (a count from `bpftool prog list` taken before the test).
check_nothing_left() {
	local left="" ns owner
	for ns in $(ip netns list | grep -oE '^rxc[0-9]+[tr]' || true); do
		owner=${ns#rxc}
		owner=${owner%[tr]}
		kill -0 "$owner" 2>/dev/null || left="$left $ns"
	done
	[ -z "$left" ] || fail "namespaces left:$left"
	ip -o link show | grep -qE ': rxc[0-9]+[tr][@:]' && fail "veth left in the root namespace"
	pgrep -P $$ -x rxcalibrate >/dev/null && fail "rxcalibrate left running"
	# programs of a deleted namespace's veth are freed asynchronously: up to 10 s
	for _ in $(seq 50); do
		[ "$(bpftool prog list 2>/dev/null | grep -cE '^[0-9]+:')" -le "$1" ] && return 0
		sleep 0.2
	done
	fail "BPF programs left: $(bpftool prog list | grep -E '^[0-9]+:')"
}
