#!/usr/bin/env bash
# Would a cost per deep wake-up of the threaded NAPI kthread explain the 50 Mbit/s miss? A check
# at measured counts, before any change to the fit or the model: over the threaded steps of the
# given rounds, least squares of each step's receive-path CPU (every stage but app and cs, ns/s)
# on its packets, polls and, second, also its kthread's deep wake-ups (napi_wake_hist slots 15
# and up: 32.8 us or more, a halted vCPU); per requested rate, the error of the fitted sums.
#
# Usage: experiments/deep-wake-check.sh [ROUND_DIR...]   (default experiments/data/round1[5-9]
#        and round2[0-4]: the rounds with column 47)
set -eu
[ $# -gt 0 ] || set -- experiments/data/round1[5-9] experiments/data/round2[0-4]
files=()
for d in "$@"; do
	[ -f "$d/validate-threaded-all.csv" ] && files+=("$d/validate-threaded-all.csv")
done
awk -F, '
	FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i; f++; next }
	{ k = f SUBSEP $c["step"] }
	$c["stage"] != "app" && $c["stage"] != "cs" { tot[k] += $c["cpu_ns"] }
	$c["stage"] == "poll" && $c["napi_wakeups"] > 0 {
		d = $c["duration_s"]; dur[k] = d; rate[k] = $c["rate_requested_bps"]
		pk[k] = $c["received_pps"]; pol[k] = $c["polls"] / d
		n = split($c["napi_wake_hist"], h, " "); deep[k] = 0
		for (i = 1; i <= n; i++) { split(h[i], kv, ":"); if (kv[1] >= 15) deep[k] += kv[2] }
		deep[k] /= d; use[k] = 1 }
	function fit(m,  i, j, r, p, t, s, kk, x, a, b) {	# normal equations, Gauss-Jordan
		for (i = 1; i <= m; i++) { b[i] = 0; for (j = 1; j <= m; j++) a[i, j] = 0 }
		for (kk in use) { x[1] = pk[kk]; x[2] = pol[kk]; x[3] = deep[kk]
			for (i = 1; i <= m; i++) { b[i] += x[i] * tot[kk] / dur[kk]
				for (j = 1; j <= m; j++) a[i, j] += x[i] * x[j] } }
		for (i = 1; i <= m; i++) { p = a[i, i]
			for (j = 1; j <= m; j++) a[i, j] /= p
			b[i] /= p
			for (r = 1; r <= m; r++) if (r != i) { t = a[r, i]
				for (j = 1; j <= m; j++) a[r, j] -= t * a[i, j]
				b[r] -= t * b[i] } }
		for (i = 1; i <= m; i++) coef[i] = b[i]
		if (m < 3) coef[3] = 0 }
	function report(name,  kk, r, n, i) {
		delete sm; delete sp; delete seen
		for (kk in use) { r = rate[kk] + 0; seen[r] = 1; sm[r] += tot[kk] / dur[kk]
			sp[r] += coef[1] * pk[kk] + coef[2] * pol[kk] + coef[3] * deep[kk] }
		printf "%s: %.0f ns per packet, %.0f per poll, %.0f per deep kthread wake-up\n  ", name,
			coef[1], coef[2], coef[3]
		n = asorted(seen)
		for (i = 1; i <= n; i++) { r = order[i]
			printf "%s%dM %+.1f %%", (i > 1 ? ", " : ""), r / 1e6, 100 * (sp[r] - sm[r]) / sm[r] }
		printf "\n" }
	function asorted(s,  r, n, i, j, t) {	# the keys of s ascending, into order[]
		n = 0; for (r in s) order[++n] = r + 0
		for (i = 2; i <= n; i++) { t = order[i]
			for (j = i - 1; j >= 1 && order[j] > t; j--) order[j + 1] = order[j]
			order[j + 1] = t }
		return n }
	END { for (kk in use) steps++
		printf "%d threaded steps with the kthread'"'"'s wake-ups\n", steps
		fit(2); report("packets and polls")
		fit(3); report("packets, polls and deep wake-ups") }' "${files[@]}"
