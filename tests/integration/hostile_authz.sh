#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hostile users against osnicd's authorisation (issue 11): uid 1001 is the
# attacker, uid 1002 another ordinary user. Each check is an attack that
# succeeded on an osnicd judging privilege by CapEff in /proc (which counts
# capabilities of the caller's own user namespace), or a right an admin
# needs:
#  - `unshare -Ur` gives no admin rights (iface detach, sched-set) and no
#    privileged ports; a member of osnicd's --admin-group is an admin;
#  - root removes another user's service (service del) or application
#    (app del); others may not; a removed application stays removed;
#  - dumps show an ordinary user its own entries only;
#  - a flood of datagrams packed with dump requests is cut and counted,
#    and root's requests are answered promptly meanwhile;
#  - a squatter of osnicd's well-known netlink port id neither keeps osnicd
#    from starting nor answers clients in its place.
#
# Same frame as ctl.sh: one `ip netns exec` for the body (osnicd, osnicctl
# and the applications share a mount namespace and its bpffs), a client
# namespace joined by veth. Needs root; prints "N passed, N failed" last.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) b=$BUILD ;; *) b=$top/$BUILD ;; esac
OSNICD=$b/bin/osnicd
OSNICCTL=$b/bin/osnicctl
APP=$b/tests/ctl_app
ATTACKER=1001
OTHER=1002
ADMIN_GID=4242	# --admin-group; no group entry needed for a numeric gid
# How osnicd is told; ADMIN_OPT= runs an osnicd without the option.
export ADMIN_OPT=${ADMIN_OPT---admin-group $ADMIN_GID}
# The system's python for the other users (root's PATH may name a private one).
PY=$(command -v /usr/bin/python3 || command -v python3)
export PY

