/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steering: which worker of a service gets a call (DESIGN.md, receive path
 * step 4). In order of preference:
 *
 *  1. a sleeping worker that last ran on this CPU: its wake-up is local and
 *     its cache is warm;
 *  2. any sleeping worker: a wake-up beats queueing behind a busy one;
 *  3. a short queue, found with locality: the worker this CPU gave the
 *     service's last call to (osnic_steer_last), as long as its ring has
 *     grown by fewer than steer_keep_lines() lines (a quarter of the depth,
 *     at most STEER_KEEP_LINES) since it was chosen; past that, the shorter
 *     of it and one worker taken at random (the power of two choices, with
 *     memory), or of two more random ones when both are at their depth. A
 *     service of up to STEER_SAMPLES workers has them all compared instead
 *     of sampled. The worker chosen, by any step, is the one remembered,
 *     with the queue it had then plus the threshold as its new limit: so
 *     the rings are compared again after a threshold's worth of growth,
 *     not on every call once all of them are long.
 *
 * Why step 3 remembers: its cost is memory and wake-ups, not
 * instructions. Every ring is a vmalloc area of its own; asking how full
 * one is reads its consumer and producer pages, and writing a record its
 * lock and a data page, all cold in the cache and the TLB for a random
 * ring of many; and the first record into an empty ring queues its
 * reader's wake-up (irq_work, a self-interrupt: perf shows
 * bpf_ringbuf_submit writing the APIC, a VM exit here). Two random rings
 * per call took a delivered call from ~290 ns with one worker to ~3100 ns
 * with 256 (bench/xdp_cost.c). The remembered ring is warm, so a burst
 * costs about as for one worker, and its worker drains it in batches; a
 * cold ring is looked at once per threshold's worth of calls. Queues stay
 * bounded: never past the depth, checked on every call, and the
 * remembered worker is left once its ring has grown by the threshold and
 * a sampled one is shorter.
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
 * does not sleep. The scheduler state and the remembered slot are hints; a
 * stale one costs a worse choice, never a wrong delivery. When step 3
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
 * Growth of the remembered worker's ring, in lines, after which step 3
 * compares again (a quarter of the depth if less): 16 KiB, 128 small
 * calls. 64 lines left osnic-xdp-cost's 256-worker figure at ~1.7 times
 * the 1-worker one, 256 at ~1.2: every move to a cold, empty ring costs
 * microseconds here (its first record also queues its reader's wake-up).
 */
#define STEER_KEEP_LINES 256

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
	__u32 id;
	void *ring;

	/* Keep slot the value osnic_svc_worker_at() bounds, not a rewrite of it. */
	barrier_var(slot);
	id = osnic_svc_worker_at(svc, svc_id, slot);
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
						 __u32 *slot_out, bool *full)
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
		if (ws && ws->state == OSNIC_WS_SLEEPING) {
			*slot_out = slot;
			return id;
		}
	}
	return 0;
}

static __always_inline __u32 steer_keep_lines(const struct osnic_service_val *svc)
{
	__u32 quarter = svc->depth_lines / 4;

	return quarter < STEER_KEEP_LINES ? quarter : STEER_KEEP_LINES;
}

/* A slot of n (> 0) at random, from 16 bits of *rnd. */
static __always_inline __u32 steer_random_slot(__u32 n, __u32 *rnd)
{
	__u32 slot = ((*rnd & 0xffff) * n) >> 16;

	*rnd >>= 16;
	return slot;
}

/*
 * Step 3 (steer.h's comment). last is the remembered slot plus one, 0 for
 * none, until its limit. Returns the worker id, its slot in *slot_out and
 * its queue in lines in *lines_out.
 */
static __always_inline __u32 steer_short_queue(const struct osnic_service_val *svc, __u32 svc_id,
					       __u32 last, __u32 until, __u32 *slot_out,
					       __u32 *lines_out, bool *full)
{
	__u32 n = svc->nworkers, i, id, slot, best = 0, best_slot = 0, rnd;
	__u64 queued, best_queued = ~0ULL;

	if (n > OSNIC_MAX_SVC_WORKERS)
		n = OSNIC_MAX_SVC_WORKERS;
	if (!n)
		return 0;
	rnd = bpf_get_prandom_u32();
	/* Candidate A: the remembered worker, if any. */
	if (last && last <= n) {
		slot = last - 1;
		id = steer_check(svc, svc_id, slot, &queued, full);
		if (id && queued / OSNIC_LINE < until) {
			/* Kept: the limit stays as it was set. */
			*slot_out = slot;
			*lines_out = ~0U;
			return id;
		}
		if (id) {
			best = id;
			best_slot = slot;
			best_queued = queued;
		}
	}
	for (i = 0; i < STEER_SAMPLES; i++) {
		if (n <= STEER_SAMPLES) {
			/* All of them, in slot order; a tie keeps A. */
			if (i >= n)
				break;
			slot = i;
		} else {
			/* B; C and D only when A and B were both at their depth. */
			if (i == 1 && best)
				break;
			if (i == 3)
				break;
			if (i == 1)
				rnd = bpf_get_prandom_u32();
			slot = steer_random_slot(n, &rnd);
		}
		id = steer_check(svc, svc_id, slot, &queued, full);
		if (id && queued < best_queued) {
			best_queued = queued;
			best = id;
			best_slot = slot;
		}
	}
	*slot_out = best_slot;
	*lines_out = best_queued / OSNIC_LINE;
	return best;
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
	__u32 id = 0, slot = 0, lines = 0;
	struct osnic_svc_idle *all, *here;
	struct steer_last *last;

	all = bpf_map_lookup_elem(&osnic_svc_idle, &svc_id);
	here = bpf_map_lookup_elem(&osnic_svc_idle_cpu, &svc_id);
	if (all && here) {
		id = steer_claim_sleeper(svc, svc_id, here, all, true, &slot, full);
		if (!id)
			id = steer_claim_sleeper(svc, svc_id, all, all, false, &slot, full);
		*idle = id != 0;
	}
	last = bpf_map_lookup_elem(&osnic_steer_last, &svc_id);
	if (!id && last)
		id = steer_short_queue(svc, svc_id, last->slot1, last->until_lines, &slot, &lines,
				       full);
	else if (!id)
		id = steer_short_queue(svc, svc_id, 0, 0, &slot, &lines, full);
	if (id && last && lines != ~0U) {
		last->slot1 = slot + 1;
		last->until_lines = lines + steer_keep_lines(svc);
	}
	return id;
}

#endif /* OSNIC_BPF_STEER_H */
