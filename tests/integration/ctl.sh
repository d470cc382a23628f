#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Integration test of the control plane: osnicd and osnicctl (and, through
# the stand-in application tests/ctl_app, the client library) in a network
# namespace of their own, joined by veth to a client namespace.
#
# The body runs in one `ip netns exec` so that osnicd, osnicctl and the
# applications share one mount namespace: `ip netns exec` remounts /sys,
# osnicd mounts bpffs there, and the applications must see the same bpffs
# to open their rings. Both namespaces are removed on exit, also on failure
# or interruption; processes started here are stopped by their pids.
#
# Needs root. Run from the top of the tree after make; BUILD= names the
# build directory (default build). Prints "N passed, N failed" last and
# exits non-zero if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) b=$BUILD ;; *) b=$top/$BUILD ;; esac
OSNICD=$b/bin/osnicd
OSNICCTL=$b/bin/osnicctl
APP=$b/tests/ctl_app
PIN=/sys/fs/bpf/osnic
# The unprivileged user: nobody, which every Debian system has. Creating an
# account would need a writable /etc/shadow, which the VM's overlay lacks.
TEST_UID=65534
TEST_GID=65534

# ---- the body, inside the server namespace --------------------------------------
if [ "${1:-}" = --inner ]; then
	CLI=$2 tmp=$3
	pass=0 fail=0
	dpid='' apps=()
	user_pid='' root_pid=''

	ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$*"; }
	ko() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$*"; }
	# check DESCRIPTION COMMAND...: the command's status decides.
	check() {
		local what=$1
		shift
		if "$@" >>"$tmp/check.log" 2>&1; then ok "$what"; else ko "$what"; fi
	}
	# json_ok EXPR: a Python expression over d, the JSON on stdin.
	json_ok() {
		python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
	}
	AS_USER=(setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --clear-groups)
	as_user() { "${AS_USER[@]}" "$@"; }
	ctl() { "$OSNICCTL" "$@"; }

	inner_cleanup() {
		local p
		for p in "${apps[@]}"; do kill -9 "$p" 2>/dev/null; done
		if [ -n "$dpid" ]; then
			kill -TERM "$dpid" 2>/dev/null
			wait "$dpid" 2>/dev/null
		fi
		echo "$pass $fail" >"$tmp/counts"
	}
	trap inner_cleanup EXIT

	start_osnicd() {
		"$OSNICD" -v "$@" 2>>"$tmp/osnicd.log" &
		dpid=$!
		for _ in $(seq 50); do
			ctl daemon info >/dev/null 2>&1 && return 0
			kill -0 "$dpid" 2>/dev/null || break
			sleep 0.1
		done
		return 1
	}
	stop_osnicd() {
		kill -TERM "$dpid" && wait "$dpid"
		local rc=$?
		dpid=
		return $rc
	}
	# start_app NAME [as_user] STEP...: in the background until killed.
	start_app() {
		local name=$1
		shift
		mkfifo "$tmp/$name.in"
		"$@" wait <"$tmp/$name.in" >"$tmp/$name.out" 2>&1 &
		apps+=($!)
		eval "${name}_pid=$!"
		exec {fd}>"$tmp/$name.in"
		eval "${name}_fd=$fd"
		for _ in $(seq 50); do
			grep -q '^ok waiting' "$tmp/$name.out" && return 0
			grep -q '^err' "$tmp/$name.out" && break
			sleep 0.1
		done
		cat "$tmp/$name.out" >&2
		return 1
	}
	second_osnicd() {
		local out rc
		out=$(timeout 5 "$OSNICD" 2>&1)
		rc=$?
		test "$rc" -ne 0 -a "$rc" -ne 124 && grep -q 'is another osnicd running' <<<"$out"
	}
	# Requests osnicctl cannot send, straight onto the socket.
	raw_requests() {
		python3 - <<-'PY'
		import socket, struct, sys
		PORTID, TYPE, VERSION = 0x4F534E43, 0x4F53, 1
		CMD_SERVICE_ADD = 3
		A_PROG, A_VERS, A_PORT, A_PROCS = 5, 6, 7, 8
		ERRA_MSG, ERRA_OFFS, ERRA_ATTR = 1, 2, 3
		s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)  # NETLINK_USERSOCK
		s.bind((0, 0))
		s.settimeout(5)
		def attr(t, payload):
		    n = 4 + len(payload)
		    return struct.pack("HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)
		def ask(body, cmd, seq):
		    msg = struct.pack("BBH", cmd, VERSION, 0) + body
		    s.sendto(struct.pack("IHHII", 16 + len(msg), TYPE, 1, seq, 0) + msg, (PORTID, 0))
		    data = s.recv(65536)
		    n, typ, flags, rseq, pid = struct.unpack_from("IHHII", data)
		    err = struct.unpack_from("i", data, 16)[0]
		    tlv, off = {}, 36
		    while off + 4 <= n:
		        ln, t = struct.unpack_from("HH", data, off)
		        tlv[t] = data[off + 4:off + ln]
		        off += (ln + 3) & ~3
		    return typ, rseq, err, tlv
		u32 = lambda v: struct.pack("I", v)
		# PORT as 4 bytes instead of 2: EINVAL, attribute 7 at offset 36.
		body = attr(A_PROG, u32(1)) + attr(A_VERS, u32(1)) + attr(A_PORT, u32(5000)) \
		    + attr(A_PROCS, struct.pack("Q", 1))
		typ, seq, err, tlv = ask(body, CMD_SERVICE_ADD, 41)
		assert (typ, seq, err) == (2, 41, -22), (typ, seq, err)
		assert struct.unpack("I", tlv[ERRA_ATTR])[0] == A_PORT, tlv
		assert struct.unpack("I", tlv[ERRA_OFFS])[0] == 36, tlv
		assert b"port" in tlv[ERRA_MSG], tlv
		# An unknown command: EOPNOTSUPP.
		typ, seq, err, tlv = ask(b"", 99, 42)
		assert (typ, seq, err) == (2, 42, -95), (typ, seq, err)
		# A missing attribute: its type, no offset.
		typ, seq, err, tlv = ask(attr(A_PROG, u32(1)), CMD_SERVICE_ADD, 43)
		assert err == -22 and struct.unpack("I", tlv[ERRA_ATTR])[0] == A_VERS, tlv
		# A datagram too short for a header still gets an answer.
		s.sendto(b"\0" * 10, (PORTID, 0))
		data = s.recv(65536)
		assert struct.unpack_from("H", data, 4)[0] == 2 and struct.unpack_from("i", data, 16)[0] == -22
		PY
	}
	# rpc_call PORT PROG VERS PROC: from the client namespace, print XDP's answer.
	rpc_call() {
		ip netns exec "$CLI" python3 - "$@" <<-'PY'
		import socket, struct, sys
		port, prog, vers, proc = int(sys.argv[1]), int(sys.argv[2], 0), int(sys.argv[3]), int(sys.argv[4])
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.settimeout(0.5)
		# xid, CALL, rpcvers 2, prog, vers, proc, AUTH_NONE credential and verifier
		s.sendto(struct.pack(">10I", 0x5eed, 0, 2, prog, vers, proc, 0, 0, 0, 0), ("10.78.0.2", port))
		try:
		    d = s.recv(512)
		except socket.timeout:
		    print("timeout")
		    sys.exit(0)
		xid, mtype, rstat = struct.unpack_from(">3I", d)
		if xid != 0x5eed or mtype != 1 or rstat != 0:
		    print("bad reply", xid, mtype, rstat)
		    sys.exit(0)
		vlen = struct.unpack_from(">I", d, 16)[0]
		astat = struct.unpack_from(">I", d, 20 + vlen)[0]
		names = ["SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"]
		extra = struct.unpack_from(">2I", d, 24 + vlen) if astat == 2 else ()
		print(" ".join([names[astat] if astat < len(names) else str(astat)] + [str(v) for v in extra]))
		PY
	}
	kill_app() { { kill -9 "$1" && wait "$1"; } 2>/dev/null; }
	xdp_on() { ip -d link show dev veth0 | grep -q 'prog/xdp'; }
	owner_mode() { stat -c '%u %a' "$1"; }
	within_1s() {
		local _
		for _ in $(seq 10); do "$@" && return 0; sleep 0.1; done
		return 1
	}

	check "osnicd starts and answers daemon info" start_osnicd
	check "no XDP on veth0 before attach" bash -c '! ip -d link show dev veth0 | grep -q prog/xdp'
	check "iface attach veth0" ctl iface attach veth0
	check "XDP is attached to veth0 (ip link)" xdp_on
	check "iface attach twice is refused" bash -c "! $OSNICCTL iface attach veth0"
	out=$(ctl -j iface list)
	check "-j iface list shows veth0" json_ok \
		'len(d) == 1 and d[0]["ifname"] == "veth0" and d[0]["mode"] in ("native", "generic")' <<<"$out"
	check "prefix matching: 'i l' is iface list" test "$(ctl -j i l)" = "$out"
	check "an unknown object is an error" bash -c "! $OSNICCTL frobnicate list 2>/dev/null"
	check "a second osnicd refuses to start" second_osnicd
	check "a malformed request is answered with the attribute at fault" raw_requests
	check "-j service list is []" test "$(ctl -j service list)" = "[]"
	check "-j worker list is []" test "$(ctl -j worker list)" = "[]"
	check "-p output is JSON" json_ok 'd["interfaces"] == 1 and d["adopted"] is False' \
		<<<"$(ctl -p daemon info)"

	# Traffic from the client namespace reaches XDP's counters.
	for _ in 1 2 3 4 5; do
		ip netns exec "$CLI" bash -c 'echo x >/dev/udp/10.78.0.2/7777' 2>/dev/null
	done
	sleep 0.2
	check "stats (text)" ctl stats
	check "-j stats counts the datagrams" json_ok \
		'd["rx"]["packets"] >= 5 and d["rx"]["udp"] >= 5 and d["services"] == [] and d["workers"] == []' \
		<<<"$(ctl -j stats)"

	# An unprivileged user may look but not touch.
	check "the unprivileged user may list" as_user "$OSNICCTL" -j iface list
	msg=$(as_user "$OSNICCTL" iface detach veth0 2>&1)
	rc=$?
	check "unprivileged iface detach fails (EPERM)" \
		test "$rc" -ne 0 -a -n "$(grep -F 'Operation not permitted' <<<"$msg")"
	check "... with an Error: line" grep -q '^Error: ' <<<"$msg"
	check "... and JSON {\"error\": ...} with -j" json_ok '"error" in d' \
		<<<"$(as_user "$OSNICCTL" -j iface detach veth0)"
	check "XDP still attached after the refused detach" xdp_on

	# Generic mode from here on: XDP_TX on a veth in native mode reaches the
	# peer only if the peer runs XDP too, and the RPC checks need the replies.
	check "root detaches veth0" ctl iface detach veth0
	check "no XDP on veth0 after detach" bash -c '! ip -d link show dev veth0 | grep -q prog/xdp'
	check "iface attach veth0 mode generic" ctl iface attach veth0 mode generic
	check "ip link shows generic XDP" bash -c 'ip -d link show dev veth0 | grep -q xdpgeneric'
	check "-j iface list says generic" json_ok 'd[0]["mode"] == "generic"' <<<"$(ctl -j iface list)"

	# Applications, through the client library.
	if [ -x "$APP" ]; then
		check "root application: service on port 5000 and a worker" \
			start_app root "$APP" register service 5000 worker open
		check "user application: service on port 6000, a worker, opens its ring" \
			start_app user "${AS_USER[@]}" "$APP" register service 6000 worker open
		svc=$(ctl -j service list)
		check "service list shows both services" json_ok \
			'sorted(s["port"] for s in d) == [5000, 6000] and all(s["workers"] == 1 for s in d)' <<<"$svc"
		check "service and worker lists give the ring of the default depth, 64 KiB" json_ok \
			'all(s["ring_bytes"] == 65536 and s["depth_lines"] == 1024 for s in d["s"]) and len(d["w"]) == 2 and all(w["ring_bytes"] == 65536 for w in d["w"])' \
			<<<"{\"s\": $svc, \"w\": $(ctl -j worker list)}"
		check "the worker list shows RING_BYTES" grep -q RING_BYTES <<<"$(ctl worker list)"
		uring=$(sed -n 's/.*ring=\([^ ]*\).*/\1/p' "$tmp/user.out" | head -1)
		rring=$(sed -n 's/.*ring=\([^ ]*\).*/\1/p' "$tmp/root.out" | head -1)
		check "the user's ring is pinned as uid $TEST_UID, mode 600" \
			test "$(owner_mode "$uring")" = "$TEST_UID 600"
		check "root's ring is pinned as root, mode 600" test "$(owner_mode "$rring")" = "0 600"
		check "another user cannot open root's ring (EACCES)" grep -q '^err EACCES' \
			<<<"$(as_user "$APP" open "$rring")"
		check "root can" grep -q '^ok opened' <<<"$("$APP" open "$rring")"
		check "the pinned ring is 64 KiB, as osnicd said" json_ok \
			'd["max_entries"] == 65536 and d["type"] == "ringbuf"' \
			<<<"$(bpftool -j map show pinned "$rring")"
		msg=$(ctl service del 1025 2>&1)
		check "service del of id 1025 (past the highest, 1024) is refused" \
			grep -q 'no service 1025' <<<"$msg"
		msg=$(ctl service del 1024 2>&1)
		check "... as is 1024, the highest, while unused" grep -q 'no service 1024' <<<"$msg"
		check "osnic_listen holds both ports" json_ok \
			'sorted(e["formatted"]["key"] for e in d) == [5000, 6000]' \
			<<<"$(bpftool -j map dump pinned $PIN/osnic_listen)"
		check "osnic_prog_vers holds 1..1 for both" json_ok \
			'len(d) == 2 and all(e["formatted"]["value"] == {"low": 1, "high": 1} for e in d)' \
			<<<"$(bpftool -j map dump pinned $PIN/osnic_prog_vers)"
		rsvc=$(python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["port"] == 5000][0])' <<<"$svc")
		out=$(as_user "$APP" register del-service "$rsvc")
		check "a user cannot delete root's service (EPERM)" grep -q '^err EPERM' <<<"$out"

		# What XDP answers follows from the maps osnicd wrote.
		check "NULLPROC is answered by XDP" test "$(rpc_call 5000 0x20001234 1 0)" = SUCCESS
		check "an unregistered version gets PROG_MISMATCH 1..1" \
			test "$(rpc_call 5000 0x20001234 2 1)" = "PROG_MISMATCH 1 1"
		check "an unserved procedure gets PROC_UNAVAIL" \
			test "$(rpc_call 5000 0x20001234 1 10)" = PROC_UNAVAIL
		check "an unknown program gets PROG_UNAVAIL" test "$(rpc_call 5000 0x99 1 1)" = PROG_UNAVAIL
		check "a served call goes to the worker (no reply)" \
			test "$(rpc_call 5000 0x20001234 1 1)" = timeout
		check "stats count it for the service and the worker" json_ok \
			'd["rx"]["rpc_delivered"] == 1 and [s["delivered"] for s in d["services"] if s["id"] == '"$rsvc"'] == [1] and sum(w["delivered"] for w in d["workers"]) == 1' \
			<<<"$(ctl -j stats)"
		out=$(as_user "$APP" register service 111)
		check "a user cannot serve privileged port 111 (EACCES)" grep -q '^err EACCES' <<<"$out"
		out=$(as_user "$APP" register service 5000 7 1)
		check "a user cannot serve on root's port 5000 (EADDRINUSE)" grep -q '^err EADDRINUSE' <<<"$out"
		out=$("$APP" register service 5000)
		check "the same (port, prog, vers) twice is refused (EEXIST)" grep -q '^err EEXIST' <<<"$out"

		kill_app "$user_pid"
		gone() { json_ok '[s["port"] for s in d] == [5000]' <<<"$(ctl -j service list)"; }
		check "the user application's death removes its service within 1 s" within_1s gone
		check "... and its ring" test ! -e "$uring"
		check "... its port lingers in osnic_listen without services" json_ok \
			'{e["formatted"]["key"]: e["formatted"]["value"]["nservices"] for e in d} == {5000: 1, 6000: 0}' \
			<<<"$(bpftool -j map dump pinned $PIN/osnic_listen)"
		check "... so that later calls get PROG_UNAVAIL from XDP" \
			test "$(rpc_call 6000 0x20001234 1 1)" = PROG_UNAVAIL
		check "worker list has root's worker only" json_ok 'len(d) == 1 and d[0]["uid"] == 0' \
			<<<"$(ctl -j worker list)"

	else
		ko "$APP missing: application tests skipped (make $BUILD/tests/ctl_app)"
	fi

	# Restart without cleanup: XDP and the pins stay, the registry is re-adopted.
	check "osnicd stops (no cleanup)" stop_osnicd
	check "XDP stays attached while osnicd is away" xdp_on
	check "$PIN stays while osnicd is away" test -e "$PIN/osnic_services"
	check "osnicd restarts (with --cleanup)" start_osnicd --cleanup
	check "the restarted osnicd still sees veth0" json_ok \
		'd["adopted"] is True and d["interfaces"] == 1' <<<"$(ctl -j daemon info)"
	if [ -x "$APP" ]; then
		check "... and re-adopts root's service and worker" json_ok \
			'd["services"] == 1 and d["workers"] == 1 and d["applications"] == 1' \
			<<<"$(ctl -j daemon info)"
		check "root's ring is still pinned" test -e "$rring"
		kill_app "$root_pid"
		empty() { test "$(ctl -j service list)" = "[]"; }
		check "the re-adopted application's death is noticed within 1 s" within_1s empty
		check "... and its ring removed" test ! -e "$rring"
	fi

	check "stop with --cleanup" stop_osnicd
	check "osnicd logged no sanitizer or runtime error" bash -c "! grep -q -e AddressSanitizer -e 'runtime error' $tmp/osnicd.log"
	msg=$(ctl daemon info 2>&1)
	rc=$?
	check "osnicctl without osnicd fails clearly" \
		test "$rc" -ne 0 -a -n "$(grep -F 'osnicd is not running' <<<"$msg")"
	check "... also in JSON" json_ok '"not running" in d["error"]' <<<"$(ctl -j service list)"
	check "$PIN is empty after --cleanup" test -z "$(ls -A "$PIN" 2>/dev/null)"
	check "no ring is left under /run/osnic/rings after --cleanup" \
		test -z "$(ls -A /run/osnic/rings 2>/dev/null)"
	check "no XDP on veth0 after --cleanup" bash -c '! ip -d link show dev veth0 | grep -q prog/xdp'
	exit 0