# ---- the body, inside the server namespace --------------------------------------
if [ "${1:-}" = --inner ]; then
	CLI=$2 tmp=$3
	pass=0 fail=0
	dpid='' apps=()

	ok() { pass=$((pass + 1)); printf 'ok    %s\n' "$*"; }
	ko() { fail=$((fail + 1)); printf 'FAIL  %s\n' "$*"; }
	check() {
		local what=$1
		shift
		if "$@" >>"$tmp/check.log" 2>&1; then ok "$what"; else ko "$what"; fi
	}
	json_ok() {
		python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
	}
	as() {	# as UID GID CMD...
		local u=$1 g=$2
		shift 2
		setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
	}
	attacker() { as "$ATTACKER" "$ATTACKER" "$@"; }
	ctl() { "$OSNICCTL" "$@"; }
	# nl STEP...: raw protocol client (no check of the answer's sender, so
	# that it works inside a user namespace); prints one line per step.
	nl() { "$PY" "$tmp/nl.py" "$@"; }

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
		# shellcheck disable=SC2086
		"$OSNICD" $ADMIN_OPT "$@" 2>>"$tmp/osnicd.log" &
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
	# start_app NAME CMD...: ctl_app steps, then waits until killed.
	start_app() {
		local name=$1
		shift
		mkfifo "$tmp/$name.in"
		"$@" wait <"$tmp/$name.in" >"$tmp/$name.out" 2>&1 &
		apps+=($!)
		eval "${name}_pid=$!"
		exec {fd}>"$tmp/$name.in"
		for _ in $(seq 50); do
			grep -q '^ok waiting' "$tmp/$name.out" && return 0
			grep -q '^err' "$tmp/$name.out" && break
			sleep 0.1
		done
		cat "$tmp/$name.out" >&2
		return 1
	}
	rpc_call() {
		ip netns exec "$CLI" python3 - "$@" <<-'PY'
		import socket, struct, sys
		port, prog, vers, proc = int(sys.argv[1]), int(sys.argv[2], 0), int(sys.argv[3]), int(sys.argv[4])
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.settimeout(0.5)
		s.sendto(struct.pack(">10I", 0x5eed, 0, 2, prog, vers, proc, 0, 0, 0, 0), ("10.78.0.2", port))
		try:
		    d = s.recv(512)
		except socket.timeout:
		    print("timeout")
		    sys.exit(0)
		vlen = struct.unpack_from(">I", d, 16)[0]
		astat = struct.unpack_from(">I", d, 20 + vlen)[0]
		names = ["SUCCESS", "PROG_UNAVAIL", "PROG_MISMATCH", "PROC_UNAVAIL", "GARBAGE_ARGS", "SYSTEM_ERR"]
		print(names[astat] if astat < len(names) else astat)
		PY
	}
	xdp_on() { ip -d link show dev veth0 | grep -q 'prog/xdp'; }
	within_1s() {
		local _
		for _ in $(seq 10); do "$@" && return 0; sleep 0.1; done
		return 1
	}
	# fast MS CMD...: CMD succeeds within MS milliseconds.
	fast() {
		local ms=$1 t0 t1
		shift
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || return 1
		t1=$(date +%s%N)
		echo "took $(((t1 - t0) / 1000000)) ms: $*"
		[ $(((t1 - t0) / 1000000)) -lt "$ms" ]
	}
	service_id() {	# service_id PORT: the id of the service on PORT (root's view)
		ctl -j service list | python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["port"] == int(sys.argv[1])][0])' "$1"
	}

	check "osnicd starts with --admin-group $ADMIN_GID" start_osnicd
	check "iface attach veth0 mode generic" ctl iface attach veth0 mode generic
	check "XDP is attached" xdp_on

	# ---- 1. privilege from a user namespace ----
	out=$(attacker unshare -Ur "$PY" "$tmp/nl.py" detach veth0 2>&1)
	check "unshare -Ur iface detach is refused (EPERM)" grep -q '^err -1 .*needs uid 0' <<<"$out"
	check "... and XDP stays attached" xdp_on
	out=$(attacker unshare -Ur "$PY" "$tmp/nl.py" register service 53 2>&1)
	check "unshare -Ur registration on port 53 is refused (EACCES)" grep -q '^err -13 .*privileged' <<<"$out"
	out=$(attacker unshare -Ur "$PY" "$tmp/nl.py" register service 111 2>&1)
	check "unshare -Ur registration on port 111 is refused (EACCES)" grep -q '^err -13 .*privileged' <<<"$out"
	out=$(attacker unshare -Ur "$PY" "$tmp/nl.py" sched 0 2>&1)
	check "unshare -Ur sched disable is refused (EPERM)" grep -q '^err -1 .*sched-set needs' <<<"$out"
	out=$(attacker unshare -Ur "$PY" "$tmp/nl.py" sched 1 2>&1)
	check "unshare -Ur sched enable is refused (EPERM)" grep -q '^err -1 .*sched-set needs' <<<"$out"
	out=$(attacker "$OSNICCTL" iface detach veth0 2>&1)
	check "plain uid $ATTACKER iface detach is refused with a clear message" \
		grep -q "Error: iface detach: .*admin group.*Operation not permitted" <<<"$out"
	check "... XDP still attached" xdp_on
	check "a member of the admin group (gid $ADMIN_GID) may detach" \
		as "$ATTACKER" "$ADMIN_GID" "$OSNICCTL" iface detach veth0
	check "... XDP is gone" bash -c '! ip -d link show dev veth0 | grep -q prog/xdp'
	check "... and may attach again" as "$ATTACKER" "$ADMIN_GID" "$OSNICCTL" iface attach veth0 mode generic
	check "... XDP is back" xdp_on
	# The admin group runs osnic, it does not own ports: a port is served only
	# for the process that holds it bound, and the kernel lets no one but
	# CAP_NET_BIND_SERVICE bind port 111.
	check "the admin group may not register port 111 without holding it (EADDRNOTAVAIL)" \
		grep -q '^err -99 ' <<<"$(as "$ATTACKER" "$ADMIN_GID" "$PY" "$tmp/nl.py" register service 111 2>&1)"

	# ---- 2. service del, app del ----
	check "root application: service on port 5000, a worker" \
		start_app root "$APP" register service 5000 worker open
	check "uid $ATTACKER application: service on port 6000, a worker" \
		start_app user as "$ATTACKER" "$ATTACKER" "$APP" register service 6000 worker open
	check "NULLPROC on 6000 is answered by XDP" test "$(rpc_call 6000 0x20001234 1 0)" = SUCCESS
	usvc=$(service_id 6000)
	rsvc=$(service_id 5000)
	out=$(as "$OTHER" "$OTHER" "$OSNICCTL" service del "$usvc" 2>&1)
	check "uid $OTHER may not remove uid $ATTACKER's service (EPERM, clear message)" \
		grep -q "service del: service $usvc belongs to another user.*Operation not permitted" <<<"$out"
	out=$(attacker "$OSNICCTL" service del "$rsvc" 2>&1)
	check "uid $ATTACKER may not remove root's service (EPERM)" grep -q 'Operation not permitted' <<<"$out"
	check "root removes uid $ATTACKER's service with service del" ctl service del "$usvc"
	check "... it is gone from service list" json_ok '[s["port"] for s in d] == [5000]' \
		<<<"$(ctl -j service list)"
	check "... its worker too" json_ok 'all(w["uid"] == 0 for w in d) and len(d) == 1' \
		<<<"$(ctl -j worker list)"
	# Its process still holds port 6000 bound: the port is that socket's again,
	# and XDP answers nothing there (the stand-in application answers nothing).
	check "... and XDP no longer answers on port 6000" test "$(rpc_call 6000 0x20001234 1 0)" = timeout
	check "... root's service still answers" test "$(rpc_call 5000 0x20001234 1 0)" = SUCCESS
	# A user removes its own service from another process of its uid.
	check "uid $ATTACKER registers port 6001" start_app user2 as "$ATTACKER" "$ATTACKER" "$APP" register service 6001
	check "uid $ATTACKER removes its own service with osnicctl" attacker "$OSNICCTL" service del "$(service_id 6001)"
	# app del: a raw client registers, root removes it, it may not come back.
	mkfifo "$tmp/victim.in"
	attacker "$PY" "$tmp/nl.py" register service 6002 wait service 6003 register <"$tmp/victim.in" >"$tmp/victim.out" 2>&1 &
	vpid=$!
	apps+=($vpid)
	exec {vfd}>"$tmp/victim.in"
	within_1s grep -q '^ok waiting' "$tmp/victim.out"
	vapp=$(sed -n 's/^ok register app=//p' "$tmp/victim.out")
	out=$(as "$OTHER" "$OTHER" "$OSNICCTL" app del "$vapp" 2>&1)
	check "uid $OTHER may not remove uid $ATTACKER's application (EPERM)" \
		grep -q "application $vapp belongs to another user.*Operation not permitted" <<<"$out"
	check "root removes it with app del" ctl app del "$vapp"
	check "... its service is gone" json_ok '6002 not in [s["port"] for s in d]' <<<"$(ctl -j service list)"
	(echo >&"$vfd") 2>/dev/null	# in a subshell: a reader gone is no SIGPIPE here
	exec {vfd}>&-
	wait "$vpid"
	check "... its later service-add gets ENOENT" grep -q '^err -2 .*not registered' "$tmp/victim.out"
	check "... and registering again gets EPERM" grep -q '^err -1 .*removed' "$tmp/victim.out"
	check "app del of an unknown id is ENOENT" grep -q 'no application 999999.*No such file' \
		<<<"$(ctl app del 999999 2>&1)"

	# ---- 3. dumps ----
	check "uid $ATTACKER application on port 6004" start_app user3 as "$ATTACKER" "$ATTACKER" "$APP" register service 6004 worker
	out=$(attacker "$OSNICCTL" -j service list)
	check "uid $ATTACKER's service list shows its own service only" \
		json_ok '[(s["port"], s["uid"]) for s in d] == [(6004, '"$ATTACKER"')]' <<<"$out"
	out=$(attacker "$OSNICCTL" -j worker list)
	check "uid $ATTACKER's worker list shows no root entries" \
		json_ok 'len(d) == 1 and all(w["uid"] == '"$ATTACKER"' for w in d)' <<<"$out"
	out=$(attacker "$OSNICCTL" -j stats)
	check "uid $ATTACKER's stats show per-service counters of its own services only" \
		json_ok '[s["id"] for s in d["services"]] == ['"$(service_id 6004)"']' <<<"$out"
	check "uid $OTHER sees no services at all" test "$(as "$OTHER" "$OTHER" "$OSNICCTL" -j service list)" = "[]"
	check "root sees both" json_ok 'sorted(s["port"] for s in d) == [5000, 6004]' <<<"$(ctl -j service list)"
	check "the admin group sees both" json_ok 'sorted(s["port"] for s in d) == [5000, 6004]' \
		<<<"$(as "$ATTACKER" "$ADMIN_GID" "$OSNICCTL" -j service list)"

	# ---- 4. request floods ----
	for i in 1 2; do
		attacker "$PY" "$tmp/nl.py" flood 4 >"$tmp/flood$i.out" 2>&1 &
		apps+=($!)
		fpids+=($!)
	done
	sleep 0.5
	# Answered before osnicctl's own 5 s timeout: tens of ms on the host,
	# a few s under the VM's emulation; a daemon that served the whole flood
	# first would not answer at all.
	check "during the flood: root's daemon info within 5 s" fast 5000 ctl daemon info
	check "during the flood: root's service list within 5 s" fast 5000 ctl service list
	check "during the flood: a root application registers within 5 s" \
		fast 5000 "$APP" register service 7000 deregister
	check "during the flood: iface list within 5 s" fast 5000 ctl iface list
	wait "${fpids[@]}"
	cat "$tmp/flood1.out" >>"$tmp/check.log"
	check "the flood was sent (datagrams of 1600 requests)" grep -q '^ok flood' "$tmp/flood1.out"
	check "dropped requests are counted in daemon info" json_ok 'd["requests_dropped"] > 1000' \
		<<<"$(ctl -j daemon info)"
	check "... and logged" grep -q 'request flood: .* uid '"$ATTACKER" "$tmp/osnicd.log"
	check "... once per 10 s at most" test "$(grep -c 'request flood' "$tmp/osnicd.log")" -le 2
	check "root's service still answers after the flood" test "$(rpc_call 5000 0x20001234 1 0)" = SUCCESS

	# ---- 5. the netlink port id squatted while osnicd is down ----
	kill -9 "$root_pid" "$user3_pid" 2>/dev/null
	check "osnicd stops" stop_osnicd
	setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- \
		"$PY" "$tmp/nl.py" squat >"$tmp/squat.out" 2>&1 &
	spid=$!
	apps+=($spid)
	within_1s grep -q '^ok squatting' "$tmp/squat.out"
	check "uid $ATTACKER holds the well-known port id" grep -q '^ok squatting' "$tmp/squat.out"
	out=$(ctl daemon info 2>&1)
	check "with osnicd down, osnicctl refuses the squatter's answer" \
		grep -q "held by pid $spid of uid $ATTACKER, not by osnicd" <<<"$out"
	check "osnicd still starts" start_osnicd
	# (osnicctl polls that ran before osnicd bound went to the squatter)
	got=$(grep -c '^got' "$tmp/squat.out")
	check "... and names the squatter in its log" grep -q "squatted by pid $spid (python3) of uid $ATTACKER" "$tmp/osnicd.log"
	check "... on another port id" json_ok 'd["nl_portid"] not in (0, 0x4f534e43)' <<<"$(ctl -j daemon info)"
	pfile=/run/osnic/portid.$(stat -L -c %i /proc/self/ns/net)
	check "... published in $pfile, root-owned 0644 in a root-owned 0755 directory" \
		test "$(stat -c '%u %a' "$pfile") $(stat -c '%u %a' /run/osnic)" = "0 644 0 755"
	check "a root application registers a service and a worker" \
		start_app root2 "$APP" register service 5000 worker open
	check "uid $ATTACKER's osnicctl reaches osnicd" attacker "$OSNICCTL" daemon info
	check "uid $ATTACKER's application registers" start_app user4 as "$ATTACKER" "$ATTACKER" "$APP" register service 6002
	check "the squatter got no request once osnicd runs" test "$(grep -c '^got' "$tmp/squat.out")" = "$got"
	cat "$tmp/squat.out" >>"$tmp/check.log"
	out=$(timeout 5 "$OSNICD" 2>&1)
	check "a second osnicd still refuses to start" grep -q 'is another osnicd running' <<<"$out"
	kill -9 "$root2_pid" "$user4_pid" "$spid" 2>/dev/null
	check "osnicd stops" stop_osnicd
	check "... and removes $pfile" test ! -e "$pfile"
	check "osnicd logged no sanitizer or runtime error" bash -c "! grep -q -e AddressSanitizer -e 'runtime error' $tmp/osnicd.log"
	exit 0
