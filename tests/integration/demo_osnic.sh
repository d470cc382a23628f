#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo service on osnic (osnic-demo-server --transport osnic), end to
# end: osnicd in the server namespace with its XDP program on the veth,
# the demo server's workers fed through their rings, called from the client
# namespace. The same checks as demo_tirpc.sh (the libtirpc reference),
# the calls libtirpc gets wrong, 10,000 calls at a low rate that must all
# be answered and all be delivered through rings (osnicctl -j stats), and
# a clean exit: the service leaves osnicd and rpcbind.
#
# osnicd, osnicctl and the demo server share one mount namespace with a
# private bpffs (a holder process keeps it), so that the rings osnicd pins
# are the ones the server maps, and so that no other osnicd on the machine
# is disturbed. Needs root. BUILD= selects the build directory.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=osnic
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

CALLS=${CALLS:-10000}
RATE=${RATE:-1000}

cleanup() {
	set +e
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# A service's counter from `osnicctl -j stats`.
svc_stat() {	# svc_stat SERVICE_ID FIELD
	in_osnic "$bin/osnicctl" -j stats |
		jq -r --argjson id "$1" --arg f "$2" '.services[] | select(.id == $id) | .[$f]'
}

rx_stat() {	# rx_stat COUNTER: one of XDP's receive counters
	in_osnic "$bin/osnicctl" -j stats | jq -r --arg f "$1" '.rx[$f]'
}

# Datagrams the server namespace's kernel handed to UDP sockets (all of
# them: the only UDP there is the demo service and rpcbind).
udp_in_datagrams() {
	in_osnic awk '/^Udp: [0-9]/ { print $2; exit }' /proc/net/snmp
}

# Bad input on the service port: each kind is dropped by XDP, counted under
# its reason, and never answered; valid calls keep working.
bad_input_checks() {
	local short0 notcall0 short1 notcall1
	say "bad input on the service port"
	short0=$(rx_stat rpc_short)
	notcall0=$(rx_stat rpc_not_call)
	check_out "bad datagrams get no answer" "^no reply no reply no reply no reply$" \
		in_cli python3 - "$srv_ip" "$port" <<'PY'
import socket, struct, sys
ip, port = sys.argv[1], int(sys.argv[2])
bad = [
    struct.pack("!3I", 1, 0, 2),                          # truncated call header
    struct.pack("!10I", 2, 7, 2, 536875572, 1, 2, 0, 0, 0, 0) + bytes(16),  # msg_type 7
    struct.pack("!11I", 3, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0),  # a REPLY message
    b"\xde\xad\xbe\xef" * 16,                            # garbage
]
out = []
for msg in bad:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(msg, (ip, port))
    try:
        s.recv(65536)
        out.append("reply")
    except socket.timeout:
        out.append("no reply")
print(" ".join(out))
PY
	short1=$(rx_stat rpc_short)
	notcall1=$(rx_stat rpc_not_call)
	if [ $((short1 - short0)) = 1 ] && [ $((notcall1 - notcall0)) = 3 ]; then
		pass "counted by reason: rpc_short +1, rpc_not_call +3"
	else
		fail "counted by reason: rpc_short +1, rpc_not_call +3" \
			"rpc_short $short0 -> $short1, rpc_not_call $notcall0 -> $notcall1"
	fi
	check_out "a valid call still works after bad input" "^add: 3$" client "$srv_ip" add 1 2
}

require "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$bin/osnicd" "$bin/osnicctl"
[ -r "$build/bpf/osnic_pass.bpf.o" ] || { echo "error: $build/bpf/osnic_pass.bpf.o missing; run make" >&2; exit 1; }
command -v jq >/dev/null || { echo "error: jq is needed" >&2; exit 1; }
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp

say "a mount namespace with its own bpffs, in $srv"
ensure_rpcbind
say "osnicd in $srv"
# In this shell, not under check: its processes must outlive the call.
start_osnic
check "osnicd answers" in_osnic "$bin/osnicctl" daemon info
check_out "private bpffs" "^bpf_fs$" in_osnic stat -f -c %T /sys/fs/bpf
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"
check_out "osnicctl iface list shows $srv_if" "$srv_if" in_osnic "$bin/osnicctl" iface list

server_exec=(nsenter --target "$holder_pid" --mount --net)

# One server run: native handlers with the $CALLS-call run, then rpcgen's
# dispatch function through the SVCXPRT adapter with the functional checks.
serve_and_check() {	# serve_and_check DISPATCH CALLS
	local dispatch=$1 calls=$2 svc_id nw before after ring_calls n udp_before udp_after

	say "osnic-demo-server --transport osnic --dispatch $dispatch --workers 2 in $srv"
	start_server --transport osnic --dispatch "$dispatch" --workers 2 || return
	svc_id=$(sed -n 's/.*service id \([0-9]*\).*/\1/p' "$tmp/server.out")
	check_out "service $svc_id known to osnicd" "$PROG" in_osnic "$bin/osnicctl" service list
	nw=$(in_osnic "$bin/osnicctl" -j worker list |
		jq --argjson id "${svc_id:-0}" '[.[] | select(.service_id == $id)] | length')
	if [ "$nw" = 2 ]; then pass "2 workers known to osnicd"; else fail "2 workers known to osnicd" "$nw"; fi
	rpcbind_checks
	client_checks
	raw_checks
	raw_checks_osnic
	bad_input_checks

	if [ "$calls" -gt 0 ]; then
		say "$calls calls at $RATE per second"
		before=$(svc_stat "$svc_id" delivered)
		udp_before=$(udp_in_datagrams)
		# The port is given, so the client asks rpcbind nothing: every UDP
		# datagram into the server namespace is a call to the service.
		check_out "$calls ADD calls all answered" "^$calls calls, $calls answered, 0 failed$" \
			in_cli "$bin/osnic-demo-client" -p "$port" -q -n "$calls" -r "$RATE" "$srv_ip" add 1 2
		after=$(svc_stat "$svc_id" delivered)
		udp_after=$(udp_in_datagrams)
		if [ -n "$udp_before" ] && [ "$udp_before" = "$udp_after" ]; then
			pass "the service's UDP socket received none of them (Udp InDatagrams unchanged)"
		else
			fail "the service's UDP socket received none of them" \
				"Udp InDatagrams before: '$udp_before', after: '$udp_after'"
		fi
		if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -eq "$calls" ]; then
			pass "osnicctl -j stats: $calls more calls delivered through rings"
		else
			fail "osnicctl -j stats: $calls more calls delivered through rings" \
				"delivered before: '$before', after: '$after'"
		fi
	fi

	say "stopping the server (SIGTERM)"
	if stop_server; then pass "server exits 0 on SIGTERM"; else fail "server exits 0 on SIGTERM" "$(cat "$tmp/server.err")"; fi
	ring_calls=0
	for n in $(sed -n 's/.*: ring \([0-9]*\),.*/\1/p' "$tmp/server.err"); do
		ring_calls=$((ring_calls + n))
	done
	if [ "$ring_calls" -ge $((calls + 20)) ]; then
		pass "workers served $ring_calls calls from their rings"
	else
		fail "workers served at least $((calls + 20)) calls from their rings" "$(cat "$tmp/server.err")"
	fi
	rpcbind_gone_check
	if in_osnic "$bin/osnicctl" service list | grep -q "$PROG"; then
		fail "the service left osnicd" "$(in_osnic "$bin/osnicctl" service list)"
	else
		pass "the service left osnicd"
	fi
}

serve_and_check native "$CALLS"
serve_and_check rpcgen 0

if [ "$failed" -ne 0 ]; then
	echo "---- osnicd log"
	tail -30 "$tmp/osnicd.log"
	echo "---- server stderr"
	tail -30 "$tmp/server.err" 2>/dev/null
fi
finish
