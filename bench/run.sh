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
#   afxdp      osnic-bench-server --mode afxdp (an AF_XDP socket on the
#              server veth's queue 0, one thread spinning on its rings)
#   osnic-poll osnic whose worker watches its empty ring POLL_US (50) us
#              before sleeping (--poll-us): latency for some CPU
#   osnic-nogso (only if named in SERVERS) osnic without UDP GSO replies
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
# NAPI=threaded (default): each veth end's receive path (XDP, the kernel's
# UDP receive) runs in its threaded NAPI kthread, the server end's pinned to
# SERVER_CPU and the client end's to CLIENT_CPU, as a NIC's interrupt would
# be; its CPU counts in the server's CPU per call. NAPI=softirq: veth's
# default, the receive path in the sender's softirq (the server's in the
# client's CPU, and not counted).
#
# The baselines run twice: with no XDP on the server veth (GRO on, so that
# it has NAPI) and with osnic's XDP attached, passing their port.
# BASELINE_XDP=none (default) or attached says which one is the table's
# baseline (named reuseport, tirpc, busypoll, all figures); the other runs
# the closed-loop maximum only, named reuseport-xdp (or reuseport-noxdp).
# The XDP ceiling: NULL calls to an osnic service port, answered by the
# XDP program alone (XDP_TX), is the most any server can do on this set-up.
#
# Output in build/bench/: results.csv (every load run), summary.csv and
# summary.txt (figures and ratios), cdf/*.dat, *.png. About 5 minutes;
# BENCH_QUICK=1: ~2.5.
set -uo pipefail

name=bench
# shellcheck source=scripts/lib/netns.sh
source "$(dirname "$0")/../scripts/lib/netns.sh"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUN_S=${RUN_S:-1} IDLE_S=${IDLE_S:-2} SWEEP="0.3 0.6 0.9"
else
	RUN_S=${RUN_S:-2} IDLE_S=${IDLE_S:-5} SWEEP="0.35 0.6 0.8 0.95"