fi

# ---- the outer part: namespaces, cleanup ------------------------------------
[ "$(id -u)" = 0 ] || { echo "hostile_authz.sh: needs root" >&2; exit 1; }
for f in "$OSNICD" "$OSNICCTL" "$APP"; do
	[ -x "$f" ] || { echo "hostile_authz.sh: $f missing; run make" >&2; exit 1; }
done

NS=osnic-authz-srv-$$
CLI=osnic-authz-cli-$$
tmp=$(mktemp -d /tmp/osnic-authz.XXXXXX)

cleanup() {
	local p
	set +e
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

# The raw protocol client of the checks above.
cat >"$tmp/nl.py" <<'PY'
import os, socket, struct, sys, time
WELL_KNOWN, TYPE, VERSION = 0x4F534E43, 0x4F53, 1
(APP_REGISTER, APP_DEREGISTER, SERVICE_ADD, SERVICE_DEL, SERVICE_DUMP) = 1, 2, 3, 4, 5
IFACE_DETACH, SCHED_SET = 10, 15
A_APP_ID, A_SERVICE_ID, A_PROG, A_VERS, A_PORT, A_PROCS, A_IFNAME, A_SCHED_ENABLE = 1, 4, 5, 6, 7, 8, 16, 37

def daemon_portid():
    try:
        ino = os.stat("/proc/self/ns/net").st_ino
        return int(open("/run/osnic/portid.%d" % ino).read(), 0)
    except OSError:
        return WELL_KNOWN

def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)

