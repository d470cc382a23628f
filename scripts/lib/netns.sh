# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Two network namespaces joined by veth, rpcbind, osnicd and the demo
# server in them: shared by make demo (scripts/demo.sh), make bench
# (bench/run.sh), make vmbench (bench/vm-guest.sh) and the integration
# tests (tests/integration/demo_common.sh adds their checks). Sourced, not
# run. Callers set `name` (a short tag). Steps report `ok`/`FAIL` lines
# (pass, fail) and count them in passed and failed.
#
# rpcbind: only one may run on the machine, and its Unix socket under /run
# is shared by every namespace, so registering works from anywhere, but
# remote clients reach it over port 111 only in the namespace it runs in.
# If none is running it is started in the server namespace (and stopped at
# the end); if one runs elsewhere, the rpcbind checks go through its local
# socket and the client is given the port instead of asking rpcbind. If one
# cannot be started either, that is one failure, and the rest is tested
# on a fixed port without rpcbind.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) build=$BUILD ;;
*) build=$top/$BUILD ;;
esac
bin=$build/bin

PROG=536875572		# 0x20001234
srv=osnic-$name-srv-$$
cli=osnic-$name-cli-$$
srv_ip=10.78.0.2
cli_ip=10.78.0.1
tmp=$(mktemp -d "/tmp/osnic-$name.XXXXXX")
passed=0
failed=0
server_pid=
rpcbind_pid=
rpcbind_remote=0
rpcbind_broken=0
port=
# How the server is started (demo_osnic.sh enters osnicd's namespaces instead),
# and which (bench_smoke.sh also starts osnic-bench-server).
server_exec=(ip netns exec "$srv")
server_bin=$bin/osnic-demo-server

say() { printf '\n==> %s\n' "$*"; }

pass() {
	passed=$((passed + 1))
	printf 'ok   %s\n' "$1"
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && sed 's/^/     | /' <<<"$2" | head -20
	return 0
}

in_srv() { ip netns exec "$srv" "$@"; }
in_cli() { ip netns exec "$cli" "$@"; }

stop_server() {
	[ -n "$server_pid" ] || return 0
	kill -TERM "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	local rc=$?
	server_pid=
	return $rc
}

# osnic in the server namespace. `ip netns exec` gives every command its
# own mount namespace, so osnicd, osnicctl and the applications must all
# enter one that holds the bpffs osnicd pins into: a holder process keeps
# it, with a private bpffs (other osnicd instances on the machine are not
# disturbed), and in_osnic enters it.
holder_pid=
osnicd_pid=
# The mode of that bpffs (bpffs's own default if empty; systemd mounts 0700).
bpffs_mode=${bpffs_mode:-}
in_osnic() { nsenter --target "$holder_pid" --mount --net "$@"; }

# start_osnic [OSNICD_ARGS...]: the holder, then osnicd (--cleanup on stop,
# log in $tmp/osnicd.log); fails, showing the log, if osnicd never answers.
start_osnic() {
	local _ ready=$tmp/bpffs-ready
	rm -f "$ready"
	# Ready only once the holder has mounted its bpffs: until then nsenter
	# would join the parent's mount namespace (whose /sys/fs/bpf may well be
	# a bpffs too), or this one before the mount, and osnicd would pin
	# under a bpffs that the holder's then covers.
	ip netns exec "$srv" bash -c 'mount -t bpf ${2:+-o mode=$2} bpf /sys/fs/bpf && : >"$1" &&
		exec sleep infinity' holder "$ready" "$bpffs_mode" &
	holder_pid=$!
	for _ in $(seq 100); do
		[ -e "$ready" ] && break
		kill -0 "$holder_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -e "$ready" ]; then
		echo "the namespace holder did not mount its bpffs in 10 s" >&2
		return 1
	fi
	# Not through in_osnic: $! must be osnicd itself (nsenter execs it).
	nsenter --target "$holder_pid" --mount --net "$bin/osnicd" --cleanup "$@" \
		>"$tmp/osnicd.log" 2>&1 &
	osnicd_pid=$!
	for _ in $(seq 200); do
		in_osnic "$bin/osnicctl" daemon info >/dev/null 2>&1 && return 0
		kill -0 "$osnicd_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "osnicd did not answer; its log:" >&2
	cat "$tmp/osnicd.log" >&2
	return 1
}

