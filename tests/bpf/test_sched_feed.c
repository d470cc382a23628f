// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scheduler-state feed without sched_ext (bpf/sched_feed.h), the object
 * osnicd loads (bpf/osnic_feed.bpf.c), on its own maps here: tracepoint
 * programs that keep osnic_worker_sched for the threads in
 * osnic_worker_tids. Threads of this test play the workers: one blocks in
 * read() on a pipe, one spins, and the test reads what the feed recorded
 * for them. Needs root (tracepoint attach); runs on any kernel with BTF.
 */
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osnic/abi.h>
#include "osnic_feed.skel.h"

#define SVC_ID 1
#define WID_BLOCKER 1
#define WID_SPINNER 2
#define WID_STALE 3
/* Their slots in the service's workers[]: one past the first 64. */
#define SLOT_BLOCKER 200
#define SLOT_SPINNER 3
#define SLOT_STALE 5

static struct osnic_feed *skel;
static long ncpus;

static void setup(void)
{
	int err;

	skel = osnic_feed__open_and_load();
	cr_assert_not_null(skel, "loading osnic_feed failed (root? BTF?): %s",
			   strerror(errno));
	err = osnic_feed__attach(skel);
	cr_assert_eq(err, 0, "attaching the tracepoint programs failed: %s", strerror(-err));
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
}

static void teardown(void)
{
	osnic_feed__destroy(skel);
	skel = NULL;
}

TestSuite(sched_feed, .init = setup, .fini = teardown, .timeout = 30);

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* What osnicd does when a worker is created. */
static void register_worker(__u32 wid, __u32 tid, __u32 slot_tid, __u32 svc_slot)
{
	struct osnic_worker_val w = { .service_id = SVC_ID, .tid = slot_tid, .svc_slot = svc_slot };
	int err;

	err = bpf_map__update_elem(skel->maps.osnic_workers, &wid, sizeof(wid), &w, sizeof(w), 0);
	cr_assert_eq(err, 0, "osnic_workers[%u]: %s", wid, strerror(-err));
	err = bpf_map__update_elem(skel->maps.osnic_worker_tids, &tid, sizeof(tid), &wid,
				   sizeof(wid), 0);
	cr_assert_eq(err, 0, "osnic_worker_tids[%u]: %s", tid, strerror(-err));
}

/*
 * Whether slot's bit is set in the service's idle set: the service-wide
 * one (cpu < 0), or that of cpu; any CPU's with cpu == ANY_CPU.
 */
#define ANY_CPU 0x7fffffff

static bool idle_bit(__u32 slot, int cpu)
{
	int n = libbpf_num_possible_cpus();
	struct osnic_svc_idle all, per[n];
	__u32 key = SVC_ID;
	__u64 bit = 1ULL << (slot % 64);
	int err;

	cr_assert_gt(n, 0);
	if (cpu < 0) {
		err = bpf_map__lookup_elem(skel->maps.osnic_svc_idle, &key, sizeof(key), &all,
					   sizeof(all), 0);
		cr_assert_eq(err, 0, "osnic_svc_idle: %s", strerror(-err));
		return all.bits[slot / 64] & bit;
	}
	err = bpf_map__lookup_elem(skel->maps.osnic_svc_idle_cpu, &key, sizeof(key), per,
				   sizeof(per), 0);
	cr_assert_eq(err, 0, "osnic_svc_idle_cpu: %s", strerror(-err));
	for (int c = 0; c < n; c++)
		if ((cpu == ANY_CPU || c == cpu) && (per[c].bits[slot / 64] & bit))
			return true;
	return false;
}

static struct osnic_worker_sched worker_state(__u32 wid)
{
	struct osnic_worker_sched ws;
	int err;

	err = bpf_map__lookup_elem(skel->maps.osnic_worker_sched, &wid, sizeof(wid), &ws,
				   sizeof(ws), 0);
	cr_assert_eq(err, 0, "osnic_worker_sched[%u]: %s", wid, strerror(-err));
	return ws;
}

static const char *state_name(__u32 state)
{
	static const char *const names[] = { "UNKNOWN", "SLEEPING", "RUNNABLE", "RUNNING" };

	return state < 4 ? names[state] : "?";
}

/* ---- the pretend workers ---------------------------------------------------- */

struct worker_thread {
	pthread_t thread;
	atomic_int tid;
	atomic_bool registered; /* set by the test: may start its part */
	atomic_bool woken; /* the blocker's read() returned */
	atomic_bool *stop;
	int pipe[2];
};

