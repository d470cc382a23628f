// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <netinet/in.h>

#include "pkt.h"

static const uint8_t src_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 1 };
static const uint8_t dst_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 2 };

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	uint8_t l4 = s->l4_proto ? s->l4_proto : IPPROTO_UDP;
	size_t l2 = sizeof(struct ethhdr) + (s->vlan_tci ? 4 : 0);
	size_t l3 = s->ipv6 ? sizeof(struct ipv6hdr) + (s->fragment ? 8 : 0)
			    : sizeof(struct iphdr) + s->ip_opt_len;
	size_t l4len = sizeof(struct udphdr) + s->payload_len;
	size_t len = l2 + l3 + l4len + s->eth_pad;
	uint8_t *p = buf;
	uint16_t proto = s->eth_proto ? s->eth_proto : (s->ipv6 ? ETH_P_IPV6 : ETH_P_IP);

	if (len > cap)
		return 0;
	memset(buf, 0, len);

	if (s->eth_bcast)
		memset(p, 0xff, ETH_ALEN);
	else
		memcpy(p, dst_mac, ETH_ALEN);
	memcpy(p + ETH_ALEN, src_mac, ETH_ALEN);
	p += 2 * ETH_ALEN;
	if (s->vlan_tci) {
		*(uint16_t *)p = htons(ETH_P_8021Q);
		*(uint16_t *)(p + 2) = htons(s->vlan_tci);
		p += 4;
	}
	*(uint16_t *)p = htons(proto);
	p += 2;

	uint8_t *l3p = p;
	if (s->ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)p;

		ip6->version = 6;
		ip6->payload_len = htons(l3 - sizeof(*ip6) + l4len + s->ip_len_delta);
		ip6->nexthdr = s->fragment ? 44 : l4;
		ip6->hop_limit = 64;
		ip6->saddr.s6_addr[0] = 0xfd;
		ip6->saddr.s6_addr[15] = 1;
		if (s->dst == PKT_DST_BCAST || s->dst == PKT_DST_MCAST) {
			ip6->daddr.s6_addr[0] = 0xff;
			ip6->daddr.s6_addr[1] = 0x02;
			ip6->daddr.s6_addr[15] = 1;
		} else {
			ip6->daddr.s6_addr[0] = 0xfd;
			ip6->daddr.s6_addr[15] = s->dst == PKT_DST_OTHER ? 3 : 2;
		}
		p += sizeof(*ip6);
		if (s->fragment) {
			p[0] = l4;
			p[3] = 1; /* M flag */
			p += 8;
		}
	} else {
		struct iphdr *ip = (struct iphdr *)p;

		ip->version = 4;
		ip->ihl = s->ihl ? (unsigned int)s->ihl : (sizeof(*ip) + s->ip_opt_len) / 4;
		ip->ttl = 64;
		ip->protocol = l4;
		ip->tot_len = htons(l3 + l4len + s->ip_len_delta);
		if (s->fragment)
			ip->frag_off = htons(0x2000);
		ip->saddr = htonl(0x0a000001);
		ip->daddr = htonl(s->dst == PKT_DST_OTHER ? 0x0a000003 :
				  s->dst == PKT_DST_BCAST ? 0xffffffff :
				  s->dst == PKT_DST_MCAST ? 0xe0000001 : 0x0a000002);
		/* NOP options */
		memset(p + sizeof(*ip), 1, s->ip_opt_len);
		ip->check = htons(pkt_csum_fold(pkt_csum_add(0, ip, sizeof(*ip) + s->ip_opt_len)));
		p += sizeof(*ip) + s->ip_opt_len;
	}
	(void)l3p;

	struct udphdr *uh = (struct udphdr *)p;
	uh->source = htons(s->sport);
	uh->dest = htons(s->dport);
	uh->len = htons(l4len + s->udp_len_delta);
	uh->check = 0; /* optional over IPv4; the XDP path does not verify it */
	p += sizeof(*uh);
	if (s->payload)
		memcpy(p, s->payload, s->payload_len);
	else
		for (size_t i = 0; i < s->payload_len; i++)
			p[i] = (uint8_t)('a' + i % 26);

	if (s->trunc > 0 && (size_t)s->trunc < len)
		len = s->trunc;
	return len;
}

