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

/* The IP destination of a frame. */
enum pkt_dst {
	PKT_DST_SERVER = 0,	/* 10.0.0.2, fd00::2 */
	PKT_DST_OTHER,		/* another host: 10.0.0.3, fd00::3 */
	PKT_DST_BCAST,		/* 255.255.255.255; IPv6 has none: ff02::1 */
	PKT_DST_MCAST,		/* 224.0.0.1, ff02::1 */
};

struct pkt_spec {
	uint16_t eth_proto;	/* 0: derived from ipv6 */
	bool eth_bcast;		/* to ff:ff:ff:ff:ff:ff instead of the server's MAC */
	uint16_t vlan_tci;	/* tagged when non-zero */
	bool ipv6;
	enum pkt_dst dst;
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

/*
 * An ONC RPC call message (RFC 5531) to carry as the UDP payload. Zero is
 * the usual value (a CALL, rpcvers 2 when rpcvers is 0, AUTH_NONE with an
 * AUTH_NONE verifier, no arguments), so a table row names only what it
 * changes. Like pkt_spec, it holds no pointer.
 */
struct rpc_spec {
	uint32_t xid;
	uint32_t msg_type;	/* 0: CALL */
	uint32_t rpcvers;	/* 0: 2 */
	uint32_t prog, vers, proc;
	uint32_t cred_flavor;	/* 0 AUTH_NONE, 1 AUTH_SYS, or any other */
	/* AUTH_SYS: authsys_parms */
	uint32_t stamp, uid, gid;
	uint16_t machinename_len; /* a generated name of this many bytes */
	uint8_t ngids;		/* gids RPC_SPEC_GID0, RPC_SPEC_GID0 + 1, ... */
	/* Other flavors (AUTH_NONE included): an opaque body of this size */
	uint16_t cred_body_len;
	uint32_t verf_flavor;
	uint16_t verf_body_len;
	uint16_t args_len;	/* argument bytes, valued rpc_arg_byte(i) */

	/* Mutations */
	int32_t cred_len_delta;	/* added to the credential length field */
	int32_t verf_len_delta;	/* added to the verifier length field */
	int trunc;		/* > 0: cut the message to this many bytes */
};

#define RPC_SPEC_GID0 1000

/* The i-th argument byte rpc_build() writes. */
uint8_t rpc_arg_byte(size_t i);

/* The call message alone. Returns its length, or 0 if it does not fit. */
size_t rpc_build(const struct rpc_spec *r, uint8_t *buf, size_t cap);

/* Offset of the arguments in a message rpc_build() makes from r. */
size_t rpc_args_offset(const struct rpc_spec *r);

/* A frame per s whose UDP payload is the call r (s->payload is ignored). */
size_t pkt_build_rpc(const struct pkt_spec *s, const struct rpc_spec *r, uint8_t *buf,
		     size_t cap);

/* RFC 1071 sums, for building and checking checksums. */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

#endif /* OSNIC_TESTS_PKT_H */
