#!/usr/bin/env bash
# The speed canary's arithmetic, without privileges, on measurements the model itself produced
# (rxmodel --format measurements) with canary columns added:
#  - rxcalibrate fit writes, per role, the median of its steps' canaries (five steps, one of them
#    slowed: 41 42 90 44 45 -> 44) and how many steps had them; with --canary-tol 15 it leaves
#    the slowed step out;
#  - rxcalibrate validate marks a step SLOWED when a canary is above (1 + tol) times the
#    calibration's, and prints the totals again over the other steps. The steps are the model's
#    own, so every error there is 0; with --canary-tol 10, 15 and 40 the steps at x1.00, x1.36
#    and x1.14 leave 1, 2 and 3 steps at speed.
# --canary-ref takes the reference from a measurements file instead of the calibration.
# Bad input: --canary-tol out of range, --canary-ref without canaries: one message naming the
# option, exit 2, nothing written.
set -u
out=${1:-.output}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cal=configs/calibration-published.cfg
fail() { echo "FAIL: $*"; exit 1; }

# addcanary IN OUT V...: the three canary columns, step k getting "rx app tx" from the k-th V
addcanary() {
	local in=$1 o=$2
	shift 2
	awk -F, -v OFS=, -v vals="$*" 'BEGIN { n = split(vals, v, " ") }
		NR == 1 { print $0, "canary_rx_ns", "canary_app_ns", "canary_tx_ns"; next }
		{ k = 3 * ($1 - 1); print $0, v[k + 1], v[k + 2], v[k + 3] }' "$in" >"$o"
}

"$out/rxmodel" -c configs/testbed.cfg -C $cal --sweep 50M,100M,200M,300M,400M -f measurements \
	-q -o "$tmp/f0.csv" || fail "rxmodel (fit rates)"
addcanary "$tmp/f0.csv" "$tmp/fit.csv" 41 50 60 42 50 60 90 51 61 44 49 59 45 50 60
"$out/rxcalibrate" fit --in "$tmp/fit.csv" --out "$tmp/fit.cfg" --name canary >"$tmp/fit.log" 2>&1 ||
	{ cat "$tmp/fit.log"; fail "rxcalibrate fit"; }
for kv in canary_rx_ns=44.0 canary_app_ns=50.0 canary_tx_ns=60.0 canary_steps=5; do
	grep -q "^ *${kv%=*} = ${kv#*=};" "$tmp/fit.cfg" ||
		fail "fit: no '${kv%=*} = ${kv#*=}' in provenance: $(grep canary "$tmp/fit.cfg")"
done
echo "ok   fit: the canaries' medians 44 / 50 / 60 ns over 5 steps in provenance"

# fit --canary-tol 15: the step at 90 ns (over 1.15 x 44) is left out; the reference is then the
# median of the other four (41 42 44 45 -> 43)
"$out/rxcalibrate" fit --in "$tmp/fit.csv" --out "$tmp/fast.cfg" --canary-tol 15 >"$tmp/fast.log" 2>&1 ||
	{ cat "$tmp/fast.log"; fail "rxcalibrate fit --canary-tol 15"; }
grep -q "^--canary-tol 15: left out 1 of 5 steps" "$tmp/fast.log" ||
	fail "fit --canary-tol: $(head -2 "$tmp/fast.log")"
grep -q "^ *canary_rx_ns = 43.0;" "$tmp/fast.cfg" && grep -q "^ *canary_steps = 4;" "$tmp/fast.cfg" ||
	fail "fit --canary-tol: provenance $(grep canary "$tmp/fast.cfg")"
"$out/rxcalibrate" fit --in "$tmp/f0.csv" --out "$tmp/x.cfg" --canary-tol 15 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "no step of $tmp/f0.csv has the speed canary" "$tmp/err" && [ ! -e "$tmp/x.cfg" ] ||
	fail "fit --canary-tol without canaries: exit $rc, $(cat "$tmp/err")"
for bad in 0 -5 x 2000; do
	"$out/rxcalibrate" fit --in "$tmp/fit.csv" --out "$tmp/x.cfg" --canary-tol "$bad" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "--canary-tol: '$bad'" "$tmp/err" && [ ! -e "$tmp/x.cfg" ] ||
		fail "fit --canary-tol $bad: exit $rc, $(cat "$tmp/err")"
done
echo "ok   fit --canary-tol 15: 1 of 5 steps left out, reference 43 ns over 4; refused without canaries or with a bad share"

