#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make vmbench, inside the sched_ext guest: RPC latency with a CPU hog on
# every CPU, under the osnic scheduler and then under the kernel's default
# scheduler (osnicctl sched disable), in the same boot, with the same
# service, rate and hogs. Prints p50/p99 for both and their ratios, and
# leaves them in the output directory as vmbench.txt.
#
# The load generator runs SCHED_FIFO, outside both schedulers' contest:
# as an ordinary task it shares the CPUs with the hogs, and its own wakeups
# then dominate what is measured (a remote client would not).
#
# A benchmark, not a test: under TCG emulation absolute times mean little;
# read only the ratios. Arguments as vmtest/guest.sh: repository, output
# directory, build directory. VMBENCH_RATE (calls/s, 300) and
# VMBENCH_SECONDS (10) set the load.
top=$1 out=$2 BUILD=${3:-build}
cd "$top" || exit 1
set -uo pipefail
name=vmbench
# shellcheck source=scripts/lib/netns.sh
source scripts/lib/netns.sh

RATE=${VMBENCH_RATE:-300}
SECS=${VMBENCH_SECONDS:-10}
hogs=()
status=1

cleanup() {
	local p
	for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	common_cleanup
	dmesg >"$out/dmesg.txt" 2>&1
	echo "$status" >"$out/status"
	sync
}
trap cleanup EXIT

# measure LABEL: prints "p50 p99 answered sent" of one open-loop ECHO run.
measure() {
	local line
	line=$(in_cli chrt -f 10 "$bin/osnic-loadgen" -m open -r "$RATE" -d "$SECS" -P echo -s 16 \
		--label "$1" "$srv_ip" "$port" 2>&1 | tail -1)
	echo "  $line" >&2
	sed -n 's/.*sent \([0-9]*\) answered \([0-9]*\).*p50 \([0-9.]*\) p99 \([0-9.]*\).*/\3 \4 \2 \1/p' <<<"$line"
}

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind
start_osnic || exit 1
in_osnic "$bin/osnicctl" iface attach "$srv_if" >/dev/null || exit 1
server_exec=(nsenter --target "$holder_pid" --mount --net)
start_server --transport osnic --workers 2 >/dev/null || exit 1
mode=$(in_osnic "$bin/osnicctl" -j sched status | jq -r .status.mode)
[ "$mode" = sched_ext ] || { echo "vmbench: osnicd runs '$mode', not sched_ext" >&2; exit 1; }

for _ in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	hogs+=($!)
done
echo "vmbench: $RATE ECHO calls/s for $SECS s, ${#hogs[@]} CPU hogs, 2 workers"

counters() { in_osnic "$bin/osnicctl" -j sched status | jq -c .counters; }
before=$(counters)
read -r o50 o99 oans osent <<<"$(measure osnic-sched)"
# What the scheduler did for the run: the counters that moved.
jq -rn --argjson a "$before" --argjson b "$(counters)" \
	'[$b | to_entries[] | select((.value | type) == "number") |
	  select(.value - ($a[.key] // 0) > 0) | "\(.key) +\(.value - ($a[.key] // 0))"] |
	 "  osnic scheduler: " + join(", ")' >&2 || true
in_osnic "$bin/osnicctl" sched disable >/dev/null
[ "$(cat /sys/kernel/sched_ext/state)" = disabled ] ||
	{ echo "vmbench: the default scheduler did not come back" >&2; exit 1; }
read -r d50 d99 dans dsent <<<"$(measure default-sched)"

if [ -z "${o99:-}" ] || [ -z "${d99:-}" ]; then
	echo "vmbench: a run produced no result" >&2
	exit 1
fi
{
	echo "vmbench ($(uname -r), TCG, $(nproc) CPUs, ${#hogs[@]} hogs, $RATE calls/s, $SECS s)"
	printf '%-14s %10s %10s %10s\n' scheduler "p50 us" "p99 us" answered
	printf '%-14s %10s %10s %10s\n' osnic "$o50" "$o99" "$oans/$osent"
	printf '%-14s %10s %10s %10s\n' default "$d50" "$d99" "$dans/$dsent"
	awk -v a="$o50" -v b="$d50" -v c="$o99" -v d="$d99" \
		'BEGIN { printf "ratio osnic/default: p50 %.2f, p99 %.2f\n", a / b, c / d }'
} | tee "$out/vmbench.txt"
status=0
