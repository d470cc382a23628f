// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-xdp-cost: what the XDP receive program itself costs per packet.
 *
 * Loads the real program (osnic_xdp.skel.h) into a private skeleton, fills
 * its maps as osnicd would for N services and W workers of the measured
 * service, and runs it with BPF_PROG_TEST_RUN on real frames (tests/lib's
 * pkt.c builds them) pinned to one CPU:
 *
 *	delivered	an ECHO-like call (16 argument bytes) written to a ring,
 *			in a burst of `repeat` calls to a service whose
 *			workers all sleep on another CPU (idle: the first
 *			calls each claim a sleeper from the service-wide idle
 *			set, one per worker, then the rest go to a short
 *			queue), all sleep on this CPU (idle-local: the same
 *			from this CPU's set) or all run (running: the short
 *			queue from the first call: the worker this CPU
 *			remembers while its ring is short, else the shorter
 *			of it and a random one; steer.h)
 *	nullproc	NULLPROC, answered with XDP_TX
 *	proc_unavail	a procedure the service does not serve, answered
 *	not_served	a UDP datagram for a port osnic does not serve
 *
 * Calls that leave the frame alone (delivered, not_served) are timed with
 * `repeat` runs per syscall: opts.duration is the kernel's mean ns per run.
 * The rings fill, so a run is at most a ring's worth and every ring is
 * drained (its consumer position set to the producer's through the mmap'd
 * pages) between runs; the figure is the median of the runs. An answered
 * call turns the frame into the reply in place, and the next repetition
 * would see that reply (a datagram to the client's port) instead of a call:
 * so NULLPROC and PROC_UNAVAIL run once per syscall, and their figure is
 * the median of those durations less the timer's own cost per syscall,
 * which is measured on the not-served datagram both ways (printed).
 *
 * A claim takes the sleeper out of the idle sets (until the scheduler puts
 * it back when it sleeps again), so for the idle states every worker is
 * put back to sleep, as osnic_worker_sched_set() would, before each timed
 * syscall: each syscall is a burst arriving at an all-asleep service.
 *
 * Each measurement is checked against the receive counters: every run must
 * have moved exactly the counter of its case, the idle-delivery count by
 * one claim per worker per syscall (none when running), and the workers'
 * delivery counts by the total, or the tool says which and exits 1.
 *
 * Sweeps: services 1 → 1024 with one worker, workers 1 → 256 of one
 * service (delivered only), each clamped to the limits of <osnic/abi.h>.
 * Targets (issue #13): <= 250 ns per delivered call, and flat: the largest
 * figure of a sweep over its smallest <= 1.2.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#include <osnic/abi.h>
#include "osnic_xdp.skel.h"
#include "pkt.h"

#define SVC_PORT0	7000	/* service i listens on SVC_PORT0 + i - 1 */
#define OTHER_PORT	9999	/* served by no one */
#define CLIENT_PORT	40000
#define PROG0		0x20000777	/* service i is program PROG0 + i - 1 */
#define VERS		1
#define PROC_ECHO	1
#define PROC_NONE	9	/* not in PROCS */
#define PROCS		0x07ULL	/* procedures 0..2 */
#define ARGS_LEN	16
#define DEPTH_LINES	4096	/* as the demo service (--depth 4096) */
#define TARGET_NS	250.0
#define TARGET_FLAT	1.2

#define MAX_SERVICES	(OSNIC_MAX_SERVICES - 1)	/* ids 1.. */
#define MAX_SVC_WORKERS	(OSNIC_MAX_SVC_WORKERS < OSNIC_MAX_WORKERS - 1 ? \
			 OSNIC_MAX_SVC_WORKERS : OSNIC_MAX_WORKERS - 1)

static int cpu;		/* the CPU the program runs on */
static int ncpus;
static long page;
static struct osnic_xdp *skel;

static void die(const char *what)
{
	fprintf(stderr, "osnic-xdp-cost: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void map_put(struct bpf_map *map, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	if (bpf_map__update_elem(map, key, klen, val, vlen, BPF_ANY)) {
		fprintf(stderr, "osnic-xdp-cost: update of %s: %s\n", bpf_map__name(map),
			strerror(errno));
		exit(2);
	}
}

/* ---- rings: made once per worker id, shared by every skeleton ---------------- */

struct ring {
	int fd;
	unsigned long *cons;		/* consumer position (ours to write) */
	const unsigned long *prod;	/* producer position (the kernel's) */
};

static struct ring rings[OSNIC_MAX_WORKERS];

static struct ring *ring_of(uint32_t id)
{
	struct ring *r = &rings[id];

	if (r->fd > 0)
		return r;
	r->fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, OSNIC_RING_BYTES, NULL);
	if (r->fd < 0)
		die("creating a ring");
	r->cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	r->prod = mmap(NULL, page, PROT_READ, MAP_SHARED, r->fd, page);
	if (r->cons == MAP_FAILED || r->prod == MAP_FAILED)
		die("mapping a ring's positions");
	return r;
}

