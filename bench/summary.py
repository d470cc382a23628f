#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: figures, ratios and targets from build/bench/results.csv and
# idle.csv. Writes summary.csv (every figure of every server, with its ratio
# against each baseline), summary.txt and summary.md (the same as tables,
# plus the targets), and prints summary.txt.
import csv
import os
import sys

out = sys.argv[1]
SERVERS = ["osnic", "tirpc", "reuseport", "busypoll"]
BASELINES = ["tirpc", "reuseport", "busypoll"]
WORKLOADS = ["echo16", "echo1k", "bimodal"]

runs = {}
with open(os.path.join(out, "results.csv")) as f:
    for r in csv.DictReader(f):
        s, wl, kind = r["label"].split("/")
        runs.setdefault((s, wl), {})[kind] = r

# Variants run with SERVERS=... (osnic-nogso) get columns after the four.
SERVERS += sorted({s for s, _ in runs} - set(SERVERS))

idle = {}
if os.path.exists(os.path.join(out, "idle.csv")):
    with open(os.path.join(out, "idle.csv")) as f:
        for line in f:
            s, v = line.strip().split(",")
            idle[s] = float(v)

figures = {}  # (server, workload, metric) -> value


def put(s, wl, metric, v):
    if v is not None:
        figures[(s, wl, metric)] = v


for (s, wl), k in runs.items():
    if "max" in k:
        m = k["max"]
        put(s, wl, "max_throughput", float(m["throughput"]))
        if float(m["answered"]) > 0:
            put(s, wl, "cpu_s_per_Mcall_max", float(m["server_cpu_s"]) * 1e6 / float(m["answered"]))
            # The whole server CPU (its softirq work too), from /proc/stat.
            put(s, wl, "cpu1_s_per_Mcall_max", float(m["stat_cpu_s"]) * 1e6 / float(m["answered"]))
    for pct in (25, 50, 75):
        r = k.get("load%d" % pct)
        if not r:
            continue
        put(s, wl, "p50_us_at_%d" % pct, float(r["p50_us"]))
        put(s, wl, "p99_us_at_%d" % pct, float(r["p99_us"]))
        put(s, wl, "p999_us_at_%d" % pct, float(r["p999_us"]))
        put(s, wl, "max_us_at_%d" % pct, float(r["max_us"]))
        put(s, wl, "loss_at_%d" % pct, float(r["loss"]))
        if pct == 50 and float(r["answered"]) > 0:
            put(s, wl, "cpu_s_per_Mcall_at_50", float(r["server_cpu_s"]) * 1e6 / float(r["answered"]))
    if wl == "bimodal":
        # The most answered calls/s of an open-loop run whose p99 stayed
        # under the bound with < 1 % loss (5 ms: for a busy machine).
        for bound, name in ((1000, "tput_at_p99_le_1ms"), (5000, "tput_at_p99_le_5ms")):
            best = 0.0
            for kind, r in k.items():
                if kind.startswith("load") or kind.startswith("sweep"):
                    if float(r["p99_us"]) <= bound and float(r["loss"]) < 0.01:
                        best = max(best, float(r["throughput"]))
            put(s, wl, name, best)
for s, v in idle.items():
    put(s, "idle", "idle_cpu_pct", v)

metrics = []
for key in figures:
    if (key[1], key[2]) not in metrics:
        metrics.append((key[1], key[2]))
order = {w: i for i, w in enumerate(WORKLOADS + ["idle"])}
metrics.sort(key=lambda m: (order.get(m[0], 9), m[1]))


def ratio(s, wl, metric, b):
    a, c = figures.get((s, wl, metric)), figures.get((b, wl, metric))
    if a is None or c is None or c == 0:
        return None
    return a / c


with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["server", "workload", "metric", "value"] + ["ratio_vs_" + b for b in BASELINES])
    for wl, metric in metrics:
        for s in SERVERS:
            v = figures.get((s, wl, metric))
            if v is None:
                continue
            rs = [ratio(s, wl, metric, b) for b in BASELINES]
            w.writerow([s, wl, metric, "%.4g" % v] + ["" if r is None else "%.3f" % r for r in rs])


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


lines = []
hdr = ["workload", "metric"] + SERVERS + ["osnic/" + b for b in BASELINES]
rows = []
for wl, metric in metrics:
    row = [wl, metric] + [fmt(figures.get((s, wl, metric))) for s in SERVERS]
    for b in BASELINES:
        r = ratio("osnic", wl, metric, b)
        row.append("-" if r is None else "%.2f" % r)
    rows.append(row)
widths = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
lines.append("  ".join(h.ljust(wd) for h, wd in zip(hdr, widths)))
for row in rows:
    lines.append("  ".join(str(x).ljust(wd) for x, wd in zip(row, widths)))

# Targets (docs: BENCHMARKS.md).
targets = []


def target(what, value, goal, ok):
    targets.append((what, value, goal, ok))


for wl in WORKLOADS:
    r = ratio("osnic", wl, "max_throughput", "tirpc")
    target("%s throughput vs tirpc" % wl, r, ">= 1.5", r is not None and r >= 1.5)
    r = ratio("osnic", wl, "max_throughput", "reuseport")
    target("%s throughput vs reuseport" % wl, r, ">= 1.2", r is not None and r >= 1.2)
    r = ratio("osnic", wl, "p99_us_at_50", "reuseport")
    target("%s p99 at 50%% load vs reuseport" % wl, r, "<= 0.8", r is not None and r <= 0.8)
    r = ratio("osnic", wl, "cpu_s_per_Mcall_max", "reuseport")
    target("%s CPU per call (max load) vs reuseport" % wl, r, "<= 0.75", r is not None and r <= 0.75)
    r = ratio("osnic", wl, "cpu_s_per_Mcall_at_50", "reuseport")
    target("%s CPU per call (50%% load) vs reuseport" % wl, r, "<= 0.75", r is not None and r <= 0.75)
r = ratio("osnic", "bimodal", "tput_at_p99_le_1ms", "reuseport")
target("bimodal throughput at p99 <= 1 ms vs reuseport", r, ">= 1.5", r is not None and r >= 1.5)
v = figures.get(("osnic", "idle", "idle_cpu_pct"))
target("idle CPU (% of one CPU)", v, "< 1", v is not None and v < 1)

lines.append("")
lines.append("targets (osnic):")
for what, value, goal, ok in targets:
    lines.append("  %-46s %8s  goal %-7s %s" % (what, "-" if value is None else "%.2f" % value, goal,
                                                  "met" if ok else "MISSED"))
text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text)
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("| " + " | ".join(hdr) + " |\n")
    f.write("|" + "---|" * len(hdr) + "\n")
    for row in rows:
        f.write("| " + " | ".join(row) + " |\n")
    f.write("\n| target (osnic) | measured | goal | |\n|---|---|---|---|\n")
    for what, value, goal, ok in targets:
        f.write("| %s | %s | %s | %s |\n" % (what, "-" if value is None else "%.2f" % value, goal,
                                            "met" if ok else "**missed**"))
sys.stdout.write(text)
