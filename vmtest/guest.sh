#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the virtme-ng guest: the in-VM test suite. Arguments: the
# repository, the writable output directory, the build directory name.
# Leaves `status` (0 = all passed), `dmesg.txt`, each suite's output in
# `suite-<name>.log` and each suite's closing line in `summary.txt` in the
# output directory; vmtest/run.sh prints the summary and what failed.
top=$1 out=$2 build=${3:-build}
cd "$top" || exit 1
status=0
: >"$out/summary.txt"
# Where a test declares a sched_ext error exit it causes on purpose, one
# line per exit (vmtest/run.sh checks the kernel log against it).
export VMTEST_OUT=$out

run() { # name cmd...
	name=$1
	shift
	log=$out/suite-$(echo "$name" | tr ' ' '-').log
	echo "=== vmtest: $name"
	{
		"$@" 2>&1
		echo $? >"$log.rc"
	} | tee "$log"
	rc=$(cat "$log.rc")
	rm -f "$log.rc"
	# Criterion's closing line, or the integration total.
	last=$(grep -aE 'Synthesis:|^integration: [0-9]+ passed' "$log" | tail -1)
	echo "$name: ${last:-no closing line} (exit $rc)" >>"$out/summary.txt"
	if [ "$rc" != 0 ]; then
		echo "=== vmtest: $name FAILED"
		status=1
	fi
}

if [ ! -d /sys/kernel/sched_ext ]; then
	echo "=== vmtest: FAIL: guest kernel $(uname -r) has no /sys/kernel/sched_ext"
	status=1
else
	echo "=== vmtest: kernel $(uname -r), sched_ext state $(cat /sys/kernel/sched_ext/state)"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	# The host's BPF tests again, on this kernel.
	run "bpf tests" "$build/tests/bpf" --jobs=1
	run "net tests" "$build/tests/net" --jobs=1
	# The scheduler's tests (tests/sched), which need sched_ext.
	run "sched tests" "$build/tests/sched" --jobs=1
	# The end-to-end suite again, on the sched_ext kernel.
	run "integration tests" env BUILD="$build" tests/integration/run.sh
fi

dmesg >"$out/dmesg.txt" 2>&1
echo "$status" >"$out/status"
sync
exit "$status"
