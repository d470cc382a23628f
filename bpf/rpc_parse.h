/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoding the ONC RPC call header (RFC 5531, section 9) that follows the
 * UDP header:
 *
 *	xid, msg_type (CALL), rpcvers (2), prog, vers, proc,
 *	cred: { flavor, opaque body<400> }, verf: { flavor, opaque body<400> },
 *	then the procedure's XDR arguments.
 *
 * The first ten words (up to the AUTH_NONE verifier) sit at a fixed place
 * and are read with direct packet access. Everything after the credential
 * body moves with its length, so it is read with bpf_xdp_load_bytes(): the
 * helper checks the offset at run time, which keeps the verifier's work
 * independent of the lengths a sender chooses.
 *
 * Only AUTH_NONE (empty body) and AUTH_SYS credentials are served; AUTH_SYS
 * must be exactly an authsys_parms (stamp, machinename<255>, uid, gid,
 * gids<16>), and its uid and gid are handed to the worker. Other flavors get
 * an AUTH_ERROR reply once the header is known to be well formed.
 *
 * What is wrong decides the counter: a datagram that ends before the header
 * (as its own length fields describe it) ends is RPC_SHORT; lengths above the
 * protocol's limits or an AUTH_SYS body that does not add up is
 * RPC_BAD_AUTH; a message that is not a CALL is RPC_NOT_CALL.
 */
#ifndef OSNIC_BPF_RPC_PARSE_H
#define OSNIC_BPF_RPC_PARSE_H

#include "bpf_defs.h"
#include "parsing.h"

/* Bytes of the call header before the credential body (8 words). */
#define RPC_CALL_CRED_BODY_OFF	32
/* authsys_parms without the machinename bytes and the gids. */
#define RPC_AUTHSYS_FIXED	20

struct rpc_call {
	__u32 xid;		/* network order: echoed as it came */
	__u32 prog;
	__u32 vers;
	__u32 proc;
	__u32 cred_flavor;
	__u32 uid;		/* AUTH_SYS only */
	__u32 gid;		/* AUTH_SYS only */
	__u32 args_off;		/* frame offset of the XDR arguments */
	__u32 args_len;
};

/* XDR pads opaque data to a multiple of 4 bytes. */
static __always_inline __u32 xdr_pad4(__u32 len)
{
	return (len + 3) & ~3U;
}

/*
 * The authsys_parms in the credential body at frame offset body_off;
 * name_len is its machinename length, already read by the caller.
 */
static __always_inline int rpc_parse_authsys(struct xdp_md *ctx, __u32 body_off,
					     __u32 body_len, __u32 name_len,
					     struct rpc_call *call)
{
	__be32 ids[3];	/* uid, gid, number of gids */
	__u32 fixed, ngids;

	if (body_len < RPC_AUTHSYS_FIXED || name_len > OSNIC_RPC_AUTHSYS_MAX_MACHINENAME)
		return OSNIC_RX_RPC_BAD_AUTH;
	fixed = RPC_AUTHSYS_FIXED + xdr_pad4(name_len);
	if (fixed > body_len)
		return OSNIC_RX_RPC_BAD_AUTH;
	/* After the stamp, the name length and the name. */
	if (bpf_xdp_load_bytes(ctx, body_off + 8 + xdr_pad4(name_len), ids, sizeof(ids)))
		return OSNIC_RX_RPC_SHORT;
	ngids = bpf_ntohl(ids[2]);
	if (ngids > OSNIC_RPC_AUTHSYS_MAX_GIDS || fixed + ngids * 4 != body_len)
		return OSNIC_RX_RPC_BAD_AUTH;
	call->uid = bpf_ntohl(ids[0]);
	call->gid = bpf_ntohl(ids[1]);
	return 0;
}

/*
 * Returns 0 for a call to deliver or answer, RPC_VERS_MISMATCH or
 * OSNIC_RPC_AUTH_ERROR for a call to reject (call->xid is set), or the counter
 * of why the datagram is dropped.
 */
static __always_inline int rpc_parse_call(struct xdp_md *ctx, const struct pkt_meta *m,
					  struct rpc_call *call)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be32 *w = m->payload;
	__u32 len = m->udp_payload_len;
	__u32 rpc_off, off, cred_len, verf_len;
	__be32 verf[2];
	int ret;

	/* The frame may be padded: the UDP length says where the call ends. */
	if (len < 8 || (void *)(w + 2) > end)
		return OSNIC_RX_RPC_SHORT;
	call->xid = w[0];
	if (w[1] != bpf_htonl(OSNIC_RPC_CALL))
		return OSNIC_RX_RPC_NOT_CALL;
	if (len < OSNIC_RPC_CALL_MIN_HDR || (void *)(w + OSNIC_RPC_CALL_MIN_HDR / 4) > end)
		return OSNIC_RX_RPC_SHORT;
	if (w[2] != bpf_htonl(OSNIC_RPC_VERSION))
		return OSNIC_RX_RPC_VERS_MISMATCH;
	call->prog = bpf_ntohl(w[3]);
	call->vers = bpf_ntohl(w[4]);
	call->proc = bpf_ntohl(w[5]);
	call->cred_flavor = bpf_ntohl(w[6]);
	cred_len = bpf_ntohl(w[7]);
	if (cred_len > OSNIC_RPC_MAX_AUTH_BYTES)
		return OSNIC_RX_RPC_BAD_AUTH;

	/* off: the verifier, counted from the start of the call */
	off = RPC_CALL_CRED_BODY_OFF + xdr_pad4(cred_len);
	if (off + 8 > len)
		return OSNIC_RX_RPC_SHORT;
	rpc_off = (void *)w - data;

	if (call->cred_flavor == OSNIC_RPC_AUTH_SYS) {
		/* w[9]: the machinename length, after the stamp */
		ret = rpc_parse_authsys(ctx, rpc_off + RPC_CALL_CRED_BODY_OFF, cred_len,
					bpf_ntohl(w[9]), call);
		if (ret)
			return ret;
	} else if (call->cred_flavor == OSNIC_RPC_AUTH_NONE && cred_len) {
		return OSNIC_RX_RPC_BAD_AUTH;
	}

	if (bpf_xdp_load_bytes(ctx, rpc_off + off, verf, sizeof(verf)))
		return OSNIC_RX_RPC_SHORT;
	verf_len = bpf_ntohl(verf[1]);
	if (verf_len > OSNIC_RPC_MAX_AUTH_BYTES)
		return OSNIC_RX_RPC_BAD_AUTH;
	off += 8 + xdr_pad4(verf_len);
	if (off > len)
		return OSNIC_RX_RPC_SHORT;
	call->args_off = rpc_off + off;
	call->args_len = len - off;

	if (call->cred_flavor != OSNIC_RPC_AUTH_NONE && call->cred_flavor != OSNIC_RPC_AUTH_SYS)
		return OSNIC_RX_RPC_AUTH_ERROR;
	return 0;
}

#endif /* OSNIC_BPF_RPC_PARSE_H */
