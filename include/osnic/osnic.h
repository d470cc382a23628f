/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libosnic: the application API.
 *
 *   osnic_init(&ctx)                     connect to osnicd, register the process
 *   osnic_register(ctx, &def, &svc)      a service (prog, vers, port, procedures);
 *                                        also rpcb_set (netid udp) with rpcbind
 *   osnic_worker_create(svc, &w)         a thread bound to its own ring
 *   osnic_worker_stop(w), osnic_worker_join(w)
 *   osnic_fini(ctx)                      stop everything, deregister, rpcb_unset (udp)
 *
 * A worker thread serves calls from two sources with the same handlers:
 * its ring (calls the XDP program decoded and steered to it) and a UDP
 * socket bound to the service's port with SO_REUSEPORT (calls XDP passed
 * to the kernel: IP fragments, arguments above OSNIC_MAX_INLINE_ARGS,
 * traffic from interfaces without XDP, or all calls when there is no
 * osnicd, see OSNIC_INIT_NO_DAEMON). Replies go out from that socket, so
 * they come from the service's port.
 *
 * Handlers run on worker threads, possibly several at once: shared state
 * is theirs to lock. A handler decodes its arguments from `args`, encodes
 * its results into `res`, and returns an enum osnic_rpc_accept_stat (or one of
 * the OSNIC_REPLY_* values below):
 *   OSNIC_RPC_SUCCESS       the results in res are sent;
 *   OSNIC_RPC_GARBAGE_ARGS  the arguments did not decode (also the runtime's
 *                     answer when a handler returns OSNIC_RPC_SUCCESS with
 *                     argument bytes left over: call osnic_args_done()
 *                     before acting on the call so that it does not act
 *                     on a call it will then refuse);
 *   OSNIC_RPC_SYSTEM_ERR    anything else that went wrong, e.g. the results did
 *                     not fit (an encoder returned -EMSGSIZE).
 * Argument pointers from zero-copy decoders are valid until the handler
 * returns.
 */
#ifndef OSNIC_OSNIC_H
#define OSNIC_OSNIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <osnic/rpc.h>
#include <osnic/xdr.h>

/*
 * Handles: the application's objects. (abi.h's struct osnic_service_val and
 * struct osnic_worker_val are the BPF map values osnicd keeps for them.)
 */
struct osnic;
struct osnic_svc;
struct osnic_worker;
struct osnic_rpc_authsys;

struct osnic_call {
	uint32_t xid;			/* host order */
	uint32_t prog;
	uint32_t vers;
	uint32_t proc;
	uint32_t cred_flavor;		/* enum osnic_rpc_auth_flavor */
	uint32_t uid;			/* AUTH_SYS, else 0 */
	uint32_t gid;
	/* The whole AUTH_SYS credential: socket path only, NULL from a ring. */
	const struct osnic_rpc_authsys *authsys;
	struct sockaddr_storage client;	/* AF_INET or AF_INET6 */
	socklen_t client_len;
	bool via_ring;			/* false: arrived through the socket */
	uint32_t rx_cpu;		/* ring only: CPU that received it */
	uint64_t rx_ns;			/* ring only: CLOCK_MONOTONIC at receive */
	struct osnic_svc *svc;
	void *data;			/* the service's osnic_service_def.data */
};

/* Handler results besides enum osnic_rpc_accept_stat. */
#define OSNIC_REPLY_NONE		(-1)	/* send no reply at all */
#define OSNIC_REPLY_AUTH_ERROR(why)	(0x100 | (why))	/* MSG_DENIED, AUTH_ERROR why */

typedef int (*osnic_handler_fn)(const struct osnic_call *call, struct xdr_dec *args,
				struct xdr_enc *res);

/* True when every argument byte was decoded. */
static inline bool osnic_args_done(const struct xdr_dec *args)
{
	return xdr_dec_remaining(args) == 0;
}

struct osnic_proc {
	uint32_t proc;			/* < OSNIC_MAX_PROCS (64) */
	osnic_handler_fn handler;
	/* Larger arguments are GARBAGE_ARGS without calling the handler; 0: no limit. */
	uint32_t max_arg_bytes;
};

#define OSNIC_REPLY_MAX_DEFAULT	8192
#define OSNIC_REPLY_MAX_LIMIT	65507	/* largest UDP payload over IPv4 */

struct osnic_service_def {
	uint32_t prog;
	uint32_t vers;
	uint16_t port;			/* 0: a free port, see osnic_svc_port() */
	const struct osnic_proc *procs;	/* copied; NULLPROC is answered if absent */
	size_t nprocs;
	void *data;			/* handed to handlers as call->data */
	uint32_t reply_max;		/* largest reply in bytes; 0: the default */
	uint32_t depth_lines;		/* ring depth per worker; 0: osnicd's default */
	uint32_t svc_flags;		/* OSNIC_SVC_F_* from abi.h, for osnicd */
	bool no_rpcbind;		/* do not rpcb_set / rpcb_unset (udp) */
	bool no_gso;			/* send every reply on its own (no UDP_SEGMENT) */
	/*
	 * When a worker's ring runs empty, watch it this long before sleeping
	 * (at most OSNIC_POLL_US_MAX): a call that comes in the meantime is
	 * served without a wake-up, at the price of the CPU spent watching.
	 * 0 (the default): sleep at once.
	 */
	uint32_t poll_us;
};

