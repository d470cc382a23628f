// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The libtirpc SVCXPRT adapter (include/osnic/tirpc.h).
 *
 * One SVCXPRT per call, on the worker's stack: it lives exactly as long as
 * the dispatch function runs, so nothing is shared between worker threads
 * and nothing is allocated. The ops:
 *   xp_getargs   decode the call's XDR arguments with the given xdrproc
 *                from an xdrmem stream over them; all bytes must be used;
 *   xp_reply     record the verdict and encode the results with the given
 *                xdrproc into the osnic reply's results buffer;
 *   xp_freeargs  xdr_free, as libtirpc does;
 *   the rest     inert: the adapter never receives or is destroyed by
 *                libtirpc itself.
 */
#include <string.h>

/* First: <rpc/rpc.h> before osnic/rpc.h (see there). */
#include <osnic/tirpc.h>

#include <osnic/abi.h>
#include <osnic/rpcmsg.h>

/*
 * libtirpc's private SVCXPRT_EXT, which its svc and auth code reach through
 * xp_p3 on every transport: the adapter's transport carries a zeroed one so
 * that none of that code can dereference NULL.
 */
struct tirpc_xprt_ext {
	int xp_flags;
	SVCAUTH xp_auth;
};

struct tirpc_call {
	SVCXPRT xprt;			/* first: the ops get &xprt */
	struct tirpc_xprt_ext ext;
	struct xdr_dec *args;
	struct xdr_enc *res;
	int verdict;
	struct authunix_parms aup;
	gid_t gids[OSNIC_RPC_AUTHSYS_MAX_GIDS];
	char machname[OSNIC_RPC_AUTHSYS_MAX_MACHINENAME + 1];
};

static struct tirpc_call *xprt_call(SVCXPRT *xprt)
{
	return xprt->xp_p1;
}

static bool_t xp_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	return FALSE;
}

static enum xprt_stat xp_stat(SVCXPRT *xprt)
{
	return XPRT_IDLE;
}

static bool_t xp_getargs(SVCXPRT *xprt, xdrproc_t xargs, void *argsp)
{
	struct tirpc_call *tc = xprt_call(xprt);
	size_t n = xdr_dec_remaining(tc->args);
	bool_t ok;
	XDR xdrs;

	/* xdrmem takes a char * and a u_int; XDR_DECODE does not write. */
	if (n > UINT32_MAX)
		return FALSE;
	xdrmem_create(&xdrs, (char *)(tc->args->base + tc->args->pos), n, XDR_DECODE);
	ok = xargs(&xdrs, argsp) && xdr_getpos(&xdrs) == n;
	XDR_DESTROY(&xdrs);
	if (!ok) {
		/* Free what a partial decode allocated, as libtirpc does. */
		xdr_free(xargs, argsp);
		return FALSE;
	}
	tc->args->pos += n;
	return TRUE;
}

static bool_t xp_reply(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct tirpc_call *tc = xprt_call(xprt);
	struct xdr_enc *res = tc->res;
	XDR xdrs;
	bool_t ok;

	if (msg->rm_reply.rp_stat == MSG_DENIED) {
		if (msg->rjcted_rply.rj_stat == AUTH_ERROR)
			tc->verdict = OSNIC_REPLY_AUTH_ERROR(msg->rjcted_rply.rj_why & 0xff);
		else
			tc->verdict = OSNIC_RPC_SYSTEM_ERR;	/* RPC_MISMATCH is osnic's to send */
		return TRUE;
	}

	res->pos = 0;
	switch (msg->acpted_rply.ar_stat) {
	case SUCCESS:
		if (res->len > UINT32_MAX)
			return FALSE;
		xdrmem_create(&xdrs, (char *)res->base, res->len, XDR_ENCODE);
		ok = msg->acpted_rply.ar_results.proc(&xdrs, msg->acpted_rply.ar_results.where);
		if (ok)
			res->pos = xdr_getpos(&xdrs);
		XDR_DESTROY(&xdrs);
		/* The dispatch function answers a failed reply with svcerr_systemerr(). */
		if (!ok)
			return FALSE;
		tc->verdict = OSNIC_RPC_SUCCESS;
		return TRUE;
	case PROG_MISMATCH:
		if (xdr_enc_uint(res, msg->acpted_rply.ar_vers.low) ||
		    xdr_enc_uint(res, msg->acpted_rply.ar_vers.high))
			return FALSE;
		tc->verdict = OSNIC_RPC_PROG_MISMATCH;
		return TRUE;
	case PROG_UNAVAIL:
	case PROC_UNAVAIL:
	case GARBAGE_ARGS:
	case SYSTEM_ERR:
		tc->verdict = msg->acpted_rply.ar_stat;
		return TRUE;
	default:
		tc->verdict = OSNIC_RPC_SYSTEM_ERR;
		return TRUE;
	}
}

