// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the runtime's call handling (osnic_serve_datagram,
 * osnic_serve_record) and of a worker serving its socket, without osnicd
 * (OSNIC_INIT_NO_DAEMON) and without rpcbind.
 *
 * The test service, program TPROG version 1:
 *   1 ADD(hyper, hyper) -> hyper      strict: checks osnic_args_done()
 *   2 LAXADD(hyper, hyper) -> hyper   does not: the runtime must catch it
 *   3 FAIL -> SYSTEM_ERR
 *   4 BIG -> encodes more than fits: SYSTEM_ERR
 *   5 BOGUS -> returns 77, which is no verdict: SYSTEM_ERR
 *   6 SILENT -> OSNIC_REPLY_NONE
 *   7 ROOTONLY -> AUTH_ERROR(TOOWEAK) unless AUTH_SYS uid 0; returns uid, gid
 *   8 SMALL(opaque<>) with max_arg_bytes 8 -> SUCCESS
 *   9 WHO -> the client's port and the xid it saw
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osnic/abi.h>
#include <osnic/osnic.h>
#include <osnic/rpcmsg.h>

#include "rpcbuild.h"

#define TPROG 0x30000001
#define REPLY_CAP 256

static int h_add(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	int64_t a, b;

	if (xdr_dec_hyper(args, &a) || xdr_dec_hyper(args, &b) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_hyper(res, (int64_t)((uint64_t)a + (uint64_t)b)) ? OSNIC_RPC_SYSTEM_ERR
									 : OSNIC_RPC_SUCCESS;
}

static int h_laxadd(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	int64_t a, b;

	if (xdr_dec_hyper(args, &a) || xdr_dec_hyper(args, &b))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_hyper(res, a + b) ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

static int h_fail(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	return OSNIC_RPC_SYSTEM_ERR;
}

static int h_big(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	static const uint8_t lots[REPLY_CAP];

	if (xdr_enc_fixed_opaque(res, lots, sizeof(lots)))
		return OSNIC_RPC_SYSTEM_ERR;
	return OSNIC_RPC_SUCCESS;
}

static int h_bogus(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	xdr_enc_uint(res, 1);
	return 77;
}

static int h_silent(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	return OSNIC_REPLY_NONE;
}

static int h_rootonly(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	if (call->cred_flavor != OSNIC_RPC_AUTH_SYS || call->uid != 0)
		return OSNIC_REPLY_AUTH_ERROR(OSNIC_RPC_AUTH_TOOWEAK);
	xdr_enc_uint(res, call->uid);
	xdr_enc_uint(res, call->gid);
	return OSNIC_RPC_SUCCESS;
}

static int h_small(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	const uint8_t *p;
	uint32_t n;

	if (xdr_dec_opaque(args, &p, &n, UINT32_MAX))
		return OSNIC_RPC_GARBAGE_ARGS;
	return OSNIC_RPC_SUCCESS;
}

static int h_who(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&call->client;

	if (call->client.ss_family != AF_INET)
		return OSNIC_RPC_SYSTEM_ERR;
	if (xdr_enc_uint(res, ntohs(s4->sin_port)) || xdr_enc_uint(res, ntohl(s4->sin_addr.s_addr)) ||
	    xdr_enc_uint(res, call->xid) || xdr_enc_uint(res, call->via_ring))
		return OSNIC_RPC_SYSTEM_ERR;
	return OSNIC_RPC_SUCCESS;
}

static const struct osnic_proc procs[] = {
	{ 1, h_add, 0 },    { 2, h_laxadd, 0 }, { 3, h_fail, 0 },	{ 4, h_big, 0 },
	{ 5, h_bogus, 0 },  { 6, h_silent, 0 }, { 7, h_rootonly, 0 }, { 8, h_small, 8 },
	{ 9, h_who, 0 },
};

static struct osnic *ctx;
static struct osnic_svc *svc;
static struct osnic_worker_counters cnt;

static void setup(void)
{
	struct osnic_service_def def = {
		.prog = TPROG,
		.vers = 1,
		.procs = procs,
		.nprocs = sizeof(procs) / sizeof(procs[0]),
		.reply_max = REPLY_CAP,
		.no_rpcbind = true,
	};

	cr_assert_eq(osnic_init_opts(&ctx, OSNIC_INIT_NO_DAEMON), 0);
	cr_assert_eq(osnic_register(ctx, &def, &svc), 0);
	cr_assert_neq(osnic_svc_port(svc), 0);
	memset(&cnt, 0, sizeof(cnt));
}

static void teardown(void)
{
	osnic_fini(ctx);
}

static const struct sockaddr_in6 mapped_client = {
	.sin6_family = AF_INET6,
	.sin6_port = 0x3930,	/* htons(12345) */
	.sin6_addr.s6_addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 },
};

/* Serve a call built from s; returns the reply length. */
static ssize_t serve(const struct call_spec *s, uint8_t *reply)
{
	uint8_t msg[1024];
	size_t len = build_call(s, msg, sizeof(msg));

	cr_assert_gt(len, 0);
	return osnic_serve_datagram(svc, msg, len, (const struct sockaddr *)&mapped_client,
				    sizeof(mapped_client), reply, REPLY_CAP, &cnt);
}

/* An accepted reply with this xid and stat, and body_len bytes after it. */
static void expect_accepted(const uint8_t *r, ssize_t len, uint32_t xid, uint32_t stat,
			    size_t body_len)
{
	cr_assert_eq(len, OSNIC_RPC_ACCEPTED_HDR + (ssize_t)body_len, "reply of %zd bytes", len);
	cr_expect_eq(be32_at(r, 0), xid);
	cr_expect_eq(be32_at(r, 1), OSNIC_RPC_REPLY);
	cr_expect_eq(be32_at(r, 2), OSNIC_RPC_MSG_ACCEPTED);
	cr_expect_eq(be32_at(r, 3), OSNIC_RPC_AUTH_NONE);
	cr_expect_eq(be32_at(r, 4), 0);
	cr_expect_eq(be32_at(r, 5), stat, "accept_stat %u, expected %u", be32_at(r, 5), stat);
}

static const uint8_t add_args[16] = { 0, 0, 0, 0, 0, 0, 0, 40, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xfe };	/* 40, -2 */

TestSuite(serve, .init = setup, .fini = teardown);

Test(serve, success_with_results)
{
	struct call_spec s = { .xid = 11, .prog = TPROG, .vers = 1, .proc = 1,
			       .args = add_args, .args_len = 16 };
	uint8_t r[REPLY_CAP];
	ssize_t len = serve(&s, r);

	expect_accepted(r, len, 11, OSNIC_RPC_SUCCESS, 8);
	cr_expect_eq(be32_at(r, 6), 0);
	cr_expect_eq(be32_at(r, 7), 38);
	cr_expect_eq(cnt.sock_calls, 1);
}

Test(serve, short_args_are_garbage)
{
	struct call_spec s = { .xid = 12, .prog = TPROG, .vers = 1, .proc = 1, .args = add_args };
	uint8_t r[REPLY_CAP];
	size_t n;

	for (n = 0; n < 16; n++) {
		s.args_len = n;
		expect_accepted(r, serve(&s, r), 12, OSNIC_RPC_GARBAGE_ARGS, 0);
		s.proc = 2;
		expect_accepted(r, serve(&s, r), 12, OSNIC_RPC_GARBAGE_ARGS, 0);
		s.proc = 1;
	}
	cr_expect_eq(cnt.garbage_args, 32);
}

Test(serve, trailing_args_are_garbage)
{
	uint8_t args[24] = { 0 };
	struct call_spec s = { .xid = 13, .prog = TPROG, .vers = 1, .proc = 1, .args = args };
	uint8_t r[REPLY_CAP];
	size_t n;

	for (n = 17; n <= sizeof(args); n++) {
		s.args_len = n;
		s.proc = 1;	/* the handler checks */
		expect_accepted(r, serve(&s, r), 13, OSNIC_RPC_GARBAGE_ARGS, 0);
		s.proc = 2;	/* the runtime checks */
		expect_accepted(r, serve(&s, r), 13, OSNIC_RPC_GARBAGE_ARGS, 0);
	}
}

Test(serve, max_arg_bytes)
{
	uint8_t args[12] = { 0, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct call_spec s = { .xid = 14, .prog = TPROG, .vers = 1, .proc = 8, .args = args,
			       .args_len = 8 };
	uint8_t r[REPLY_CAP];

	expect_accepted(r, serve(&s, r), 14, OSNIC_RPC_SUCCESS, 0);
	args[3] = 8;
	s.args_len = 12;
	expect_accepted(r, serve(&s, r), 14, OSNIC_RPC_GARBAGE_ARGS, 0);
}

Test(serve, handler_failures_are_system_err)
{
	struct call_spec s = { .xid = 15, .prog = TPROG, .vers = 1 };
	uint8_t r[REPLY_CAP];

	s.proc = 3;
	expect_accepted(r, serve(&s, r), 15, OSNIC_RPC_SYSTEM_ERR, 0);
	s.proc = 4;
	expect_accepted(r, serve(&s, r), 15, OSNIC_RPC_SYSTEM_ERR, 0);
	s.proc = 5;
	expect_accepted(r, serve(&s, r), 15, OSNIC_RPC_SYSTEM_ERR, 0);
	cr_expect_eq(cnt.system_err, 3);
}

Test(serve, no_reply)
{
	struct call_spec s = { .xid = 16, .prog = TPROG, .vers = 1, .proc = 6 };
	uint8_t r[REPLY_CAP];

	cr_expect_eq(serve(&s, r), 0);
	cr_expect_eq(cnt.no_reply, 1);
}

Test(serve, auth_sys_reaches_handler_and_auth_error_is_denied)
{
	uint8_t cred[64];
	struct call_spec s = { .xid = 17, .prog = TPROG, .vers = 1, .proc = 7,
			       .cred_flavor = OSNIC_RPC_AUTH_SYS, .cred = cred };
	uint8_t r[REPLY_CAP];
	ssize_t len;

	s.cred_len = build_authsys(1, "h", 0, 42, NULL, 0, cred, sizeof(cred));
	len = serve(&s, r);
	expect_accepted(r, len, 17, OSNIC_RPC_SUCCESS, 8);
	cr_expect_eq(be32_at(r, 6), 0);
	cr_expect_eq(be32_at(r, 7), 42);

	s.cred_len = build_authsys(1, "h", 1000, 42, NULL, 0, cred, sizeof(cred));
	len = serve(&s, r);
	cr_assert_eq(len, OSNIC_RPC_AUTH_ERROR_LEN);
	cr_expect_eq(be32_at(r, 0), 17);
	cr_expect_eq(be32_at(r, 2), OSNIC_RPC_MSG_DENIED);
	cr_expect_eq(be32_at(r, 3), OSNIC_RPC_AUTH_ERROR);
	cr_expect_eq(be32_at(r, 4), OSNIC_RPC_AUTH_TOOWEAK);
}

Test(serve, unknown_procedures_and_nullproc)
{
	struct call_spec s = { .xid = 18, .prog = TPROG, .vers = 1 };
	uint8_t r[REPLY_CAP];

	s.proc = 0;
	expect_accepted(r, serve(&s, r), 18, OSNIC_RPC_SUCCESS, 0);
	s.args = "abcd";
	s.args_len = 4;
	expect_accepted(r, serve(&s, r), 18, OSNIC_RPC_GARBAGE_ARGS, 0);
	s.args_len = 0;
	s.proc = 10;
	expect_accepted(r, serve(&s, r), 18, OSNIC_RPC_PROC_UNAVAIL, 0);
	s.proc = 64;
	expect_accepted(r, serve(&s, r), 18, OSNIC_RPC_PROC_UNAVAIL, 0);
	s.proc = 0xffffffff;
	expect_accepted(r, serve(&s, r), 18, OSNIC_RPC_PROC_UNAVAIL, 0);
	cr_expect_eq(cnt.proc_unavail, 3);
}

Test(serve, unknown_programs_and_versions)
{
	struct call_spec s = { .xid = 19, .prog = TPROG + 1, .vers = 1, .proc = 1 };
	uint8_t r[REPLY_CAP];
	ssize_t len;

	expect_accepted(r, serve(&s, r), 19, OSNIC_RPC_PROG_UNAVAIL, 0);
	s.prog = TPROG;
	s.vers = 2;
	len = serve(&s, r);
	expect_accepted(r, len, 19, OSNIC_RPC_PROG_MISMATCH, 8);
	cr_expect_eq(be32_at(r, 6), 1);
	cr_expect_eq(be32_at(r, 7), 1);
}

Test(serve, second_version_on_the_same_port)
{
	struct osnic_service_def def = {
		.prog = TPROG,
		.vers = 3,
		.port = osnic_svc_port(svc),
		.procs = procs,
		.nprocs = 1,
		.no_rpcbind = true,
	};
	struct call_spec s = { .xid = 20, .prog = TPROG, .vers = 3, .proc = 1,
			       .args = add_args, .args_len = 16 };
	struct osnic_svc *v3;
	uint8_t r[REPLY_CAP];
	ssize_t len;

	cr_assert_eq(osnic_register(ctx, &def, &v3), 0);
	/* Arrives on the version 1 service's socket, served by version 3. */
	expect_accepted(r, serve(&s, r), 20, OSNIC_RPC_SUCCESS, 8);
	s.proc = 2;
	expect_accepted(r, serve(&s, r), 20, OSNIC_RPC_PROC_UNAVAIL, 0);
	s.vers = 2;
	len = serve(&s, r);
	expect_accepted(r, len, 20, OSNIC_RPC_PROG_MISMATCH, 8);
	cr_expect_eq(be32_at(r, 6), 1);
	cr_expect_eq(be32_at(r, 7), 3);
	cr_assert_eq(osnic_unregister(v3), 0);
	len = serve(&s, r);
	expect_accepted(r, len, 20, OSNIC_RPC_PROG_MISMATCH, 8);
	cr_expect_eq(be32_at(r, 7), 1);
}

Test(serve, protocol_errors)
{
	struct call_spec s = { .xid = 21, .prog = TPROG, .vers = 1, .proc = 1, .rpcvers = 3 };
	uint8_t r[REPLY_CAP];
	uint8_t msg[64];
	ssize_t len;

	len = serve(&s, r);
	cr_assert_eq(len, OSNIC_RPC_MISMATCH_LEN);
	cr_expect_eq(be32_at(r, 0), 21);
	cr_expect_eq(be32_at(r, 2), OSNIC_RPC_MSG_DENIED);
	cr_expect_eq(be32_at(r, 3), OSNIC_RPC_RPC_MISMATCH);
	cr_expect_eq(be32_at(r, 4), 2);
	cr_expect_eq(be32_at(r, 5), 2);

	s.rpcvers = 0;
	s.cred_flavor = 3;
	len = serve(&s, r);
	cr_assert_eq(len, OSNIC_RPC_AUTH_ERROR_LEN);
	cr_expect_eq(be32_at(r, 4), OSNIC_RPC_AUTH_BADCRED);

	s.cred_flavor = 0;
	s.msg_type = OSNIC_RPC_REPLY;
	cr_expect_eq(serve(&s, r), 0);
	memset(msg, 0xff, sizeof(msg));
	cr_expect_eq(osnic_serve_datagram(svc, msg, sizeof(msg), NULL, 0, r, REPLY_CAP, &cnt), 0);
	cr_expect_eq(osnic_serve_datagram(svc, msg, 3, NULL, 0, r, REPLY_CAP, &cnt), 0);
	cr_expect_eq(cnt.sock_dropped, 3);
	cr_expect_eq(cnt.rpc_denied, 2);
}

Test(serve, client_address_is_ipv4)
{
	struct call_spec s = { .xid = 22, .prog = TPROG, .vers = 1, .proc = 9 };
	uint8_t r[REPLY_CAP];

	expect_accepted(r, serve(&s, r), 22, OSNIC_RPC_SUCCESS, 16);
	cr_expect_eq(be32_at(r, 6), 12345);
	cr_expect_eq(be32_at(r, 7), 0x0a010203);
	cr_expect_eq(be32_at(r, 8), 22);
	cr_expect_eq(be32_at(r, 9), 0);
}

Test(serve, reply_buffer_too_small)
{
	uint8_t msg[128], r[64];
	struct call_spec s = { .xid = 23, .prog = TPROG, .vers = 1, .proc = 1,
			       .args = add_args, .args_len = 16 };
	size_t len = build_call(&s, msg, sizeof(msg));

	cr_expect_eq(osnic_serve_datagram(svc, msg, len, NULL, 0, r, 16, NULL), -EMSGSIZE);
	cr_expect_eq(osnic_serve_datagram(svc, msg, len, NULL, 0, r, 31, NULL), -EMSGSIZE);
	/* Just enough. */
	cr_expect_eq(osnic_serve_datagram(svc, msg, len, NULL, 0, r, 32, NULL), 32);
	cr_expect_eq(be32_at(r, 5), OSNIC_RPC_SUCCESS);
	/* Room for the header but not the result. */
	s.proc = 9;
	s.args_len = 0;
	len = build_call(&s, msg, sizeof(msg));
	cr_expect_eq(osnic_serve_datagram(svc, msg, len, (const struct sockaddr *)&mapped_client,
					  sizeof(mapped_client), r, 32, NULL), 24);
	cr_expect_eq(be32_at(r, 5), OSNIC_RPC_SYSTEM_ERR);
}

/* ---- ring records ------------------------------------------------------------ */

static size_t make_record(uint8_t *rec, size_t lines, uint32_t xid, uint32_t proc,
			  const void *args, uint16_t arg_len)
{
	struct osnic_call_desc d = {
		.xid = htonl(xid),
		.proc = proc,
		.service_id = osnic_svc_id(svc),
		.arg_len = arg_len,
		.family = AF_INET,
		.cred_flavor = OSNIC_RPC_AUTH_SYS,
		.client_port = htons(4242),
		.client_addr = { 192, 0, 2, 7 },
		.uid = 0,
		.gid = 99,
		.rx_cpu = 1,
		.lines = lines,
		.rx_ns = 123,
	};
	size_t len = OSNIC_REC_SIZE(lines);

	memset(rec, 0, len);
	memcpy(rec, &d, sizeof(d));
	if (arg_len)
		memcpy(rec + OSNIC_ARGS_OFF, args, arg_len);
	return len;
}

Test(serve, ring_record)
{
	uint8_t rec[OSNIC_REC_SIZE(2)], r[REPLY_CAP];
	struct sockaddr_storage to;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
	socklen_t tolen;
	size_t len = make_record(rec, 2, 0xabcdef01, 1, add_args, 16);
	ssize_t n;

	n = osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt);
	expect_accepted(r, n, 0xabcdef01, OSNIC_RPC_SUCCESS, 8);
	cr_expect_eq(be32_at(r, 7), 38);
	cr_assert_eq(tolen, sizeof(*s4));
	cr_expect_eq(s4->sin_family, AF_INET);
	cr_expect_eq(ntohs(s4->sin_port), 4242);
	cr_expect_eq(ntohl(s4->sin_addr.s_addr), 0xc0000207);

	/* uid/gid reach the handler from the descriptor. */
	len = make_record(rec, 2, 5, 7, NULL, 0);
	n = osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt);
	expect_accepted(r, n, 5, OSNIC_RPC_SUCCESS, 8);
	cr_expect_eq(be32_at(r, 7), 99);

	/* Short and trailing arguments. */
	len = make_record(rec, 2, 6, 1, add_args, 12);
	n = osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt);
	expect_accepted(r, n, 6, OSNIC_RPC_GARBAGE_ARGS, 0);
	len = make_record(rec, 2, 6, 2, rec, 20);
	n = osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt);
	expect_accepted(r, n, 6, OSNIC_RPC_GARBAGE_ARGS, 0);
	cr_expect_eq(cnt.ring_calls, 4);
}

