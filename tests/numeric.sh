#!/usr/bin/env bash
# Numeric faults and @include (issue 6; docs/fuzz.md, "Numeric faults and @include"), through the
# command lines:
#  - rxmodel on degenerate scenarios (zero costs, ring of one, weight and budget of one, rcvbuf
#    of one byte, 1 ns window, rate far above the line, weight above the histogram): a clear
#    error or a report without NaN or inf in any format (table, csv, json, measurements);
#  - rxcalibrate fit on crafted measurements.csv files (identical steps, exactly collinear
#    columns, counts x1e11, all-zero times, one step, values the fit's sums cannot hold, a
#    payload beyond UDP): a clear error naming file:line, or the costs the data imply;
#  - @include in scenario files: relative to the including file from any working directory;
#    missing, cyclic, directory, absolute and nested-elsewhere includes give one FILE:LINE error;
#    placement files the same.
set -u
out=${1:-.output}
rxm="$out/rxmodel"
rxc="$out/rxcalibrate"
[ -x "$rxm" ] || { echo "SKIP: $rxm not built"; exit 77; }
src=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# NaN or infinity as a word ("inflight", "inferred" are not)
no_nan() { # name, files...
	local name=$1
	shift
	if grep -qiwE -- '-?nan|-?inf|-?infinity' "$@"; then
		bad "$name: NaN/inf in output:"; grep -iwE -- '-?nan|-?inf|-?infinity' "$@" | head -3
	else
		ok "$name: no NaN/inf"
	fi
}

# one line on stderr matching a pattern, exit status as wanted
one_error() { # name, want_rc, pattern, command...
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pat" "$tmp/e" || [ "$(wc -l <"$tmp/e")" -ne 1 ]; then
		bad "$name: exit $rc (want $want), stderr:"; cat "$tmp/e"
	else
		ok "$name: $(cat "$tmp/e")"
	fi
}

# ---- rxmodel ------------------------------------------------------------------------------
cp configs/gilan.cfg configs/calibration-published.cfg "$tmp/"
cd "$tmp" || exit 1
cat >zero-cal.cfg <<'EOF'
calibration: { name = "zero"; stages: {
  irq = { per_call_ns = 0.0; }; softirq = { per_call_ns = 0.0; };
  poll = { per_call_ns = 0.0; per_packet_ns = 0.0; skb_build_ns = 0.0; };
  gro = { per_packet_ns = 0.0; }; skb_prep = { per_packet_ns = 0.0; };
  ip = { per_packet_ns = 0.0; }; ip_to_transport = { per_packet_ns = 0.0; };
  transport = { per_packet_ns = 0.0; }; app = { per_call_ns = 0.0; per_packet_ns = 0.0; };
  cs = { per_call_ns = 0.0; }; }; };
EOF
mk() { sed "$1" gilan.cfg >"$2"; }
mk 's/ring = 512;/ring = 1;/; s/refill_batch = 32;/refill_batch = 1;/' ring1.cfg
mk 's/weight = 64;/weight = 1;/; s/budget = 300;/budget = 1;/; s/budget_usecs = 8000;/budget_usecs = 1;/' budget1.cfg
mk 's/rcvbuf = 212992;/rcvbuf = 1;/' rcvbuf1.cfg
mk 's/weight = 64;/weight = 5000;/' weight5000.cfg
short=(--duration 20ms --warmup 5ms -q)
runs=(
	"zero costs|--config gilan.cfg --calibration zero-cal.cfg --bw 10G"
	"ring of one|--config ring1.cfg --bw 10G"
	"weight and budget of one|--config budget1.cfg --bw 10G"
	"rcvbuf of one byte|--config rcvbuf1.cfg --bw 10G"
	"1 ns window|--config gilan.cfg --bw 10G --duration 1ns --warmup 0"
	"1000T offered|--config gilan.cfg --bw 1000T"
	"1 bit/s offered|--config gilan.cfg --bw 1"
	"one variant per built-in|--config gilan.cfg --bw 10G --variant baseline --variant xdp-drop --variant no-netfilter --variant skip-transport --variant gro-off --variant forward"
)
n=0
for r in "${runs[@]}"; do
	name=${r%%|*}
	read -r -a args <<<"${r#*|}"
	n=$((n + 1))
	for f in table csv json measurements; do
		if ! "$src/$rxm" "${args[@]}" "${short[@]}" --format "$f" -o "run$n.$f" 2>"run$n.err"; then
			bad "$name ($f):"; cat "run$n.err"
		fi
	done
	no_nan "$name (table, csv, json, measurements)" run$n.table run$n.csv run$n.json run$n.measurements
