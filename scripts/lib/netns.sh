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
