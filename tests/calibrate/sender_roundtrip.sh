#!/usr/bin/env bash
# The sender lines of rxcalibrate fit (docs/fit.md, "The sender for the model") recover the
# sender thread the model was given: each testbed config (configs/testbed.cfg, softirq, and
# configs/testbed-threaded.cfg) simulated at 100-400 Mbit/s (five rates) (rxmodel --format measurements writes
# the sender's columns 34, 48-53), then fitted. Expected, from the model's own mechanics:
#  - sender_call_us and sender_frame_us are the configured ones: the time in sends the model
#    reports is the CPU it charged for them plus, in softirq mode, the NET_RX run on top of
#    them, which the fit removes as it does live (1 and 2 frames per burst at these rates, so
#    the two are told apart): within 0.02 us, the window's edges (a burst charged before the
#    window, its frame sent in it);
#  - the lateness: the model draws each sleep's lateness from the configured histogram of its
#    class (sender_wake_by_sleep), so for every class drawn a thousand times or more the
#    fitted class histogram's median bin is the configured one, and its mean (bin midpoints)
#    is the configured mean within 1.5 us (a class's draws are a sample of a few thousand).
# Bad input is fit_errors.sh's.
set -u
out=${1:-.output}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for cfg in configs/testbed.cfg configs/testbed-threaded.cfg; do
	name=$(basename $cfg .cfg)
	"$out/rxmodel" -c $cfg --sweep 100M,150M,200M,300M,400M -f measurements -q -o "$tmp/$name.csv" ||
		exit 1
	"$out/rxcalibrate" fit --in "$tmp/$name.csv" --out "$tmp/$name-cal.cfg" >"$tmp/$name.log" ||
		{ cat "$tmp/$name.log"; exit 1; }
	grep -A4 "^the built-in sender" "$tmp/$name.log" | cut -c1-160
	want_call=$(awk -F'[=;]' '/^  sender_call_us/ { print $2 + 0 }' $cfg)
	want_frame=$(awk -F'[=;]' '/^  sender_frame_us/ { print $2 + 0 }' $cfg)
	want_cls=$(awk -F'"' '/^  sender_wake_by_sleep/ { print $2 "|" $4 "|" $6 "|" $8 }' $cfg)
	awk -v name="$name" -v wc="$want_call" -v wf="$want_frame" -v wcls="$want_cls" '
		/^  sender_call_us/ { split($0, a, /[=;]/); call = a[2] + 0 }
		/^  sender_frame_us/ { split($0, a, /[=;]/); frame = a[2] + 0 }
		/^  sender_wake_by_sleep/ { split($0, q, "\""); got = q[2] "|" q[4] "|" q[6] "|" q[8] }
		function stats(h,   n, k, kv, tot, sum, acc, i) {
			n = split(h, k, " "); tot = 0; sum = 0
			for (i = 1; i <= n; i++) { split(k[i], kv, ":"); tot += kv[2]; sum += kv[2] * (kv[1] + 1) }
			MEAN = tot ? sum / tot : 0; N = tot; acc = 0; MED = -1
			for (i = 1; i <= n; i++) { split(k[i], kv, ":"); acc += kv[2]; if (acc >= tot / 2) { MED = kv[1]; break } }
		}
		END {
			bad = 0
			printf "%s: call %.3f us (configured %.3f), frame %.3f us (configured %.3f)\n", name, call, wc, frame, wf
			if (call < wc - 0.02 || call > wc + 0.02 || frame < wf - 0.02 || frame > wf + 0.02) { print "FAIL: " name ": sender costs not recovered"; bad = 1 }
			split(got, g, "|"); split(wcls, w, "|"); checked = 0
			for (c = 1; c <= 4; c++) {
				stats(g[c]); gm = MEAN; gmed = MED; gn = N
				if (gn < 1000) continue
				stats(w[c]); checked++
				printf "%s: sleep class %d: %d draws, mean %.2f us (configured %.2f), median bin %s (configured %s)\n", name, c - 1, gn, gm, MEAN, gmed, MED
				if (gm < MEAN - 1.5 || gm > MEAN + 1.5 || gmed != MED) { print "FAIL: " name ": class " c - 1 " lateness not recovered"; bad = 1 }
			}
			if (!checked) { print "FAIL: " name ": no sleep class drawn 1000 times"; bad = 1 }
			exit bad
		}' "$tmp/$name.log" || fail=1
done
[ $fail = 0 ] && echo "ok   the fit recovers the model's sender thread"
exit $fail
