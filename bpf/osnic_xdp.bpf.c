// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic's XDP receive path (DESIGN.md, "Receive path (XDP)"): the part of
 * the NIC that decodes ONC RPC calls and hands them to worker threads.
 *
 * Frames that are not UDP to a port osnic serves go to the kernel
 * unchanged, and so do datagrams on a served port that are not addressed to
 * one of this host's unicast addresses (osnic_local_addrs): forwarded,
 * bridged or promiscuously received traffic for other hosts, broadcasts and
 * multicasts. On a served port every datagram for us must be an RPC call: a
 * malformed one is dropped and counted; one osnic cannot serve as asked
 * (unknown program, version or procedure, wrong RPC version, unserved
 * credential flavor) and the NULLPROC ping are answered right here with
 * XDP_TX; a call with arguments too large for a ring record goes to the
 * kernel and the service's socket; everything else is written into the
 * ring of the worker steering picks, and the frame is dropped: the kernel
 * never builds an sk_buff for it.
 *
 * The helpers live in headers by role: parsing.h (L2-L4), rpc_parse.h,
 * rpc_reply.h (and csum.h), steer.h, ring.h, and maps.h for the maps.
 */
#include "bpf_defs.h"
#include "maps.h"
#include "parsing.h"
#include "ring.h"
#include "rpc_parse.h"
#include "rpc_reply.h"
#include "steer.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The decisions below return an XDP verdict; XDP_TX means "answer with
 * a->r", which serve_rpc_call() then builds in one place: the builder is
 * the largest piece of the program, and inlined at every reply site it
 * would more than double it. a->counter is the receive counter the reply
 * is counted under, or OSNIC_RX__MAX for none.
 */
struct rpc_answer {
	struct rpc_reply r;
	__u32 counter;
};

static __always_inline int answer_accept_stat(struct rpc_answer *a, __u32 stat, __u32 counter)
{
	rpc_reply_accepted(&a->r, stat, 0, 0);
	a->counter = counter;
	return XDP_TX;
}

/* No service for (port, prog, vers): PROG_MISMATCH if the program is known. */
static __always_inline int answer_no_service(const struct pkt_meta *m,
					     const struct rpc_call *call, struct rpc_answer *a)
{
	struct osnic_prog_key key = { .port = m->dport, .prog = call->prog };
	struct osnic_vers_range *range;

	range = bpf_map_lookup_elem(&osnic_prog_vers, &key);
	if (!range)
		return answer_accept_stat(a, OSNIC_RPC_PROG_UNAVAIL, OSNIC_RX_RPC_PROG_UNAVAIL);
	rpc_reply_accepted(&a->r, OSNIC_RPC_PROG_MISMATCH, range->low, range->high);
	a->counter = OSNIC_RX_RPC_PROG_MISMATCH;
	return XDP_TX;
}

/*
 * A call that found no room: dropped, or SYSTEM_ERR if the service asks.
 * Counted as ring_full when workers exist but are at their depth (overload),
 * as no_worker when the service has none to take it.
 */
static __always_inline int refuse_overload(const struct osnic_service_val *svc,
					   struct osnic_svc_stats *ss, bool full,
					   struct rpc_answer *a)
{
	count_rx(full ? OSNIC_RX_RPC_RING_FULL : OSNIC_RX_RPC_NO_WORKER);
	if (ss && full)
		ss->drop_ring_full++;
	else if (ss)
		ss->drop_no_worker++;
	if (!(svc->flags & OSNIC_SVC_F_SYSTEM_ERR_ON_FULL))
		return XDP_DROP;
	/* Already counted by why it was refused. */
	return answer_accept_stat(a, OSNIC_RPC_SYSTEM_ERR, OSNIC_RX__MAX);
}

/* Steps 4 to 6: pick a worker, write the call into its ring, count. */
static __always_inline int deliver_call(struct xdp_md *ctx, const struct pkt_meta *m,
					const struct rpc_call *call,
					const struct osnic_service_val *svc, __u32 svc_id,
					struct osnic_svc_stats *ss, struct rpc_answer *a)
{
	struct osnic_worker_stats *wst;
	struct osnic_worker_rx *rx;
	bool idle = false, full = false;
	__u32 wid;
	__u64 now;
	void *ring;
	int lines;

	wid = steer_pick_worker(svc, svc_id, &idle, &full);
	ring = wid ? bpf_map_lookup_elem(&osnic_rings, &wid) : NULL;
	if (!ring)
		return refuse_overload(svc, ss, full, a);

	now = bpf_ktime_get_ns();
	lines = ring_write_call(ctx, ring, m, call, svc_id, now);
	if (lines == -ENOSPC)
		return refuse_overload(svc, ss, true, a);
	if (lines < 0) {
		/* The arguments were not in the frame after all. */
		count_rx(OSNIC_RX_RPC_SHORT);
		return XDP_DROP;
	}

	count_rx(OSNIC_RX_RPC_DELIVERED);
	if (ss)
		ss->delivered++;
	/* Where the call came in: the scheduler wakes the worker there. */
	rx = bpf_map_lookup_elem(&osnic_worker_rx, &wid);
	if (rx) {
		rx->last_rx_cpu = bpf_get_smp_processor_id();
		rx->last_rx_ns = now;
	}
	wst = bpf_map_lookup_elem(&osnic_worker_stats, &wid);
	if (wst) {
		wst->delivered++;
		wst->delivered_idle += idle;
		wst->bytes += call->args_len;
	}
	return XDP_DROP;
}

