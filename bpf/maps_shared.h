/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps that more than one osnic BPF object uses: XDP's receive path,
 * the sched_ext scheduler and the sched_switch fallback (sched_feed.h). One
 * definition here, so that every object declares them identically and the
 * loaders can hand the same kernel map (pinned by osnicd under
 * OSNIC_PIN_DIR, one file per map name) to each of them with
 * bpf_map__reuse_fd(). The key and value layouts are in <osnic/abi.h>.
 *
 * Self-contained on purpose: it is compiled against the host's vmlinux.h
 * (XDP) and the sched_ext guest kernel's (the scheduler), and needs no other
 * osnic BPF header.
 */
#ifndef OSNIC_BPF_MAPS_SHARED_H
#define OSNIC_BPF_MAPS_SHARED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <osnic/abi.h>

/* ---- written by osnicd ---------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct osnic_service_val);
} osnic_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct osnic_worker_val);
} osnic_workers SEC(".maps");

/* Worker thread tid -> worker id: how the scheduler knows a worker. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, __u32);
} osnic_worker_tids SEC(".maps");

/*
 * One ring per worker id. Every inner ring must match this template
 * (RINGBUF of OSNIC_RING_BYTES); the kernel refuses others on insert.
 */
struct osnic_ring_tmpl {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OSNIC_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__array(values, struct osnic_ring_tmpl);
} osnic_rings SEC(".maps");

/* ---- written by XDP on delivery, read by the scheduler ------------------------ */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct osnic_worker_rx);
} osnic_worker_rx SEC(".maps");

/* ---- written by the scheduler (or sched_feed.h), read by XDP's steering ------ */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct osnic_worker_sched);
} osnic_worker_sched SEC(".maps");

/* Per service: the slots of its sleeping workers, all and per CPU slept on. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct osnic_svc_idle);
} osnic_svc_idle SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct osnic_svc_idle);
} osnic_svc_idle_cpu SEC(".maps");

/*
 * The worker id of thread tid, or 0 when it is not (or no longer) an osnic
 * worker: the tid entry must name a valid id whose slot is in use and still
 * belongs to that thread, so a stale entry after tid reuse is ignored.
 */
static __always_inline __u32 osnic_tid_worker(__u32 tid)
{
	struct osnic_worker_val *w;
	__u32 *wid, id;

	if (!tid)
		return 0;
	wid = bpf_map_lookup_elem(&osnic_worker_tids, &tid);
	if (!wid)
		return 0;
	id = *wid;
	if (!id || id >= OSNIC_MAX_WORKERS)
		return 0;
	w = bpf_map_lookup_elem(&osnic_workers, &id);
	if (!w || !w->service_id || w->tid != tid)
		return 0;
	return id;
}

/*
 * The worker id in slot i of a service's worker list, or 0 when the slot
 * is stale: its worker left, and the id is unused or serves another service.
 */
static __always_inline __u32 osnic_svc_worker_at(const struct osnic_service_val *svc, __u32 svc_id,
						 __u32 i)
{
	struct osnic_worker_val *w;
	__u32 id;

	if (i >= OSNIC_MAX_SVC_WORKERS)
		return 0;
	id = svc->workers[i];
	w = bpf_map_lookup_elem(&osnic_workers, &id);
	return w && w->service_id == svc_id ? id : 0;
}

_Static_assert(OSNIC_SVC_IDLE_WORDS && !(OSNIC_SVC_IDLE_WORDS & (OSNIC_SVC_IDLE_WORDS - 1)),
	       "OSNIC_MAX_SVC_WORKERS must be 64 times a power of 2");

/* The word of an idle set that holds slot's bit; the mask keeps the verifier convinced. */
#define osnic_idle_word(slot) (((slot) / 64) & (OSNIC_SVC_IDLE_WORDS - 1))
#define osnic_idle_bit(slot) (1ULL << ((slot) % 64))

/*
 * Set or clear slot's bit in service svc_id's idle sets: the service-wide
 * one and that of cpu. Set per CPU first and cleared there last, so that
 * the service-wide bit, which steering claims, never stands for a sleeper
 * the per-CPU set does not know of.
 */
static __always_inline void osnic_svc_idle_mark(__u32 svc_id, __u32 slot, __u32 cpu, bool sleeping)
{
	struct osnic_svc_idle *all = bpf_map_lookup_elem(&osnic_svc_idle, &svc_id);
	struct osnic_svc_idle *here = bpf_map_lookup_percpu_elem(&osnic_svc_idle_cpu, &svc_id, cpu);
	__u32 word = osnic_idle_word(slot);
	__u64 bit = osnic_idle_bit(slot);

	if (sleeping) {
		if (here)
			__sync_fetch_and_or(&here->bits[word], bit);
		if (all)
			__sync_fetch_and_or(&all->bits[word], bit);
	} else {
		if (all)
			__sync_fetch_and_and(&all->bits[word], ~bit);
		if (here)
			__sync_fetch_and_and(&here->bits[word], ~bit);
	}
}

/*
 * Record worker wid's scheduler state for steering: state, and cpu when it
 * is not negative (where it runs or last ran). A worker that goes to sleep
 * enters its service's idle sets (the CPU it last ran on); one that leaves
 * the sleeping state leaves them, on the CPU it entered them on. Constant
 * cost: one worker's bits, whatever the service's size.
 */
static __always_inline void osnic_worker_sched_set(__u32 wid, __u32 state, __s32 cpu)
{
	struct osnic_worker_sched *ws = bpf_map_lookup_elem(&osnic_worker_sched, &wid);
	struct osnic_worker_val *w = bpf_map_lookup_elem(&osnic_workers, &wid);
	__u32 old_state, old_cpu, svc_id, slot;

	if (!ws)
		return;
	old_state = ws->state;
	old_cpu = ws->cpu;
	ws->state = state;
	if (cpu >= 0)
		ws->cpu = cpu;
	ws->updated_ns = bpf_ktime_get_ns();
	if (!w)
		return;
	svc_id = w->service_id;
	slot = w->svc_slot;
	if (!svc_id || svc_id >= OSNIC_MAX_SERVICES || slot >= OSNIC_MAX_SVC_WORKERS)
		return;
	if (old_state == OSNIC_WS_SLEEPING && (state != OSNIC_WS_SLEEPING || ws->cpu != old_cpu))
		osnic_svc_idle_mark(svc_id, slot, old_cpu, false);
	if (state == OSNIC_WS_SLEEPING)
		osnic_svc_idle_mark(svc_id, slot, ws->cpu, true);
}

#endif /* OSNIC_BPF_MAPS_SHARED_H */
