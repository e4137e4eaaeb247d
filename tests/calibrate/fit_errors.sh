#!/usr/bin/env bash
# rxcalibrate fit's command line without privileges: --help, option errors (exit 2), bad input
# files (exit 1, one message naming the file and line, no calibration written), and a fit of
# measurements simulated by rxmodel --format measurements that must give back the unit costs of
# the calibration the simulation ran with (configs/calibration-published.cfg: poll 15.7 ns per
# poll + 58.8 ns per packet, softirq 152.8 ns per invocation).
set -u
out=${1:-.output}
rxc="$out/rxcalibrate"
rxm="$out/rxmodel"
[ -x "$rxc" ] || { echo "SKIP: $rxc not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # name, expected exit, pattern in stderr ('' = none), args...
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$rxc" fit "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"; cat "$tmp/stderr"; fail=$((fail + 1)); return
	fi
	if [ -n "$pat" ] && { ! grep -q -- "$pat" "$tmp/stderr" || [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; }; then
		echo "FAIL $name: expected one line with '$pat', got:"; cat "$tmp/stderr"
		fail=$((fail + 1)); return
	fi
	echo "ok   $name${pat:+: $(cat "$tmp/stderr")}"; pass=$((pass + 1))
}

check "help" 0 "" --help
grep -q "Examples:" "$tmp/stdout" || { echo "FAIL help: no examples"; fail=$((fail + 1)); }
check "unknown option" 2 "--bogus: unknown option" --bogus
check "missing value" 2 "--in: missing value" --in
check "stray argument" 2 "'extra': unexpected argument" extra
check "bad cold onset" 2 "--cold-onset: 'soon' is not auto, off or microseconds" --cold-onset soon
check "negative cold onset" 2 "--cold-onset: '-5' is not auto, off or microseconds" --cold-onset -5
check "missing file" 1 "nope.csv: No such file" --in "$tmp/nope.csv" --out "$tmp/c.cfg"
printf 'step,stage\n1,poll\n' >"$tmp/cols.csv"
check "missing columns" 1 "cols.csv:1: missing columns method, payload_bytes" --in "$tmp/cols.csv" --out "$tmp/c.cfg"
[ -e "$tmp/c.cfg" ] && { echo "FAIL: calibration written on bad input"; fail=$((fail + 1)); }

if [ -x "$rxm" ]; then
	if "$rxm" --config configs/gilan.cfg --calibration configs/calibration-published.cfg --sweep 200M,400M,800M,1.5G,3G --duration 0.1 \
		--format measurements -o "$tmp/sim.csv" 2>/dev/null; then
		check "fit of simulated measurements" 0 "" --in "$tmp/sim.csv" --out "$tmp/sim.cfg" --name sim
		# gilan's softirq NAPI: a cold onset changes nothing, and says so
		check "--cold-onset without threaded steps" 0 "" --in "$tmp/sim.csv" --out "$tmp/on.cfg" --name sim \
			--cold-onset 50
		if ! grep -q "note: --cold-onset is for threaded steps" "$tmp/stdout" ||
			! cmp -s <(grep -v "date\|fitted by" "$tmp/sim.cfg") <(grep -v "date\|fitted by" "$tmp/on.cfg"); then
			echo "FAIL: --cold-onset on softirq steps: no note, or another calibration"
			fail=$((fail + 1))
		fi
		# the same steps marked as measured with a drop variant: refused, nothing written
		awk 'NR == 1 { print $0 ",variant"; next } { print $0 ",tc-drop" }' "$tmp/sim.csv" >"$tmp/var.csv"
		check "variant measurements refused" 1 "var.csv: measured with variant 'tc-drop'" \
			--in "$tmp/var.csv" --out "$tmp/var.cfg"
		[ -e "$tmp/var.cfg" ] && { echo "FAIL: calibration written from variant measurements"; fail=$((fail + 1)); }
		awk 'NR == 1 { print $0 ",variant"; next } { print $0 "," (NR == 3 ? "xdp-drop" : "baseline") }' \
			"$tmp/sim.csv" >"$tmp/mixed.csv"
		check "mixed variants refused" 1 "mixed.csv:3: column 'variant': 'xdp-drop', but earlier rows say 'baseline'" \
			--in "$tmp/mixed.csv" --out "$tmp/var.cfg"
		# the sampler's head count cannot exceed the row's samples
		awk -F, -v OFS=, 'NR == 1 { print $0, "head_samples"; next }
			{ print $0, (NR == 4 ? 7 : 0) }' "$tmp/sim.csv" >"$tmp/head.csv"
		check "head_samples above samples refused" 1 \
			"head.csv:4: column 'head_samples': 7 is not within 0 and the row's samples" \
			--in "$tmp/head.csv" --out "$tmp/h.cfg"
		[ -e "$tmp/h.cfg" ] && { echo "FAIL: calibration written with bad head_samples"; fail=$((fail + 1)); }
		# --drops: a drop variant's measurements only, of the baseline's NAPI mode, with the
		# kernel's drop count; each refused with the file named, nothing written
		check "--drops of baseline measurements refused" 1 \
			"--drops .*sim.csv: measured without a drop variant" \
			--in "$tmp/sim.csv" --drops "$tmp/sim.csv" --out "$tmp/d.cfg"
		awk 'NR == 1 { print $0 ",variant"; next } { print $0 ",app-on-rx-cpu" }' "$tmp/sim.csv" \
			>"$tmp/nodrop.csv"
		check "--drops of a variant that drops nothing refused" 1 \
			"--drops .*nodrop.csv: variant 'app-on-rx-cpu' is not one rxcalibrate drops with" \
			--in "$tmp/sim.csv" --drops "$tmp/nodrop.csv" --out "$tmp/d.cfg"
		awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "napi_mode") c = i }
			NR > 1 { $c = ($c == "threaded" ? "softirq" : "threaded") } { print }' "$tmp/var.csv" \
			>"$tmp/mode.csv"
		check "--drops of another NAPI mode refused" 1 \
			"--drops .*mode.csv: step 1: NAPI mode .*, the baseline measurements' is" \
			--in "$tmp/sim.csv" --drops "$tmp/mode.csv" --out "$tmp/d.cfg"
		awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i != "drops_kfree") k[i] = 1 }
			{ l = ""; for (i = 1; i <= NF; i++) if (i in k) l = l (l == "" ? "" : ",") $i; print l }' \
			"$tmp/var.csv" >"$tmp/nokfree.csv"
		check "--drops without drops_kfree refused" 1 \
			"--drops .*nokfree.csv: no column drops_kfree" \
			--in "$tmp/sim.csv" --drops "$tmp/nokfree.csv" --out "$tmp/d.cfg"
		check "--drops of one file twice refused" 2 "--drops $tmp/var.csv: given twice" \
			--in "$tmp/sim.csv" --drops "$tmp/var.csv" --drops "$tmp/var.csv" --out "$tmp/d.cfg"
		check "--drops naming the output refused" 2 "--out: '$tmp/var.csv' is a --drops file" \
			--in "$tmp/sim.csv" --drops "$tmp/var.csv" --out "$tmp/var.csv"
		[ -e "$tmp/d.cfg" ] && { echo "FAIL: calibration written with bad --drops"; fail=$((fail + 1)); }
		# a CPU column that is no CPU number: refused with its line, nothing written
		awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "rx_cpu") c = i }
			NR == 4 { $c = "x1" } { print }' "$tmp/sim.csv" >"$tmp/cpu.csv"
		check "bad rx_cpu refused" 1 "cpu.csv:4: column 'rx_cpu': 'x1' is not a CPU number" \
			--in "$tmp/cpu.csv" --out "$tmp/cpu.cfg"
		[ -e "$tmp/cpu.cfg" ] && { echo "FAIL: calibration written with a bad CPU column"; fail=$((fail + 1)); }
		# one row of a step with another placement than the step's first: refused
		awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "rx_cpu") c = i }
			NR == 4 { $c = $c + 1 } { print }' "$tmp/sim.csv" >"$tmp/place.csv"
		check "placement changing within a step refused" 1 \
			"place.csv:4: step 1 ran with rx_cpu .* but its earlier rows say" \
			--in "$tmp/place.csv" --out "$tmp/place.cfg"
		[ -e "$tmp/place.cfg" ] && { echo "FAIL: calibration written from mixed placements"; fail=$((fail + 1)); }
		# validate: a step on a CPU the scenario does not have
		awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "rx_cpu") c = i }
			NR > 1 { $c = 7 } { print }' "$tmp/sim.csv" >"$tmp/cpu7.csv"
		if "$rxc" validate --measured "$tmp/cpu7.csv" --calibration configs/calibration-published.cfg \
			--config configs/gilan.cfg --out "$tmp/v7.csv" >/dev/null 2>"$tmp/v7.err" ||
			! grep -q "cpu7.csv: step 1 ran on CPU 7, the scenario has" "$tmp/v7.err" ||
			[ -e "$tmp/v7.csv" ]; then
			echo "FAIL validate of a step on CPU 7: $(cat "$tmp/v7.err")"; fail=$((fail + 1))
		else
			echo "ok   validate refuses a step on CPU 7: $(cat "$tmp/v7.err")"; pass=$((pass + 1))
		fi
		# unit costs come back to the 4th significant digit: the simulation charges them exactly
		# "poll = { per_call_ns = X; per_packet_ns = Y; ...": X is field 6, Y field 9
		if awk 'function abs(x) { return x < 0 ? -x : x }
			/^ +poll = \{ per_call_ns/ { gsub(";", ""); pc = $6; pp = $9 }
			/^ +softirq = \{ per_call_ns/ { gsub(";", ""); sc = $6 }
			END { exit !(abs(pc - 15.7) < 0.01 && abs(pp - 58.8) < 0.01 &&
				     abs(sc - 152.8) < 0.01) }' "$tmp/sim.cfg"; then
			echo "ok   simulated costs recovered (poll 15.7 + 58.8/packet, softirq 152.8)"
			pass=$((pass + 1))
		else
			echo "FAIL simulated costs not recovered:"; grep -E "^ +(poll|softirq) = \{ per" "$tmp/sim.cfg"
			fail=$((fail + 1))
		fi
	else
		echo "FAIL: rxmodel --format measurements failed: no round trip"
		fail=$((fail + 1))
	fi
fi
echo "fit_errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