done
# zero costs: 0 CPU ns/s in every stage (csv *_cpu_ns_per_s) and every core idle
if awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_cpu_ns_per_s$|^cpu[0-9]+_util$/) c[i] = $i; next }
	{ for (i in c) if ($i != 0) { print c[i] " = " $i; bad = 1 } } END { exit bad }' run1.csv; then
	ok "zero costs: every stage 0 CPU ns/s, every core 0 % busy"
else
	bad "zero costs charged CPU"
fi
# no background workload: inferred_ns_per_s is -1 in the CSV (docs/report.md), never nan
if awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "inferred_ns_per_s") c = i; next }
	{ exit !(c && $c == -1) }' run1.csv; then
	ok "csv: inferred_ns_per_s = -1 without a background workload"
else
	bad "csv: inferred_ns_per_s is not -1 without a background workload"
fi
# 1000T offered on a 40G line: line-capped, delivered <= line rate in frames/s
# (40e9 / ((1518 + 20) * 8) = 3251016.9 frames/s)
if awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ exit !($c["line_capped"] == 1 && $c["delivered_pps"] <= 3251016.9 * 1.001) }' run6.csv; then
	ok "1000T offered: line-capped, delivered <= 3.251 Mframes/s"
else
	bad "1000T offered: not capped at the line rate"
fi
one_error "bw 0" 2 "--bw 0: not a positive rate" "$src/$rxm" --config gilan.cfg --bw 0
one_error "pps 0" 2 "--pps 0: not a positive rate" "$src/$rxm" --config gilan.cfg --pps 0
one_error "duration 0" 2 "--duration 0: not a positive duration" "$src/$rxm" --config gilan.cfg --duration 0
one_error "weight above the histogram" 1 "napi.weight 5000 above 4096" "$src/$rxm" --config weight5000.cfg --bw 1G "${short[@]}"

