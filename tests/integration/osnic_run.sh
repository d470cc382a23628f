#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# osnic-run end to end: Debian's unmodified ypserv and rpc.rusersd, run
# under osnic-run in the server namespace, osnicd's XDP program on the
# veth, called from the client namespace by real clients (rpcinfo, yppoll,
# rusers) and by osnic-nis-client (YPPROC_MATCH and YPPROC_ORDER without
# ypbind). The UDP calls must be delivered by XDP into rings (osnicctl -j
# stats) and none may reach the daemon's own UDP socket (Udp InDatagrams of
# the namespace); TCP and rpcbind keep working through libtirpc; killing
# the daemon removes its services from osnicd within a second.
#
# OSNIC_RUN_WRAP= (empty) runs the daemons without osnic-run: then the
# checks that need the shim fail, which is how this test is checked itself.
#
# Needs root, ypserv, yp-tools, rusersd and rusers (make deps). BUILD=
# selects the build directory. Ends with "N passed, N failed".
set -uo pipefail

name=run
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

YPPROG=100004
RUSERSPROG=100002
domain=osnicrun$$
map=osnic.byname
ypdir=/var/yp/$domain
ypport=$((30000 + $$ % 20000))
makedbm=/usr/lib/yp/makedbm
wrap=("$bin/osnic-run" --verbose)
if [ "${OSNIC_RUN_WRAP+set}" = set ] && [ -z "$OSNIC_RUN_WRAP" ]; then
	wrap=()
fi
daemon_pid=

