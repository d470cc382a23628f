# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# A system-wide perf profile around one load run, for make bench's scripts
# (bench/run.sh: BENCH_PERF=1, bench/nis.sh: NIS_PERF=1). Sourced. The
# caller sets perf_on (1: profile), perf_dir (where the files go) and
# perf_cpus (the CPUs to report on).
#
# perf_start NAME records call graphs of every CPU into perf_dir/perf-NAME.data;
# perf_stop ends it and writes perf_dir/perf-NAME-cpuN.txt per CPU of
# perf_cpus (perf report -i perf-NAME.data for more).

# Set by the caller: perf_on, perf_dir, perf_cpus.
: "${perf_dir:?}" "${perf_cpus:?}"
perf_pid=
perf_name=

perf_start() {
	[ "${perf_on:-0}" = 1 ] || return 0
	perf_name=$1
	perf record -q -a -g -F 4999 -o "$perf_dir/perf-$perf_name.data" >/dev/null 2>&1 &
	perf_pid=$!
	sleep 0.3
}

perf_stop() {
	local cpu
	[ -n "$perf_pid" ] || return 0
	kill -INT "$perf_pid"
	wait "$perf_pid" 2>/dev/null
	perf_pid=
	for cpu in $perf_cpus; do
		perf report -q -i "$perf_dir/perf-$perf_name.data" --no-children -C "$cpu" \
			--sort comm,dso,sym --percent-limit 0.5 -g none \
			>"$perf_dir/perf-$perf_name-cpu$cpu.txt" 2>/dev/null
	done
}
