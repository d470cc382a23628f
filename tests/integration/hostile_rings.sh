#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Unprivileged applications where /sys/fs/bpf is 0700 (as systemd mounts
# it), applications in a user namespace, and worker threads that exit.
# osnicd runs in the server namespace over a bpffs of mode 0700; uid 1001
# runs the demo server and must be answered through osnic, while uid 1002
# must not open uid 1001's ring; the same server runs inside `unshare -Ur`;
# a netlink impostor of uid 1002 is refused by an application in a user
# namespace; a worker thread that ends while its process lives stops being
# a worker within a second. uids are numeric (no accounts needed).
# Needs root. BUILD= selects the build directory; APP= another ctl_app.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=rings
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

APP=${APP:-$build/tests/ctl_app}
ATTACKER=1001
OTHER=1002
base_port=$((20000 + $$ % 20000))
impostor_pid=
app_pid=

as_uid() {	# as_uid UID CMD...
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}

cleanup() {
	set +e
	[ -n "$impostor_pid" ] && kill "$impostor_pid" 2>/dev/null
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctl() { in_osnic "$bin/osnicctl" "$@"; }

# within_1s CMD...: CMD succeeds within a second.
within_1s() {
	local _
	for _ in $(seq 10); do "$@" && return 0; sleep 0.1; done
	return 1
}

call_add() {	# call_add PORT: ADD 40 2 from the client namespace
	in_cli "$bin/osnic-demo-client" -p "$1" "$srv_ip" add 40 2
}

delivered_to() {	# delivered_to PORT: what XDP delivered to the port's service
	local sid
	sid=$(ctl -j service list | jq -r --argjson p "$1" '.[] | select(.port == $p) | .id')
	[ -n "$sid" ] || { echo 0; return; }
	ctl -j stats | jq -r --argjson id "$sid" '.services[] | select(.id == $id) | .delivered'
}

# Not through check: stop_server must wait in this shell, not in a subshell.
stopped_cleanly() {
	if stop_server; then
		pass "the server exits 0 on SIGTERM"
	else
		fail "the server exits 0 on SIGTERM" "$(cat "$tmp/server.err")"
	fi
}

ring_gone() { [ -n "$1" ] && ! in_osnic test -e "$1"; }

nworkers_of_uid() {	# nworkers_of_uid UID
	ctl -j worker list | jq --argjson u "$1" '[.[] | select(.uid == $u)] | length'
}

nservices_on() {	# nservices_on PORT
	ctl -j service list | jq --argjson p "$1" '[.[] | select(.port == $p)] | length'
}

ring_of_uid() {	# ring_of_uid UID: the ring path of that uid's first worker
	ctl -j worker list | jq -r --argjson u "$1" '[.[] | select(.uid == $u)][0].ring // empty'
}

chmod 755 "$tmp"
require "$bin/osnicd" "$bin/osnicctl" "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$APP"
setup_netns
bpffs_mode=0700
if ! start_osnic; then
	fail "osnicd starts over a bpffs of mode 0700"
	finish
	exit
fi
pass "osnicd starts over a bpffs of mode 0700"
check_out "/sys/fs/bpf is 0700 where osnicd runs" "^1?700$" in_osnic stat -c %a /sys/fs/bpf
check "osnicctl iface attach $srv_if" ctl iface attach "$srv_if"

say "uid $ATTACKER's demo server where /sys/fs/bpf is 0700"
port=$base_port
server_exec=(nsenter --target "$holder_pid" --mount --net
	setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups --)
if start_server --transport osnic --port "$port" --workers 1; then
	check_out "its call is answered" "^add: 42$" call_add "$port"
	check_out "... through osnic (osnicctl -j stats counts it delivered)" "^[1-9][0-9]*$" \
		delivered_to "$port"
	ring=$(ring_of_uid "$ATTACKER")
	check_out "osnicctl worker list shows its ring under /run/osnic/rings" \
		"^/run/osnic/rings/ring_[0-9]+$" echo "$ring"
	check_out "the ring is uid $ATTACKER's, mode 600" "^$ATTACKER 600$" \
		in_osnic stat -c '%u %a' "$ring"
	check_out "uid $ATTACKER can open it" "^ok opened" \
		in_osnic setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- \
		"$APP" open "$ring"
	check_fails "uid $OTHER cannot open it (EACCES)" "^err EACCES" \
		in_osnic setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups -- \
		"$APP" open "$ring"
	check_fails "... nor can bpftool as uid $OTHER" "[Pp]ermission denied" \
		in_osnic setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups -- \
		bpftool map show pinned "$ring"
	stopped_cleanly
	check_out "its worker is gone" "^0$" nworkers_of_uid "$ATTACKER"
	check "... and its ring" in_osnic test ! -e "$ring"
fi

say "an unreachable ring: the error names the ring and the cause"
if in_osnic chmod 700 /run/osnic/rings; then
	out=$(timeout 10 "${server_exec[@]}" "$bin/osnic-demo-server" --transport osnic \
		--port $((port + 1)) --workers 1 2>&1)
	rc=$?
	in_osnic chmod 755 /run/osnic/rings
	err=$(grep '^Error' <<<"$out")
	if [ "$rc" -ne 0 ] && ! grep -q rpcbind <<<"$err" &&
		grep -Eq "opening the ring /run/osnic/rings/ring_[0-9]+ as uid $ATTACKER: Permission denied" <<<"$err"; then
		pass "the demo server says which ring it cannot open and why"
	else
		fail "the demo server says which ring it cannot open and why (exit $rc)" "$out"
	fi
else
	fail "the demo server says which ring it cannot open and why (no /run/osnic/rings)"
fi

say "uid $ATTACKER's demo server inside unshare -Ur"
port=$((base_port + 2))
server_exec=(nsenter --target "$holder_pid" --mount --net
	setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- unshare -Ur)
if start_server --transport osnic --port "$port" --workers 2; then
	check_out "its call is answered" "^add: 42$" call_add "$port"
	check_out "... through osnic (osnicctl -j stats counts it delivered)" "^[1-9][0-9]*$" \
		delivered_to "$port"
	check_out "osnicd sees uid $ATTACKER (two workers)" "^2$" nworkers_of_uid "$ATTACKER"
	stopped_cleanly
fi

say "an impostor on osnicd's port id, to an application in a user namespace"
# The client namespace runs no osnicd: uid $OTHER takes osnicd's port id there
# and acknowledges everything. Its uid reads as the overflow uid inside the
# user namespace, as osnicd's would: that alone must not pass.
ip netns exec "$cli" setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups -- \
	/usr/bin/python3 -u - >"$tmp/impostor.out" 2>&1 <<'PY' &
import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)  # NETLINK_USERSOCK
s.bind((0x4F534E43, 0))
print("ready", flush=True)
while True:
    data, (portid, _) = s.recvfrom(65536)
    ln, typ, flags, seq, pid = struct.unpack("=IHHII", data[:16])
    ack = struct.pack("=IHHII", 36, 2, 0, seq, 0x4F534E43) + struct.pack("=i", 0) + data[:16]
    s.sendto(ack, (portid, 0))