static bool_t xp_freeargs(SVCXPRT *xprt, xdrproc_t xargs, void *argsp)
{
	xdr_free(xargs, argsp);
	return TRUE;
}

static void xp_destroy(SVCXPRT *xprt)
{
}

static bool_t xp_control(SVCXPRT *xprt, const u_int rq, void *in)
{
	return FALSE;
}

static const struct xp_ops osnic_xp_ops = {
	.xp_recv = xp_recv,
	.xp_stat = xp_stat,
	.xp_getargs = xp_getargs,
	.xp_reply = xp_reply,
	.xp_freeargs = xp_freeargs,
	.xp_destroy = xp_destroy,
};

static const struct xp_ops2 osnic_xp_ops2 = {
	.xp_control = xp_control,
};

int osnic_tirpc_handler(const struct osnic_call *call, struct xdr_dec *args,
			struct xdr_enc *res)
{
	osnic_dispatch_fn dispatch = (osnic_dispatch_fn)call->data;
	struct tirpc_call tc;
	struct svc_req req;
	uint32_t i;

	memset(&tc, 0, sizeof(tc));
	tc.args = args;
	tc.res = res;
	tc.verdict = OSNIC_REPLY_NONE;	/* the dispatch function may not answer */
	tc.xprt.xp_fd = -1;
	tc.xprt.xp_port = osnic_svc_port(call->svc);
	tc.xprt.xp_ops = &osnic_xp_ops;
	tc.xprt.xp_ops2 = &osnic_xp_ops2;
	tc.xprt.xp_netid = call->client.ss_family == AF_INET6 ? "udp6" : "udp";
	tc.xprt.xp_verf = _null_auth;
	tc.xprt.xp_rtaddr.buf = (void *)&call->client;
	tc.xprt.xp_rtaddr.len = call->client_len;
	tc.xprt.xp_rtaddr.maxlen = call->client_len;
	tc.xprt.xp_addrlen = call->client_len < sizeof(tc.xprt.xp_raddr) ? call->client_len
									    : sizeof(tc.xprt.xp_raddr);
	memcpy(&tc.xprt.xp_raddr, &call->client, tc.xprt.xp_addrlen);
	tc.xprt.xp_p1 = &tc;
	tc.xprt.xp_p3 = &tc.ext;

	memset(&req, 0, sizeof(req));
	req.rq_prog = call->prog;
	req.rq_vers = call->vers;
	req.rq_proc = call->proc;
	req.rq_cred.oa_flavor = call->cred_flavor;
	req.rq_xprt = &tc.xprt;
	if (call->cred_flavor == OSNIC_RPC_AUTH_SYS) {
		tc.aup.aup_uid = call->uid;
		tc.aup.aup_gid = call->gid;
		tc.aup.aup_machname = tc.machname;
		tc.aup.aup_gids = tc.gids;
		if (call->authsys) {
			const struct osnic_rpc_authsys *sys = call->authsys;

			tc.aup.aup_time = sys->stamp;
			memcpy(tc.machname, sys->machinename, sys->machinename_len);
			for (i = 0; i < sys->ngids; i++)
				tc.gids[i] = sys->gids[i];
			tc.aup.aup_len = sys->ngids;
		}
		req.rq_clntcred = &tc.aup;
	}

	dispatch(&req, &tc.xprt);
	return tc.verdict;
}

int osnic_register_dispatch(struct osnic *ctx, const struct osnic_service_def *def,
			    uint64_t procs, osnic_dispatch_fn dispatch, struct osnic_svc **svc)
{
	struct osnic_proc table[OSNIC_MAX_PROCS];
	struct osnic_service_def d;
	uint32_t n = 0, p;

	if (!def || !dispatch)
		return -EINVAL;
	procs |= 1;
	for (p = 0; p < OSNIC_MAX_PROCS; p++) {
		if (procs & (1ULL << p))
			table[n++] = (struct osnic_proc){ .proc = p, .handler = osnic_tirpc_handler };
	}
	d = *def;
	d.procs = table;
	d.nprocs = n;
	d.data = (void *)dispatch;
	return osnic_register(ctx, &d, svc);
}
