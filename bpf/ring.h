/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing a call into a worker's ring (DESIGN.md, receive path step 5).
 *
 * A record is a descriptor line (struct osnic_call_desc, right after the
 * ring's own 8-byte record header) followed by the XDR arguments, rounded up
 * to whole 64-byte lines so that every record starts on a cache line. The
 * verifier needs reserve sizes it knows, so a call takes the smallest of the
 * size classes (OSNIC_REC_CLASS_LIST) that holds it, one branch per class.
 *
 * The record is submitted with flags 0: the kernel then wakes the worker
 * only when it had consumed everything before this record, i.e. when it is
 * (about to be) asleep in epoll. A worker that is busy draining finds the
 * record without a wake-up.
 */
#ifndef OSNIC_BPF_RING_H
#define OSNIC_BPF_RING_H

#include "bpf_defs.h"
#include "parsing.h"
#include "rpc_parse.h"

#define REC_ARGS_MAX(lines)	(OSNIC_REC_SIZE(lines) - OSNIC_ARGS_OFF)

_Static_assert(sizeof(struct osnic_call_desc) <= OSNIC_ARGS_OFF,
	       "the call descriptor must fit in the record's first line");

/*
 * Reserve a record of `lines` lines, one of the size classes, with one
 * branch per class; NULL when lines is no class or the ring has no room.
 */
static __always_inline void *ring_reserve_lines(void *ring, __u32 lines, __u64 flags)
{
	void *rec;

#define RING_RESERVE_IF(n)                                                 \
	if (lines == (n))                                                  \
		rec = bpf_ringbuf_reserve(ring, OSNIC_REC_SIZE(n), flags); \
	else
	OSNIC_REC_CLASS_LIST(RING_RESERVE_IF)
		rec = NULL;
#undef RING_RESERVE_IF
	return rec;
}

/* Whether `lines` is one of the size classes. */
static __always_inline bool ring_is_class(__u32 lines)
{
#define RING_IS_CLASS(n) || lines == (n)
	return 0 OSNIC_REC_CLASS_LIST(RING_IS_CLASS);
#undef RING_IS_CLASS
}

static __always_inline void ring_fill_desc(struct xdp_md *ctx, struct osnic_call_desc *d,
					   const struct pkt_meta *m,
					   const struct rpc_call *call, __u32 svc_id,
					   __u32 lines, __u64 rx_ns)
{
	void *end = (void *)(long)ctx->data_end;
	__u32 *addr = (__u32 *)d->client_addr;

	d->xid = call->xid;
	d->proc = call->proc;
	d->service_id = svc_id;
	d->arg_len = call->args_len;
	d->cred_flavor = call->cred_flavor;
	d->client_port = bpf_htons(m->sport);
	d->uid = call->uid;
	d->gid = call->gid;
	d->rx_cpu = bpf_get_smp_processor_id();
	d->lines = lines;
	d->rx_ifindex = ctx->ingress_ifindex;
	d->rx_ns = rx_ns;

	addr[0] = addr[1] = addr[2] = addr[3] = 0;
	if (m->l3_proto == ETH_P_IP) {
		struct iphdr *iph = m->l3;

		d->family = AF_INET;
		if ((void *)(iph + 1) <= end)
			addr[0] = iph->saddr;
	} else {
		struct ipv6hdr *ip6h = m->l3;

		d->family = AF_INET6;
		if ((void *)(ip6h + 1) <= end)
			__builtin_memcpy(addr, &ip6h->saddr, sizeof(ip6h->saddr));
	}
}

/*
 * rx_ns is the receive time (bpf_ktime_get_ns()), taken once per call.
 * Returns the record's size in lines, -E2BIG for arguments above
 * OSNIC_MAX_INLINE_ARGS, -ENOSPC when the ring has no room, -EFAULT when
 * the arguments could not be read from the frame.
 */
static __always_inline int ring_write_call(struct xdp_md *ctx, void *ring,
					   const struct pkt_meta *m,
					   const struct rpc_call *call, __u32 svc_id,
					   __u64 rx_ns)
{
	__u64 len = call->args_len;
	struct osnic_call_desc *d;
	__u32 lines;

	/* Keep len one value the verifier bounds, not clang's rewrite of it. */
	barrier_var(len);
	/* The smallest class that holds the arguments. */
#define RING_RESERVE_FITTING(n)                                      \
	if (len <= REC_ARGS_MAX(n)) {                                \
		d = bpf_ringbuf_reserve(ring, OSNIC_REC_SIZE(n), 0); \
		lines = (n);                                         \
	} else
	OSNIC_REC_CLASS_LIST(RING_RESERVE_FITTING)
		return -E2BIG;
#undef RING_RESERVE_FITTING
	if (!d)
		return -ENOSPC;

	ring_fill_desc(ctx, d, m, call, svc_id, lines, rx_ns);
	if (len && bpf_xdp_load_bytes(ctx, call->args_off, (void *)d + OSNIC_ARGS_OFF, len)) {
		bpf_ringbuf_discard(d, 0);
		return -EFAULT;
	}
	bpf_ringbuf_submit(d, 0);
	return lines;
}

#endif /* OSNIC_BPF_RING_H */
