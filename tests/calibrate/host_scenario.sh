#!/usr/bin/env bash
# The idle exits and sender lines a fit measured (the calibration's host group) put into a
# testbed scenario, three ways that must agree: `rxmodel --host calibration`, `rxcalibrate
# validate` (its default) and experiments/host-scenario.sh, which writes the scenario out and
# also reads calibrations fitted before the group (comments at their top).
#  - round 39's threaded fit steps, fitted again, give a host group whose idle_exit_hist and
#    sender_* are those of round 39's calibration (written before the group, as comments);
#  - host-scenario.sh makes them the scenario's from either calibration, everything else stays;
#  - rxmodel on that scenario and rxmodel --host calibration on the shipped scenario print the
#    same report but for the header line; the NAPI kthread then polls as the host's did (round
#    39 live at 600 Mbit/s: 18-22k polls/s of 2.3-2.8 frames; the model with the host's lines
#    16.7k of 3.05, with the scenario's 10.1k of 5.1): more than 14k polls/s, under 4 frames;
#  - rxcalibrate validate on round 39's held-out steps prints the same predictions with its
#    default (the calibration's host) as with --host scenario on host-scenario.sh's scenario,
#    and other ones with --host scenario on the shipped scenario;
#  - validate says when steps are at rates the calibration was fitted at (its provenance): all
#    15 of the fit's own steps, none of the held-out ones;
#  - a calibration without host lines: host-scenario.sh refuses it and writes nothing, rxmodel
#    --host calibration exits 1 naming the file, validate says it uses the scenario's.
set -u
out=${1:-.output}
rxm="$out/rxmodel" rxc="$out/rxcalibrate"
[ -x "$rxm" ] && [ -x "$rxc" ] || { echo "SKIP: rxmodel or rxcalibrate not built in $out"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=experiments/data/round39
old=$d/calibration-threaded.cfg
keys="idle_exit_hist sender_call_us sender_frame_us sender_wake_hist sender_wake_by_sleep"
bad=0
"$rxc" fit --in $d/validate-threaded-fit.csv --out "$tmp/cal.cfg" >"$tmp/fit.txt" 2>&1 ||
	{ cat "$tmp/fit.txt"; echo "FAIL: fit"; exit 1; }
for k in $keys; do
	want=$(sed -n "s/^#   $k = \([^;]*\);.*/\1/p" "$old")
	got=$(sed -n '/^  host:/,/^  };/p' "$tmp/cal.cfg" | sed -n "s/^    $k = \([^;]*\);.*/\1/p")
	[ -n "$want" ] && [ "$want" = "$got" ] || { echo "FAIL: host group's $k not round 39's"; bad=1; }
done
for c in "$old" "$tmp/cal.cfg"; do
	experiments/host-scenario.sh configs/testbed-threaded.cfg "$c" "$tmp/h.cfg" 2>"$tmp/err" ||
		{ cat "$tmp/err"; echo "FAIL: host-scenario.sh $c"; exit 1; }
	for k in $keys; do
		want=$(sed -n "s/^#   $k = \([^;]*\);.*/\1/p" "$old")
		got=$(sed -n "s/^ *$k = \([^;]*\);.*/\1/p" "$tmp/h.cfg")
		[ "$want" = "$got" ] || { echo "FAIL: $k not the calibration's ($c)"; bad=1; }
	done
	pat="^ *($(echo $keys | tr ' ' '|')) = "
	diff <(grep -vE "$pat" configs/testbed-threaded.cfg) <(grep -vE "$pat" "$tmp/h.cfg") >/dev/null ||
		{ echo "FAIL: other lines of the scenario changed ($c)"; bad=1; }
done
"$rxm" -q -c "$tmp/h.cfg" -C "$tmp/cal.cfg" --bw 600M >"$tmp/o.txt" 2>&1 || { cat "$tmp/o.txt"; exit 1; }
"$rxm" -q -c configs/testbed-threaded.cfg -C "$tmp/cal.cfg" --host calibration --bw 600M \
	>"$tmp/oh.txt" 2>&1 || { cat "$tmp/oh.txt"; exit 1; }
diff <(tail -n +2 "$tmp/o.txt") <(tail -n +2 "$tmp/oh.txt") >/dev/null ||
	{ echo "FAIL: rxmodel --host calibration differs from the written scenario"; bad=1; }
grep -q "with its host's idle exits and sender" "$tmp/oh.txt" ||
	{ echo "FAIL: rxmodel's header does not say the host is the calibration's"; bad=1; }
read -r polls ppp < <(sed -n 's/^NAPI *\([0-9]*\) polls\/s, \([0-9.]*\) packets\/poll.*/\1 \2/p' "$tmp/oh.txt")
echo "threaded 600M with the host's lines: ${polls:-?} polls/s, ${ppp:-?} frames each"
awk -v p="${polls:-0}" -v f="${ppp:-99}" 'BEGIN { exit !(p > 14000 && f < 4) }' ||
	{ echo "FAIL: the kthread does not poll as the host's did"; bad=1; }
# validate: its default against the written scenario, and against the scenario's own lines
v() { "$rxc" validate --measured $d/validate-threaded-heldout.csv --calibration "$tmp/cal.cfg" \
	--duration 0.3s --out "$tmp/$1.csv" "${@:2}" >"$tmp/$1.txt" 2>&1 ||
	{ cat "$tmp/$1.txt"; echo "FAIL: validate $*"; exit 1; }; }
v def
v written --config "$tmp/h.cfg" --host scenario
v scen --host scenario
cmp -s "$tmp/def.csv" "$tmp/written.csv" || { echo "FAIL: validate's host lines differ from the written scenario's"; bad=1; }
cmp -s "$tmp/def.csv" "$tmp/scen.csv" && { echo "FAIL: validate --host scenario changed nothing"; bad=1; }
grep -q "^host (idle exits, sender): the calibration's" "$tmp/def.txt" &&
	grep -q "^host (idle exits, sender): the scenario's (--host scenario)" "$tmp/scen.txt" ||
	{ echo "FAIL: validate does not say whose host lines it simulates"; bad=1; }
grep '^all steps: receive' "$tmp/def.txt" "$tmp/scen.txt"
# the held-out steps are not in sample; the fit's own steps are, every one (15 of 15)
grep -q '^in sample' "$tmp/def.txt" && { echo "FAIL: held-out steps called in sample"; bad=1; }
"$rxc" validate --measured $d/validate-threaded-fit.csv --calibration "$tmp/cal.cfg" \
	--duration 0.1s --out "$tmp/in.csv" 2>&1 | grep -q '^in sample: 15 of the 15 steps are at rates the calibration was fitted at (50M' ||
	{ echo "FAIL: validate does not say the fit's own steps are in sample"; bad=1; }
# without host lines
if experiments/host-scenario.sh configs/testbed.cfg configs/calibration-published.cfg "$tmp/p.cfg" 2>/dev/null ||
	[ -e "$tmp/p.cfg" ]; then
	echo "FAIL: a calibration without host lines accepted"; bad=1
fi
"$rxm" -q -c configs/testbed.cfg -C configs/calibration-published.cfg --host calibration --bw 100M \
	>"$tmp/n.txt" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "calibration-published.cfg: no host group" "$tmp/n.txt" ||
	{ cat "$tmp/n.txt"; echo "FAIL: rxmodel --host calibration without a host group: exit $rc"; bad=1; }
"$rxc" validate --measured $d/validate-threaded-heldout.csv --calibration "$old" --duration 0.3s \
	--out "$tmp/o.csv" 2>&1 | grep -q "^host (idle exits, sender): the scenario's (the calibration has no host group)" ||
	{ echo "FAIL: validate does not say the calibration has no host group"; bad=1; }
[ "$bad" = 0 ] && echo "PASS host_scenario"
exit "$bad"
