// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the osnic scheduling policy (sched_ext/osnic_sched.bpf.c), in the
 * sched_ext VM. Threads of this test play osnic workers: the test registers
 * them the way osnicd does (osnic_worker_tids, osnic_workers,
 * osnic_services, a ring per worker in osnic_rings) in the scheduler's own
 * maps. User space cannot write a BPF ring buffer, so "pending calls" are
 * records written by tests/bpf/progs/ring_fill_test.bpf.c through BPF_PROG_TEST_RUN,
 * which also records the receiving CPU in osnic_worker_rx as XDP does; a
 * worker "serves" them by consuming its ring.
 *
 * Every test runs the CPUs full of ordinary spinning threads (hogs), and
 * compares a worker with an ordinary thread woken the same way, so that a
 * policy which does nothing special for workers cannot pass.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <osnic/abi.h>

#include "../bpf/progs/ring_fill_test.h"
#include "ring_fill_test.skel.h"
#include "sched_test.h"

TestSuite(sched_policy, .init = require_idle_sched_ext, .timeout = 240);

#define SVC_ID 1
#define MAX_THREADS 64

/* ---- the scheduler, its maps and the ring filler -------------------------- */

struct env {
	struct osnic_scheduler *s;
	struct ring_fill_test *fill;
	int services, workers, tids, rings, rx, wsched, idle, idle_cpu;
	int ring_fd[OSNIC_MAX_WORKERS];
	int ncpus;
};

static int map_fd(struct env *e, const char *name)
{
	int fd = osnic_sched_map_fd(e->s, name);

	cr_assert_geq(fd, 0, "osnic_sched_map_fd(%s): %s", name, strerror(-fd));
	return fd;
}

static void env_start(struct env *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	for (int i = 0; i < OSNIC_MAX_WORKERS; i++)
		e->ring_fd[i] = -1;
	e->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	e->s = attach_osnic();
	e->services = map_fd(e, "osnic_services");
	e->workers = map_fd(e, "osnic_workers");
	e->tids = map_fd(e, "osnic_worker_tids");
	e->rings = map_fd(e, "osnic_rings");
	e->rx = map_fd(e, "osnic_worker_rx");
	e->wsched = map_fd(e, "osnic_worker_sched");
	e->idle = map_fd(e, "osnic_svc_idle");
	e->idle_cpu = map_fd(e, "osnic_svc_idle_cpu");

	/* The filler writes into the scheduler's rings, as XDP will. */
	e->fill = ring_fill_test__open();
	cr_assert_not_null(e->fill, "ring_fill_test__open: %s", strerror(errno));
	err = bpf_map__reuse_fd(e->fill->maps.osnic_rings, e->rings);
	if (!err)
		err = bpf_map__reuse_fd(e->fill->maps.osnic_worker_rx, e->rx);
	cr_assert_eq(err, 0, "sharing the rings with the filler: %s", strerror(-err));
	err = ring_fill_test__load(e->fill);
	cr_assert_eq(err, 0, "ring_fill_test__load: %s", strerror(-err));
}

static void env_stop(struct env *e)
{
	char state[32];

	assert_still_running(e->s, "during the test");
	osnic_sched_destroy(e->s);
	e->s = NULL;
	cr_assert(wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS) >= 0,
		  "state is \"%s\" after destroy, not \"disabled\"", state);
	ring_fill_test__destroy(e->fill);
	for (int i = 0; i < OSNIC_MAX_WORKERS; i++)
		if (e->ring_fd[i] >= 0)
			close(e->ring_fd[i]);
}

/* osnicd's part: a service with these workers, depth and CPU limit. */
static void add_service(struct env *e, __u32 depth_lines, __u32 max_cpus, const __u32 *wids,
			__u32 n)
{
	struct osnic_service_val svc = { .depth_lines = depth_lines,
				     .max_cpus = max_cpus,
				     .nworkers = n };
	__u32 id = SVC_ID;

	memcpy(svc.workers, wids, n * sizeof(*wids));
	cr_assert_eq(bpf_map_update_elem(e->services, &id, &svc, 0), 0, "osnic_services: %s",
		     strerror(errno));
}

/*
 * osnicd's part: worker wid is thread tid, with a ring of its own, in slot
 * `slot` of its service's workers[].
 */
static void add_worker_at(struct env *e, __u32 wid, __u32 tid, __u32 slot)
{
	struct osnic_worker_val w = { .service_id = SVC_ID, .tid = tid, .svc_slot = slot };
	int ring;

	ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "osnic_ring", 0, 0, OSNIC_RING_BYTES, NULL);
	cr_assert_geq(ring, 0, "ring for worker %u: %s", wid, strerror(errno));
	e->ring_fd[wid] = ring;
	cr_assert_eq(bpf_map_update_elem(e->rings, &wid, &ring, 0), 0, "osnic_rings: %s",
		     strerror(errno));
	cr_assert_eq(bpf_map_update_elem(e->workers, &wid, &w, 0), 0, "osnic_workers: %s",
		     strerror(errno));
	cr_assert_eq(bpf_map_update_elem(e->tids, &tid, &wid, 0), 0, "osnic_worker_tids: %s",
		     strerror(errno));
}

static void add_worker(struct env *e, __u32 wid, __u32 tid)
{
	add_worker_at(e, wid, tid, 0);
}

