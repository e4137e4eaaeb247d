#!/usr/bin/env bash
# Issue 4's validation on this machine's testbed, end to end, for one NAPI mode:
#   1. REPEATS rxcalibrate runs, each over the fit rates and the held-out rates in its own
#      interleaved order (the VM's speed drifts by 10-40 % over seconds: interleaving spreads
#      the drift over both sets, and the repeats show how large it is);
#   2. rxcalibrate fit on the fit rates of all runs;
#   3. rxcalibrate validate on the held-out rates (one between fitted rates, one above them):
#      per step, per rate (mean of the repeats, their spread) and over all steps;
#   4. each drop variant measured live REPEATS times at each of VARIANT_RATES (200M), validated
#      against the fit (the baseline's costs, and with DROPS the drops' own work: both ways).
# Usage: experiments/validate-testbed.sh OUTPUT_DIR MODE [DATA_DIR]
#   MODE softirq or threaded; DATA_DIR default experiments/data. Needs root and BPF.
#   Environment: REPEATS (default 3), DURATION per step (default 6s), LOCK (default
#   /tmp/rxlive.lock: each live run holds it, so other users of the testbed get in between);
#   REFIT=1: no live run, refit and revalidate DATA_DIR's validate-MODE-all.csv and
#   validate-MODE-VARIANT.csv (after a change to the fit or the model); with POOL="DIR1 DIR2"
#   the steps of those directories instead, one after another (rounds measured by the same
#   code), the results going to DATA_DIR; APPEND=1: the new runs'
#   steps are added after DATA_DIR's (more repeats of the same rates, steps renumbered), and
#   the fit and validations use them all; FOREIGN_MAX=S: leave out of the fit and the
#   validations the steps in which other processes took more than S of the CPUs (default: none
#   left out; the shares are in validate-MODE-*-foreign.csv); RUN_OPTS: more rxcalibrate run
#   options for every live run (e.g. "--sampler perf --sample-hz 1000"); SHIPPED: the
#   calibration every step and variant is also validated against, out of sample (default
#   the shipped configs/calibration-testbed[-softirq].cfg; none: skip), with the speed
#   canary's reference from the fit steps (--canary-ref) when they carry it. LOCAL=1
#   (softirq) / REMOTE=1 (threaded): each repeat runs its rates a second time in the other
#   placement: softirq with the receiving application on the receive path's CPU (--rx-cpu 0;
#   validate-softirq-local.csv), threaded with the NAPI kthread away from it (--napi-cpu 0;
#   validate-threaded-remote.csv); the fit takes those fit steps too, so that it can tell the
#   cost of buffers the application reads on another CPU (remote_ns, docs/fit.md "Buffers read
#   on another CPU") and of its wake-ups across CPUs from the rest; their held-out steps are
#   validated apart (validation-MODE-local|remote.{csv,txt}). With REFIT=1 the data's file of
#   the other placement is used when there is one.
#   VARIANT_RATES="100M 200M 400M": the rates each drop variant is measured at (default 200M),
#   REPEATS times each, so that a drop_ns fitted at one rate is checked at the others;
#   FIT_RATES="...", HELD_RATES="...": the rates fitted and held out (default "50M 100M 200M
#   300M 400M" and "150M 600M");
#   HOST=0: the round's validations simulate the scenario's idle exits and sender (validate
#   --host scenario); by default (HOST=1) the host's own, which the fit measured (the
#   calibration's host group, which validate applies; docs/validation.md, "Seventeenth round"),
#   and the scenario with them is kept beside them (experiments/host-scenario.sh);
#   SPEED_CHECK=0: no host-speed check before the live runs (experiments/host-speed.sh; a
#   slowed host stops the round unless FORCE=1);
#   DROPS="FILE...": drop-variant measurements of other steps (rxcalibrate run --variant) for
#   the fit's drop_ns, each variant's own work at its drop stage (rxcalibrate fit --drops); the
#   variants are then validated with it and without it (validation-MODE-VARIANT-without-drops).
# Writes DATA_DIR/validate-MODE-{all,fit,heldout}.csv, calibration-MODE.cfg, fit-MODE.txt,
# validation-MODE.{csv,txt}, validate-MODE-VARIANT.csv and validation-MODE-VARIANT.{csv,txt};
# and DATA_DIR/oos/validation-MODE[-VARIANT].{csv,txt} against SHIPPED;
# nothing in DATA_DIR changes unless every run, fit and validation succeeded.
set -eu
out=${1:?usage: $0 OUTPUT_DIR MODE [DATA_DIR]}
mode=${2:?usage: $0 OUTPUT_DIR MODE [DATA_DIR]}
data=${3:-experiments/data}
bin=$out/rxcalibrate
fit_rates=${FIT_RATES:-"50M 100M 200M 300M 400M"}
held_rates=${HELD_RATES:-"150M 600M"}
# one interleaved order per repeat (cycled): fit and held-out rates alternate
orders=("50M,150M,400M,100M,600M,300M,200M" "200M,300M,600M,100M,400M,150M,50M"
	"100M,600M,50M,300M,150M,400M,200M")
