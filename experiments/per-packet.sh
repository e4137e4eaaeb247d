#!/usr/bin/env bash
# Each stage's CPU per packet the sender sent, over all steps of one or more measurements.csv
# files (rxcalibrate run): sum of cpu_ns / sum of offered_pps x duration_s. Per sent packet, so
# that a drop variant (nothing received) compares with the baseline.
# Usage: experiments/per-packet.sh FILE...
#   e.g. experiments/per-packet.sh experiments/data/placement/softirq-rx-cpu{1,0}.csv \
#            experiments/data/placement/softirq-tc-drop.csv
# (docs/fit.md, "Buffers read on another CPU").
set -eu
[ $# -gt 0 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
for f in "$@"; do
	awk -F, -v name="$f" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ ns[$c["stage"]] += $c["cpu_ns"]; if (!($c["stage"] in order)) order[$c["stage"]] = ++n
		  if ($c["stage"] == "poll") sent += $c["offered_pps"] * $c["duration_s"] }
		END { if (!(sent > 0)) { printf "%s: no poll rows with packets sent\n", name; exit 1 }
			printf "%s:", name
			for (s in order) st[order[s]] = s
			for (i = 1; i <= n; i++) if (ns[st[i]] > 0) printf " %s %.0f", st[i], ns[st[i]] / sent
			printf " (ns per sent packet, %.0f packets)\n", sent }' "$f"
done
