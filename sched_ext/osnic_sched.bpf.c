// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic_sched: the osnic sched_ext scheduler (DESIGN.md, "Scheduling").
 *
 * Policy, in plain words. The machine runs two kinds of threads: osnic
 * workers, which serve RPC calls that XDP has put into their rings, and
 * everything else. A thread is a worker while osnic_worker_tids maps its tid
 * to a worker id (osnicd writes it); the worker's service and ring come from
 * osnic_workers, osnic_services and osnic_rings, the maps XDP uses.
 *
 * - Everything shares the CPUs fairly by virtual time, as scx_simple does:
 *   a task's vtime advances by the time it ran, scaled by its weight; the
 *   task with the smallest vtime runs next; a task that slept long comes
 *   back with at most one slice of credit.
 * - A worker with pending calls comes first, within its budget (below).
 *   Woken for a call, it goes to the CPU that received the call (XDP
 *   records it in osnic_worker_rx) when that CPU is idle or runs ordinary
 *   user work, which it then preempts, or a kernel thread or a task of a
 *   higher class (RT), behind which it goes first in line; else to an idle
 *   CPU; else it waits in the priority queue, which every CPU serves before
 *   the fair one, and which ends the slice of ordinary work at the next
 *   tick. At the end of its slice it keeps its CPU while calls are still
 *   pending (after the workers already waiting in the priority queue).
 * - "Pending" rests on what BPF wrote, never on what the application
 *   wrote: the ring's producer position (advanced by XDP for each call)
 *   minus the producer position seen when the worker last went to sleep
 *   (it sleeps in epoll on an empty ring, so everything delivered before
 *   was consumed). The consumer position, in a page the application maps
 *   writable, may only lower that estimate, never raise it: a worker that
 *   writes a false one gains nothing.
 * - A worker is preferred (priority queue, keeping its CPU, preempting and
 *   kicking for it) for at most PREF_BUDGET_NS of running per PREF_PERIOD_NS,
 *   and a service's workers together for at most that times the number of
 *   CPUs. Past it, a worker with calls pending is ordinary fair work until
 *   the period ends: a hot worker, or one that never drains its ring, can
 *   take at most that much from others. Preferred running is not charged
 *   to the worker's vtime (the budget bounds it), so that past its budget
 *   the worker competes for the rest as any task does, and its next
 *   period's preference does not wait behind tasks it ran ahead of.
 * - A service may hold at most max_cpus CPUs (osnic_services; 0: no limit).
 *   A worker whose service holds its limit is passed over in the priority
 *   queue while other tasks wait, and runs when nothing else does: an idle
 *   CPU is always used.
 * - Load feedback: when a worker with pending calls has to wait and its
 *   service's backlog (the lines queued in all its workers' rings) reaches
 *   half its depth (depth_lines * nworkers / 2) while it holds fewer CPUs
 *   than its limit, a CPU running ordinary user work is kicked, so that it
 *   preempts that work and takes the worker. The backlog of a service of
 *   more than a few workers is estimated from a few of their rings: no
 *   decision costs more with more workers.
 * - A per-CPU kernel thread (ksoftirqd, which may be what delivers the
 *   calls) runs first on its CPU, preempting what runs there.
 * - Nothing starves: the priority queue is FIFO, a worker's slice is short,
 *   and a CPU that has not served the fair queue for STARVE_NS serves it
 *   first, so every queued task runs long before the watchdog's timeout
 *   (WATCHDOG_MS, set explicitly).
 *
 * For XDP's steering the scheduler writes, per worker, whether it sleeps
 * (is blocked, waiting on its ring), is runnable or runs, and on which CPU
 * (osnic_worker_sched), and keeps each service's sets of sleeping workers
 * (osnic_svc_idle, osnic_svc_idle_cpu) with it. Counters in .bss show what it did; ops.exit copies
 * the kernel's exit reason where user space can read it.
 */
#include "maps_shared.h"
#include <bpf/bpf_tracing.h>
#include <osnic/sched.h>

char _license[] SEC("license") = "GPL";

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* The iterator of the innermost bpf_for_each(), for scx_bpf_dsq_move(). */
#define BPF_FOR_EACH_ITER (&___it)

