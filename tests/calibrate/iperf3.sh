#!/usr/bin/env bash
# Live test of `rxcalibrate run --generator iperf3` on the built-in testbed: one 2-second step at
# 100 Mbit/s with an iperf3 server (rx namespace) and UDP client (tx namespace), checked against
# the kernel's and iperf3's own numbers:
#  - achieved rate within 5 % of 100 Mbit/s, both as iperf3's JSON reports it (its step line) and
#    as the window's Udp OutDatagrams of the tx namespace give it (offered_bps in the CSV);
#  - packets the probes counted up the stack (napi_poll work) == Udp InDatagrams of the rx
#    namespace + socket (rcvbuf) drops, within 1 %;
#  - an interrupted run (SIGINT, then SIGTERM) exits 128 + signal (130, 143) and leaves no iperf3
#    process;
#  - nothing of ours is left: no iperf3 process, no rxc* namespace, no BPF program.
# Root and iperf3 needed (else SKIP, exit 77). About 12 s.
# Usage: tests/calibrate/iperf3.sh OUTPUT_DIR
set -u
out=${1:-.output}
. "$(dirname "$0")/live-lib.sh"
require_live "client and server pinned apart"
command -v iperf3 >/dev/null || skip "iperf3 not installed (apt-get install iperf3)"
command -v pgrep >/dev/null || skip "pgrep (procps) not installed"
pgrep -x iperf3 >/dev/null && skip "another iperf3 is running (the leak check would be unsure)"

tmp=$(mktemp -d /tmp/rxc_iperf3.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
progs_before=$(nprogs)

# a missing iperf3 is one clear error, exit 2
PATH=/nonexistent "$bin" run --rates 100M --generator iperf3 --out "$tmp/none.csv" \
	>/dev/null 2>"$tmp/none.err"
rc=$?
[ $rc -eq 2 ] || fail "without iperf3 in PATH: exit $rc, expected 2"
grep -q "'iperf3' not found.*apt-get install iperf3" "$tmp/none.err" ||
	fail "without iperf3: message does not name the program and the package: $(cat "$tmp/none.err")"

if ! "$bin" run --rates 100M --duration 2 --warmup 0.5 --generator iperf3 --out "$tmp/m.csv" \
	>"$tmp/run.out" 2>"$tmp/run.err"; then
	cat "$tmp/run.err"
	fail "rxcalibrate run --generator iperf3 exited non-zero"
fi
[ -s "$tmp/m.csv" ] || fail "no CSV written"
pgrep -a -x iperf3 && fail "iperf3 left running after a successful run"
line=$(grep -E '^  iperf3: ' "$tmp/run.err") || { cat "$tmp/run.err"; fail "no iperf3 line"; }
echo "$line"
# "  iperf3: 99.97Mbit/s over 3.00 s, ..."
iperf_bps=$(echo "$line" | sed -nE 's/^  iperf3: ([0-9.]+)([kMG]?)bit\/s.*/\1 \2/p' |
	awk '{ m = $2 == "k" ? 1e3 : $2 == "M" ? 1e6 : $2 == "G" ? 1e9 : 1; printf "%.0f", $1 * m }')
[ -n "$iperf_bps" ] || fail "cannot read iperf3's rate from: $line"
awk -F, -v ibps="$iperf_bps" '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["stage"] == "ip" { pk = $c["packets"]; udp = $c["udp_indatagrams"]; sock = $c["drops_socket"]
		      off = $c["offered_bps"]; req = $c["rate_requested_bps"]; n++ }
function abs(x) { return x < 0 ? -x : x }
END {
	bad = 0
	printf "requested %.0f; iperf3 %.0f, window (Udp OutDatagrams) %.0f bit/s; probes %d pkts, Udp InDatagrams %d + %d socket drops\n", req, ibps, off, pk, udp, sock
	if (n != 1) { print "  expected one step"; exit 1 }
	if (abs(ibps - req) / req > 0.05) { print "  iperf3 rate off by more than 5 %"; bad = 1 }
	if (abs(off - req) / req > 0.05) { print "  window rate off by more than 5 %"; bad = 1 }
	if (!(udp > 0) || abs(pk - (udp + sock)) / (udp + sock) > 0.01) { print "  probe packets vs Udp InDatagrams + socket drops off by more than 1 %"; bad = 1 }
	exit bad
}' "$tmp/m.csv" || { cat "$tmp/run.err"; fail "iperf3 step"; }

# interrupted runs (SIGINT, SIGTERM) while iperf3 runs: exit 128 + signal, no iperf3 left, no CSV
for sig in INT TERM; do
	"$bin" run --rates 100M --duration 5 --generator iperf3 --out "$tmp/int.csv" \
		>/dev/null 2>"$tmp/int.err" &
	pid=$!
	for _ in $(seq 100); do [ "$(pgrep -c -x iperf3)" -ge 2 ] && break; sleep 0.05; done
	[ "$(pgrep -c -x iperf3)" -ge 2 ] || { kill -INT $pid; wait $pid; fail "no iperf3 client and server seen"; }
	sleep 0.5
	kill -$sig $pid
	wait $pid
	rc=$?
	want=$((128 + $(kill -l $sig)))
	[ $rc -eq $want ] || { cat "$tmp/int.err"; fail "SIG$sig: exited $rc, expected $want"; }
	[ -e "$tmp/int.csv" ] && fail "SIG$sig: interrupted run wrote its CSV"
	pgrep -a -x iperf3 && fail "SIG$sig: iperf3 left running"
done

# nothing left
check_nothing_left "$progs_before"
echo "PASS: iperf3"
exit 0
