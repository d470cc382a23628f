/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the BPF_PROG_TEST_RUN tests of the XDP program share. Each test
 * loads the object afresh (so maps start empty and counters at zero) and
 * runs pinned to CPU 0: test_run executes the program on the calling CPU,
 * and pinning makes "this CPU" in steering and the descriptor's rx_cpu
 * deterministic.
 */
#ifndef OSNIC_TESTS_XDP_TEST_H
#define OSNIC_TESTS_XDP_TEST_H

#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <string.h>

#include <osnic/abi.h>
#include "osnic_xdp.skel.h"

#define TEST_CPU 0

static struct osnic_xdp *skel;
static int ncpus;

static inline void xdp_test_setup(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(TEST_CPU, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0, "pinning to CPU %d: %s",
		     TEST_CPU, strerror(errno));
	skel = osnic_xdp__open_and_load();
	cr_assert_not_null(skel, "loading the XDP object failed (root? BTF?): %s",
			   strerror(errno));
	ncpus = libbpf_num_possible_cpus();
	cr_assert_gt(ncpus, 0);
}

static inline void xdp_test_teardown(void)
{
	osnic_xdp__destroy(skel);
	skel = NULL;
}

/* Sum a per-CPU u64 slot. */
static inline uint64_t percpu_sum(struct bpf_map *map, uint32_t key)
{
	uint64_t vals[ncpus], sum = 0;

	cr_assert_eq(bpf_map__lookup_elem(map, &key, sizeof(key), vals, sizeof(vals), 0), 0,
		     "lookup of key %u in %s failed", key, bpf_map__name(map));
	for (int i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

static inline uint64_t rx_count(enum osnic_rx_counter c)
{
	return percpu_sum(skel->maps.osnic_rx_counters, c);
}

/*
 * Run the program repeat times on frame; the (last) output frame goes to
 * out when it is not NULL. Returns the verdict.
 */
static inline int run_xdp_repeat(const char *name, const uint8_t *frame, size_t len,
				 uint8_t *out, uint32_t *out_len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = out ? *out_len : 0, .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.osnic_xdp_rx), &opts);
	cr_assert_eq(err, 0, "%s: BPF_PROG_TEST_RUN failed: %s", name, strerror(-err));
	if (out)
		*out_len = opts.data_size_out;
	return opts.retval;
}

static inline int run_xdp_named(const char *name, const uint8_t *frame, size_t len,
				uint8_t *out, uint32_t *out_len)
{
	return run_xdp_repeat(name, frame, len, out, out_len, 1);
}

#define run_xdp(...) run_xdp_named(__func__, __VA_ARGS__)

#endif /* OSNIC_TESTS_XDP_TEST_H */
