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

/*
 * For each live worker of service svc_id (svc its osnic_services entry): id
 * takes the worker ids of svc->workers[0, nworkers), stale slots skipped.
 * nworkers is read once; continue and break work as in a for loop.
 */
#define osnic_for_each_svc_worker(svc, svc_id, id)                                    \
	for (__u32 __osnic_i = 0, __osnic_n = (svc)->nworkers, id;                    \
	     __osnic_i < OSNIC_MAX_SVC_WORKERS && __osnic_i < __osnic_n; __osnic_i++) \
		if (!(id = osnic_svc_worker_at((svc), (svc_id), __osnic_i))) {        \
		} else

#endif /* OSNIC_BPF_MAPS_SHARED_H */
