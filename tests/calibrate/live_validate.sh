#!/usr/bin/env bash
# Short live validation (issue 4) on the built-in testbed, softirq NAPI: fit a calibration on
# four short rate steps, then measure one held-out rate (200 Mbit/s, between fitted rates) and
# one drop variant at that rate (netfilter-drop: an nftables rule at INPUT; tc-drop where nft is
# missing; RXC_VARIANT=NAME picks another), and predict both with rxcalibrate validate from the
# baseline calibration only. Softirq NAPI because there NET_RX time is exact (tracepoints) and
# every frame is polled alone on the sender's CPU in the baseline and the variant alike; in
# threaded mode the variant changes the kthread's batching (docs/validation.md, "Variants").
# Checked, each against a number with a source:
#  - the variant's rule dropped every packet sent: its own kernel-side counter (the nftables
#    rule's counter, or the tc/XDP program's verdict count) over the run == packets the sender
#    got through sendmmsg, within 1 % (only frames in flight when the sender stops may differ;
#    measured: equal in 18 of 18 runs);
#  - skb:kfree_skb events in the variant's window (drops_kfree, all reasons) == packets sent in
#    the window within 1 % (other drops on this host are a few per second, < 0.1 % of 17k/s),
#    and nothing reached the socket (Udp InDatagrams 0, receiver 0);
#  - the variant's measured receive-path CPU is below the baseline's at the same rate: it does
#    the baseline's work up to the rule and none of transport and the socket (measured here
#    17-33 vs 83-149 ms/s). The two steps run back to back; where the variant is not cheaper
#    and their speed canaries differ by more than 15 % (the host slowed one of them: once in
#    about ten CI runs on 2026-11-25, 108 against 87 ms/s), the pair is measured again, up to
#    three times; not cheaper at the same speed fails at once;
#  - the model, given the variant, predicts every packet dropped by the rule (rule drops/s ==
#    offered packets/s within 1 %) and less receive CPU than for the baseline at the same rate;
#  - the prediction error of the receive total is reported for both, and the prediction lies
#    within a factor of three of the measurement (1/3 <= predicted/measured <= 3). That bound is
#    loose on purpose: steps of 1.5 s sampled at 4 kHz give a stage tens to a few hundred
#    samples (±10-20 % from counting alone), a fit on four such steps has leave-one-out errors
#    of 30-120 % per stage on this VM, and the testbed is bistable (docs/rxcalibrate.md, probe
#    overhead): 8 runs of this test gave predicted/measured 0.83-1.52 for the variant and
#    0.84-1.34 for the baseline, and with three fit steps instead of four the variant's ratio
#    reached 2.65 once in 15 runs. The issue's 10/15/20 % targets are for docs/validation.md,
#    not for CI. What the bound catches is a broken pipeline (a unit off by 10, a stage or the
#    scenario missing); a wrong variant is caught by the model checks above;
#  - without nft in PATH, --variant netfilter-drop is one error naming nft and nftables, exit 2;
#  - nothing of ours is left: no rxc* namespace, no BPF program, no rxcalibrate process (the EXIT
#    trap runs rxcalibrate cleanup and removes the temporary files on any failure).
# Root, BPF tracepoints, perf_event and 2 CPUs needed (else SKIP, exit 77). About 15 s.
# Usage: tests/calibrate/live_validate.sh OUTPUT_DIR
set -u
out=${1:-.output}
. "$(dirname "$0")/live-lib.sh"
require_live "sender and NAPI on cpu 0, receiver on cpu 1"
command -v bpftool >/dev/null || skip "bpftool not installed (the leak check needs it)"

tmp=$(mktemp -d /tmp/rxc_validate.XXXXXX)
trap 'cleanup_live "$tmp"' EXIT
progs_before=$(nprogs)

if [ -n "${RXC_VARIANT:-}" ]; then
	variant=$RXC_VARIANT
elif command -v nft >/dev/null; then
	variant=netfilter-drop
else
	variant=tc-drop
	echo "nft not installed (scripts/install-deps.sh test): checking tc-drop instead"
fi
common=(--duration 1.5 --warmup 0.3 --sample-hz 4000 --quiet)

run() {	# run NAME ARGS...: rxcalibrate run, its output in $tmp/NAME.{out,err}
	local name=$1
	shift
	"$bin" run "$@" --out "$tmp/$name.csv" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
		cat "$tmp/$name.err"
		fail "rxcalibrate run $* exited non-zero"
	}
}

# a missing nft is one clear error before anything is built
PATH=/nonexistent "$bin" run --rates 100M --variant netfilter-drop --out "$tmp/none.csv" \
	>/dev/null 2>"$tmp/none.err"
rc=$?
[ $rc -eq 2 ] || fail "without nft in PATH: exit $rc, expected 2"
grep -q "'nft' not found.*apt-get install nftables" "$tmp/none.err" ||
	fail "without nft: message does not name the program and the package: $(cat "$tmp/none.err")"

# rtotal CSV: the receive-path CPU of the (single) step in ns/s, every stage but app and cs
rtotal() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["stage"] != "app" && $c["stage"] != "cs" { t += $c["cpu_ns"]; d = $c["duration_s"] }
		END { printf "%.0f", (d > 0 ? t / d : 0) }' "$1"
}
# canary CSV: the step's speed canary on the receive path's CPU (ns per iteration; 0: none)
canary() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ v = ("canary_rx_ns" in c) ? $c["canary_rx_ns"] : 0 } END { printf "%.1f", v + 0 }' "$1"
}

