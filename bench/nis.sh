#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# NIS lookups: Debian's ypserv on libtirpc, then the same binary under
# osnic-run, answering YPPROC_MATCH for random keys of a 10,000-entry map
# from the client namespace; one client (osnic-nis-client), every reply
# checked against the map (-V). Per server and round:
#
#   closed   32 calls in flight (-O), RUN_S seconds: the maximum rate;
#   open50   Poisson arrivals at half of libtirpc's closed-loop rate of
#            the same round, for both servers (the same offered load, as
#            bench/run.sh's open-loop points), RUN_S seconds: p50/p99 from
#            the scheduled send time;
#   serial   one call in flight (through libtirpc), SERIAL_CALLS calls.
#
# CPU: ypserv's utime+stime (and osnicd's, for osnic-run, and the server
# veth's NAPI kthread's: each veth end's NAPI is threaded and pinned to its
# side's CPU, as in bench/run.sh; NAPI=softirq: not) and CPU
# SERVER_CPU's busy time from /proc/stat, per million lookups. The client
# runs on CLIENT_CPU (0), ypserv on SERVER_CPU (1), both SCHED_FIFO like
# bench/run.sh (BENCH_RT=0: not); osnicd is not pinned. ROUNDS rounds
# alternate the two servers. Writes $BUILD/bench/nis.csv (every run) and
# nis.txt (bench/nis_summary.py's table: medians, osnic-run/tirpc, the
# targets), and osnicctl stats after each osnic-run round
# (nis-osnic-stats-N.txt). BENCH_QUICK=1: shorter runs, one round.
# NIS_PERF=1: perf profiles (below). Needs root, ypserv.
set -uo pipefail

name=nis
# shellcheck source=scripts/lib/netns.sh
source "$(dirname "$0")/../scripts/lib/netns.sh"

