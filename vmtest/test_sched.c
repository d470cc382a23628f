// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the osnic sched_ext scheduler and its loader. They run as root
 * inside a VM whose kernel has CONFIG_SCHED_CLASS_EXT=y (make vmtest) and
 * fail, never skip, anywhere else.
 *
 * Each test checks the kernel's own view (/sys/kernel/sched_ext, the ext
 * class flag in /proc/<tid>/sched) as well as the scheduler's counters, so
 * that a scheduler which loads but does not really schedule cannot pass.
 * Only one sched_ext scheduler can run at a time: the tests serialise on a
 * lock file, whatever --jobs says.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <osnic/loader.h>

#define LOCK_FILE "/tmp/osnic-vmtest-sched.lock"

/* How long the kernel may take to finish enabling or disabling. */
#define STATE_TIMEOUT_MS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Poll /sys/kernel/sched_ext/state until it reads want; return how many
 * milliseconds that took, or -1 after timeout_ms (state then holds the
 * last value read).
 */
static double wait_for_state(const char *want, char *state, size_t len, unsigned int timeout_ms)
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
static void require_idle_sched_ext(void)
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

TestSuite(sched, .init = require_idle_sched_ext, .timeout = 120);

/* Load and attach, asserting that the kernel now runs "osnic". */
static struct osnic_scheduler *attach_osnic(void)
{
	struct osnic_sched_opts opts = { 0 };
	struct osnic_scheduler *s;
	char state[32], ops[64];
	int err;

	s = osnic_sched_load(&opts);
	if (!s) {
		err = errno;
		/* Again, verbosely: libbpf's and the verifier's log on stderr. */
		opts.verbose = true;
		osnic_sched_destroy(osnic_sched_load(&opts));
		cr_assert_fail("osnic_sched_load: %s (libbpf log above)", strerror(err));
	}
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

Test(sched, available)
{
	char why[160] = "";
	int err;

	err = osnic_sched_available(why, sizeof(why));
	cr_assert_eq(err, 0, "osnic_sched_available: %d (%s)", err, why);
	cr_assert_eq(access(OSNIC_SCHED_SYSFS_DIR "/state", R_OK), 0,
		     "available, yet %s/state is not readable: %s", OSNIC_SCHED_SYSFS_DIR,
		     strerror(errno));
	cr_assert_str_eq(why, "", "no reason expected when available, got \"%s\"", why);
}

Test(sched, attach_enables)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_stats stats;

	osnic_sched_stats(s, &stats);
	/* Attach switches every existing task, this one included. */
	cr_assert_gt(stats.enabled_tasks, 0,
		     "no task entered the scheduler (ops.enable never ran)");
	osnic_sched_destroy(s);
}

/* ---- a workload: CPU spinners plus sleep/wake churn ---------------------- */

#define NR_SPINNERS 4
#define NR_SLEEPERS 2
#define SPIN_MS 1000

struct workload {
	atomic_bool stop;
	atomic_ulong wakeups; /* completed sleeps, each one block + wakeup */
	atomic_int off_ext; /* threads not in the ext class */
	atomic_int unknown; /* threads that could not tell */
};

/* 1 if the calling thread runs in the sched_ext class, 0 if not, -1 unknown. */
static int thread_on_ext(void)
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

static void record_class(struct workload *w)
{
	int on = thread_on_ext();

	if (on < 0)
		atomic_fetch_add(&w->unknown, 1);
	else if (!on)
		atomic_fetch_add(&w->off_ext, 1);
}

static void *spinner(void *arg)
{
	struct workload *w = arg;
	double end = now_ms() + SPIN_MS;
	volatile unsigned long sink = 0;

	while (now_ms() < end) {
		for (int i = 0; i < 10000; i++)
			sink += i;
	}
	record_class(w);
	return NULL;
}

static void *sleeper(void *arg)
{
	const struct timespec ms = { .tv_nsec = 1000000 };
	struct workload *w = arg;

	while (!atomic_load(&w->stop)) {
		if (nanosleep(&ms, NULL) == 0)
			atomic_fetch_add(&w->wakeups, 1);
	}
	record_class(w);
	return NULL;
}

static void run_workload(struct workload *w)
{
	pthread_t spin[NR_SPINNERS], sleep[NR_SLEEPERS];
	int i, err;

	for (i = 0; i < NR_SLEEPERS; i++) {
		err = pthread_create(&sleep[i], NULL, sleeper, w);
		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NR_SPINNERS; i++) {
		err = pthread_create(&spin[i], NULL, spinner, w);
		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NR_SPINNERS; i++)
		pthread_join(spin[i], NULL);
	atomic_store(&w->stop, true);
	for (i = 0; i < NR_SLEEPERS; i++)
		pthread_join(sleep[i], NULL);
}

#define DELTA(f) (after.f - before.f)

