#!/usr/bin/env python3
"""The threaded NAPI kthread's wake-ups, live against the model, per rate.

Live: the mean over the repeated steps of one or more validate-threaded-all.csv files
(experiments/validate-testbed.sh) of the kthread's wake-ups per second (measurements.csv column
44), those of 32.8 us or more (column 47's log2 slots from 15, LOGHIST_SLOW_SLOT: the halts and
the run-queue waits alike) and their mean latency (column 45). Model: the same three from
`rxmodel --format measurements` (columns 44-47 of the simulated kthread), plus the wake-ups the
simulator found on a halted core (its table's "napi thread" line), with the config given.

Usage: experiments/kthread-wakes.py RXMODEL CONFIG CSV...
  e.g. experiments/kthread-wakes.py .output/rxmodel configs/testbed-threaded.cfg \\
           experiments/data/round2[1-4]/validate-threaded-all.csv
The results are discussed in docs/validation.md ("Thirteenth round").
"""
import collections
import csv
import io
import re
import subprocess
import sys

SLOW_SLOT = 15


def slow_count(hist):
    return sum(int(c) for s, c in (p.split(':') for p in hist.split()) if int(s) >= SLOW_SLOT)


def live(paths):
    agg = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for path in paths:
        seen = set()
        with open(path, newline='') as f:
            for r in csv.DictReader(f):
                if r['step'] in seen or r.get('napi_mode') != 'threaded':
                    continue
                seen.add(r['step'])
                d = float(r['duration_s'])
                a = agg[round(float(r['rate_requested_bps']) / 1e6)]
                a[0] += 1
                a[1] += float(r['napi_wakeups'] or 0) / d
                a[2] += slow_count(r['napi_wake_hist']) / d
                a[3] += float(r['napi_wake_latency_ns'] or 0) / 1e3
    return {k: [v[0]] + [x / v[0] for x in v[1:]] for k, v in agg.items()}


def model(rxmodel, config, rate):
    out = subprocess.run([rxmodel, '--config', config, '--bw', f'{rate}M', '--quiet',
                          '--format', 'measurements'], check=True, capture_output=True,
                         text=True).stdout
    r = next(csv.DictReader(io.StringIO(out)))
    d = float(r['duration_s'])
    table = subprocess.run([rxmodel, '--config', config, '--bw', f'{rate}M', '--quiet'],
                           check=True, capture_output=True, text=True).stdout
    m = re.search(r'(\d+)/s found the core halted', table)
    return (float(r['napi_wakeups']) / d, slow_count(r['napi_wake_hist']) / d,
            float(r['napi_wake_latency_ns']) / 1e3, float(m.group(1)) if m else 0.0)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.split('\n\n')[2])
    rxmodel, config, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    lv = live(paths)
    print(f"{'rate':>6} {'n':>3} | {'live wakes/s':>12} {'>=32.8us/s':>10} {'mean us':>7} | "
          f"{'model wakes/s':>13} {'>=32.8us/s':>10} {'mean us':>7} {'halted/s':>8}")
    for rate in sorted(lv):
        n, w, s, lat = lv[rate]
        mw, ms, ml, mh = model(rxmodel, config, rate)
        print(f"{rate:>5}M {n:>3} | {w:>12.0f} {s:>10.0f} {lat:>7.1f} | "
              f"{mw:>13.0f} {ms:>10.0f} {ml:>7.1f} {mh:>8.0f}")


if __name__ == '__main__':
    main()
