#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The NAPI placement make bench relies on (scripts/lib/netns.sh): the server
# veth's receive path in a threaded NAPI kthread pinned to the server's CPU,
# the client's on the client's CPU, instead of the sender's softirq. With
# osnicd's XDP attached, then detached (GRO on instead), then attached
# again (each re-creates the kthread): the kthread exists, may run on its
# CPU only, and runs there when calls arrive (its run time grows, its last
# CPU is that one). A placement that silently fell back to the sender's
# softirq fails here. Needs root. Ends with "N passed, N failed".
set -uo pipefail

name=napi
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

cleanup() {
	set +e
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server's NAPI on the last CPU, the client's on the first (one CPU:
# both on CPU 0, still placed and checked).
SRV_CPU=$(($(nproc) - 1))
CLI_CPU=0
cli_if=veth-$name-c

lg() { in_cli taskset -c "$CLI_CPU" "$bin/osnic-loadgen" --timeout-ms 1000 "$@" "$srv_ip" "$port"; }

# placed STEP: both ends placed, and each kthread's affinity checked.
placed() {
	local step=$1 out
	if out=$(napi_place "$srv" "$srv_if" "$SRV_CPU" 2>&1); then
		pass "$step: napi/$srv_if threaded and pinned to CPU $SRV_CPU"
	else
		fail "$step: napi/$srv_if threaded and pinned to CPU $SRV_CPU" "$out"
	fi
	if out=$(napi_place "$cli" "$cli_if" "$CLI_CPU" 2>&1); then
		pass "$step: napi/$cli_if threaded and pinned to CPU $CLI_CPU"
	else
		fail "$step: napi/$cli_if threaded and pinned to CPU $CLI_CPU" "$out"
	fi
	check_out "$step: $srv_if's threaded is 1" "^1$" in_srv cat "/sys/class/net/$srv_if/threaded"
	srv_pids=$(napi_pids "$srv_if")
	check_out "$step: one server NAPI kthread, allowed CPU $SRV_CPU only" "^$SRV_CPU$" \
		napi_affinity "$srv_pids"
}

# ran STEP ARGS...: load (loadgen ARGS) makes the server's kthread run, on
# its CPU; the calls are answered.
ran() {
	local step=$1 p t0 t1 out
	shift
	p=$(napi_pids "$srv_if")
	t0=$(napi_ran_ns "$p")
	out=$(lg "$@" 2>&1)
	check_out "$step: calls answered" 'answered [1-9][0-9]* bad 0' echo "$out"
	t1=$(napi_ran_ns "$p")
	# 0.5 s of calls: well over 1 ms of receive work in the kthread.
	if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -gt 1000000 ]; then
		pass "$step: napi/$srv_if (pid $p) ran $(((t1 - t0) / 1000)) us during the calls"
	else
		fail "$step: napi/$srv_if (pid $p) ran during the calls" \
			"run time before '${t0:-}' ns, after '${t1:-}' ns; $out"
	fi
	check_out "$step: ... on CPU $SRV_CPU" "^$SRV_CPU$" napi_cpu_of "$p"
	check_out "$step: ... and may still run on CPU $SRV_CPU only" "^$SRV_CPU$" napi_affinity "$p"
}

require "$bin/osnic-loadgen" "$bin/osnic-demo-server" "$bin/osnicd" "$bin/osnicctl" \
	"$bin/osnic-bench-server"
command -v ethtool >/dev/null || { echo "error: ethtool is needed (make deps)" >&2; exit 1; }
setup_netns
ip -n "$cli" link set dev "$cli_if" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind

say "no XDP, GRO off: no NAPI to place (a loud failure, not a fall-back)"
# (This kernel refuses threaded=1 then; one that took it would still
# have no kthread to pin.)
check_fails "napi_place refuses without XDP or GRO" "cannot be made threaded|no napi/$srv_if-N kthread" \
	napi_place "$srv" "$srv_if" "$SRV_CPU"

say "osnicd's XDP attached"
start_osnic || exit 1
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"
placed attached
pid_attached=$srv_pids
server_exec=(nsenter --target "$holder_pid" --mount --net)
BPORT=$((21000 + $$ % 20000))
if start_server --transport osnic --workers 1 --port "$BPORT"; then
	ran "osnic ECHO" -d 0.5 -o 8 -P echo -s 16
	# NULL is answered by XDP alone (XDP_TX): the kthread does it all.
	ran "osnic NULL (XDP_TX)" -d 0.5 -o 8 -P null
fi
stop_server

say "detached: no XDP, GRO on (the baselines' other path)"
check "osnicctl iface detach $srv_if" in_osnic "$bin/osnicctl" iface detach "$srv_if"
check "GRO and UDP GRO forwarding on $srv_if" napi_gro "$srv" "$srv_if"
placed detached
echo "     (the server's kthread: pid $pid_attached attached, $srv_pids detached)"
server_exec=(ip netns exec "$srv")
server_bin=$bin/osnic-bench-server
BPORT=$((BPORT + 1))
if start_server --mode reuseport --threads 1 --port "$BPORT"; then
	ran "reuseport without XDP" -d 0.5 -o 8 -P echo -s 16
fi
stop_server

say "attached again"
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"
placed "re-attached"
BPORT=$((BPORT + 1))
if start_server --mode reuseport --threads 1 --port "$BPORT"; then
	ran "reuseport through osnic's XDP (XDP_PASS)" -d 0.5 -o 8 -P echo -s 16
fi
stop_server

say "link down and up re-creates the kthread"
ip -n "$srv" link set "$srv_if" down
ip -n "$srv" link set "$srv_if" up
placed "link down/up"

finish
