#!/usr/bin/env bash
# A packet a rule drops pays only the head of its stage, the part before the drop's hook
# (head_share; docs/fit.md "A drop's own work"). The softirq testbed (configs/testbed.cfg) with
# the shipped calibration given ip.head_share 0.35 (tc ingress runs in
# __netif_receive_skb_core, before ip_rcv) and ip.drop_ns 150:
#  - rxmodel charges it: every packet tc-drop's ip stage sees is dropped there, so at 200 Mbit/s
#    the stage's time is drop_ns per drop plus 0.35 of what the same calibration without
#    head_share charges beyond drop_ns (its per-packet and cold costs), within 1 %; and
#    head_share_se adds its share of that to the stage's ± in quadrature, within 3 %;
#  - the fit measures the share as the ratio of head samples to samples (columns head_samples,
#    samples of rxcalibrate run): 0.35 with steps scattered about it, within 0.005 and 3 of its
#    standard errors;
#  - with that share, the tc-drop steps give back drop_ns 150 within 2 % and 3 standard errors;
#    without it (the baseline with no head_samples) the whole ip stage is charged to each
#    dropped packet, which is more than the steps took, and drop_ns is held at 0;
#  - rxcalibrate validate prices the tc-drop steps at measured counts within 1 % and says that
#    the dropped packets pay ip's head.
set -u
out=${1:-.output}
rxc="$out/rxcalibrate"
rxm="$out/rxmodel"
[ -x "$rxc" ] && [ -x "$rxm" ] || { echo "SKIP: rxcalibrate or rxmodel not built in $out"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (the shipped drop terms taken out first)
sed '/^ *drop_ns = /d; /^ *drop_source = /d
     s/^\(    ip = { per_call_ns = [^;]*;\)/\1 drop_ns = 150.0; head_share = 0.35;/' \
	configs/calibration-testbed-softirq.cfg >"$tmp/cal.cfg"
sed 's/ head_share = 0.35;//' "$tmp/cal.cfg" >"$tmp/nohead.cfg"
grep -q 'head_share = 0.35;' "$tmp/cal.cfg" && ! grep -q 'head_share' "$tmp/nohead.cfg" ||
	{ echo "FAIL: head_share not set in the test calibrations"; exit 1; }
read -r pcn pbn < <(awk '/^    ip = \{ per_call_ns/ { a = $0; sub(/.*per_call_ns = /, "", a)
	sub(/;.*/, "", a); b = $0; sub(/.*per_byte_ns = /, "", b); sub(/;.*/, "", b); print a, b }' \
	"$tmp/cal.cfg")
awk -v b="${pbn:-x}" -v p="${pcn:-x}" 'BEGIN { exit !(b == 0 && p == 0) }' ||
	{ echo "FAIL: the test wants ip's per_call_ns and per_byte_ns 0 (got ${pcn:-?}, ${pbn:-?})"; exit 1; }
bad=0
# the model: a packet tc drops pays 0.35 of ip's per-packet and cold costs, and drop_ns
for c in cal nohead; do
	"$rxm" -c configs/testbed.cfg -C "$tmp/$c.cfg" --variant tc-drop --bw 200M -f csv -q \
		-o "$tmp/tc-$c.csv" || exit 1
done
awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	FILENAME ~ /tc-cal/ { w = $c["ip_cpu_ns_per_s"]; d = $c["drop_rule"] / $c["seconds"] }
	FILENAME ~ /tc-nohead/ { wo = $c["ip_cpu_ns_per_s"] }
	END { e = 150 * d + 0.35 * (wo - 150 * d)
		printf "tc-drop ip: %.0f ns/s with head_share 0.35, %.0f without, %.0f drops/s: " \
			"expected %.0f\n", w, wo, d, e
		r = (w - e) / e; if (r < 0) r = -r; exit !(d > 0 && r <= 0.01) }' \
	"$tmp/tc-cal.csv" "$tmp/tc-nohead.csv" ||
	{ echo "FAIL: rxmodel does not charge a dropped packet ip's head only"; bad=1; }
# the share's own error: head_share_se 0.1 adds 0.1 x what the share multiplies (the whole
# stage's cost of those packets, drop_ns apart) to the stage's ±, in quadrature
sed 's/ head_share = 0.35;/ head_share = 0.35; head_share_se = 0.1;/' "$tmp/cal.cfg" >"$tmp/hse.cfg"
"$rxm" -c configs/testbed.cfg -C "$tmp/hse.cfg" --variant tc-drop --bw 200M -f csv -q \
	-o "$tmp/tc-hse.csv" || exit 1
awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	FILENAME ~ /tc-cal/ { s0 = $c["ip_cpu_se_ns_per_s"]; d = $c["drop_rule"] / $c["seconds"] }
	FILENAME ~ /tc-hse/ { s1 = $c["ip_cpu_se_ns_per_s"] }
	FILENAME ~ /tc-nohead/ { wo = $c["ip_cpu_ns_per_s"] }
	END { e = sqrt(s0 * s0 + (0.1 * (wo - 150 * d)) ^ 2)
		printf "tc-drop ip ±: %.0f ns/s with head_share_se 0.1, %.0f without: expected %.0f\n", s1, s0, e
		r = (s1 - e) / e; if (r < 0) r = -r; exit !(s1 > s0 && r <= 0.03) }' \
	"$tmp/tc-cal.csv" "$tmp/tc-hse.csv" "$tmp/tc-nohead.csv" ||
	{ echo "FAIL: head_share_se not in rxmodel's ±"; bad=1; }
# measurements: the baseline in both placements, the variant at three rates
. tests/calibrate/placements-lib.sh
sim_both_placements "$rxm" "$tmp/cal.cfg" "$tmp" || exit 1
"$rxm" -c configs/testbed.cfg -C "$tmp/cal.cfg" --variant tc-drop --sweep 100M,200M,400M \
	-f measurements -q -o "$tmp/raw-tc.csv" || exit 1
awk 'NR == 1 { print $0 ",variant"; next } { print $0 ",tc-drop" }' "$tmp/raw-tc.csv" \
	>"$tmp/tc-drop.csv"
# the sampler's columns on the baseline: ip's samples, 35 % of them in the head, scattered by
# +-3 points from step to step (other stages: samples, no head)
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print $0, "head_samples"; next }
	{ h = 0
	  if ($c["stage"] == "ip") { $c["samples"] = 2000; h = 700 + 60 * ($1 % 3 - 1) }
	  else if ($c["method"] != "none") $c["samples"] = 1000
	  print $0, h }' "$tmp/both.csv" >"$tmp/base.csv"
"$rxc" fit --in "$tmp/base.csv" --drops "$tmp/tc-drop.csv" --out "$tmp/c.cfg" >"$tmp/log" ||
	{ cat "$tmp/log"; exit 1; }
read -r hs hse < <(awk '/^    ip = \{ per_call_ns/ { p = 1; next } p && /^    [a-z_]+ = \{ per_call_ns/ { exit }
	p && /head_share = / {
	a = $0; sub(/.*head_share = /, "", a); sub(/;.*/, "", a)
	b = $0; sub(/.*head_share_se = /, "", b); sub(/;.*/, "", b); print a, b; exit }' "$tmp/c.cfg")
echo "ip head_share: fitted ${hs:-none} ± ${hse:-?}, given 0.35"
awk -v g="${hs:-nan}" -v s="${hse:-nan}" 'BEGIN { d = g - 0.35; if (d < 0) d = -d
	exit !(g == g + 0 && s > 0 && d <= 0.005 && d <= 3 * s) }' ||
	{ echo "FAIL: head_share not within 0.005 and 3 standard errors of 0.35"; bad=1; }
grep -q "head_share 0.350 ± " "$tmp/log" || { echo "FAIL: the fit does not print head_share"; bad=1; }
drop_of() { awk '/^    ip = \{ per_call_ns/ { p = 1; next } p && /^    [a-z_]+ = \{ per_call_ns/ { exit }
	p && /drop_ns = / {
	a = $0; sub(/.*drop_ns = /, "", a); sub(/;.*/, "", a)
	b = $0; sub(/.*drop_se = /, "", b); sub(/;.*/, "", b); print a, b; exit }
	p && /source = / { exit }' "$1"; }
read -r got se < <(drop_of "$tmp/c.cfg")
echo "ip drop_ns with head_share: fitted ${got:-none} ± ${se:-?}, given 150"
awk -v g="${got:-nan}" -v s="${se:-nan}" 'BEGIN { d = g - 150; if (d < 0) d = -d
	exit !(g == g + 0 && d <= 3 && d <= 3 * s) }' ||
	{ echo "FAIL: ip drop_ns not within 2 % and 3 standard errors of 150"; bad=1; }
# without the head columns the whole stage is charged: more than the steps took
"$rxc" fit --in "$tmp/both.csv" --drops "$tmp/tc-drop.csv" --out "$tmp/nh.cfg" >"$tmp/nh.log" ||
	{ cat "$tmp/nh.log"; exit 1; }
read -r got2 se2 < <(drop_of "$tmp/nh.cfg")
echo "ip drop_ns without head_share: ${got2:-none} ± ${se2:-?}"
if grep -q 'head_share' "$tmp/nh.cfg" || [ "${got2:-x}" != 0.0 ]; then
	echo "FAIL: without head_samples the fit should have no head_share and hold ip drop_ns at 0"
	bad=1
fi
# validate at measured counts: the stages up to ip, ip's head and drop_ns
"$rxc" validate --measured "$tmp/tc-drop.csv" --calibration "$tmp/c.cfg" --out "$tmp/v.csv" \
	>"$tmp/v.txt" || { cat "$tmp/v.txt"; exit 1; }
ek=$(sed -n 's/^all steps at measured counts.*error \(.*\) %$/\1/p' "$tmp/v.txt")
echo "validate tc-drop at measured counts: ${ek:-none} %"
awk -v a="${ek:-nan}" 'BEGIN { exit !(a == a + 0 && a <= 1 && a >= -1) }' ||
	{ echo "FAIL: tc-drop at measured counts missing or off"; bad=1; }
grep -q "^a dropped packet pays the head of its stage.*: ip 0.35" "$tmp/v.txt" ||
	{ echo "FAIL: validate does not say that dropped packets pay ip's head"; bad=1; }
[ "$bad" = 0 ] && echo "PASS head_roundtrip"
exit "$bad"
