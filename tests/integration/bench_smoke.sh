#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A smoke run of what `make bench` uses, so that none of it rots: the load
# generator (osnic-loadgen) against each server of the comparison, osnic
# (with osnicd and XDP), libtirpc's svc_run, the SO_REUSEPORT server and the
# busy-polling server (osnic-bench-server). Each is called at a low rate in
# open loop and briefly in closed loop; every answer is checked by the load
# generator (ECHO's length, ADD's sum, SPIN's value) and none may be lost.
# For osnic also: replies to calls queued in a worker's ring leave by UDP
# GSO (several to one send), and not with --no-gso; with --poll-us the
# worker finds calls by polling, and sleeps again once they stop.
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