/* Consume everything in the ring at once, as a worker that read it all. */
static void ring_drain(uint32_t id)
{
	struct ring *r = &rings[id];

	if (r->fd > 0)
		__atomic_store_n(r->cons, __atomic_load_n(r->prod, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
}

/*
 * ---- map population, as osnicd (and the scheduler) would do it ------------------
 *
 * Everything that knows the layout of the steering tables is in this
 * section: when they change, only populate_service() and add_worker() do.
 */

/* Worker states of the delivered case. */
enum wstate { WS_IDLE, WS_IDLE_LOCAL, WS_RUNNING, WS__N };
static const char *const wstate_name[WS__N] = { "idle", "idle-local", "running" };

static void local_addr(void)
{
	struct osnic_local_addr_key k = { .family = AF_INET, .addr = { 10, 0, 0, 2 } };
	uint32_t ifindex = 1;

	map_put(skel->maps.osnic_local_addrs, &k, sizeof(k), &ifindex, sizeof(ifindex));
}

/* Service id (1..) on its own port, program PROG0 + id - 1, no worker yet. */
static void populate_service(uint32_t id)
{
	uint32_t port = SVC_PORT0 + id - 1;
	struct osnic_listen l = { .nservices = 1 };
	struct osnic_svc_key key = { .port = port, .prog = PROG0 + id - 1, .vers = VERS };
	struct osnic_prog_key pk = { .port = port, .prog = key.prog };
	struct osnic_vers_range range = { .low = VERS, .high = VERS };
	struct osnic_service_val svc = {
		.prog = key.prog, .vers = VERS, .port = port, .procs = PROCS,
		.depth_lines = DEPTH_LINES,
	};

	map_put(skel->maps.osnic_listen, &port, sizeof(port), &l, sizeof(l));
	map_put(skel->maps.osnic_prog_vers, &pk, sizeof(pk), &range, sizeof(range));
	map_put(skel->maps.osnic_services, &id, sizeof(id), &svc, sizeof(svc));
	map_put(skel->maps.osnic_svc_index, &key, sizeof(key), &id, sizeof(id));
}

/* Where a worker in state st last ran: idle ones on another CPU (if any). */
static int state_cpu(enum wstate st)
{
	return st == WS_IDLE ? (cpu + 1) % ncpus : cpu;
}

/* The scheduler's view of worker id (its idle bits: mark_sleepers()). */
static void set_worker_state(uint32_t id, enum wstate st)
{
	struct osnic_worker_sched ws = {
		.state = st == WS_RUNNING ? OSNIC_WS_RUNNING : OSNIC_WS_SLEEPING,
		.cpu = state_cpu(st),
	};

	map_put(skel->maps.osnic_worker_sched, &id, sizeof(id), &ws, sizeof(ws));
}

/*
 * Service svc_id's idle sets as osnic_worker_sched_set() leaves them when
 * its workers (slots 0..nworkers-1) are in state st: for the sleeping
 * states, every slot in the service-wide set and in that of the CPU they
 * slept on; empty when running. Written whole, which also puts back the
 * sleepers the last burst claimed.
 */
static void mark_sleepers(uint32_t svc_id, int nworkers, enum wstate st)
{
	struct osnic_svc_idle all = {}, per[ncpus];

	memset(per, 0, sizeof(per));
	if (st != WS_RUNNING)
		for (int slot = 0; slot < nworkers; slot++)
			all.bits[slot / 64] |= 1ULL << (slot % 64);
	per[state_cpu(st)] = all;
	map_put(skel->maps.osnic_svc_idle, &svc_id, sizeof(svc_id), &all, sizeof(all));
	map_put(skel->maps.osnic_svc_idle_cpu, &svc_id, sizeof(svc_id), per, sizeof(per));
}

/* Worker id joins service svc_id, with its ring, in state st. */
static void add_worker(uint32_t svc_id, uint32_t id, enum wstate st)
{
	struct osnic_worker_val w = { .service_id = svc_id, .tid = 100000 + id };
	struct osnic_service_val svc;
	int fd = ring_of(id)->fd;

	map_put(skel->maps.osnic_workers, &id, sizeof(id), &w, sizeof(w));
	map_put(skel->maps.osnic_rings, &id, sizeof(id), &fd, sizeof(fd));
	map_put(skel->maps.osnic_worker_tids, &w.tid, sizeof(w.tid), &id, sizeof(id));
	if (bpf_map__lookup_elem(skel->maps.osnic_services, &svc_id, sizeof(svc_id), &svc,
				 sizeof(svc), 0))
		die("reading a service");
	w.svc_slot = svc.nworkers;
	map_put(skel->maps.osnic_workers, &id, sizeof(id), &w, sizeof(w));
	svc.workers[svc.nworkers++] = id;
	map_put(skel->maps.osnic_services, &svc_id, sizeof(svc_id), &svc, sizeof(svc));
	set_worker_state(id, st);
}

/* Every worker of 1..nworkers (of service svc_id) in state st. */
static void set_worker_states(uint32_t svc_id, int nworkers, enum wstate st)
{
	for (int w = 1; w <= nworkers; w++)
		set_worker_state(w, st);
	mark_sleepers(svc_id, nworkers, st);
}

/* A fresh program with services 1..nsvc and no worker yet. */
static void setup(int nsvc)
{
	if (skel)
		osnic_xdp__destroy(skel);
	skel = osnic_xdp__open_and_load();
	if (!skel)
		die("loading the XDP object (root? BTF?)");
	local_addr();
	for (int i = 1; i <= nsvc; i++)
		populate_service(i);
}

/* ---- frames -------------------------------------------------------------------------- */

struct frame {
	uint8_t buf[PKT_MAX];
	size_t len;
};

static void make_frame(struct frame *f, uint32_t svc_id, uint32_t proc, uint16_t dport)
{
	struct pkt_spec s = { .sport = CLIENT_PORT, .dport = dport };
	struct rpc_spec r = {
		.xid = 0x11223344, .prog = PROG0 + svc_id - 1, .vers = VERS, .proc = proc,
		.args_len = proc == PROC_ECHO ? ARGS_LEN : 0,
	};

	f->len = pkt_build_rpc(&s, &r, f->buf, sizeof(f->buf));
	if (!f->len) {
		fprintf(stderr, "osnic-xdp-cost: building a frame failed\n");
		exit(2);
	}
}

/* ---- counters -------------------------------------------------------------------------- */

struct counts {
	uint64_t rx[OSNIC_RX__MAX];
	uint64_t delivered_idle;
	uint64_t delivered_workers;	/* the sum of worker[] */
	uint64_t worker[MAX_SVC_WORKERS + 1];	/* delivered, by worker id */
};

static uint64_t percpu_u64(struct bpf_map *map, uint32_t key, size_t stride, size_t off)
{
	uint8_t vals[ncpus * stride];
	uint64_t sum = 0, v;

	if (bpf_map__lookup_elem(map, &key, sizeof(key), vals, sizeof(vals), 0))
		die("reading counters");
	for (int i = 0; i < ncpus; i++) {
		memcpy(&v, vals + i * stride + off, sizeof(v));
		sum += v;
	}
	return sum;
}

static void counts_read(struct counts *c, int nworkers)
{
	const size_t ws = sizeof(struct osnic_worker_stats);

	memset(c, 0, sizeof(*c));
	for (uint32_t i = 0; i < OSNIC_RX__MAX; i++)
		c->rx[i] = percpu_u64(skel->maps.osnic_rx_counters, i, sizeof(uint64_t), 0);
	for (int w = 1; w <= nworkers; w++) {
		c->worker[w] = percpu_u64(skel->maps.osnic_worker_stats, w, ws,
					  offsetof(struct osnic_worker_stats, delivered));
		c->delivered_workers += c->worker[w];
		c->delivered_idle +=
			percpu_u64(skel->maps.osnic_worker_stats, w, ws,
				   offsetof(struct osnic_worker_stats, delivered_idle));
	}
}

static const char *const rx_name[] = {
#define RX_NAME(NAME, name) #name,
	OSNIC_RX_COUNTER_LIST(RX_NAME)
#undef RX_NAME
};

static int check_failures;

/*
 * n runs of a case, in syscalls of rep runs, must have moved packets, udp
 * and its own counter by n each and no other; a delivery also the
 * workers' counts by n, and the idle-delivery count by one claim per
 * worker (at most rep) per syscall for the sleeping states, 0 for running:
 * the first claim of each syscall going to worker 1 (slot 0, the lowest).
 */
static void check_counts(const char *what, const struct counts *a, const struct counts *b,
			 uint64_t n, int rep, int want, int nworkers, int st)
{
	uint64_t syscalls = n / rep, claims = nworkers < rep ? nworkers : rep;
	char why[200] = "";

	for (int i = 0; i < OSNIC_RX__MAX && !why[0]; i++) {
		uint64_t d = b->rx[i] - a->rx[i];
		uint64_t exp = i == OSNIC_RX_PACKETS || i == OSNIC_RX_UDP || i == want ? n : 0;

		if (d != exp)
			snprintf(why, sizeof(why), "counter %s moved by %llu, want %llu", rx_name[i],
				 (unsigned long long)d, (unsigned long long)exp);
	}
	if (!why[0] && want == OSNIC_RX_RPC_DELIVERED) {
		uint64_t idle = b->delivered_idle - a->delivered_idle;
		uint64_t exp = st == WS_RUNNING ? 0 : syscalls * claims;
		uint64_t got = b->delivered_workers - a->delivered_workers;

		if (idle != exp)
			snprintf(why, sizeof(why), "delivered_idle moved by %llu, want %llu",
				 (unsigned long long)idle, (unsigned long long)exp);
		else if (got != n)
			snprintf(why, sizeof(why), "workers got %llu of %llu deliveries",
				 (unsigned long long)got, (unsigned long long)n);
		else if (st != WS_RUNNING && b->worker[1] - a->worker[1] < syscalls)
			snprintf(why, sizeof(why), "worker 1 got %llu deliveries in %llu bursts",
				 (unsigned long long)(b->worker[1] - a->worker[1]),
				 (unsigned long long)syscalls);
	}
	if (why[0]) {
		fprintf(stderr, "osnic-xdp-cost: %s: %s\n", what, why);
		check_failures++;
	}
}

/* ---- timing ---------------------------------------------------------------------------- */

static int runs = 15;		/* syscalls of `repeat` runs, median taken */
static int repeat = 1500;	/* runs per syscall: at most a ring's worth */
static int singles = 3000;	/* one-run syscalls for the answered cases */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One syscall of rep runs; returns the mean ns per run and the verdict. */
static uint32_t run_once(const struct frame *f, int rep, int *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = f->len,
		    .repeat = rep);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.osnic_xdp_rx), &opts);
	if (err) {
		errno = -err;
		die("BPF_PROG_TEST_RUN");
	}
	*verdict = opts.retval;
	return opts.duration;
}