/* User DSQs (bit 63 clear): the fair queue and the workers' priority queue. */
#define SHARED_DSQ 0
#define PRIO_DSQ 1

/* A worker's slice: RPC handlers are short, and a long slice would keep others waiting. */
#define WORKER_SLICE (SCX_SLICE_DFL / 4)

/* A CPU that has not served the fair queue for this long serves it first. */
#define STARVE_NS (5 * SCX_SLICE_DFL)

/*
 * How long a worker may run preferred per period. Large enough that a busy
 * service still gets most of the machine (its calls are why it runs), small
 * enough that ordinary work keeps a share of every CPU whatever workers do.
 */
#define PREF_PERIOD_NS (100 * 1000 * 1000ULL)
#define PREF_BUDGET_NS (75 * 1000 * 1000ULL)

/*
 * The watchdog: a runnable task that has not run for this long ejects the
 * scheduler. Nothing waits anywhere near as long (STARVE_NS); the margin is
 * for slow (emulated) machines. The kernel's default is its maximum, 30 s.
 */
#define WATCHDOG_MS 10000

/* include/linux/sched.h */
#define PF_KTHREAD 0x00200000
#define PF_EXITING 0x00000004

/* What runs on a CPU, as far as kicks and placement care. */
enum cpu_runs {
	CPU_RUNS_NOTHING = 0,	/* idle, or between two tasks */
	CPU_RUNS_WORKER,	/* an osnic worker */
	CPU_RUNS_KERNEL,	/* a kernel thread (softirq, RCU, ...): left alone */
	CPU_RUNS_USER,		/* ordinary user work: may be preempted for workers */
};

struct cpu_ctx {
	__u32 runs;		/* enum cpu_runs */
	__u32 kick_pending;	/* kicked for a worker, has not switched task since */
	__u64 shared_served_ns;	/* last time it took from (or found empty) SHARED_DSQ */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_ctx);
} cpu_ctxs SEC(".maps");

struct task_ctx {
	__u32 wid;		/* worker id as of the last check; 0: not a worker */
	__u32 svc;		/* the worker's service id */
	__u32 running_svc;	/* the service charged in svc_running while it runs; 0: none */
	__u32 pref_run;		/* it started running preferred: the run uses its budget */
	__u64 started_ns;	/* when it last started running */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* What the scheduler did, read by user space (loader/sched.c). */
struct osnic_sched_stats stats;

/* Why the scheduler exited, filled in by osnic_exit(). */
struct osnic_sched_exit_info exit_info;

/*
 * The per-service arrays below have SVC_SLOTS entries, the power of 2 at or
 * above OSNIC_MAX_SERVICES, so that a mask keeps the verifier convinced of
 * an index it has seen checked against OSNIC_MAX_SERVICES.
 */
#define SVC_SLOTS 2048
_Static_assert(SVC_SLOTS >= OSNIC_MAX_SERVICES && (SVC_SLOTS & (SVC_SLOTS - 1)) == 0,
	       "SVC_SLOTS must be a power of 2 that holds every service id");

/* Per service id: how many of its workers are on a CPU right now. */
__s32 svc_running[SVC_SLOTS];

/* Preferred running time used in the current period (PREF_PERIOD_NS). */
struct pref_budget {
	__u64 period_start;
	__u64 used_ns;
};

/*
 * Per worker id, all of it written by BPF: the ring's producer position
 * when the worker last went to sleep (all delivered calls up to there are
 * served), and its preferred-time budget.
 */
struct worker_trust {
	__u32 generation;	/* osnic_workers[id].generation these values are for */
	__u32 pad;
	__u64 served_pos;
	struct pref_budget budget;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct worker_trust);
} worker_trusts SEC(".maps");

/* Per service id: its workers' preferred time together. */
static struct pref_budget svc_budget[SVC_SLOTS];

/* The largest virtual time of any task that started running. */
static u64 vtime_now;

