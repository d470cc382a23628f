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

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
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
		ip6->daddr.s6_addr[0] = 0xfd;
		ip6->daddr.s6_addr[15] = 2;
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
		ip->daddr = htonl(0x0a000002);
		/* NOP options */
		memset(p + sizeof(*ip), 1, s->ip_opt_len);
		ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip) + s->ip_opt_len)));
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
