#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vmtest/run.sh: boot the sched_ext guest kernel once under virtme-ng (TCG:
# KVM cannot run ordinary guests on these machines), run vmtest/guest.sh in
# it, and judge the result on the host.
#
# The guest shares the host's root file system read-only; build/vmtest is
# its one writable directory, where it leaves its test log, its exit status
# and its kernel log. The whole guest console (kernel messages included) is
# kept in build/vmtest/console.log; the terminal gets it without the kernel
# lines. Fails when:
#   - the guest kernel lacks CONFIG_SCHED_CLASS_EXT,
#   - the guest did not finish (no status file: panic, hang, timeout),
#   - any in-VM test failed,
#   - the guest's kernel log has BUG:, WARNING: or a sched_ext error exit.
#
# Environment: SCX_KVER (guest kernel version, default from `make deps`),
# VMTEST_TIMEOUT (seconds, default 1500), VMTEST_CPUS (2), VMTEST_MEM (2G),
# VMTEST_GUEST (the script the guest runs, default vmtest/guest.sh; make
# vmbench gives bench/vm-guest.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
out=$top/$BUILD/vmtest
state=${DEPS_STATE:-/var/lib/osnic-deps}
kver=${SCX_KVER:-$(cat "$state/guest-kernel-version" 2>/dev/null || true)}
timeout_s=${VMTEST_TIMEOUT:-1500}

die() { echo "vmtest: error: $*" >&2; exit 1; }

[ -n "$kver" ] || die "no sched_ext guest kernel known; run 'make deps'"
kdir=/usr/lib/modules/$kver
[ -r "$kdir/vmlinuz" ] || die "guest kernel $kver not found at $kdir/vmlinuz; run 'make deps'"
grep -qs '^CONFIG_SCHED_CLASS_EXT=y' "$kdir/config" ||
	die "guest kernel $kver is built without CONFIG_SCHED_CLASS_EXT: the sched_ext tests cannot run"
command -v vng >/dev/null || die "virtme-ng (vng) is not installed; run 'make deps'"

rm -rf "$out"
mkdir -p "$out"

echo "vmtest: booting $kver (TCG, ${VMTEST_CPUS:-2} CPUs); guest output follows"
# Single-threaded TCG: with one host thread per vCPU (MTTCG), a vCPU can run
# stale code after the kernel patches its own text (text_poke_bp for static
# keys, which enabling sched_ext flips), and the guest dies with an int3 Oops
# in the scheduler core (seen in update_rq_clock from scx_root_enable_workfn,
# about one boot in three). One thread for all vCPUs keeps the code coherent.
# vng checks that --rwdir's path exists in the guest by resolving it
# relative to its own working directory, so it must start from /.
set +e
cd /
timeout --foreground -k 10 "$timeout_s" \
	vng --disable-kvm -r "$kdir/vmlinuz" --cpus "${VMTEST_CPUS:-2}" \
	--memory "${VMTEST_MEM:-2G}" --rwdir="$out" --verbose \
	--qemu-opts="-accel tcg,thread=single" \
	--exec "$top/${VMTEST_GUEST:-vmtest/guest.sh} $top $out $BUILD" </dev/null 2>&1 |
	tee "$out/console.log" | grep -avE '^\[ *[0-9]+\.[0-9]+\]'
vng_rc=${PIPESTATUS[0]}
set -e
cd "$top"

fail=0
if [ ! -r "$out/status" ]; then
	echo "vmtest: FAIL: the guest did not finish (vng exit $vng_rc; timeout ${timeout_s}s?)" >&2
	echo "vmtest: the end of the guest console ($out/console.log):" >&2
	tail -60 "$out/console.log" >&2
	exit 1
fi
status=$(cat "$out/status")

if [ -r "$out/dmesg.txt" ]; then
	if grep -E 'BUG:|WARNING:' "$out/dmesg.txt" >"$out/kernel-problems.txt"; then
		echo "vmtest: FAIL: the guest kernel log shows BUG:/WARNING::" >&2
		cat "$out/kernel-problems.txt" >&2
		fail=1
	fi
	# sched_ext prints why a scheduler was disabled. Unregistering is the
	# normal end; an error, a stall or a BPF-raised error is not, unless a
	# test declared that very exit expected: each line of expected-scx-exits
	# (written by the tests through $VMTEST_OUT) excuses one such exit.
	grep -E 'sched_ext: BPF scheduler .* disabled \(' "$out/dmesg.txt" |
		grep -vE '\((unregistered from user space|unregistered from BPF|disabled by sysrq-S)\)' \
			>"$out/scx-errors.txt" || true
	if [ -r "$out/expected-scx-exits" ]; then
		awk 'NR == FNR { want[++n] = $0; next }
		     { for (i = 1; i <= n; i++)
			     if (want[i] != "" && index($0, want[i])) { want[i] = ""; next }
		       print }' "$out/expected-scx-exits" "$out/scx-errors.txt" \
			>"$out/scx-errors.unexpected"
		mv "$out/scx-errors.unexpected" "$out/scx-errors.txt"
	fi
	if [ -s "$out/scx-errors.txt" ]; then
		echo "vmtest: FAIL: sched_ext error exits in the guest kernel log:" >&2
		cat "$out/scx-errors.txt" >&2
		fail=1
	fi
else
	echo "vmtest: FAIL: the guest left no kernel log" >&2
	fail=1
fi

# The closing line of each suite run in the guest, then what failed, last,
# where a truncated log still shows it.
if [ -s "$out/summary.txt" ]; then
	echo "vmtest: in the guest:"
	sed 's/^/vmtest:   /' "$out/summary.txt"
fi
if [ "$status" != 0 ]; then
	echo "vmtest: FAIL: in-VM tests failed (status $status); see $out/" >&2
	# Criterion's failed tests and their assertions; the integration
	# scripts' FAIL lines and scripts that ended without a result.
	grep -aHE '^\[(FAIL|----)\]|^FAIL |ended without a result' "$out"/suite-*.log 2>/dev/null |
		grep -av '^\S*: *\[----\] *$' | sed "s|^$out/||" | tail -40 >&2 || true
	fail=1
fi
[ $fail = 0 ] && echo "vmtest: PASS (guest $kver)"
exit $fail