static __always_inline void stat_inc(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

/* Wrap-safe a < b for virtual times. */
static __always_inline bool vtime_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

/*
 * Newer kernels want p->scx.dsq_vtime changed through a kfunc (so that
 * nested schedulers can be checked for authority over the task); older ones
 * only allow the direct store. The check is resolved at load time.
 */
static __always_inline void task_set_vtime(struct task_struct *p, u64 vtime)
{
	if (bpf_ksym_exists(scx_bpf_task_set_dsq_vtime))
		scx_bpf_task_set_dsq_vtime(p, vtime);
	else
		p->scx.dsq_vtime = vtime;
}

static __always_inline struct cpu_ctx *cpu_ctx_of(s32 cpu)
{
	__u32 zero = 0;

	if (cpu < 0)
		return NULL;
	return bpf_map_lookup_percpu_elem(&cpu_ctxs, &zero, cpu);
}

static __always_inline struct cpu_ctx *this_cpu_ctx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_ctxs, &zero);
}

static __always_inline struct task_ctx *task_ctx_of(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

/*
 * Look the task up in the workers' tables again: osnicd registers a worker
 * after its thread exists and removes it while it may still run, so the
 * answer is refreshed at every wakeup, enqueue and sleep.
 */
static __always_inline struct task_ctx *task_refresh(struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx_of(p);
	struct osnic_worker_val *w;
	__u32 wid;

	if (!tctx) {
		stat_inc(&stats.no_task_ctx);
		return NULL;
	}
	wid = osnic_tid_worker(p->pid);
	tctx->wid = 0;
	tctx->svc = 0;
	if (!wid)
		return tctx;
	w = bpf_map_lookup_elem(&osnic_workers, &wid);
	if (w && w->service_id < OSNIC_MAX_SERVICES) {
		tctx->wid = wid;
		tctx->svc = w->service_id;
	}
	return tctx;
}

/*
 * Worker wid's trust record, reset when the worker id is reused (a new
 * generation): a new worker has served nothing of its new ring yet.
 */
static __always_inline struct worker_trust *worker_trust_of(__u32 wid)
{
	struct worker_trust *t = bpf_map_lookup_elem(&worker_trusts, &wid);
	struct osnic_worker_val *w = bpf_map_lookup_elem(&osnic_workers, &wid);

	if (!t || !w)
		return NULL;
	if (t->generation != w->generation) {
		t->generation = w->generation;
		t->served_pos = 0;
		t->budget.period_start = 0;
		t->budget.used_ns = 0;
	}
	return t;
}

/*
 * Bytes queued in worker wid's ring (whole lines, record headers
 * included), as far as BPF knows: what XDP delivered since the worker last
 * slept, lowered to what the ring's consumer position leaves queued. The
 * consumer position is the application's to write, so it can only lower
 * the estimate.
 */
static __always_inline u64 worker_queued(__u32 wid)
{
	void *ring = bpf_map_lookup_elem(&osnic_rings, &wid);
	struct worker_trust *t;
	u64 prod, avail, delivered;

	if (!ring)
		return 0;
	t = worker_trust_of(wid);
	if (!t)
		return 0;
	prod = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	/* Behind what was served: a new ring in the slot. */
	if ((s64)(prod - t->served_pos) < 0)
		t->served_pos = 0;
	delivered = prod - t->served_pos;
	if (avail > delivered) {
		stat_inc(&stats.pending_capped);
		return delivered;
	}
	return avail;
}

/* The worker went to sleep: everything delivered so far is served. */
static __always_inline void worker_served(__u32 wid)
{
	void *ring = bpf_map_lookup_elem(&osnic_rings, &wid);
	struct worker_trust *t;

	if (!ring)
		return;
	t = worker_trust_of(wid);
	if (t)
		t->served_pos = bpf_ringbuf_query(ring, BPF_RB_PROD_POS);
}

/* A new period starts PREF_PERIOD_NS after the last one began. */
static __always_inline void budget_roll(struct pref_budget *b, u64 now)
{
	if (now - b->period_start >= PREF_PERIOD_NS) {
		b->period_start = now;
		b->used_ns = 0;
	}
}

static __always_inline struct pref_budget *svc_budget_of(__u32 svc_id)
{
	if (!svc_id || svc_id >= OSNIC_MAX_SERVICES)
		return NULL;
	return &svc_budget[svc_id & (SVC_SLOTS - 1)];
}

/*
 * Whether the worker and its service still have preferred time left this
 * period; running_ns is what the worker has run since it started, when it
 * is on a CPU now (not charged yet).
 */
static __always_inline bool worker_budget_left(const struct task_ctx *tctx, u64 running_ns)
{
	struct worker_trust *t = worker_trust_of(tctx->wid);
	struct pref_budget *sb = svc_budget_of(tctx->svc);
	u64 now = bpf_ktime_get_ns();

	if (!t || !sb)
		return false;
	budget_roll(&t->budget, now);
	budget_roll(sb, now);
	if (t->budget.used_ns + running_ns >= PREF_BUDGET_NS ||
	    sb->used_ns + running_ns >= PREF_BUDGET_NS * scx_bpf_nr_cpu_ids()) {
		stat_inc(&stats.budget_spent);
		return false;
	}
	return true;
}

/* A run that started preferred is charged to the worker and its service. */
static __always_inline void worker_charge(const struct task_ctx *tctx, __u32 svc_id, u64 ns)
{
	struct worker_trust *t = worker_trust_of(tctx->wid);
	struct pref_budget *sb = svc_budget_of(svc_id);

	if (t)
		__sync_fetch_and_add(&t->budget.used_ns, ns);
	if (sb)
		__sync_fetch_and_add(&sb->used_ns, ns);
}

/*
 * Whether the worker comes first: calls pending (as BPF counts them) and
 * budget left. running_ns as for worker_budget_left().
 */
static __always_inline bool worker_preferred(const struct task_ctx *tctx, u64 running_ns)
{
	return tctx && tctx->wid && worker_queued(tctx->wid) > 0 &&
	       worker_budget_left(tctx, running_ns);
}

/* For steering: the worker's state, and its service's sets of sleeping workers. */
static __always_inline void worker_set_state(__u32 wid, __u32 state, s32 cpu)
{
	osnic_worker_sched_set(wid, state, cpu);
	stat_inc(&stats.worker_state_updates);
}

static __always_inline struct osnic_service_val *service_of(__u32 svc_id)
{
	if (!svc_id || svc_id >= OSNIC_MAX_SERVICES)
		return NULL;
	return bpf_map_lookup_elem(&osnic_services, &svc_id);
}

/* The svc_running slot of a service; the mask keeps the verifier convinced. */
static __always_inline __s32 *svc_running_slot(__u32 svc_id)
{
	if (!svc_id || svc_id >= OSNIC_MAX_SERVICES)
		return NULL;
	return &svc_running[svc_id & (SVC_SLOTS - 1)];
}

static __always_inline s32 svc_running_now(__u32 svc_id)
{
	__s32 *slot = svc_running_slot(svc_id);

	return slot ? *(volatile __s32 *)slot : 0;
}

/*
 * Whether service svc_id holds all the CPUs it may (max_cpus, 0: no
 * limit), not counting `leaving` of its workers that are about to give
 * theirs up.
 */
static __always_inline bool svc_at_limit(__u32 svc_id, s32 leaving)
{
	struct osnic_service_val *svc = service_of(svc_id);

	if (!svc || !svc->max_cpus)
		return false;
	return svc_running_now(svc_id) - leaving >= (s32)svc->max_cpus;
}

static __always_inline void task_set_slice(struct task_struct *p, u64 slice)
{
	if (bpf_ksym_exists(scx_bpf_task_set_slice))
		scx_bpf_task_set_slice(p, slice);
	else
		p->scx.slice = slice;
}

/* How many workers' rings svc_backlog_lines() looks at, at most. */
#define BACKLOG_SAMPLES 4

/*
 * Lines queued in all the workers' rings of a service, at a cost that does
 * not grow with its workers (it runs at every enqueue of a preferred
 * worker that finds no idle CPU): counted for a service of up to
 * BACKLOG_SAMPLES workers; for a larger one estimated from worker wid's
 * ring (the one waiting) and BACKLOG_SAMPLES - 1 others taken at random,
 * scaled to the service.
 */
static __always_inline u64 svc_backlog_lines(const struct osnic_service_val *svc, __u32 svc_id,
					     __u32 wid)
{
	u32 n = svc->nworkers, i, id;
	u64 bytes = 0;

	if (n > OSNIC_MAX_SVC_WORKERS)
		n = OSNIC_MAX_SVC_WORKERS;
	if (n <= BACKLOG_SAMPLES) {
		for (i = 0; i < BACKLOG_SAMPLES && i < n; i++) {
			id = osnic_svc_worker_at(svc, svc_id, i);
			if (id)
				bytes += worker_queued(id);
		}
		return bytes / OSNIC_LINE;
	}
	bytes = worker_queued(wid);
	for (i = 1; i < BACKLOG_SAMPLES; i++) {
		id = osnic_svc_worker_at(svc, svc_id, ((u64)bpf_get_prandom_u32() * n) >> 32);
		if (id)
			bytes += worker_queued(id);
	}
	return bytes * n / BACKLOG_SAMPLES / OSNIC_LINE;
}

/*
 * A CPU that runs ordinary user work, that p may run on and that was not
 * kicked already, scanning from start; -1 if there is none.
 */
static __always_inline s32 pick_user_cpu(struct task_struct *p, s32 start)
{
	u32 nr = scx_bpf_nr_cpu_ids();
	u32 i;

	if (start < 0 || (u32)start >= nr)
		start = 0;
	bpf_for(i, 0, nr) {
		s32 cpu = (start + i) % nr;
		struct cpu_ctx *c = cpu_ctx_of(cpu);

		if (c && c->runs == CPU_RUNS_USER && !c->kick_pending &&
		    bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			return cpu;
	}
	return -1;
}

/* Work-conserving: wake an idle CPU p may run on for the task just queued. */
static __always_inline bool kick_idle_cpu(struct task_struct *p)
{
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);

	if (cpu < 0)
		return false;
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	stat_inc(&stats.idle_kicks);
	return true;
}

/*
 * Worker p waits in the priority queue. If its service is backlogged (half
 * its depth) and holds fewer CPUs than its limit, preempt a CPU running
 * ordinary user work so that it takes the worker.
 */
static __always_inline void backlog_feedback(struct task_struct *p, const struct task_ctx *tctx)
{
	struct osnic_service_val *svc = service_of(tctx->svc);
	struct cpu_ctx *c;
	u64 backlog, depth;
	s32 cpu;

	if (!svc || !svc->depth_lines || !svc->nworkers)
		return;
	backlog = svc_backlog_lines(svc, tctx->svc, tctx->wid);
	depth = (u64)svc->depth_lines * svc->nworkers;
	if (backlog * 2 < depth)
		return;
	stat_inc(&stats.backlog_high);
	if (svc_at_limit(tctx->svc, 0) ||
	    (!svc->max_cpus && svc_running_now(tctx->svc) >= (s32)scx_bpf_nr_cpu_ids()))
		return;
	cpu = pick_user_cpu(p, scx_bpf_task_cpu(p));
	c = cpu_ctx_of(cpu);
	if (!c)
		return;
	c->kick_pending = 1;
	scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	stat_inc(&stats.kicks);
}

/*
 * Where a worker woken with pending calls goes first: the CPU that received
 * its last call, unless that CPU runs another worker or the service holds
 * its CPU limit. Idle, it takes the worker at once; running ordinary user
 * work, that work is preempted. Running a kernel thread or a task of a
 * higher class (the softirq's RT sender, say), which sched_ext cannot
 * preempt, it gets the worker first in line: the ordinary task that class
 * preempted waits behind it. -1: no such placement.
 */
static __always_inline s32 worker_place_rx_cpu(struct task_struct *p, const struct task_ctx *tctx)
{
	struct osnic_worker_rx *rx;
	struct cpu_ctx *c;
	__u32 wid = tctx->wid;
	s32 cpu;

	rx = bpf_map_lookup_elem(&osnic_worker_rx, &wid);
	if (!rx || !rx->last_rx_ns)
		return -1;
	cpu = rx->last_rx_cpu;
	if ((u32)cpu >= scx_bpf_nr_cpu_ids() || !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		return -1;
	if (scx_bpf_test_and_clear_cpu_idle(cpu)) {
		/* The local DSQ of the CPU select_cpu returns; ops.enqueue is skipped. */
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, WORKER_SLICE, 0);
	} else {
		c = cpu_ctx_of(cpu);
		if (!c || c->runs == CPU_RUNS_WORKER || svc_at_limit(tctx->svc, 0))
			return -1;
		if (c->runs == CPU_RUNS_KERNEL) {
			/* A kernel thread (ksoftirqd, say) is short: next in line, no preemption. */
			stat_inc(&stats.worker_rx_head);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, WORKER_SLICE, SCX_ENQ_HEAD);
			goto placed;
		}
		/*
		 * ENQ_PREEMPT puts it at the head of the local DSQ and ends the
		 * slice of the sched_ext task on the CPU, if one runs. Nothing
		 * of ours runs between two tasks or under another class.
		 */
		if (c->runs == CPU_RUNS_USER)
			stat_inc(&stats.worker_rx_preempts);
		else
			stat_inc(&stats.worker_rx_head);
		c->kick_pending = 1;
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, WORKER_SLICE, SCX_ENQ_PREEMPT);
	}