/* XDP's part: count calls of `lines` lines for worker wid, received on rx_cpu. */
static void deliver(struct env *e, __u32 wid, __u32 lines, __u32 count, __u32 rx_cpu)
{
	struct {
		__u8 eth[14];
		struct ring_fill_req req;
	} __attribute__((packed)) frame = {
		.req = { .wid = wid, .lines = lines, .count = count, .rx_cpu = rx_cpu },
	};
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = &frame, .data_size_in = sizeof(frame));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(e->fill->progs.ring_fill), &run);
	cr_assert_eq(err, 0, "ring_fill test run: %s", strerror(errno));
	cr_assert_eq(run.retval, XDP_PASS, "ring_fill wrote %u of %u records for worker %u",
		     e->fill->bss->written, count, wid);
}

/* Forget where the last call was received: no rx-CPU placement. */
static void forget_rx(struct env *e, __u32 wid)
{
	struct osnic_worker_rx rx = { 0 };

	cr_assert_eq(bpf_map_update_elem(e->rx, &wid, &rx, 0), 0, "osnic_worker_rx: %s",
		     strerror(errno));
}

static struct osnic_worker_sched worker_state(struct env *e, __u32 wid)
{
	struct osnic_worker_sched ws;

	cr_assert_eq(bpf_map_lookup_elem(e->wsched, &wid, &ws), 0, "osnic_worker_sched: %s",
		     strerror(errno));
	return ws;
}

/*
 * Whether slot's bit is set in SVC_ID's idle set: the service-wide one
 * (cpu < 0), else cpu's; any CPU's with cpu == ANY_CPU.
 */
#define ANY_CPU 0x7fffffff

static bool idle_bit(struct env *e, __u32 slot, int cpu)
{
	int n = libbpf_num_possible_cpus();
	struct osnic_svc_idle all, per[n];
	__u32 key = SVC_ID;
	__u64 bit = 1ULL << (slot % 64);

	cr_assert_gt(n, 0);
	if (cpu < 0) {
		cr_assert_eq(bpf_map_lookup_elem(e->idle, &key, &all), 0, "osnic_svc_idle: %s",
			     strerror(errno));
		return all.bits[slot / 64] & bit;
	}
	cr_assert_eq(bpf_map_lookup_elem(e->idle_cpu, &key, per), 0, "osnic_svc_idle_cpu: %s",
		     strerror(errno));
	for (int c = 0; c < n; c++)
		if ((cpu == ANY_CPU || c == cpu) && (per[c].bits[slot / 64] & bit))
			return true;
	return false;
}

/*
 * Why a worker may look unknown: is the thread in the sched_ext class at
 * all, did the scheduler see it wake and run, and what the kernel counted.
 */
static void log_unrecognised(struct env *e, pid_t tid, const struct osnic_sched_stats *before)
{
	struct osnic_sched_stats now;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/sched", tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "ext.", 4) || !strncmp(line, "policy", 6))
			cr_log_warn("tid %d: %s", tid, strtok(line, "\n"));
	if (f)
		fclose(f);
	osnic_sched_stats(e->s, &now);
	cr_log_warn("since registration: wakeups +%llu running +%llu select_cpu +%llu "
		    "enqueued +%llu worker_state_updates +%llu no_task_ctx +%llu",
		    now.wakeups - before->wakeups, now.running - before->running,
		    now.select_cpu - before->select_cpu, now.enqueued - before->enqueued,
		    now.worker_state_updates - before->worker_state_updates,
		    now.no_task_ctx - before->no_task_ctx);
	/* What osnic_tid_worker() reads. */
	{
		struct osnic_worker_val w = {};
		__u32 tkey = tid, wid = 0;
		int err1 = bpf_map_lookup_elem(e->tids, &tkey, &wid);
		int err2 = wid ? bpf_map_lookup_elem(e->workers, &wid, &w) : -1;

		cr_log_warn("maps: tid %d -> worker %u (%d), worker: service %u tid %u (%d)", tid,
			    wid, err1, w.service_id, w.tid, err2);
	}
	f = fopen("/sys/kernel/sched_ext/root/events", "re");
	while (f && fgets(line, sizeof(line), f))
		cr_log_warn("events: %s", strtok(line, "\n"));
	if (f)
		fclose(f);
}

/* Worker wid's state once it is `state`, or as it is after ms milliseconds. */
static struct osnic_worker_sched await_state(struct env *e, __u32 wid, __u32 state, double ms)
{
	double deadline = now_ms() + ms;
	struct osnic_worker_sched ws;

	while ((ws = worker_state(e, wid)).state != state && now_ms() < deadline)
		sleep_ms(1);
	return ws;
}

static const char *state_name(__u32 state)
{
	static const char *const names[] = { "UNKNOWN", "SLEEPING", "RUNNABLE", "RUNNING" };

	return state < 4 ? names[state] : "?";
}

static int count_record(void *ctx, void *data, size_t size)
{
	return 0;
}

