/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnic sched_ext scheduler: the layouts shared by the BPF scheduler
 * (sched_ext/osnic_sched.bpf.c) and user space (loader/sched.c). This header
 * is their single definition.
 *
 * BPF code includes it after vmlinux.h (which provides the __u* types);
 * user space gets them from <linux/types.h>.
 */
#ifndef OSNIC_SCHED_H
#define OSNIC_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The name the kernel shows in /sys/kernel/sched_ext/root/ops. */
#define OSNIC_SCHED_NAME "osnic"

/*
 * Event counters, kept by the scheduler in its .bss (one global copy,
 * updated with atomic adds) and read by user space through the mmapped map.
 * Written once, as X(name) per counter in struct order: the struct, the
 * names user space prints (lib/ctl.c, osnic-sched) and OSNIC_A_SCHED_STATS
 * (field n as type n + 1) all follow this list. New counters go at the end.
 */
/* clang-format off */
#define OSNIC_SCHED_STAT_LIST(X)						\
	X(select_cpu)		/* ops.select_cpu calls (wakeups on multi-CPU tasks) */ \
	X(local_direct)		/* placed at wakeup straight into a CPU's local DSQ */ \
	X(enqueued)		/* ops.enqueue calls: into the shared or priority DSQ */ \
	X(dispatched)		/* tasks moved from the shared DSQ to a local DSQ */ \
	X(dispatch_empty)	/* ops.dispatch found nothing to run */	\
	X(wakeups)		/* ops.runnable with SCX_ENQ_WAKEUP */	\
	X(running)		/* ops.running: a task started running on a CPU */ \
	X(enabled_tasks)	/* ops.enable: tasks that entered the scheduler */ \
	/* osnic workers (threads in osnic_worker_tids) */			\
	X(worker_state_updates)	/* writes to osnic_worker_sched */	\
	X(worker_placed_rx_cpu)	/* woken onto the CPU that received their call */ \
	X(worker_rx_preempts)	/* ... there preempting ordinary user work */ \
	X(worker_rx_head)	/* ... there first in line behind a kthread or RT task */ \
	X(worker_placed_idle)	/* with pending calls, onto another idle CPU */ \
	X(worker_enqueued)	/* with pending calls, into the priority DSQ */ \
	X(worker_dispatches)	/* moved from the priority DSQ to a local DSQ */ \
	X(worker_kept)		/* pending calls at the end of its slice: kept its CPU */ \
	X(backlog_high)		/* a waiting worker's service had half its depth queued */ \
	X(kicks)		/* CPUs running user work preempted for a backlog */ \
	X(tick_yields)		/* user work's slice ended at a tick: workers waited */ \
	X(idle_kicks)		/* idle CPUs woken for a newly queued task */ \
	X(kthread_local)	/* per-CPU kernel threads run first on their CPU */ \
	X(limit_deferrals)	/* dispatches that passed over workers at their limit */ \
	X(limit_overrides)	/* workers run over their limit: nothing else waited */ \
	X(starved_shared)	/* the shared DSQ served first after waiting too long */ \
	X(no_task_ctx)		/* a task without its context (task storage): not seen as a worker */ \
	X(pending_capped)	/* a ring's consumer position claimed more queued than was \
				 * delivered since the worker last slept: not believed */ \
	X(budget_spent)		/* a worker with calls pending had used its preferred time \
				 * of the period: scheduled as ordinary work */
/* clang-format on */

#define OSNIC__SCHED_STAT_FIELD(name) __u64 name;
struct osnic_sched_stats {
	OSNIC_SCHED_STAT_LIST(OSNIC__SCHED_STAT_FIELD)
};
#undef OSNIC__SCHED_STAT_FIELD

/* How many counters OSNIC_SCHED_STAT_LIST has. */
#define OSNIC__SCHED_STAT_ONE(name) +1
#define OSNIC_SCHED_NSTATS (0 OSNIC_SCHED_STAT_LIST(OSNIC__SCHED_STAT_ONE))
_Static_assert(sizeof(struct osnic_sched_stats) == OSNIC_SCHED_NSTATS * sizeof(__u64),
	       "struct osnic_sched_stats holds only the counters of OSNIC_SCHED_STAT_LIST");

/* Lengths of the kernel's scx_exit_info strings (SCX_EXIT_REASON_LEN, SCX_EXIT_MSG_LEN). */
#define OSNIC_SCHED_EXIT_REASON_LEN 128
#define OSNIC_SCHED_EXIT_MSG_LEN 1024

/*
 * Values of the kernel's enum scx_exit_kind (the ones we name; the numbers
 * are what sched_ext reports and are stable across kernels). Everything at
 * or above OSNIC_SCHED_EXIT_ERROR means the kernel ejected the scheduler.
 */
#define OSNIC_SCHED_EXIT_NONE 0
#define OSNIC_SCHED_EXIT_DONE 1
#define OSNIC_SCHED_EXIT_UNREG 64		/* user space detached it */
#define OSNIC_SCHED_EXIT_UNREG_BPF 65		/* the scheduler asked to exit */
#define OSNIC_SCHED_EXIT_UNREG_KERN 66		/* the kernel unregistered it */
#define OSNIC_SCHED_EXIT_SYSRQ 67		/* SysRq-S */
#define OSNIC_SCHED_EXIT_ERROR 1024		/* runtime error, see msg */
#define OSNIC_SCHED_EXIT_ERROR_BPF 1025		/* scx_bpf_error() */
#define OSNIC_SCHED_EXIT_ERROR_STALL 1026	/* watchdog: runnable task stalled */

/*
 * Why the scheduler exited, copied from struct scx_exit_info in ops.exit.
 * The BPF side writes the strings and exit_code first and publishes kind
 * last, so a non-zero kind read with acquire semantics means the rest is
 * complete. kind is 64 bits wide because BPF's compare-and-swap is.
 */
struct osnic_sched_exit_info {
	__s64 kind;		/* OSNIC_SCHED_EXIT_*, 0 while running */
	__s64 exit_code;	/* scx_bpf_exit() code, SCX_ECODE_* bits */
	char reason[OSNIC_SCHED_EXIT_REASON_LEN];
	char msg[OSNIC_SCHED_EXIT_MSG_LEN];
};

#endif /* OSNIC_SCHED_H */