/*
 * Median ns per run: `n` syscalls of `rep` runs, the workers' rings
 * drained before each, and for a sleeping state st (enum wstate; -1 for
 * none) service svc_id's workers put back to sleep. *total gets how many
 * runs that was (warm-up included).
 */
static double time_case(const struct frame *f, int rep, int n, uint32_t svc_id, int nworkers,
			int st, int want_verdict, uint64_t *total)
{
	uint32_t *ns = calloc(n, sizeof(*ns));
	int verdict;
	double med;

	if (!ns)
		die("calloc");
	*total = 0;
	for (int i = -1; i < n; i++) {	/* i = -1: warm-up */
		for (int w = 1; w <= nworkers; w++)
			ring_drain(w);
		if (st >= 0 && st != WS_RUNNING)
			mark_sleepers(svc_id, nworkers, st);
		uint32_t d = run_once(f, rep, &verdict);

		*total += rep;
		if (verdict != want_verdict) {
			fprintf(stderr, "osnic-xdp-cost: verdict %d, want %d\n", verdict,
				want_verdict);
			check_failures++;
		}
		if (i >= 0)
			ns[i] = d;
	}
	qsort(ns, n, sizeof(*ns), cmp_u32);
	med = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2.0;
	free(ns);
	return med;
}

/* ---- cases ---------------------------------------------------------------------------- */

