#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A hostile local user (uid 1001) against UDP ports and osnicd's tables:
#  - registering on the port of root's plain UDP echo server is refused
#    (EADDRINUSE) and the echo server keeps answering;
#  - a registration without a socket bound to the port is refused;
#  - the port of a registrant killed with SIGKILL lingers (XDP answers
#    PROG_UNAVAIL), but only until a plain server binds it: its echoes are
#    answered within 2 s, not after the 60 s linger;
#  - each per-uid quota (applications, services, workers, ring memory)
#    ends in EDQUOT naming the quota, a lingering port gives way to a live
#    registration, and root's service still registers and answers after.
#
# osnicd runs with small quotas so that they are quick to reach. The stand-in
# application tests/ctl_app binds the port before service-add, as libosnic
# does. Needs root; BUILD= selects the build directory.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=hports
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

APP=$build/tests/ctl_app
ATTACKER=1001
AS_ATTACKER=(setpriv --reuid=$ATTACKER --regid=$ATTACKER --clear-groups --)
apps=()
echoes=()

stop_apps() {
	local p
	for p in "${apps[@]}" "${echoes[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	apps=() echoes=()
}
trap 'stop_apps; common_cleanup' EXIT
trap 'exit 130' INT TERM

require "$bin/osnicd" "$bin/osnicctl" "$APP"
setup_netns
chmod 755 "$tmp"

ctl() { in_osnic "$bin/osnicctl" "$@"; }

# app NAME [as attacker: -u] STEP...: ctl_app in osnicd's namespaces, kept
# running (step wait) until killed; its pid in $app_pid. Fails if a step
# fails before wait (its output in $tmp/NAME.out).
app() {
	local n=$1 who=()
	shift
	if [ "$1" = -u ]; then
		who=("${AS_ATTACKER[@]}")
		shift
	fi
	mkfifo "$tmp/$n.in"
	# Not through in_osnic: $! must be ctl_app itself (nsenter and setpriv exec).
	nsenter --target "$holder_pid" --mount --net "${who[@]}" "$APP" "$@" wait \
		<"$tmp/$n.in" >"$tmp/$n.out" 2>&1 &
	app_pid=$!
	apps+=("$app_pid")
	exec {fd}>"$tmp/$n.in"
	for _ in $(seq 50); do
		grep -q '^ok waiting' "$tmp/$n.out" && return 0
		grep -q '^err' "$tmp/$n.out" && break
		kill -0 "$app_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/$n.out"
	return 1
}
# once [-u] STEP...: ctl_app to its end, its output on stdout.
once() {
	if [ "$1" = -u ]; then
		shift
		in_osnic "${AS_ATTACKER[@]}" "$APP" "$@" 2>&1
	else
		in_osnic "$APP" "$@" 2>&1
	fi
}
kill_app() { { kill -9 "$1" && wait "$1"; } 2>/dev/null; }
# here NAME CMD...: check, but CMD runs in this shell (it starts processes
# whose pids must be kept for the cleanup).
here() {
	local what=$1
	shift
	if "$@" >"$tmp/here.out" 2>&1; then pass "$what"; else fail "$what" "$(cat "$tmp/here.out")"; fi
}

# A plain UDP echo server of root in the server namespace (no SO_REUSEPORT).
echo_server() {
	: >"$tmp/echo$1.out"
	# Not through in_srv: $! must be python itself (ip netns exec execs it).
	ip netns exec "$srv" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)' "$1" >"$tmp/echo$1.out" 2>&1 &
	echoes+=($!)
	for _ in $(seq 50); do
		grep -q ready "$tmp/echo$1.out" && return 0
		sleep 0.1
	done
	return 1
}
# echo_answers PORT: an RPC call (which XDP would answer, were it to take the
# port) comes back unchanged, from the echo server.
echo_answers() {
	in_cli python3 - "$1" <<-'PY'
	import socket, struct, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(0.5)
	msg = struct.pack(">10I", 0x5eed, 0, 2, 0x20001234, 1, 0, 0, 0, 0, 0)
	s.sendto(msg, ("10.78.0.2", int(sys.argv[1])))
	try:
	    d = s.recv(512)
	except socket.timeout:
	    print("no answer")
	    sys.exit(1)
	if d != msg:
	    print("answered, but not by the echo server:", d.hex())
	    sys.exit(1)
	PY
}
# rpc_stat PORT PROC: the accept status of XDP's (or a server's) reply.
rpc_stat() {
	in_cli python3 - "$@" <<-'PY'
	import socket, struct, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(0.5)
	s.sendto(struct.pack(">10I", 0x5eed, 0, 2, 0x20001234, 1, int(sys.argv[2]), 0, 0, 0, 0),
	         ("10.78.0.2", int(sys.argv[1])))
	try:
	    d = s.recv(512)
	except socket.timeout:
	    print("timeout")
	    sys.exit(0)
	names = ["SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"]
	xid, mtype, rstat = struct.unpack_from(">3I", d)
	if mtype != 1 or rstat != 0:
	    print("not an accepted reply:", d.hex())
	    sys.exit(0)
	vlen = struct.unpack_from(">I", d, 16)[0]
	astat = struct.unpack_from(">I", d, 20 + vlen)[0]
	print(names[astat] if astat < len(names) else astat)
	PY
}
# within SECS CMD...: CMD succeeds within SECS seconds (tried every 0.1 s).
within() {
	local n=$(($1 * 10)) _
	shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	"$@"
}
json_ok() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}
no_service_on() {
	json_ok "all(s['port'] != $1 for s in d)" <<<"$(ctl -j service list)"
}
not_listed() {
	json_ok "all(e['formatted']['key'] != $1 for e in d)" \
		<<<"$(in_osnic bpftool -j map dump pinned /sys/fs/bpf/osnic/osnic_listen)"
}
attacker_apps_gone() {
	json_ok "all(s['uid'] != $ATTACKER for s in d)" <<<"$(ctl -j service list)" &&
		! pgrep -u "$ATTACKER" -x ctl_app >/dev/null
}

