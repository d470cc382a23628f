#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/nis.sh's table: nis_summary.py NIS_CSV [CPU]. NIS_CSV holds
# osnic-nis-client's rows labelled SERVER/RUN/ROUND (RUN: closed, open50,
# serial); every figure is the median over the rounds. Prints tirpc's and
# osnic-run's figures, osnic-run/tirpc and the targets (met or MISSED) as a
# Markdown table. CPU: the server's CPU, the one /proc/stat was read for.
import csv
import statistics
import sys

path = sys.argv[1]
cpu = sys.argv[2] if len(sys.argv) > 2 else "N"
SERVERS = ["tirpc", "osnic-run"]

runs = {}  # (server, run) -> [rows]
with open(path) as f:
    for r in csv.DictReader(f):
        s, run, _ = r["label"].split("/")
        runs.setdefault((s, run), []).append(r)


def fig(s, run, col):
    vals = []
    for r in runs.get((s, run), []):
        try:
            v = float(r[col])
        except (TypeError, ValueError):
            continue
        if v == v:  # not NaN
            vals.append(v)
    return statistics.median(vals) if vals else None


def total(s, col):
    return sum(int(r[col]) for (srv, _), rows in runs.items() if srv == s for r in rows)


# (label, run, column, target): target (op, bound) on osnic-run/tirpc.
ROWS = [
    ("closed loop, 32 outstanding: lookups/s", "closed", "throughput", (">=", 1.5)),
    ("closed: p50 us", "closed", "p50_us", None),
    ("closed: p99 us", "closed", "p99_us", None),
    ("closed: server CPU (ypserv, osnicd, NAPI) s per M lookups", "closed", "server_cpu_s_per_M", ("<=", 0.75)),
    ("closed: CPU %s busy s per M lookups" % cpu, "closed", "stat_cpu_s_per_M", ("<=", 0.75)),
    ("open at 50 %% of tirpc's max: lookups/s", "open50", "offered_rate", None),
    ("open 50 %: p50 us", "open50", "p50_us", None),
    ("open 50 %: p99 us", "open50", "p99_us", ("<=", 0.8)),
    ("open 50 %: server CPU (ypserv, osnicd, NAPI) s per M lookups", "open50", "server_cpu_s_per_M", None),
    ("open 50 %%: CPU %s busy s per M lookups" % cpu, "open50", "stat_cpu_s_per_M", None),
    ("1 call in flight: lookups/s", "serial", "throughput", None),
    ("1 call in flight: p99 us", "serial", "p99_us", None),
]


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "{:,.0f}".format(v)
    if v >= 100:
        return "%.0f" % v
    return "%.2f" % v if v < 10 else "%.1f" % v


rounds = max((len(v) for v in runs.values()), default=0)
wrong = {s: total(s, "wrong") for s in SERVERS}
print("| metric | tirpc | osnic-run | osnic-run/tirpc | target |")
print("|---|---|---|---|---|")
for label, run, col, target in ROWS:
    a, b = fig("tirpc", run, col), fig("osnic-run", run, col)
    ratio = b / a if a and b is not None else None
    t = ""
    if target:
        op, bound = target
        ok = ratio is not None and (ratio >= bound if op == ">=" else ratio <= bound)
        # A wrong answer voids every target.
        ok = ok and not any(wrong.values())
        t = "%s %.2f: %s" % ("≥" if op == ">=" else "≤", bound, "met" if ok else "MISSED")
    print("| %s | %s | %s | %s | %s |" % (label.replace("%%", "%"), fmt(a), fmt(b),
                                         "-" if ratio is None else "%.2f" % ratio, t))
print("| calls lost / wrong values (all runs) | %d / %d | %d / %d | | |" % (
    total("tirpc", "lost"), wrong["tirpc"], total("osnic-run", "lost"), wrong["osnic-run"]))
print()
print("Median of %d round(s). Lost: unanswered for 100 ms. Wrong: a value not the "
      "map's (voids every target)." % rounds)