enum kase { C_DELIVERED, C_NULLPROC, C_PROC_UNAVAIL, C_NOT_SERVED, C__N };
static const char *const case_name[C__N] = { "delivered", "nullproc", "proc_unavail",
					     "not_served" };

#define MAX_ROUNDS 9

/* One figure, from every round. */
struct result {
	const char *sweep;
	int services, workers;
	enum kase kase;
	int state;		/* delivered: enum wstate; else -1 */
	const char *method;	/* "repeat", or "single" (timer cost subtracted) */
	int n;
	double ns[MAX_ROUNDS];
};

#define MAX_RESULTS 512
static struct result results[MAX_RESULTS];
static int nresults;
static int rounds = 5;
/*
 * --repeat-answered: time NULLPROC and PROC_UNAVAIL with repeat runs too.
 * Wrong on purpose (every run after the first sees the reply), for
 * checking that the counter check notices a case off its path.
 */
static bool repeat_answered;
static double timer_ns[MAX_ROUNDS * 64];	/* single-run timer cost, each time measured */
static int ntimer;

static void add_result(const char *sweep, int nsvc, int nworkers, enum kase k, int st, double ns,
		       const char *method)
{
	struct result *r = NULL;

	for (int i = 0; i < nresults && !r; i++)
		if (results[i].sweep == sweep && results[i].services == nsvc &&
		    results[i].workers == nworkers && results[i].kase == k &&
		    results[i].state == st)
			r = &results[i];
	if (!r && nresults < MAX_RESULTS) {
		r = &results[nresults++];
		*r = (struct result){ sweep, nsvc, nworkers, k, st, method, 0, {} };
	}
	if (r && r->n < MAX_ROUNDS)
		r->ns[r->n++] = ns > 0 ? ns : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Measure case k (state st) on the program as set up. */
static double measure(enum kase k, int st, int nsvc, int nworkers, bool singles_mode)
{
	static const struct {
		int counter, verdict;
	} want[C__N] = {
		[C_DELIVERED] = { OSNIC_RX_RPC_DELIVERED, XDP_DROP },
		[C_NULLPROC] = { OSNIC_RX_RPC_NULLPROC, XDP_TX },
		[C_PROC_UNAVAIL] = { OSNIC_RX_RPC_PROC_UNAVAIL, XDP_TX },
		[C_NOT_SERVED] = { OSNIC_RX_NOT_LISTENED, XDP_PASS },
	};
	struct counts a, b;
	struct frame f;
	uint64_t total;
	char what[96];
	int rep;
	double ns;

	switch (k) {
	case C_DELIVERED:
		make_frame(&f, nsvc, PROC_ECHO, SVC_PORT0 + nsvc - 1);
		break;
	case C_NULLPROC:
		make_frame(&f, nsvc, 0, SVC_PORT0 + nsvc - 1);
		break;
	case C_PROC_UNAVAIL:
		make_frame(&f, nsvc, PROC_NONE, SVC_PORT0 + nsvc - 1);
		break;
	default:
		make_frame(&f, nsvc, PROC_ECHO, OTHER_PORT);
		break;
	}
	counts_read(&a, nworkers);
	rep = singles_mode ? 1 : repeat;
	ns = time_case(&f, rep, singles_mode ? singles : runs, nsvc, nworkers, st,
		       want[k].verdict, &total);
	counts_read(&b, nworkers);
	snprintf(what, sizeof(what), "%s%s%s, %d services, %d workers", case_name[k],
		 st >= 0 ? " " : "", st >= 0 ? wstate_name[st] : "", nsvc, nworkers);
	check_counts(what, &a, &b, total, rep, want[k].counter, nworkers, st);
	return ns;
}

static const char *const SERVICES = "services", *const WORKERS = "workers";

/* Every case on nsvc services, the measured one with one worker. */
static void services_point(int nsvc)
{
	double single, rep, timer;

	setup(nsvc);
	add_worker(nsvc, 1, WS_IDLE);
	for (int st = 0; st < WS__N; st++) {
		set_worker_states(nsvc, 1, st);
		add_result(SERVICES, nsvc, 1, C_DELIVERED, st,
			   measure(C_DELIVERED, st, nsvc, 1, false), "repeat");
	}
	/* The not-served datagram both ways: the timer's cost per syscall. */
	single = measure(C_NOT_SERVED, -1, nsvc, 1, true);
	rep = measure(C_NOT_SERVED, -1, nsvc, 1, false);
	timer = single > rep ? single - rep : 0;
	if (ntimer < (int)(sizeof(timer_ns) / sizeof(timer_ns[0])))
		timer_ns[ntimer++] = timer;
	add_result(SERVICES, nsvc, 1, C_NOT_SERVED, -1, rep, "repeat");
	if (repeat_answered)
		timer = 0;
	add_result(SERVICES, nsvc, 1, C_NULLPROC, -1,
		   measure(C_NULLPROC, -1, nsvc, 1, !repeat_answered) - timer, "single");
	add_result(SERVICES, nsvc, 1, C_PROC_UNAVAIL, -1,
		   measure(C_PROC_UNAVAIL, -1, nsvc, 1, !repeat_answered) - timer, "single");
}

/* Delivery to one service whose workers grow through wrks[0..n). */
static void workers_sweep(const int *wrks, int n)
{
	int have = 0;

	setup(1);
	for (int i = 0; i < n; i++) {
		for (; have < wrks[i]; have++)
			add_worker(1, have + 1, WS_IDLE);
		for (int st = 0; st < WS__N; st++) {
			set_worker_states(1, have, st);
			add_result(WORKERS, 1, have, C_DELIVERED, st,
				   measure(C_DELIVERED, st, 1, have, false), "repeat");
		}
	}
}

/* ---- report ------------------------------------------------------------------------- */

/*
 * The figure reported: the least of the rounds' medians. The rounds run
 * the whole sweep one after another, so a stretch of interference (another
 * guest on the host, a timer storm) lands in one round's figures; it only
 * ever adds time, so the least round is the one it disturbed least.
 */
static double figure(const struct result *r)
{
	double least = r->ns[0];

	for (int i = 1; i < r->n; i++)
		if (r->ns[i] < least)
			least = r->ns[i];
	return least;
}

static const char *label(const struct result *r)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s", case_name[r->kase], r->state >= 0 ? "/" : "",
		 r->state >= 0 ? wstate_name[r->state] : "");
	return buf;
}