stop_daemon() {	# stop_daemon [SIGNAL]
	[ -n "$daemon_pid" ] || return 0
	kill "-${1:-TERM}" "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}

cleanup() {
	set +e
	stop_daemon KILL
	pkill -KILL -f "^$build/tests/own_loop_server " 2>/dev/null
	rm -rf "$ypdir"
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-run" "$build/lib/libosnic-run.so" "$bin/osnic-nis-client" "$bin/osnicd" \
	"$build/tests/own_loop_server" \
	"$bin/osnicctl" "$makedbm"
for t in ypserv yppoll rpc.rusersd rusers jq; do
	command -v "$t" >/dev/null || { echo "error: $t missing (make deps)" >&2; exit 1; }
done

# What XDP delivered to the services of PROG (summed), from osnicctl -j stats.
delivered() {	# delivered PROG
	local ids
	ids=$(in_osnic "$bin/osnicctl" -j service list |
		jq -c --argjson p "$1" '[.[] | select(.prog == $p) | .id]')
	in_osnic "$bin/osnicctl" -j stats |
		jq --argjson ids "${ids:-[]}" '[.services[] | select(.id as $i | $ids | index($i)) | .delivered] | add // 0'
}

nservices() {	# nservices PROG [PORT]: osnicd's services of PROG (on PORT)
	in_osnic "$bin/osnicctl" -j service list |
		jq --argjson p "$1" --argjson port "${2:-0}" \
			'[.[] | select(.prog == $p and ($port == 0 or .port == $port))] | length'
}

# The pid of the process that holds a UDP socket of COMMAND in the server
# namespace: the daemon itself, also after it forked into the background.
udp_owner() {	# udp_owner COMMAND
	in_osnic ss -Hulpn | grep -o "\"$1\",pid=[0-9]*" | head -1 | sed 's/.*pid=//'
}

udp_in_datagrams() {
	in_osnic awk '/^Udp: [0-9]/ { print $2; exit }' /proc/net/snmp
}

rx_stat() {	# rx_stat COUNTER: one of XDP's receive counters
	in_osnic "$bin/osnicctl" -j stats | jq -r --arg f "$1" '.rx[$f]'
}

# start_daemon LOG PROG CMD...: in osnicd's namespaces with its own UTS
# namespace (the NIS domain name is the daemon's own); waits until PROG is
# registered with rpcbind. $daemon_pid is the daemon itself (every step execs).
start_daemon() {
	local log=$1 prog=$2 i
	shift 2
	nsenter --target "$holder_pid" --mount --net unshare --uts \
		sh -c 'domainname "$0" && exec "$@"' "$domain" "${wrap[@]}" "$@" >"$log" 2>&1 &
	daemon_pid=$!
	for i in $(seq 100); do
		# Not ended by the first process's exit: daemons fork into the background.
		in_srv rpcinfo -p 2>/dev/null | grep -Eq "^ +$prog +[0-9]+ +udp" && return 0
		sleep 0.05
	done
	fail "$* starts and registers with rpcbind" "$(cat "$log")"
	daemon_pid=
	return 1
}

# gone_within_1s PROG: osnicd forgets PROG's services within a second of
# the daemon's death (SIGKILL: nothing of the daemon's own cleanup runs).
gone_within_1s() {
	local prog=$1 t0 ms n
	t0=$(date +%s%N)
	stop_daemon KILL
	while :; do
		n=$(nservices "$prog")
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$n" = 0 ] || [ "$ms" -gt 1000 ] && break
		sleep 0.02
	done
	if [ "$n" = 0 ]; then
		pass "killed: osnicd removed its services within a second (${ms} ms)"
	else
		fail "killed: osnicd removed its services within a second" \
			"after $ms ms: $(in_osnic "$bin/osnicctl" service list)"
	fi
}

nis() { in_cli "$bin/osnic-nis-client" "$@"; }

setup_netns
srv_ip6=fd00:78::2
ip -n "$cli" addr add fd00:78::1/64 dev "veth-$name-c" nodad
ip -n "$srv" addr add "$srv_ip6/64" dev "$srv_if" nodad
# XDP_TX replies reach the client only if its veth end has NAPI (XDP).
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind
say "osnicd in $srv"
start_osnic || exit 1
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"

# ---- ypserv ---------------------------------------------------------------------
say "a NIS map: $ypdir/$map"
mkdir -p "$ypdir"
{
	printf 'alpha\tthe first value\n'
	printf 'beta\tsecond\n'
	for i in $(seq 0 99); do printf 'key%d\tvalue %d\n' "$i" "$i"; done
} | "$makedbm" - "$ypdir/$map" || fail "makedbm builds $map"
order=$("$makedbm" -u "$ypdir/$map" | sed -n 's/^YP_LAST_MODIFIED[[:space:]]*//p')

say "ypserv -f -p $ypport under ${wrap[*]:-(no osnic-run)}"
if start_daemon "$tmp/ypserv.log" $YPPROG ypserv -f -p "$ypport"; then
	# The shim registers once ypserv serves, a moment after rpcbind knows it.
	for i in $(seq 100); do
		n=$(nservices $YPPROG "$ypport")
		[ "$n" = 2 ] && break
		sleep 0.05
	done
	if [ "$n" = 2 ]; then pass "osnicd serves ypserv's 2 versions on udp port $ypport"; else fail "osnicd serves ypserv's 2 versions on udp port $ypport" "$n services; $(cat "$tmp/ypserv.log")"; fi
	# rpcbind keeps every entry ypserv registered: udp, tcp, udp6, tcp6.
	line=$(in_srv rpcinfo -s | awk -v p=$YPPROG '$1 == p { print $3 }')
	ok=1
	for nid in udp tcp udp6 tcp6; do
		grep -Eq "(^|,)$nid(,|$)" <<<"$line" || ok=0
	done
	if [ "$ok" = 1 ]; then
		pass "rpcbind keeps ypserv's udp, tcp, udp6 and tcp6 entries"
	else
		fail "rpcbind keeps ypserv's udp, tcp, udp6 and tcp6 entries" "$(in_srv rpcinfo -s)"
	fi
	check_out "rpcbind keeps udp and tcp entries of version 2" \
		"$YPPROG +2 +tcp +$ypport" in_srv rpcinfo -p
	check_out "rpcbind keeps the udp entry of version 2" "$YPPROG +2 +udp +$ypport" \
		in_srv rpcinfo -p

	d0=$(delivered $YPPROG)
	u0=$(udp_in_datagrams)
	# Straight to the port: no rpcbind lookup, so every UDP datagram into
	# the namespace from here on is a call to ypserv.
	check_out "YPPROC_ORDER: the map's order number" "^order $order$" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" order
	check_out "YPPROC_MATCH: the right values" \
		"^alpha: the first value"$'\n'"beta: second"$'\n'"key42: value 42$" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" match alpha beta key42
	check_out "YPPROC_MATCH: a missing key is missing" "^nokey: no such key$" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" match nokey
	check_out "YPPROC_MATCH: a missing map is reported by ypserv" "^alpha: ypstat -1$" \
		nis -p "$ypport" "$srv_ip" "$domain" no.such.map match alpha
	check_fails "procedure 99: ypserv's own PROC_UNAVAIL" "Procedure unavailable" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" proc 99
	check_out "100 YPPROC_MATCH calls, all found" "^100 calls, 100 found, 0 missing, 0 failed$" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" random 100 key%d 100
	u1=$(udp_in_datagrams)
	d1=$(delivered $YPPROG)
	want=$((1 + 3 + 1 + 1 + 1 + 100))
	if [ $((d1 - d0)) = $want ]; then
		pass "osnicctl -j stats: the $want calls delivered by XDP"
	else
		fail "osnicctl -j stats: the $want calls delivered by XDP" "delivered $d0 -> $d1"
	fi
	if [ -n "$u0" ] && [ "$u0" = "$u1" ]; then
		pass "ypserv's UDP socket received none of them (Udp InDatagrams unchanged)"
	else
		fail "ypserv's UDP socket received none of them" "Udp InDatagrams $u0 -> $u1"
	fi

	# osnic-nis-client's load modes (bench/nis.sh): calls in flight matched
	# by xid, every value checked against the map's input; keys 100-119
	# are not in the map and must come back missing.
	# A call counts as lost only after 5 s (-W): these checks are about
	# every reply being right, not speed (under TCG ypserv answers a few
	# hundred calls a second, the default 100 ms would lose some).
	for i in $(seq 0 99); do printf 'key%d\tvalue %d\n' "$i" "$i"; done >"$tmp/want.txt"
	check_out "closed loop, 8 in flight: 300 lookups, each value right" \
		"^300 calls, [1-9][0-9]* found, [1-9][0-9]* missing, 0 failed, 0 wrong\$" \
		nis -O 8 -W 5000 -V "$tmp/want.txt" -p "$ypport" "$srv_ip" "$domain" "$map" random 300 key%d 120
	check_out "open loop at 2000/s: 200 lookups, each value right" \
		"^200 calls, [1-9][0-9]* found, [1-9][0-9]* missing, 0 failed, 0 wrong\$" \
		nis -r 2000 -W 5000 -V "$tmp/want.txt" -p "$ypport" "$srv_ip" "$domain" "$map" random 200 key%d 120
	# 32 in flight: the shim serves the calls in batches and sends each
	# batch's replies together, those to this one client as UDP GSO sends.
	# Every reply must still reach its call (xid) with its own value, and
	# the shim's counters (--verbose, at most once a second) must show
	# every call answered, some by GSO, none refused.
	check_out "closed loop, 32 in flight: 3000 lookups, each value right" \
		"^3000 calls, 3000 found, 0 missing, 0 failed, 0 wrong\$" \
		nis -O 32 -W 5000 -V "$tmp/want.txt" -p "$ypport" "$srv_ip" "$domain" "$map" random 3000 key%d 100
	sleep 1.1
	check_out "then one more lookup" "^key7: value 7$" \
		nis -p "$ypport" "$srv_ip" "$domain" "$map" match key7
	line=$(grep "program $YPPROG version 2 on udp port $ypport: .* calls" "$tmp/ypserv.log" | tail -1)
	if [[ "$line" =~ :\ ([0-9]+)\ calls,\ ([0-9]+)\ replies\ \(([0-9]+)\ by\ GSO\),\ 0\ send\ errors$ ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[3]}" -gt 0 ]; then
		pass "the shim answered every call, ${BASH_REMATCH[3]} of ${BASH_REMATCH[2]} replies by GSO, none refused"
	else
		fail "the shim answered every call, some replies by GSO, none refused" "${line:-no counters line}"
	fi
	sed -i 's/^key3\t.*/key3\tnot its value/' "$tmp/want.txt"
	check_fails "a value that is not the expected one is wrong" "^300 calls, .*, [1-9][0-9]* wrong\$" \
		nis -O 8 -W 5000 -V "$tmp/want.txt" -p "$ypport" "$srv_ip" "$domain" "$map" random 300 key%d 4

	# What XDP passes to the kernel reaches ypserv through its own socket:
	# a YPPROC_MATCH whose domain length is absurd, so that ypserv answers
	# GARBAGE_ARGS, padded to 2000 bytes (IP fragments at MTU 1500), then
	# to 1600 bytes at MTU 3000 (one datagram, too big for a ring record).
	pad() { printf 'ffffffff%0*d' $(($1 * 2 - 8)) 0; }
	port=$ypport
	r0=$(rx_stat fragment)
	u0=$(udp_in_datagrams)
	check_out "2000-byte call in IP fragments: ypserv answers (GARBAGE_ARGS)" "^201 1 0 0 0 4$" \
		raw_call 201 2 $YPPROG 2 3 0 "$(pad 2000)"
	r1=$(rx_stat fragment)
	u1=$(udp_in_datagrams)
	if [ "$r1" -gt "$r0" ] && [ $((u1 - u0)) = 1 ]; then
		pass "the fragments went to the kernel and ypserv's socket got the call"
	else
		fail "the fragments went to the kernel and ypserv's socket got the call" \
			"rx fragment $r0 -> $r1, Udp InDatagrams $u0 -> $u1"
	fi
	ip -n "$cli" link set "veth-$name-c" mtu 3000 && ip -n "$srv" link set "$srv_if" mtu 3000
	r0=$(rx_stat rpc_too_big)
	check_out "1600-byte call in one datagram: ypserv answers (GARBAGE_ARGS)" "^202 1 0 0 0 4$" \
		raw_call 202 2 $YPPROG 2 3 0 "$(pad 1600)"
	r1=$(rx_stat rpc_too_big)
	u2=$(udp_in_datagrams)
	if [ $((r1 - r0)) = 1 ] && [ $((u2 - u1)) = 1 ]; then
		pass "the call too big for a ring went to ypserv's socket"
	else
		fail "the call too big for a ring went to ypserv's socket" \
			"rx rpc_too_big $r0 -> $r1, Udp InDatagrams $u1 -> $u2"
	fi
	ip -n "$cli" link set "veth-$name-c" mtu 1500 && ip -n "$srv" link set "$srv_if" mtu 1500
	d1=$(delivered $YPPROG)

	# ypserv's other UDP transport: a dual-stack socket on a port of its own
	# (bindresvport). XDP delivers IPv6 and IPv4 calls to it, and the replies
	# leave from that socket (to IPv4 clients as IPv4-mapped addresses).
	dsport=$(in_osnic "$bin/osnicctl" -j service list |
		jq --argjson p $YPPROG --argjson port "$ypport" '[.[] | select(.prog == $p and .port != $port) | .port][0] // 0')
	if [ "$dsport" -gt 0 ]; then
		pass "ypserv's second UDP port $dsport is served through osnic too"
	else
		fail "ypserv's second UDP port is served through osnic too" "$(in_osnic "$bin/osnicctl" service list)"
	fi
	d1=$(delivered $YPPROG)
	for ip in "$srv_ip6" "$srv_ip"; do
		check_out "YPPROC_ORDER to [$ip]:$dsport: the map's order number" "^210 1 0 0 0 0 1 $order$" \
			in_cli python3 - "$ip" "$dsport" "$domain" "$map" <<'PY'
import socket, struct, sys
ip, port, dom, mp = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
def xstr(b):
    return struct.pack("!I", len(b)) + b + bytes(-len(b) % 4)
msg = struct.pack("!10I", 210, 0, 2, 100004, 2, 10, 0, 0, 0, 0) + xstr(dom) + xstr(mp)
s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(msg, (ip, port))
try:
    data = s.recv(65536)
except socket.timeout:
    print("no reply")
    sys.exit(0)
n = len(data) // 4
print(" ".join(str(w) for w in struct.unpack("!%dI" % n, data[:4 * n])))
PY
	done
	d2=$(delivered $YPPROG)
	if [ $((d2 - d1)) = 2 ]; then
		pass "the IPv6 and IPv4 calls to port $dsport were delivered by XDP"
	else
		fail "the IPv6 and IPv4 calls to port $dsport were delivered by XDP" "delivered $d1 -> $d2"
	fi
	d1=$d2

	# Real UDP clients, through rpcbind when it is reachable: delivered by XDP.
	if [ "$rpcbind_remote" = 1 ]; then
		check_out "rpcinfo -u $srv_ip $YPPROG 2" "program $YPPROG version 2 ready and waiting" \
			in_cli rpcinfo -u "$srv_ip" $YPPROG 2
		check_out "rpcinfo -u $srv_ip $YPPROG 1" "program $YPPROG version 1 ready and waiting" \
			in_cli rpcinfo -u "$srv_ip" $YPPROG 1
		check_out "yppoll -h $srv_ip -d $domain $map" "order number $order" \
			in_cli yppoll -h "$srv_ip" -d "$domain" "$map"
		want=4
	else
		uaddr=$srv_ip.$((ypport >> 8)).$((ypport & 255))
		check_out "rpcinfo -a $uaddr -T udp $YPPROG 2" "version 2 ready and waiting" \
			in_cli rpcinfo -a "$uaddr" -T udp $YPPROG 2
		want=1
	fi
	d2=$(delivered $YPPROG)
	if [ $((d2 - d1)) -ge "$want" ]; then
		pass "the UDP calls of rpcinfo and yppoll were delivered by XDP ($((d2 - d1)))"
	else
		fail "the UDP calls of rpcinfo and yppoll were delivered by XDP" \
			"delivered $d1 -> $d2, want at least $want more"
	fi

	# TCP stays on libtirpc: answered, and nothing delivered by XDP.
	if [ "$rpcbind_remote" = 1 ]; then
		check_out "rpcinfo -t $srv_ip $YPPROG 2 (TCP, libtirpc)" \
			"program $YPPROG version 2 ready and waiting" in_cli rpcinfo -t "$srv_ip" $YPPROG 2
	else
		check_out "rpcinfo -a $uaddr -T tcp $YPPROG 2 (TCP, libtirpc)" \
			"version 2 ready and waiting" in_cli rpcinfo -a "$uaddr" -T tcp $YPPROG 2
	fi
	check_out "YPPROC_MATCH over TCP (libtirpc)" "^beta: second$" \
		nis -t -p "$ypport" "$srv_ip" "$domain" "$map" match beta
	d3=$(delivered $YPPROG)
	if [ "$d3" = "$d2" ]; then
		pass "no TCP call went through XDP"
	else
		fail "no TCP call went through XDP" "delivered $d2 -> $d3"
	fi
	gone_within_1s $YPPROG
fi

# ---- a server with a loop of its own -----------------------------------------------
OWNPROG=536875573	# 0x20001235

# authsys_call XID PROG PROC UID GID: a version 1 call without arguments
# whose AUTH_SYS credential names machine "cli", UID, GID and groups 10, 20.
authsys_call() {
	in_cli python3 - "$srv_ip" "$port" "$@" <<'PY'
import socket, struct, sys
ip, port = sys.argv[1], int(sys.argv[2])
xid, prog, proc, uid, gid = (int(a, 0) for a in sys.argv[3:8])
body = struct.pack("!II", 0, 3) + b"cli\0" + struct.pack("!IIIII", uid, gid, 2, 10, 20)
msg = struct.pack("!8I", xid, 0, 2, prog, 1, proc, 1, len(body)) + body + struct.pack("!II", 0, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(msg, (ip, port))
try:
    data = s.recv(65536)
except socket.timeout:
    print("no reply")
    sys.exit(0)
n = len(data) // 4
print(" ".join(str(w) for w in struct.unpack("!%dI" % n, data[:4 * n])))
PY
}

own_loop_checks() {	# own_loop_checks [-s]: poll over svc_pollfd, or select over svc_fdset
	local how=poll i d0 d1
	[ "${1:-}" = -s ] && how=select
	port=$((ypport + 1))
	say "own_loop_server ($how) under ${wrap[*]:-(no osnic-run)}"
	nsenter --target "$holder_pid" --mount --net "${wrap[@]}" "$build/tests/own_loop_server" \
		"$@" $OWNPROG "$port" >"$tmp/own.log" 2>&1 &
	daemon_pid=$!
	for i in $(seq 100); do
		grep -q '^ready' "$tmp/own.log" && break
		sleep 0.05
	done
	# Registered when its loop first waits for calls, before any call.
	for i in $(seq 100); do
		[ "$(nservices $OWNPROG)" = 1 ] && break
		sleep 0.05
	done
	if [ "$(nservices $OWNPROG)" = 1 ]; then
		pass "$how loop: registered with osnicd when it first waits for calls"
	else
		fail "$how loop: registered with osnicd when it first waits for calls" "$(cat "$tmp/own.log")"
	fi
	d0=$(delivered $OWNPROG)
	check_out "$how loop: procedure 1" "^301 1 0 0 0 0 42$" raw_call 301 2 $OWNPROG 1 1 0 00000029
	check_out "$how loop: procedure 1 again" "^302 1 0 0 0 0 8$" raw_call 302 2 $OWNPROG 1 1 0 00000007
	check_out "$how loop: the dispatch runs on the main thread" "^303 1 0 0 0 0 1$" \
		raw_call 303 2 $OWNPROG 1 2 0 ""
	check_out "$how loop: procedure 9 is its dispatch's PROC_UNAVAIL" "^304 1 0 0 0 3$" \
		raw_call 304 2 $OWNPROG 1 9 0 ""
	check_out "$how loop: NULLPROC" "^305 1 0 0 0 0$" raw_call 305 2 $OWNPROG 1 0 0 ""
	check_out "$how loop: AUTH_NONE reaches the dispatch as such" "^306 1 0 0 0 0 0 0 0 0$" \
		raw_call 306 2 $OWNPROG 1 3 0 ""
	d1=$(delivered $OWNPROG)
	if [ $((d1 - d0)) = 6 ]; then
		pass "$how loop: the 6 calls were delivered by XDP"
	else
		fail "$how loop: the 6 calls were delivered by XDP" "delivered $d0 -> $d1"
	fi
	# AUTH_SYS goes to the socket whole: libtirpc decodes all of it.
	a0=$(rx_stat rpc_auth_pass)
	check_out "$how loop: AUTH_SYS in rq_clntcred: uid 1234, gid 567, 2 groups" \
		"^307 1 0 0 0 0 1 1234 567 2$" authsys_call 307 $OWNPROG 3 1234 567
	a1=$(rx_stat rpc_auth_pass)
	d2=$(delivered $OWNPROG)
	if [ $((a1 - a0)) = 1 ] && [ "$d2" = "$d1" ]; then
		pass "$how loop: the AUTH_SYS call was passed to the socket"
	else
		fail "$how loop: the AUTH_SYS call was passed to the socket" \
			"rx rpc_auth_pass $a0 -> $a1, delivered $d1 -> $d2"
	fi
	# Unregistering from inside the dispatch: answered, then the service is gone.
	check_out "$how loop: procedure 4 unregisters the program" "^308 1 0 0 0 0 1$" \
		raw_call 308 2 $OWNPROG 1 4 0 ""
	if [ "$(nservices $OWNPROG)" = 0 ]; then
		pass "$how loop: svc_unregister removed the service from osnicd"
	else
		fail "$how loop: svc_unregister removed the service from osnicd" \
			"$(in_osnic "$bin/osnicctl" service list)"
	fi
	check_out "$how loop: then PROG_UNAVAIL" "^309 1 0 0 0 1$" raw_call 309 2 $OWNPROG 1 1 0 00000001
	gone_within_1s $OWNPROG
}

own_loop_checks
# The select loop also with --poll-us: the ring is watched after each batch.
[ ${#wrap[@]} -gt 0 ] && wrap+=(--poll-us 200)
own_loop_checks -s

# ---- no osnicd ----------------------------------------------------------------------
# In the client namespace nobody runs osnicd: the daemon says so and serves
# on libtirpc alone.
if [ ${#wrap[@]} -gt 0 ]; then
	say "own_loop_server under osnic-run without osnicd (in $cli)"
	in_cli "${wrap[@]}" "$build/tests/own_loop_server" $OWNPROG 7777 >"$tmp/own-alone.log" 2>&1 &
	alone_pid=$!
	for i in $(seq 100); do
		grep -q 'libtirpc only' "$tmp/own-alone.log" && break
		sleep 0.05
	done
	check_out "without osnicd: it says it serves through libtirpc only" "osnicd: .*libtirpc only" \
		cat "$tmp/own-alone.log"
	check_out "without osnicd: answered by libtirpc" "^42$" in_cli python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(struct.pack("!11I", 1, 0, 2, '$OWNPROG', 1, 1, 0, 0, 0, 0, 41), ("127.0.0.1", 7777))
print(struct.unpack("!7I", s.recv(100))[6])'
	# $! is the subshell that runs in_cli, not the server: end the server itself.
	pkill -KILL -f "^$build/tests/own_loop_server $OWNPROG 7777" 2>/dev/null
	kill -KILL "$alone_pid" 2>/dev/null
	wait "$alone_pid" 2>/dev/null
fi

# ---- rpc.rusersd ----------------------------------------------------------------
say "rpc.rusersd under ${wrap[*]:-(no osnic-run)}"
if start_daemon "$tmp/rusersd.log" $RUSERSPROG rpc.rusersd; then
	# It forks into the background: the daemon is the child.
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=$(udp_owner rpc.rusersd)
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/${daemon_pid:-0}/status" 2>/dev/null)
	if [ -n "$uid" ] && [ "$uid" != 0 ]; then pass "rpc.rusersd (pid $daemon_pid) dropped root (uid $uid)"; else fail "rpc.rusersd dropped root" "pid '$daemon_pid' uid '$uid'"; fi
	for i in $(seq 100); do
		n=$(nservices $RUSERSPROG)
		[ "$n" -ge 2 ] && break
		sleep 0.05
	done
	if [ "$n" -ge 2 ]; then pass "osnicd serves rpc.rusersd ($n services)"; else fail "osnicd serves rpc.rusersd" "$(cat "$tmp/rusersd.log")"; fi
	d0=$(delivered $RUSERSPROG)
	if [ "$rpcbind_remote" = 1 ]; then
		check_out "rusers -a $srv_ip answers" "^$srv_ip" in_cli rusers -a "$srv_ip"
		check_out "rusers -l -a $srv_ip answers" "^|$srv_ip|" in_cli rusers -l -a "$srv_ip"
	else
		fail "rusers needs rpcbind in $srv" "rpcbind runs elsewhere"
	fi
	d1=$(delivered $RUSERSPROG)
	if [ $((d1 - d0)) -ge 2 ]; then
		pass "rusers' calls were delivered by XDP ($((d1 - d0)))"
	else
		fail "rusers' calls were delivered by XDP" "delivered $d0 -> $d1; $(cat "$tmp/rusersd.log")"
	fi
	gone_within_1s $RUSERSPROG
fi

if [ "$failed" -ne 0 ]; then
	echo "---- osnicd log"
	tail -20 "$tmp/osnicd.log"
	for f in "$tmp"/ypserv.log "$tmp"/rusersd.log; do
		[ -r "$f" ] && { echo "---- $f"; tail -20 "$f"; }
	done
fi
finish
