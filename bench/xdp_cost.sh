#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What the XDP program itself costs per packet: osnic-xdp-cost runs the real
# program with BPF_PROG_TEST_RUN (no network namespace, no osnicd) while
# services grow 1 -> 1024 and workers per service 1 -> 256 (clamped to the
# limits of <osnic/abi.h>), pinned to CPU XDP_COST_CPU (1). Writes
# $BUILD/bench/xdp_cost.txt (the table and the targets) and xdp_cost.csv.
# BENCH_QUICK=1: one round instead of three. Needs root; ~40 s.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
tool=$build/bin/osnic-xdp-cost
out=$build/bench/xdp_cost

[ -x "$tool" ] || { echo "error: $tool missing (make)" >&2; exit 1; }
mkdir -p "$build/bench"
args=(--cpu "${XDP_COST_CPU:-1}" --csv "$out.csv")
[ "${BENCH_QUICK:-0}" = 1 ] && args+=(--rounds 1)
echo "==> XDP's own cost per packet (osnic-xdp-cost ${args[*]})"
"$tool" "${args[@]}" | tee "$out.txt"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || echo "error: osnic-xdp-cost exited $rc (a case did not take its path)" >&2
exit "$rc"