placed:
	stat_inc(&stats.local_direct);
	stat_inc(&stats.worker_placed_rx_cpu);
	return cpu;
}

s32 BPF_STRUCT_OPS(osnic_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = task_refresh(p);
	bool pending = worker_preferred(tctx, 0);
	bool is_idle = false;
	s32 cpu;

	stat_inc(&stats.select_cpu);
	if (pending) {
		cpu = worker_place_rx_cpu(p, tctx);
		if (cpu >= 0)
			return cpu;
	}
	/* Else an idle CPU near where it ran; else where it ran (ops.enqueue decides). */
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		/* ops.enqueue is skipped for a task inserted here. */
		stat_inc(&stats.local_direct);
		if (pending)
			stat_inc(&stats.worker_placed_idle);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, pending ? WORKER_SLICE : SCX_SLICE_DFL, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(osnic_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = task_refresh(p);
	u64 vtime = p->scx.dsq_vtime;

	stat_inc(&stats.enqueued);
	/*
	 * A per-CPU kernel thread (ksoftirqd, a per-CPU kworker) can run
	 * nowhere else, is short, and is often what delivers the next calls:
	 * it goes first on its CPU, as in scx_central, not behind a hog's slice.
	 */
	if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
		stat_inc(&stats.kthread_local);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, WORKER_SLICE, enq_flags | SCX_ENQ_PREEMPT);
		return;
	}
	if (worker_preferred(tctx, 0)) {
		stat_inc(&stats.worker_enqueued);
		scx_bpf_dsq_insert(p, PRIO_DSQ, WORKER_SLICE, enq_flags);
		if (!kick_idle_cpu(p))
			backlog_feedback(p, tctx);
		return;
	}
	if (vtime_before(vtime, vtime_now - SCX_SLICE_DFL))
		vtime = vtime_now - SCX_SLICE_DFL;
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime, enq_flags);
	kick_idle_cpu(p);
}