#define OSNIC_POLL_US_MAX	10000

/* osnic_init_opts() flags */
#define OSNIC_INIT_NO_DAEMON	(1U << 0)	/* no osnicd: serve from the socket only */

/*
 * Every int-returning function returns 0 or a negative errno. When osnicd
 * refused a request, osnic_errmsg() says why until the next call.
 */
int osnic_init(struct osnic **ctx);
int osnic_init_opts(struct osnic **ctx, unsigned int flags);
const char *osnic_errmsg(const struct osnic *ctx);

/*
 * Stops and joins every worker not yet joined (their handles become
 * invalid), unregisters every service, deregisters the application.
 */
void osnic_fini(struct osnic *ctx);

int osnic_register(struct osnic *ctx, const struct osnic_service_def *def,
		   struct osnic_svc **svc);
/* Stops and joins its workers, removes it from osnicd, rpcb_unset (udp), frees. */
int osnic_unregister(struct osnic_svc *svc);
uint16_t osnic_svc_port(const struct osnic_svc *svc);
uint32_t osnic_svc_id(const struct osnic_svc *svc);	/* osnicd's id; 0 without */

/*
 * Start a worker thread. It adds itself to osnicd from inside the thread
 * (osnicd records its tid for steering and scheduling), maps its ring and
 * serves until stopped. Returns once the thread is serving, or with the
 * error that kept it from starting.
 */
int osnic_worker_create(struct osnic_svc *svc, struct osnic_worker **w);
/* Ask the worker to stop; returns at once. Safe from any thread, not from signal handlers. */
void osnic_worker_stop(struct osnic_worker *w);
/*
 * Stop, wait for the thread and free the worker. The worker first leaves
 * osnicd (no new calls are steered to it), then serves what is still in
 * its ring. Returns the error that ended the thread, or 0.
 */
int osnic_worker_join(struct osnic_worker *w);
pid_t osnic_worker_tid(const struct osnic_worker *w);
uint32_t osnic_worker_id(const struct osnic_worker *w);	/* osnicd's id; 0 without */

/* Per-worker counters: written by the worker only, readable at any time. */
struct osnic_worker_counters {
	uint64_t ring_calls;		/* calls taken from the ring */
	uint64_t sock_calls;		/* calls received on the socket */
	uint64_t replies;		/* replies handed to the kernel */
	uint64_t send_errors;		/* replies the kernel refused */
	uint64_t ring_malformed;	/* records that are not a usable call */
	uint64_t ring_resync;		/* impossible ring headers: skipped ahead */
	uint64_t sock_dropped;		/* datagrams that are not an answerable call */
	uint64_t rpc_denied;		/* RPC_MISMATCH and AUTH_ERROR replies */
	uint64_t prog_unavail;
	uint64_t prog_mismatch;
	uint64_t proc_unavail;
	uint64_t garbage_args;
	uint64_t system_err;
	uint64_t no_reply;		/* handler chose OSNIC_REPLY_NONE */
	uint64_t ring_batches;		/* non-empty passes over the ring */
	uint64_t max_batch;		/* most records in one pass */
	uint64_t wakeups;		/* epoll_wait returned events */
	uint64_t timeouts;		/* epoll_wait timed out */
	uint64_t gso_replies;		/* replies sent several to one UDP GSO send */
	uint64_t gso_fallbacks;		/* GSO sends refused, their replies resent singly */
	uint64_t poll_hits;		/* polls that found a call: wake-ups saved */
	uint64_t poll_misses;		/* polls that ran out: the worker slept */
};

void osnic_worker_counters(const struct osnic_worker *w, struct osnic_worker_counters *c);

/*
 * Lower-level entry points: what the worker loop does with one call. Both
 * encode the whole reply into reply (at most cap bytes) and return its
 * length, 0 when nothing is to be sent, or a negative errno. c (may be
 * NULL) receives the counts.
 *
 * osnic_serve_datagram: a UDP payload received on svc's port, untrusted:
 * decodes the call header (include/osnic/rpcmsg.h), finds the service of
 * svc's application on that port for (prog, vers) (PROG_UNAVAIL,
 * PROG_MISMATCH otherwise) and runs the call.
 *
 * osnic_serve_record: a ring record (struct osnic_call_desc, then the
 * arguments), len bytes; *to and *tolen receive the client address.
 */
ssize_t osnic_serve_datagram(struct osnic_svc *svc, const void *msg, size_t len,
			     const struct sockaddr *from, socklen_t fromlen, void *reply, size_t cap,
			     struct osnic_worker_counters *c);
ssize_t osnic_serve_record(struct osnic_svc *svc, const void *rec, size_t len,
			   struct sockaddr_storage *to, socklen_t *tolen, void *reply, size_t cap,
			   struct osnic_worker_counters *c);

#endif /* OSNIC_OSNIC_H */
