#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Print the osnic XDP counters of the program with the given id (interim
helper for the demo, until osnicctl stats exists)."""
import json
import subprocess
import sys

# enum osnic_rx_counter in include/osnic/abi.h, in order.
NAMES = ["packets", "not_ip", "not_udp", "malformed", "fragment", "udp",
         "not_listened", "rpc_short", "rpc_not_call", "rpc_bad_auth",
         "rpc_too_big", "rpc_vers_mismatch", "rpc_prog_unavail",
         "rpc_prog_mismatch", "rpc_proc_unavail", "rpc_nullproc",
         "rpc_delivered", "rpc_no_worker", "rpc_ring_full", "tx_error",
         "rpc_auth_error"]
# The kernel keeps 15 characters of a map name.
RX_COUNTERS = "osnic_rx_counters"[:15]


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
    if name == RX_COUNTERS:
        for e in bpftool("map", "dump", "id", str(mid)):
            k = key(e)
            if total(e) or k == 0:
                label = NAMES[k] if k < len(NAMES) else f"counter {k}"
                print(f"  {label:>18}: {total(e)}")
