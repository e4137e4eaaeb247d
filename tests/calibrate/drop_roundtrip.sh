#!/usr/bin/env bash
# The fit's drop term (rxcalibrate fit --drops; docs/fit.md, "A drop's own work") recovers what
# the model was given. The softirq testbed (configs/testbed.cfg) with the shipped calibration plus
# drop_ns 500 ns at xdp, 200 ns at poll (where an XDP drop frees the buffer: stage_holds_drop())
# and 300 ns at ip_to_transport: the baseline simulated at 50-400 Mbit/s in both placements,
# the variants xdp-drop and netfilter-drop (which drop at those stages) at 100, 200 and 400
# Mbit/s, each written as rxcalibrate run writes a variant's steps (the column variant). Expected:
#  - the baseline fit alone has no drop_ns (no baseline step drops);
#  - with --drops of both variant files: xdp's drop_ns 500, poll's 200 (both from xdp-drop) and
#    ip_to_transport's 300 within 2 %
#    (the model's counts are exact: what is left is the fit's own error on the stage's other
#    costs), each inside its printed standard error times 3, and the calibration loads and
#    names the files in its provenance;
#  - from the baseline in one placement only, a note that drop_ns comes out low (per_packet holds
#    the cost of buffers read on another CPU, which a dropped packet does not pay);
#  - variant steps whose speed canary is twice the baseline's: the fit notes that drop_ns takes
#    in the host's slowing; at the baseline's speed, no note;
#  - rxmodel with that calibration charges it: netfilter-drop's ip_to_transport at 200 Mbit/s
#    is the same calibration without drop_ns plus 300 ns per dropped packet, within 1 %;
#  - rxcalibrate validate of the netfilter-drop steps with the fitted calibration within 2 %, and
#    more than 10 % low with --without-drops, which it says; at measured counts (the stages up
#    to the drop and drop_ns times the drops) within 1 %.
set -u
out=${1:-.output}
rxc="$out/rxcalibrate"
rxm="$out/rxmodel"
[ -x "$rxc" ] && [ -x "$rxm" ] || { echo "SKIP: rxcalibrate or rxmodel not built in $out"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (any drop_ns the shipped calibration has, taken out first)
sed '/^ *drop_ns = /d; /^ *drop_source = /d
     s/^\(    poll = { per_call_ns = [^;]*;\)/\1 drop_ns = 200.0;/;
     s/^\(    xdp = { per_call_ns = [^;]*;\)/\1 drop_ns = 500.0;/;
     s/^\(    ip_to_transport = { per_call_ns = [^;]*;\)/\1 drop_ns = 300.0;/' \
	configs/calibration-testbed-softirq.cfg >"$tmp/cal.cfg"
[ "$(grep -c 'drop_ns = ' "$tmp/cal.cfg")" = 3 ] ||
	{ echo "FAIL: drop_ns not added to the calibration"; exit 1; }
# the baseline in both placements (the application on CPU 1, and on CPU 0 with NET_RX), so that
# the fit tells the remote cost of buffers read on another CPU, which a dropped packet does not
# pay, from per_packet (docs/fit.md, "Buffers read on another CPU")
. tests/calibrate/placements-lib.sh
sim_both_placements "$rxm" "$tmp/cal.cfg" "$tmp" || exit 1
cp "$tmp/both.csv" "$tmp/base.csv"
for v in xdp-drop netfilter-drop; do
	"$rxm" -c configs/testbed.cfg -C "$tmp/cal.cfg" --variant "$v" --sweep 100M,200M,400M \
		-f measurements -q -o "$tmp/raw-$v.csv" || exit 1
	awk -v v="$v" 'NR == 1 { print $0 ",variant"; next } { print $0 "," v }' \
		"$tmp/raw-$v.csv" >"$tmp/$v.csv"
done
bad=0
"$rxc" fit --in "$tmp/base.csv" --out "$tmp/base.cfg" >"$tmp/base.log" || { cat "$tmp/base.log"; exit 1; }
if grep -q 'drop_ns = ' "$tmp/base.cfg"; then
	echo "FAIL: drop_ns in a calibration fitted without --drops"; bad=1
else
	echo "ok   no drop_ns without --drops"
fi
"$rxc" fit --in "$tmp/base.csv" --drops "$tmp/xdp-drop.csv" --drops "$tmp/netfilter-drop.csv" \
	--out "$tmp/c.cfg" >"$tmp/log" || { cat "$tmp/log"; exit 1; }
for want in poll:200 xdp:500 ip_to_transport:300; do
	st=${want%%:*} v=${want#*:}
	read -r got se < <(awk -v st="$st" '$1 == st && $2 == "=" && $4 == "per_call_ns" { p = 1 }
		p && /drop_ns = / { a = $0; sub(/.*drop_ns = /, "", a); sub(/;.*/, "", a)
			b = $0; sub(/.*drop_se = /, "", b); sub(/;.*/, "", b); print a, b; exit }
		p && /source = / { exit }' "$tmp/c.cfg")
	echo "$st drop_ns: fitted ${got:-none} ± ${se:-?}, given $v"
	awk -v g="${got:-nan}" -v s="${se:-nan}" -v v="$v" 'BEGIN { d = g - v; if (d < 0) d = -d
		exit !(g == g + 0 && d <= 0.02 * v && d <= 3 * s) }' ||
		{ echo "FAIL: $st drop_ns not within 2 % and 3 standard errors of $v"; bad=1; }
done
grep -q 'drops at poll (drop_ns): [^"]*/xdp-drop.csv (xdp-drop, 3 steps)' "$tmp/c.cfg" &&
	grep -q 'drops at xdp (drop_ns): [^"]*/xdp-drop.csv (xdp-drop, 3 steps)' "$tmp/c.cfg" &&
	grep -q 'drops at ip_to_transport (drop_ns): [^"]*/netfilter-drop.csv (netfilter-drop, 3 steps)' "$tmp/c.cfg" ||
	{ echo "FAIL: the calibration's sources do not name the --drops files"; bad=1; }
# the baseline in one placement only: its per_packet holds the remote cost a drop does not pay,
# and the fit says so
"$rxc" fit --in "$tmp/remote.csv" --drops "$tmp/xdp-drop.csv" --out "$tmp/one.cfg" >"$tmp/one.log" ||
	{ cat "$tmp/one.log"; exit 1; }
if grep -q "^note: the baseline's steps read their buffers on another CPU" "$tmp/one.log"; then
	echo "ok   one placement: the fit notes that drop_ns comes out low"
else
	echo "FAIL: no note on a one-placement baseline"; bad=1
fi
# the speed canary: variant steps measured on a vCPU twice as slow as the baseline's are noted
canary() { awk -v ns="$2" 'NR == 1 { print $0 ",canary_rx_ns,canary_app_ns,canary_tx_ns"; next }
	{ print $0 "," ns "," ns "," ns }' "$1"; }
canary "$tmp/base.csv" 45.0 >"$tmp/base-c.csv"
canary "$tmp/xdp-drop.csv" 90.0 >"$tmp/xdp-slow.csv"
canary "$tmp/xdp-drop.csv" 46.0 >"$tmp/xdp-fast.csv"
for sp in slow fast; do
	"$rxc" fit --in "$tmp/base-c.csv" --drops "$tmp/xdp-$sp.csv" --out "$tmp/$sp.cfg" \
		>"$tmp/$sp.log" || { cat "$tmp/$sp.log"; exit 1; }
done
if grep -q "^note: .*xdp-slow.csv ran slower than the baseline" "$tmp/slow.log" &&
	! grep -q "ran slower than the baseline" "$tmp/fast.log"; then
	echo "ok   variant steps on a slowed vCPU noted (x2), not at the baseline's speed"
else
	echo "FAIL: the slowed --drops file is not noted, or the other is"; bad=1
fi
# the model charges drop_ns per packet the rule drops
sed 's/^\(    ip_to_transport = { per_call_ns = [^;]*;\) drop_ns = 300.0;/\1/' "$tmp/cal.cfg" \
	>"$tmp/nodrop.cfg"
grep -q 'drop_ns = 300' "$tmp/nodrop.cfg" && { echo "FAIL: drop_ns not taken out"; exit 1; }
for c in cal nodrop; do
	"$rxm" -c configs/testbed.cfg -C "$tmp/$c.cfg" --variant netfilter-drop --bw 200M -f csv -q \
		-o "$tmp/nf-$c.csv" || exit 1
done
awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	FILENAME ~ /nf-cal/ { w = $c["ip_to_transport_cpu_ns_per_s"]; d = $c["drop_rule"] / $c["seconds"] }
	FILENAME ~ /nf-nodrop/ { wo = $c["ip_to_transport_cpu_ns_per_s"] }
	END { e = wo + 300 * d; printf "netfilter-drop ip_to_transport: %.0f ns/s with drop_ns, %.0f " \
		"without, %.0f drops/s: expected %.0f\n", w, wo, d, e
		r = (w - e) / e; if (r < 0) r = -r; exit !(d > 0 && r <= 0.01) }' \
	"$tmp/nf-cal.csv" "$tmp/nf-nodrop.csv" ||
	{ echo "FAIL: rxmodel does not charge drop_ns per dropped packet"; bad=1; }
# rxcalibrate validate: the variant's steps (simulated with drop_ns) against the fitted
# calibration are within 2 %; --without-drops leaves drop_ns out, and says so
for w in with without; do
	opt=()
	[ $w = without ] && opt=(--without-drops)
	"$rxc" validate --measured "$tmp/netfilter-drop.csv" --calibration "$tmp/c.cfg" "${opt[@]}" \
		--out "$tmp/v-$w.csv" >"$tmp/v-$w.txt" || { cat "$tmp/v-$w.txt"; exit 1; }
done
ew=$(sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p' "$tmp/v-with.txt")
eo=$(sed -n 's/^all steps: receive.*error \(.*\) %$/\1/p' "$tmp/v-without.txt")
echo "validate netfilter-drop: ${ew:-?} % with drop_ns, ${eo:-?} % without"
awk -v a="${ew:-nan}" -v b="${eo:-nan}" 'BEGIN { exit !(a == a + 0 && b == b + 0 && a <= 2 && a >= -2 && b < -10) }' &&
	grep -q "^the drops' own work: the calibration's drop_ns left out" "$tmp/v-without.txt" ||
	{ echo "FAIL: validate with and without drop_ns"; bad=1; }
# at measured counts the variant's steps are priced by the stages up to the drop and drop_ns:
# the model's own counts, so within 1 %
# (xdp-drop: poll's and xdp's drop_ns, stage_holds_drop())
"$rxc" validate --measured "$tmp/xdp-drop.csv" --calibration "$tmp/c.cfg" --out "$tmp/vx.csv" \
	>"$tmp/vx.txt" || { cat "$tmp/vx.txt"; exit 1; }
for f in v-with vx; do
	ek=$(sed -n 's/^all steps at measured counts.*error \(.*\) %$/\1/p' "$tmp/$f.txt")
	echo "validate $(sed -n 's/^variant \([^,]*\),.*/\1/p' "$tmp/$f.txt") at measured counts: ${ek:-none} %"
	awk -v a="${ek:-nan}" 'BEGIN { exit !(a == a + 0 && a <= 1 && a >= -1) }' ||
		{ echo "FAIL: a variant's error at measured counts missing or off"; bad=1; }
done
[ "$bad" = 0 ] && echo "PASS drop_roundtrip"
exit "$bad"
