// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ONC RPC call header decoder and the reply header
 * encoders (include/osnic/rpcmsg.h).
 *
 * Decoder input is copied to a heap buffer of exactly its length so that a
 * sanitizer sees any over-read; encoders write into a guarded buffer.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <osnic/rpcmsg.h>

#include "rpcbuild.h"

#define GUARD 0xa5

static enum osnic_call_verdict decode_exact(const uint8_t *msg, size_t len,
					    struct osnic_rpc_call *call)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum osnic_call_verdict v;

	cr_assert_not_null(copy);
	memcpy(copy, msg, len);
	v = osnic_rpc_decode_call(copy, len, call);
	/* Pointers into the copy must not be used after this. */
	call->args = call->args ? msg + (call->args - copy) : NULL;
	call->cred_body = call->cred_body ? msg + (call->cred_body - copy) : NULL;
	call->authsys.machinename = NULL;
	free(copy);
	return v;
}

TestSuite(rpcmsg);

Test(rpcmsg, decodes_auth_none_call)
{
	const uint8_t args[] = { 0, 0, 0, 7, 0, 0, 0, 9 };
	struct call_spec s = { .xid = 0xdeadbeef, .prog = 0x20001234, .vers = 1, .proc = 2,
			       .args = args, .args_len = sizeof(args) };
	struct osnic_rpc_call call;
	uint8_t buf[128];
	size_t len = build_call(&s, buf, sizeof(buf));

	cr_assert_eq(len, OSNIC_RPC_CALL_MIN_HDR + sizeof(args));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_OK);
	cr_assert_eq(call.xid, 0xdeadbeef);
	cr_assert_eq(call.rpcvers, 2);
	cr_assert_eq(call.prog, 0x20001234);
	cr_assert_eq(call.vers, 1);
	cr_assert_eq(call.proc, 2);
	cr_assert_eq(call.cred_flavor, OSNIC_RPC_AUTH_NONE);
	cr_assert_eq(call.args_len, sizeof(args));
	cr_assert_eq(call.args, buf + OSNIC_RPC_CALL_MIN_HDR);
}

Test(rpcmsg, every_truncated_header_is_dropped)
{
	uint8_t cred[64];
	struct call_spec s = { .xid = 1, .cred_flavor = OSNIC_RPC_AUTH_SYS, .verf_len = 8 };
	struct osnic_rpc_call call;
	uint8_t buf[256];
	size_t hdr, n;

	s.cred = cred;
	s.cred_len = build_authsys(5, "host", 1000, 100, NULL, 0, cred, sizeof(cred));
	hdr = build_call(&s, buf, sizeof(buf));
	cr_assert_gt(hdr, OSNIC_RPC_CALL_MIN_HDR);
	cr_assert_eq(decode_exact(buf, hdr, &call), OSNIC_CALL_OK);
	cr_assert_eq(call.args_len, 0);
	for (n = 0; n < hdr; n++)
		cr_expect_eq(decode_exact(buf, n, &call), OSNIC_CALL_DROP, "length %zu", n);
}

Test(rpcmsg, not_a_call_is_dropped)
{
	struct call_spec s = { .xid = 1, .msg_type = OSNIC_RPC_REPLY };
	struct osnic_rpc_call call;
	uint8_t buf[64];
	size_t len = build_call(&s, buf, sizeof(buf));

	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_DROP);
	s.msg_type = 2;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_DROP);
	s.msg_type = 0xffffffff;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_DROP);
}

Test(rpcmsg, other_rpc_versions_are_mismatches)
{
	const uint32_t versions[] = { 0, 1, 3, 0xffffffff };
	struct osnic_rpc_call call;
	uint8_t buf[64];
	size_t i, len;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct call_spec s = { .xid = 77, .rpcvers = versions[i], .rpcvers_zero = true };

		len = build_call(&s, buf, sizeof(buf));
		cr_expect_eq(decode_exact(buf, len, &call), OSNIC_CALL_RPC_MISMATCH, "rpcvers %u",
			     versions[i]);
		cr_expect_eq(call.xid, 77);
	}
}

Test(rpcmsg, oversized_auth_bodies_are_auth_errors)
{
	static const uint8_t big[OSNIC_RPC_MAX_AUTH_BYTES + 4];
	struct call_spec s = { .xid = 5, .cred = big, .cred_len = OSNIC_RPC_MAX_AUTH_BYTES + 4 };
	struct osnic_rpc_call call;
	uint8_t buf[1024];
	size_t len;

	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
	cr_assert_eq(call.auth_stat, OSNIC_RPC_AUTH_BADCRED);
	cr_assert_eq(call.xid, 5);

	/* Exactly 400 bytes of AUTH_NONE body is fine. */
	s.cred_len = OSNIC_RPC_MAX_AUTH_BYTES;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_OK);

	s.cred_len = 0;
	s.verf_len = OSNIC_RPC_MAX_AUTH_BYTES + 4;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
	cr_assert_eq(call.auth_stat, OSNIC_RPC_AUTH_BADVERF);
}