PY
impostor_pid=$!
for _ in $(seq 50); do grep -q ready "$tmp/impostor.out" && break; sleep 0.1; done
check "uid $OTHER holds osnicd's port id in $cli" grep -q ready "$tmp/impostor.out"
out=$(ip netns exec "$cli" setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- \
	unshare -Ur "$APP" register 2>&1)
if grep -q '^err EPERM register: .*not by osnicd\|^err EPERM register: .*whether that is osnicd' <<<"$out"; then
	pass "the impostor's answer is refused (EPERM)"
else
	fail "the impostor's answer is refused (EPERM)" "$out$(cat "$tmp/impostor.out")"
fi
kill "$impostor_pid" 2>/dev/null
wait "$impostor_pid" 2>/dev/null
impostor_pid=

say "a worker thread that exits while its process lives"
port=$((base_port + 3))
mkfifo "$tmp/app.in"
in_osnic setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- \
	"$APP" register service "$port" worker end-worker wait <"$tmp/app.in" >"$tmp/app.out" 2>&1 &
app_pid=$!
exec {app_fd}>"$tmp/app.in"
for _ in $(seq 50); do grep -q '^ok waiting\|^err' "$tmp/app.out" && break; sleep 0.1; done
tid=$(sed -n 's/^ok worker=[0-9]* tid=\([0-9]*\) .*/\1/p' "$tmp/app.out")
wring=$(sed -n 's/^ok worker=.* ring=\([^ ]*\)$/\1/p' "$tmp/app.out")
check_out "the worker was added, then its thread ended" "^ok ended tid=$tid$" \
	grep "^ok ended" "$tmp/app.out"
gone() {
	[ -n "$tid" ] &&
		[ "$(ctl -j worker list | jq --argjson t "$tid" '[.[] | select(.tid == $t)] | length')" = 0 ]
}
check "osnicd removes the worker within 1 s" within_1s gone
check "... and its ring" ring_gone "$wring"
check "... while the process lives on" kill -0 "$app_pid"
check_out "... and keeps its service" "^1$" nservices_on "$port"
check_out "osnicd logged why" "worker [0-9]+: thread $tid exited" cat "$tmp/osnicd.log"
exec {app_fd}>&-
kill "$app_pid" 2>/dev/null
wait "$app_pid" 2>/dev/null
app_pid=

finish
