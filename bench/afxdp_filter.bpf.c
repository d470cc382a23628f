// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP half of osnic-bench-server --mode afxdp: UDP datagrams (IPv4 or
 * IPv6, no VLAN tag, no IPv4 fragment, no IPv6 extension header) to the
 * server's port go to the AF_XDP socket of the receive queue (xsks_map);
 * everything else, and anything when no socket is bound to that queue,
 * goes on (XDP_PASS: the next program of libxdp's dispatcher, or the
 * kernel). A bench tool, no part of osnicd.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

char LICENSE[] SEC("license") = "GPL";

/* The server's UDP port, network order; set before load. */
const volatile __u16 afxdp_port;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/*
 * libxdp's dispatcher runs osnic's program (priority 50) first, then this
 * one on its XDP_PASS.
 */
struct {
	__uint(priority, 60);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(afxdp_filter);

SEC("xdp")
int afxdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > end || iph->protocol != IPPROTO_UDP || iph->ihl < 5 ||
		    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return XDP_PASS;
		udp = (void *)iph + iph->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > end || ip6h->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6h + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(udp + 1) > end || udp->dest != afxdp_port)
		return XDP_PASS;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}