fi
CLIENT_CPU=${CLIENT_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
NAPI=${NAPI:-threaded}
BASELINE_XDP=${BASELINE_XDP:-none}
# CLIENT_CPU may be a list (0,2 or 0-1): the load generator runs one thread
# per CPU of it (LOADGEN_THREADS), OUTSTANDING calls each, so that a client
# CPU's limit is lifted where the machine has the CPUs. Here it has one.
client_ncpus=$(awk -v l="$CLIENT_CPU" 'BEGIN { n = split(l, p, ","); c = 0
	for (i = 1; i <= n; i++) { if (split(p[i], r, "-") == 2) c += r[2] - r[1] + 1; else c++ }
	print c }')
LOADGEN_THREADS=${LOADGEN_THREADS:-$client_ncpus}
# SERVER_THREADS=N: N osnic workers and N reuseport/busypoll threads, thread
# i pinned to CPU SERVER_CPU+i; tirpc has one thread (on any of those CPUs).
SERVER_THREADS=${SERVER_THREADS:-1}
set_server_cpus() {	# set_server_cpus FIRST THREADS
	server_first=$1 server_threads=$2 server_cpus=$1
	[ "$2" -gt 1 ] && server_cpus=$1-$(($1 + $2 - 1))
}
set_server_cpus "$SERVER_CPU" "$SERVER_THREADS"
OUTSTANDING=${OUTSTANDING:-32}
# osnicd's ring depth per worker, in 64-byte lines: its default (1024) holds
# ~500 small calls or ~40 of 1 KiB; 4096 (the most, 256 KiB) is closer to a
# socket's receive buffer. OSNIC_DEPTH=1024 measures the default.
OSNIC_DEPTH=${OSNIC_DEPTH:-4096}
SERVERS=${SERVERS:-"reuseport osnic tirpc busypoll afxdp osnic-poll"}
WORKLOADS=${WORKLOADS:-"echo16 echo1k bimodal"}
# osnic-poll: osnic-demo-server --poll-us POLL_US. 50 us is about what a
# sleep and wake-up cost here (spin no longer than blocking would cost).
POLL_US=${POLL_US:-50}
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
cli_if=veth-$name-c
napi_pids_srv=
napi_pids_cli=

cleanup() {
	set +e
	[ -n "${perf_pid:-}" ] && kill -INT "$perf_pid" 2>/dev/null
	stop_bench_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM


osnic_detached=
stop_bench_server() {
	if [ -n "$spid" ]; then
		kill -TERM "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=
	fi
	if [ -n "$osnic_detached" ]; then
		in_osnic "$bin/osnicctl" iface attach "$srv_if" || cat "$tmp/osnicd.log" >&2
		osnic_detached=
	fi
}

# start_bench_server KIND: one worker/thread on SERVER_CPU, port BPORT; sets
# spid and cpu_pids (what to charge CPU time to).
start_bench_server() {
	local kind=$1
	case $kind in
	osnic | osnic-nogso | osnic-poll)
		nsenter --target "$holder_pid" --mount --net "${rt[@]}" taskset -c "$server_cpus" \
			"$bin/osnic-demo-server" --transport osnic --workers "$server_threads" \
			--pin "$server_first" --port "$BPORT" \
			$([ "$kind" = osnic-nogso ] && echo --no-gso) \
			$([ "$kind" = osnic-poll ] && echo --poll-us "$POLL_US") >"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	tirpc)
		ip netns exec "$srv" "${rt[@]}" taskset -c "$server_cpus" "$bin/osnic-demo-server" \
			--transport tirpc --port "$BPORT" >"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	afxdp)
		# Its XDP program joins osnic's in libxdp's dispatcher. Where the
		# kernel refuses osnic's program a dispatcher slot (loader/xdp.c),
		# osnic's is on the interface alone: it leaves for this run.
		local id
		id=$(ip netns exec "$srv" bpftool -j net show dev "$srv_if" | jq -r '.[0].xdp[0].id // empty')
		if [ -n "$id" ] && [ "$(bpftool -j prog show id "$id" | jq -r .name)" != xdp_dispatcher ]; then
			in_osnic "$bin/osnicctl" iface detach "$srv_if" && osnic_detached=1
		fi
		# In osnicd's mount namespace: libxdp keeps the dispatcher's state in its bpffs.
		nsenter --target "$holder_pid" --mount --net "${rt[@]}" "$bin/osnic-bench-server" --mode afxdp \
			--iface "$srv_if" --queue 0 --cpu "$server_first" --port "$BPORT" \
			>"$tmp/srv.out" 2>"$tmp/srv.err" &
		;;
	reuseport | busypoll)
		ip netns exec "$srv" "${rt[@]}" "$bin/osnic-bench-server" --mode "$kind" --threads "$server_threads" \
			--cpu "$server_first" --port "$BPORT" >"$tmp/srv.out" 2>"$tmp/srv.err" &
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
		stop_bench_server
		return 1
	fi
	cpu_pids=(--cpu-pid "$spid")
	case $kind in osnic*) cpu_pids+=(--cpu-pid "$osnicd_pid") ;; esac
	# Warm up (ARP, caches); not recorded.
	in_cli "$bin/osnic-loadgen" -q -d 0.3 -P add "$srv_ip" "$BPORT" >/dev/null 2>&1
	return 0
}

# load LABEL ARGS...: one load run from the client namespace, appended to
# results.csv; prints its summary line. The server's NAPI kthread (if
# threaded) counts in the server's CPU time, and on its own; the client's in
# the client's (client_cpu_busy: near 1, the client is the limit).
load() {
	local label=$1 p napi=()
	shift
	for p in $napi_pids_srv; do napi+=(--napi-pid "$p"); done
	for p in $napi_pids_cli; do napi+=(--client-pid "$p"); done
	in_cli "${rt[@]}" taskset -c "$CLIENT_CPU" "$bin/osnic-loadgen" --label "$label" \
		--csv "$out/results.csv" --stat-cpu "$SERVER_CPU" \
		-t "$LOADGEN_THREADS" "${cpu_pids[@]}" "${napi[@]}" \
		"$@" "$srv_ip" "$BPORT" | sed 's/^/  /'
}

# place_napi: NAPI=threaded: both veth ends' NAPI kthreads pinned (again:
# attaching or detaching XDP re-creates them), SCHED_FIFO above the
# servers and the load generator under BENCH_RT=1, as an interrupt is
# above any task. NAPI=softirq: the sender's softirq.
place_napi() {
	local prio=
	[ "${BENCH_RT:-1}" = 1 ] && prio=11
	napi_pids_srv= napi_pids_cli=
	if [ "$NAPI" = softirq ]; then
		napi_unthread "$srv" "$srv_if"
		napi_unthread "$cli" "$cli_if"
		return 0
	fi
	napi_place "$srv" "$srv_if" "$SERVER_CPU" $prio || return 1
	napi_place "$cli" "$cli_if" "$CLIENT_CPU" $prio || return 1
	napi_pids_srv=$(napi_pids "$srv_if" | tr '\n' ' ')
	napi_pids_cli=$(napi_pids "$cli_if" | tr '\n' ' ')
	echo "  NAPI threaded: napi/$srv_if (pid ${napi_pids_srv% }) on CPU $SERVER_CPU," \
		"napi/$cli_if (pid ${napi_pids_cli% }) on CPU $CLIENT_CPU"
}