# ---- rxcalibrate fit ----------------------------------------------------------------------
# measurements simulated with the published calibration: poll 15.7 ns/poll + 58.8 ns/packet,
# softirq 152.8 ns/invocation (docs/calibration-published.md)
if [ -x "$src/$rxc" ] && "$src/$rxm" --config gilan.cfg --calibration calibration-published.cfg \
	--sweep 200M,400M,800M,1.5G,3G --duration 0.1 -q --format measurements -o sim.csv; then
	# columns: 1 step, 11 payload_bytes, 12 stage, 15 calls, 16 cpu_ns, 17 cpu_ns_raw, 19 packets, 20 polls
	head -1 sim.csv | awk -F, '{ exit !($1 == "step" && $11 == "payload_bytes" && $12 == "stage" &&
		$15 == "calls" && $16 == "cpu_ns" && $17 == "cpu_ns_raw" && $19 == "packets") }' ||
		bad "measurements columns moved: update tests/numeric.sh"
	fit() { "$src/$rxc" fit --in "$1.csv" --out "$1.cfg" --name t >"$1.out" 2>"$1.err"; }
	cost() { # file stage field: a unit cost written to the calibration
		awk -v st="$2" -v k="$3" '$1 == st && $2 == "=" { gsub(";", ""); for (i = 1; i < NF; i++) if ($i == k) print $(i + 2) }' "$1"
	}
	near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
	r2_ok() { # every R² in the summary table within [0, 1]
		awk '/^stage +method/ { on = 1; next } on && NF == 0 { exit } on && $NF ~ /%$/ { r = $(NF - 1); if (r + 0 < 0 || r + 0 > 1) bad = 1 } END { exit bad }' "$1"
	}

	# every step a copy of step 1: per_call and per_packet are collinear; the fit keeps one
	# coefficient, per packet = poll cpu_ns / packets of step 1, and R² stays in [0, 1]
	awk -F, -v OFS=, 'NR == 1 { print; next } $1 == 1 { r[$12] = $0 }
		{ s = $1; $0 = r[$12]; $1 = s; print }' sim.csv >same.csv
	want=$(awk -F, '$1 == 1 && $12 == "poll" { printf "%.6f", $16 / $19 }' sim.csv)
	if fit same && near "$(cost same.cfg poll per_packet_ns)" "$want" 1e-3 && r2_ok same.out &&
		grep -A1 "^poll (" same.out | grep -q "note: .* packets per call in every step.*one coefficient"; then
		ok "identical steps: one coefficient, poll per_packet $want (= cpu_ns/packets), R² in [0, 1]"
	else
		bad "identical steps:"; cat same.err; grep -E "^poll " same.out
	fi
	# packets = 2 x calls in every poll row, cpu_ns = 15.7 calls + 58.8 packets: only
	# 15.7 / 2 + 58.8 = 66.65 ns per packet is identifiable
	awk -F, -v OFS=, 'NR > 1 && $12 == "poll" { $19 = 2 * $15; $16 = 15.7 * $15 + 58.8 * $19; $17 = $16 } 1' \
		sim.csv >col.csv
	if fit col && near "$(cost col.cfg poll per_packet_ns)" 66.65 1e-3 &&
		near "$(cost col.cfg poll per_call_ns)" 0 0; then
		ok "collinear calls and packets: poll 66.65 ns/packet (15.7/2 + 58.8), per_call 0"
	else
		bad "collinear columns:"; cat col.err; grep -E "^ +poll = " col.cfg
	fi
	# counts and times x1e11 (calls up to 4e14, cpu_ns up to 2e18): the same unit costs
	awk -F, -v OFS=, 'NR > 1 { $15 *= 1e11; $16 *= 1e11; $17 *= 1e11; $19 *= 1e11; $20 *= 1e11 } 1' \
		sim.csv >huge.csv
	if fit huge && near "$(cost huge.cfg poll per_call_ns)" 15.7 0.01 &&
		near "$(cost huge.cfg poll per_packet_ns)" 58.8 0.01 &&
		near "$(cost huge.cfg softirq per_call_ns)" 152.8 0.01; then
		ok "counts x1e11: poll 15.7 + 58.8/packet, softirq 152.8 recovered"
	else
		bad "counts x1e11:"; cat huge.err; grep -E "^ +(poll|softirq) = " huge.cfg
	fi
	# all-zero times: every cost 0, R² 1 (an exact fit of nothing)
	awk -F, -v OFS=, 'NR > 1 { $16 = 0; $17 = 0 } 1' sim.csv >zero.csv
	if fit zero && [ -z "$(awk '/_ns = / { for (i = 1; i <= NF; i++) if ($i ~ /_ns$/ && $(i + 2) + 0 != 0) print }' zero.cfg)" ] &&
		r2_ok zero.out; then
		ok "all-zero times: every unit cost 0"
	else
		bad "all-zero times:"; cat zero.err
	fi
	no_nan "fit outputs (identical, collinear, x1e11, zero)" same.out same.cfg col.out col.cfg \
		huge.out huge.cfg zero.out zero.cfg
	awk -F, 'NR == 1 || $1 == 1' sim.csv >one.csv
	one_error "one step" 1 "one.csv: stage 'irq' fits 1 unit cost and needs at least 2 rate steps" \
		"$src/$rxc" fit --in one.csv --out one.cfg
	awk -F, -v OFS=, 'NR > 1 { $16 *= 1e-300; $17 *= 1e-300 } 1' sim.csv >tiny.csv
	one_error "cpu_ns 1e-295" 1 "tiny.csv:2: column 'cpu_ns': '1.03.*' is outside what the fit handles" \
		"$src/$rxc" fit --in tiny.csv --out tiny.cfg
	awk -F, -v OFS=, 'NR > 1 { $15 *= 1e290 } 1' sim.csv >vhuge.csv
	one_error "calls 1e293" 1 "vhuge.csv:2: column 'calls': '1.*e+293' is outside what the fit handles" \
		"$src/$rxc" fit --in vhuge.csv --out vhuge.cfg
	awk -F, -v OFS=, 'NR > 1 { $11 = 1e12 } 1' sim.csv >pay.csv
	one_error "payload 1e12" 1 "pay.csv:2: column 'payload_bytes': '1e.12' is not a UDP payload size" \
		"$src/$rxc" fit --in pay.csv --out pay.cfg
	for f in one tiny vhuge pay; do
		[ -e "$f.cfg" ] && bad "$f: calibration written on bad input"
	done
