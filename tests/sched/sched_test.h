/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the in-VM tests of the osnic scheduler share: clocks, the kernel's
 * sched_ext state, the suite setup that makes sure sched_ext is there and
 * idle, and loading + attaching the scheduler with assertions on the
 * kernel's view. Only one sched_ext scheduler can run at a time: the tests
 * serialise on a lock file, whatever --jobs says.
 */
#ifndef OSNIC_VMTEST_SCHED_TEST_H
#define OSNIC_VMTEST_SCHED_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "loader.h"

#define LOCK_FILE "/tmp/osnic-vmtest-sched.lock"

/* How long the kernel may take to finish enabling or disabling. */
#define STATE_TIMEOUT_MS 1000

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). */
static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Poll /sys/kernel/sched_ext/state until it reads want; return how many
 * milliseconds that took, or -1 after timeout_ms (state then holds the
 * last value read).
 */
static inline double wait_for_state(const char *want, char *state, size_t len,
				    unsigned int timeout_ms)
{
	double start = now_ms(), t;
	int err;

	for (;;) {
		err = osnic_sched_kernel_state(state, len, NULL, 0);
		cr_assert_eq(err, 0, "cannot read %s/state: %s", OSNIC_SCHED_SYSFS_DIR,
			     strerror(-err));
		t = now_ms() - start;
		if (!strcmp(state, want))
			return t;
		if (t > timeout_ms)
			return -1;
		sleep_ms(5);
	}
}

/* Suite setup: sched_ext must be there and idle, and the tests alone. */
static inline void require_idle_sched_ext(void)
{
	char why[160], state[32], ops[64];
	int fd, err;

	cr_assert_eq(geteuid(), 0, "the sched tests need root");
	err = osnic_sched_available(why, sizeof(why));
	cr_assert_eq(
		err, 0,
		"sched_ext is not available: %s. These tests must run in the sched_ext VM (make vmtest)",
		why);

	/* Held until this test's process exits. */
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "cannot open %s: %s", LOCK_FILE, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0, "cannot lock %s: %s", LOCK_FILE, strerror(errno));

	err = osnic_sched_kernel_state(state, sizeof(state), ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read the sched_ext state: %s", strerror(-err));
	cr_assert(wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS) >= 0,
		  "another sched_ext scheduler is running: state \"%s\", ops \"%s\"", state, ops);
}

/* Load with opts, retrying verbosely (libbpf's and the verifier's log) on failure. */
static inline struct osnic_scheduler *load_osnic(struct osnic_sched_opts opts)
{
	struct osnic_scheduler *s;
	int err;

	s = osnic_sched_load(&opts);
	if (!s) {
		err = errno;
		opts.verbose = true;
		osnic_sched_destroy(osnic_sched_load(&opts));
		cr_assert_fail("osnic_sched_load: %s (libbpf log above)", strerror(err));
	}
	return s;
}

/*
 * Load (with maps of its own unless pin_dir says otherwise) and attach,
 * asserting that the kernel now runs "osnic".
 */
static inline struct osnic_scheduler *attach_osnic_opts(struct osnic_sched_opts opts)
{
	struct osnic_scheduler *s = load_osnic(opts);
	char state[32], ops[64];
	int err;

	err = osnic_sched_kernel_state(state, sizeof(state), NULL, 0);
	cr_assert_eq(err, 0, "cannot read the sched_ext state: %s", strerror(-err));
	cr_assert_str_eq(state, "disabled",
			 "loading alone must not enable the scheduler (state \"%s\")", state);

	err = osnic_sched_attach(s);
	cr_assert_eq(err, 0, "osnic_sched_attach: %s", strerror(-err));
	cr_assert(wait_for_state("enabled", state, sizeof(state), STATE_TIMEOUT_MS) >= 0,
		  "state is \"%s\" %d ms after attach, not \"enabled\"", state, STATE_TIMEOUT_MS);
	err = osnic_sched_kernel_state(NULL, 0, ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read root/ops: %s", strerror(-err));
	cr_assert_str_eq(ops, OSNIC_SCHED_NAME, "root/ops reads \"%s\", not \"%s\"", ops,
			 OSNIC_SCHED_NAME);
	cr_assert_not(osnic_sched_exited(s), "the scheduler exited right after attach");
	return s;
}

/* The tests' default: never the maps another test (or osnicd) pinned. */
static inline struct osnic_scheduler *attach_osnic(void)
{
	struct osnic_sched_opts opts = { .pin_dir = "" };

	return attach_osnic_opts(opts);
}

/* 1 if the calling thread runs in the sched_ext class, 0 if not, -1 unknown. */
static inline int thread_on_ext(void)
{
	char line[256];
	int on = -1;
	FILE *f;

	f = fopen("/proc/thread-self/sched", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "ext.enabled", 11) && colon) {
			on = atoi(colon + 1) == 1;
			break;
		}
	}
	fclose(f);
	return on;
}

/* The scheduler has not left; else say why it did. */
static inline void assert_still_running(struct osnic_scheduler *s, const char *when)
{
	struct osnic_sched_exit_info info;

	if (!osnic_sched_exited(s))
		return;
	osnic_sched_exit_info(s, &info);
	cr_assert_fail("the scheduler exited %s: kind %lld (%s), reason \"%s\", msg \"%s\"", when,
		       (long long)info.kind, osnic_sched_exit_kind_name(info.kind), info.reason,
		       info.msg);
}

#endif /* OSNIC_VMTEST_SCHED_TEST_H */