# check_napi: the placement still holds (same kthreads, same CPUs); if
# anything re-created a kthread, say so and place it again.
check_napi() {
	[ "$NAPI" = threaded ] || return 0
	if [ "$(napi_pids "$srv_if" | tr '\n' ' ')" = "$napi_pids_srv" ] &&
		napi_check "$srv_if" "$SERVER_CPU" && napi_check "$cli_if" "$CLIENT_CPU"; then
		return 0
	fi
	echo "  NAPI placement lost: placing it again" >&2
	place_napi
}

# set_xdp attached|none: osnic's XDP program on the server veth, or none
# (GRO on instead, so that the veth still has NAPI); then place_napi.
xdp_state=
set_xdp() {
	[ "$xdp_state" = "$1" ] && return 0
	case $1 in
	attached) say "server veth: osnic's XDP attached" ;;
	*) say "server veth: no XDP, GRO on" ;;
	esac
	if [ "$1" = attached ]; then
		in_osnic "$bin/osnicctl" iface attach "$srv_if" || { cat "$tmp/osnicd.log"; return 1; }
	else
		if [ "$xdp_state" = attached ]; then
			in_osnic "$bin/osnicctl" iface detach "$srv_if" || return 1
		fi
		napi_gro "$srv" "$srv_if" || return 1
	fi
	xdp_state=$1
	place_napi
}

# BENCH_PERF=1: a system-wide perf profile (call graphs) of each closed-loop
# run, reported for the client's and the server's CPU into
# perf-SERVER-WORKLOAD-cpuN.txt (perf report -i perf-*.data for more).
perf_on=${BENCH_PERF:-0} perf_dir=$out perf_cpus="$CLIENT_CPU $SERVER_CPU"
# shellcheck source=bench/lib/perf.sh
source "$(dirname "$0")/lib/perf.sh"

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
command -v ethtool >/dev/null || { echo "error: ethtool is needed (make deps)" >&2; exit 1; }
[ "$(nproc)" -gt "$SERVER_CPU" ] || { echo "error: needs CPU $SERVER_CPU" >&2; exit 1; }
case $NAPI in threaded | softirq) ;; *) echo "error: NAPI=threaded|softirq" >&2; exit 1 ;; esac
case $BASELINE_XDP in none | attached) ;; *) echo "error: BASELINE_XDP=none|attached" >&2; exit 1 ;; esac
rm -rf "$out"
mkdir -p "$out/cdf"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel: $(uname -r)"
	echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "quick: $QUICK, run ${RUN_S}s per point, idle ${IDLE_S}s, client CPU $CLIENT_CPU ($LOADGEN_THREADS load-generator thread(s)), server CPUs $server_cpus ($SERVER_THREADS threads), closed loop $OUTSTANDING outstanding per thread, osnicd --depth $OSNIC_DEPTH, SCHED_FIFO ${BENCH_RT:-1}"
	echo "napi: $NAPI, baselines' XDP: $BASELINE_XDP"
} >"$out/machine.txt"
# For summary.py: how the figures were taken.
printf 'napi,%s\nbaseline_xdp,%s\nclient_cpus,%s\nloadgen_threads,%s\n' \
	"$NAPI" "$BASELINE_XDP" "$client_ncpus" "$LOADGEN_THREADS" >"$out/setup.csv"
cat "$out/machine.txt"

setup_netns
ip -n "$cli" link set dev "$cli_if" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind
start_osnic --depth "$OSNIC_DEPTH" || exit 1

# Every server start gets its own port: a port an osnic service leaves
# lingers in osnicd (XDP keeps it, answering for no service) for 60 s.
next_port() { BPORT=$((BPORT + 1)); }

declare -A cap