RUN_S=${NIS_RUN_S:-3}
ROUNDS=${NIS_ROUNDS:-2}
SERIAL_CALLS=${NIS_SERIAL_CALLS:-5000}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUN_S=${NIS_RUN_S:-1} ROUNDS=${NIS_ROUNDS:-1} SERIAL_CALLS=${NIS_SERIAL_CALLS:-2000}
fi
OUTSTANDING=${OUTSTANDING:-32}
CLIENT_CPU=${CLIENT_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
# SCHED_FIFO: see bench/run.sh (RT throttling stalls a task busy > 95 % of
# a second; the client sleeps in ppoll rather than spin for that reason).
if [ "${BENCH_RT:-1}" = 1 ]; then rt=(chrt -f 10); else rt=(); fi
# osnicd's ring depth per worker, as bench/run.sh's (OSNIC_DEPTH=1024: its
# default: ~500 NIS calls).
OSNIC_DEPTH=${OSNIC_DEPTH:-4096}
KEYS=10000
domain=osnicbench$$
map=bench.byname
ypdir=/var/yp/$domain
ypport=$((30000 + $$ % 20000))
out=$build/bench/nis.txt
csv=$build/bench/nis.csv
daemon_pid=

cleanup() {
	set +e
	[ -n "${perf_pid:-}" ] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid"
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$ypdir"
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-run" "$bin/osnic-nis-client" "$bin/osnicd" "$bin/osnicctl" /usr/lib/yp/makedbm
command -v ypserv >/dev/null || { echo "error: ypserv missing (make deps)" >&2; exit 1; }
[ "$(nproc)" -gt "$SERVER_CPU" ] || { echo "error: needs CPU $SERVER_CPU" >&2; exit 1; }
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind
start_osnic --depth "$OSNIC_DEPTH" || exit 1
in_osnic "$bin/osnicctl" iface attach "$srv_if" >/dev/null || exit 1
# The receive path where a NIC puts it, as in bench/run.sh: each veth end's
# NAPI threaded and pinned to its side's CPU (above the SCHED_FIFO
# processes, as an interrupt is), the server's kthread counted in the
# server's CPU per lookup. NAPI=softirq: veth's default, the sender's softirq.
NAPI=${NAPI:-threaded} cli_if=veth-$name-c
napi_srv=()
if [ "$NAPI" = threaded ]; then
	prio=
	[ "${BENCH_RT:-1}" = 1 ] && prio=11
	napi_place "$srv" "$srv_if" "$SERVER_CPU" $prio || exit 1
	napi_place "$cli" "$cli_if" "$CLIENT_CPU" $prio || exit 1
	for p in $(napi_pids "$srv_if"); do napi_srv+=(-P "$p"); done
fi

mkdir -p "$ypdir" "$(dirname "$out")"
rm -f "$csv"
seq 0 $((KEYS - 1)) | awk '{ printf "user%d\tuser%d:x:%d:%d:User %d:/home/user%d:/bin/sh\n", $1, $1, 10000 + $1, 100, $1, $1 }' \
	>"$tmp/map.txt"
/usr/lib/yp/makedbm "$tmp/map.txt" "$ypdir/$map" || exit 1

# client LABEL N OPTIONS...: N random lookups by osnic-nis-client from the
# client namespace, pinned, its row appended to nis.csv; prints its output.
client() {
	local label=$1 n=$2
	shift 2
	in_cli "${rt[@]}" taskset -c "$CLIENT_CPU" "$bin/osnic-nis-client" -p "$ypport" \
		-V "$tmp/map.txt" -C "$SERVER_CPU" "${cpu_pids[@]}" -L "$label" -o "$csv" "$@" \
		"$srv_ip" "$domain" "$map" random "$n" user%d "$KEYS" 2>&1 | sed 's/^/  /'
}

# last_tput LABEL: the throughput of LABEL's row in nis.csv (0 if none).
last_tput() { awk -F, -v l="$1" '$1 == l { t = int($12) } END { print t + 0 }' "$csv" 2>/dev/null || echo 0; }

# start_ypserv SERVER: ypserv on SERVER_CPU in the server namespace, under
# osnic-run for osnic-run; sets daemon_pid and cpu_pids.
start_ypserv() {
	local wrap=() _
	[ "$1" = osnic-run ] && wrap=("$bin/osnic-run")
	# Every step execs the next: $! ends up ypserv itself.
	nsenter --target "$holder_pid" --mount --net unshare --uts \
		sh -c 'domainname "$0" && exec "$@"' "$domain" "${rt[@]}" taskset -c "$SERVER_CPU" \
		"${wrap[@]}" ypserv -f -p "$ypport" >"$tmp/ypserv.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		in_cli "$bin/osnic-nis-client" -p "$ypport" "$srv_ip" "$domain" "$map" match user1 \
			>/dev/null 2>&1 && break
		sleep 0.05
	done
	cpu_pids=(-P "$daemon_pid" "${napi_srv[@]}")
	[ "$1" = osnic-run ] && cpu_pids+=(-P "$osnicd_pid")
	# Warm up (ARP, caches); not recorded.
	in_cli "$bin/osnic-nis-client" -p "$ypport" "$srv_ip" "$domain" "$map" \
		random 2000 user%d "$KEYS" >/dev/null 2>&1
}

stop_ypserv() {
	kill -KILL "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	sleep 0.2
}

# NIS_PERF=1: a system-wide profile of each closed-loop run, reported for
# the client's and the server's CPU into perf-nis-SERVER-ROUND-cpuN.txt.
perf_on=${NIS_PERF:-0} perf_dir=$build/bench perf_cpus="$CLIENT_CPU $SERVER_CPU"
# shellcheck source=bench/lib/perf.sh
source "$(dirname "$0")/lib/perf.sh"

xdp=()
for round in $(seq "$ROUNDS"); do
	for server in tirpc osnic-run; do
		say "$server, round $round of $ROUNDS"
		start_ypserv "$server"
		d0=$(in_osnic "$bin/osnicctl" -j stats | jq '.rx.rpc_delivered')
		perf_start "nis-$server-$round"
		client "$server/closed/$round" 1000000000 -O "$OUTSTANDING" -d "$RUN_S"
		perf_stop
		# tirpc runs first in each round: its rate is the round's 100 %.
		[ "$server" = tirpc ] && rate=$(($(last_tput "$server/closed/$round") / 2))
		if [ "$rate" -gt 0 ]; then
			client "$server/open50/$round" 1000000000 -r "$rate" -d "$RUN_S"
		else
			echo "  no closed-loop rate: no open-loop run"
		fi
		client "$server/serial/$round" "$SERIAL_CALLS"
		d1=$(in_osnic "$bin/osnicctl" -j stats | jq '.rx.rpc_delivered')
		[ "$server" = osnic-run ] &&
			in_osnic "$bin/osnicctl" stats >"$build/bench/nis-osnic-stats-$round.txt" 2>&1
		xdp+=("$server round $round: $((d1 - d0)) calls delivered by XDP")
		stop_ypserv
	done
done

say "summary"
{
	echo "NIS YPPROC_MATCH, random keys of a $KEYS-entry map, one client (CPU $CLIENT_CPU),"
	echo "ypserv on CPU $SERVER_CPU; closed loop $OUTSTANDING outstanding and open loop ${RUN_S} s each."
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	python3 "$(dirname "$0")/nis_summary.py" "$csv" "$SERVER_CPU"
	printf '%s\n' "${xdp[@]}"
} | tee "$out"
