#!/usr/bin/env bash
# Does the speed canary see what slows the receive path? N one-step runs of rxcalibrate at one
# rate, each with its canaries (rxcalibrate run --canary, before and after the step); per run
# one line: the canaries on the CPUs of the receive path, the application and the sender (ns per
# iteration) and the receive-path CPU per received packet (every stage but app and cs, ns). Then
# the correlation of each canary with the cost, and the cost's spread over the runs whose
# receive-path canary is within 15 % of the runs' median against all runs'.
#
# Usage: experiments/canary-vs-cost.sh OUTPUT_DIR MODE N [RATE] >result.txt
#   OUTPUT_DIR: where rxcalibrate was built (make OUTPUT=...); MODE: softirq or threaded.
#   Each run holds the testbed lock (LOCK, default /tmp/rxlive.lock); root and BPF needed.
set -eu -o pipefail
out=$1 mode=$2 n=$3 rate=${4:-200M}
lock=${LOCK:-/tmp/rxlive.lock}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# run canary_rx_ns canary_app_ns canary_tx_ns receive_ns_per_packet ($mode, $rate, 3 s steps)"
for i in $(seq 1 "$n"); do
	flock "$lock" "$out/rxcalibrate" run --napi "$mode" --rates "$rate" --duration 3 --quiet \
		--out "$tmp/m.csv" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	awk -F, -v i="$i" 'NR == 1 { for (k = 1; k <= NF; k++) c[$k] = k; next }
		$c["stage"] != "app" && $c["stage"] != "cs" { t += $c["cpu_ns"] }
		{ r = $c["canary_rx_ns"]; a = $c["canary_app_ns"]; x = $c["canary_tx_ns"]
		  p = $c["received_pps"] * $c["duration_s"] }
		END { printf "%d %.2f %.2f %.2f %.1f\n", i, r, a, x, (p > 0 ? t / p : 0) }' "$tmp/m.csv"
done | tee "$tmp/runs"
med=$(awk '{ print $2 }' "$tmp/runs" | sort -g |
	awk '{ a[NR] = $1 } END { if (NR) print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
awk -v med="${med:-0}" 'function corr(k,  i, mx, my, sxy, sxx, syy) {
		for (i = 1; i <= n; i++) { mx += v[i, k]; my += v[i, 5] }
		mx /= n; my /= n
		for (i = 1; i <= n; i++) { sxy += (v[i, k] - mx) * (v[i, 5] - my)
			sxx += (v[i, k] - mx) ^ 2; syy += (v[i, 5] - my) ^ 2 }
		return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0 }
	function cv(sel,  i, m, s, c) {
		for (i = 1; i <= n; i++) if (!sel || v[i, 2] <= 1.15 * med) { m += v[i, 5]; c++ }
		m /= c
		for (i = 1; i <= n; i++) if (!sel || v[i, 2] <= 1.15 * med) s += (v[i, 5] - m) ^ 2
		return sprintf("%.1f %% over %d runs (mean %.0f ns)", c > 1 ? 100 * sqrt(s / (c - 1)) / m : 0, c, m) }
	{ n++; for (k = 1; k <= 5; k++) v[n, k] = $k }
	END { if (n < 3) exit
		printf "# correlation with the cost: canary_rx %.2f, canary_app %.2f, canary_tx %.2f\n",
			corr(2), corr(3), corr(4)
		printf "# cost spread: all runs %s; runs with canary_rx within +15 %% of its median (%.2f ns) %s\n",
			cv(0), med, cv(1) }' "$tmp/runs"