/*
 * Move the first worker of the priority queue that may run on this CPU to
 * it. With respect_limit, workers whose service holds its CPU limit are
 * passed over; prev_svc is the service of the worker that leaves this CPU
 * if another task is dispatched (0: none), which frees one of its CPUs.
 */
static __always_inline bool dispatch_worker(s32 cpu, bool respect_limit, __u32 prev_svc)
{
	struct task_struct *p;
	bool deferred = false;

	bpf_for_each(scx_dsq, p, PRIO_DSQ, 0) {
		struct task_ctx *tctx;

		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (respect_limit) {
			tctx = task_ctx_of(p);
			if (tctx && svc_at_limit(tctx->svc, tctx->svc == prev_svc)) {
				deferred = true;
				continue;
			}
		}
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			stat_inc(&stats.worker_dispatches);
			if (!respect_limit)
				stat_inc(&stats.limit_overrides);
			return true;
		}
	}
	if (deferred)
		stat_inc(&stats.limit_deferrals);
	return false;
}

static __always_inline bool dispatch_shared(struct cpu_ctx *c)
{
	bool moved = scx_bpf_dsq_move_to_local(SHARED_DSQ);

	if (c)
		c->shared_served_ns = bpf_ktime_get_ns();
	if (moved)
		stat_inc(&stats.dispatched);
	return moved;
}

