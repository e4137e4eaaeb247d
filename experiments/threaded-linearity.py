#!/usr/bin/env python3
"""Is the threaded NAPI kthread's CPU time linear in its polls and packets?

Reads a validate-threaded-all.csv (experiments/validate-testbed.sh) and prints, per rate, the
means of the repeated steps: polls, packets and receiver sleeps per second, the stages' sum
(every stage but app and cs, from samples) and the NAPI kthread's exact CPU time (schedstat,
column napi_thread_ns). Then it fits both totals by least squares on the fit rates (50-400
Mbit/s) with several regressor sets, among them the cold-poll term of docs/fit.md for a range
of ramps, and prints the error of each fit at the held-out 150 and 600 Mbit/s.

Usage: experiments/threaded-linearity.py experiments/data/round4to8/validate-threaded-all.csv
The results are discussed in docs/validation.md ("Why threaded 600 Mbit/s misses").
No third-party module: the normal equations are solved by Gaussian elimination.
"""
import collections
import csv
import sys

HELD = (150, 600)


def lstsq(rows, y):
    """Least squares by the normal equations (a handful of columns, well scaled)."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
    b = [sum(r[i] * v for r, v in zip(rows, y)) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            f = a[j][i] / a[i][i]
            for k in range(n):
                a[j][k] -= f * a[i][k]
            b[j] -= f * b[i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (b[i] - sum(a[i][k] * x[k] for k in range(i + 1, n))) / a[i][i]
    return x


def main(path):
    steps = collections.defaultdict(dict)
    for r in csv.DictReader(open(path)):
        steps[r["step"]][r["stage"]] = r
    data = []
    for s in steps.values():
        p = s["poll"]
        d = float(p["duration_s"])
        x = {
            "rate": round(float(p["rate_requested_bps"]) / 1e6),
            "one": 1.0,
            "polls": float(p["polls"]) / d / 1e3,
            "packets": float(p["packets"]) / d / 1e3,
            "sleeps": float(p["rx_thread_runs"]) / d / 1e3,
            "kthread": float(p["napi_thread_ns"]) / d / 1e6,
            "stages": sum(float(v["cpu_ns"]) for k, v in s.items()
                          if k not in ("app", "cs")) / d / 1e6,
            "busy": (float(p["napi_thread_ns"]) + float(p["rx_thread_ns"])) / d / 1e9,
        }
        data.append(x)
    print("rate Mbit/s  steps  polls k/s  packets k/s  sleeps k/s  stages ms/s  "
          "kthread ms/s  stages/kthread   (sleeps: steps that recorded them)")
    for rate in sorted({x["rate"] for x in data}):
        a = [x for x in data if x["rate"] == rate]
        m = {k: sum(x[k] for x in a) / len(a) for k in a[0]}
        slept = [x["sleeps"] for x in a if x["sleeps"] > 0]
        m["sleeps"] = sum(slept) / len(slept) if slept else 0
        print("%10d %6d %10.1f %12.1f %11.1f %12.1f %13.1f %15.2f" %
              (rate, len(a), m["polls"], m["packets"], m["sleeps"], m["stages"],
               m["kthread"], m["stages"] / m["kthread"]))

    def report(label, cols, target):
        # the receiver's sleeps (rx_thread_runs) are 0 in rounds that did not record them:
        # a fit on them uses only the steps that did
        rows = [x for x in data if "sleeps" not in cols or x["sleeps"] > 0]
        if len(rows) < len(data):
            label += " (%d steps)" % len(rows)
        fit = [x for x in rows if x["rate"] not in HELD]
        b = lstsq([[x[c] for c in cols] for x in fit], [x[target] for x in fit])
        out = []
        for rate in HELD:
            a = [x for x in rows if x["rate"] == rate]
            pred = sum(sum(bb * x[c] for bb, c in zip(b, cols)) for x in a) / len(a)
            meas = sum(x[target] for x in a) / len(a)
            out.append("%d: %+.1f %%" % (rate, (pred / meas - 1) * 100))
        print("%-8s %-32s %-30s %s" % (target, label,
                                        " ".join("%.2f" % v for v in b), ", ".join(out)))

    print("\nfits on 50-400 Mbit/s (coefficients: us per poll / packet / sleep / cold poll, "
          "ms/s for one), error at the held-out rates:")
    for target in ("kthread", "stages"):
        report("polls + packets", ["polls", "packets"], target)
        report("one + polls + packets", ["one", "polls", "packets"], target)
        report("polls + packets + sleeps", ["polls", "packets", "sleeps"], target)
        for tau in (100, 200, 400, 1000):
            for x in data:
                gap_us = (1 - x["busy"]) / (x["polls"] * 1e3) * 1e6
                x["cold"] = x["polls"] * min(1.0, gap_us / tau)
            report("polls + packets + cold %d us" % tau, ["polls", "packets", "cold"], target)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: %s validate-threaded-all.csv" % sys.argv[0])
    main(sys.argv[1])
