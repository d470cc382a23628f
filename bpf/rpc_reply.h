/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The RFC 5531 replies XDP sends itself: errors a worker could not answer
 * better (PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, RPC_MISMATCH,
 * AUTH_ERROR, SYSTEM_ERR when a service asks for it) and the NULLPROC ping,
 * so that no thread is woken for either.
 *
 * A reply is built in place over the call: the frame is turned around
 * (Ethernet, IP addresses and UDP ports swapped; a VLAN tag and IPv4
 * options stay as they came), the reply header overwrites the call header
 * after the xid, which stays where it is, and the frame is trimmed to the
 * reply with bpf_xdp_adjust_tail(). That is the last step, because it
 * invalidates every packet pointer. A reply is never longer than the call
 * header it replaces (at most 32 of at least 40 bytes), so an error reply
 * cannot amplify traffic.
 *
 * Checksums: the IPv4 header checksum is recomputed; the UDP checksum is 0
 * over IPv4 (allowed by RFC 768) and computed over IPv6, where it is
 * mandatory.
 */
#ifndef OSNIC_BPF_RPC_REPLY_H
#define OSNIC_BPF_RPC_REPLY_H

#include "bpf_defs.h"
#include "csum.h"
#include "parsing.h"

/* The reply after the xid; the longest is PROG_MISMATCH's 7 words. */
#define RPC_REPLY_MAX_WORDS	7

struct rpc_reply {
	__be32 w[RPC_REPLY_MAX_WORDS];
	__u32 len;		/* reply bytes, xid included */
};

/* MSG_ACCEPTED with an AUTH_NONE verifier; low/high for PROG_MISMATCH only. */
static __always_inline void rpc_reply_accepted(struct rpc_reply *r, __u32 stat, __u32 low,
					       __u32 high)
{
	r->w[0] = bpf_htonl(OSNIC_RPC_REPLY);
	r->w[1] = bpf_htonl(OSNIC_RPC_MSG_ACCEPTED);
	r->w[2] = bpf_htonl(OSNIC_RPC_AUTH_NONE);
	r->w[3] = 0;			/* verifier body length */
	r->w[4] = bpf_htonl(stat);
	r->w[5] = bpf_htonl(low);
	r->w[6] = bpf_htonl(high);
	r->len = stat == OSNIC_RPC_PROG_MISMATCH ? 32 : 24;
}

/* MSG_DENIED, RPC_MISMATCH: we speak RPC version 2 only. */
static __always_inline void rpc_reply_rpc_mismatch(struct rpc_reply *r)
{
	r->w[0] = bpf_htonl(OSNIC_RPC_REPLY);
	r->w[1] = bpf_htonl(OSNIC_RPC_MSG_DENIED);
	r->w[2] = bpf_htonl(OSNIC_RPC_RPC_MISMATCH);
	r->w[3] = bpf_htonl(OSNIC_RPC_VERSION);	/* low */
	r->w[4] = bpf_htonl(OSNIC_RPC_VERSION);	/* high */
	r->w[5] = 0;
	r->w[6] = 0;
	r->len = 24;
}

/* MSG_DENIED, AUTH_ERROR with the given auth_stat. */
static __always_inline void rpc_reply_auth_error(struct rpc_reply *r, __u32 why)
{
	r->w[0] = bpf_htonl(OSNIC_RPC_REPLY);
	r->w[1] = bpf_htonl(OSNIC_RPC_MSG_DENIED);
	r->w[2] = bpf_htonl(OSNIC_RPC_AUTH_ERROR);
	r->w[3] = bpf_htonl(why);
	r->w[4] = 0;
	r->w[5] = 0;
	r->w[6] = 0;
	r->len = 20;
}

static __always_inline void swap_eth_addrs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline int reply_turn_ipv4(struct xdp_md *ctx, const struct pkt_meta *m,
					   __u32 udp_len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = m->l3;
	__u32 hlen;
	__be32 addr;
	__u16 csum;

	if ((void *)(iph + 1) > end)
		return -1;
	hlen = iph->ihl * 4;
	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	iph->tot_len = bpf_htons(hlen + udp_len);
	iph->ttl = OSNIC_REPLY_TTL;
	iph->check = 0;
	if (ipv4_hdr_csum(ctx, (void *)iph - data, hlen, &csum))
		return -1;
	iph->check = csum;
	return 0;
}

static __always_inline int reply_turn_ipv6(struct xdp_md *ctx, const struct pkt_meta *m,
					   __u32 udp_len)
{
	void *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6h = m->l3;
	struct udphdr *uh = m->l4;
	struct in6_addr addr;
	__be32 pseudo[2] = { bpf_htonl(udp_len), bpf_htonl(IPPROTO_UDP) };
	__s64 sum;
	__u16 csum;

	/* The UDP header and the longest reply must be in the frame. */
	if ((void *)(ip6h + 1) > end)
		return -1;
	if ((void *)uh + sizeof(*uh) + 32 > end)
		return -1;
	if (udp_len > sizeof(*uh) + 32)
		return -1;
	addr = ip6h->saddr;
	ip6h->saddr = ip6h->daddr;
	ip6h->daddr = addr;
	ip6h->payload_len = bpf_htons(udp_len);
	ip6h->hop_limit = OSNIC_REPLY_TTL;

	/* Pseudo-header (addresses, length, next header), then the datagram. */
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ip6h->saddr, 2 * sizeof(addr), 0);
	if (sum >= 0)
		sum = bpf_csum_diff(NULL, 0, pseudo, sizeof(pseudo), sum);
	if (sum >= 0)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)uh, udp_len, sum);
	if (sum < 0)
		return -1;
	csum = csum_fold(sum);
	uh->check = csum ? csum : 0xffff;	/* 0 would mean "no checksum" */
	return 0;
}

/*
 * Turn the call in m around into the reply r. Returns 0 when the frame is
 * ready for XDP_TX, -1 when it could not be built (the caller drops it).
 */
static __always_inline int rpc_reply_build(struct xdp_md *ctx, const struct pkt_meta *m,
					   const struct rpc_reply *r)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *uh = m->l4;
	__be32 *rpc = m->payload;
	__u32 udp_len = sizeof(*uh) + r->len;
	int delta, ret;
	__be16 port;

	/*
	 * One check per header, each right before its writes: clang would
	 * merge combined checks into arithmetic the verifier cannot follow.
	 * A frame that fails one is dropped, so half-written is harmless.
	 */
	if ((void *)(rpc + 1 + RPC_REPLY_MAX_WORDS) > end)
		return -1;
	/* The xid in rpc[0] is already the reply's. */
	__builtin_memcpy(rpc + 1, r->w, sizeof(r->w));

	if ((void *)(eth + 1) > end)
		return -1;
	/* A call to a group address cannot be answered from that address. */
	if (eth->h_dest[0] & 1)
		return -1;
	swap_eth_addrs(eth);

	if ((void *)(uh + 1) > end)
		return -1;
	port = uh->source;
	uh->source = uh->dest;
	uh->dest = port;
	uh->len = bpf_htons(udp_len);
	uh->check = 0;

	if (m->l3_proto == ETH_P_IP)
		ret = reply_turn_ipv4(ctx, m, udp_len);
	else
		ret = reply_turn_ipv6(ctx, m, udp_len);
	if (ret)
		return -1;

	/* Drop everything after the reply, Ethernet padding included. */
	delta = (void *)rpc - data;
	barrier_var(delta);	/* an offset, not pointer arithmetic on rpc */
	delta += r->len - bpf_xdp_get_buff_len(ctx);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	return 0;
}

#endif /* OSNIC_BPF_RPC_REPLY_H */