else
	echo "note: rxcalibrate or rxmodel --format measurements unavailable, fit cases skipped"
fi

# ---- @include -----------------------------------------------------------------------------
mkdir -p inc/sub inc/dir work
cp calibration-published.cfg inc/
sed '/^nic:/,/^};/d' gilan.cfg >inc/base.cfg
printf '# shared NIC\nnic:\n{\n  line_rate = "40G";\n  queues = 3;\n  irq_cpus = [0, 1, 2];\n};\n' >inc/nic.cfg
{ cat inc/base.cfg; echo '@include "nic.cfg"'; } >inc/scen.cfg
for d in "$tmp/inc" "$tmp/work" /; do
	if (cd "$d" && "$src/$rxm" --config "$tmp/inc/scen.cfg" --bw 1G "${short[@]}") >inc.out 2>inc.err &&
		grep -q "over 3 queue(s)" inc.out; then
		ok "@include from cwd $d: the fragment's 3 queues are used"
	else
		bad "@include from cwd $d:"; cat inc.err
	fi
done
if (cd inc && "$src/$rxm" --config scen.cfg --bw 1G "${short[@]}") | grep -q "over 3 queue(s)"; then
	ok "@include, scenario named without a directory"
else
	bad "@include, scenario named without a directory"
fi
line=$(($(wc -l <inc/base.cfg) + 1))
{ cat inc/base.cfg; echo '@include "missing.cfg"'; } >inc/miss.cfg
one_error "missing include" 1 "^rxmodel: $tmp/inc/miss.cfg:$line: @include \"missing.cfg\": $tmp/inc/missing.cfg: No such file or directory$" \
	"$src/$rxm" --config "$tmp/inc/miss.cfg" --bw 1G
printf 'scenario: { name = "a"; };\n@include "cyc2.cfg"\n' >inc/cyc1.cfg
printf '\n@include "cyc1.cfg"\n' >inc/cyc2.cfg
one_error "include cycle" 1 "inc/cyc2.cfg:2: @include \"cyc1.cfg\": an include cycle ($tmp/inc/cyc1.cfg is already being read)" \
	timeout 10 "$src/$rxm" --config "$tmp/inc/cyc1.cfg" --bw 1G
printf '@include "self.cfg"\n' >inc/self.cfg
one_error "include of itself" 1 "self.cfg:1: @include \"self.cfg\": an include cycle" \
	timeout 10 "$src/$rxm" --config "$tmp/inc/self.cfg" --bw 1G
printf '\n\n@include "dir"\n' >inc/d.cfg
one_error "include of a directory" 1 "inc/d.cfg:3: @include \"dir\": $tmp/inc/dir is not a regular file" \
	"$src/$rxm" --config "$tmp/inc/d.cfg" --bw 1G