# run_workload KIND LABEL WORKLOAD full|max: one server start; its closed-loop
# maximum, and (full) the open-loop loads and the bimodal sweep.
run_workload() {
	local s=$1 label=$2 wl=$3 what=$4 own c pct f
	# shellcheck disable=SC2046
	set -- $(workload_args "$wl")
	say "$wl on $label ($server_threads thread(s), CPUs $server_cpus, XDP $xdp_state, NAPI $NAPI)"
	next_port
	start_bench_server "$s" || return 0
	check_napi || { echo "bench: the NAPI placement failed" >&2; exit 1; }
	perf_start "$label-$wl"
	load "$label/$wl/max" -d "$RUN_S" -o "$OUTSTANDING" "$@"
	perf_stop
	own=$(last_tput)
	[ "$label" = reuseport ] && cap[$wl]=$own
	c=${cap[$wl]:-$own}
	if [ "$what" = max ]; then
		:
	elif [ "${c:-0}" -le 0 ]; then
		echo "  no capacity measured: skipping the open-loop runs"
	else
		for pct in 25 50 75; do
			load "$label/$wl/load$pct" -m open -r $((c * pct / 100)) -d "$RUN_S" \
				--cdf "$out/cdf/$label-$wl-$pct.dat" "$@"
		done
		# The p99 bound sweep goes up to each server's own capacity.
		if [ "$wl" = bimodal ]; then
			for f in $SWEEP; do
				load "$label/$wl/sweep$f" -m open -r "$(awk -v c="${own:-$c}" -v f="$f" 'BEGIN { printf "%d", c * f }')" \
					-d "$RUN_S" "$@"
			done
		fi
	fi
	case $s in osnic*)
		in_osnic "$bin/osnicctl" stats >"$out/$label-stats-$wl.txt" 2>&1
		stop_bench_server
		cp "$tmp/srv.err" "$out/$label-workers-$wl.txt"
		sleep 0.2
		in_osnic "$bin/osnicctl" service list >"$out/$label-services-after-$wl.txt" 2>&1
		;;
	esac
	stop_bench_server
}

# cpu_ticks: utime+stime of cpu_pids and the server's NAPI kthreads.
cpu_ticks() {
	local p t=0
	for p in "${cpu_pids[@]}" $napi_pids_srv; do
		[ "$p" = --cpu-pid ] && continue
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# run_idle KIND LABEL: the server's CPU (with its NAPI kthread) over IDLE_S
# seconds with no calls.
run_idle() {
	local t0 t1 pct
	next_port
	start_bench_server "$1" || return 0
	# A server that brings its own XDP program (afxdp) re-created the NAPI.
	check_napi || { echo "bench: the NAPI placement failed" >&2; exit 1; }
	sleep 0.5
	t0=$(cpu_ticks)
	sleep "$IDLE_S"
	t1=$(cpu_ticks)
	pct=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_S" 'BEGIN { printf "%.2f", 100 * d / hz / s }')
	echo "  idle $2: $pct % of one CPU over ${IDLE_S}s"
	echo "$2,$pct" >>"$out/idle.csv"
	stop_bench_server
}

# run_server KIND LABEL full|max: every workload, then (full) idle.
run_server() {
	local wl
	for wl in $WORKLOADS; do
		run_workload "$1" "$2" "$wl" "$3"
	done
	[ "$3" = full ] && run_idle "$1" "$2"
}

# run_ceiling: NULL calls to an osnic service's port, closed loop: XDP
# answers them alone (XDP_TX), no worker woken: the most calls/s any
# server can answer on this set-up.
run_ceiling() {
	say "the XDP ceiling: NULL answered by XDP (XDP_TX), no thread woken"
	next_port
	start_bench_server osnic || return 0
	check_napi || { echo "bench: the NAPI placement failed" >&2; exit 1; }
	load "xdp-ceiling/null/max" -d "$RUN_S" -o "$OUTSTANDING" -P null
	stop_bench_server
}

is_baseline() { case $1 in tirpc | reuseport | busypoll) return 0 ;; esac; return 1; }

# The table's baselines first (reuseport first: its capacity sets the
# open-loop rates), then osnic and its variants with XDP attached, the
# ceiling, and the baselines in the other XDP state (maximum only).
if [ "$BASELINE_XDP" = attached ]; then other=none suffix=-noxdp; else other=attached suffix=-xdp; fi
set_xdp "$BASELINE_XDP" || exit 1
for s in $SERVERS; do is_baseline "$s" && run_server "$s" "$s" full; done
set_xdp attached || exit 1
for s in $SERVERS; do is_baseline "$s" || run_server "$s" "$s" full; done
run_ceiling
set_xdp "$other" || exit 1
for s in $SERVERS; do is_baseline "$s" && run_server "$s" "$s$suffix" max; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

say "summary"
python3 "$(dirname "$0")/summary.py" "$out"
say "plots"
"$(dirname "$0")/plots.sh" "$out" && ls "$out"/*.png
