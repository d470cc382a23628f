#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: figures, ratios and targets from build/bench/results.csv and
# idle.csv. Writes summary.csv (every figure of every server, with its ratio
# against each baseline), summary.txt and summary.md (the same as tables,
# plus the XDP ceiling, what limited each closed-loop run, and the targets),
# and prints summary.txt.
#
# The XDP ceiling (label xdp-ceiling/null/max): NULL calls answered by the
# XDP program alone; every server's maximum throughput is also given as a
# fraction of it. A closed-loop run whose client was >= CLIENT_LIMIT busy
# (its load generator and NAPI kthread) is marked client-limited: its figure
# says more about the client than the server.
import csv
import os
import sys

out = sys.argv[1]
SERVERS = ["osnic", "tirpc", "reuseport", "busypoll", "afxdp"]
BASELINES = ["tirpc", "reuseport", "busypoll", "afxdp"]
WORKLOADS = ["echo16", "echo1k", "bimodal"]
CEILING = "xdp-ceiling"
CLIENT_LIMIT = 0.9

runs = {}
with open(os.path.join(out, "results.csv")) as f:
    for r in csv.DictReader(f):
        s, wl, kind = r["label"].split("/")
        runs.setdefault((s, wl), {})[kind] = r

# Variants run with SERVERS=... (osnic-nogso) and the baselines in the other
# XDP state (reuseport-xdp or reuseport-noxdp) get columns after the five.
SERVERS += sorted({s for s, _ in runs} - set(SERVERS) - {CEILING})

setup = {}
if os.path.exists(os.path.join(out, "setup.csv")):
    with open(os.path.join(out, "setup.csv")) as f:
        for line in f:
            k, _, v = line.strip().partition(",")
            setup[k] = v

ceiling = None
if (CEILING, "null") in runs and "max" in runs[(CEILING, "null")]:
    ceiling = runs[(CEILING, "null")]["max"]


def num(r, col):
    # A column older results.csv files lack: None.
    v = r.get(col)
    return None if v in (None, "") else float(v)

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
    if s == CEILING:
        continue
    if "max" in k:
        m = k["max"]
        put(s, wl, "max_throughput", float(m["throughput"]))
        if float(m["answered"]) > 0:
            put(s, wl, "cpu_s_per_Mcall_max", float(m["server_cpu_s"]) * 1e6 / float(m["answered"]))
            # The whole server CPU (its softirq work too), from /proc/stat.
            put(s, wl, "cpu1_s_per_Mcall_max", float(m["stat_cpu_s"]) * 1e6 / float(m["answered"]))
            # The server's NAPI kthread alone (in cpu_s_per_Mcall_max too).
            napi = num(m, "napi_cpu_s")
            if napi is not None:
                put(s, wl, "napi_cpu_s_per_Mcall_max", napi * 1e6 / float(m["answered"]))
        put(s, wl, "client_busy_max", num(m, "client_cpu_busy"))
        if ceiling is not None and float(ceiling["throughput"]) > 0:
            put(s, wl, "frac_of_xdp_ceiling", float(m["throughput"]) / float(ceiling["throughput"]))
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


def setup_lines():
    napi = setup.get("napi")
    bx = setup.get("baseline_xdp")
    other = "-noxdp" if bx == "attached" else "-xdp"
    res = []
    if napi == "threaded":
        res.append("NAPI: threaded, the server veth's kthread on the server CPU (its CPU is in the "
                   "server's CPU per call; napi_cpu_s_per_Mcall_max: that part alone), the client's "
                   "on the client CPU")
    elif napi == "softirq":
        res.append("NAPI: in the sender's softirq (veth's default): the server's receive path runs "
                   "on the client's CPU and is not in the server's CPU per call")
    if bx == "none":
        res.append("baselines (tirpc, reuseport, busypoll): no XDP on the server veth (GRO on); "
                   "*%s: the same with osnic's XDP attached, passing their port (maximum only)" % other)
    elif bx == "attached":
        res.append("baselines (tirpc, reuseport, busypoll): osnic's XDP attached, passing their port; "
                   "*%s: the same with no XDP (GRO on) (maximum only)" % other)
    return res


lines.extend(setup_lines())
if lines:
    lines.append("")
lines.append("  ".join(h.ljust(wd) for h, wd in zip(hdr, widths)))
for row in rows:
    lines.append("  ".join(str(x).ljust(wd) for x, wd in zip(row, widths)))

# The ceiling and what limited each closed-loop run.
limits = []  # (server, workload, throughput, fraction, napi, client busy, flag)


def flag_of(busy):
    if busy is None:
        return "-"
    return "client-limited" if busy >= CLIENT_LIMIT else "-"


if ceiling is not None:
    busy = num(ceiling, "client_cpu_busy")
    limits.append((CEILING, "null", float(ceiling["throughput"]), 1.0,
                   float(ceiling["napi_cpu_s"]) * 1e6 / float(ceiling["answered"])
                   if num(ceiling, "napi_cpu_s") is not None and float(ceiling["answered"]) > 0 else None,
                   busy, flag_of(busy)))
for wl in WORKLOADS:
    for s in SERVERS:
        t = figures.get((s, wl, "max_throughput"))
        if t is None:
            continue
        busy = figures.get((s, wl, "client_busy_max"))
        limits.append((s, wl, t, figures.get((s, wl, "frac_of_xdp_ceiling")),
                       figures.get((s, wl, "napi_cpu_s_per_Mcall_max")), busy, flag_of(busy)))