Test(sched, schedules_workload)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_stats before, after;
	struct workload w = { 0 };
	unsigned long wakeups;

	osnic_sched_stats(s, &before);
	run_workload(&w);
	osnic_sched_stats(s, &after);
	wakeups = atomic_load(&w.wakeups);

	cr_log_info(
		"workload: %lu wakeups; scheduler: select_cpu +%llu local_direct +%llu enqueued +%llu dispatched +%llu wakeups +%llu running +%llu",
		wakeups, DELTA(select_cpu), DELTA(local_direct), DELTA(enqueued), DELTA(dispatched),
		DELTA(wakeups), DELTA(running));

	cr_assert_not(osnic_sched_exited(s), "the scheduler exited during the workload");
	cr_assert_eq(atomic_load(&w.unknown), 0, "/proc/thread-self/sched has no ext.enabled line");
	cr_assert_eq(atomic_load(&w.off_ext), 0,
		     "%d workload threads did not run in the sched_ext class",
		     atomic_load(&w.off_ext));
	/* About 160 under TCG: the sleepers wait behind the spinners' slices. */
	cr_assert_geq(wakeups, 50, "the workload slept only %lu times", wakeups);

	/* Every wakeup is placed by select_cpu's direct insert or by enqueue. */
	cr_assert_geq(DELTA(local_direct) + DELTA(enqueued), wakeups,
		      "placed %llu tasks, fewer than the workload's %lu wakeups",
		      DELTA(local_direct) + DELTA(enqueued), wakeups);
	cr_assert_geq(DELTA(wakeups), wakeups, "saw %llu wakeups, fewer than the workload's %lu",
		      DELTA(wakeups), wakeups);
	cr_assert_geq(DELTA(running), wakeups,
		      "ran tasks %llu times, fewer than the workload's %lu wakeups", DELTA(running),
		      wakeups);
	/* More spinners than CPUs: slices expire and the shared DSQ is used. */
	cr_assert_gt(DELTA(enqueued), 0, "nothing went to the shared DSQ");
	cr_assert_gt(DELTA(dispatched), 0, "nothing was dispatched from the shared DSQ");
	osnic_sched_destroy(s);
}

Test(sched, detach_reports_unregister)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_exit_info info;
	char state[32], ops[64];
	double ms;
	int err;

	cr_assert_eq(osnic_sched_exit_info(s, &info), -EAGAIN,
		     "exit info present while the scheduler runs");
	osnic_sched_detach(s);
	ms = wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS);
	cr_assert(ms >= 0, "state is \"%s\" %d ms after detach, not \"disabled\"", state,
		  STATE_TIMEOUT_MS);
	cr_log_info("disabled %.1f ms after detach", ms);
	err = osnic_sched_kernel_state(NULL, 0, ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read root/ops: %s", strerror(-err));
	cr_assert_str_eq(ops, "", "root/ops still reads \"%s\"", ops);

	cr_assert(osnic_sched_exited(s), "no exit recorded after detach");
	err = osnic_sched_exit_info(s, &info);
	cr_assert_eq(err, 0, "osnic_sched_exit_info: %s", strerror(-err));
	cr_log_info("exit: kind %lld (%s), code %lld, reason \"%s\", msg \"%s\"",
		    (long long)info.kind, osnic_sched_exit_kind_name(info.kind),
		    (long long)info.exit_code, info.reason, info.msg);
	cr_assert_eq(info.kind, OSNIC_SCHED_EXIT_UNREG,
		     "exit kind %lld (%s: %s), expected %d (unregistered)", (long long)info.kind,
		     osnic_sched_exit_kind_name(info.kind), info.reason, OSNIC_SCHED_EXIT_UNREG);
	cr_assert_not(osnic_sched_exit_is_error(&info), "a normal detach reported as an error");
	cr_assert_eq(info.exit_code, 0, "exit code %lld after a normal detach",
		     (long long)info.exit_code);
	cr_assert_neq(info.reason[0], '\0', "the kernel gave no exit reason");
	osnic_sched_destroy(s);
}

Test(sched, second_scheduler_refused)
{
	struct osnic_scheduler *first = attach_osnic(), *second;
	char state[32], ops[64];
	int err;

	second = osnic_sched_load(NULL);
	cr_assert_not_null(second, "a second load (without attach) failed: %s", strerror(errno));
	err = osnic_sched_attach(second);
	cr_assert_lt(err, 0, "a second scheduler attached while one runs");
	cr_log_info("second attach: %d (%s)", err, strerror(-err));
	cr_assert_eq(err, -EBUSY, "second attach: %s, expected EBUSY", strerror(-err));
	cr_assert_eq(osnic_sched_attach(first), -EALREADY,
		     "attaching the same scheduler twice must say EALREADY");
	osnic_sched_destroy(second);

	/* The refusal and its cleanup must not disturb the running one. */
	err = osnic_sched_kernel_state(state, sizeof(state), ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read the sched_ext state: %s", strerror(-err));
	cr_assert_str_eq(state, "enabled", "state \"%s\" after the refusal", state);
	cr_assert_str_eq(ops, OSNIC_SCHED_NAME, "root/ops \"%s\" after the refusal", ops);
	cr_assert_not(osnic_sched_exited(first), "the first scheduler exited after the refusal");

	osnic_sched_destroy(first);
	cr_assert(wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS) >= 0,
		  "state is \"%s\" after destroy, not \"disabled\"", state);
}
