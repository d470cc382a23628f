#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo's script (scripts/demo.sh), run as a user runs it: once to the
# end with a short load run, checking that each step it promises happened
# and that it leaves nothing behind; once interrupted (SIGINT to its
# process group, as Ctrl-C sends) during the load run, checking that it
# still removes everything.
#
# Needs root. BUILD= selects the build directory (default build/).
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=demoscript
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

trap common_cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$bin/osnicd" "$bin/osnicctl" \
	"$bin/osnic-loadgen"

# What a demo run may leave behind: its namespaces (named after its pid),
# its processes, and an rpcbind it started (none ran before it).
rpcbind_before=$(pgrep -x rpcbind)
leftovers() { # PID
	ip netns list | grep -E "^osnic-demo-(srv|cli)-$1( |$)"
	# The program itself, not any command line that names it (a path, a compiler).
	pgrep -af '^([^ ]*/)?(osnic-demo-server|osnicd|osnic-loadgen)( |$)'
	[ -n "$rpcbind_before" ] || pgrep -ax rpcbind
}

say "scripts/demo.sh, to the end (DEMO_SECONDS=1)"
out=$tmp/demo.out
DEMO_SECONDS=1 DEMO_RATE=2000 BUILD=$BUILD setsid "$top/scripts/demo.sh" >"$out" 2>&1 &
demo_pid=$!
wait "$demo_pid"
rc=$?
if [ "$rc" = 0 ]; then pass "make demo's script exits 0"; else fail "make demo's script exits 0 (exit $rc)" "$(tail -20 "$out")"; fi
# expect WHAT REGEX: the demo's output has a line matching REGEX.
expect() {
	if grep -Eq -- "$2" "$out"; then pass "$1"; else fail "$1" "no line matches /$2/"; fi
}
expect "osnicd attached to the veth" '^\$ .*osnicctl iface attach veth-demo-s'
expect "rpcinfo lists the program" "^ *$PROG +1 +udp"
expect "rpcinfo calls the program: it answers" "program $PROG version 1 ready and waiting"
expect "the demo client's ADD 40 2 gives 42" '^ +add: 42$'
expect "the demo client's GET finds what PUT stored" '^ +get: found hello from the demo$'
expect "1000 ADD calls, all answered" '^ +1000 calls, 1000 answered, 0 failed$'
expect "the load run: every call answered" '^osnic: open [0-9]+ calls/s, sent ([0-9]+) answered \1 bad 0 loss 0\.0000%'
# section TITLE: the demo's output between "==> TITLE" and the next "==>".
section() { awk -v t="==> $1" '$0 == t { on = 1; next } /^==> / { on = 0 } on' "$out"; }
n=$(section "osnicctl stats" | grep -cE '^ *rpc_delivered +[1-9]')
if [ "$n" = 1 ]; then pass "osnicctl stats counts the calls delivered"; else
	fail "osnicctl stats counts the calls delivered" "$(section "osnicctl stats")"; fi
n=$(section "osnicctl worker list" | grep -cE '^ *[0-9]+ ')
if [ "$n" = 2 ]; then pass "osnicctl worker list shows the 2 workers"; else
	fail "osnicctl worker list shows the 2 workers" "$(section "osnicctl worker list")"; fi
expect "it cleans up" '^==> cleaning up'
left=$(leftovers "$demo_pid")
if [ -z "$left" ]; then pass "nothing left behind"; else fail "nothing left behind" "$left"; fi

say "scripts/demo.sh, interrupted during its load run"
out=$tmp/demo-int.out
# A command started with & from a script has SIGINT ignored, which the
# demo's shell could not undo: env resets it, as a terminal leaves it.
DEMO_SECONDS=30 DEMO_RATE=2000 BUILD=$BUILD setsid env --default-signal=INT,QUIT \
	"$top/scripts/demo.sh" >"$out" 2>&1 &
demo_pid=$!
for _ in $(seq 1200); do	# up to 120 s: TCG in make vmtest is slow
	grep -q '^==> load:' "$out" && break
	kill -0 "$demo_pid" 2>/dev/null || break
	sleep 0.1
done
sleep 0.5
if grep -q '^==> load:' "$out" && kill -0 "$demo_pid" 2>/dev/null; then
	pass "the demo reached its load run"
	kill -INT -- "-$demo_pid"
	# Wait up to 60 s for it to clean up and exit.
	for _ in $(seq 600); do
		kill -0 "$demo_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$demo_pid" 2>/dev/null; then
		fail "interrupted, it exits" "still running 60 s after SIGINT"
		kill -KILL -- "-$demo_pid" 2>/dev/null
	fi
	wait "$demo_pid"
	rc=$?
	if [ "$rc" != 0 ]; then pass "interrupted, it exits non-zero ($rc)"; else fail "interrupted, it exits non-zero"; fi
	expect "interrupted, it cleans up" '^==> cleaning up'
	left=$(leftovers "$demo_pid")
	if [ -z "$left" ]; then pass "interrupted, nothing left behind"; else fail "interrupted, nothing left behind" "$left"; fi
else
	fail "the demo reached its load run" "$(tail -20 "$out")"
	kill -KILL -- "-$demo_pid" 2>/dev/null
	wait "$demo_pid" 2>/dev/null
fi

finish