printf '@include "."\n' >inc/dot.cfg
one_error "include of ." 1 "inc/dot.cfg:1: @include \".\": $tmp/inc/. is not a regular file" \
	"$src/$rxm" --config "$tmp/inc/dot.cfg" --bw 1G
printf '@include "%s/inc/nic.cfg"\n' "$tmp" >inc/abs.cfg
one_error "absolute include" 1 "inc/abs.cfg:1: @include \"$tmp/inc/nic.cfg\": an absolute path" \
	"$src/$rxm" --config "$tmp/inc/abs.cfg" --bw 1G
printf 'nic: { ring = 256; };\n' >inc/sub/leaf.cfg
printf '# mid\n@include "leaf.cfg"\n' >inc/sub/mid.cfg
printf '@include "sub/mid.cfg"\n' >inc/nest.cfg
one_error "nested include outside the top directory" 1 "inc/sub/mid.cfg:2: @include \"leaf.cfg\": nested @include in a file outside $tmp/inc/" \
	"$src/$rxm" --config "$tmp/inc/nest.cfg" --bw 1G
printf '# shared NIC\nnic:\n{\n  queues = 2;\n  itr = 5;\n};\n' >inc/nicbad.cfg
{ cat inc/base.cfg; echo '@include "nicbad.cfg"'; } >inc/s2.cfg
one_error "bad key in an included file names that file and line" 1 "^rxmodel: $tmp/inc/nicbad.cfg:5: unknown key 'nic.itr'$" \
	"$src/$rxm" --config "$tmp/inc/s2.cfg" --bw 1G
printf 'nic: { ring = ; };\n' >inc/nicsyn.cfg
{ cat inc/base.cfg; echo '@include "nicsyn.cfg"'; } >inc/s3.cfg
one_error "syntax error in an included file" 1 "^rxmodel: $tmp/inc/nicsyn.cfg:1: syntax error$" \
	"$src/$rxm" --config "$tmp/inc/s3.cfg" --bw 1G
# libconfig ignores @include in comments and strings; so does the check
{ cat inc/base.cfg inc/nic.cfg
  printf '/*\n@include "nothere.cfg"\n*/\n# @include "nothere.cfg"\n'; } >inc/cmt.cfg
if "$src/$rxm" --config "$tmp/inc/cmt.cfg" --bw 1G "${short[@]}" >/dev/null 2>inc.err; then
	ok "@include inside a comment is ignored"
else
	bad "@include inside a comment:"; cat inc.err
fi
# placement files (rxmodel --placement) are read the same way
cp "$src/configs/gilan-chain.cfg" "$src/configs/gilan.cfg" inc/
printf '# the chain, kept apart\n@include "gilan-chain.cfg"\n' >inc/pl.cfg
if (cd work && "$src/$rxm" --placement "$tmp/inc/pl.cfg" --bw 40G "${short[@]}") >pl.out 2>inc.err &&
	(cd work && "$src/$rxm" --placement "$tmp/inc/gilan-chain.cfg" --bw 40G "${short[@]}") |
	tail -n +2 | cmp -s - <(tail -n +2 pl.out); then	# line 1 names the file
	ok "@include in a placement file, from another cwd: the same evaluation as the file itself"
else
	bad "@include in a placement file:"; cat inc.err
fi
printf 'name = "x";\n@include "nochain.cfg"\n' >inc/plmiss.cfg
one_error "missing include in a placement file" 1 "^rxmodel: $tmp/inc/plmiss.cfg:2: @include \"nochain.cfg\": $tmp/inc/nochain.cfg: No such file or directory$" \
	"$src/$rxm" --placement "$tmp/inc/plmiss.cfg" --bw 40G
one_error "a scenario of 16 MiB of zeros" 1 "/dev/zero: File too large" "$src/$rxm" --config /dev/zero --bw 1G

echo "numeric: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