Test(rpcmsg, auth_body_past_the_end_is_dropped)
{
	struct call_spec s = { .xid = 5 };
	struct osnic_rpc_call call;
	uint8_t buf[64];
	size_t len = build_call(&s, buf, sizeof(buf));

	/* cred length 16, but only the verifier's 8 bytes follow. */
	buf[31] = 16;
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_DROP);
	/* A non-zero pad byte after a one-byte credential body. */
	len = build_call(&(struct call_spec){ .xid = 5, .cred = "abcd", .cred_len = 1 }, buf,
			 sizeof(buf));
	buf[33] = 1;
	cr_assert_eq(decode_exact(buf, len, &call), OSNIC_CALL_DROP);
}

Test(rpcmsg, unknown_flavors_are_badcred)
{
	const uint32_t flavors[] = { 2 /* AUTH_SHORT */, 3 /* AUTH_DH */, 6 /* RPCSEC_GSS */,
				     0x7fffffff };
	struct osnic_rpc_call call;
	uint8_t buf[64];
	size_t i, len;

	for (i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++) {
		struct call_spec s = { .xid = 9, .cred_flavor = flavors[i] };

		len = build_call(&s, buf, sizeof(buf));
		cr_expect_eq(decode_exact(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
		cr_expect_eq(call.auth_stat, OSNIC_RPC_AUTH_BADCRED);
	}
}

Test(rpcmsg, parses_auth_sys)
{
	const uint32_t gids[OSNIC_RPC_AUTHSYS_MAX_GIDS] = { 1, 2, 3, 4, 5, 6, 7, 8,
						      9, 10, 11, 12, 13, 14, 15, 16 };
	uint8_t cred[OSNIC_RPC_MAX_AUTH_BYTES];
	struct call_spec s = { .xid = 3, .cred_flavor = OSNIC_RPC_AUTH_SYS, .cred = cred,
			       .args = "ABCD", .args_len = 4 };
	struct osnic_rpc_call call;
	uint8_t buf[1024];
	size_t len;

	s.cred_len = build_authsys(0x1234, "client.example", 1000, 100, gids, 3, cred,
				   sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_OK);
	cr_assert_eq(call.authsys.stamp, 0x1234);
	cr_assert_eq(call.authsys.machinename_len, strlen("client.example"));
	cr_assert_eq(memcmp(call.authsys.machinename, "client.example", 14), 0);
	cr_assert_eq(call.authsys.uid, 1000);
	cr_assert_eq(call.authsys.gid, 100);
	cr_assert_eq(call.authsys.ngids, 3);
	cr_assert_eq(call.authsys.gids[2], 3);
	cr_assert_eq(call.args_len, 4);
	cr_assert_eq(memcmp(call.args, "ABCD", 4), 0);

	/* The most gids there may be. */
	s.cred_len = build_authsys(0, "h", 0, 0, gids, OSNIC_RPC_AUTHSYS_MAX_GIDS, cred, sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_OK);
	cr_assert_eq(call.authsys.ngids, OSNIC_RPC_AUTHSYS_MAX_GIDS);
	cr_assert_eq(call.authsys.gids[15], 16);

	/* An empty machine name. */
	s.cred_len = build_authsys(0, "", 5, 6, NULL, 0, cred, sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_OK);
	cr_assert_eq(call.authsys.machinename_len, 0);
	cr_assert_eq(call.authsys.uid, 5);
}

Test(rpcmsg, rejects_malformed_auth_sys)
{
	uint32_t gids[OSNIC_RPC_AUTHSYS_MAX_GIDS + 1] = { 0 };
	char name[OSNIC_RPC_AUTHSYS_MAX_MACHINENAME + 2];
	uint8_t cred[OSNIC_RPC_MAX_AUTH_BYTES + 64];
	struct call_spec s = { .xid = 3, .cred_flavor = OSNIC_RPC_AUTH_SYS, .cred = cred };
	struct osnic_rpc_call call;
	uint8_t buf[2048];
	size_t len, good, n;

	/* 17 gids. */
	s.cred_len = build_authsys(0, "h", 0, 0, gids, OSNIC_RPC_AUTHSYS_MAX_GIDS + 1, cred,
				   sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
	cr_assert_eq(call.auth_stat, OSNIC_RPC_AUTH_BADCRED);

	/* A machine name of 256 characters (the limit is 255). */
	memset(name, 'm', OSNIC_RPC_AUTHSYS_MAX_MACHINENAME + 1);
	name[OSNIC_RPC_AUTHSYS_MAX_MACHINENAME + 1] = '\0';
	s.cred_len = build_authsys(0, name, 0, 0, NULL, 0, cred, sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
	name[OSNIC_RPC_AUTHSYS_MAX_MACHINENAME] = '\0';
	s.cred_len = build_authsys(0, name, 0, 0, NULL, 0, cred, sizeof(cred));
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_OK);

	/* Every truncation of a good body, and a body with a trailing word. */
	good = build_authsys(1, "host", 2, 3, gids, 2, cred, sizeof(cred));
	for (n = 0; n < good; n += 4) {
		s.cred_len = n;
		len = build_call(&s, buf, sizeof(buf));
		cr_expect_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR,
			     "body of %zu bytes", n);
	}
	memset(cred + good, 0, 4);
	s.cred_len = good + 4;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR);

	/* A gid count that claims more than the body holds. */
	good = build_authsys(1, "host", 2, 3, NULL, 0, cred, sizeof(cred));
	cred[good - 1] = 5;
	s.cred_len = good;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR);

	/* A NUL inside the machine name. */
	good = build_authsys(1, "host", 2, 3, NULL, 0, cred, sizeof(cred));
	cred[9] = '\0';
	s.cred_len = good;
	len = build_call(&s, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_decode_call(buf, len, &call), OSNIC_CALL_AUTH_ERROR);
}