# FIT_RATES / HELD_RATES: other rates; each repeat then takes all of them in turn, shifted by
# one more rate each repeat and every other repeat reversed
if [ -n "${FIT_RATES:-}${HELD_RATES:-}" ]; then
	read -r -a all_rates <<<"$fit_rates $held_rates"
	orders=()
	for ((i = 0; i < ${REPEATS:-3}; i++)); do
		o=
		for ((k = 0; k < ${#all_rates[@]}; k++)); do
			o+="${all_rates[(k + i) % ${#all_rates[@]}]},"
		done
		if ((i % 2)); then o=$(echo "${o%,}" | tr , '\n' | tac | paste -sd,); else o=${o%,}; fi
		orders+=("$o")
	done
fi
# VARIANT_RATES: the rates each drop variant is measured at, each REPEATS times, interleaved
read -r -a variant_rates <<<"${VARIANT_RATES:-200M}"
reps=${REPEATS:-3}
dur=${DURATION:-6}
lock=${LOCK:-/tmp/rxlive.lock}
fmax=${FOREIGN_MAX:-1e9}
run_opts=${RUN_OPTS:-}
case $mode in softirq|threaded) ;; *) echo "$0: MODE must be softirq or threaded" >&2; exit 2 ;; esac
# the other placement: softirq runs the receiver on the sender's CPU, which polls (LOCAL=1);
# threaded runs the NAPI kthread there, away from the receiver (REMOTE=1)
if [ "$mode" = softirq ]; then
	alt=local alt_opt="--rx-cpu 0" alt_var=LOCAL local_runs=${LOCAL:-0}
	[ "${REMOTE:-0}" = 0 ] || { echo "$0: REMOTE=1 is for threaded mode (softirq: LOCAL=1)" >&2; exit 2; }
else
	alt=remote alt_opt="--napi-cpu 0" alt_var=REMOTE local_runs=${REMOTE:-0}
	[ "${LOCAL:-0}" = 0 ] || { echo "$0: LOCAL=1 is for softirq mode (threaded: REMOTE=1)" >&2; exit 2; }
fi
[ "${APPEND:-0}" != 1 ] || [ "$local_runs" != 0 ] || [ ! -e "$data/validate-$mode-$alt.csv" ] ||
	{ echo "$0: $data has steps of the other placement (validate-$mode-$alt.csv): APPEND=1 needs $alt_var=1 there" >&2; exit 2; }
[ -x "$bin" ] || { echo "$0: $bin not built (make OUTPUT=$out)" >&2; exit 2; }
mkdir -p "$data"
tmp=$(mktemp -d "$data/.validate-$mode.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# live OUT ARGS...: one rxcalibrate run writing OUT, holding the testbed lock. The lock keeps
# other live runs out, not builds or test suites, which on a 2-CPU VM take whole CPUs. So while
# it runs, every 0.5 s, the machine's busy CPU time (/proc/stat: user nice system irq softirq
# steal, tick-sampled) and rxcalibrate's (/proc/PID/stat utime stime cutime cstime) are sampled,
# and each step line it prints is timestamped; then per step (window = the duration_s before
# its line)
#   foreign share = (machine busy - irq/softirq - rxcalibrate - NAPI kthread) / (window × CPUs)
# goes to OUT.foreign as "step,foreign_share" (the kthread's time from the CSV, exact). The two
# clocks differ (ticks against runtime): on runs with nothing else going on it reads -0.12..0,
# with a compiler running beside it 0.24..0.54 (docs/validation.md).
live() {
	local o=$1 pid
	shift
	(
		flock 9
		# shellcheck disable=SC2086 # RUN_OPTS: options, one per word
		"$bin" run --napi "$mode" --duration "$dur" --quiet --out "$o" $run_opts "$@" \
			2> >(while IFS= read -r l; do
				printf '%s %s\n' "$(date +%s.%N)" "$l" >>"$o.err"
				printf '%s\n' "$l" >&2
			done) &
		pid=$!
		while kill -0 "$pid" 2>/dev/null; do
			printf '%s %s %s\n' "$(date +%s.%N)" \
				"$(awk '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / 100,
					($7 + $8) / 100 }' /proc/stat)" \
				"$(awk '{ print ($14 + $15 + $16 + $17) / 100 }' /proc/$pid/stat \
					2>/dev/null)" >>"$o.samples"
			sleep 0.5
		done
		wait "$pid"
	) 9>"$lock"
	awk -v n="$(nproc)" '
		FILENAME ~ /samples$/ { if (NF == 4) { ts[++ns] = $1; bz[ns] = $2; ir[ns] = $3
				pr[ns] = $4 } next }
		FILENAME ~ /err$/ { if ($2 == "step") { split($3, a, "/"); end[a[1]] = $1 } next }
		FNR == 1 { m = split($0, h, ","); for (i = 1; i <= m; i++) c[h[i]] = i; next }
		{ split($0, x, ",") }
		x[c["stage"]] == "poll" { st = x[c["step"]]; d[st] = x[c["duration_s"]]
			kt[st] = x[c["napi_thread_ns"]] / 1e9 }
		function at(t, v,  i) {	# v at time t, linear between the samples around it
			for (i = 2; i <= ns; i++)
				if (ts[i] >= t)
					return v[i - 1] + (v[i] - v[i - 1]) * (t - ts[i - 1]) / (ts[i] - ts[i - 1])
			return v[ns] }
		END { print "step,foreign_share"
			for (st in d) { e = end[st]; b = e - d[st]
				if (!e || !ns || b < ts[1]) { printf "%d,nan\n", st; continue }
				f = at(e, bz) - at(b, bz) - (at(e, ir) - at(b, ir)) \
				    - (at(e, pr) - at(b, pr)) - kt[st]
				printf "%d,%.3f\n", st, f / (d[st] * n) } }' \
		"$o.samples" "$o.err" "$o" | sort -t, -k1,1n >"$o.foreign"
	rm -f "$o.samples" "$o.err"
}

cat_runs() {	# cat_runs OUT RUN.csv...: one file, steps renumbered 1.. across the runs; the runs'
	# RUN.csv.foreign files (if any) likewise into OUT.foreign. Files written before a column
	# was appended to measurements.csv get it as 0, empty for the text columns *_wake_hist, -1
	# (unknown: the fit takes the testbed's default placement) for rx_cpu and napi_cpu (the
	# widest header is kept).
	local o=$1
	shift
	awk -F, -v OFS=, -v fo="$o.foreign" '
		BEGIN { for (i = 1; i < ARGC; i++) { if ((getline l < ARGV[i]) > 0 &&
				split(l, h, ",") > hn) { hn = split(l, h, ","); hdr = l }
				close(ARGV[i]) }
			split(hdr, wh, ","); print hdr }
		FNR == 1 { base = last; ff = FILENAME ".foreign"
			while ((getline l < ff) > 0) { split(l, a, ",")
				if (a[1] ~ /^[0-9]+$/) { fs[a[1] + base] = a[2]; any = 1 } }
			close(ff); next }
		{ $1 = $1 + base; if ($1 > last) last = $1
			for (k = NF + 1; k <= hn; k++) $k = wh[k] ~ /_wake_hist$/ ? "" : wh[k] ~ /^(rx|napi)_cpu$/ ? -1 : 0
			print }
		END { if (any) { print "step,foreign_share" >fo
				for (k = 1; k <= last; k++) if (k in fs) print k "," fs[k] >fo } }' "$@" >"$o"
}

# clean IN OUT: the rows of steps whose foreign share (IN.foreign) is at most FOREIGN_MAX; steps
# without a share (older data) are kept
clean() {
	awk -F, -v max="$fmax" -v ff="$1.foreign" '
		BEGIN { while ((getline l < ff) > 0) { split(l, a, ","); if (a[1] ~ /^[0-9]+$/) fs[a[1]] = a[2] } }
		NR == 1 { print; next }
		!($1 in fs) || fs[$1] == "nan" || fs[$1] + 0 <= max + 0' "$1" >"$2"
}

runs=() lruns=()
all=$tmp/validate-$mode-all.csv
prev() {	# prev NAME [DIR]: DIR's (DATA_DIR's) NAME.csv and its foreign shares NAME-foreign.csv
	# into $tmp as prev-NAME.csv (prev-K-NAME.csv for the K-th DIR of POOL)
	local src=${2:-$data} to=$tmp/prev-${3:+$3-}$1.csv
	cp "$src/$1.csv" "$to"
	[ ! -e "$src/$1-foreign.csv" ] || cp "$src/$1-foreign.csv" "$to.foreign"
}
# before live runs, whether the host runs the VM at its usual speed (experiments/host-speed.sh
# against the softirq calibration's canary): a slowed round measures another machine.
# SPEED_CHECK=0 skips it; a slowed host stops the round unless FORCE=1
if [ "${REFIT:-0}" != 1 ] && [ "${SPEED_CHECK:-1}" != 0 ]; then
	speed=0
	LOCK=$lock "$(dirname "$0")/host-speed.sh" "$out" configs/calibration-testbed-softirq.cfg >&2 ||
		speed=$?
	case $speed in
	0) ;;
	1) [ "${FORCE:-0}" = 1 ] || { echo "$0: the host is slowing the VM (above); run later, or FORCE=1 (SPEED_CHECK=0 skips the check)" >&2; exit 1; } ;;
	*) echo "$0: speed check not possible (above); going on" >&2 ;;
	esac
