#!/usr/bin/env bash
# Simulator speed and memory: configs/gilan.cfg with 64-byte frames at 10 GbE line rate
# (14.88 Mpps offered), 1 s and 10 s of simulated time, constant (back-to-back) and Poisson
# arrivals. Prints simulated frames per wall-clock second and peak RSS (rxmodel --stats).
# Usage: experiments/bench.sh [OUTPUT_DIR]
set -eu
out=${1:-.output}
rx="$out/rxmodel"
echo "bench: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, one simulation thread"
for arrivals in constant poisson; do
	for d in 1s 10s; do
		printf 'bench: gilan 64 B 14.88 Mpps %-8s %4s: ' "$arrivals" "$d"
		"$rx" --config configs/gilan.cfg --size 64 --pps 14.88M --arrivals "$arrivals" \
			--duration "$d" --quiet --stats 2>&1 >/dev/null | sed 's/^rxmodel: stats: //'
	done
done
if [ -x experiments/bench-calibrate.sh ]; then
	experiments/bench-calibrate.sh "$out"
fi