static void wait_registered(struct worker_thread *t)
{
	atomic_store(&t->tid, gettid());
	while (!atomic_load(&t->registered))
		sleep_ms(1);
}

static void spin_until(atomic_bool *stop)
{
	volatile unsigned long sink = 0;

	while (!atomic_load(stop))
		for (int i = 0; i < 10000; i++)
			sink += i;
}

/* Blocks in read() until the test writes the pipe, then spins. */
static void *blocker(void *arg)
{
	struct worker_thread *t = arg;
	char c;

	wait_registered(t);
	if (read(t->pipe[0], &c, 1) != 1)
		return NULL;
	atomic_store(&t->woken, true);
	spin_until(t->stop);
	return NULL;
}

/* Keep the calling thread on one CPU. */
static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *spinner(void *arg)
{
	struct worker_thread *t = arg;

	pin_to_cpu(ncpus - 1);
	wait_registered(t);
	/* One sleep, so that a switch happens after registration. */
	sleep_ms(2);
	spin_until(t->stop);
	return NULL;
}

static void start(struct worker_thread *t, void *(*fn)(void *), atomic_bool *stop)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->stop = stop;
	cr_assert_eq(pipe(t->pipe), 0, "pipe: %s", strerror(errno));
	err = pthread_create(&t->thread, NULL, fn, t);
	cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	while (!atomic_load(&t->tid))
		sleep_ms(1);
}

static void finish(struct worker_thread *t)
{
	pthread_join(t->thread, NULL);
	close(t->pipe[0]);
	close(t->pipe[1]);
}

static void assert_plausible(struct osnic_worker_sched ws, __u64 since, const char *who)
{
	cr_assert_lt(ws.cpu, (__u32)ncpus, "%s: cpu %u, but there are %ld CPUs", who, ws.cpu,
		     ncpus);
	cr_assert_geq(ws.updated_ns, since, "%s: updated_ns %llu is before the registration (%llu)",
		      who, (unsigned long long)ws.updated_ns, (unsigned long long)since);
	cr_assert_leq(ws.updated_ns, now_ns(), "%s: updated_ns %llu is in the future", who,
		      (unsigned long long)ws.updated_ns);
}

/*
 * pthread_join() returns when the kernel clears the thread's tid, before
 * the thread's last switch: give that switch a moment.
 */
static void assert_exits(__u32 wid)
{
	struct osnic_worker_sched ws = worker_state(wid);

	for (int i = 0; i < 200 && ws.state != OSNIC_WS_UNKNOWN; i++) {
		sleep_ms(1);
		ws = worker_state(wid);
	}
	cr_assert_eq(ws.state, OSNIC_WS_UNKNOWN, "worker %u exited but is %s, not UNKNOWN", wid,
		     state_name(ws.state));
}

