#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# XDP serves only datagrams addressed to this host (osnic_local_addrs, kept
# by osnicd from rtnetlink). With osnicd attached to the server veth and
# the demo service registered:
#  - the addresses of the server namespace are in the map from the start;
#  - an address added to the veth after start is served through osnic
#    (rpcinfo's NULL call answered by XDP, an ADD call delivered to a ring);
#  - once deleted, a call to it is left to the kernel (not_local), which
#    drops it: no answer from the gone address;
#  - a call to another host's address that reaches the server veth (a
#    static neighbour entry in the client points it at the server's MAC) is
#    not answered by osnic and counted as not_local;
#  - a restarted osnicd prunes what the re-adopted map holds in excess.
# Needs root. BUILD= selects the build directory. Ends with
# "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=laddr
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

new_ip=10.78.0.20	# added to the server veth after osnicd starts
other_ip=10.78.0.99	# never on the server: another host's
stale_ip=10.78.0.77	# put in the map by hand, never on the server

cleanup() {
	set +e
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rx_stat() {	# rx_stat COUNTER: one of XDP's receive counters
	in_osnic "$bin/osnicctl" -j stats | jq -r --arg f "$1" '.rx[$f]'
}

# wait_log REGEX: until osnicd's log (debug level) has a matching line, 5 s at most.
wait_log() {
	local _
	for _ in $(seq 100); do
		grep -Eq -- "$1" "$tmp/osnicd.log" && return 0
		sleep 0.05
	done
	echo "no line /$1/ in osnicd's log:"
	tail -20 "$tmp/osnicd.log"
	return 1
}

# null_call IP: one NULL call of the demo program from the client namespace,
# straight to the service port; prints the reply words or "no reply".
null_call() {
	in_cli python3 - "$1" "$port" "$PROG" <<'PY'
import socket, struct, sys
ip, port, prog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(struct.pack("!10I", 0x5ee, 0, 2, prog, 1, 0, 0, 0, 0, 0), (ip, port))
try:
    data, src = s.recvfrom(65536)
except socket.timeout:
    print("no reply")
    sys.exit(0)
n = len(data) // 4
print(src[0], " ".join(str(w) for w in struct.unpack("!%dI" % n, data[:4 * n])))
PY
}

# rpcinfo's NULL call to IP: through rpcbind there when it is reachable, else to the port.
rpcinfo_null() {
	if [ "$rpcbind_remote" = 1 ]; then
		in_cli rpcinfo -u "$1" "$PROG" 1
	else
		in_cli rpcinfo -a "$1.$((port >> 8)).$((port & 255))" -T udp "$PROG" 1
	fi
}

# delta_check NAME COUNTER BEFORE WANT: the counter moved by exactly WANT.
delta_check() {
	local now
	now=$(rx_stat "$2")
	if [ -n "$3" ] && [ -n "$now" ] && [ $((now - $3)) = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$2: before '$3', now '$now', want +$4"
	fi
}

require "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$bin/osnicd" "$bin/osnicctl"
[ -r "$build/bpf/xdp_pass.bpf.o" ] || { echo "error: $build/bpf/xdp_pass.bpf.o missing; run make" >&2; exit 1; }
command -v jq >/dev/null || { echo "error: jq is needed" >&2; exit 1; }
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/xdp_pass.bpf.o" sec xdp
srv_mac=$(ip -n "$srv" -j link show "$srv_if" | jq -r '.[0].address')
# Frames for these addresses go to the server veth whatever the server has.
ip -n "$cli" neigh replace "$new_ip" lladdr "$srv_mac" dev "veth-$name-c" nud permanent
ip -n "$cli" neigh replace "$other_ip" lladdr "$srv_mac" dev "veth-$name-c" nud permanent
ip -n "$cli" neigh replace "$stale_ip" lladdr "$srv_mac" dev "veth-$name-c" nud permanent

ensure_rpcbind
say "osnicd (-v: address changes are logged) in $srv"
start_osnic -v
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"
server_exec=(nsenter --target "$holder_pid" --mount --net)
start_server --transport osnic --workers 1 || exit 1

say "the addresses at start"
check "$srv_ip from the first dump" wait_log "local address $srv_ip on interface [0-9]+: served"
check "127.0.0.1 from the first dump" wait_log "local address 127\.0\.0\.1 on interface [0-9]+: served"
check "::1 from the first dump" wait_log "local address ::1 on interface [0-9]+: served"
if grep -Eq "local address $new_ip " "$tmp/osnicd.log"; then
	fail "$new_ip not known before it is added" "$(grep -E "$new_ip" "$tmp/osnicd.log")"
else
	pass "$new_ip not known before it is added"
fi
nul0=$(rx_stat rpc_nullproc)
nl0=$(rx_stat not_local)
check_out "NULL to $srv_ip answered" "^$srv_ip 1518 1 0 0 0 0$" null_call "$srv_ip"
delta_check "... by XDP (rpc_nullproc +1, not_local +0)" rpc_nullproc "$nul0" 1
delta_check "... not_local unchanged" not_local "$nl0" 0

say "an address added after start: $new_ip"
ip -n "$srv" addr add "$new_ip/24" dev "$srv_if"
check "osnicd learns $new_ip" wait_log "local address $new_ip on interface [0-9]+: served"
nul0=$(rx_stat rpc_nullproc)
nl0=$(rx_stat not_local)
check_out "rpcinfo NULL to $new_ip answered" "program $PROG version 1 ready and waiting" \
	rpcinfo_null "$new_ip"
delta_check "... by XDP (rpc_nullproc +1)" rpc_nullproc "$nul0" 1
del0=$(rx_stat rpc_delivered)
check_out "ADD to $new_ip" "^add: 42$" client "$new_ip" add 40 2
delta_check "... delivered through a ring (rpc_delivered +1)" rpc_delivered "$del0" 1
delta_check "... none of it not_local" not_local "$nl0" 0

say "the address deleted: $new_ip"
ip -n "$srv" addr del "$new_ip/24" dev "$srv_if"
check "osnicd drops $new_ip" wait_log "local address $new_ip on interface [0-9]+: gone"
nul0=$(rx_stat rpc_nullproc)
nl0=$(rx_stat not_local)
check_out "NULL to the deleted $new_ip: no answer" "^no reply$" null_call "$new_ip"
delta_check "... left to the kernel (not_local +1)" not_local "$nl0" 1
delta_check "... not answered by XDP (rpc_nullproc +0)" rpc_nullproc "$nul0" 0

say "another host's address on the served port: $other_ip"
nul0=$(rx_stat rpc_nullproc)
nl0=$(rx_stat not_local)
del0=$(rx_stat rpc_delivered)
check_out "NULL to $other_ip: no answer" "^no reply$" null_call "$other_ip"
check_fails "ADD to $other_ip: no answer" "." \
	in_cli "$bin/osnic-demo-client" -p "$port" -t 1000 "$other_ip" add 1 2
delta_check "... both left to the kernel (not_local +2)" not_local "$nl0" 2
delta_check "... not answered by XDP (rpc_nullproc +0)" rpc_nullproc "$nul0" 0
delta_check "... not delivered (rpc_delivered +0)" rpc_delivered "$del0" 0
check_out "osnicctl stats names not_local" "not_local" in_osnic "$bin/osnicctl" stats

say "the service still answers on $srv_ip"
check_out "ADD to $srv_ip" "^add: 3$" client "$srv_ip" add 1 2

# An entry the namespace does not have, as a crashed osnicd may leave.
say "osnicd restarts over pinned maps holding a stale entry ($stale_ip)"
check "a stale entry put in the map" in_osnic bpftool map update \
	pinned /sys/fs/bpf/osnic/osnic_local_addrs \
	key 2 0 0 0 ${stale_ip//./ } 0 0 0 0 0 0 0 0 0 0 0 0 value 1 0 0 0
check_out "... is served, as any entry" "^$stale_ip 1518 1 0 0 0 0$" null_call "$stale_ip"
kill -KILL "$osnicd_pid"
wait "$osnicd_pid" 2>/dev/null
nsenter --target "$holder_pid" --mount --net "$bin/osnicd" --cleanup -v \
	>"$tmp/osnicd.log" 2>&1 &
osnicd_pid=$!
check "osnicd restarted" wait_log "osnicd .* ready"
check "it re-adopts the pinned state" wait_log "re-adopted pinned state"
check "it prunes $stale_ip" wait_log "local address $stale_ip: no longer here, pruned"
check "it serves $srv_ip" wait_log "local address $srv_ip on interface [0-9]+: served"
nl0=$(rx_stat not_local)
check_out "NULL to $stale_ip: no answer" "^no reply$" null_call "$stale_ip"
delta_check "... left to the kernel (not_local +1)" not_local "$nl0" 1
check_out "ADD to $srv_ip after the restart" "^add: 3$" client "$srv_ip" add 1 2

if [ "$failed" -ne 0 ]; then
	echo "---- osnicd log"
	tail -30 "$tmp/osnicd.log"
fi
finish
