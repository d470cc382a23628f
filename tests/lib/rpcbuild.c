// SPDX-License-Identifier: GPL-2.0-only
/* Test builder for ONC RPC call messages (rpcbuild.h). */
#include <string.h>

#include <osnic/rpc.h>
#include <osnic/xdr.h>

#include "rpcbuild.h"

size_t build_call(const struct call_spec *s, uint8_t *buf, size_t cap)
{
	static const uint8_t zeros[OSNIC_RPC_MAX_AUTH_BYTES + 64];
	struct xdr_enc xe;
	int err = 0;

	xdr_enc_init(&xe, buf, cap);
	err |= xdr_enc_uint(&xe, s->xid);
	err |= xdr_enc_uint(&xe, s->msg_type);
	err |= xdr_enc_uint(&xe, s->rpcvers || s->rpcvers_zero ? s->rpcvers : OSNIC_RPC_VERSION);
	err |= xdr_enc_uint(&xe, s->prog);
	err |= xdr_enc_uint(&xe, s->vers);
	err |= xdr_enc_uint(&xe, s->proc);
	err |= xdr_enc_uint(&xe, s->cred_flavor);
	err |= xdr_enc_opaque(&xe, s->cred_len ? s->cred : NULL, s->cred_len, UINT32_MAX);
	err |= xdr_enc_uint(&xe, s->verf_flavor);
	if (s->verf_len > sizeof(zeros))
		return 0;
	err |= xdr_enc_opaque(&xe, zeros, s->verf_len, UINT32_MAX);
	/* Raw bytes, not padded: tests send arguments of any length. */
	if (err || s->args_len > xdr_enc_remaining(&xe))
		return 0;
	if (s->args_len)
		memcpy(buf + xe.pos, s->args, s->args_len);
	return xe.pos + s->args_len;
}

size_t build_authsys(uint32_t stamp, const char *machine, uint32_t uid, uint32_t gid,
		     const uint32_t *gids, uint32_t ngids, uint8_t *buf, size_t cap)
{
	struct xdr_enc xe;
	int err = 0;
	uint32_t i;

	xdr_enc_init(&xe, buf, cap);
	err |= xdr_enc_uint(&xe, stamp);
	err |= xdr_enc_string(&xe, machine, strlen(machine), UINT32_MAX);
	err |= xdr_enc_uint(&xe, uid);
	err |= xdr_enc_uint(&xe, gid);
	err |= xdr_enc_uint(&xe, ngids);
	for (i = 0; i < ngids; i++)
		err |= xdr_enc_uint(&xe, gids[i]);
	return err ? 0 : xe.pos;
}

uint32_t be32_at(const uint8_t *p, size_t word)
{
	return xdr_load_be32(p + 4 * word);
}
