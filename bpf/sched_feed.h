/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The scheduler-state feed without sched_ext (DESIGN.md, "Scheduling"): on
 * kernels without CONFIG_SCHED_CLASS_EXT the kernel's own scheduler runs
 * the workers, and these tracepoint programs keep osnic_worker_sched (and
 * the idle sets) the way the osnic scheduler would, for XDP's steering:
 *
 *  - sched_switch: the task switched out sleeps when it blocked (it left
 *    with a non-zero state and was not preempted), else it stays runnable
 *    (or, when it exited, is unknown again); the task switched in runs, on
 *    this CPU;
 *  - sched_wakeup, sched_wakeup_new: the woken task is runnable.
 *
 * A worker that sleeps is also in its service's sets of sleeping workers
 * (osnic_svc_idle, and osnic_svc_idle_cpu of the CPU it switched out on)
 * until it leaves that state (osnic_worker_sched_set, maps_shared.h).
 *
 * Only threads registered in osnic_worker_tids are tracked. "Sleeping"
 * therefore means what steering needs: the worker is really blocked
 * (waiting on its ring) and a call for it wakes it up.
 *
 * Included by the object that carries these programs (the XDP object, where
 * they share its maps; a test object), whose loader attaches them. They are
 * global, with osnic_feed_ names: libbpf 1.4 refuses static entry points.
 */
#ifndef OSNIC_BPF_SCHED_FEED_H
#define OSNIC_BPF_SCHED_FEED_H

#include "maps_shared.h"
#include <bpf/bpf_tracing.h>

static __always_inline void sched_feed_set(__u32 tid, __u32 state, bool here)
{
	__u32 wid = osnic_tid_worker(tid);

	if (wid)
		osnic_worker_sched_set(wid, state, here ? (__s32)bpf_get_smp_processor_id() : -1);
}

/* include/linux/sched.h: the state of a task's last switch-out. */
#define OSNIC_TASK_DEAD 0x80

/* What the task switched out becomes. */
static __always_inline __u32 sched_feed_prev_state(bool preempt, unsigned int prev_state)
{
	/*
	 * __schedule() resets prev_state to TASK_RUNNING when a signal
	 * cancelled the sleep; a preempted task stays runnable whatever its
	 * state says; a dead one is no longer anybody's worker.
	 */
	if (preempt || !prev_state)
		return OSNIC_WS_RUNNABLE;
	if (prev_state & OSNIC_TASK_DEAD)
		return OSNIC_WS_UNKNOWN;
	return OSNIC_WS_SLEEPING;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(osnic_feed_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	if (prev->pid)
		sched_feed_set(prev->pid, sched_feed_prev_state(preempt, prev_state), true);
	if (next->pid)
		sched_feed_set(next->pid, OSNIC_WS_RUNNING, true);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(osnic_feed_wakeup, struct task_struct *p)
{
	sched_feed_set(p->pid, OSNIC_WS_RUNNABLE, false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(osnic_feed_wakeup_new, struct task_struct *p)
{
	sched_feed_set(p->pid, OSNIC_WS_RUNNABLE, false);
	return 0;
}

#endif /* OSNIC_BPF_SCHED_FEED_H */