Test(serve, malformed_ring_records)
{
	uint8_t rec[OSNIC_REC_SIZE(2)], r[REPLY_CAP];
	struct osnic_call_desc *d = (struct osnic_call_desc *)rec;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;

	len = make_record(rec, 2, 1, 1, add_args, 16);
	cr_expect_eq(osnic_serve_record(svc, rec, OSNIC_ARGS_OFF - 1, &to, &tolen, r, REPLY_CAP,
					&cnt), 0);
	d->arg_len = len - OSNIC_ARGS_OFF + 1;
	cr_expect_eq(osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt), 0);
	d->arg_len = 16;
	d->service_id = osnic_svc_id(svc) + 1;
	cr_expect_eq(osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt), 0);
	d->service_id = osnic_svc_id(svc);
	d->family = 0;
	cr_expect_eq(osnic_serve_record(svc, rec, len, &to, &tolen, r, REPLY_CAP, &cnt), 0);
	cr_expect_eq(cnt.ring_malformed, 4);
	cr_expect_eq(cnt.ring_calls, 0);
}

/* ---- a worker serving its socket ---------------------------------------------- */

Test(serve, worker_serves_socket_in_batches)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(osnic_svc_port(svc)),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct osnic_worker_counters wc;
	struct osnic_worker *w;
	uint8_t msg[128], r[REPLY_CAP];
	struct pollfd pfd;
	int fd, i, got = 0;
	size_t len;

	cr_assert_eq(osnic_worker_create(svc, &w), 0);
	cr_assert_gt(osnic_worker_tid(w), 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);

	/* Garbage first: counted, not answered. */
	memset(msg, 0xee, sizeof(msg));
	sendto(fd, msg, 17, 0, (struct sockaddr *)&to, sizeof(to));
	for (i = 0; i < 50; i++) {
		struct call_spec s = { .xid = 1000 + i, .prog = TPROG, .vers = 1, .proc = 1,
				       .args = add_args, .args_len = 16 };

		len = build_call(&s, msg, sizeof(msg));
		cr_assert_eq(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)),
			     (ssize_t)len);
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (got < 50 && poll(&pfd, 1, 2000) == 1) {
		ssize_t n = recv(fd, r, sizeof(r), 0);

		expect_accepted(r, n, be32_at(r, 0), OSNIC_RPC_SUCCESS, 8);
		cr_expect_geq(be32_at(r, 0), 1000);
		cr_expect_eq(be32_at(r, 7), 38);
		got++;
	}
	cr_expect_eq(got, 50);
	close(fd);

	osnic_worker_counters(w, &wc);
	cr_expect_eq(wc.sock_calls, 50);
	cr_expect_eq(wc.replies, 50);
	cr_expect_eq(wc.sock_dropped, 1);
	cr_expect_geq(wc.wakeups, 1);
	cr_expect_eq(osnic_worker_join(w), 0);
}

