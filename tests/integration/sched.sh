#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scheduling end to end (DESIGN.md, "Scheduling"): which mode osnicd chose,
# the workers' state as XDP sees it, and steering by that state.
#
#  - Everywhere: the mode matches the kernel (sched_ext where
#    /sys/kernel/sched_ext exists, as in the vmtest guest; else xdp-only,
#    with the reason); idle workers of the demo server are sleeping, on a
#    CPU; during a SPIN call the busy worker is running, and further calls
#    go to the sleeping one (its delivered_idle counter grows).
#  - With sched_ext only: the kernel runs the "osnic" scheduler; `osnicctl
#    sched disable` restores the default scheduler and the service keeps
#    answering, `enable` brings it back; 60 s of calls under CPU hogs on
#    every CPU are all answered, with no watchdog exit; SysRq-S ejects the
#    scheduler, osnicd notices and falls back to xdp-only, the service keeps
#    answering, and osnicd does not reload it (not an error); after an
#    error exit (build/tests/scx_error raises scx_bpf_error against the
#    running scheduler) osnicd falls back, then reloads it within the
#    backoff, and `sched status` reports the exit and the reload.
#
# The same set-up as demo_osnic.sh (namespaces, a private bpffs shared by
# osnicd, osnicctl and the server). Needs root. BUILD= selects the build
# directory. Ends with "N passed, N failed"; exits non-zero on a failure.
set -uo pipefail

name=sched
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

# 60 s of calls under the hogs: twice the sched_ext watchdog's longest timeout.
LOAD_CALLS=${LOAD_CALLS:-12000}
LOAD_RATE=${LOAD_RATE:-200}
hog_pids=()

cleanup() {
	set +e
	local p
	for p in "${hog_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctl() { in_osnic "$bin/osnicctl" "$@"; }

sched_field() {	# sched_field FIELD: from `osnicctl -j sched status`
	ctl -j sched status | jq -r --arg f "$1" '.status[$f]'
}

# check_eq NAME EXPECTED ACTUAL [DETAIL]
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')" "${4:-}"; fi
}

# wait_for SECS CMD...: until CMD succeeds; 1 if it never did.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

workers_json() { ctl -j worker list; }
nworkers_in() {	# nworkers_in STATE: how many of the service's workers are in it
	workers_json | jq --argjson id "$svc_id" --arg s "$1" \
		'[.[] | select(.service_id == $id and .state == $s)] | length'
}
all_sleeping() { [ "$(nworkers_in sleeping)" = 2 ]; }
# Busy: running, or runnable when the observer (osnicctl, osnicd) itself
# preempted it on its CPU -- on a 2-CPU machine that is most samples.
# shellcheck disable=SC2016 # $id is jq's
busy_filter='.service_id == $id and (.state == "running" or .state == "runnable")'
one_busy() {
	workers_json | tee -a "$tmp/trace" | jq -e --argjson id "$svc_id" \
		"[.[] | select($busy_filter)] | length == 1" >/dev/null
}
kernel_ops() { cat /sys/kernel/sched_ext/root/ops 2>/dev/null || echo none; }
kernel_state() { cat /sys/kernel/sched_ext/state 2>/dev/null; }
kernel_disabled() { [ "$(kernel_state)" = disabled ]; }
mode_is() { [ "$(sched_field mode)" = "$1" ]; }
reloaded() {	# reloaded N: osnicd reports N reloads and runs the scheduler
	local s
	s=$(ctl -j sched status) &&
		[ "$(jq -r .status.reloads <<<"$s")" = "$1" ] &&
		[ "$(jq -r .status.mode <<<"$s")" = sched_ext ] &&
		[ "$(kernel_state)" = enabled ]
}

# For a failure's detail: what the scheduler counted and what osnicd said of it.
sched_diag() {
	local tid
	ctl sched status 2>&1
	for tid in $(workers_json | jq -r '.[].tid'); do
		echo "tid $tid: $(grep -hE '^(ext\.|policy)' "/proc/$tid/sched" 2>/dev/null | tr -s ' \n' ' ')"
	done
	grep -E 'sched|XDP-only' "$tmp/osnicd.log" | tail -5
	cat /sys/kernel/sched_ext/root/events 2>/dev/null
}

idle_sum() {	# delivered_idle summed over the service's workers
	ctl -j stats | jq --argjson id "$svc_id" \
		'[.workers[] | select(.service_id == $id) | .delivered_idle] | add'
}

require "$bin/osnic-demo-server" "$bin/osnic-demo-client" "$bin/osnicd" "$bin/osnicctl"
command -v jq >/dev/null || { echo "error: jq is needed" >&2; exit 1; }
if [ -d /sys/kernel/sched_ext ]; then
	expect_mode=sched_ext
	# An osnicd of an earlier test may still be going away.
	wait_for 10 kernel_disabled || {
		echo "error: a sched_ext scheduler ($(kernel_ops)) runs already" >&2
		exit 1
	}
else
	expect_mode=xdp-only
fi
setup_netns

