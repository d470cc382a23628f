#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: what exists so far, against a real client. Two network
# namespaces joined by veth; the osnic XDP program on the server side counts
# what arrives; a UDP client sends datagrams; a UDP server receives them
# (no osnic service is registered here, so the program passes every
# datagram on as "not listened"); the counters are printed.
# Everything is removed on exit, also when interrupted.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
obj=$top/$BUILD/bpf/osnic_xdp.bpf.o
srv=osnic-demo-srv cli=osnic-demo-cli
port=5000 count=20

say() { printf '\n==> %s\n' "$*"; }
cleanup() {
	set +e
	[ -n "${listener:-}" ] && kill "$listener" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "demo: needs root (namespaces, XDP)" >&2; exit 1; }
[ -r "$obj" ] || { echo "demo: $obj missing; run make" >&2; exit 1; }
cleanup

say "creating namespaces $cli and $srv joined by veth (10.77.0.1 <-> 10.77.0.2)"
ip netns add "$srv"
ip netns add "$cli"
ip link add veth-cli netns "$cli" type veth peer name veth-srv netns "$srv"
ip -n "$cli" addr add 10.77.0.1/24 dev veth-cli
ip -n "$srv" addr add 10.77.0.2/24 dev veth-srv
ip -n "$cli" link set veth-cli up
ip -n "$srv" link set veth-srv up
ip -n "$cli" link set lo up
ip -n "$srv" link set lo up

say "attaching the osnic XDP program (native mode) to veth-srv"
ip -n "$srv" link set dev veth-srv xdpdrv obj "$obj" sec xdp
ip -n "$srv" -d link show veth-srv | grep -o 'prog/xdp id [0-9]*'

say "starting a UDP server on 10.77.0.2:$port in $srv"
ip netns exec "$srv" nc -u -l -k 10.77.0.2 "$port" >"/tmp/osnic-demo.$$" &
listener=$!
sleep 0.5

say "client in $cli sends $count datagrams to 10.77.0.2:$port, and 3 to port 6000"
for i in $(seq "$count"); do
	ip netns exec "$cli" bash -c "echo 'call $i' >/dev/udp/10.77.0.2/$port"
done
for i in 1 2 3; do
	ip netns exec "$cli" bash -c "echo other >/dev/udp/10.77.0.2/6000"
done
sleep 0.5

say "counters kept by XDP"
prog_id=$(ip -n "$srv" -d link show veth-srv | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
ip netns exec "$srv" "$top/scripts/xdp-counters.py" "$prog_id"
say "the UDP server received (XDP passed every datagram on): $(wc -l <"/tmp/osnic-demo.$$") datagrams"
rm -f "/tmp/osnic-demo.$$"
say "done; cleaning up"
