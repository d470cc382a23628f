/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ONC RPC (RFC 5531) call header decoder and reply header encoder, for the
 * calls that reach user space through a socket rather than a ring: IP
 * fragments, arguments above OSNIC_MAX_INLINE_ARGS, traffic on interfaces
 * without the XDP program, and any transport that does not use libtirpc.
 *
 * A datagram is untrusted input. The decoder reads it through an xdr_dec
 * cursor, so every length is bounded by the bytes that are really there,
 * and it classifies every input into exactly one verdict:
 *
 *   OSNIC_CALL_OK            a well-formed call; args/args_len is the rest
 *   OSNIC_CALL_DROP          not answerable: shorter than a call header,
 *                            not a CALL, or an auth body that runs past the
 *                            end of the datagram (no reply, as libtirpc and
 *                            the kernel's sunrpc do)
 *   OSNIC_CALL_RPC_MISMATCH  rpcvers != 2: reply MSG_DENIED RPC_MISMATCH 2..2
 *   OSNIC_CALL_AUTH_ERROR    a credential or verifier osnic cannot accept:
 *                            reply MSG_DENIED AUTH_ERROR call->auth_stat
 *
 * Credentials: AUTH_NONE (any body, ignored) and AUTH_SYS, whose body must
 * be a complete authsys_parms with nothing after it (else AUTH_BADCRED).
 * Any other flavor is AUTH_BADCRED, as in Linux's sunrpc server. A body
 * longer than 400 bytes is AUTH_BADCRED (AUTH_BADVERF for the verifier).
 * Verifiers are not checked beyond their length: AUTH_NONE and AUTH_SYS
 * callers send AUTH_NONE ones, and nothing else is accepted as a credential.
 */
#ifndef OSNIC_RPCMSG_H
#define OSNIC_RPCMSG_H

#include <stddef.h>
#include <stdint.h>

#include <osnic/rpc.h>
#include <osnic/xdr.h>

struct osnic_rpc_authsys {
	uint32_t stamp;
	const char *machinename;	/* zero-copy, NOT NUL-terminated */
	uint32_t machinename_len;
	uint32_t uid;
	uint32_t gid;
	uint32_t ngids;
	uint32_t gids[OSNIC_RPC_AUTHSYS_MAX_GIDS];
};

struct osnic_rpc_call {
	uint32_t xid;
	uint32_t rpcvers;
	uint32_t prog;
	uint32_t vers;
	uint32_t proc;
	uint32_t cred_flavor;
	uint32_t cred_len;
	const uint8_t *cred_body;	/* zero-copy into the message */
	uint32_t verf_flavor;
	uint32_t verf_len;
	const uint8_t *verf_body;
	struct osnic_rpc_authsys authsys;	/* when cred_flavor == OSNIC_RPC_AUTH_SYS */
	const uint8_t *args;		/* the XDR arguments, zero-copy */
	size_t args_len;
	uint32_t auth_stat;		/* for OSNIC_CALL_AUTH_ERROR */
};

enum osnic_call_verdict {
	OSNIC_CALL_OK = 0,
	OSNIC_CALL_DROP,
	OSNIC_CALL_RPC_MISMATCH,
	OSNIC_CALL_AUTH_ERROR,
};

/*
 * Decode the call header of msg (len bytes). Fields of *call are valid as
 * far as the verdict implies: xid always unless OSNIC_CALL_DROP; for
 * OSNIC_CALL_OK all of them. Pointers point into msg.
 */
enum osnic_call_verdict osnic_rpc_decode_call(const void *msg, size_t len,
					      struct osnic_rpc_call *call);

/* Parse an AUTH_SYS credential body; the whole body must be consumed. */
int osnic_rpc_decode_authsys(const uint8_t *body, size_t len, struct osnic_rpc_authsys *sys);

/* xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, accept_stat */
#define OSNIC_RPC_ACCEPTED_HDR	24
/* xid, REPLY, MSG_DENIED, reject_stat, low, high  /  ..., AUTH_ERROR, auth_stat */
#define OSNIC_RPC_MISMATCH_LEN	24
#define OSNIC_RPC_AUTH_ERROR_LEN 20

/*
 * Reply encoders. xid is in host order. Each writes all of its header or
 * nothing and returns 0 or -EMSGSIZE (from the XDR encoders).
 */
int osnic_rpc_encode_accepted(struct xdr_enc *xe, uint32_t xid, enum osnic_rpc_accept_stat stat);
int osnic_rpc_encode_prog_mismatch(struct xdr_enc *xe, uint32_t xid, uint32_t low, uint32_t high);
int osnic_rpc_encode_rpc_mismatch(struct xdr_enc *xe, uint32_t xid, uint32_t low, uint32_t high);
int osnic_rpc_encode_auth_error(struct xdr_enc *xe, uint32_t xid, enum osnic_rpc_auth_stat why);

#endif /* OSNIC_RPCMSG_H */