# the published calibration with a canary reference of 44 / 50 / 60 ns
awk '{ print } /^ *provenance:$/ { p = 1; next }
	p && /^ *{ *$/ { print "    canary_rx_ns = 44.0;\n    canary_app_ns = 50.0;\n    canary_tx_ns = 60.0;"; p = 0 }' \
	$cal >"$tmp/cal.cfg"
grep -q "canary_rx_ns = 44.0" "$tmp/cal.cfg" || fail "could not add the canary to $cal"
"$out/rxmodel" -c configs/testbed.cfg -C $cal --sweep 150M,450M,150M -f measurements -q \
	-o "$tmp/h0.csv" || fail "rxmodel (held-out rates)"
addcanary "$tmp/h0.csv" "$tmp/held.csv" 44 50 60 60 50 60 50 50 60
for tc in 10:1 15:2 40:3; do
	tol=${tc%:*}
	want=${tc#*:}
	"$out/rxcalibrate" validate --measured "$tmp/held.csv" --calibration "$tmp/cal.cfg" \
		--config configs/testbed.cfg --canary-tol "$tol" --out "$tmp/v.csv" >"$tmp/v.log" 2>&1 ||
		{ cat "$tmp/v.log"; fail "validate --canary-tol $tol"; }
	grep -q "^at the calibration's speed: the $want of 3 steps .* within +$tol %" "$tmp/v.log" ||
		fail "--canary-tol $tol: not $want of 3 steps at speed: $(grep "^at the" "$tmp/v.log")"
	slowed=$(grep -c "canary against the calibration's.*SLOWED" "$tmp/v.log")
	[ "$slowed" -eq $((3 - want)) ] || fail "--canary-tol $tol: $slowed steps SLOWED, not $((3 - want))"
	awk '/^at speed, all steps: receive-path/ { for (i = 1; i <= NF; i++) if ($i == "error") e = $(i + 1) }
		END { exit !(e == "0.0" || e == "-0.0") }' "$tmp/v.log" ||
		fail "--canary-tol $tol: at-speed error is not 0: $(grep '^at speed, all' "$tmp/v.log")"
	[ "$tol" = 15 ] || continue
	grep -q "^2 .*receive path x1.36, application x1.00, sender x1.00: SLOWED" "$tmp/v.log" ||
		fail "step 2's ratios: $(grep '^2 .*canary' "$tmp/v.log")"
	# at speed, per rate: 150M's two steps, no 450M row
	awk '/^at speed, per rate/ { on = 1; next } on && $1 == "150Mb" { n150 = $2 }
		on && $1 == "450Mb" { bad = 1 } END { exit !(n150 == 2 && !bad) }' "$tmp/v.log" ||
		fail "at speed, per rate: $(sed -n '/^at speed, per rate/,/^at speed, all rates/p' "$tmp/v.log")"
	grep -q "^at speed, all rates, median" "$tmp/v.log" || fail "at-speed lines without their prefix"
done
echo "ok   validate: 1 / 2 / 3 of 3 steps at speed with --canary-tol 10 / 15 / 40, error 0 there"

# without a reference in the calibration: the output of the same steps without canary columns
"$out/rxcalibrate" validate --measured "$tmp/held.csv" --calibration $cal \
	--config configs/testbed.cfg --out "$tmp/v.csv" >"$tmp/v.log" 2>&1 || fail "validate"
"$out/rxcalibrate" validate --measured "$tmp/h0.csv" --calibration $cal \
	--config configs/testbed.cfg --out "$tmp/v0.csv" >"$tmp/v0.log" 2>&1 || fail "validate"
sed -i '/^wrote /d' "$tmp/v.log" "$tmp/v0.log"
cmp -s "$tmp/v.log" "$tmp/v0.log" && cmp -s "$tmp/v.csv" "$tmp/v0.csv" ||
	fail "canary columns without a reference changed validate's output: $(diff "$tmp/v0.log" "$tmp/v.log" | head -5)"
echo "ok   no canary lines against a calibration without one: output byte-identical"

# --canary-ref: the reference from a measurements file's medians (the fit's: 44 / 50 / 60 ns),
# for a calibration without one
"$out/rxcalibrate" validate --measured "$tmp/held.csv" --calibration $cal \
	--config configs/testbed.cfg --canary-ref "$tmp/fit.csv" --out "$tmp/v.csv" >"$tmp/v.log" 2>&1 ||
	{ cat "$tmp/v.log"; fail "validate --canary-ref"; }
grep -q "^at the reference's speed: the 2 of 3 steps" "$tmp/v.log" ||
	fail "--canary-ref: $(grep "^at the" "$tmp/v.log")"
rm -f "$tmp/x.csv"
"$out/rxcalibrate" validate --measured "$tmp/held.csv" --calibration $cal \
	--canary-ref "$tmp/h0.csv" --out "$tmp/x.csv" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--canary-ref $tmp/h0.csv: no step has" "$tmp/err" && [ ! -e "$tmp/x.csv" ] ||
	fail "--canary-ref without canaries: exit $rc, $(cat "$tmp/err")"
echo "ok   --canary-ref: 2 of 3 steps at the medians of the fit's file; a file without canaries refused"

for bad in -1 abc 2000; do
	rm -f "$tmp/x.csv"
	"$out/rxcalibrate" validate --measured "$tmp/held.csv" --calibration "$tmp/cal.cfg" \
		--canary-tol "$bad" --out "$tmp/x.csv" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "--canary-tol $bad: exit $rc, not 2"
	grep -q -- "--canary-tol $bad" "$tmp/err" || fail "--canary-tol $bad: $(cat "$tmp/err")"
	[ -e "$tmp/x.csv" ] && fail "--canary-tol $bad: output written"
done
echo "ok   bad --canary-tol rejected"