Test(serve, worker_stops_promptly)
{
	struct osnic_worker *w[3];
	struct timespec a, b;
	int i;

	for (i = 0; i < 3; i++)
		cr_assert_eq(osnic_worker_create(svc, &w[i]), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 3; i++)
		cr_expect_eq(osnic_worker_join(w[i]), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* The eventfd wakes them: far below the epoll timeout. */
	cr_expect_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 500);
}

Test(serve, bad_definitions)
{
	struct osnic_proc dup[] = { { 1, h_add, 0 }, { 1, h_add, 0 } };
	struct osnic_proc high[] = { { OSNIC_MAX_PROCS, h_add, 0 } };
	struct osnic_proc none[] = { { 1, NULL, 0 } };
	struct osnic_service_def def = { .prog = 1, .vers = 1, .no_rpcbind = true };
	struct osnic_svc *s;

	def.procs = dup;
	def.nprocs = 2;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.procs = high;
	def.nprocs = 1;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.procs = none;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.procs = NULL;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.nprocs = 0;
	def.reply_max = 16;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.reply_max = OSNIC_REPLY_MAX_LIMIT + 1;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
	def.reply_max = 0;
	def.poll_us = OSNIC_POLL_US_MAX + 1;
	cr_expect_eq(osnic_register(ctx, &def, &s), -EINVAL);
}