stop_osnic() {
	if [ -n "$osnicd_pid" ]; then
		kill -TERM "$osnicd_pid" 2>/dev/null
		wait "$osnicd_pid" 2>/dev/null
		osnicd_pid=
	fi
	if [ -n "$holder_pid" ]; then
		kill "$holder_pid" 2>/dev/null
		wait "$holder_pid" 2>/dev/null
		holder_pid=
	fi
}

common_cleanup() {
	set +e
	stop_server
	stop_osnic
	if [ -n "$rpcbind_pid" ]; then
		kill -TERM "$rpcbind_pid" 2>/dev/null
		wait "$rpcbind_pid" 2>/dev/null
		# It may leave its socket behind: remove it unless it answers.
		rpcinfo -p >/dev/null 2>&1 || rm -f /run/rpcbind.sock
	fi
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rm -rf "$tmp"
}

require() {
	[ "$(id -u)" = 0 ] || { echo "error: $name needs root (namespaces)" >&2; exit 1; }
	local f
	for f in "$@"; do
		[ -x "$f" ] || { echo "error: $f missing; run make" >&2; exit 1; }
	done
	command -v rpcbind >/dev/null && command -v rpcinfo >/dev/null ||
		{ echo "error: rpcbind and rpcinfo are needed (make deps)" >&2; exit 1; }
}

setup_netns() {
	say "namespaces $cli ($cli_ip) and $srv ($srv_ip), joined by veth"
	ip netns add "$srv"
	ip netns add "$cli"
	ip link add "veth-$name-c" netns "$cli" type veth peer name "veth-$name-s" netns "$srv"
	ip -n "$cli" addr add "$cli_ip/24" dev "veth-$name-c"
	ip -n "$srv" addr add "$srv_ip/24" dev "veth-$name-s"
	ip -n "$cli" link set "veth-$name-c" up
	ip -n "$srv" link set "veth-$name-s" up
	ip -n "$cli" link set lo up
	ip -n "$srv" link set lo up
	srv_if=veth-$name-s
}

# rpcbind is usable when its shared socket answers. A process named
# rpcbind is no proof: other tests run theirs with a private /run.
ensure_rpcbind() {
	local i
	if rpcinfo -p >/dev/null 2>&1; then
		say "rpcbind already runs elsewhere: checking it through its local socket"
		return 0
	fi
	say "starting rpcbind in $srv"
	# Not through in_srv: $! must be rpcbind itself (ip netns exec execs it).
	ip netns exec "$srv" rpcbind -f >"$tmp/rpcbind.log" 2>&1 &
	rpcbind_pid=$!
	for i in $(seq 50); do
		in_srv rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
		kill -0 "$rpcbind_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! in_srv rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
		# Test the rest on a fixed port without rpcbind.
		fail "rpcbind starts" "$(cat "$tmp/rpcbind.log")"
		kill "$rpcbind_pid" 2>/dev/null
		rpcbind_pid=
		rpcbind_broken=1
		return 0
	fi
	rpcbind_remote=1
}

# start_server ARGS...: the demo server in the server namespace; sets port.
start_server() {
	local i
	# Without rpcbind the server needs --port to start at all.
	[ "$rpcbind_broken" = 1 ] && set -- --port $((20000 + $$ % 20000)) "$@"
	# Emptied here, not only by the background shell's redirection: until
	# that runs, the loop below could read the previous server's port.
	: >"$tmp/server.out"
	"${server_exec[@]}" "$server_bin" "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
	server_pid=$!
	for i in $(seq 100); do
		port=$(sed -n 's/.*, port \([0-9]*\).*/\1/p' "$tmp/server.out")
		[ -n "$port" ] && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		fail "server starts ($*)" "$(cat "$tmp/server.out" "$tmp/server.err")"
		server_pid=
		return 1
	fi
	pass "server starts: $(cat "$tmp/server.out")"
}