/* Steps 2 and 3, then delivery, for a datagram on a port osnic serves. */
static __always_inline int decide_rpc_call(struct xdp_md *ctx, const struct pkt_meta *m,
					   struct rpc_answer *a)
{
	struct osnic_svc_key key = { .port = m->dport };
	struct rpc_call call = {};
	struct osnic_service_val *svc;
	struct osnic_svc_stats *ss;
	__u32 *svc_id;
	int why;

	why = rpc_parse_call(ctx, m, &call);
	/*
	 * A credential the ring cannot carry whole, for a server that judges
	 * calls itself (prog and vers are parsed before any credential check).
	 */
	if ((!why && call.cred_flavor != OSNIC_RPC_AUTH_NONE) || why == OSNIC_RX_RPC_AUTH_ERROR ||
	    why == OSNIC_RX_RPC_BAD_AUTH) {
		key.prog = call.prog;
		key.vers = call.vers;
		svc_id = bpf_map_lookup_elem(&osnic_svc_index, &key);
		svc = svc_id && *svc_id ? bpf_map_lookup_elem(&osnic_services, svc_id) : NULL;
		if (svc && (svc->flags & OSNIC_SVC_F_ALL_PROCS)) {
			count_rx(OSNIC_RX_RPC_AUTH_PASS);
			return XDP_PASS;
		}
	}
	if (why == OSNIC_RX_RPC_VERS_MISMATCH) {
		rpc_reply_rpc_mismatch(&a->r);
		a->counter = why;
		return XDP_TX;
	}
	if (why == OSNIC_RX_RPC_AUTH_ERROR) {
		rpc_reply_auth_error(&a->r, OSNIC_RPC_AUTH_BADCRED);
		a->counter = why;
		return XDP_TX;
	}
	if (why) {
		count_rx(why);
		return XDP_DROP;
	}

	key.prog = call.prog;
	key.vers = call.vers;
	svc_id = bpf_map_lookup_elem(&osnic_svc_index, &key);
	svc = svc_id && *svc_id ? bpf_map_lookup_elem(&osnic_services, svc_id) : NULL;
	if (!svc)
		return answer_no_service(m, &call, a);

	ss = svc_stats(*svc_id);
	if (ss)
		ss->calls++;
	/* The server answers every procedure itself, NULLPROC included. */
	if (svc->flags & OSNIC_SVC_F_ALL_PROCS)
		goto deliver;
	/* Every program has a NULLPROC (RFC 5531); answering it wakes no one. */
	if (call.proc == 0) {
		if (ss)
			ss->nullproc++;
		return answer_accept_stat(a, OSNIC_RPC_SUCCESS, OSNIC_RX_RPC_NULLPROC);
	}
	if (call.proc >= OSNIC_MAX_PROCS || !(svc->procs & (1ULL << call.proc))) {
		if (ss)
			ss->proc_unavail++;
		return answer_accept_stat(a, OSNIC_RPC_PROC_UNAVAIL, OSNIC_RX_RPC_PROC_UNAVAIL);
	}
deliver:
	if (call.args_len > OSNIC_MAX_INLINE_ARGS) {
		/* The worker serves such calls from its UDP socket. */
		count_rx(OSNIC_RX_RPC_TOO_BIG);
		return XDP_PASS;
	}
	return deliver_call(ctx, m, &call, svc, *svc_id, ss, a);
}

/*
 * Is the datagram addressed to one of this host's unicast addresses? One
 * hash lookup; broadcast and multicast destinations are never in the map.
 */
static __always_inline bool dest_is_local(struct xdp_md *ctx, const struct pkt_meta *m)
{
	void *end = (void *)(long)ctx->data_end;
	struct osnic_local_addr_key key = {};

	if (m->l3_proto == ETH_P_IP) {
		struct iphdr *iph = m->l3;

		if ((void *)(iph + 1) > end)
			return false;
		key.family = AF_INET;
		__builtin_memcpy(key.addr, &iph->daddr, sizeof(iph->daddr));
	} else {
		struct ipv6hdr *ip6h = m->l3;

		if ((void *)(ip6h + 1) > end)
			return false;
		key.family = AF_INET6;
		__builtin_memcpy(key.addr, &ip6h->daddr, sizeof(ip6h->daddr));
	}
	return bpf_map_lookup_elem(&osnic_local_addrs, &key) != NULL;
}

static __always_inline int serve_rpc_call(struct xdp_md *ctx, const struct pkt_meta *m)
{
	struct rpc_answer a;
	int verdict;

	verdict = decide_rpc_call(ctx, m, &a);
	if (verdict != XDP_TX)
		return verdict;
	if (rpc_reply_build(ctx, m, &a.r)) {
		count_rx(OSNIC_RX_TX_ERROR);
		return XDP_DROP;
	}
	if (a.counter < OSNIC_RX__MAX)
		count_rx(a.counter);
	return XDP_TX;
}

SEC("xdp")
int osnic_xdp_rx(struct xdp_md *ctx)
{
	struct pkt_meta m = {};
	__u32 port;
	int why;

	count_rx(OSNIC_RX_PACKETS);
	why = parse_frame(ctx, &m);
	if (why) {
		/* Not ours to judge: the kernel handles or drops it. */
		count_rx(why);
		return XDP_PASS;
	}
	count_rx(OSNIC_RX_UDP);

	port = m.dport;
	if (!bpf_map_lookup_elem(&osnic_listen, &port)) {
		count_rx(OSNIC_RX_NOT_LISTENED);
		return XDP_PASS;
	}
	if (!dest_is_local(ctx, &m)) {
		/* Another host's traffic: the kernel forwards or drops it. */
		count_rx(OSNIC_RX_NOT_LOCAL);
		return XDP_PASS;
	}
	return serve_rpc_call(ctx, &m);
}
