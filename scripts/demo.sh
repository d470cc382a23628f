#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: the demo service on osnic, driven by real clients.
#
# A client and a server network namespace joined by veth; in the server
# one: rpcbind, osnicd (with a private bpffs, its XDP program on the veth)
# and osnic-demo-server --transport osnic --workers 2. From the client
# namespace: rpcinfo, the demo client calling every procedure, then a short
# load run with osnic-loadgen. Then `osnicctl stats` and `osnicctl worker
# list`. Everything is removed on exit, also when interrupted.
#
# The namespace and rpcbind plumbing is scripts/lib/netns.sh.
# DEMO_SECONDS (5) and DEMO_RATE (20000) set the load run.
set -uo pipefail

name=demo
# shellcheck source=scripts/lib/netns.sh
source "$(dirname "$0")/lib/netns.sh"

DEMO_SECONDS=${DEMO_SECONDS:-5}
DEMO_RATE=${DEMO_RATE:-20000}

cleanup() {
	set +e
	say "cleaning up: server, osnicd, rpcbind, namespaces"
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Show a command, then run it.
run() { printf '$ %s\n' "$*"; "$@"; }
run_cli() { printf '[%s] $ %s\n' "$cli" "$*"; in_cli "$@"; }

require "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$bin/osnicd" "$bin/osnicctl" \
	"$bin/osnic-loadgen"
[ -r "$build/bpf/osnic_pass.bpf.o" ] || { echo "error: $build/bpf/osnic_pass.bpf.o missing; run make" >&2; exit 1; }

setup_netns
# XDP_TX replies over veth need an XDP program on the receiving side.
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp

say "a mount namespace with a private bpffs in $srv (osnicd pins its rings there)"
ensure_rpcbind

say "starting osnicd in $srv and attaching it to $srv_if"
start_osnic || exit 1
run in_osnic "$bin/osnicctl" iface attach "$srv_if" || exit 1
run in_osnic "$bin/osnicctl" iface list

say "starting the demo service: osnic-demo-server --transport osnic --workers 2"
server_exec=(nsenter --target "$holder_pid" --mount --net)
start_server --transport osnic --workers 2 || { cat "$tmp/server.err"; exit 1; }
run in_osnic "$bin/osnicctl" service list

say "rpcinfo from $cli: the program is registered and answers"
if [ "$rpcbind_remote" = 1 ]; then
	run_cli rpcinfo -p "$srv_ip" | grep -E "program|$PROG"
	run_cli rpcinfo -u "$srv_ip" "$PROG" 1
else
	uaddr=$srv_ip.$((port >> 8)).$((port & 255))
	run in_srv rpcinfo -p | grep -E "program|$PROG"
	run_cli rpcinfo -a "$uaddr" -T udp "$PROG" 1
fi

say "the demo client (libtirpc) calls every procedure"
democall() {
	local args=("$@")
	[ "$rpcbind_remote" = 1 ] || args=(-p "$port" "$@")
	printf '[%s] $ osnic-demo-client %s\n' "$cli" "${args[*]@Q}"
	in_cli "$bin/osnic-demo-client" "${args[@]}" | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" = 0 ] || { echo "demo: the call failed" >&2; exit 1; }
}
democall "$srv_ip" null
democall "$srv_ip" echo "hello, osnic"
democall "$srv_ip" add 40 2
democall "$srv_ip" put greeting "hello from the demo"
democall "$srv_ip" get greeting
democall "$srv_ip" spin 1000
democall -n 1000 -q "$srv_ip" add 1 2

say "load: osnic-loadgen, open loop, $DEMO_RATE ECHO calls/s (16 bytes) for $DEMO_SECONDS s"
printf '[%s] $ osnic-loadgen --mode open --rate %s --duration %s --proc echo --size 16 %s %s\n' \
	"$cli" "$DEMO_RATE" "$DEMO_SECONDS" "$srv_ip" "$port"
in_cli "$bin/osnic-loadgen" --mode open --rate "$DEMO_RATE" --duration "$DEMO_SECONDS" \
	--proc echo --size 16 --progress --label osnic "$srv_ip" "$port"

say "osnicctl stats"
run in_osnic "$bin/osnicctl" stats
say "osnicctl worker list"
run in_osnic "$bin/osnicctl" worker list

say "stopping the demo service (SIGTERM): its workers print their counters"
stop_server
sed 's/^/    /' "$tmp/server.err"
say "done"