static void report(FILE *csv)
{
	double worst = 0;
	bool all_flat = true;

	printf("%-9s %8s %8s  %-22s %8s  %s\n", "sweep", "services", "workers", "case",
	       "ns/pkt", "method");
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];

		printf("%-9s %8d %8d  %-22s %8.1f  %s\n", r->sweep, r->services, r->workers,
		       label(r), figure(r), r->method);
		if (r->kase == C_DELIVERED && figure(r) > worst)
			worst = figure(r);
	}
	printf("\nsingle: one run per syscall, less the timer's cost per syscall "
	       "(median %.1f ns)\n", ntimer ? median(timer_ns, ntimer) : 0.0);
	if (csv) {
		fprintf(csv, "sweep,services,workers,case,state,ns_per_pkt,method,rounds\n");
		for (int i = 0; i < nresults; i++) {
			const struct result *r = &results[i];

			fprintf(csv, "%s,%d,%d,%s,%s,%.1f,%s,%d\n", r->sweep, r->services,
				r->workers, case_name[r->kase],
				r->state >= 0 ? wstate_name[r->state] : "", figure(r), r->method,
				r->n);
		}
	}

	printf("\ntargets:\n");
	printf("  delivered call <= %.0f ns (worst of all delivered)  %.1f  %s\n", TARGET_NS,
	       worst, worst <= TARGET_NS ? "met" : "MISSED");
	/* Flatness per sweep and case/state. */
	const char *const sweeps[] = { SERVICES, WORKERS };

	for (int s = 0; s < 2; s++) {
		for (int k = 0; k < C__N; k++) {
			for (int st = -1; st < WS__N; st++) {
				double lo = 1e18, hi = 0;
				int n = 0;

				for (int i = 0; i < nresults; i++) {
					const struct result *r = &results[i];

					if (r->sweep != sweeps[s] || r->kase != (enum kase)k ||
					    r->state != st)
						continue;
					lo = figure(r) < lo ? figure(r) : lo;
					hi = figure(r) > hi ? figure(r) : hi;
					n++;
				}
				if (n < 2)
					continue;
				double ratio = lo > 0 ? hi / lo : 0;
				bool ok = lo > 0 && ratio <= TARGET_FLAT;

				all_flat &= ok;
				printf("  flat over %-8s %-22s largest/smallest <= %.1f  %.2f (%.1f..%.1f)  %s\n",
				       sweeps[s],
				       label(&(struct result){ .kase = k, .state = st }),
				       TARGET_FLAT, ratio, lo, hi, ok ? "met" : "MISSED");
			}
		}
	}
	printf("xdp cost: delivered <= %.0f ns %s, flat %s; verdict checks: %d failed\n",
	       TARGET_NS, worst <= TARGET_NS ? "met" : "MISSED", all_flat ? "met" : "MISSED",
	       check_failures);
}