Test(sched_feed, sleeping_and_running_workers)
{
	struct worker_thread blk, spn;
	struct osnic_worker_sched ws, before;
	atomic_bool stop = false;
	__u64 t0 = now_ns();
	char c = 'x';

	cr_assert_geq(ncpus, 2, "this test needs two CPUs");
	pin_to_cpu(0);
	start(&blk, blocker, &stop);
	start(&spn, spinner, &stop);
	register_worker(WID_BLOCKER, blk.tid, blk.tid, SLOT_BLOCKER);
	register_worker(WID_SPINNER, spn.tid, spn.tid, SLOT_SPINNER);
	atomic_store(&blk.registered, true);
	atomic_store(&spn.registered, true);
	sleep_ms(50);

	ws = worker_state(WID_BLOCKER);
	cr_log_info("blocked: %s on cpu %u", state_name(ws.state), ws.cpu);
	cr_assert_eq(ws.state, OSNIC_WS_SLEEPING,
		     "the thread blocked in read() is %s, not SLEEPING", state_name(ws.state));
	assert_plausible(ws, t0, "blocked thread");
	before = ws;
	/* A sleeper is in its service's idle sets: all, and the CPU it slept on only. */
	cr_assert(idle_bit(SLOT_BLOCKER, -1), "the sleeper is not in the service's idle set");
	cr_assert(idle_bit(SLOT_BLOCKER, ws.cpu), "the sleeper is not in cpu %u's idle set",
		  ws.cpu);
	for (int c = 0; c < libbpf_num_possible_cpus(); c++)
		cr_assert(c == (int)ws.cpu || !idle_bit(SLOT_BLOCKER, c),
			  "the sleeper is in cpu %d's idle set, it slept on %u", c, ws.cpu);

	ws = worker_state(WID_SPINNER);
	cr_log_info("spinning: %s on cpu %u", state_name(ws.state), ws.cpu);
	cr_assert(ws.state == OSNIC_WS_RUNNING || ws.state == OSNIC_WS_RUNNABLE,
		  "the spinning thread is %s, not RUNNING or RUNNABLE", state_name(ws.state));
	assert_plausible(ws, t0, "spinning thread");
	/*
	 * Preempted now and then on a busy machine, but mostly on a CPU.
	 * (This thread runs on another CPU: sampling from the spinner's own
	 * CPU would preempt it each time.)
	 */
	for (int i = 0; i < 1000 && ws.state != OSNIC_WS_RUNNING; i++) {
		sleep_ms(1);
		ws = worker_state(WID_SPINNER);
	}
	cr_assert_eq(ws.state, OSNIC_WS_RUNNING,
		     "the spinning thread never showed RUNNING in 1 s (%s on cpu %u)",
		     state_name(ws.state), ws.cpu);
	cr_assert(!idle_bit(SLOT_SPINNER, -1) && !idle_bit(SLOT_SPINNER, ANY_CPU),
		  "a running worker is in an idle set");

	/* Wake the blocked one: it must leave SLEEPING, with a newer timestamp. */
	cr_assert_eq(write(blk.pipe[1], &c, 1), 1, "write: %s", strerror(errno));
	while (!atomic_load(&blk.woken))
		sleep_ms(1);
	sleep_ms(20);
	ws = worker_state(WID_BLOCKER);
	cr_log_info("woken: %s on cpu %u", state_name(ws.state), ws.cpu);
	cr_assert(ws.state == OSNIC_WS_RUNNING || ws.state == OSNIC_WS_RUNNABLE,
		  "the woken thread is %s, not RUNNING or RUNNABLE", state_name(ws.state));
	cr_assert_gt(ws.updated_ns, before.updated_ns, "the wakeup did not update the state");
	assert_plausible(ws, t0, "woken thread");
	cr_assert(!idle_bit(SLOT_BLOCKER, -1) && !idle_bit(SLOT_BLOCKER, ANY_CPU),
		  "the woken worker is still in an idle set");

	/* Threads that exit are nobody's workers any more. */
	atomic_store(&stop, true);
	finish(&blk);
	finish(&spn);
	assert_exits(WID_BLOCKER);
	assert_exits(WID_SPINNER);
	cr_assert(!idle_bit(SLOT_BLOCKER, -1) && !idle_bit(SLOT_BLOCKER, ANY_CPU));
	cr_assert(!idle_bit(SLOT_SPINNER, -1) && !idle_bit(SLOT_SPINNER, ANY_CPU));
}

Test(sched_feed, ignores_stale_and_unregistered_threads)
{
	struct worker_thread blk;
	struct osnic_worker_sched ws;
	atomic_bool stop = false;
	char c = 'x';

	/* The tid entry names a slot that belongs to another thread (tid reuse). */
	start(&blk, blocker, &stop);
	register_worker(WID_STALE, blk.tid, blk.tid + 1, SLOT_STALE);
	atomic_store(&blk.registered, true);
	sleep_ms(30);
	cr_assert_eq(write(blk.pipe[1], &c, 1), 1, "write: %s", strerror(errno));
	while (!atomic_load(&blk.woken))
		sleep_ms(1);
	sleep_ms(10);
	atomic_store(&stop, true);
	finish(&blk);

	ws = worker_state(WID_STALE);
	cr_assert_eq(ws.state, OSNIC_WS_UNKNOWN, "a stale entry was tracked: %s",
		     state_name(ws.state));
	cr_assert_eq(ws.updated_ns, 0, "a stale entry was written");
	cr_assert(!idle_bit(SLOT_STALE, -1) && !idle_bit(SLOT_STALE, ANY_CPU),
		  "a stale entry entered an idle set");
	/* And no other slot was touched. */
	for (__u32 wid = 0; wid < OSNIC_MAX_WORKERS; wid++) {
		ws = worker_state(wid);
		cr_assert_eq(ws.updated_ns, 0, "slot %u written without a registered worker", wid);
	}
}
