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
 */
struct osnic_sched_stats {
	__u64 select_cpu;	/* ops.select_cpu calls (wakeups on multi-CPU tasks) */
	__u64 local_direct;	/* placed at wakeup straight into a CPU's local DSQ */
	__u64 enqueued;		/* ops.enqueue calls: into the shared or priority DSQ */
	__u64 dispatched;	/* tasks moved from the shared DSQ to a local DSQ */
	__u64 dispatch_empty;	/* ops.dispatch found nothing to run */
	__u64 wakeups;		/* ops.runnable with SCX_ENQ_WAKEUP */
	__u64 running;		/* ops.running: a task started running on a CPU */
	__u64 enabled_tasks;	/* ops.enable: tasks that entered the scheduler */
	/* osnic workers (threads in osnic_worker_tids) */
	__u64 worker_state_updates;	/* writes to osnic_worker_sched */
	__u64 worker_placed_rx_cpu;	/* woken onto the CPU that received their call */
	__u64 worker_rx_preempts;	/* ... there preempting ordinary user work */
	__u64 worker_rx_head;	/* ... there first in line behind a kthread or RT task */
	__u64 worker_placed_idle;	/* with pending calls, onto another idle CPU */
	__u64 worker_enqueued;		/* with pending calls, into the priority DSQ */
	__u64 worker_dispatches;	/* moved from the priority DSQ to a local DSQ */
	__u64 worker_kept;	/* pending calls at the end of its slice: kept its CPU */
	__u64 backlog_high;	/* a waiting worker's service had half its depth queued */
	__u64 kicks;		/* CPUs running user work preempted for a backlog */
	__u64 tick_yields;	/* user work's slice ended at a tick: workers waited */
	__u64 idle_kicks;	/* idle CPUs woken for a newly queued task */
	__u64 kthread_local;	/* per-CPU kernel threads run first on their CPU */
	__u64 limit_deferrals;	/* dispatches that passed over workers at their limit */
	__u64 limit_overrides;	/* workers run over their limit: nothing else waited */
	__u64 starved_shared;	/* the shared DSQ served first after waiting too long */
	__u64 no_task_ctx;	/* a task without its context (task storage): not seen as a worker */
	__u64 pending_capped;	/* a ring's consumer position claimed more queued than was
				 * delivered since the worker last slept: not believed */
	__u64 budget_spent;	/* a worker with calls pending had used its preferred time
				 * of the period: scheduled as ordinary work */
};

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
