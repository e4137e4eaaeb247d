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
