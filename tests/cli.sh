#!/usr/bin/env bash
# rxmodel's command line: bad input gives one clear message naming the option or file:line and
# a non-zero exit, leaving no output file; the same seed gives byte-identical output.
set -u
out=${1:-.output}
rx="$out/rxmodel"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

expect_fail() { # name, pattern, args...
	local name=$1 pat=$2
	shift 2
	if "$rx" "$@" >"$tmp/stdout" 2>"$tmp/stderr"; then
		echo "FAIL $name: exit 0"; fail=$((fail + 1)); return
	fi
	if ! grep -q -- "$pat" "$tmp/stderr" || [ "$(wc -l <"$tmp/stderr")" -ne 1 ]; then
		echo "FAIL $name: expected one line with '$pat', got:"; cat "$tmp/stderr"
		fail=$((fail + 1)); return
	fi
	echo "ok   $name: $(cat "$tmp/stderr")"; pass=$((pass + 1))
}

expect_ok() { # name, args...
	local name=$1
	shift
	if "$rx" "$@" >"$tmp/stdout" 2>"$tmp/stderr"; then
		echo "ok   $name"; pass=$((pass + 1))
	else
		echo "FAIL $name:"; cat "$tmp/stderr"; fail=$((fail + 1))
	fi
}

cfg=configs/gilan.cfg
short=(--duration 20ms --warmup 5ms -q)
expect_fail "unparsable rate" "--bw 10Q" --config $cfg --bw 10Q
expect_fail "negative rate" "--bw -5G" --config $cfg --bw -5G
expect_fail "zero pps" "--pps 0" --config $cfg --pps 0
expect_fail "bad sweep" "--sweep" --config $cfg --sweep 1G,,2G
expect_fail "missing config" "nope.cfg: No such file" --config "$tmp/nope.cfg"
expect_fail "no config" "--config FILE is required" --bw 1G
expect_fail "unknown variant" "unknown variant" --config $cfg --variant turbo
expect_fail "bad format" "--format" --config $cfg --format xml
expect_fail "bad duration" "--duration" --config $cfg --duration 5parsecs
expect_fail "bad size" "--size" --config $cfg --size 12
expect_fail "bad capacity" "--capacity" --config $cfg --capacity speed=fast
expect_fail "bad seed" "--seed" --config $cfg --seed -3
expect_fail "two rates" "one of --bw" --config $cfg --bw 1G --pps 1M
expect_fail "missing calibration" "nope-cal.cfg" --config $cfg --calibration "$tmp/nope-cal.cfg"
expect_fail "stray argument" "unexpected" --config $cfg extra
printf 'calibration = "%s/configs/calibration-published.cfg";\nnic = { ring = 64;\n  itr = 5; };\n' "$PWD" >"$tmp/bad.cfg"
expect_fail "unknown key with line" "bad.cfg:3: unknown key 'nic.itr'" --config "$tmp/bad.cfg"
printf 'calibration = "%s/configs/calibration-published.cfg";\npath = { stages = ["poll", "tcp"]; };\n' "$PWD" >"$tmp/stage.cfg"
expect_fail "unknown stage with line" "stage.cfg:2: unknown stage 'tcp'" --config "$tmp/stage.cfg"
printf 'calibration: { stages: { poll = { per_packet_ns = "fast"; }; }; };\n' >"$tmp/cal.cfg"
expect_fail "wrong type in calibration" "cal.cfg:1: calibration.stages.poll.per_packet_ns: expected a number" \
	--config $cfg --calibration "$tmp/cal.cfg"

# nothing half-written: a failing run leaves no output file; a good one writes it whole
expect_fail "no output on error" "--bw" --config $cfg --bw 10Q --output "$tmp/report.csv"
if [ -e "$tmp/report.csv" ] || ls "$tmp"/report.csv.tmp.* >/dev/null 2>&1; then
	echo "FAIL output left behind"; fail=$((fail + 1))
fi
expect_fail "unwritable output" "--output" --config $cfg "${short[@]}" --output /proc/nope/x.csv

# same seed, same output, byte for byte; another seed differs
expect_ok "run a" --config $cfg --bw 10G "${short[@]}" --format json --output "$tmp/a.json"
expect_ok "run b" --config $cfg --bw 10G "${short[@]}" --format json --output "$tmp/b.json"
expect_ok "run c" --config $cfg --bw 10G "${short[@]}" --format json --seed 2 --output "$tmp/c.json"
if cmp -s "$tmp/a.json" "$tmp/b.json"; then
	echo "ok   same seed, identical JSON"; pass=$((pass + 1))
else
	echo "FAIL same seed gave different output"; fail=$((fail + 1))
fi
if cmp -s "$tmp/a.json" "$tmp/c.json"; then
	echo "FAIL another seed gave identical output"; fail=$((fail + 1))
else
	echo "ok   another seed, other output"; pass=$((pass + 1))
fi
if command -v python3 >/dev/null && ! python3 -m json.tool "$tmp/a.json" >/dev/null; then
	echo "FAIL JSON does not parse"; fail=$((fail + 1))
fi

# parallel sweeps give the same bytes as serial ones
expect_ok "sweep -j1" --config $cfg --sweep 1G,20G,40G "${short[@]}" --format csv -j 1 --output "$tmp/j1.csv"
expect_ok "sweep -j2" --config $cfg --sweep 1G,20G,40G "${short[@]}" --format csv -j 2 --output "$tmp/j2.csv"
if cmp -s "$tmp/j1.csv" "$tmp/j2.csv"; then
	echo "ok   -j 1 and -j 2 identical"; pass=$((pass + 1))
else
	echo "FAIL -j 2 output differs from -j 1"; fail=$((fail + 1))
fi
expect_fail "bad jobs" "--jobs" --config $cfg --jobs 0

# every format and the sweep, variants and capacity paths run
expect_ok "csv sweep" --config $cfg --sweep 1G,10G "${short[@]}" --format csv
[ "$(wc -l <"$tmp/stdout")" -eq 3 ] || { echo "FAIL csv sweep: expected header + 2 rows"; fail=$((fail + 1)); }
expect_ok "variants" --config $cfg --bw 10G "${short[@]}" --variant baseline --variant xdp-drop \
	--variant no-netfilter --variant skip-transport --variant gro-off --variant firewall-drop-half
expect_ok "capacity" --config $cfg "${short[@]}" --capacity drop=1%
grep -q "capacity" "$tmp/stdout" || { echo "FAIL capacity line missing"; fail=$((fail + 1)); }
expect_ok "help" --help

echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || echo "[  FAILED  ] $fail test(s)"
[ "$fail" -eq 0 ]
