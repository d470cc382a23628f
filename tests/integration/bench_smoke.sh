#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A smoke run of what `make bench` uses, so that none of it rots: the load
# generator (osnic-loadgen) against each server of the comparison, osnic
# (with osnicd and XDP), libtirpc's svc_run, the SO_REUSEPORT server and the
# busy-polling server (osnic-bench-server), and the AF_XDP server
# (osnic-bench-server --mode afxdp) beside osnic's XDP program. Each is called at a low rate in
# open loop and briefly in closed loop; every answer is checked by the load
# generator (ECHO's length, ADD's sum, SPIN's value) and none may be lost.
# For osnic also: replies to calls queued in a worker's ring leave by UDP
# GSO (several to one send), and not with --no-gso; with --poll-us the
# worker finds calls by polling, and sleeps again once they stop.
# The AF_XDP server must take its port's calls (its own counters; osnic's
# XDP program passes them on as not_listened) while an osnic service on
# another port still answers, and leave osnic's program on the interface
# when it exits.
# Kept to ~10 s: it also runs in the VM under TCG emulation.
#
# Needs root. BUILD= selects the build directory.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=bsmk
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

RATE=${RATE:-200}
BPORT=$((20000 + $$ % 20000))

cleanup() {
	set +e
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lg() { in_cli "$bin/osnic-loadgen" --timeout-ms 1000 "$@" "$srv_ip" "$port"; }

# The load generator's summary: every call sent was answered, none wrong.
ALL='sent ([0-9]+) answered \1 bad 0 loss 0\.0000%'

smoke() {	# smoke KIND
	local kind=$1
	check_out "$kind: 0.5 s of ADD at $RATE/s, open loop: all answered" "$ALL" \
		lg -m open -r "$RATE" -d 0.5 -P add
	check_out "$kind: ECHO 1 KiB, open loop: all answered" "$ALL" \
		lg -m open -r "$RATE" -d 0.3 -P echo -s 1024
	check_out "$kind: bimodal SPIN, open loop: all answered" "$ALL" \
		lg -m open -r "$RATE" -d 0.3 -P spin --spin 5,500,0.05
	check_out "$kind: closed loop, 4 outstanding, ECHO 16 B: answers right" \
		'closed [0-9]+ calls/s, sent [0-9]+ answered [1-9][0-9]* bad 0' \
		lg -d 0.3 -o 4 -P echo -s 16
}

require "$bin/osnic-loadgen" "$bin/osnic-bench-server" "$bin/osnic-demo-server" \
	"$bin/osnicd" "$bin/osnicctl"
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp

say "the load generator rejects bad options"
check_fails "osnic-loadgen without a rate in open mode" "usage" \
	"$bin/osnic-loadgen" -m open 127.0.0.1 1
check_fails "osnic-bench-server without a port" "usage" "$bin/osnic-bench-server"

ensure_rpcbind

for kind in reuseport busypoll; do
	say "osnic-bench-server --mode $kind"
	server_bin=$bin/osnic-bench-server
	start_server --mode "$kind" --threads 2 --port "$BPORT" && smoke "$kind"
	stop_server
	BPORT=$((BPORT + 1))
done

server_bin=$bin/osnic-demo-server
say "osnic-demo-server --transport tirpc"
start_server --transport tirpc --port "$BPORT" && smoke tirpc
stop_server
BPORT=$((BPORT + 1))

say "osnic-demo-server --transport osnic, with osnicd"
# In this shell, not under check: its processes must outlive the call.
start_osnic
check "osnicd answers" in_osnic "$bin/osnicctl" daemon info
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"
server_exec=(nsenter --target "$holder_pid" --mount --net)
start_server --transport osnic --workers 2 --port "$BPORT" && smoke osnic
stop_server

# The AF_XDP server beside osnic: an osnic service on one port, the AF_XDP
# server on the next, both in osnicd's namespaces (libxdp finds the
# dispatcher's state in its bpffs). Where the kernel refuses osnic's program
# a slot in libxdp's dispatcher (loader/xdp.c), osnic's program is on the
# interface alone and the AF_XDP server's cannot join it: the server must
# then fail and leave osnic's program in place, and it is tested with osnic
# detached from the interface for its run (as bench/run.sh does).
rx_counter() { in_osnic "$bin/osnicctl" -j stats | jq -r --arg f "$1" '.rx[$f]'; }
answered() { sed -n 's/.* answered \([0-9]*\) .*/\1/p' <<<"$1"; }
xdp_prog_name() {	# the name of the XDP program on $srv_if (libxdp's dispatcher or one alone)
	local id
	id=$(in_srv bpftool -j net show dev "$srv_if" | jq -r '.[0].xdp[0].id // empty')
	[ -n "$id" ] && bpftool -j prog show id "$id" | jq -r .name
}
# call6 XID: a NULL call to the server's port over IPv6 (fd78::2); prints
# the reply as 32-bit words, or "no reply".
call6() {
	in_cli python3 - "$port" "$1" "$PROG" <<'PY'
import socket, struct, sys
port, xid, prog = (int(a) for a in sys.argv[1:4])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(struct.pack("!10I", xid, 0, 2, prog, 1, 0, 0, 0, 0, 0), ("fd78::2", port))
try:
    data = s.recv(65536)
except socket.timeout:
    print("no reply")
    sys.exit(0)
print(" ".join(str(w) for w in struct.unpack("!%dI" % (len(data) // 4), data[:len(data) // 4 * 4])))
PY
}
ip -n "$srv" addr add fd78::2/64 dev "$srv_if" nodad
ip -n "$cli" addr add fd78::1/64 dev "veth-$name-c" nodad
osnic_lg() { in_cli "$bin/osnic-loadgen" --timeout-ms 1000 -m open -r "$RATE" -d 0.3 -P add "$srv_ip" "$osnic_port"; }
say "osnic-bench-server --mode afxdp beside osnic's XDP program"
BPORT=$((BPORT + 1))
osnic_port=
if start_server --transport osnic --workers 1 --port "$BPORT"; then
	osnic_pid=$server_pid osnic_port=$port server_pid=
fi
BPORT=$((BPORT + 1))
server_bin=$bin/osnic-bench-server
afxdp_args=(--mode afxdp --iface "$srv_if" --queue 0 --cpu 0 --port "$BPORT")
osnic_detached=
if [ "$(xdp_prog_name)" != xdp_dispatcher ]; then
	check_fails "afxdp: refuses to replace osnic's program, attached without the dispatcher" \
		"not using a dispatcher" "${server_exec[@]}" "$server_bin" "${afxdp_args[@]}"
	[ -n "$osnic_port" ] && check_out "the osnic service on port $osnic_port still answers" "$ALL" osnic_lg
	check "osnicctl iface detach $srv_if, for the AF_XDP server's run" \
		in_osnic "$bin/osnicctl" iface detach "$srv_if" && osnic_detached=1
fi
nl0=$(rx_counter not_listened)
afxdp_calls=0
if start_server "${afxdp_args[@]}"; then
	smoke afxdp
	out=$(lg -m open -r "$RATE" -d 0.3 -P add 2>&1)
	check_out "afxdp: ADD, open loop, counted: all answered" "$ALL" echo "$out"
	afxdp_calls=$(answered "$out")
	# IPv6: the reply's UDP checksum is required (the client's kernel checks it).
	check_out "afxdp: a NULL call over IPv6 is answered" "^201 1 0 0 0 0$" call6 201
	afxdp_calls=$((afxdp_calls + 1))
	if [ -z "$osnic_detached" ] && [ -n "$osnic_port" ]; then
		check_out "the osnic service on port $osnic_port answers meanwhile" "$ALL" osnic_lg
		nl1=$(rx_counter not_listened)
		if [ $((nl1 - nl0)) -ge "${afxdp_calls:-1}" ]; then
			pass "osnic's XDP program passed the AF_XDP port's calls on: not_listened +$((nl1 - nl0))"
		else
			fail "osnic's XDP program passed the AF_XDP port's calls on (not_listened +$afxdp_calls)" \
				"not_listened $nl0 -> $nl1"
		fi
	fi
fi
stop_server
# The exit line: rx R tx T bad B no reply N drops D kick errors K.
read -r rx tx bad drops < <(sed -n \
	's/^afxdp: rx \([0-9]*\) tx \([0-9]*\) bad \([0-9]*\) no reply [0-9]* drops \([0-9]*\).*/\1 \2 \3 \4/p' \
	"$tmp/server.err")
if [ "${rx:-0}" -gt "${afxdp_calls:-0}" ] && [ "$tx" = "$rx" ] && [ "$bad" = 0 ] && [ "$drops" = 0 ]; then
	pass "afxdp: the AF_XDP socket took the calls ($rx frames) and sent every reply"
else
	fail "afxdp: the AF_XDP socket took more than $afxdp_calls frames and sent every reply" \
		"$(cat "$tmp/server.err")"
fi
if [ "$(xdp_prog_name)" = afxdp_filter ]; then
	fail "afxdp: its XDP program left $srv_if at exit" "$(in_srv bpftool net)"
else
	pass "afxdp: its XDP program left $srv_if at exit"
fi
[ -n "$osnic_detached" ] &&
	check "osnicctl iface attach $srv_if again" in_osnic "$bin/osnicctl" iface attach "$srv_if"
check_out "after the AF_XDP server: osnic attached to $srv_if" "$srv_if" \
	in_osnic "$bin/osnicctl" iface list
if [ -n "$osnic_port" ]; then
	check_out "after the AF_XDP server: the osnic service on port $osnic_port answers" "$ALL" osnic_lg
	server_pid=$osnic_pid
	stop_server
fi
server_bin=$bin/osnic-demo-server

# gso_replies summed over the workers' exit lines in the server's stderr.
gso_replies() { sed -n 's/.*gso replies \([0-9]*\).*/\1/p' "$tmp/server.err" | awk '{ s += $1 } END { print s + 0 }'; }
delivered() { in_osnic "$bin/osnicctl" -j stats | jq '[.services[].delivered] | add // 0'; }

# Replies to one client taken in one pass leave as one UDP GSO send. To
# have a pass with several calls whatever the timing (under TCG a worker
# can keep up call by call), the worker is stopped while calls queue in
# its ring, then let go. At most ~250 calls: if the worker stays stopped
# through the whole run (slow TCG), they must still fit its ring (1024
# lines: 512 small calls; 513 in 0.5 s lost one once).
BPORT=$((BPORT + 1))
if start_server --transport osnic --workers 1 --port "$BPORT"; then
	kill -STOP "$server_pid"
	lg --timeout-ms 10000 -m open -r 1000 -d 0.25 -P echo -s 16 >"$tmp/lg.out" 2>&1 &
	lg_pid=$!
	for _ in $(seq 100); do
		[ "$(delivered)" -ge 16 ] && break
		sleep 0.1
	done
	kill -CONT "$server_pid"
	wait "$lg_pid"
	check_out "osnic: calls queued behind a stopped worker: all answered" "$ALL" cat "$tmp/lg.out"
fi
stop_server
n=$(gso_replies)
if [ "${n:-0}" -ge 16 ] && ! grep -q 'send errors [1-9]' "$tmp/server.err"; then
	pass "osnic: $n replies left several to a UDP GSO send, no send errors"
else
	fail "osnic: at least 16 replies left several to a UDP GSO send, no send errors" \
		"$(cat "$tmp/server.err")"
fi
BPORT=$((BPORT + 1))
start_server --transport osnic --workers 1 --no-gso --port "$BPORT" &&
	check_out "osnic --no-gso: closed loop, 16 outstanding: answers right" \
		'closed [0-9]+ calls/s, sent [0-9]+ answered [1-9][0-9]* bad 0' \
		lg -d 0.3 -o 16 -P echo -s 16
stop_server
n=$(gso_replies)
if [ "$n" = 0 ]; then
	pass "osnic --no-gso: no reply left by GSO"
else
	fail "osnic --no-gso: no reply left by GSO" "$(cat "$tmp/server.err")"
fi

# --poll-us: after serving calls the worker watches its ring that long
# before sleeping, and takes the calls that come meanwhile without a
# wake-up. The longest poll (10 ms), so that under TCG too the closed
# loop's next calls come within it. Once the calls stop, the worker must
# be asleep again and use no CPU.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
all_asleep() {	# every thread of PID blocked (S), none running or runnable
	local st
	for st in /proc/"$1"/task/*/stat; do
		[ "$(awk '{ print $3 }' "$st")" = S ] || return 1
	done
}
BPORT=$((BPORT + 1))
if start_server --transport osnic --workers 1 --poll-us 10000 --port "$BPORT"; then
	check_out "osnic --poll-us: closed loop, 4 outstanding: answers right" \
		'closed [0-9]+ calls/s, sent [0-9]+ answered [1-9][0-9]* bad 0' \
		lg -d 0.3 -o 4 -P echo -s 16
	check_out "osnic --poll-us: ADD at $RATE/s, open loop: all answered" "$ALL" \
		lg -m open -r "$RATE" -d 0.3 -P add
	sleep 0.3
	asleep=yes t0=$(cpu_ticks "$server_pid")
	for _ in $(seq 10); do
		all_asleep "$server_pid" || asleep=no
		sleep 0.1
	done
	ticks=$(($(cpu_ticks "$server_pid") - t0))
	if [ "$asleep" = yes ] && [ "$ticks" -le 5 ]; then
		pass "osnic --poll-us: idle, every thread asleep, $ticks CPU ticks in 1 s"
	else
		fail "osnic --poll-us: idle, every thread asleep, at most 5 CPU ticks in 1 s" \
			"asleep: $asleep, ticks: $ticks"
	fi
fi
stop_server
n=$(sed -n 's/.*poll hits \([0-9]*\).*/\1/p' "$tmp/server.err" | awk '{ s += $1 } END { print s + 0 }')
if [ "$n" -gt 0 ] && ! grep -q 'send errors [1-9]' "$tmp/server.err"; then
	pass "osnic --poll-us: $n calls found by polling, no wake-up for them"
else
	fail "osnic --poll-us: calls found by polling" "$(cat "$tmp/server.err")"
fi

finish