fi
if [ "${REFIT:-0}" = 1 ]; then
	# POOL="DIR1 DIR2 ...": the steps of those data directories, renumbered one after another
	read -r -a pool <<<"${POOL:-$data}"
	for v in all xdp-drop netfilter-drop tc-drop "$alt"; do
		files=()
		for k in "${!pool[@]}"; do
			[ "$v" != "$alt" ] || [ -e "${pool[k]}/validate-$mode-$alt.csv" ] || continue
			prev "validate-$mode-$v" "${pool[k]}" "$k"
			files+=("$tmp/prev-$k-validate-$mode-$v.csv")
		done
		[ ${#files[@]} = 0 ] || cat_runs "$tmp/validate-$mode-$v.csv" "${files[@]}"
	done
	if [ -e "$tmp/validate-$mode-$alt.csv" ]; then
		local_runs=1
	elif [ "$local_runs" != 0 ]; then
		echo "$0: $alt_var=1: no validate-$mode-$alt.csv in ${pool[*]}" >&2
		exit 2
	fi
else
	for ((i = 0; i < reps; i++)); do
		order=${orders[i % ${#orders[@]}]}
		echo "== run $((i + 1))/$reps: $order ($mode NAPI, ${dur}s per step)" >&2
		live "$tmp/run$i.csv" --rates "$order"
		runs+=("$tmp/run$i.csv")
		if [ "$local_runs" != 0 ]; then
			echo "== run $((i + 1))/$reps, $alt_opt: $order" >&2
			# shellcheck disable=SC2086 # one option and its value
			live "$tmp/local$i.csv" --rates "$order" $alt_opt
			lruns+=("$tmp/local$i.csv")
		fi
	done
	if [ "$local_runs" != 0 ]; then
		if [ "${APPEND:-0}" = 1 ] && [ -e "$data/validate-$mode-$alt.csv" ]; then
			prev "validate-$mode-$alt"
			lruns=("$tmp/prev-validate-$mode-$alt.csv" "${lruns[@]}")
		fi
		cat_runs "$tmp/validate-$mode-$alt.csv" "${lruns[@]}"
	fi
	if [ "${APPEND:-0}" = 1 ]; then
		prev "validate-$mode-all"
		cat_runs "$all" "$tmp/prev-validate-$mode-all.csv" "${runs[@]}"
	else
		cat_runs "$all" "${runs[@]}"
	fi
fi

split() {	# split RATES OUT [IN]: the header and the rows of IN (the steps used) whose
	# requested rate is in RATES
	awk -F, -v want="$1" 'BEGIN { n = split(want, r, " ")
		for (i = 1; i <= n; i++) { v = r[i]; m = 1
			if (v ~ /G$/) m = 1e9; else if (v ~ /M$/) m = 1e6; else if (v ~ /k$/) m = 1e3
			sub(/[kMG]$/, "", v); keep[v * m] = 1 } }
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
		($c["rate_requested_bps"] + 0) in keep' "${3:-$tmp/all-used.csv}" >"$2"
}
used() {	# used IN OUT: clean, and say how many steps it left out
	clean "$1" "$2"
	awk -F, -v f="$(basename "$1")" -v max="$fmax" '
		FILENAME == ARGV[1] { if (FNR > 1) a[$1] = 1; next } FNR > 1 { u[$1] = 1 }
		END { for (k in a) if (!(k in u)) { n++; l = l " " k }
			if (n) printf "== %s: %d step(s) left out, other processes took more than " \
				"%s of the CPUs:%s\n", f, n, max, l > "/dev/stderr" }' "$1" "$2"
}
used "$all" "$tmp/all-used.csv"
split "$fit_rates" "$tmp/validate-$mode-fit.csv"
split "$held_rates" "$tmp/validate-$mode-heldout.csv"
if [ "$local_runs" != 0 ]; then
	# the fit takes both placements' fit steps, renumbered one after the other
	used "$tmp/validate-$mode-$alt.csv" "$tmp/local-used.csv"
	split "$fit_rates" "$tmp/alt-fit.csv" "$tmp/local-used.csv"
	split "$held_rates" "$tmp/validate-$mode-$alt-heldout.csv" "$tmp/local-used.csv"
	mv "$tmp/validate-$mode-fit.csv" "$tmp/main-fit.csv"
	cat_runs "$tmp/validate-$mode-fit.csv" "$tmp/main-fit.csv" "$tmp/alt-fit.csv"
	rm -f "$tmp/main-fit.csv" "$tmp/alt-fit.csv" "$tmp/validate-$mode-fit.csv.foreign"
fi

echo "== fit" >&2
# DROPS="FILE...": drop-variant measurements (rxcalibrate run --variant) the fit takes for each
# variant's own work at its drop stage (rxcalibrate fit --drops); they should be other steps than
# the variants validated below, for those to stay out of sample
drops=()
for f in ${DROPS:-}; do
	[ -r "$f" ] || { echo "$0: DROPS: cannot read $f" >&2; exit 2; }
	drops+=(--drops "$f")
done
"$bin" fit --in "$tmp/validate-$mode-fit.csv" --out "$tmp/calibration-$mode.cfg" \
	--name "testbed-$mode" ${drops[@]+"${drops[@]}"} >"$tmp/fit-$mode.txt"
# HOST=1 (default): the validations simulate the host's own idle exits and sender, as the fit
# measured them (validate applies the calibration's host group; the scenario with them is kept as
# scenario-MODE.cfg); HOST=0: the scenario's
hostcfg=(--host scenario)
if [ "${HOST:-1}" = 1 ]; then
	[ "$mode" = threaded ] && scen=configs/testbed-threaded.cfg || scen=configs/testbed.cfg
	# a fit without host lines: validate falls back to the scenario's, and says so
	experiments/host-scenario.sh "$scen" "$tmp/calibration-$mode.cfg" "$tmp/scenario-$mode.cfg" \
		2>"$tmp/host.err" || { cat "$tmp/host.err" >&2
		echo "$0: no host lines in the fit: the scenario's are simulated" >&2; }
	rm -f "$tmp/host.err"
	hostcfg=()
fi
echo "== validate held-out rates" >&2
"$bin" validate --measured "$tmp/validate-$mode-heldout.csv" \
	${hostcfg[@]+"${hostcfg[@]}"} \
	--calibration "$tmp/calibration-$mode.cfg" --out "$tmp/validation-$mode.csv" \
	>"$tmp/validation-$mode.txt"
if [ "$local_runs" != 0 ]; then
	echo "== validate held-out rates, $alt_opt" >&2
	"$bin" validate --measured "$tmp/validate-$mode-$alt-heldout.csv" \
		${hostcfg[@]+"${hostcfg[@]}"} \
		--calibration "$tmp/calibration-$mode.cfg" --out "$tmp/validation-$mode-$alt.csv" \
		>"$tmp/validation-$mode-$alt.txt"
fi
vrates=
for ((i = 0; i < reps; i++)); do	# each repeat the rates in turn, every other one reversed
	if ((i % 2)); then
		for ((k = ${#variant_rates[@]} - 1; k >= 0; k--)); do vrates+="${variant_rates[k]},"; done
	else
		for r in "${variant_rates[@]}"; do vrates+="$r,"; done
	fi
done
for v in xdp-drop netfilter-drop tc-drop; do
	if [ "${REFIT:-0}" != 1 ]; then
		echo "== variant $v at ${variant_rates[*]}, $reps steps each" >&2
		live "$tmp/validate-$mode-$v.csv" --rates "${vrates%,}" --variant "$v"
		if [ "${APPEND:-0}" = 1 ]; then
			mv "$tmp/validate-$mode-$v.csv" "$tmp/new-$v.csv"
			mv "$tmp/validate-$mode-$v.csv.foreign" "$tmp/new-$v.csv.foreign"
			prev "validate-$mode-$v"
			cat_runs "$tmp/validate-$mode-$v.csv" "$tmp/prev-validate-$mode-$v.csv" \
				"$tmp/new-$v.csv"
		fi
	fi
	used "$tmp/validate-$mode-$v.csv" "$tmp/validate-$mode-$v-used.csv"
	"$bin" validate --measured "$tmp/validate-$mode-$v-used.csv" \
		${hostcfg[@]+"${hostcfg[@]}"} \
		--calibration "$tmp/calibration-$mode.cfg" --out "$tmp/validation-$mode-$v.csv" \
		>"$tmp/validation-$mode-$v.txt"
	# with DROPS, the issue's comparison too: the variant from the baseline's costs alone
	[ ${#drops[@]} = 0 ] ||
		"$bin" validate --measured "$tmp/validate-$mode-$v-used.csv" --without-drops \
			${hostcfg[@]+"${hostcfg[@]}"} \
			--calibration "$tmp/calibration-$mode.cfg" \
			--out "$tmp/validation-$mode-$v-without-drops.csv" \
			>"$tmp/validation-$mode-$v-without-drops.txt"
done
# out of sample: every step used and each variant against the shipped calibration (SHIPPED, or
# none), the speed canary's reference from the fit steps if they carry it
[ "$mode" = threaded ] && ship=configs/calibration-testbed.cfg ||
	ship=configs/calibration-testbed-softirq.cfg
ship=${SHIPPED:-$ship}
if [ "$ship" != none ]; then
	echo "== out of sample: $ship" >&2
	mkdir "$tmp/oos"
	ref=()
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "canary_rx_ns") c = i; next }
		c && $c > 0 { found = 1 } END { exit !found }' "$tmp/validate-$mode-fit.csv" &&
		ref=(--canary-ref "$tmp/validate-$mode-fit.csv")
	for v in all xdp-drop netfilter-drop tc-drop; do
		[ "$v" = all ] && in=$tmp/all-used.csv o=$tmp/oos/validation-$mode ||
			in=$tmp/validate-$mode-$v-used.csv o=$tmp/oos/validation-$mode-$v
		"$bin" validate --measured "$in" --calibration "$ship" "${ref[@]}" --out "$o.csv" \
			>"$o.txt"
	done
	sed -i "s|$tmp/all-used.csv|$data/validate-$mode-all.csv (steps used)|g; s|$tmp/|$data/|g" \
		"$tmp"/oos/*.txt
fi
# the calibration keeps the paths it was fitted from: name the files of DATA_DIR
sed -i "s|$tmp/|$data/|g" "$tmp/calibration-$mode.cfg" "$tmp"/*.txt
# keep: the runs' steps and their foreign shares (NAME-foreign.csv), the steps used, fit, results
for f in "$tmp"/validate-"$mode"-*.csv.foreign; do
	[ ! -e "$f" ] || mv "$f" "${f%.csv.foreign}-foreign.csv"
done
rm -f "$tmp"/run*.csv* "$tmp"/local[0-9]*.csv* "$tmp"/prev-* "$tmp"/all-used.csv "$tmp"/local-used.csv
if [ -d "$tmp/oos" ]; then
	mkdir -p "$data/oos"
	mv "$tmp"/oos/* "$data/oos/"
	rmdir "$tmp/oos"
fi
mv "$tmp"/* "$data"/
cat "$data/validation-$mode.txt"
[ "$local_runs" = 0 ] || grep -E '^(all steps: receive|all steps, per stage)' \
	"$data/validation-$mode-$alt.txt"
for v in xdp-drop netfilter-drop tc-drop; do
	grep -E '^(all steps: receive|target|all steps, per stage|at the |at speed, all steps: receive)' \
		"$data/validation-$mode-$v.txt"
done
