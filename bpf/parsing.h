/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet parsing helpers for XDP, in the style of xdp-tools'
 * parsing_helpers.h: a cursor that only moves forward, and an explicit
 * bounds check against data_end before every header is read. Each helper
 * returns 0 on success or a negative value when the header is truncated or
 * inconsistent, and leaves the cursor after the header it parsed.
 *
 * Allowed: Ethernet with at most one 802.1Q/802.1ad tag; IPv4 (with options,
 * never fragments for us); IPv6 without extension headers; UDP whose length
 * field agrees with the IP payload.
 */
#ifndef OSNIC_BPF_PARSING_H
#define OSNIC_BPF_PARSING_H

#include "bpf_defs.h"

struct hdr_cursor {
	void *pos;
	void *end;
};

/* The parsed L3/L4 view of one frame. */
struct pkt_meta {
	__u16 l3_proto;		/* ETH_P_IP or ETH_P_IPV6, host order */
	__u8 l4_proto;
	__u16 dport;		/* host order */
	__u16 sport;		/* host order */
	__u16 l4_len;		/* IP payload length claimed by the IP header */
	__u16 udp_payload_len;	/* bytes of UDP payload, per the UDP header */
	void *l3;
	void *l4;
	void *payload;
};

static __always_inline int parse_ethhdr(struct hdr_cursor *c, struct pkt_meta *m)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);

	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_hdr *vh = c->pos;

		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
	}
	m->l3_proto = proto;
	return 0;
}

/* Returns 1 for a fragment (not parsed further), 0 for a whole datagram. */
static __always_inline int parse_iphdr(struct hdr_cursor *c, struct pkt_meta *m)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hlen = iph->ihl * 4;
	if (c->pos + hlen > c->end)
		return -1;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || c->pos + tot > c->end)
		return -1;
	/*
	 * The frame may carry Ethernet padding after the datagram: the IP
	 * length, not data_end, says where it ends. data_end stays the only
	 * bound for reads (the verifier knows no other).
	 */
	m->l4_len = tot - hlen;
	m->l3 = iph;
	m->l4_proto = iph->protocol;
	c->pos += hlen;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return 1;
	return 0;
}

static __always_inline int parse_ipv6hdr(struct hdr_cursor *c, struct pkt_meta *m)
{
	struct ipv6hdr *ip6h = c->pos;
	__u32 plen;

	if ((void *)(ip6h + 1) > c->end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	plen = bpf_ntohs(ip6h->payload_len);
	c->pos = ip6h + 1;
	if (c->pos + plen > c->end)
		return -1;
	m->l4_len = plen;
	m->l3 = ip6h;
	m->l4_proto = ip6h->nexthdr;
	if (ip6h->nexthdr == NEXTHDR_FRAGMENT)
		return 1;
	return 0;
}

static __always_inline int parse_udphdr(struct hdr_cursor *c, struct pkt_meta *m)
{
	struct udphdr *uh = c->pos;
	__u32 ulen;

	if ((void *)(uh + 1) > c->end)
		return -1;
	ulen = bpf_ntohs(uh->len);
	/* The UDP length must cover its header and match the IP payload. */
	if (ulen < sizeof(*uh) || ulen != m->l4_len)
		return -1;
	c->pos = uh + 1;
	m->l4 = uh;
	m->payload = c->pos;
	m->dport = bpf_ntohs(uh->dest);
	m->sport = bpf_ntohs(uh->source);
	m->udp_payload_len = ulen - sizeof(*uh);
	return 0;
}

/*
 * Ethernet to UDP in one go. Returns 0 for a whole, well-formed UDP
 * datagram (m filled in), else the osnic_rx_counter that says why the frame
 * is left to the kernel: not IP, not UDP, an IP fragment, or malformed.
 */
static __always_inline int parse_frame(struct xdp_md *ctx, struct pkt_meta *m)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	int ret;

	if (parse_ethhdr(&c, m) < 0)
		return OSNIC_RX_MALFORMED;
	if (m->l3_proto == ETH_P_IP)
		ret = parse_iphdr(&c, m);
	else if (m->l3_proto == ETH_P_IPV6)
		ret = parse_ipv6hdr(&c, m);
	else
		return OSNIC_RX_NOT_IP;
	if (ret < 0)
		return OSNIC_RX_MALFORMED;
	if (ret > 0)
		return OSNIC_RX_FRAGMENT;
	if (m->l4_proto != IPPROTO_UDP)
		return OSNIC_RX_NOT_UDP;
	if (parse_udphdr(&c, m) < 0)
		return OSNIC_RX_MALFORMED;
	return 0;
}

#endif /* OSNIC_BPF_PARSING_H */