/*
 * ops.dispatch runs before prev (whose slice ended) is queued again: a
 * worker that still has calls pending keeps its CPU, with a new slice,
 * unless its service is over its limit or its budget is spent (counting
 * the run so far, not charged before it stops). Other workers waiting in
 * the priority queue were served first.
 */
static __always_inline bool worker_keeps_cpu(struct task_struct *prev, struct task_ctx *ptctx)
{
	if (!prev || !(prev->scx.flags & SCX_TASK_QUEUED) || !ptctx ||
	    svc_at_limit(ptctx->running_svc, 1) ||
	    !worker_preferred(ptctx, bpf_ktime_get_ns() - ptctx->started_ns))
		return false;
	task_set_slice(prev, WORKER_SLICE);
	/* From here on the run is preferred: charged to the budget when it stops. */
	ptctx->pref_run = 1;
	stat_inc(&stats.worker_kept);
	return true;
}

void BPF_STRUCT_OPS(osnic_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_ctx *ptctx = prev ? task_ctx_of(prev) : NULL;
	__u32 prev_svc = ptctx ? ptctx->running_svc : 0;
	struct cpu_ctx *c = this_cpu_ctx();

	if (c && scx_bpf_dsq_nr_queued(SHARED_DSQ) > 0 &&
	    bpf_ktime_get_ns() - c->shared_served_ns > STARVE_NS && dispatch_shared(c)) {
		stat_inc(&stats.starved_shared);
		return;
	}
	if (dispatch_worker(cpu, true, prev_svc))
		return;
	if (worker_keeps_cpu(prev, ptctx))
		return;
	if (dispatch_shared(c))
		return;
	/* Nothing else waits: a service over its limit may use this CPU. */
	if (dispatch_worker(cpu, false, prev_svc))
		return;
	stat_inc(&stats.dispatch_empty);
}