/* ---- main ------------------------------------------------------------------------- */

static int parse_list(const char *s, int *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1)
			return -1;
		out[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Sort a sweep and clamp it to max, dropping the values that collapse onto it. */
static int clamp_list(int *v, int n, int max)
{
	int m = 0;

	qsort(v, n, sizeof(*v), cmp_int);
	for (int i = 0; i < n; i++) {
		int x = v[i] < max ? v[i] : max;

		if (!m || x != v[m - 1])
			v[m++] = x;
	}
	return m;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: osnic-xdp-cost [--cpu N] [--services LIST] [--workers LIST] [--runs N]\n"
		"                      [--repeat N] [--singles N] [--rounds N] [--csv FILE] [--quick]\n"
		"                      [--repeat-answered]\n"
		"  LIST: comma-separated, e.g. 1,4,16,64,256,1024 (clamped to <osnic/abi.h>)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int svcs[16] = { 1, 4, 16, 64, 256, 1024 }, nsvcs = 6;
	int wrks[16] = { 1, 4, 16, 64, 256 }, nwrks = 5;
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "services", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "runs", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "singles", required_argument, NULL, 'S' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "repeat-answered", no_argument, NULL, 'A' },
		{ "csv", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *csv_path = NULL;
	FILE *csv = NULL;
	cpu_set_t set;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			nsvcs = parse_list(optarg, svcs, 16);
			break;
		case 'w':
			nwrks = parse_list(optarg, wrks, 16);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'R':
			repeat = atoi(optarg);
			break;
		case 'S':
			singles = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'A':
			repeat_answered = true;
			break;
		case 'o':
			csv_path = optarg;
			break;
		case 'q':
			runs = 5, repeat = 500, singles = 500, rounds = 1;
			break;
		default:
			usage();
		}
	}
	/* A run must fit the ring: records of two lines, one less than fills it. */
	if (nsvcs < 1 || nwrks < 1 || runs < 1 || singles < 1 || repeat < 1 || rounds < 1 ||
	    rounds > MAX_ROUNDS ||
	    repeat > OSNIC_RING_BYTES / (2 * OSNIC_LINE) - 1 || optind != argc)
		usage();
	nsvcs = clamp_list(svcs, nsvcs, MAX_SERVICES);
	nwrks = clamp_list(wrks, nwrks, MAX_SVC_WORKERS);

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("pinning to the CPU");
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });
	libbpf_set_print(NULL);
	ncpus = libbpf_num_possible_cpus();
	page = sysconf(_SC_PAGESIZE);
	if (ncpus <= 0)
		die("counting CPUs");
	if (csv_path && !(csv = fopen(csv_path, "w")))
		die(csv_path);

	printf("osnic-xdp-cost: CPU %d; limits: %d services, %d workers per service; "
	       "per round the median of %d syscalls x %d runs (%d one-run syscalls for answered\n"
	       "calls); the least of %d rounds' figures\n\n",
	       cpu, MAX_SERVICES, MAX_SVC_WORKERS, runs, repeat, singles, rounds);
	for (int round = 0; round < rounds; round++) {
		for (int i = 0; i < nsvcs; i++)
			services_point(svcs[i]);
		workers_sweep(wrks, nwrks);
	}
	report(csv);
	if (csv && fclose(csv))
		die(csv_path);
	osnic_xdp__destroy(skel);
	return check_failures ? 1 : 0;
}
