#!/usr/bin/env bash
# Per rate, over threaded measurement files (measurements.csv form, e.g. the rounds'
# validate-threaded-all.csv): frames per poll, the mean gap between polls ((window - NAPI kthread
# CPU) / polls) and the receive path's time per poll (softirq to transport, cpu_ns), the steps
# of one rate added up. docs/fit.md, "Cold polls after a halt".
# Usage: experiments/threaded-per-poll.sh FILE...
#   e.g. experiments/threaded-per-poll.sh experiments/data/round4[012]/validate-threaded-all.csv
set -eu
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
awk -F, '
FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
$col["napi_mode"] != "threaded" { next }
{
	rate = $col["rate_requested_bps"] + 0
	key = FILENAME SUBSEP $col["step"]
	if ($col["stage"] == "poll" && !(key in seen)) {
		seen[key] = 1
		polls[rate] += $col["polls"]
		pk[rate] += $col["packets"]
		idle[rate] += $col["duration_s"] * 1e9 - $col["napi_thread_ns"]
	}
	if ($col["stage"] ~ /^(softirq|poll|xdp|gro|skb_prep|ip|ip_to_transport|transport)$/)
		rx[rate] += $col["cpu_ns"]
}
END {
	printf "%8s %16s %12s %22s\n", "Mbit/s", "frames per poll", "mean gap us", "receive path per poll us"
	n = 0
	for (r in polls) rates[++n] = r + 0
	for (i = 2; i <= n; i++)	# insertion sort by rate
		for (j = i; j > 1 && rates[j - 1] > rates[j]; j--) {
			t = rates[j]; rates[j] = rates[j - 1]; rates[j - 1] = t
		}
	for (i = 1; i <= n; i++) {
		r = rates[i]
		if (polls[r] > 0)
			printf "%8g %16.2f %12.0f %22.1f\n", r / 1e6, pk[r] / polls[r],
			       idle[r] / polls[r] / 1e3, rx[r] / polls[r] / 1e3
	}
}' "$@"