/* Whether a worker in the priority queue could take this CPU now. */
static __always_inline bool worker_waits_for(s32 cpu)
{
	struct task_struct *p;

	bpf_for_each(scx_dsq, p, PRIO_DSQ, 0) {
		struct task_ctx *tctx = task_ctx_of(p);

		if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr) &&
		    !(tctx && svc_at_limit(tctx->svc, 0)))
			return true;
	}
	return false;
}

/*
 * Workers with pending calls come before everything else, also where no
 * kick preempted for them: at the tick, a CPU running ordinary user work
 * while a worker that may run there waits in the priority queue ends that
 * work's slice, and ops.dispatch hands the CPU to the worker. A waiting
 * worker thus waits at most a tick, not the rest of a 20 ms slice.
 */
void BPF_STRUCT_OPS(osnic_tick, struct task_struct *p)
{
	struct cpu_ctx *c = this_cpu_ctx();

	if (!c || c->runs != CPU_RUNS_USER || !scx_bpf_dsq_nr_queued(PRIO_DSQ) ||
	    !worker_waits_for(scx_bpf_task_cpu(p)))
		return;
	task_set_slice(p, 0);
	stat_inc(&stats.tick_yields);
}

void BPF_STRUCT_OPS(osnic_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = task_refresh(p);

	if (enq_flags & SCX_ENQ_WAKEUP)
		stat_inc(&stats.wakeups);
	if (tctx && tctx->wid)
		worker_set_state(tctx->wid, OSNIC_WS_RUNNABLE, -1);
}