/* ---- reply encoders ------------------------------------------------------- */

static void expect_words(const uint8_t *buf, const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(be32_at(buf, i), w[i], "word %zu: %#x, expected %#x", i,
			     be32_at(buf, i), w[i]);
}

/* Encode into every buffer that is too small: nothing written, -EMSGSIZE. */
#define CHECK_SHORT(len, call)                                                     \
	do {                                                                       \
		for (size_t cap = 0; cap < (len); cap++) {                         \
			uint8_t g[64];                                             \
			struct xdr_enc xe;                                         \
			memset(g, GUARD, sizeof(g));                               \
			xdr_enc_init(&xe, g, cap);                                 \
			cr_expect_eq(call, -EMSGSIZE, "cap %zu", cap);              \
			cr_expect_eq(xe.pos, 0);                                   \
			for (size_t k = 0; k < sizeof(g); k++)                     \
				cr_expect_eq(g[k], GUARD, "byte %zu written", k);  \
		}                                                                  \
	} while (0)

Test(rpcmsg, encodes_accepted_replies)
{
	const uint32_t w[] = { 0x01020304, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0,
			       OSNIC_RPC_GARBAGE_ARGS };
	uint8_t buf[64];
	struct xdr_enc xe;

	xdr_enc_init(&xe, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_encode_accepted(&xe, 0x01020304, OSNIC_RPC_GARBAGE_ARGS), 0);
	cr_assert_eq(xe.pos, OSNIC_RPC_ACCEPTED_HDR);
	cr_assert_eq(buf[0], 1);
	cr_assert_eq(buf[3], 4);
	expect_words(buf, w, 6);
	CHECK_SHORT(OSNIC_RPC_ACCEPTED_HDR, osnic_rpc_encode_accepted(&xe, 1, OSNIC_RPC_SUCCESS));
}

Test(rpcmsg, encodes_prog_mismatch)
{
	const uint32_t w[] = { 7, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0,
			       OSNIC_RPC_PROG_MISMATCH, 1, 3 };
	uint8_t buf[64];
	struct xdr_enc xe;

	xdr_enc_init(&xe, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_encode_prog_mismatch(&xe, 7, 1, 3), 0);
	cr_assert_eq(xe.pos, 32);
	expect_words(buf, w, 8);
	CHECK_SHORT(32, osnic_rpc_encode_prog_mismatch(&xe, 7, 1, 3));
}

Test(rpcmsg, encodes_denied_replies)
{
	const uint32_t rpcm[] = { 8, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_RPC_MISMATCH, 2, 2 };
	const uint32_t auth[] = { 9, OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_AUTH_ERROR,
				  OSNIC_RPC_AUTH_TOOWEAK };
	uint8_t buf[64];
	struct xdr_enc xe;

	xdr_enc_init(&xe, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_encode_rpc_mismatch(&xe, 8, 2, 2), 0);
	cr_assert_eq(xe.pos, OSNIC_RPC_MISMATCH_LEN);
	expect_words(buf, rpcm, 6);
	CHECK_SHORT(OSNIC_RPC_MISMATCH_LEN, osnic_rpc_encode_rpc_mismatch(&xe, 8, 2, 2));

	xdr_enc_init(&xe, buf, sizeof(buf));
	cr_assert_eq(osnic_rpc_encode_auth_error(&xe, 9, OSNIC_RPC_AUTH_TOOWEAK), 0);
	cr_assert_eq(xe.pos, OSNIC_RPC_AUTH_ERROR_LEN);
	expect_words(buf, auth, 5);
	CHECK_SHORT(OSNIC_RPC_AUTH_ERROR_LEN,
		    osnic_rpc_encode_auth_error(&xe, 9, OSNIC_RPC_AUTH_TOOWEAK));
}