say "osnicd with small quotas: --quota apps=3 --quota-services 2 --quota-workers 3"
if ! start_osnic --quota apps=3 --quota-services 2 --quota-workers 3 -l 60; then
	fail "osnicd starts"
	finish
	exit 1
fi
check_out "daemon info shows the quotas (text)" "quota: services per uid +2" ctl daemon info
check "daemon info -j shows the quotas" json_ok \
	'd["quota_apps"] == 3 and d["quota_services"] == 2 and d["quota_workers"] == 3 and d["quota_ring_mb"] == 16' \
	<<<"$(ctl -j daemon info)"
check "XDP attaches to $srv_if (generic)" ctl iface attach "$srv_if" mode generic

say "root's plain UDP echo server on port 7001"
here "the echo server starts" echo_server 7001
check "it answers" echo_answers 7001
check_fails "uid $ATTACKER registering on its port is refused (EADDRINUSE, naming uid 0)" \
	'^err EADDRINUSE .*uid 0' once -u register service 7001
check "the echo server still answers" echo_answers 7001
check "no service on port 7001" no_service_on 7001
check "... nor in osnic_listen" not_listed 7001
check_out "osnicd logs the refusal" "refused to pid [0-9]+ uid $ATTACKER" cat "$tmp/osnicd.log"

say "registrations without a socket bound to the port"
check_fails "uid $ATTACKER without a socket: refused, 'bind the port first'" \
	'^err EADDRNOTAVAIL .*bind the port first' once -u register service-nobind 7002
check_fails "root without a socket: refused too" '^err EADDRNOTAVAIL' \
	once register service-nobind 7003
check "no service on port 7002" no_service_on 7002

say "a killed registrant's port lingers until a plain server binds it"
here "uid $ATTACKER registers port 7010 (socket bound)" app linger -u register service 7010
victim=$app_pid
kill_app "$victim"
check "its service goes when it dies" within 2 no_service_on 7010
check_out "the port lingers: XDP answers PROG_UNAVAIL" '^PROG_UNAVAIL$' rpc_stat 7010 1
here "root's echo server binds port 7010" echo_server 7010
t0=$(date +%s.%N)
if within 2 echo_answers 7010; then
	pass "the echo server on 7010 answers within 2 s ($(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s)"
else
	fail "the echo server on 7010 answers within 2 s (linger ended by the socket)" \
		"$(echo_answers 7010; tail -5 "$tmp/osnicd.log")"
fi
check_out "osnicd logs the end of the linger" "port 7010: a socket .* the linger ends" \
	cat "$tmp/osnicd.log"

say "quotas of uid $ATTACKER"
here "application 1 of 3" app q1 -u register
here "application 2 of 3" app q2 -u register
here "application 3 of 3" app q3 -u register
check_fails "application 4: EDQUOT, naming the quota" '^err EDQUOT .*quota apps=3' once -u register
for p in "${apps[@]}"; do kill_app "$p"; done
apps=()
check "the applications are gone" within 2 attacker_apps_gone
out=$(once -u register service 7020 service 7021 service 7022)
check_out "service 3 of 2: EDQUOT, naming the quota" '^err EDQUOT .*quota services=2' echo "$out"
check_out "... the first two were registered" '^2$' grep -c '^ok service' <<<"$out"
check "... and are gone with their application" within 2 attacker_apps_gone
check_out "their ports linger, charged to uid $ATTACKER" '^PROG_UNAVAIL$' rpc_stat 7020 1
here "a new registration of uid $ATTACKER evicts its lingering ports" \
	app q4 -u register service 7023 service 7024
check "... which are released" not_listed 7020
check "... both" not_listed 7021
kill_app "$app_pid"
check "... gone" within 2 attacker_apps_gone
check_fails "worker 4 of 3: EDQUOT, naming the quota" '^err EDQUOT .*quota workers=3' \
	once -u register service 7030 worker worker worker worker
here "root is exempt: 3 services and 4 workers" \
	app root register service 7040 service 7041 service 7042 worker worker worker worker
check_out "root's service answers (NULLPROC)" '^SUCCESS$' rpc_stat 7040 0
check "root's echo server on 7001 still answers" echo_answers 7001
kill_app "$app_pid"

say "osnicd again, with --quota-ring-mb 1 and no worker quota; --depth 4096: rings of 256 KiB, four fit"
stop_osnic
if ! start_osnic --depth 4096 --quota-ring-mb 1 --quota workers=unlimited; then
	fail "osnicd restarts"
	finish
	exit 1
fi
check "XDP attaches to $srv_if (generic)" ctl iface attach "$srv_if" mode generic
check "daemon info -j: workers unlimited, ring 1 MiB" json_ok \
	'd["quota_workers"] == "unlimited" and d["quota_ring_mb"] == 1' <<<"$(ctl -j daemon info)"
check_fails "ring 5 of 4: EDQUOT, naming the quota" '^err EDQUOT .*quota ring_mb=1' \
	once -u register service 7050 worker worker worker worker worker
check "... gone" within 2 attacker_apps_gone
here "root registers a service with a worker afterwards" app root2 register service 7060 worker
check_out "root's service answers (NULLPROC)" '^SUCCESS$' rpc_stat 7060 0
check "root's echo server on 7001 still answers" echo_answers 7001

stop_apps
stop_osnic
check "osnicd logged no sanitizer or runtime error" \
	bash -c "! grep -q -e AddressSanitizer -e 'runtime error' '$tmp/osnicd.log'"
finish