# ---- NAPI placement (veth) ----------------------------------------------------
# With veth, a datagram's receive path (XDP, or the kernel's UDP receive)
# runs in the NAPI poll of the receiving end, by default in the *sender's*
# softirq. Made threaded, that poll runs in a kthread, napi/DEV-ID, which
# can be pinned like a NIC's interrupt. A veth has NAPI only while an XDP
# program is attached or GRO is on; attaching, detaching or a link down/up
# re-creates the kthread (new pid, pin lost): place it again after each.

# napi_pids DEV: the pids of DEV's NAPI kthreads (the names are global,
# whatever namespace DEV is in).
napi_pids() { pgrep -x "napi/$1-[0-9]+"; }

# napi_gro NS DEV: GRO on DEV (in namespace NS), the NAPI path without XDP.
# rx-udp-gro-forwarding makes the peer's UDP datagrams eligible for it (the
# peer has TSO otherwise, and veth then bypasses NAPI); datagrams for a local
# socket are not merged.
napi_gro() {
	ip netns exec "$1" ethtool -K "$2" gro on rx-udp-gro-forwarding on ||
		{ echo "napi: cannot turn GRO on for $2 (is ethtool installed?)" >&2; return 1; }
}

# napi_affinity PID: its allowed CPUs (a list, as 1 or 0-1).
napi_affinity() { awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# napi_ran_ns PID: the ns it has run (schedstat), napi_cpu_of PID the CPU it
# last ran on (stat field 39).
napi_ran_ns() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null; }
napi_cpu_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $37 }'; }

# napi_check DEV CPU: DEV has NAPI kthreads and each may run on CPU only.
napi_check() {
	local pids p aff
	pids=$(napi_pids "$1")
	[ -n "$pids" ] || { echo "napi: no napi/$1-N kthread" >&2; return 1; }
	for p in $pids; do
		aff=$(napi_affinity "$p")
		[ "$aff" = "$2" ] ||
			{ echo "napi: napi/$1 (pid $p) may run on CPUs '$aff', not $2" >&2; return 1; }
	done
}

# napi_place NS DEV CPU [PRIO]: DEV's NAPI (in namespace NS) threaded, its
# kthreads pinned to CPU, and SCHED_FIFO PRIO if given; checked. Fails
# loudly (no silent fall-back to the sender's softirq).
napi_place() {
	local ns=$1 dev=$2 cpu=$3 prio=${4:-} pids p ok _
	if ! ip netns exec "$ns" sh -c "echo 1 >/sys/class/net/$dev/threaded" 2>/dev/null; then
		echo "napi: $dev's NAPI cannot be made threaded (no XDP program, GRO off?)" >&2
		return 1
	fi
	# A kthread being replaced may still be listed: retry until all pin.
	for _ in $(seq 50); do
		pids=$(napi_pids "$dev")
		ok=1
		for p in $pids; do
			taskset -pc "$cpu" "$p" >/dev/null 2>&1 || ok=0
			[ -z "$prio" ] || chrt -f -p "$prio" "$p" >/dev/null 2>&1 || ok=0
		done
		[ -n "$pids" ] && [ "$ok" = 1 ] && napi_check "$dev" "$cpu" 2>/dev/null && return 0
		sleep 0.02
	done
	napi_check "$dev" "$cpu"
	echo "napi: could not pin $dev's NAPI kthread to CPU $cpu" >&2
	return 1
}

# napi_unthread NS DEV: DEV's NAPI back in the sender's softirq.
napi_unthread() { ip netns exec "$1" sh -c "echo 0 >/sys/class/net/$2/threaded" 2>/dev/null || true; }
