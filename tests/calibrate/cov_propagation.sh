#!/usr/bin/env bash
# rxmodel's ± with the covariance of a stage's costs (a calibration's `cov`, written by rxcalibrate
# fit; docs/model.md "Uncertainty"): the softirq testbed at 200 Mbit/s with poll's per_call and
# per_packet costs given standard errors a = 30 and b = 20 ns and a correlation of -1 (cov
# [[a², -ab], [-ab, b²]], the rest 0). Expected, per second:
#  - poll's se = |calls·a - packets·b| (x'Cx), within 0.1 %;
#  - the same costs with no cov, each term independent: sqrt((calls·a)² + (packets·b)² + the
#    cold and remote terms'), larger;
#  - a fit of simulated steps writes a cov whose diagonal is the squared standard errors.
set -u
out=${1:-.output}
rxm="$out/rxmodel"
rxc="$out/rxcalibrate"
[ -x "$rxm" ] && [ -x "$rxc" ] || { echo "SKIP: rxmodel or rxcalibrate not built in $out"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
cov=""
for i in $(seq 0 63); do
	case $i in 0) v=900.0 ;; 1 | 8) v=-600.0 ;; 9) v=400.0 ;; *) v=0.0 ;; esac
	cov="$cov${cov:+, }$v"
done
sed '/^ *cov = \[/d
     s/^\(    poll = { per_call_ns = [^;]*;\)/\1 cov = [ '"$cov"' ];/' \
	configs/calibration-testbed-softirq.cfg >"$tmp/cov.cfg"
# the same calibration without any cov, poll's standard errors a and b
awk '/^    poll = \{ per_call_ns/ { p = 1 } p && /per_call_se = / {
		sub(/per_call_se = [^;]*;/, "per_call_se = 30.0;"); sub(/per_packet_se = [^;]*;/, "per_packet_se = 20.0;"); p = 0 }
	!/^ *cov = \[/ { print }' configs/calibration-testbed-softirq.cfg >"$tmp/nocov.cfg"
[ "$(grep -c 'cov = \[' "$tmp/cov.cfg")" = 1 ] && ! grep -q 'cov = \[' "$tmp/nocov.cfg" ||
	{ echo "FAIL: test calibrations not derived"; exit 1; }
for c in cov nocov; do
	"$rxm" -c configs/testbed.cfg -C "$tmp/$c.cfg" --bw 200M -q -f csv -o "$tmp/$c.csv" || exit 1
done
awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	FILENAME ~ /nocov/ { nse = $c["poll_cpu_se_ns_per_s"]; next }
	{ se = $c["poll_cpu_se_ns_per_s"]; calls = $c["poll_calls_per_s"]; pk = $c["poll_pkts_per_s"] }
	END { want = calls * 30 - pk * 20; if (want < 0) want = -want
		printf "poll se with cov %.0f ns/s, |calls·a - packets·b| = %.0f; independent %.0f (>= %.0f)\n",
			se, want, nse, sqrt((calls * 30) ^ 2 + (pk * 20) ^ 2)
		d = se - want; if (d < 0) d = -d
		exit !(want > 0 && d <= 1e-3 * want + 1 && nse >= sqrt((calls * 30) ^ 2 + (pk * 20) ^ 2) - 1) }' \
	"$tmp/cov.csv" "$tmp/nocov.csv" || { echo "FAIL: the covariance is not propagated as x'Cx"; bad=1; }
# the fit writes each fitted stage's cov, its diagonal the squared standard errors
"$rxm" -c configs/testbed.cfg --sweep 50M,100M,200M,300M,400M -f measurements -q -o "$tmp/m.csv" &&
	"$rxc" fit --in "$tmp/m.csv" --out "$tmp/fit.cfg" >/dev/null || exit 1
awk '/^    poll = \{ per_call_ns/ { p = 1 } p && /per_packet_se = / { s = $0; sub(/.*per_packet_se = /, "", s); sub(/;.*/, "", s) }
	p && /cov = \[/ { v = $0; sub(/.*cov = \[ */, "", v); split(v, e, ", "); d = e[10] + 0; p = 0 }
	END { printf "fitted poll per_packet_se %s, cov[2][2] %g\n", s, d
		r = s * s - d; if (r < 0) r = -r; exit !(s > 0 && r <= 1e-6 * s * s) }' "$tmp/fit.cfg" ||
	{ echo "FAIL: the fit's cov diagonal is not the squared standard errors"; bad=1; }
[ "$bad" = 0 ] && echo "PASS cov_propagation"
exit "$bad"
