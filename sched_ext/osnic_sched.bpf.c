// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic_sched: the osnic sched_ext scheduler, first version.
 *
 * Policy, in plain words: every task gets a fair share of the CPUs, by
 * virtual time. A task's virtual time (p->scx.dsq_vtime) advances while it
 * runs, by the part of its slice it used, scaled down by its weight, so
 * heavier (lower nice) tasks age more slowly. All queued tasks wait in one
 * shared dispatch queue (DSQ) ordered by virtual time; a CPU that needs work
 * takes the task with the smallest one.
 *
 * Two refinements keep this cheap and fair:
 * - On wakeup, the kernel's default CPU selection looks for an idle CPU near
 *   the task's previous one. If it finds one, the task goes straight to that
 *   CPU's local DSQ and skips the shared queue.
 * - A task that slept for a long time would come back with a virtual time far
 *   behind everyone else and hog the CPU until it caught up. Its credit is
 *   therefore capped at one slice: its virtual time is raised to at least
 *   vtime_now - slice, where vtime_now is the largest virtual time of any
 *   task that started running.
 *
 * This is the kernel's scx_simple in vtime mode. The osnic policy from
 * DESIGN.md (RPC workers placed on the CPU that received their call, backlog
 * driven preemption) builds on it later. Counters in .bss show what it did;
 * ops.exit copies the kernel's exit reason where user space can read it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <osnic/sched.h>

char _license[] SEC("license") = "GPL";

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* The one user DSQ; user DSQ ids have bit 63 clear. */
#define SHARED_DSQ 0

/* What the scheduler did, read by user space (loader/sched.c). */
struct osnic_sched_stats stats;

/* Why the scheduler exited, filled in by osnic_exit(). */
struct osnic_sched_exit_info exit_info;

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

s32 BPF_STRUCT_OPS(osnic_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	stat_inc(&stats.select_cpu);
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		/* ops.enqueue is skipped for a task inserted here. */
		stat_inc(&stats.local_direct);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(osnic_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 vtime = p->scx.dsq_vtime;

	stat_inc(&stats.enqueued);
	if (vtime_before(vtime, vtime_now - SCX_SLICE_DFL))
		vtime = vtime_now - SCX_SLICE_DFL;
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime, enq_flags);
}

void BPF_STRUCT_OPS(osnic_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scx_bpf_dsq_move_to_local(SHARED_DSQ))
		stat_inc(&stats.dispatched);
	else
		stat_inc(&stats.dispatch_empty);
}

void BPF_STRUCT_OPS(osnic_runnable, struct task_struct *p, u64 enq_flags)
{
	if (enq_flags & SCX_ENQ_WAKEUP)
		stat_inc(&stats.wakeups);
}

void BPF_STRUCT_OPS(osnic_running, struct task_struct *p)
{
	stat_inc(&stats.running);
	/* Racy across CPUs, like scx_simple: a lagging vtime_now only loosens the cap. */
	if (vtime_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(osnic_stopping, struct task_struct *p, bool runnable)
{
	u64 slice = p->scx.slice;
	u64 used = slice < SCX_SLICE_DFL ? SCX_SLICE_DFL - slice : 0;

	/* Weight 100 is nice 0; heavier tasks age more slowly. */
	task_set_vtime(p, p->scx.dsq_vtime + used * 100 / p->scx.weight);
}

void BPF_STRUCT_OPS(osnic_enable, struct task_struct *p)
{
	stat_inc(&stats.enabled_tasks);
	task_set_vtime(p, vtime_now);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(osnic_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
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
	.runnable	= (void *)osnic_runnable,
	.running	= (void *)osnic_running,
	.stopping	= (void *)osnic_stopping,
	.enable		= (void *)osnic_enable,
	.init		= (void *)osnic_init,
	.exit		= (void *)osnic_exit,
	.name		= OSNIC_SCHED_NAME,
};
/* clang-format on */
