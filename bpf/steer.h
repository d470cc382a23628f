/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steering: which worker of a service gets a call (DESIGN.md, receive path
 * step 4). The scheduler tells XDP, through osnic_worker_sched, which
 * workers sleep and where they last ran; the rings tell how much each has
 * queued. In order of preference:
 *
 *  1. a sleeping worker that last ran on this CPU: its wake-up is local and
 *     its cache is warm;
 *  2. any sleeping worker: a wake-up beats queueing behind a busy one;
 *  3. the worker with the least queued data (join the shortest queue).
 *
 * A worker whose ring holds service->depth_lines lines or more is never
 * chosen: that bound is what keeps admitted calls' latency bounded under
 * overload. Slots that do not belong to the service (stale after a worker
 * left) or have no ring yet are skipped. The scheduler state is a hint
 * written by another program; a stale one costs a worse choice, never a
 * wrong delivery.
 */
#ifndef OSNIC_BPF_STEER_H
#define OSNIC_BPF_STEER_H

#include "bpf_defs.h"
#include "maps.h"

/*
 * Returns the chosen worker id, or 0 when every worker is full or absent.
 * *idle says whether the choice was a sleeping worker; *full, when 0 is
 * returned, whether a live worker was passed over for a full ring (the
 * call is refused for overload, not for want of workers).
 */
static __always_inline __u32 steer_pick_worker(const struct osnic_service_val *svc, __u32 svc_id,
					       bool *idle, bool *full)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 depth = svc->depth_lines;
	__u32 sleeping = 0, shortest = 0;
	__u64 shortest_bytes = ~0ULL;

	osnic_for_each_svc_worker(svc, svc_id, id) {
		struct osnic_worker_sched *ws;
		__u64 queued;
		void *ring;

		ring = bpf_map_lookup_elem(&osnic_rings, &id);
		if (!ring)
			continue;
		/* Records are whole lines, header included. */
		queued = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
		if (queued / OSNIC_LINE >= depth) {
			*full = true;
			continue;
		}
		ws = bpf_map_lookup_elem(&osnic_worker_sched, &id);
		if (ws && ws->state == OSNIC_WS_SLEEPING) {
			if (ws->cpu == cpu) {
				*idle = true;
				return id;
			}
			if (!sleeping)
				sleeping = id;
			continue;
		}
		if (queued < shortest_bytes) {
			shortest_bytes = queued;
			shortest = id;
		}
	}
	*idle = sleeping != 0;
	return sleeping ? sleeping : shortest;
}

#endif /* OSNIC_BPF_STEER_H */