say "a mount namespace with its own bpffs, in $srv"
ensure_rpcbind
say "osnicd in $srv (expecting mode $expect_mode)"
# In this shell, not under check: its processes must outlive the call.
start_osnic
check "osnicd answers" ctl daemon info
check_out "private bpffs" "^bpf_fs$" in_osnic stat -f -c %T /sys/fs/bpf
check "osnicctl iface attach $srv_if" ctl iface attach "$srv_if"
server_exec=(nsenter --target "$holder_pid" --mount --net)

status=$(ctl -j sched status)
check_eq "sched status: mode $expect_mode" "$expect_mode" "$(jq -r .status.mode <<<"$status")" "$status"
if [ "$expect_mode" = sched_ext ]; then
	check_eq "sched status: no reason given" "-" "$(jq -r .status.reason <<<"$status")" "$status"
	check_eq "sched status: the feed is detached" false "$(jq -r .status.feed <<<"$status")"
	check_eq "the kernel runs the osnic scheduler" osnic "$(kernel_ops)"
	check_out "sched status (text) shows its counters" "enabled_tasks +[1-9]" ctl sched status
	# Its state is useless to XDP unless it writes the maps XDP reads.
	check_out "the scheduler shares osnicd's 8 maps" "attached \(8 shared maps reused\)" \
		cat "$tmp/osnicd.log"
else
	check_out "sched status: the reason" "CONFIG_SCHED_CLASS_EXT" jq -r .status.reason <<<"$status"
	check_eq "sched status: the feed is attached" true "$(jq -r .status.feed <<<"$status")"
	check_fails "sched enable fails without sched_ext" "CONFIG_SCHED_CLASS_EXT" ctl sched enable
fi

say "osnic-demo-server --transport osnic --workers 2 in $srv"
start_server --transport osnic --workers 2 || { finish; exit 1; }
svc_id=$(sed -n 's/.*service id \([0-9]*\).*/\1/p' "$tmp/server.out")
svc_id=${svc_id:-0}
check_out "the service answers" "^add: 3$" client "$srv_ip" add 1 2

# Idle workers block on their rings: sleeping, on the CPU they last ran on.
if wait_for 5 all_sleeping; then
	pass "idle workers are sleeping"
else
	fail "idle workers are sleeping" "$(ctl worker list)
$(sched_diag)"
fi
check_eq "every worker has a CPU" 2 "$(workers_json | jq --argjson id "$svc_id" --argjson n "$(nproc)" \
	'[.[] | select(.service_id == $id and .cpu >= 0 and .cpu < $n)] | length')"

# Back-to-back SPINs (1 s each, the most one may ask) keep a worker busy
# while further calls, paced so that the other worker is asleep again for
# each, go to a sleeping worker: delivered_idle counts only deliveries to a
# worker whose state was sleeping, which a spinning worker never is.
spin_check() {	# spin_check TAG
	local tag=$1 before after n=5 nspin=6 out
	: >"$tmp/trace"
	client -n "$nspin" "$srv_ip" spin 1000000 >"$tmp/spin.out" 2>&1 &
	local spin_pid=$!
	if wait_for 10 one_busy; then
		pass "$tag: the worker doing a SPIN is running (or runnable), the other sleeping"
	else
		fail "$tag: the worker doing a SPIN is running (or runnable)" "$(tail -3 "$tmp/trace")
$(sched_diag)"
	fi
	before=$(idle_sum)
	out=$(client -q -n "$n" -r 25 "$srv_ip" add 1 2 2>&1)
	after=$(idle_sum)
	check_eq "$tag: $n calls answered during the SPINs" "$n calls, $n answered, 0 failed" "$out"
	if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -ge "$n" ]; then
		pass "$tag: each went to a sleeping worker (delivered_idle +$((after - before)))"
	else
		fail "$tag: each went to a sleeping worker" \
			"delivered_idle '$before' -> '$after'
$(tail -3 "$tmp/trace")
$(ctl stats)"
	fi
	wait "$spin_pid"
	check_out "$tag: the SPIN calls are answered" "^$nspin calls, $nspin answered, 0 failed$" \
		cat "$tmp/spin.out"
}
spin_check "$expect_mode"