run fit --rates 50M,100M,300M,400M "${common[@]}"
# the held-out baseline step and the variant's at the same rate, back to back. The host changes
# the vCPU's speed from one step to the next (docs/validation.md: a speed canary of 55-290 ns
# within a round), so a pair whose speed canaries differ by more than 15 % (rxcalibrate's
# CANARY_TOL_PCT) cannot say which step did more work: it is measured again, up to three times
pair_ok=0
for try in 1 2 3; do
	run heldout --rates 200M "${common[@]}"
	run variant --rates 200M --variant "$variant" -v "${common[@]}"
	base_ns=$(rtotal "$tmp/heldout.csv")
	var_ns=$(rtotal "$tmp/variant.csv")
	cb=$(canary "$tmp/heldout.csv")
	cv=$(canary "$tmp/variant.csv")
	echo "measured receive total at 200M: baseline $base_ns ns/s (canary $cb ns), $variant" \
		"$var_ns ns/s (canary $cv ns)"
	if [ "$var_ns" -lt "$base_ns" ]; then
		pair_ok=1
		break
	fi
	# no saving measured: a failure unless the two steps ran at different speeds
	awk -v a="$cb" -v b="$cv" 'BEGIN { exit !(a > 0 && b > 0 && (a > 1.15 * b || b > 1.15 * a)) }' ||
		fail "$variant measured no cheaper than the baseline at the same speed"
	echo "  the host changed the vCPU's speed between the two steps: measured again"
done
[ "$pair_ok" = 1 ] ||
	fail "$variant measured no cheaper than the baseline in three pairs, each at two speeds"
"$bin" fit --in "$tmp/fit.csv" --out "$tmp/cal.cfg" --name live-test >"$tmp/fit.out" 2>&1 ||
	{ cat "$tmp/fit.out"; fail "rxcalibrate fit"; }
for v in baseline "$variant"; do
	in=$([ "$v" = baseline ] && echo heldout || echo variant)
	"$bin" validate --measured "$tmp/$in.csv" --calibration "$tmp/cal.cfg" --variant "$v" \
		--out "$tmp/val-$v.csv" >"$tmp/val-$v.out" 2>&1 ||
		{ cat "$tmp/val-$v.out"; fail "rxcalibrate validate --variant $v"; }
	grep -E 'receive total|drops/s|^target' "$tmp/val-$v.out"
done

# the rule's own count against what was sent, over the whole run
line=$(grep -E "^variant $variant: [0-9]+ packets .* dropped by .* [0-9]+ sent" "$tmp/variant.err") ||
	{ cat "$tmp/variant.err"; fail "no drop count line for $variant"; }
echo "$line"
echo "$line" | awk '{ n = $3; s = $(NF - 1); d = n - s; if (d < 0) d = -d
	if (!(s > 0) || d / s > 0.01) { print "  rule drops vs packets sent off by more than 1 %"; exit 1 } }' ||
	fail "$variant did not drop every packet sent"

awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["stage"] == "ip" { sent = $c["offered_pps"] * $c["duration_s"]; k = $c["drops_kfree"]
		      udp = $c["udp_indatagrams"]; rcv = $c["received_packets"] }
END {
	printf "window: %.0f sent, %d skb:kfree_skb, %d Udp InDatagrams, %d received\n", sent, k, udp, rcv
	d = k - sent; if (d < 0) d = -d
	if (!(sent > 0) || d / sent > 0.01) { print "  kfree_skb vs packets sent off by more than 1 %"; exit 1 }
	if (udp != 0 || rcv != 0) { print "  packets reached the socket"; exit 1 }
}' "$tmp/variant.csv" || fail "$variant window counts"

# receive_total rows of the validation CSVs: measured, predicted, error
tot() { awk -F, '$3 == "receive_total" { print $'"$2"' }' "$tmp/val-$1.csv"; }
pred_base=$(tot baseline 5)
pred_var=$(tot "$variant" 5)
for v in baseline "$variant"; do
	m=$(tot "$v" 4)
	p=$(tot "$v" 5)
	awk -v m="$m" -v p="$p" 'BEGIN { exit !(m > 0 && p >= m / 3 && p <= 3 * m) }' ||
		fail "$v: predicted $p ns/s is not within a factor of three of the measured $m"
done
awk -v b="$pred_base" -v v="$pred_var" 'BEGIN { exit !(v + 0 < b + 0) }' ||
	fail "model: $variant predicted $pred_var ns/s, not below the baseline's $pred_base"
drops=$(sed -nE 's/.*drops\/s: predicted rule ([0-9]+),.*/\1/p' "$tmp/val-$variant.out")
offered=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ v = $c["offered_pps"] } END { printf "%.0f", v }' "$tmp/variant.csv")
awk -v d="$drops" -v o="$offered" 'BEGIN { x = d - o; if (x < 0) x = -x; exit !(o > 0 && x / o <= 0.01) }' ||
	fail "model: $variant predicted $drops rule drops/s for $offered offered packets/s"

# nothing of ours is left
check_nothing_left "$progs_before"
echo "PASS: live_validate ($variant)"
exit 0