fi

# ---- the outer part: namespaces, user, cleanup ------------------------------------
[ "$(id -u)" = 0 ] || { echo "ctl.sh: needs root (namespaces, XDP)" >&2; exit 1; }
for f in "$OSNICD" "$OSNICCTL"; do
	[ -x "$f" ] || { echo "ctl.sh: $f missing; run make" >&2; exit 1; }
done

NS=osnic-ctl-srv-$$
CLI=osnic-ctl-cli-$$
tmp=$(mktemp -d /tmp/osnic-ctl.XXXXXX)

cleanup() {
	local p
	set +e
	# Anything still running in our namespaces was started by this script.
	for p in $(ip netns pids "$NS" 2>/dev/null) $(ip netns pids "$CLI" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 755 "$tmp"

ip netns add "$NS" && ip netns add "$CLI" &&
	ip link add veth1 netns "$CLI" type veth peer name veth0 netns "$NS" &&
	ip -n "$NS" addr add 10.78.0.2/24 dev veth0 &&
	ip -n "$CLI" addr add 10.78.0.1/24 dev veth1 &&
	ip -n "$NS" link set veth0 up && ip -n "$CLI" link set veth1 up &&
	ip -n "$NS" link set lo up && ip -n "$CLI" link set lo up ||
	{ echo "ctl.sh: could not set up the namespaces" >&2; exit 1; }

ip netns exec "$NS" bash "$0" --inner "$CLI" "$tmp"
if read -r pass fail <"$tmp/counts" 2>/dev/null; then :; else pass=0 fail=1; fi
if [ "$fail" -ne 0 ]; then
	echo "--- osnicd's log"
	cat "$tmp/osnicd.log" 2>/dev/null
	echo "--- output of the failed checks' commands"
	tail -n 40 "$tmp/check.log" 2>/dev/null
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
