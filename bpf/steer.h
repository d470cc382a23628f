/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steering: which worker of a service gets a call (DESIGN.md, receive path
 * step 4). In order of preference:
 *
 *  1. a sleeping worker that last ran on this CPU: its wake-up is local and
 *     its cache is warm;
 *  2. any sleeping worker: a wake-up beats queueing behind a busy one;
 *  3. the worker with the least queued data (join the shortest queue),
 *     approximated: the shorter of two workers taken at random (the power
 *     of two choices), or of two more when both are at their depth. A
 *     service of up to STEER_SAMPLES workers has them all compared.
 *
 * Every step costs the same whatever the number of workers (up to
 * OSNIC_MAX_SVC_WORKERS): steps 1 and 2 take the first bit of the
 * service's sets of sleeping workers (osnic_svc_idle_cpu for this CPU,
 * osnic_svc_idle for all), a fixed OSNIC_SVC_IDLE_WORDS words, which the
 * scheduler or its fallback feed keep (osnic_worker_sched_set). Taking a
 * sleeper clears its bit in the service-wide set atomically, and only the
 * CPU that cleared it has claimed it: calls that arrive together on several
 * CPUs wake several sleepers rather than pile onto one. The worker goes
 * back into the sets when it sleeps again. Each step tries a bounded number
 * of slots (STEER_CLAIMS, STEER_SAMPLES).
 *
 * A worker whose ring holds service->depth_lines lines or more is never
 * chosen: that bound is what keeps admitted calls' latency bounded under
 * overload. Slots that do not belong to the service (stale after a worker
 * left) or have no ring yet are skipped, and so are idle bits whose worker
 * does not sleep. The scheduler state is a hint written by other programs;
 * a stale one costs a worse choice, never a wrong delivery. When step 3
 * finds only workers at their depth, the call is refused as for a full
 * ring, even if a worker not sampled has room: the price of a bounded cost
 * under overload.
 */
#ifndef OSNIC_BPF_STEER_H
#define OSNIC_BPF_STEER_H

#include "bpf_defs.h"
#include "maps.h"

/* Sleepers taken out of one idle set per call, at most (stale bits are skipped). */
#define STEER_CLAIMS 2
/* Workers compared by step 3, at most; a service this small has them all compared. */
#define STEER_SAMPLES 4

/*
 * The index of the lowest bit set in x (not 0), branch-free: the lowest bit
 * times a de Bruijn sequence has a distinct top 6 bits for each bit index.
 */
/* clang-format off */
static const __u8 steer_debruijn_index[64] = {
	0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6,
};
/* clang-format on */

static __always_inline __u32 steer_lowbit(__u64 x)
{
	return steer_debruijn_index[((x & -x) * 0x03f79d71b4cb0a89ULL) >> 58];
}

/*
 * The worker in slot, if it can take a call: it belongs to the service and
 * has a ring under the depth (*queued: the bytes in it). 0 otherwise; *full
 * is set when that is for a full ring.
 */
static __always_inline __u32 steer_check(const struct osnic_service_val *svc, __u32 svc_id,
					 __u32 slot, __u64 *queued, bool *full)
{
	__u32 id = osnic_svc_worker_at(svc, svc_id, slot);
	void *ring;

	if (!id)
		return 0;
	ring = bpf_map_lookup_elem(&osnic_rings, &id);
	if (!ring)
		return 0;
	/* Records are whole lines, header included. */
	*queued = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	if (*queued / OSNIC_LINE >= svc->depth_lines) {
		*full = true;
		return 0;
	}
	return id;
}

/*
 * A sleeping worker taken from set (this CPU's, per_cpu, or the
 * service-wide one, all): the lowest slot whose bit is set, claimed by
 * clearing its bit in both. 0 when there is none, or none of the first STEER_CLAIMS was still
 * sleeping and able to take a call.
 */
static __always_inline __u32 steer_claim_sleeper(const struct osnic_service_val *svc, __u32 svc_id,
						 struct osnic_svc_idle *set,
						 struct osnic_svc_idle *all, bool per_cpu,
						 bool *full)
{
	struct osnic_worker_sched *ws;
	__u32 c, w, slot, id;
	__u64 bits, bit, was, queued;

	for (c = 0; c < STEER_CLAIMS; c++) {
		bits = 0;
		for (w = 0; w < OSNIC_SVC_IDLE_WORDS; w++) {
			bits = set->bits[w];
			if (bits)
				break;
		}
		if (!bits)
			return 0;
		w &= OSNIC_SVC_IDLE_WORDS - 1;
		slot = w * 64 + steer_lowbit(bits);
		bit = osnic_idle_bit(slot);
		if (per_cpu)
			__sync_fetch_and_and(&set->bits[w], ~bit);
		was = __sync_fetch_and_and(&all->bits[w], ~bit);
		/* Another CPU took it, or it woke up. */
		if (!(was & bit))
			continue;
		id = steer_check(svc, svc_id, slot, &queued, full);
		if (!id)
			continue;
		ws = bpf_map_lookup_elem(&osnic_worker_sched, &id);
		if (ws && ws->state == OSNIC_WS_SLEEPING)
			return id;
	}
	return 0;
}

/*
 * Returns the chosen worker id, or 0 when every worker tried is full or
 * absent. *idle says whether the choice was a sleeping worker; *full, when
 * 0 is returned, whether a live worker was passed over for a full ring (the
 * call is refused for overload, not for want of workers).
 */
static __always_inline __u32 steer_pick_worker(const struct osnic_service_val *svc, __u32 svc_id,
					       bool *idle, bool *full)
{
	struct osnic_svc_idle *all, *here;
	__u32 n = svc->nworkers, i, id, slot, best = 0, rnd = 0;
	__u64 queued, best_queued = ~0ULL;

	all = bpf_map_lookup_elem(&osnic_svc_idle, &svc_id);
	here = bpf_map_lookup_elem(&osnic_svc_idle_cpu, &svc_id);
	if (all && here) {
		id = steer_claim_sleeper(svc, svc_id, here, all, true, full);
		if (!id)
			id = steer_claim_sleeper(svc, svc_id, all, all, false, full);
		if (id) {
			*idle = true;
			return id;
		}
	}

	if (n > OSNIC_MAX_SVC_WORKERS)
		n = OSNIC_MAX_SVC_WORKERS;
	for (i = 0; i < STEER_SAMPLES; i++) {
		if (n <= STEER_SAMPLES) {
			if (i >= n)
				break;
			slot = i;
		} else {
			/* The shorter of two; two more only when both were at their depth. */
			if (i == 2 && best)
				break;
			if (!(i & 1))
				rnd = bpf_get_prandom_u32();
			slot = ((rnd & 0xffff) * n) >> 16;
			rnd >>= 16;
		}
		id = steer_check(svc, svc_id, slot, &queued, full);
		if (id && queued < best_queued) {
			best_queued = queued;
			best = id;
		}
	}
	return best;
}

#endif /* OSNIC_BPF_STEER_H */
