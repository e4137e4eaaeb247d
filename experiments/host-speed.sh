#!/usr/bin/env bash
# Is the VM running at its usual speed? One short live step (rxcalibrate run, 200 Mbit/s, 2 s,
# softirq) times the speed canary on each testbed CPU (docs/rxcalibrate.md, "The speed canary")
# and compares it with a calibration's (provenance canary_rx_ns, canary_app_ns, canary_tx_ns): a
# host that slows the vCPU shows there, and a round measured then predicts nothing about the
# usual machine (docs/validation.md, "Where it misses"). Run it before a round of
# experiments/validate-testbed.sh.
# Usage: experiments/host-speed.sh [OUTPUT_DIR [CALIBRATION [TOL_PCT]]]
#   defaults .output, configs/calibration-testbed-softirq.cfg, 15. Needs root and BPF; holds
#   /tmp/rxlive.lock (LOCK) for the step.
# Prints the canaries against the calibration's, then the receive path's against every shipped
# testbed calibration's (configs/calibration-testbed*.cfg), nearest first: which host's
# calibration the VM runs like now. Exit 0 if each is within +TOL_PCT % of the calibration's, 1
# if the host is slowing the VM, 2 on a usage or run error.
set -u
out=${1:-.output}
cal=${2:-configs/calibration-testbed-softirq.cfg}
tol=${3:-15}
lock=${LOCK:-/tmp/rxlive.lock}
[ -x "$out/rxcalibrate" ] || { echo "$0: $out/rxcalibrate not built (make OUTPUT=$out)" >&2; exit 2; }
[ -r "$cal" ] || { echo "$0: cannot read $cal" >&2; exit 2; }
ref=$(awk '/canary_(rx|app|tx)_ns = / { v = $3; sub(/;.*/, "", v); r[$1] = v }
	END { if (r["canary_rx_ns"] > 0) print r["canary_rx_ns"], r["canary_app_ns"], r["canary_tx_ns"] }' "$cal")
[ -n "$ref" ] || { echo "$0: $cal has no speed canary in its provenance (canary_rx_ns)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flock "$lock" "$out/rxcalibrate" run --rates 200M --duration 2 --quiet --out "$tmp/m.csv" \
	2>"$tmp/err" || { cat "$tmp/err" >&2; echo "$0: the live step failed" >&2; exit 2; }
# the shipped calibrations' receive-path canaries, "FILE VALUE" per line
ship=$(for f in configs/calibration-testbed*.cfg; do
	awk -v f="$f" '/canary_rx_ns = / { v = $3; sub(/;.*/, "", v); print f, v; exit }' "$f"
done)
awk -F, -v ref="$ref" -v tol="$tol" -v cal="$cal" -v ship="$ship" '
	BEGIN { split(ref, r, " ") }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["stage"] == "poll" { m[1] = $c["canary_rx_ns"]; m[2] = $c["canary_app_ns"]; m[3] = $c["canary_tx_ns"] }
	END {
		split("receive path,application,sender", role, ",")
		slow = 0
		for (k = 1; k <= 3; k++) {
			x = m[k] / r[k]
			printf "%-13s %7.1f ns per iteration, x%.2f %s'"'"'s %.1f\n", role[k], m[k], x, cal, r[k]
			if (!(m[k] > 0) || x > 1 + tol / 100) slow = 1
		}
		print slow ? "SLOWED: the host is slowing the VM; a round now measures a slower machine" \
			   : "at the usual speed (each canary within +" tol " %)"
		n = split(ship, line, "\n")
		for (i = 1; i <= n; i++) {
			split(line[i], fv, " ")
			if (!(fv[2] > 0) || !(m[1] > 0)) continue
			d = m[1] / fv[2]; d = d > 1 ? d : 1 / d
			dist[i] = d; name[i] = fv[1]; val[i] = fv[2]
		}
		printf "the receive path against the shipped calibrations, nearest first:"
		for (;;) {
			b = 0
			for (i in dist) if (!b || dist[i] < dist[b]) b = i
			if (!b) break
			printf " %s (%.1f ns, x%.2f)", name[b], val[b], m[1] / val[b]
			delete dist[b]
		}
		print ""
		exit slow
	}' "$tmp/m.csv"
