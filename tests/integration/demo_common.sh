# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the demo integration tests (demo_tirpc.sh, demo_socket.sh,
# demo_osnic.sh, ...): the namespaces, rpcbind, osnicd and server helpers
# of scripts/lib/netns.sh, then checks that count passes and failures, and
# the checks every transport must pass. Sourced, not run. Callers set
# `name` (a short tag).

# shellcheck source=scripts/lib/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/netns.sh"

# check NAME CMD...: passes when CMD exits 0.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$out"; fi
}

# check_out NAME REGEX CMD...: CMD exits 0 and its output matches REGEX.
check_out() {
	local what=$1 re=$2 out
	shift 2
	if out=$("$@" 2>&1) && grep -Eq -- "$re" <<<"$out"; then
		pass "$what"
	else
		fail "$what (expected /$re/)" "$out"
	fi
}

# check_fails NAME REGEX CMD...: CMD exits non-zero and its output matches REGEX.
check_fails() {
	local what=$1 re=$2 out
	shift 2
	if ! out=$("$@" 2>&1) && grep -Eq -- "$re" <<<"$out"; then
		pass "$what"
	else
		fail "$what (expected failure /$re/)" "$out"
	fi
}

finish() {
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# The demo client in the client namespace: through rpcbind when it is
# reachable there, else straight to the port.
client() {
	if [ "$rpcbind_remote" = 1 ]; then
		in_cli "$bin/osnic-demo-client" "$@"
	else
		in_cli "$bin/osnic-demo-client" -p "$port" "$@"
	fi
}

client_v() {	# client_v VERS ARGS...
	local v=$1
	shift
	if [ "$rpcbind_remote" = 1 ]; then
		in_cli "$bin/osnic-demo-client" -V "$v" "$@"
	else
		in_cli "$bin/osnic-demo-client" -V "$v" -p "$port" "$@"
	fi
}

rpcbind_checks() {
	say "rpcbind"
	if [ "$rpcbind_remote" = 1 ]; then
		check_out "rpcinfo -p $srv_ip lists $PROG" "^ +$PROG +1 +udp +$port( |$)" \
			in_cli rpcinfo -p "$srv_ip"
		check_out "rpcinfo -u $srv_ip $PROG 1" "program $PROG version 1 ready and waiting" \
			in_cli rpcinfo -u "$srv_ip" "$PROG" 1
		check_fails "rpcinfo -u $srv_ip $PROG 2: version mismatch" \
			"[Mm]ismatch.*low version = 1, high version = 1" \
			in_cli rpcinfo -u "$srv_ip" "$PROG" 2
	else
		[ "$rpcbind_broken" = 1 ] || check_out "rpcinfo -p lists $PROG (local socket)" "^ +$PROG +1 +udp +$port( |$)" \
			in_srv rpcinfo -p
		# rpcinfo -n still asks rpcbind on the host; -a names the address itself.
		local uaddr=$srv_ip.$((port >> 8)).$((port & 255))
		check_out "rpcinfo -a $uaddr -T udp $PROG 1" \
			"program $PROG version 1 ready and waiting" \
			in_cli rpcinfo -a "$uaddr" -T udp "$PROG" 1
		check_fails "rpcinfo -a $uaddr -T udp $PROG 2: version mismatch" \
			"[Mm]ismatch.*low version = 1, high version = 1" \
			in_cli rpcinfo -a "$uaddr" -T udp "$PROG" 2
	fi
}

rpcbind_gone_check() {
	local out
	[ "$rpcbind_broken" = 1 ] && return 0
	out=$(in_srv rpcinfo -p 2>&1)
	if grep -Eq "^ +$PROG " <<<"$out"; then
		fail "$PROG unregistered from rpcbind at exit" "$out"
	else
		pass "$PROG unregistered from rpcbind at exit"
	fi
}

# Every procedure, with its answer checked (the client also checks ECHO,
# ADD and SPIN itself and exits non-zero on a wrong answer).
client_checks() {
	local key="k-$$" big
	say "the demo client, every procedure"
	check_out "NULL" "^null: ok$" client "$srv_ip" null
	check_out "NULL with AUTH_SYS" "^null: ok$" client -u "$srv_ip" null
	check_out "ECHO text" "^echo: hello, osnic$" client "$srv_ip" echo "hello, osnic"
	check_out "ECHO empty" "^echo: $" client "$srv_ip" echo ""
	check "ECHO 1000 bytes (inline in a ring record)" client -q "$srv_ip" echo @1000
	check "ECHO 4096 bytes (the largest; the kernel path)" client -q "$srv_ip" echo @4096
	check_out "ADD 40 2" "^add: 42$" client "$srv_ip" add 40 2
	check_out "ADD negative" "^add: -7$" client "$srv_ip" add -10 3
	check_out "ADD wraps" "^add: 9223372036854775807$" \
		client "$srv_ip" add -9223372036854775808 -1
	check_out "ADD with AUTH_SYS" "^add: 3$" client -u "$srv_ip" add 1 2
	check_out "GET before PUT: not found" "^get: not found$" client "$srv_ip" get "$key"
	check_out "PUT" "^put: 0$" client "$srv_ip" put "$key" "value one"
	check_out "GET after PUT" "^get: found value one$" client "$srv_ip" get "$key"
	check_out "PUT overwrites" "^put: 0$" client "$srv_ip" put "$key" v2
	check_out "GET the new value" "^get: found v2$" client "$srv_ip" get "$key"
	big=$(printf 'x%.0s' $(seq 256))
	check_out "PUT a 256-character key" "^put: 0$" client "$srv_ip" put "$big" big
	check_out "GET a 256-character key" "^get: found big$" client "$srv_ip" get "$big"
	check_out "SPIN 2000" "^spin: 2000$" client "$srv_ip" spin 2000
	check_out "SPIN 0" "^spin: 0$" client "$srv_ip" spin 0
	check_fails "version 2: program/version mismatch" "mismatch; low version = 1, high version = 1" \
		client_v 2 "$srv_ip" null
	check_out "1000 ADD calls" "^1000 calls, 1000 answered, 0 failed$" \
		client -n 1000 "$srv_ip" add 1 2
}

# raw_call XID RPCVERS PROG VERS PROC CRED_FLAVOR ARGS_HEX: send one hand-made
# call from the client namespace; prints the reply as 32-bit words, or
# "no reply". For what the libtirpc client cannot send.
raw_call() {
	in_cli python3 - "$srv_ip" "$port" "$@" <<'PY'
import socket, struct, sys
ip, port = sys.argv[1], int(sys.argv[2])
xid, rpcvers, prog, vers, proc, flavor = (int(a, 0) for a in sys.argv[3:9])
args = bytes.fromhex(sys.argv[9])
msg = struct.pack("!10I", xid, 0, rpcvers, prog, vers, proc, flavor, 0, 0, 0) + args
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

# Hand-made calls both transports answer the same way.
raw_checks() {
	say "hand-made calls"
	# ECHO claiming 5000 bytes: opaque<4096> is exceeded.
	check_out "ECHO of 5000 bytes: GARBAGE_ARGS" "^101 1 0 0 0 4$" \
		raw_call 101 2 $PROG 1 1 0 00001388
	check_out "procedure 9: PROC_UNAVAIL" "^102 1 0 0 0 3$" raw_call 102 2 $PROG 1 9 0 ""
	check_out "another program: PROG_UNAVAIL" "^103 1 0 0 0 1$" \
		raw_call 103 2 $((PROG + 1)) 1 0 0 ""
	check_out "version 7: PROG_MISMATCH 1..1" "^104 1 0 0 0 2 1 1$" raw_call 104 2 $PROG 7 0 0 ""
}

# What osnic answers and libtirpc does not (ENVIRONMENT.md): libtirpc drops
# calls with another RPC version and decodes short arguments from stale
# bytes of its buffer.
raw_checks_osnic() {
	check_out "RPC version 3: RPC_MISMATCH 2..2" "^105 1 1 0 2 2$" raw_call 105 3 $PROG 1 0 0 ""
	check_out "ADD with 8 argument bytes: GARBAGE_ARGS" "^106 1 0 0 0 4$" \
		raw_call 106 2 $PROG 1 2 0 0000000000000001
	check_out "ADD with 20 argument bytes: GARBAGE_ARGS" "^107 1 0 0 0 4$" \
		raw_call 107 2 $PROG 1 2 0 0000000000000001000000000000000200000000
	check_out "ADD with 16 argument bytes: SUCCESS 3" "^108 1 0 0 0 0 0 3$" \
		raw_call 108 2 $PROG 1 2 0 00000000000000010000000000000002
	check_out "AUTH_DH credential: AUTH_ERROR BADCRED" "^109 1 1 1 1$" \
		raw_call 109 2 $PROG 1 2 3 00000000000000010000000000000002
}
