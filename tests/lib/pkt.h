/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test packet builder: Ethernet (optionally one VLAN tag), IPv4 (optionally
 * with options) or IPv6, then UDP or another L4 protocol, then a payload.
 * Mutations applied after building let a table describe broken packets in
 * one line. A spec holds no pointer unless .payload is set, so it can be a
 * Criterion test parameter (tests run in other processes).
 */
#ifndef OSNIC_TESTS_PKT_H
#define OSNIC_TESTS_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PKT_MAX 2048

struct pkt_spec {
	uint16_t eth_proto;	/* 0: derived from ipv6 */
	uint16_t vlan_tci;	/* tagged when non-zero */
	bool ipv6;
	uint8_t ip_opt_len;	/* IPv4 option bytes (multiple of 4, <= 40) */
	uint8_t l4_proto;	/* 0: UDP */
	bool fragment;		/* IPv4 MF flag / IPv6 fragment header */
	uint16_t sport, dport;
	const void *payload;	/* NULL: payload_len bytes of "abc..." */
	size_t payload_len;

	/* Mutations */
	int trunc;		/* > 0: cut the frame to this many bytes */
	int udp_len_delta;	/* added to the UDP length field */
	int ip_len_delta;	/* added to IPv4 tot_len / IPv6 payload_len */
	int ihl;		/* > 0: force this IPv4 IHL */
	int eth_pad;		/* trailing bytes after the IP datagram */
};

/* Returns the frame length, or 0 if it does not fit in cap. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap);

#endif /* OSNIC_TESTS_PKT_H */
