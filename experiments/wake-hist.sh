#!/usr/bin/env bash
# Pools the wake-up latency histograms of the thread woken on an idle CPU (measurements.csv
# column rx_wake_hist, the receiver's, in softirq steps; napi_wake_hist, the NAPI kthread's, in
# threaded ones), one per rate step, of the steps at MIN_RATE bit/s or more into one, printed as rxmodel's
# cpu.idle_exit_hist with its count and mean (uniform within each log2 slot).
# Usage: experiments/wake-hist.sh MIN_RATE_BPS FILE...
#   e.g. experiments/wake-hist.sh 100e6 experiments/data/round11/validate-softirq-all.csv
# Steps below MIN_RATE are left out: there the receiver's vCPU halts long enough for the host
# to stop polling it, and those (deep) wake-ups are the model's cpu.idle_exit_deep_us.
set -eu
min=${1:?usage: $0 MIN_RATE_BPS FILE...}
shift
[ $# -gt 0 ] || { echo "usage: $0 MIN_RATE_BPS FILE..." >&2; exit 2; }
awk -F, -v min="$min" '
FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i
	   if (!("rx_wake_hist" in c)) { print FILENAME ": no column rx_wake_hist" > "/dev/stderr"; bad = 1; exit 1 }
	   next }
$c["stage"] == "app" && $c["rate_requested_bps"] + 0 >= min + 0 {
	col = $c["napi_mode"] == "threaded" ? "napi_wake_hist" : "rx_wake_hist"
	if (!(col in c)) next
	if ($c[col] ~ /:/) steps++
	n = split($c[col], hs, " ")
	for (i = 1; i <= n; i++) { split(hs[i], kv, ":"); h[kv[1] + 0] += kv[2] }
}
END {
	if (bad) exit 1
	out = ""; tot = 0; sum = 0
	for (k = 0; k < 32; k++) if (h[k] > 0) {
		out = out (out == "" ? "" : " ") k ":" h[k]; tot += h[k]
		sum += h[k] * (k > 0 ? 1.5 * 2 ^ k : 1)
	}
	if (!tot) { print "no wake-ups in steps at " min " bit/s or more" > "/dev/stderr"; exit 1 }
	printf "  idle_exit_hist = \"%s\";\n  # %d wake-ups in %d steps, mean %.1f us\n", out, tot, steps, sum / tot / 1e3
}' "$@"
