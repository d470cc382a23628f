#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: the demo service on osnic against three baselines, same
# handlers (examples/demo_handlers.c), same workloads, same run:
#
#   osnic      osnic-demo-server --transport osnic (osnicd, XDP, rings)
#   tirpc      osnic-demo-server --transport tirpc (libtirpc's svc_run)
#   reuseport  osnic-bench-server --mode reuseport (SO_REUSEPORT, recvmmsg/sendmmsg)
#   busypoll   osnic-bench-server --mode busypoll (spins on recvmmsg)
#
# Workloads: ECHO 16 B, ECHO 1 KiB, SPIN bimodal (99.5 % 5 us, 0.5 % 500 us).
# Per server and workload: closed-loop maximum throughput; open-loop
# latency at 25/50/75 % of the reuseport server's capacity; server CPU time
# per call; for SPIN, the highest offered rate whose p99 stays <= 1 ms. Then
# each server's CPU over IDLE_S seconds with no load.
#
# Pinning: the load generator runs on CPU 0 (CLIENT_CPU), every server (one
# worker / thread) on CPU 1 (SERVER_CPU); osnicd is not pinned.
#
# Output in build/bench/: results.csv (every load run), summary.csv and
# summary.txt (figures and ratios), cdf/*.dat, *.png. BENCH_QUICK=1: ~1 min.
set -uo pipefail

name=bench
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/../tests/integration/demo_common.sh"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUN_S=${RUN_S:-1} IDLE_S=${IDLE_S:-2} SWEEP="0.3 0.6 0.9"
else
	RUN_S=${RUN_S:-3} IDLE_S=${IDLE_S:-10} SWEEP="0.2 0.35 0.5 0.65 0.8 0.95"
fi
CLIENT_CPU=${CLIENT_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
OUTSTANDING=${OUTSTANDING:-32}
# osnicd's ring depth per worker, in 64-byte lines: its default (1024) holds
# ~500 small calls or ~40 of 1 KiB; 4096 (the most, 256 KiB) is closer to a
# socket's receive buffer. OSNIC_DEPTH=1024 measures the default.
OSNIC_DEPTH=${OSNIC_DEPTH:-4096}
SERVERS=${SERVERS:-"reuseport osnic tirpc busypoll"}
WORKLOADS=${WORKLOADS:-"echo16 echo1k bimodal"}
BPORT=${BPORT:-7700}
# BENCH_RT=1 (default): the load generator and the servers run SCHED_FIFO
# (chrt -f 10), so that other work on the machine (a VM, a compiler) does
# not preempt them. The kernel's RT throttling (sched_rt_runtime_us, 95 %)
# then stalls a server that is busy > 95 % of a second for the rest of it:
# the busy-polling server always, the others at their limit. nice -20
# instead was tried: another VM's vCPU still took ms-long slices.
if [ "${BENCH_RT:-1}" = 1 ]; then rt=(chrt -f 10); else rt=(); fi
out=$build/bench
spid=

cleanup() {
	set +e
	stop_bench_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM


stop_bench_server() {
	[ -n "$spid" ] || return 0
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
}

# start_bench_server KIND: one worker/thread on SERVER_CPU, port BPORT; sets
# spid and cpu_pids (what to charge CPU time to).
start_bench_server() {
	local kind=$1
	case $kind in
	osnic)
		nsenter --target "$holder_pid" --mount --net "${rt[@]}" taskset -c "$SERVER_CPU" \
			"$bin/osnic-demo-server" --transport osnic --workers 1 --port "$BPORT" \
			--quiet >"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	tirpc)
		ip netns exec "$srv" "${rt[@]}" taskset -c "$SERVER_CPU" "$bin/osnic-demo-server" \
			--transport tirpc --port "$BPORT" >"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	reuseport | busypoll)
		ip netns exec "$srv" "${rt[@]}" "$bin/osnic-bench-server" --mode "$kind" --threads 1 \
			--cpu "$SERVER_CPU" --port "$BPORT" >"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	esac
	spid=$!
	for _ in $(seq 300); do
		grep -q "port $BPORT" "$tmp/srv.out" 2>/dev/null && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q "port $BPORT" "$tmp/srv.out" 2>/dev/null; then
		echo "bench: the $kind server did not start:" >&2
		cat "$tmp/srv.out" "$tmp/srv.err" >&2
		spid=
		return 1
	fi
	cpu_pids=(--cpu-pid "$spid")
	[ "$kind" = osnic ] && cpu_pids+=(--cpu-pid "$osnicd_pid")
	# Warm up (ARP, caches); not recorded.
	in_cli "$bin/osnic-loadgen" -q -d 0.3 -P add "$srv_ip" "$BPORT" >/dev/null 2>&1
	return 0
}

# load LABEL ARGS...: one load run from the client namespace, appended to
# results.csv; prints its summary line.
load() {
	local label=$1
	shift
	in_cli "${rt[@]}" taskset -c "$CLIENT_CPU" "$bin/osnic-loadgen" --label "$label" \
		--csv "$out/results.csv" --stat-cpu "$SERVER_CPU" "${cpu_pids[@]}" \
		"$@" "$srv_ip" "$BPORT" | sed 's/^/  /'
}

# The throughput of the last results.csv row.
last_tput() { tail -1 "$out/results.csv" | cut -d, -f14 | cut -d. -f1; }

workload_args() {
	case $1 in
	echo16) echo "-P echo -s 16" ;;
	echo1k) echo "-P echo -s 1024" ;;
	bimodal) echo "-P spin --spin 5,500,0.005" ;;
	esac
}

