/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Serving an unmodified rpcgen-generated dispatch function with osnic.
 *
 * rpcgen's server stubs give one function per program version,
 * `void prog_1(struct svc_req *, SVCXPRT *)`, which reads the arguments
 * with svc_getargs(), calls the procedure, and answers with
 * svc_sendreply() or one of the svcerr_*() calls. All of those go through
 * the transport's xp_ops. The adapter hands the dispatch function a
 * per-call SVCXPRT whose ops decode the arguments from the call osnic
 * received (ring or socket) and turn the reply into the osnic handler's
 * verdict and results, so the worker encodes and sends it like any other.
 *
 * Differences from libtirpc's own UDP transport, all deliberate:
 *  - arguments must be consumed exactly: trailing bytes make
 *    svc_getargs() fail, and the dispatch answers GARBAGE_ARGS;
 *  - xp_fd is -1 (the reply is not sent by the dispatch function), and
 *    there is no duplicate request cache;
 *  - calls from a ring carry only uid and gid of an AUTH_SYS credential:
 *    rq_clntcred is an authunix_parms with an empty machine name and no
 *    supplementary groups (calls from the socket have all of it);
 *  - the dispatch function runs on worker threads, possibly concurrently:
 *    generate it with `rpcgen -M` (results in the caller's storage).
 */
#ifndef OSNIC_TIRPC_H
#define OSNIC_TIRPC_H

#include <rpc/rpc.h>

#include <osnic/osnic.h>

typedef void (*osnic_dispatch_fn)(struct svc_req *rqstp, SVCXPRT *xprt);

/*
 * Register def's (prog, vers) on def's port, served by dispatch; as
 * osnic_register() except that def's procs, nprocs and data are not used.
 * procs has bit n set for each procedure number n the program serves
 * (n < 64; NULLPROC is always included): XDP answers PROC_UNAVAIL for the
 * others without waking a worker.
 */
int osnic_register_dispatch(struct osnic *ctx, const struct osnic_service_def *def,
			    uint64_t procs, osnic_dispatch_fn dispatch, struct osnic_svc **svc);

/* The osnic handler the adapter installs; call->data is the dispatch function. */
int osnic_tirpc_handler(const struct osnic_call *call, struct xdr_dec *args,
			struct xdr_enc *res);

#endif /* OSNIC_TIRPC_H */