void BPF_STRUCT_OPS(osnic_running, struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx_of(p);
	struct cpu_ctx *c = this_cpu_ctx();
	u32 runs = p->flags & PF_KTHREAD ? CPU_RUNS_KERNEL : CPU_RUNS_USER;

	stat_inc(&stats.running);
	/* Racy across CPUs, like scx_simple: a lagging vtime_now only loosens the cap. */
	if (vtime_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;
	if (tctx) {
		tctx->started_ns = bpf_ktime_get_ns();
		if (tctx->wid) {
			__s32 *slot = svc_running_slot(tctx->svc);

			runs = CPU_RUNS_WORKER;
			tctx->pref_run = worker_preferred(tctx, 0);
			if (slot) {
				__sync_fetch_and_add(slot, 1);
				tctx->running_svc = tctx->svc;
			}
			worker_set_state(tctx->wid, OSNIC_WS_RUNNING, scx_bpf_task_cpu(p));
		}
	}
	if (c) {
		c->runs = runs;
		c->kick_pending = 0;
	}
}

void BPF_STRUCT_OPS(osnic_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = task_ctx_of(p);
	struct cpu_ctx *c = this_cpu_ctx();
	u64 used = SCX_SLICE_DFL;
	bool preferred = false;
	__s32 *slot;

	if (c)
		c->runs = CPU_RUNS_NOTHING;
	if (tctx) {
		used = bpf_ktime_get_ns() - tctx->started_ns;
		preferred = tctx->pref_run;
		if (preferred)
			worker_charge(tctx, tctx->running_svc, used);
		tctx->pref_run = 0;
		slot = svc_running_slot(tctx->running_svc);
		if (slot)
			__sync_fetch_and_add(slot, -1);
		tctx->running_svc = 0;
		if (tctx->wid && runnable)
			worker_set_state(tctx->wid, OSNIC_WS_RUNNABLE, -1);
	}
	/* Weight 100 is nice 0; heavier tasks age more slowly. */
	if (!preferred)
		task_set_vtime(p, p->scx.dsq_vtime + used * 100 / p->scx.weight);
}

void BPF_STRUCT_OPS(osnic_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx;

	/* Only a real sleep: a dequeue to change the task's properties is not one. */
	if (!(deq_flags & SCX_DEQ_SLEEP))
		return;
	/*
	 * Looked up again: a thread registered as a worker while it ran has
	 * had no wakeup since, and would stay unknown (never steered to)
	 * until its next one.
	 */
	tctx = task_refresh(p);
	if (tctx && tctx->wid) {
		worker_served(tctx->wid);
		worker_set_state(tctx->wid, OSNIC_WS_SLEEPING, -1);
	}
}

s32 BPF_STRUCT_OPS(osnic_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -12; /* -ENOMEM */
	return 0;
}

void BPF_STRUCT_OPS(osnic_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ctx *tctx = task_ctx_of(p);

	/*
	 * A worker that exits is nobody's to steer to any more. When the
	 * scheduler is merely disabled, the states stay: the fallback feed
	 * takes over from them.
	 */
	if (tctx && tctx->wid && (p->flags & PF_EXITING))
		worker_set_state(tctx->wid, OSNIC_WS_UNKNOWN, -1);
}

void BPF_STRUCT_OPS(osnic_enable, struct task_struct *p)
{
	stat_inc(&stats.enabled_tasks);
	task_set_vtime(p, vtime_now);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(osnic_init)
{
	s32 err;

	err = scx_bpf_create_dsq(SHARED_DSQ, -1);
	if (err)
		return err;
	return scx_bpf_create_dsq(PRIO_DSQ, -1);
}

void BPF_STRUCT_OPS(osnic_exit, struct scx_exit_info *ei)
{
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
	exit_info.exit_code = ei->exit_code;
	/* Publish last: user space trusts the strings once kind is set. */
	__sync_val_compare_and_swap(&exit_info.kind, 0, ei->kind);
}

/* clang-format off */
SEC(".struct_ops.link")
struct sched_ext_ops osnic_ops = {
	.select_cpu	= (void *)osnic_select_cpu,
	.enqueue	= (void *)osnic_enqueue,
	.dispatch	= (void *)osnic_dispatch,
	.tick		= (void *)osnic_tick,
	.runnable	= (void *)osnic_runnable,
	.running	= (void *)osnic_running,
	.stopping	= (void *)osnic_stopping,
	.quiescent	= (void *)osnic_quiescent,
	.init_task	= (void *)osnic_init_task,
	.exit_task	= (void *)osnic_exit_task,
	.enable		= (void *)osnic_enable,
	.init		= (void *)osnic_init,
	.exit		= (void *)osnic_exit,
	.timeout_ms	= WATCHDOG_MS,
	.name		= OSNIC_SCHED_NAME,
};
/* clang-format on */