require "$bin/osnic-demo-server" "$bin/osnicd" "$bin/osnicctl" "$bin/osnic-loadgen" \
	"$bin/osnic-bench-server"
command -v gnuplot >/dev/null || { echo "error: gnuplot is needed (make deps)" >&2; exit 1; }
[ "$(nproc)" -gt "$SERVER_CPU" ] || { echo "error: needs CPU $SERVER_CPU" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/cdf"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel: $(uname -r)"
	echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "quick: $QUICK, run ${RUN_S}s per point, idle ${IDLE_S}s, client CPU $CLIENT_CPU, server CPU $SERVER_CPU, closed loop $OUTSTANDING outstanding, osnicd --depth $OSNIC_DEPTH, SCHED_FIFO ${BENCH_RT:-1}"
} >"$out/machine.txt"
cat "$out/machine.txt"

setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/xdp_pass.bpf.o" sec xdp
ensure_rpcbind
start_osnic --depth "$OSNIC_DEPTH" || exit 1
in_osnic "$bin/osnicctl" iface attach "$srv_if" || { cat "$tmp/osnicd.log"; exit 1; }

# Every server start gets its own port: a port an osnic service leaves
# lingers in osnicd (XDP keeps it, answering for no service) for 60 s.
next_port() { BPORT=$((BPORT + 1)); }

declare -A cap
for wl in $WORKLOADS; do
	# shellcheck disable=SC2046
	set -- $(workload_args "$wl")
	for s in $SERVERS; do
		say "$wl on $s"
		next_port
		start_bench_server "$s" || continue
		load "$s/$wl/max" -d "$RUN_S" -o "$OUTSTANDING" "$@"
		[ "$s" = reuseport ] && cap[$wl]=$(last_tput)
		c=${cap[$wl]:-$(last_tput)}
		if [ "${c:-0}" -le 0 ]; then
			echo "  no capacity measured: skipping the open-loop runs"
			stop_bench_server
			continue
		fi
		for pct in 25 50 75; do
			load "$s/$wl/load$pct" -m open -r $((c * pct / 100)) -d "$RUN_S" \
				--cdf "$out/cdf/$s-$wl-$pct.dat" "$@"
		done
		if [ "$wl" = bimodal ]; then
			for f in $SWEEP; do
				load "$s/$wl/sweep$f" -m open -r "$(awk -v c="$c" -v f="$f" 'BEGIN { printf "%d", c * f }')" \
					-d "$RUN_S" "$@"
			done
		fi
		if [ "$s" = osnic ]; then
			in_osnic "$bin/osnicctl" stats >"$out/osnic-stats-$wl.txt" 2>&1
			stop_bench_server
			sleep 0.2
			in_osnic "$bin/osnicctl" service list >"$out/osnic-services-after-$wl.txt" 2>&1
		fi
		stop_bench_server
	done
done

say "idle: server CPU over ${IDLE_S}s with no calls"
for s in $SERVERS; do
	next_port
	start_bench_server "$s" || continue
	sleep 0.5
	t0=0
	for p in "${cpu_pids[@]}"; do
		[ "$p" = --cpu-pid ] && continue
		t0=$((t0 + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	sleep "$IDLE_S"
	t1=0
	for p in "${cpu_pids[@]}"; do
		[ "$p" = --cpu-pid ] && continue
		t1=$((t1 + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	pct=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_S" 'BEGIN { printf "%.2f", 100 * d / hz / s }')
	echo "  $s: $pct % of one CPU"
	echo "$s,$pct" >>"$out/idle.csv"
	stop_bench_server
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

say "summary"
python3 "$(dirname "$0")/summary.py" "$out"
say "plots"
"$(dirname "$0")/plots.sh" "$out" && ls "$out"/*.png
