// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic's XDP receive path.
 *
 * Stage one: parse Ethernet (one VLAN tag), IPv4/IPv6 and UDP with bounds
 * checks at every step and count what arrives: every frame, why a frame is
 * not UDP, malformed headers, and UDP datagrams per destination port. Every
 * frame is passed to the kernel unchanged; steering ONC RPC calls to worker
 * rings builds on this parser.
 */
#include "bpf_defs.h"
#include "parsing.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_RX__MAX);
	__type(key, __u32);
	__type(value, __u64);
} rx_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_NR_PORTS);
	__type(key, __u32);
	__type(value, __u64);
} port_packets SEC(".maps");

static __always_inline void count_rx(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&rx_counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline void count_port(__u16 port)
{
	__u32 key = port;
	__u64 *v = bpf_map_lookup_elem(&port_packets, &key);

	if (v)
		*v += 1;
}

SEC("xdp")
int osnic_xdp_rx(struct xdp_md *ctx)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct pkt_meta m = {};
	int ret;

	count_rx(OSNIC_RX_PACKETS);

	if (parse_ethhdr(&c, &m) < 0)
		goto malformed;

	if (m.l3_proto == ETH_P_IP)
		ret = parse_iphdr(&c, &m);
	else if (m.l3_proto == ETH_P_IPV6)
		ret = parse_ipv6hdr(&c, &m);
	else {
		count_rx(OSNIC_RX_NOT_IP);
		return XDP_PASS;
	}
	if (ret < 0)
		goto malformed;
	if (ret > 0) {
		count_rx(OSNIC_RX_FRAGMENT);
		return XDP_PASS;
	}

	if (m.l4_proto != IPPROTO_UDP) {
		count_rx(OSNIC_RX_NOT_UDP);
		return XDP_PASS;
	}
	if (parse_udphdr(&c, &m) < 0)
		goto malformed;

	count_rx(OSNIC_RX_UDP);
	count_port(m.dport);
	return XDP_PASS;

malformed:
	/* Not ours to judge yet: the kernel drops what it cannot use. */
	count_rx(OSNIC_RX_MALFORMED);
	return XDP_PASS;
}