/* The worker's part: consume everything queued in its ring. */
static void consume_ring(int ring_fd)
{
	struct ring_buffer *rb = ring_buffer__new(ring_fd, count_record, NULL, NULL);

	if (!rb)
		return;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

/* ---- threads: hogs, and sleepers woken through a pipe ----------------------- */

struct hogs {
	pthread_t thread[MAX_THREADS];
	int n;
	atomic_bool stop;
};

static void *hog(void *arg)
{
	struct hogs *h = arg;
	volatile unsigned long sink = 0;

	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		for (int i = 0; i < 1000; i++)
			sink += i;
	return NULL;
}

/* Two spinning threads per CPU, so that no CPU is ever idle. */
static void hogs_start(struct hogs *h, int ncpus)
{
	memset(h, 0, sizeof(*h));
	h->n = 2 * ncpus < MAX_THREADS ? 2 * ncpus : MAX_THREADS;
	for (int i = 0; i < h->n; i++) {
		int err = pthread_create(&h->thread[i], NULL, hog, h);

		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	}
	sleep_ms(50);
}

static void hogs_stop(struct hogs *h)
{
	atomic_store(&h->stop, true);
	for (int i = 0; i < h->n; i++)
		pthread_join(h->thread[i], NULL);
}

/*
 * A thread that sleeps in read() on a pipe; each byte wakes it: 'w' to
 * note when it ran and serve its ring, 's' to also spin spin_ms, 'q' to
 * quit. It waits for `go` before its first read, so that the test can
 * register it first.
 */
struct sleeper {
	pthread_t thread;
	int pipe[2];
	int ring_fd; /* its ring, served after each wakeup; -1: none */
	unsigned int spin_ms;
	atomic_int tid;
	atomic_bool go;
	atomic_uint wakeups;
	atomic_ullong woken_ns; /* when it last returned from read() */
	atomic_int on_ext; /* thread_on_ext() at its last wakeup */
	bool spin_until_go; /* wait for go spinning (on its CPU), not sleeping */
};

static void spin_for_ms(unsigned int ms)
{
	double end = now_ms() + ms;
	volatile unsigned long sink = 0;

	while (now_ms() < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

static void *sleeper_main(void *arg)
{
	struct sleeper *t = arg;
	char c;

	atomic_store(&t->tid, gettid());
	while (!atomic_load(&t->go))
		if (!t->spin_until_go)
			sleep_ms(1);
	while (read(t->pipe[0], &c, 1) == 1 && c != 'q') {
		atomic_store(&t->woken_ns, now_ns());
		atomic_store(&t->on_ext, thread_on_ext());
		if (t->ring_fd >= 0)
			consume_ring(t->ring_fd);
		if (c == 's')
			spin_for_ms(t->spin_ms);
		atomic_fetch_add(&t->wakeups, 1);
	}
	return NULL;
}

static void sleeper_start_opts(struct sleeper *t, bool spin_until_go)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->ring_fd = -1;
	t->spin_until_go = spin_until_go;
	cr_assert_eq(pipe(t->pipe), 0, "pipe: %s", strerror(errno));
	err = pthread_create(&t->thread, NULL, sleeper_main, t);
	cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	while (!atomic_load(&t->tid))
		sleep_ms(1);
}

static void sleeper_start(struct sleeper *t)
{
	sleeper_start_opts(t, false);
}

static void sleeper_stop(struct sleeper *t)
{
	char c = 'q';

	atomic_store(&t->go, true);
	cr_assert_eq(write(t->pipe[1], &c, 1), 1);
	pthread_join(t->thread, NULL);
	close(t->pipe[0]);
	close(t->pipe[1]);
}

/*
 * Wake t and wait until it has run; returns the wakeup-to-run latency in ms.
 * Busy-waiting (sleep false), this thread keeps its CPU busy meanwhile, so
 * t competes with it and the hogs; sleeping, it leaves its CPU to t (the
 * waker may be an RT thread that t cannot preempt).
 */
static double wake_and_wait(struct sleeper *t, char how, bool sleep)
{
	unsigned int before = atomic_load(&t->wakeups);
	unsigned long long t0;
	double deadline;

	t0 = now_ns();
	cr_assert_eq(write(t->pipe[1], &how, 1), 1, "write: %s", strerror(errno));
	deadline = now_ms() + 5000;
	while (atomic_load(&t->wakeups) == before) {
		struct timespec ts = { 0, 100 * 1000 };

		cr_assert_lt(now_ms(), deadline, "thread %d did not run within 5 s of its wakeup",
			     atomic_load(&t->tid));
		if (sleep)
			nanosleep(&ts, NULL);
	}
	return (atomic_load(&t->woken_ns) - t0) / 1e6;
}

/*
 * The set-up of a race between a worker and an ordinary thread: the
 * scheduler, worker wid (ring depth depth_lines) and the ordinary thread,
 * both blocked, and hogs on every CPU.
 */
static void race_start(struct env *e, struct sleeper *w, struct sleeper *o, struct hogs *h,
		       __u32 wid, __u32 depth_lines)
{
	env_start(e);
	sleeper_start(w);
	sleeper_start(o);
	add_worker(e, wid, w->tid);
	add_service(e, depth_lines, 0, &wid, 1);
	w->ring_fd = e->ring_fd[wid];
	atomic_store(&w->go, true);
	atomic_store(&o->go, true);
	hogs_start(h, e->ncpus);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

#define DELTA(f) (after.f - before.f)

/* ---- the tests -------------------------------------------------------------- */

/*
 * A registered worker is recognised: the scheduler keeps its state and CPU
 * in osnic_worker_sched (sleeping while blocked, running while it spins),
 * and leaves unregistered threads alone. After detach, the worker is back
 * in the fair class.
 */
Test(sched_policy, recognises_workers)
{
	enum { SLOT = 130 };
	struct osnic_sched_stats before, after;
	static __u32 wids[SLOT + 1];
	struct osnic_worker_sched ws;
	struct sleeper w, other;
	struct env e;
	__u32 wid = 7, other_wid = 8;
	char c = 's';

	env_start(&e);
	sleeper_start(&w);
	sleeper_start(&other);
	w.spin_ms = 1000;
	/* Past the first 64 slots: the others are empty. */
	add_worker_at(&e, wid, w.tid, SLOT);
	wids[SLOT] = wid;
	add_service(&e, 64, 0, wids, SLOT + 1);
	osnic_sched_stats(e.s, &before);
	atomic_store(&w.go, true);
	atomic_store(&other.go, true);

	/* Bounded generously: the VM's clock runs on, its CPUs may not. */
	ws = await_state(&e, wid, OSNIC_WS_SLEEPING, 2000);
	cr_log_info("blocked worker: %s on cpu %u", state_name(ws.state), ws.cpu);
	if (ws.state != OSNIC_WS_SLEEPING)
		log_unrecognised(&e, w.tid, &before);
	cr_assert_eq(ws.state, OSNIC_WS_SLEEPING, "the worker blocked in read() is %s",
		     state_name(ws.state));
	cr_assert_lt(ws.cpu, (__u32)e.ncpus, "cpu %u of %d", ws.cpu, e.ncpus);
	/* Asleep: in its service's idle sets, the service-wide one and its CPU's. */
	cr_assert(idle_bit(&e, SLOT, -1), "the sleeping worker is not in the service's idle set");
	cr_assert(idle_bit(&e, SLOT, ws.cpu), "the sleeping worker is not in cpu %u's idle set",
		  ws.cpu);

	/* Woken, it spins 1 s: RUNNING on a CPU, then SLEEPING again. */
	cr_assert_eq(write(w.pipe[1], &c, 1), 1);
	ws = await_state(&e, wid, OSNIC_WS_RUNNING, 900);
	cr_log_info("spinning worker: %s on cpu %u", state_name(ws.state), ws.cpu);
	cr_assert_eq(ws.state, OSNIC_WS_RUNNING, "the spinning worker is %s", state_name(ws.state));
	cr_assert_lt(ws.cpu, (__u32)e.ncpus, "cpu %u of %d", ws.cpu, e.ncpus);
	cr_assert(!idle_bit(&e, SLOT, -1) && !idle_bit(&e, SLOT, ANY_CPU),
		  "the running worker is still in an idle set");
	while (atomic_load(&w.wakeups) == 0)
		sleep_ms(5);
	ws = await_state(&e, wid, OSNIC_WS_SLEEPING, 2000);
	cr_assert_eq(ws.state, OSNIC_WS_SLEEPING, "the worker blocked again is %s",
		     state_name(ws.state));
	cr_assert(idle_bit(&e, SLOT, -1) && idle_bit(&e, SLOT, ws.cpu),
		  "the worker asleep again is not back in the idle sets");
	cr_assert_eq(atomic_load(&w.on_ext), 1, "the worker did not run in the sched_ext class");

	/* A thread that is not registered leaves no trace. */
	cr_assert_eq(write(other.pipe[1], &c, 1), 1);
	sleep_ms(20);
	ws = worker_state(&e, other_wid);
	cr_assert_eq(ws.updated_ns, 0, "an unregistered thread's slot was written");

	osnic_sched_stats(e.s, &after);
	cr_log_info("worker_state_updates +%llu", DELTA(worker_state_updates));
	cr_assert_geq(DELTA(worker_state_updates), 3, "only %llu worker state updates",
		      DELTA(worker_state_updates));

	/* Detached, the default scheduler runs the worker again. */
	env_stop(&e);
	c = 'w';
	cr_assert_eq(write(w.pipe[1], &c, 1), 1);
	while (atomic_load(&w.wakeups) < 2)
		sleep_ms(5);
	cr_assert_eq(atomic_load(&w.on_ext), 0, "after detach the worker still runs in sched_ext");
	sleeper_stop(&w);
	sleeper_stop(&other);
}

/*
 * A worker registered while it runs (osnicd may register a thread at any
 * time) has had no wakeup since: the scheduler learns what it is when it
 * goes to sleep, not only at its next wakeup, so it shows as sleeping and
 * XDP may steer calls to it. (recognises_workers hit this one run in ten,
 * when registration fell between the sleeper's wakeup and its read().)
 */
Test(sched_policy, worker_registered_while_running)
{
	struct osnic_worker_sched ws;
	struct sleeper w;
	struct env e;
	__u32 wid;

	env_start(&e);
	/*
	 * If anything preempts the spinning thread before it is let go (a
	 * per-CPU kernel thread on its CPU), it is queued again and known
	 * from then on, and the attempt proves nothing: try again with
	 * another worker id, whose state slot is still fresh.
	 */
	for (wid = 9; wid < 12; wid++) {
		sleeper_start_opts(&w, true);
		add_worker(&e, wid, w.tid);
		add_service(&e, 64, 0, &wid, 1);
		ws = worker_state(&e, wid);
		if (ws.state == OSNIC_WS_UNKNOWN)
			break;
		cr_log_warn("worker %u: the spinning thread was queued again (%s); another try",
			    wid, state_name(ws.state));
		sleeper_stop(&w);
	}
	cr_assert_lt(wid, 12, "in 3 tries, the spinning thread was always queued again before "
			      "it was let go: registration while running was not tested");
	atomic_store(&w.go, true);
	ws = await_state(&e, wid, OSNIC_WS_SLEEPING, 2000);
	cr_assert_eq(ws.state, OSNIC_WS_SLEEPING,
		     "the worker registered while running, then blocked in read(), is %s",
		     state_name(ws.state));
	env_stop(&e);
	sleeper_stop(&w);
}

#define ROUNDS 16

/*
 * Latency under hogs: a worker woken for a call it received on this CPU
 * preempts the ordinary work there (placement on the receiving CPU); an
 * ordinary thread woken the same way waits for a slice to end.
 */
Test(sched_policy, worker_runs_on_rx_cpu_before_hogs)
{
	double wlat[ROUNDS], olat[ROUNDS], wmed, omed;
	struct osnic_sched_stats before, after;
	struct sleeper w, o;
	struct hogs h;
	struct env e;
	__u32 wid = 3;

	race_start(&e, &w, &o, &h, wid, 1024);

	osnic_sched_stats(e.s, &before);
	for (int i = 0; i < ROUNDS; i++) {
		deliver(&e, wid, 2, 1, RING_FILL_THIS_CPU);
		wlat[i] = wake_and_wait(&w, 'w', false);
		olat[i] = wake_and_wait(&o, 'w', false);
		sleep_ms(3);
	}
	osnic_sched_stats(e.s, &after);
	hogs_stop(&h);
	wmed = median(wlat, ROUNDS);
	omed = median(olat, ROUNDS);

	cr_log_info("median wakeup-to-run: worker %.2f ms, ordinary thread %.2f ms", wmed, omed);
	cr_log_info("placed_rx_cpu +%llu rx_preempts +%llu placed_idle +%llu worker_enqueued +%llu",
		    DELTA(worker_placed_rx_cpu), DELTA(worker_rx_preempts),
		    DELTA(worker_placed_idle), DELTA(worker_enqueued));
	cr_assert_geq(DELTA(worker_placed_rx_cpu), ROUNDS / 2,
		      "the worker went to its receiving CPU only %llu times in %d wakeups",
		      DELTA(worker_placed_rx_cpu), ROUNDS);
	cr_assert_geq(DELTA(worker_rx_preempts), ROUNDS / 2,
		      "ordinary work was preempted for the worker only %llu times",
		      DELTA(worker_rx_preempts));
	cr_assert_gt(omed, 1.0,
		     "the ordinary thread waited only %.2f ms: the hogs did not load the CPUs",
		     omed);
	cr_assert_lt(
		wmed * 3, omed,
		"the worker (%.2f ms) was not clearly faster than an ordinary thread (%.2f ms)",
		wmed, omed);
	sleeper_stop(&w);
	sleeper_stop(&o);
	env_stop(&e);
}

/*
 * The receiving CPU runs a task of a higher class: the RT sender whose
 * softirq delivered the call. sched_ext cannot preempt it, but the worker
 * goes first in line there, ahead of the ordinary work the RT task
 * preempted, and runs as soon as the sender sleeps. An ordinary thread
 * woken the same way waits for a hog's slice to end.
 */
Test(sched_policy, worker_first_in_line_behind_rt_sender)
{
	struct sched_param rt = { .sched_priority = 10 }, normal = { 0 };
	double wlat[ROUNDS], olat[ROUNDS], wmed, omed;
	struct osnic_sched_stats before, after;
	struct sleeper w, o;
	cpu_set_t one, all;
	struct hogs h;
	struct env e;
	__u32 wid = 6;

	race_start(&e, &w, &o, &h, wid, 1024);

	/* This thread is the sender: RT, on one CPU, where it receives. */
	cr_assert_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0, "sched_setaffinity: %s",
		     strerror(errno));
	cr_assert_eq(sched_setscheduler(0, SCHED_FIFO, &rt), 0, "SCHED_FIFO: %s",
		     strerror(errno));
	osnic_sched_stats(e.s, &before);
	for (int i = 0; i < ROUNDS; i++) {
		deliver(&e, wid, 2, 1, RING_FILL_THIS_CPU);
		wlat[i] = wake_and_wait(&w, 'w', true);
		olat[i] = wake_and_wait(&o, 'w', true);
		sleep_ms(3);
	}
	osnic_sched_stats(e.s, &after);
	cr_assert_eq(sched_setscheduler(0, SCHED_OTHER, &normal), 0);
	cr_assert_eq(sched_setaffinity(0, sizeof(all), &all), 0);
	hogs_stop(&h);
	wmed = median(wlat, ROUNDS);
	omed = median(olat, ROUNDS);

	cr_log_info("median wakeup-to-run behind an RT sender: worker %.2f ms, ordinary %.2f ms",
		    wmed, omed);
	cr_log_info("placed_rx_cpu +%llu rx_head +%llu rx_preempts +%llu worker_enqueued +%llu",
		    DELTA(worker_placed_rx_cpu), DELTA(worker_rx_head), DELTA(worker_rx_preempts),
		    DELTA(worker_enqueued));
	cr_assert_geq(DELTA(worker_rx_head), ROUNDS / 2,
		      "the worker went first in line behind the RT sender only %llu times in %d",
		      DELTA(worker_rx_head), ROUNDS);
	cr_assert_gt(omed, 1.0,
		     "the ordinary thread waited only %.2f ms: the hogs did not load the CPUs",
		     omed);
	cr_assert_lt(wmed * 3, omed,
		     "the worker (%.2f ms) was not clearly faster than an ordinary thread (%.2f ms)",
		     wmed, omed);
	sleeper_stop(&w);
	sleeper_stop(&o);
	env_stop(&e);
}

/*
 * Without a receiving CPU to go to, a worker with pending calls waits in the
 * priority queue, which CPUs serve before the fair one: woken together with
 * an ordinary thread, it runs first. With a backlog below half the depth,
 * no CPU is kicked for it; the next tick ends a hog's slice (tick_yields).
 */
Test(sched_policy, pending_worker_dispatched_first)
{
	struct osnic_sched_stats before, after;
	struct sleeper w, o;
	struct hogs h;
	struct env e;
	__u32 wid = 4;
	int first = 0;
	char c = 'w';

	race_start(&e, &w, &o, &h, wid, 1024);

	osnic_sched_stats(e.s, &before);
	for (int i = 0; i < ROUNDS; i++) {
		unsigned int wn = atomic_load(&w.wakeups), on = atomic_load(&o.wakeups);
		double deadline = now_ms() + 5000;

		deliver(&e, wid, 2, 1, RING_FILL_THIS_CPU);
		forget_rx(&e, wid);
		/* The ordinary thread is woken first: a FIFO would run it first. */
		cr_assert_eq(write(o.pipe[1], &c, 1), 1);
		cr_assert_eq(write(w.pipe[1], &c, 1), 1);
		while (atomic_load(&w.wakeups) == wn || atomic_load(&o.wakeups) == on)
			cr_assert_lt(now_ms(), deadline, "round %d: a thread did not run in 5 s",
				     i);
		if (atomic_load(&w.woken_ns) <= atomic_load(&o.woken_ns))
			first++;
		sleep_ms(3);
	}
	osnic_sched_stats(e.s, &after);
	hogs_stop(&h);

	cr_log_info("worker ran first in %d of %d rounds; worker_enqueued +%llu "
		    "worker_dispatches +%llu backlog_high +%llu kicks +%llu tick_yields +%llu",
		    first, ROUNDS, DELTA(worker_enqueued), DELTA(worker_dispatches),
		    DELTA(backlog_high), DELTA(kicks), DELTA(tick_yields));
	cr_assert_geq(DELTA(worker_enqueued), ROUNDS / 2,
		      "the worker entered the priority queue only %llu times",
		      DELTA(worker_enqueued));
	cr_assert_geq(DELTA(worker_dispatches), ROUNDS / 2,
		      "only %llu dispatches from the priority queue", DELTA(worker_dispatches));
	cr_assert_geq(first, ROUNDS * 3 / 4,
		      "the worker ran before the ordinary thread in only %d of %d rounds", first,
		      ROUNDS);
	cr_assert_eq(DELTA(backlog_high), 0, "a backlog of 2 lines in 1024 counted as high");
	cr_assert_eq(DELTA(kicks), 0, "%llu kicks without a backlog", DELTA(kicks));
	sleeper_stop(&w);
	sleeper_stop(&o);
	env_stop(&e);
}

/*
 * A backlog of half the service's depth preempts ordinary work: the worker
 * runs right away, where an ordinary thread waits for a slice to end.
 */
Test(sched_policy, backlog_kicks_a_cpu)
{
	double wlat[ROUNDS], olat[ROUNDS], wmed, omed;
	struct osnic_sched_stats before, after;
	struct sleeper w, o;
	struct hogs h;
	struct env e;
	__u32 wid = 5;

	/* Half of 64 lines: 16 records of 2 lines. */
	race_start(&e, &w, &o, &h, wid, 64);

	osnic_sched_stats(e.s, &before);
	for (int i = 0; i < ROUNDS; i++) {
		deliver(&e, wid, 2, 20, RING_FILL_THIS_CPU);
		forget_rx(&e, wid);
		wlat[i] = wake_and_wait(&w, 'w', false);
		olat[i] = wake_and_wait(&o, 'w', false);
		sleep_ms(3);
	}
	osnic_sched_stats(e.s, &after);
	hogs_stop(&h);
	wmed = median(wlat, ROUNDS);
	omed = median(olat, ROUNDS);

	cr_log_info("median wakeup-to-run: worker %.2f ms, ordinary thread %.2f ms", wmed, omed);
	cr_log_info("backlog_high +%llu kicks +%llu worker_dispatches +%llu", DELTA(backlog_high),
		    DELTA(kicks), DELTA(worker_dispatches));
	cr_assert_geq(DELTA(backlog_high), ROUNDS / 2, "the backlog was seen high %llu times",
		      DELTA(backlog_high));
	cr_assert_geq(DELTA(kicks), ROUNDS / 2, "only %llu kicks for %d backlogged wakeups",
		      DELTA(kicks), ROUNDS);
	cr_assert_gt(omed, 1.0,
		     "the ordinary thread waited only %.2f ms: the hogs did not load the CPUs",
		     omed);
	cr_assert_lt(wmed * 3, omed,
		     "the backlogged worker (%.2f ms) was not clearly faster than an ordinary "
		     "thread (%.2f ms)",
		     wmed, omed);
	sleeper_stop(&w);
	sleeper_stop(&o);
	env_stop(&e);
}

/* ---- the per-service CPU limit ------------------------------------------------ */

#define LIMIT_RUN_MS 1500

struct busy_worker {
	pthread_t thread;
	atomic_int tid;
	atomic_bool go;
	atomic_bool spinning; /* past its last sleep */
	double cpu_ms, wall_ms;
};

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * A worker that always has calls pending and spins, never sleeping. The
 * calls are delivered once it spins: the scheduler counts what was
 * delivered before a worker's last sleep as served, as it is in a worker
 * that sleeps only on an empty ring.
 */
static void *busy_worker_main(void *arg)
{
	struct busy_worker *b = arg;
	double c0, w0;

	atomic_store(&b->tid, gettid());
	while (!atomic_load(&b->go))
		sleep_ms(1);
	/* A sleep after registration, so that its next wakeup sees it as a worker. */
	sleep_ms(5);
	atomic_store(&b->spinning, true);
	c0 = thread_cpu_ms();
	w0 = now_ms();
	spin_for_ms(LIMIT_RUN_MS);
	b->cpu_ms = thread_cpu_ms() - c0;
	b->wall_ms = now_ms() - w0;
	return NULL;
}

/* CPU time two always-busy workers of one service get, per wall time, under hogs. */
static double two_busy_workers(__u32 max_cpus, struct osnic_sched_stats *delta)
{
	struct osnic_sched_stats before, after;
	struct busy_worker b[2];
	__u32 wids[2] = { 10, 11 };
	struct hogs h;
	struct env e;
	double share;

	env_start(&e);
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 2; i++) {
		int err = pthread_create(&b[i].thread, NULL, busy_worker_main, &b[i]);

		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
		while (!atomic_load(&b[i].tid))
			sleep_ms(1);
		add_worker(&e, wids[i], b[i].tid);
	}
	add_service(&e, 1024, max_cpus, wids, 2);
	hogs_start(&h, e.ncpus);
	osnic_sched_stats(e.s, &before);
	for (int i = 0; i < 2; i++)
		atomic_store(&b[i].go, true);
	for (int i = 0; i < 2; i++) {
		while (!atomic_load(&b[i].spinning))
			sleep_ms(1);
		deliver(&e, wids[i], 2, 4, RING_FILL_THIS_CPU);
		forget_rx(&e, wids[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(b[i].thread, NULL);
	osnic_sched_stats(e.s, &after);
	hogs_stop(&h);
	env_stop(&e);

	share = (b[0].cpu_ms + b[1].cpu_ms) / ((b[0].wall_ms + b[1].wall_ms) / 2);
	cr_log_info("max_cpus %u: workers got %.2f CPUs (%.0f + %.0f ms CPU in %.0f ms); "
		    "limit_deferrals +%llu limit_overrides +%llu worker_dispatches +%llu "
		    "starved_shared +%llu",
		    max_cpus, share, b[0].cpu_ms, b[1].cpu_ms, b[0].wall_ms, DELTA(limit_deferrals),
		    DELTA(limit_overrides), DELTA(worker_dispatches), DELTA(starved_shared));
	cr_log_info(
		"  enqueued +%llu worker_enqueued +%llu dispatched +%llu dispatch_empty +%llu "
		"running +%llu select_cpu +%llu local_direct +%llu idle_kicks +%llu kicks +%llu",
		DELTA(enqueued), DELTA(worker_enqueued), DELTA(dispatched), DELTA(dispatch_empty),
		DELTA(running), DELTA(select_cpu), DELTA(local_direct), DELTA(idle_kicks),
		DELTA(kicks));
	for (size_t i = 0; i < sizeof(*delta) / sizeof(__u64); i++)
		((__u64 *)delta)[i] = ((__u64 *)&after)[i] - ((__u64 *)&before)[i];
	return share;
}

/*
 * A service limited to one CPU never holds more while the hogs wait; the
 * same service without a limit takes both CPUs (its workers have calls
 * pending, so they come first). The fair queue is never starved either way.
 */
Test(sched_policy, service_cpu_limit)
{
	struct osnic_sched_stats limited, unlimited;
	double l, u;

	cr_assert_eq(sysconf(_SC_NPROCESSORS_ONLN), 2, "this test is written for 2 CPUs");
	l = two_busy_workers(1, &limited);
	u = two_busy_workers(0, &unlimited);
	cr_assert_gt(limited.limit_deferrals, 0, "no worker was held back by the limit");
	cr_assert_lt(l, 1.2, "a service limited to 1 CPU got %.2f CPUs", l);
	cr_assert_gt(u, 1.4, "the same service without a limit got only %.2f CPUs", u);
	cr_assert_gt(unlimited.worker_dispatches, 0, "no dispatches from the priority queue");
}

/* ---- workers that lie, or never drain: what others keep ------------------------ */

#define HOSTILE_RUN_MS 2000

/*
 * A hostile (or broken) worker: it spins on a CPU without ever sleeping.
 * With `lie`, it first writes a huge consumer position into its ring's
 * consumer page, which the application maps writable, so that the ring
 * seems to hold calls that were never delivered.
 */
struct hostile {
	pthread_t thread;
	atomic_int tid;
	atomic_bool go, stop, spinning;
	int ring_fd;
	bool lie;
};

static void *hostile_main(void *arg)
{
	struct hostile *x = arg;
	volatile unsigned long sink = 0;

	atomic_store(&x->tid, gettid());
	while (!atomic_load(&x->go))
		sleep_ms(1);
	if (x->lie) {
		long page = sysconf(_SC_PAGESIZE);
		unsigned long *cons =
			mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, x->ring_fd, 0);

		if (cons == MAP_FAILED)
			return (void *)(long)errno;
		/* What producer_pos - consumer_pos reads as "queued": 2^62 bytes. */
		__atomic_store_n(cons, -(1UL << 62), __ATOMIC_RELEASE);
		munmap(cons, page);
	}
	/* Its last sleep: from here on it is a known worker that never sleeps. */
	sleep_ms(5);
	atomic_store(&x->spinning, true);
	while (!atomic_load_explicit(&x->stop, memory_order_relaxed))
		for (int i = 0; i < 1000; i++)
			sink += i;
	return NULL;
}

/* An ordinary CPU-bound thread: the CPU it got while it spun for HOSTILE_RUN_MS. */
struct ordinary {
	pthread_t thread;
	atomic_bool go;
	double cpu_ms, wall_ms;
};

static void *ordinary_main(void *arg)
{
	struct ordinary *o = arg;
	double c0, w0;

	while (!atomic_load(&o->go))
		sleep_ms(1);
	c0 = thread_cpu_ms();
	w0 = now_ms();
	spin_for_ms(HOSTILE_RUN_MS);
	o->cpu_ms = thread_cpu_ms() - c0;
	o->wall_ms = now_ms() - w0;
	return NULL;
}

/*
 * One hostile worker per CPU (worker ids 20.., one service) spins while an
 * ordinary thread spins for HOSTILE_RUN_MS; returns the ordinary thread's
 * share of a CPU, with the counters' deltas over its run in *delta. With
 * `deliver_calls`, each worker gets real calls once it spins, which it
 * never consumes.
 */
static double hostile_workers(bool lie, bool deliver_calls, struct osnic_sched_stats *delta)
{
	struct osnic_sched_stats before, after;
	struct hostile x[MAX_THREADS];
	__u32 wids[MAX_THREADS];
	struct ordinary o;
	char state[32];
	struct env e;
	int n, err;
	double share;

	env_start(&e);
	n = e.ncpus < MAX_THREADS ? e.ncpus : MAX_THREADS;
	if (n > OSNIC_MAX_SVC_WORKERS)
		n = OSNIC_MAX_SVC_WORKERS;
	memset(x, 0, sizeof(x));
	memset(&o, 0, sizeof(o));
	for (int i = 0; i < n; i++) {
		wids[i] = 20 + i;
		x[i].lie = lie;
		err = pthread_create(&x[i].thread, NULL, hostile_main, &x[i]);
		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
		while (!atomic_load(&x[i].tid))
			sleep_ms(1);
		add_worker(&e, wids[i], x[i].tid);
		x[i].ring_fd = e.ring_fd[wids[i]];
	}
	add_service(&e, 1024, 0, wids, n);
	err = pthread_create(&o.thread, NULL, ordinary_main, &o);
	cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	for (int i = 0; i < n; i++)
		atomic_store(&x[i].go, true);
	for (int i = 0; i < n; i++) {
		while (!atomic_load(&x[i].spinning))
			sleep_ms(1);
		if (deliver_calls) {
			deliver(&e, wids[i], 2, 4, RING_FILL_THIS_CPU);
			forget_rx(&e, wids[i]);
		}
	}
	/* Let the workers take their CPUs first. */
	sleep_ms(100);
	osnic_sched_stats(e.s, &before);
	atomic_store(&o.go, true);
	pthread_join(o.thread, NULL);
	osnic_sched_stats(e.s, &after);
	for (int i = 0; i < n; i++)
		atomic_store(&x[i].stop, true);
	for (int i = 0; i < n; i++) {
		void *ret;

		pthread_join(x[i].thread, &ret);
		cr_assert_null(ret, "worker %u could not map its consumer page: %s", wids[i],
			       strerror((int)(long)ret));
	}

	share = o.cpu_ms / o.wall_ms;
	cr_log_info("%d %s workers%s: the ordinary thread got %.0f ms of CPU in %.0f ms (%.0f%%)",
		    n, lie ? "lying" : "busy", deliver_calls ? " with calls they never serve" : "",
		    o.cpu_ms, o.wall_ms, share * 100);
	cr_log_info("  worker_enqueued +%llu worker_kept +%llu worker_placed_rx_cpu +%llu "
		    "worker_placed_idle +%llu tick_yields +%llu kicks +%llu starved_shared +%llu "
		    "pending_capped +%llu budget_spent +%llu",
		    DELTA(worker_enqueued), DELTA(worker_kept), DELTA(worker_placed_rx_cpu),
		    DELTA(worker_placed_idle), DELTA(tick_yields), DELTA(kicks),
		    DELTA(starved_shared), DELTA(pending_capped), DELTA(budget_spent));
	for (size_t i = 0; i < sizeof(*delta) / sizeof(__u64); i++)
		((__u64 *)delta)[i] = ((__u64 *)&after)[i] - ((__u64 *)&before)[i];

	/* Not ejected, by the watchdog or otherwise. */
	assert_still_running(e.s, "while workers misbehaved");
	err = osnic_sched_kernel_state(state, sizeof(state), NULL, 0);
	cr_assert_eq(err, 0, "cannot read the sched_ext state: %s", strerror(-err));
	cr_assert_str_eq(state, "enabled", "sched_ext is \"%s\" after the run, not \"enabled\"",
			 state);
	env_stop(&e);
	return share;
}

/*
 * Workers that write a huge consumer position into their rings and spin,
 * one per CPU: nothing was delivered to them, so they are not pending. They
 * get no priority (no priority queue, no keeping their CPU, no placement),
 * and an ordinary thread gets its fair share of the CPUs beside them.
 */
Test(sched_policy, lying_worker_is_not_pending)
{
	struct osnic_sched_stats d;
	double share;

	cr_assert_eq(sysconf(_SC_NPROCESSORS_ONLN), 2, "this test is written for 2 CPUs");
	share = hostile_workers(true, false, &d);
	cr_assert_gt(d.pending_capped, 0, "the false consumer position was never seen");
	cr_assert_eq(d.worker_enqueued + d.worker_kept + d.worker_placed_rx_cpu +
			     d.worker_placed_idle,
		     0,
		     "lying workers were treated as pending: worker_enqueued +%llu "
		     "worker_kept +%llu worker_placed_rx_cpu +%llu worker_placed_idle +%llu",
		     d.worker_enqueued, d.worker_kept, d.worker_placed_rx_cpu,
		     d.worker_placed_idle);
	/* Fair: 2 CPUs for 3 threads, 67% each; 30% leaves room for a slow VM. */
	cr_assert_geq(share, 0.30, "beside 2 lying workers the ordinary thread got %.0f%% of a CPU",
		      share * 100);
}

/*
 * Workers with real calls they never serve, spinning, one per CPU: they
 * are pending, and preferred, but only for their budget of each period;
 * then they are ordinary work, and an ordinary thread still gets a share
 * of the CPUs.
 */
Test(sched_policy, undrained_worker_bounded_by_budget)
{
	struct osnic_sched_stats d;
	double share;

	cr_assert_eq(sysconf(_SC_NPROCESSORS_ONLN), 2, "this test is written for 2 CPUs");
	share = hostile_workers(false, true, &d);
	cr_assert_gt(d.worker_kept, 0, "the workers with calls pending were never preferred");
	cr_assert_gt(d.budget_spent, 0, "no worker ever spent its budget");
	/*
	 * The budget leaves at least 25 ms in 100 ms of each CPU to the
	 * others, and the workers' preferred time does not count against the
	 * ordinary thread in the fair queue: it gets about 40% of a CPU, where
	 * workers preferred without bound leave it about 12%.
	 */
	cr_assert_geq(share, 0.20,
		      "beside 2 undrained workers the ordinary thread got %.0f%% of a CPU",
		      share * 100);
}