lhdr = ["server", "workload", "max calls/s", "of ceiling", "NAPI s/Mcall", "client busy", "limit"]
lrows = [[s, wl, fmt(t), "-" if fr is None else "%.2f" % fr, fmt(n),
          "-" if b is None else "%.0f%%" % (100 * b), fl] for s, wl, t, fr, n, b, fl in limits]
lines.append("")
if ceiling is not None:
    lines.append("XDP ceiling (NULL answered by XDP_TX alone, no thread woken): %s calls/s%s" % (
        fmt(float(ceiling["throughput"])),
        ", client-limited (a faster client would see more)" if flag_of(num(ceiling, "client_cpu_busy")) != "-" else ""))
else:
    lines.append("XDP ceiling: not measured")
nclient = setup.get("client_cpus")
lines.append("closed-loop runs (client-limited: the client >= %d%% busy%s):" % (
    100 * CLIENT_LIMIT,
    "; one client CPU, so more load-generator threads cannot lift that limit" if nclient == "1" else ""))
lwidths = [max(len(str(x)) for x in col) for col in zip(lhdr, *lrows)]
lines.append("  " + "  ".join(h.ljust(wd) for h, wd in zip(lhdr, lwidths)).rstrip())
for row in lrows:
    lines.append("  " + "  ".join(str(x).ljust(wd) for x, wd in zip(row, lwidths)).rstrip())

# Targets (docs: BENCHMARKS.md), for osnic and each osnic variant run.
OSNIC = [s for s in SERVERS if (s == "osnic" or s.startswith("osnic-"))
         and any(k[0] == s for k in figures)] or ["osnic"]
targets = []  # (what, goal, [(value, ok) per OSNIC server])


def target(what, goal, value_of, ok_of):
    targets.append((what, goal, [(value_of(s), ok_of(value_of(s))) for s in OSNIC]))


def at_least(x):
    return lambda v: v is not None and v >= x


def at_most(x):
    return lambda v: v is not None and v <= x


# The targets of make bench (BENCHMARKS.md, "Targets"): per workload,
# against the tuned socket server, libtirpc, the busy-polling server and
# the AF_XDP server. CPU per call is the server's: process (and osnicd) plus
# its NAPI kthread.
for wl in WORKLOADS:
    target("%s throughput vs reuseport" % wl, ">= 1.5",
           lambda s: ratio(s, wl, "max_throughput", "reuseport"), at_least(1.5))
    target("%s throughput vs tirpc" % wl, ">= 2",
           lambda s: ratio(s, wl, "max_throughput", "tirpc"), at_least(2))
    # Against the AF_XDP server, which spins on its core even when idle.
    target("%s throughput vs afxdp" % wl, ">= 0.8",
           lambda s: ratio(s, wl, "max_throughput", "afxdp"), at_least(0.8))
    target("%s CPU per call (max load) vs reuseport" % wl, "<= 0.6",
           lambda s: ratio(s, wl, "cpu_s_per_Mcall_max", "reuseport"), at_most(0.6))
    target("%s CPU per call (50%% load) vs reuseport" % wl, "<= 0.6",
           lambda s: ratio(s, wl, "cpu_s_per_Mcall_at_50", "reuseport"), at_most(0.6))
    target("%s p50 at 25%% load vs busypoll" % wl, "<= 1.2",
           lambda s: ratio(s, wl, "p50_us_at_25", "busypoll"), at_most(1.2))
    target("%s p99 at 50%% load vs reuseport" % wl, "<= 0.8",
           lambda s: ratio(s, wl, "p99_us_at_50", "reuseport"), at_most(0.8))
target("bimodal throughput at p99 <= 1 ms vs reuseport", ">= 1.5",
       lambda s: ratio(s, "bimodal", "tput_at_p99_le_1ms", "reuseport"), at_least(1.5))
target("idle CPU (% of one CPU)", "< 1",
       lambda s: figures.get((s, "idle", "idle_cpu_pct")), lambda v: v is not None and v < 1)


def cell(value, ok, bold):
    v = "-" if value is None else "%.2f" % value
    if ok:
        return v + " met"
    return v + (" **missed**" if bold else " MISSED")


lines.append("")
lines.append("targets (%s):" % ", ".join(OSNIC))
for what, goal, res in targets:
    lines.append("  %-46s goal %-7s %s" % (what, goal, "   ".join(
        "%s %s" % (s, cell(v, ok, False)) for s, (v, ok) in zip(OSNIC, res))))
text = "\n".join(lines) + "\n"
with open(os.path.join(out, "summary.txt"), "w") as f:
    f.write(text)
with open(os.path.join(out, "summary.md"), "w") as f:
    for line in setup_lines():
        f.write(line + ".\n\n")
    f.write("| " + " | ".join(hdr) + " |\n")
    f.write("|" + "---|" * len(hdr) + "\n")
    for row in rows:
        f.write("| " + " | ".join(row) + " |\n")
    f.write("\n| " + " | ".join(lhdr) + " |\n|" + "---|" * len(lhdr) + "\n")
    for row in lrows:
        f.write("| " + " | ".join(row) + " |\n")
    f.write("\n| target | goal | " + " | ".join(OSNIC) + " |\n|---|---|" + "---|" * len(OSNIC) + "\n")
    for what, goal, res in targets:
        f.write("| %s | %s | %s |\n" % (what, goal, " | ".join(cell(v, ok, True) for v, ok in res)))
sys.stdout.write(text)