if [ "$expect_mode" = sched_ext ]; then
	say "disable and enable the scheduler"
	check_out "osnicctl sched disable" "xdp-only" ctl sched disable
	check_eq "the kernel's scheduler is back (state disabled)" disabled "$(kernel_state)"
	check_eq "sched status: the feed is attached" true "$(sched_field feed)"
	check_out "the service answers without the scheduler" "^add: 3$" client "$srv_ip" add 1 2
	check_out "osnicctl sched enable" "sched_ext" ctl sched enable
	check_eq "the kernel runs the osnic scheduler again" osnic "$(kernel_ops)"
	check_eq "sched status: the feed is detached" false "$(sched_field feed)"
	check_out "the service answers with the scheduler" "^add: 3$" client "$srv_ip" add 1 2

	say "$LOAD_CALLS calls at $LOAD_RATE/s with a CPU hog on each of $(nproc) CPUs"
	for _ in $(seq "$(nproc)"); do
		sh -c 'while :; do :; done' &
		hog_pids+=($!)
	done
	check_out "$LOAD_CALLS calls under CPU hogs, all answered" \
		"^$LOAD_CALLS calls, $LOAD_CALLS answered, 0 failed$" \
		in_cli "$bin/osnic-demo-client" -p "$port" -q -t 2000 -n "$LOAD_CALLS" -r "$LOAD_RATE" \
		"$srv_ip" add 1 2
	check_eq "the scheduler survived the load" osnic "$(kernel_ops)"
	for p in "${hog_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	hog_pids=()

	say "SysRq-S ejects the scheduler"
	echo S >/proc/sysrq-trigger
	if wait_for 5 mode_is xdp-only; then
		pass "osnicd noticed and fell back to xdp-only"
	else
		fail "osnicd noticed and fell back to xdp-only" "$(ctl sched status)"
	fi
	check_out "sched status: the exit reason" "[Ss]ys[Rr]q" sched_field last_exit
	check_eq "sched status: the feed is attached" true "$(sched_field feed)"
	check_out "the service answers after the ejection" "^add: 3$" client "$srv_ip" add 1 2
	if wait_for 5 all_sleeping; then
		pass "the feed keeps the workers' state (sleeping)"
	else
		fail "the feed keeps the workers' state (sleeping)" "$(ctl worker list)"
	fi
	# Twice the first backoff and then some: a reload would have happened.
	sleep 4
	status=$(ctl -j sched status)
	check_eq "SysRq-S is not undone: still xdp-only" xdp-only "$(jq -r .status.mode <<<"$status")" "$status"
	check_eq "sched status: SysRq-S is no error" false "$(jq -r .status.exit_error <<<"$status")" "$status"
	check_eq "sched status: no reload planned" "-" "$(jq -r .status.next_reload <<<"$status")" "$status"
	check_eq "sched status: no reloads" 0 "$(jq -r .status.reloads <<<"$status")" "$status"
	check_eq "the kernel runs no scheduler after SysRq-S" disabled "$(kernel_state)"

	say "an error exit: osnicd reloads the scheduler"
	check_out "osnicctl sched enable" "sched_ext" ctl sched enable
	check_eq "the kernel runs the osnic scheduler again" osnic "$(kernel_ops)"
	# The kernel logs the ejection as an error; vmtest/run.sh fails on
	# unexpected ones, so declare this one (once).
	if [ -n "${VMTEST_OUT:-}" ]; then
		echo 'BPF scheduler "osnic" disabled (scx_bpf_error)' >>"$VMTEST_OUT/expected-scx-exits"
	fi
	check "scx_error ejects the running scheduler with scx_bpf_error" "$build/tests/scx_error"
	if wait_for 30 reloaded 1; then
		pass "osnicd reloaded the scheduler (state enabled, 1 reload)"
	else
		fail "osnicd reloaded the scheduler (state enabled, 1 reload)" "$(sched_diag)"
	fi
	check_eq "the kernel runs the osnic scheduler after the reload" osnic "$(kernel_ops)"
	status=$(ctl -j sched status)
	check_eq "sched status: the exit kind is scx_bpf_error's" 1025 "$(jq -r .status.exit_kind <<<"$status")" "$status"
	check_eq "sched status: the exit was an error" true "$(jq -r .status.exit_error <<<"$status")" "$status"
	check_eq "sched status: the kernel's reason" scx_bpf_error "$(jq -r .status.exit_reason <<<"$status")" "$status"
	check_out "sched status: the error's message" "osnic test: error forced" jq -r .status.exit_message <<<"$status"
	check_eq "sched status: no reload planned once reloaded" "-" "$(jq -r .status.next_reload <<<"$status")" "$status"
	check_eq "sched status: the feed is detached again" false "$(jq -r .status.feed <<<"$status")" "$status"
	check_out "osnicd fell back to the feed first" "osnic scheduler exited \(error in the scheduler.*falling back" \
		cat "$tmp/osnicd.log"
	check_out "osnicd planned the reload with the first backoff" "reloading the osnic scheduler in 1\.0 s" \
		cat "$tmp/osnicd.log"
	check_out "sched status (text) shows the reload" "reloads after errors +1" ctl sched status
	check_out "the service answers after the reload" "^add: 3$" client "$srv_ip" add 1 2
fi

say "stopping"
if stop_server; then pass "server exits 0 on SIGTERM"; else fail "server exits 0 on SIGTERM" "$(cat "$tmp/server.err")"; fi
kill -TERM "$osnicd_pid"
wait "$osnicd_pid"
check_eq "osnicd exits 0" 0 "$?" "$(tail -20 "$tmp/osnicd.log")"
osnicd_pid=
if [ -d /sys/kernel/sched_ext ]; then
	wait_for 5 kernel_disabled
	check_eq "no scheduler left behind" disabled "$(kernel_state)"
fi

if [ "$failed" -ne 0 ]; then
	echo "---- osnicd log"
	tail -30 "$tmp/osnicd.log"
	echo "---- server stderr"
	tail -30 "$tmp/server.err" 2>/dev/null
fi
finish
