#!/usr/bin/env bash
# A testbed scenario with the host's own dynamics from a calibration: `rxcalibrate fit` writes,
# in the calibration's host group (before it had one, as comments at its top), the lines of a
# scenario's cpu and traffic groups it measured in the same steps (docs/fit.md, "Idle exits for
# the model" and the sender's lines):
# idle_exit_hist (and idle_exit_deep_us, halt_poll_us when it tells them), sender_call_us,
# sender_frame_us, sender_wake_hist, sender_wake_by_sleep. This writes SCENARIO with each of
# those keys it has replaced by the calibration's, so that rxmodel and rxcalibrate validate
# simulate the wake-ups and the sender of the host the costs were measured on (the VM's host
# changes them: docs/validation.md, "Fifteenth round"). rxcalibrate validate does the same by
# itself (its --host calibration, the default), and rxmodel with --host calibration; this script
# writes the scenario out, and reads the calibrations fitted before the host group.
# Usage: experiments/host-scenario.sh SCENARIO CALIBRATION OUT
#   e.g. experiments/host-scenario.sh configs/testbed-threaded.cfg \
#            experiments/data/round39/calibration-threaded.cfg /tmp/host-threaded.cfg
#        rxcalibrate validate --config /tmp/host-threaded.cfg --measured ... --calibration ...
# Prints (stderr) the keys replaced; a key the calibration has and SCENARIO lacks is named on stderr
# and left out. Exit 2 on a usage error or when the calibration has none of them; OUT is
# written whole or not at all.
set -eu
usage="usage: $0 SCENARIO CALIBRATION OUT"
scen=${1:?$usage}
cal=${2:?$usage}
out=${3:?$usage}
[ -r "$scen" ] || { echo "$0: cannot read $scen" >&2; exit 2; }
[ -r "$cal" ] || { echo "$0: cannot read $cal" >&2; exit 2; }
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# the calibration's lines: "#   key = value;  # note", one line each, before its first group
awk -v scen="$scen" '
	FNR == NR {
		if ($0 !~ /^#/) { body = 1 }
		if ($0 ~ /^  host:/) { inhost = 1 }
		else if (inhost && $0 ~ /^  };/) { inhost = 0 }
		if ((!body && match($0, /^#   [a-z_]+ = /)) || (inhost && match($0, /^    [a-z_]+ = /))) {
			k = substr($0, RSTART, RLENGTH); sub(/^[# ]*/, "", k); sub(/ = .*/, "", k)
			v = substr($0, RLENGTH + 1); sub(/;.*/, "", v)
			if (k ~ /^(idle_exit_hist|idle_exit_deep_us|halt_poll_us|sender_call_us|sender_frame_us|sender_wake_hist|sender_wake_by_sleep)$/) {
				val[k] = v; n++
			}
		}
		next
	}
	FNR == 1 && !n { print "no host lines (idle exits, sender) in the calibration" > "/dev/stderr"; bad = 1; exit 2 }
	skip { if ($0 ~ /;/) skip = 0; next }
	{
		k = $0
		if (match(k, /^[ \t]*[a-z_]+ = /)) {
			ind = k; sub(/[^ \t].*/, "", ind)
			sub(/^[ \t]*/, "", k); sub(/ = .*/, "", k)
			if (k in val && !(k in done)) {
				print ind k " = " val[k] ";  # the calibration'"'"'s host"
				done[k] = 1
				if ($0 !~ /;/) skip = 1
				next
			}
		}
		print
	}
	END {
		if (bad) exit 2
		for (k in val) if (!(k in done)) printf "%s: %s not in %s: left out\n", FILENAME, k, scen > "/dev/stderr"
		printf "replaced:" > "/dev/stderr"
		for (k in done) printf " %s", k > "/dev/stderr"
		print "" > "/dev/stderr"
	}' "$cal" "$scen" >"$tmp" || exit 2
mv "$tmp" "$out"
trap - EXIT
