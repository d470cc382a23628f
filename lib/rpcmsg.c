// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ONC RPC call header decoder and reply header encoder; the rules for what
 * is accepted, answered or dropped are in include/osnic/rpcmsg.h.
 *
 * The call header on the wire (RFC 5531, section 9):
 *   xid, msg_type (CALL = 0), rpcvers, prog, vers, proc,
 *   cred (flavor, opaque body<400>), verf (flavor, opaque body<400>),
 *   then the procedure's arguments.
 */
#include <string.h>

#include <osnic/rpcmsg.h>

/* An opaque_auth: flavor and body<400>, zero-copy. */
static int rpc_dec_auth(struct xdr_dec *xd, uint32_t *flavor, const uint8_t **body, uint32_t *len)
{
	int err;

	err = xdr_dec_uint(xd, flavor);
	if (err)
		return err;
	return xdr_dec_opaque(xd, body, len, OSNIC_RPC_MAX_AUTH_BYTES);
}

int osnic_rpc_decode_authsys(const uint8_t *body, size_t len, struct osnic_rpc_authsys *sys)
{
	struct osnic_rpc_authsys s;
	struct xdr_dec xd;
	uint32_t i;
	int err;

	xdr_dec_init(&xd, body, len);
	err = xdr_dec_uint(&xd, &s.stamp);
	if (!err)
		err = xdr_dec_string(&xd, &s.machinename, &s.machinename_len,
				     OSNIC_RPC_AUTHSYS_MAX_MACHINENAME);
	if (!err)
		err = xdr_dec_uint(&xd, &s.uid);
	if (!err)
		err = xdr_dec_uint(&xd, &s.gid);
	if (!err)
		err = xdr_dec_array_count(&xd, &s.ngids, OSNIC_RPC_AUTHSYS_MAX_GIDS, 4);
	for (i = 0; !err && i < s.ngids; i++)
		err = xdr_dec_uint(&xd, &s.gids[i]);
	if (err)
		return err;
	if (xdr_dec_remaining(&xd))
		return -EBADMSG;
	*sys = s;
	return 0;
}

enum osnic_call_verdict osnic_rpc_decode_call(const void *msg, size_t len,
					      struct osnic_rpc_call *call)
{
	struct xdr_dec xd;
	uint32_t type;
	int err;

	memset(call, 0, sizeof(*call));
	if (len < OSNIC_RPC_CALL_MIN_HDR)
		return OSNIC_CALL_DROP;
	xdr_dec_init(&xd, msg, len);
	/* Cannot fail: at least OSNIC_RPC_CALL_MIN_HDR bytes are there. */
	xdr_dec_uint(&xd, &call->xid);
	xdr_dec_uint(&xd, &type);
	if (type != OSNIC_RPC_CALL)
		return OSNIC_CALL_DROP;
	xdr_dec_uint(&xd, &call->rpcvers);
	if (call->rpcvers != OSNIC_RPC_VERSION)
		return OSNIC_CALL_RPC_MISMATCH;
	xdr_dec_uint(&xd, &call->prog);
	xdr_dec_uint(&xd, &call->vers);
	xdr_dec_uint(&xd, &call->proc);

	err = rpc_dec_auth(&xd, &call->cred_flavor, &call->cred_body, &call->cred_len);
	if (err == -EMSGSIZE) {
		call->auth_stat = OSNIC_RPC_AUTH_BADCRED;
		return OSNIC_CALL_AUTH_ERROR;
	}
	if (err)
		return OSNIC_CALL_DROP;
	err = rpc_dec_auth(&xd, &call->verf_flavor, &call->verf_body, &call->verf_len);
	if (err == -EMSGSIZE) {
		call->auth_stat = OSNIC_RPC_AUTH_BADVERF;
		return OSNIC_CALL_AUTH_ERROR;
	}
	if (err)
		return OSNIC_CALL_DROP;

	switch (call->cred_flavor) {
	case OSNIC_RPC_AUTH_NONE:
		break;
	case OSNIC_RPC_AUTH_SYS:
		if (osnic_rpc_decode_authsys(call->cred_body, call->cred_len, &call->authsys)) {
			call->auth_stat = OSNIC_RPC_AUTH_BADCRED;
			return OSNIC_CALL_AUTH_ERROR;
		}
		break;
	default:
		call->auth_stat = OSNIC_RPC_AUTH_BADCRED;
		return OSNIC_CALL_AUTH_ERROR;
	}

	call->args = xd.base + xd.pos;
	call->args_len = xdr_dec_remaining(&xd);
	return OSNIC_CALL_OK;
}

/* Write n 32-bit words, or nothing if they do not all fit. */
static int rpc_enc_words(struct xdr_enc *xe, const uint32_t *w, size_t n)
{
	size_t i;

	if (xdr_enc_remaining(xe) < n * 4)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		xdr_enc_uint(xe, w[i]);
	return 0;
}

int osnic_rpc_encode_accepted(struct xdr_enc *xe, uint32_t xid, enum osnic_rpc_accept_stat stat)
{
	const uint32_t w[] = { xid, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0, stat };

	return rpc_enc_words(xe, w, 6);
}

int osnic_rpc_encode_prog_mismatch(struct xdr_enc *xe, uint32_t xid, uint32_t low, uint32_t high)
{
	const uint32_t w[] = { xid, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0,
			       OSNIC_RPC_PROG_MISMATCH, low, high };

	return rpc_enc_words(xe, w, 8);
}

int osnic_rpc_encode_rpc_mismatch(struct xdr_enc *xe, uint32_t xid, uint32_t low, uint32_t high)
{
	const uint32_t w[] = { xid, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_RPC_MISMATCH, low, high };

	return rpc_enc_words(xe, w, 6);
}

int osnic_rpc_encode_auth_error(struct xdr_enc *xe, uint32_t xid, enum osnic_rpc_auth_stat why)
{
	const uint32_t w[] = { xid, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_AUTH_ERROR, why };

	return rpc_enc_words(xe, w, 5);
}
