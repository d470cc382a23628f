#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Print the osnic XDP counters of the program with the given id (interim
helper for the demo, until osnicctl stats exists)."""
import json
import subprocess
import sys

NAMES = ["packets", "not_ip", "not_udp", "malformed", "fragment", "udp"]


def bpftool(*args):
    return json.loads(subprocess.check_output(["bpftool", "-j", *args]))


def total(entry):
    s = 0
    for v in entry["values"]:
        val = v["value"]
        s += val if isinstance(val, int) else int.from_bytes(
            bytes(int(b, 16) for b in val), "little")
    return s


def key(entry):
    k = entry["key"]
    return k if isinstance(k, int) else int.from_bytes(bytes(int(b, 16) for b in k), "little")


prog = bpftool("prog", "show", "id", sys.argv[1])
for mid in prog["map_ids"]:
    name = bpftool("map", "show", "id", str(mid))["name"]
    if name == "rx_counters":
        for e in bpftool("map", "dump", "id", str(mid)):
            print(f"  {NAMES[key(e)]:>10}: {total(e)}")
    elif name == "port_packets":
        for e in bpftool("map", "dump", "id", str(mid)):
            if total(e):
                print(f"  udp port {key(e)}: {total(e)} datagrams")
