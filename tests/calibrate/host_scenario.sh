#!/usr/bin/env bash
# experiments/host-scenario.sh puts the idle exits and sender lines a fit measured (comments at
# the top of a calibration) into a testbed scenario: with round 39's threaded calibration the
# scenario's idle_exit_hist and sender_* become the calibration's, everything else stays, rxmodel
# loads it, and its NAPI kthread then polls as the host's did (round 39 live at 600 Mbit/s:
# 18-22k polls/s of 2.3-2.8 frames; the model with the host's lines 16.7k of 3.05, with the
# scenario's 10.1k of 5.1): more than 14k polls/s and fewer than 4 frames each. A calibration
# without such lines is refused, nothing written.
set -u
out=${1:-.output}
rxm="$out/rxmodel"
[ -x "$rxm" ] || { echo "SKIP: rxmodel not built in $out"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cal=experiments/data/round39/calibration-threaded.cfg
bad=0
experiments/host-scenario.sh configs/testbed-threaded.cfg "$cal" "$tmp/h.cfg" 2>"$tmp/err" ||
	{ cat "$tmp/err"; echo "FAIL: host-scenario.sh"; exit 1; }
for k in idle_exit_hist sender_call_us sender_frame_us sender_wake_hist sender_wake_by_sleep; do
	want=$(sed -n "s/^#   $k = \([^;]*\);.*/\1/p" "$cal")
	got=$(sed -n "s/^ *$k = \([^;]*\);.*/\1/p" "$tmp/h.cfg")
	[ -n "$want" ] && [ "$want" = "$got" ] || { echo "FAIL: $k not the calibration's"; bad=1; }
done
# the rest of the scenario unchanged
diff <(grep -vE '^ *(idle_exit_hist|sender_call_us|sender_frame_us|sender_wake_hist|sender_wake_by_sleep) = ' configs/testbed-threaded.cfg) \
	<(grep -vE '^ *(idle_exit_hist|sender_call_us|sender_frame_us|sender_wake_hist|sender_wake_by_sleep) = ' "$tmp/h.cfg") >/dev/null ||
	{ echo "FAIL: other lines of the scenario changed"; bad=1; }
"$rxm" -c "$tmp/h.cfg" -C "$cal" --bw 600M >"$tmp/o.txt" 2>&1 || { cat "$tmp/o.txt"; exit 1; }
read -r polls ppp < <(sed -n 's/^NAPI *\([0-9]*\) polls\/s, \([0-9.]*\) packets\/poll.*/\1 \2/p' "$tmp/o.txt")
echo "threaded 600M with the host's lines: ${polls:-?} polls/s, ${ppp:-?} frames each"
awk -v p="${polls:-0}" -v f="${ppp:-99}" 'BEGIN { exit !(p > 14000 && f < 4) }' ||
	{ echo "FAIL: the kthread does not poll as the host's did"; bad=1; }
if experiments/host-scenario.sh configs/testbed.cfg configs/calibration-published.cfg "$tmp/p.cfg" 2>/dev/null ||
	[ -e "$tmp/p.cfg" ]; then
	echo "FAIL: a calibration without host lines accepted"; bad=1
fi
[ "$bad" = 0 ] && echo "PASS host_scenario"
exit "$bad"