def msg(cmd, body=b"", seq=1):
    m = struct.pack("BBH", cmd, VERSION, 0) + body
    return struct.pack("IHHII", 16 + len(m), TYPE, 1, seq, 0) + m

def tlvs(data, off, end):
    out = {}
    while off + 4 <= end:
        ln, t = struct.unpack_from("HH", data, off)
        if ln < 4:
            break
        out[t] = data[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out

s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)  # NETLINK_USERSOCK
s.bind((0, 0))
dest = (daemon_portid(), 0)
seq = 100

def ask(cmd, body=b""):
    global seq
    seq += 1
    s.settimeout(5)
    s.sendto(msg(cmd, body, seq), dest)
    while True:
        data = s.recv(65536)
        n, typ, flags, rseq, pid = struct.unpack_from("IHHII", data)
        if rseq == seq:
            break
    if typ == 2:
        err = struct.unpack_from("i", data, 16)[0]
        t = tlvs(data, 36, n)
        return err, t.get(1, b"").rstrip(b"\0").decode(), {}
    return 0, "", tlvs(data, 20, n)

def say(step, err, text, extra=""):
    print(("ok %s%s" % (step, extra)) if err == 0 else "err %d %s: %s" % (err, step, text), flush=True)

u32 = lambda v: struct.pack("I", v)
args = sys.argv[1:]
i = 0
while i < len(args):
    a = args[i]
    i += 1
    if a == "register":
        err, text, t = ask(APP_REGISTER)
        say(a, err, text, " app=%d" % struct.unpack("I", t[A_APP_ID])[0] if not err else "")
    elif a == "service":
        port = int(args[i]); i += 1
        body = attr(A_PROG, u32(0x20001234)) + attr(A_VERS, u32(1)) + \
            attr(A_PORT, struct.pack("H", port)) + attr(A_PROCS, struct.pack("Q", 1))
        err, text, t = ask(SERVICE_ADD, body)
        say(a, err, text)
    elif a == "detach":
        err, text, t = ask(IFACE_DETACH, attr(A_IFNAME, args[i].encode() + b"\0")); i += 1
        say(a, err, text)
    elif a == "sched":
        err, text, t = ask(SCHED_SET, attr(A_SCHED_ENABLE, bytes([int(args[i])]))); i += 1
        say(a, err, text)
    elif a == "wait":
        print("ok waiting", flush=True)
        sys.stdin.readline()
    elif a == "flood":
        # Datagrams of 1600 service dumps each, replies never read.
        secs = float(args[i]); i += 1
        one = msg(SERVICE_DUMP)
        dgram = one * 1600
        s.settimeout(0.2)
        sent, end = 0, time.time() + secs
        while time.time() < end:
            try:
                s.sendto(dgram, dest)
                sent += 1
            except (socket.timeout, BlockingIOError):
                pass
        print("ok flood %d datagrams of %d bytes" % (sent, len(dgram)), flush=True)
    elif a == "squat":
        # Hold the well-known port id, answer everything as if osnicd.
        q = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
        q.bind((WELL_KNOWN, 0))
        print("ok squatting", flush=True)
        n = 0
        while True:
            data, (pid, _) = q.recvfrom(65536)
            n += 1
            print("got request %d from port id %#x" % (n, pid), flush=True)
            ln, typ, flags, rseq, _ = struct.unpack_from("IHHII", data)
            cmd = data[16]
            q.sendto(struct.pack("IHHII", 20, TYPE, 0, rseq, pid) + struct.pack("BBH", cmd, 1, 0), (pid, 0))
    else:
        print("usage: unknown step %s" % a)
        sys.exit(2)
PY

ip netns add "$NS" && ip netns add "$CLI" &&
	ip link add veth1 netns "$CLI" type veth peer name veth0 netns "$NS" &&
	ip -n "$NS" addr add 10.78.0.2/24 dev veth0 &&
	ip -n "$CLI" addr add 10.78.0.1/24 dev veth1 &&
	ip -n "$NS" link set veth0 up && ip -n "$CLI" link set veth1 up &&
	ip -n "$NS" link set lo up && ip -n "$CLI" link set lo up ||
	{ echo "hostile_authz.sh: could not set up the namespaces" >&2; exit 1; }

ip netns exec "$NS" bash "$0" --inner "$CLI" "$tmp"
if read -r pass fail <"$tmp/counts" 2>/dev/null; then :; else pass=0 fail=1; fi
if [ "$fail" -ne 0 ]; then
	echo "--- osnicd's log"
	cat "$tmp/osnicd.log" 2>/dev/null
	echo "--- output of the failed checks' commands"
	tail -n 60 "$tmp/check.log" 2>/dev/null
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
