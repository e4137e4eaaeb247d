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

# VNF placement: errors name file:line; a placement evaluates; the search's answer meets the
# limits when re-run as a placement, and every shape with one core fewer does not.
chain=configs/gilan-chain.cfg
head_of() { sed -e '/^placement = (/,$d' -e "s|^base = .*|base = \"$PWD/configs/gilan.cfg\";|" "$chain"; }
head_of >"$tmp/pl-head.cfg"
sed -e 's/share = 0.10;/share = 0.20;/' "$tmp/pl-head.cfg" >"$tmp/pl-share.cfg"
expect_fail "placement shares" "pl-share.cfg:[0-9]*: chain: the shares sum to 1.1" \
	--placement "$tmp/pl-share.cfg" --bw 40G
{ cat "$tmp/pl-head.cfg"; printf 'placement = (\n  { function = "nat"; server = "std"; cores = 1; queues = 1; }\n);\n'; } >"$tmp/pl-fn.cfg"
expect_fail "placement unknown function" "pl-fn.cfg:$(($(wc -l <"$tmp/pl-head.cfg") + 2)): placement: unknown function 'nat'" \
	--placement "$tmp/pl-fn.cfg" --bw 40G
{ cat "$tmp/pl-head.cfg"; printf 'placement = (\n  { function = "dpi"; server = "huge"; cores = 1; queues = 1; }\n);\n'; } >"$tmp/pl-srv.cfg"
expect_fail "placement unknown server" "unknown server 'huge'" --placement "$tmp/pl-srv.cfg" --bw 40G
{ cat "$tmp/pl-head.cfg"; printf 'placement = (\n  { function = "firewall"; server = "std"; cores = 40; queues = 20; },\n'
  printf '  { function = "cgnat"; server = "std"; cores = 1; queues = 1; },\n  { function = "dpi"; server = "std"; cores = 1; queues = 1; },\n'
  printf '  { function = "video-optimiser"; server = "std"; cores = 1; queues = 1; },\n  { function = "parental-control"; server = "std"; cores = 1; queues = 1; }\n);\n'; } >"$tmp/pl-cores.cfg"
expect_fail "placement too many cores" "pl-cores.cfg:[0-9]*: placement: std #0 is given 44 cores, the server has 16" \
	--placement "$tmp/pl-cores.cfg" --bw 40G
expect_fail "placement NIC" "its NIC has 40 Gbit/s" --placement $chain --bw 100G
expect_fail "search without placement" "--search needs --placement" --config $cfg --search drop=1%
expect_fail "bad search limits" "--search" --placement $chain --bw 40G --search fast
expect_fail "placement without bw" "needs --bw" --placement $chain
expect_fail "placement no output on error" "pl-share.cfg" --placement "$tmp/pl-share.cfg" --bw 40G \
	--output "$tmp/pl.csv"
[ -e "$tmp/pl.csv" ] && { echo "FAIL placement output left behind"; fail=$((fail + 1)); }

plshort=(--duration 50ms --warmup 10ms -q --bw 40G)
expect_ok "placement evaluates" --placement $chain "${plshort[@]}" --format csv -o "$tmp/pl-eval.csv"
[ "$(wc -l <"$tmp/pl-eval.csv")" -eq 6 ] || { echo "FAIL placement csv: expected header + 5 rows"; fail=$((fail + 1)); }
expect_ok "placement json" --placement $chain "${plshort[@]}" --format json -o "$tmp/pl.json"
if command -v python3 >/dev/null && ! python3 -m json.tool "$tmp/pl.json" >/dev/null; then
	echo "FAIL placement JSON does not parse"; fail=$((fail + 1))
fi
expect_ok "placement -j1" --placement $chain "${plshort[@]}" --format csv -j 1 -o "$tmp/pl-j1.csv"
cmp -s "$tmp/pl-eval.csv" "$tmp/pl-j1.csv" && { echo "ok   placement -j 1 identical"; pass=$((pass + 1)); } ||
	{ echo "FAIL placement -j 1 differs"; fail=$((fail + 1)); }

limits=drop=0.1%,p99=500us
# row check: loss (column 14) <= 0.1 % and p99 (column 16) <= 500 us
meets_row() { awk -F, -v f="$2" 'NR > 1 && $5 == f { ok = ($14 <= 0.001 && $16 <= 500000) } END { exit !ok }' "$1"; }
expect_ok "placement search" --placement $chain "${plshort[@]}" --search $limits --format csv -o "$tmp/pl-search.csv"
{ cat "$tmp/pl-head.cfg"; echo "placement = ("
  awk -F, 'NR > 1 { printf "%s{ function = \"%s\"; server = \"%s\"; instance = %d; cores = %d; queues = %d; }\n", (NR > 2 ? "," : ""), $5, $3, $4, $7, $8 }' "$tmp/pl-search.csv"
  echo ");"; } >"$tmp/pl-found.cfg"
expect_ok "search answer evaluates" --placement "$tmp/pl-found.cfg" "${plshort[@]}" --format csv -o "$tmp/pl-found.csv"
tail -n +2 "$tmp/pl-search.csv" | while IFS=, read -r _ _ srv inst fn path cores queues _; do
	if ! meets_row "$tmp/pl-found.csv" "$fn"; then
		echo "FAIL search: $fn at $cores cores does not meet $limits when re-run"; exit 1
	fi
	# every shape of cores - 1: queues x 1, and queues x 2 for socket functions
	c=$((cores - 1))
	[ "$c" -ge 1 ] || continue
	shapes="$c:$c"
	[ "$path" = socket ] && [ $((c % 2)) -eq 0 ] && shapes="$shapes $c:$((c / 2))"
	for sh in $shapes; do
		sed "/function = \"$fn\"/s/cores = [0-9]*; queues = [0-9]*;/cores = ${sh%%:*}; queues = ${sh##*:};/" \
			"$tmp/pl-found.cfg" >"$tmp/pl-fewer.cfg"
		"$rx" --placement "$tmp/pl-fewer.cfg" "${plshort[@]}" --format csv -o "$tmp/pl-fewer.csv" || exit 1
		if meets_row "$tmp/pl-fewer.csv" "$fn"; then
			echo "FAIL search: $fn meets $limits with ${sh%%:*} cores / ${sh##*:} queues"; exit 1
		fi
	done
done && { echo "ok   search: found cores meet the limits, one core fewer does not"; pass=$((pass + 1)); } ||
	fail=$((fail + 1))

echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || echo "[  FAILED  ] $fail test(s)"
[ "$fail" -eq 0 ]