/* ---- ONC RPC calls ------------------------------------------------------- */

struct xdr_buf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void xdr_u32(struct xdr_buf *x, uint32_t v)
{
	if (x->len + 4 > x->cap) {
		x->overflow = true;
		return;
	}
	v = htonl(v);
	memcpy(x->p + x->len, &v, 4);
	x->len += 4;
}

/* len bytes from gen(i), then zero padding to a multiple of 4 */
static void xdr_opaque(struct xdr_buf *x, size_t len, uint8_t (*gen)(size_t))
{
	size_t padded = (len + 3) & ~(size_t)3;

	if (x->len + padded > x->cap) {
		x->overflow = true;
		return;
	}
	for (size_t i = 0; i < padded; i++)
		x->p[x->len + i] = i < len ? gen(i) : 0;
	x->len += padded;
}

static uint8_t name_byte(size_t i)
{
	return (uint8_t)('a' + i % 26);
}

static uint8_t body_byte(size_t i)
{
	return (uint8_t)(0xa0 + i % 16);
}

uint8_t rpc_arg_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static size_t authsys_body_len(const struct rpc_spec *r)
{
	return 20 + ((r->machinename_len + 3u) & ~3u) + 4u * r->ngids;
}

static size_t cred_body_len(const struct rpc_spec *r)
{
	return r->cred_flavor == 1 ? authsys_body_len(r) : r->cred_body_len;
}

size_t rpc_args_offset(const struct rpc_spec *r)
{
	return 32 + ((cred_body_len(r) + 3) & ~(size_t)3) + 8 + ((r->verf_body_len + 3u) & ~3u);
}

size_t rpc_build(const struct rpc_spec *r, uint8_t *buf, size_t cap)
{
	struct xdr_buf x = { .p = buf, .cap = cap };

	xdr_u32(&x, r->xid);
	xdr_u32(&x, r->msg_type);
	xdr_u32(&x, r->rpcvers ? r->rpcvers : 2);
	xdr_u32(&x, r->prog);
	xdr_u32(&x, r->vers);
	xdr_u32(&x, r->proc);

	xdr_u32(&x, r->cred_flavor);
	xdr_u32(&x, (uint32_t)(cred_body_len(r) + r->cred_len_delta));
	if (r->cred_flavor == 1) {
		xdr_u32(&x, r->stamp);
		xdr_u32(&x, r->machinename_len);
		xdr_opaque(&x, r->machinename_len, name_byte);
		xdr_u32(&x, r->uid);
		xdr_u32(&x, r->gid);
		xdr_u32(&x, r->ngids);
		for (unsigned int i = 0; i < r->ngids; i++)
			xdr_u32(&x, RPC_SPEC_GID0 + i);
	} else {
		xdr_opaque(&x, r->cred_body_len, body_byte);
	}

	xdr_u32(&x, r->verf_flavor);
	xdr_u32(&x, (uint32_t)(r->verf_body_len + r->verf_len_delta));
	xdr_opaque(&x, r->verf_body_len, body_byte);

	/* Arguments are not padded: what is sent is what the worker gets. */
	if (x.len + r->args_len > x.cap)
		return 0;
	for (size_t i = 0; i < r->args_len; i++)
		x.p[x.len + i] = rpc_arg_byte(i);
	x.len += r->args_len;

	if (x.overflow)
		return 0;
	if (r->trunc > 0 && (size_t)r->trunc < x.len)
		x.len = r->trunc;
	return x.len;
}

size_t pkt_build_rpc(const struct pkt_spec *s, const struct rpc_spec *r, uint8_t *buf,
		     size_t cap)
{
	uint8_t msg[PKT_MAX];
	struct pkt_spec spec = *s;

	spec.payload_len = rpc_build(r, msg, sizeof(msg));
	if (!spec.payload_len)
		return 0;
	spec.payload = msg;
	return pkt_build(&spec, buf, cap);
}
