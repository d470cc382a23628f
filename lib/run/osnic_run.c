// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libosnic-run.so: the LD_PRELOAD shim behind osnic-run(1). It serves the
 * UDP programs of an unmodified libtirpc daemon through osnic.
 *
 * What it takes over, all through dlsym(RTLD_NEXT) to libtirpc's own:
 *   svc_reg, svc_register     record (prog, vers, dispatch) of every UDP
 *                             transport (SOCK_DGRAM, AF_INET or AF_INET6);
 *                             libtirpc registers, dispatches and tells
 *                             rpcbind exactly as without the shim;
 *   svc_unreg, svc_unregister forget them (and leave osnicd);
 *   svc_run, svc_getreq_poll, svc_getreqset, and poll, ppoll, select,
 *   pselect waiting for calls on a recorded transport's socket
 *                             the first time one runs in a process, that
 *                             process (the one that serves) registers with
 *                             osnicd: lazily, so that a daemon that drops
 *                             privileges, forks and closes every fd before
 *                             serving is registered as what it finally is.
 * A process that never registers a UDP program is left alone.
 *
 * Registration: every (port, prog, vers) becomes an osnicd service with
 * OSNIC_SVC_F_ALL_PROCS (the daemon answers every procedure itself) and one
 * worker, whose ring is added to libtirpc's transports (xprt_register) as
 * a transport of its own: its fd is the ring's, which polls readable while
 * calls are queued. Whatever loop the daemon runs (svc_run, or its own
 * poll/select over svc_pollfd/svc_fdset), libtirpc calls that transport's
 * xp_recv on the daemon's own thread; xp_recv serves every queued call
 * through the libtirpc adapter (lib/tirpc.c: the daemon's dispatch function
 * gets a per-call SVCXPRT) and returns FALSE, so libtirpc dispatches
 * nothing itself. Replies leave from the daemon's own socket of the
 * client's family on that port. osnicd ties the registration to the
 * serving process's pidfd: when it dies, its services and rings go.
 *
 * Replies: each call's reply is encoded into a slot of its own and kept
 * until the end of the batch, which sends them all with one sendmmsg,
 * replies to one client joined into UDP GSO sends (lib/tx.c, as libosnic's
 * workers do). No reply waits beyond the end of its batch, nor across
 * anything of the dispatch's that may wait or fork (fork, poll, ppoll,
 * select, pselect flush first), nor past an unregistration.
 *
 * Worker ids are per thread, one per service: the first service's worker
 * is the daemon's thread; each further service gets a thread that only
 * holds a worker id and sleeps with every signal blocked.
 *
 * Everything that fails leaves the daemon as it was: on libtirpc alone.
 *
 * Environment: OSNIC_RUN_POLL_US (watch an empty ring that long after
 * serving before going back to the daemon's loop), OSNIC_RUN_VERBOSE (a
 * line per service registered, and its counters at most once a second
 * while it serves).
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

/* First: <rpc/rpc.h> before osnic/rpc.h (see there). */
#include <osnic/tirpc.h>

#include <osnic/ctl.h>

#include "../internal.h"

#define RUN_EXPORT __attribute__((visibility("default")))
/*
 * Calls served per batch: the replies of a batch wait for its end, so the
 * first waits for up to RUN_BATCH - 1 dispatch calls; one sendmmsg carries
 * a batch (struct osnic_tx).
 */
#define RUN_BATCH OSNIC_BATCH
/* With --poll-us: batches served in one turn of the daemon's loop, at most. */
#define RUN_POLL_BATCHES 16
#define RUN_REPLY_MAX OSNIC_REPLY_MAX_LIMIT

typedef void (*dispatch_fn)(struct svc_req *, SVCXPRT *);

/* One (port, prog, vers) of a UDP transport the daemon registered. */
struct run_reg {
	struct run_reg *next;
	SVCXPRT *xprt;			/* the daemon's transport */
	int family;			/* of its socket */
	uint16_t port;
	uint32_t prog;
	uint32_t vers;
	dispatch_fn dispatch;
	/* In the serving process, once registered with osnicd: */
	struct osnic_svc *svc;		/* for osnic_serve_record; its id is osnicd's */
	uint32_t worker_id;
	pthread_t holder;		/* the thread whose tid is the worker's, if not ours */
	bool has_holder;
	int ring_fd;
	struct osnic_ring ring;
	bool ring_mapped;
	SVCXPRT *ring_xprt;
	bool leaving;			/* unregistered while serving: leave after the call */
	bool port_failed;		/* its port stays on libtirpc */
	struct osnic_worker_counters counters;
	uint64_t reported_ns;		/* verbose: when its counters were last printed */
};

/* Every UDP socket the daemon registered a program on: where replies leave from. */
struct run_sock {
	struct run_sock *next;
	int fd;
	int family;
	uint16_t port;
};

static struct {
	pthread_mutex_t lock;
	struct run_reg *regs;
	struct run_sock *socks;
	struct run_reg *gone;		/* unregistered */
	struct run_reg *serving;	/* whose call the daemon's dispatch is running */
	pid_t pid;			/* the process that activated, 0: none yet */
	struct osnic *ctx;		/* ctl and app of that process */
	/*
	 * The replies of the batch being served, not sent yet: tx_n of them,
	 * all to leave from tx_fd, counted in tx_reg's counters; only the
	 * thread tx_thread touches them.
	 */
	struct osnic_tx *tx;
	unsigned int tx_n;
	int tx_fd;
	struct run_reg *tx_reg;
	pthread_t tx_thread;
	uint64_t poll_ns;
	bool verbose;
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void say(bool always, const char *fmt, ...)
{
	va_list ap;

	if (!always && !run.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "osnic-run[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void *next_sym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		say(true, "libtirpc has no %s: %s", name, dlerror());
		abort();
	}
	return f;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = next_sym(#name)

/* ---- the ring transport ------------------------------------------------------ */

static void reg_leave(struct run_reg *r, bool tell_osnicd);

static int reply_fd(const struct run_reg *r, struct sockaddr_storage *to, socklen_t *tolen)
{
	const struct run_sock *o;
	int v6 = -1;

	for (o = run.socks; o; o = o->next) {
		if (o->port != r->port)
			continue;
		if (o->family == to->ss_family)
			return o->fd;
		if (o->family == AF_INET6)
			v6 = o->fd;
	}
	/* An IPv4 client and only an IPv6 socket: try it as IPv4-mapped. */
	if (v6 >= 0 && to->ss_family == AF_INET) {
		osnic__v4_mapped(to, tolen);
		return v6;
	}
	return -1;
}

/* A batch's reply slots, RUN_REPLY_MAX bytes each; sent without blocking. */
static struct osnic_tx *tx_new(void)
{
	struct osnic_tx *tx = calloc(1, sizeof(*tx));
	uint8_t *buf = malloc((size_t)OSNIC_BATCH * RUN_REPLY_MAX);
	unsigned int i;

	if (!tx || !buf) {
		free(tx);
		free(buf);
		return NULL;
	}
	for (i = 0; i < OSNIC_BATCH; i++)
		tx->slot[i].buf = buf + (size_t)i * RUN_REPLY_MAX;
	tx->gso_seg_max = OSNIC_GSO_SEG_MAX;
	tx->send_flags = MSG_DONTWAIT;
	return tx;
}

/* Send the batch's replies held so far. */
static void tx_flush(void)
{
	if (!run.tx_n)
		return;
	osnic__tx_send(run.tx, run.tx_fd, run.tx_n, &run.tx_reg->counters);
	run.tx_n = 0;
}

/* Before the serving thread waits or forks: nothing of its batch stays held. */
static void tx_flush_here(void)
{
	if (run.tx_n && pthread_equal(run.tx_thread, pthread_self()))
		tx_flush();
}

/*
 * The reply in slot run.tx_n (rl bytes, to the slot's address) joins the
 * batch's: sent with the others at the end, or now with those before it if
 * it leaves from another socket.
 */
static void tx_hold(struct run_reg *r, size_t rl, socklen_t tolen)
{
	struct osnic_tx_slot *slot = &run.tx->slot[run.tx_n], tmp;
	int fd = reply_fd(r, &slot->to, &tolen);

	if (fd < 0) {
		CNT_INC(&r->counters, send_errors);
		return;
	}
	if (run.tx_n && (fd != run.tx_fd || r != run.tx_reg)) {
		tx_flush();
		/* Slot buffers are interchangeable: this reply's becomes slot 0. */
		tmp = run.tx->slot[0];
		run.tx->slot[0] = *slot;
		*slot = tmp;
	}
	run.tx_fd = fd;
	run.tx_reg = r;
	osnic__tx_prepare(run.tx, run.tx_n++, rl, tolen, 0);
}

static int serve_batch(struct run_reg *r)
{
	struct osnic_tx_slot *slot;
	socklen_t tolen;
	const void *rec;
	uint32_t len;
	int n = 0;
	ssize_t rl;

	run.tx_thread = pthread_self();
	while (n < RUN_BATCH && osnic__ring_take(&r->ring, &r->counters, &rec, &len)) {
		n++;
		if (run.tx_n == OSNIC_BATCH)
			tx_flush();
		slot = &run.tx->slot[run.tx_n];
		run.serving = r;
		rl = osnic_serve_record(r->svc, rec, len, &slot->to, &tolen, slot->buf,
					RUN_REPLY_MAX, &r->counters);
		run.serving = NULL;
		/*
		 * The dispatch function unregistered its own program: the
		 * replies before leave first, then it leaves osnicd (before its
		 * answer goes out; the reply is not in the ring), then its answer.
		 */
		if (r->leaving) {
			tx_flush();
			reg_leave(r, true);
		}
		if (rl > 0)
			tx_hold(r, rl, tolen);
		if (r->leaving) {
			tx_flush();
			return n;
		}
	}
	tx_flush();
	if (r->ring_mapped)
		osnic_ring_release(&r->ring);
	return n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Verbose: a service's counters, at most once a second while it serves. */
static void report(struct run_reg *r)
{
	const struct osnic_worker_counters *c = &r->counters;
	uint64_t now = mono_ns();

	if (now - r->reported_ns < 1000000000ull)
		return;
	r->reported_ns = now;
	say(false,
	    "program %u version %u on udp port %u: %llu calls, %llu replies (%llu by GSO), "
	    "%llu send errors",
	    r->prog, r->vers, r->port, (unsigned long long)c->ring_calls,
	    (unsigned long long)c->replies, (unsigned long long)c->gso_replies,
	    (unsigned long long)c->send_errors);
}

static bool_t ring_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct run_reg *r = xprt->xp_p1;
	uint64_t until;
	int i;

	if (run.pid != getpid() || !r || !r->ring_mapped) {
		/* A child of the serving process: the ring is its parent's. */
		xprt_unregister(xprt);
		return FALSE;
	}
	/*
	 * A batch at a time: the ring's fd stays readable while calls are
	 * queued, so the daemon's loop comes back, and its other descriptors
	 * (TCP, the UDP socket) get their turn in between.
	 */
	for (i = 0; i < RUN_POLL_BATCHES; i++) {
		if (serve_batch(r) == RUN_BATCH || !r->ring_mapped || !run.poll_ns)
			break;
		until = mono_ns() + run.poll_ns;
		while (!osnic_ring_ready(&r->ring) && mono_ns() < until)
			__builtin_ia32_pause();
		if (!osnic_ring_ready(&r->ring))
			break;
	}
	if (run.verbose)
		report(r);
	return FALSE;
}

static enum xprt_stat ring_stat(SVCXPRT *xprt)
{
	return XPRT_IDLE;
}

static bool_t ring_args(SVCXPRT *xprt, xdrproc_t x, void *p)
{
	return FALSE;
}

static bool_t ring_reply(SVCXPRT *xprt, struct rpc_msg *msg)
{
	return FALSE;
}

static void ring_destroy(SVCXPRT *xprt)
{
	struct run_reg *r = xprt->xp_p1;

	xprt_unregister(xprt);
	if (r)
		r->ring_xprt = NULL;
	free(xprt);
}

static bool_t ring_control(SVCXPRT *xprt, const u_int rq, void *in)
{
	return FALSE;
}

static const struct xp_ops ring_ops = {
	.xp_recv = ring_recv,
	.xp_stat = ring_stat,
	.xp_getargs = ring_args,
	.xp_reply = ring_reply,
	.xp_freeargs = ring_args,
	.xp_destroy = ring_destroy,
};

static const struct xp_ops2 ring_ops2 = { .xp_control = ring_control };

/* libtirpc's private SVCXPRT_EXT, reached through xp_p3 (see lib/tirpc.c). */
struct ring_xprt {
	SVCXPRT xprt;
	struct {
		int xp_flags;
		SVCAUTH xp_auth;
	} ext;
};

static SVCXPRT *ring_xprt_new(struct run_reg *r)
{
	struct ring_xprt *rx = calloc(1, sizeof(*rx));

	if (!rx)
		return NULL;
	rx->xprt.xp_fd = r->ring_fd;
	rx->xprt.xp_port = r->port;
	rx->xprt.xp_ops = &ring_ops;
	rx->xprt.xp_ops2 = &ring_ops2;
	rx->xprt.xp_netid = r->family == AF_INET6 ? "udp6" : "udp";
	rx->xprt.xp_verf = _null_auth;
	rx->xprt.xp_p1 = r;
	rx->xprt.xp_p3 = &rx->ext;
	return &rx->xprt;
}

/* ---- registration with osnicd ------------------------------------------------ */

struct holder_start {
	pid_t tid;
	sem_t ready;
};

static void *holder_main(void *arg)
{
	struct holder_start *hs = arg;

	hs->tid = gettid();
	sem_post(&hs->ready);
	for (;;)
		pause();
	return NULL;
}

/* A thread of this process that only lends its tid to a worker. */
static int holder_start(struct run_reg *r, pid_t *tid)
{
	struct holder_start hs;
	sigset_t all, old;
	int err;

	sem_init(&hs.ready, 0, 0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&r->holder, NULL, holder_main, &hs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		sem_destroy(&hs.ready);
		return -err;
	}
	while (sem_wait(&hs.ready) && errno == EINTR)
		;
	sem_destroy(&hs.ready);
	r->has_holder = true;
	*tid = hs.tid;
	return 0;
}

static void reg_leave(struct run_reg *r, bool tell_osnicd)
{
	struct osnic_ctl *ctl = run.ctx ? run.ctx->ctl : NULL;

	if (r->ring_xprt) {
		r->ring_xprt->xp_p1 = NULL;
		ring_destroy(r->ring_xprt);
		r->ring_xprt = NULL;
	}
	if (tell_osnicd && ctl && r->worker_id)
		osnic_ctl_worker_del(ctl, r->worker_id);
	if (r->ring_mapped)
		osnic_ring_unmap(&r->ring);
	r->ring_mapped = false;
	if (r->ring_fd >= 0)
		close(r->ring_fd);
	r->ring_fd = -1;
	if (tell_osnicd && ctl && r->svc && r->svc->id)
		osnic_ctl_service_del(ctl, r->svc->id);
	if (r->has_holder && tell_osnicd) {
		pthread_cancel(r->holder);
		pthread_join(r->holder, NULL);
	}
	r->has_holder = false;
	r->worker_id = 0;
	free(r->svc);
	r->svc = NULL;
}

static int reg_add_service(struct run_reg *r)
{
	struct osnic_ctl_service cs = {
		.prog = r->prog,
		.vers = r->vers,
		.port = r->port,
		.procs = 1,
		.flags = OSNIC_SVC_F_ALL_PROCS,
	};

	r->svc = calloc(1, sizeof(*r->svc));
	if (!r->svc)
		return -ENOMEM;
	r->svc->ctx = run.ctx;
	r->svc->prog = r->prog;
	r->svc->vers = r->vers;
	r->svc->port = r->port;
	r->svc->family = r->family;
	r->svc->data = (void *)r->dispatch;
	r->svc->reply_max = RUN_REPLY_MAX;
	r->svc->port_fd = -1;
	r->svc->any_proc.handler = osnic_tirpc_handler;
	return osnic_ctl_service_add(run.ctx->ctl, &cs, &r->svc->id);
}

/* first: the worker is the calling thread, else a holder thread's. */
static int reg_add_worker(struct run_reg *r, bool first)
{
	char path[PATH_MAX];
	pid_t tid = gettid();
	int err;

	if (!first) {
		err = holder_start(r, &tid);
		if (err)
			return err;
	}
	err = osnic_ctl_worker_add(run.ctx->ctl, r->svc->id, tid, &r->worker_id, path,
				   sizeof(path));
	if (err)
		return err;
	r->ring_fd = bpf_obj_get(path);
	if (r->ring_fd < 0)
		return -errno;
	err = osnic_ring_map(&r->ring, r->ring_fd);
	if (err)
		return err;
	r->ring_mapped = true;
	r->ring_xprt = ring_xprt_new(r);
	if (!r->ring_xprt)
		return -ENOMEM;
	xprt_register(r->ring_xprt);
	return 0;
}

/*
 * XDP would answer PROG_MISMATCH for the versions of a port it does not
 * know: a port is served through osnic whole, or not at all.
 */
static void port_fails(struct run_reg *r, int err)
{
	struct run_reg *o;

	say(true, "program %u version %u on udp port %u: %s: that port stays on libtirpc",
	    r->prog, r->vers, r->port,
	    osnic_ctl_errmsg(run.ctx->ctl) ? osnic_ctl_errmsg(run.ctx->ctl) : strerror(-err));
	for (o = run.regs; o; o = o->next) {
		if (o->port != r->port)
			continue;
		o->port_failed = true;
		reg_leave(o, true);
	}
}

/* A forked child: what was registered belongs to the parent. */
static void forget_parent(void)
{
	struct run_reg *r;

	for (r = run.regs; r; r = r->next) {
		reg_leave(r, false);
		r->port_failed = false;
	}
	if (run.ctx) {
		if (run.ctx->ctl)
			osnic_ctl_close(run.ctx->ctl);
		free(run.ctx);
		run.ctx = NULL;
	}
}

static void activate_locked(void)
{
	struct run_reg *r;
	const char *env;
	bool first = true;
	int err;

	if (run.pid == getpid())
		return;
	if (run.pid)
		forget_parent();
	run.pid = getpid();
	if (!run.regs)
		return;
	run.verbose = getenv("OSNIC_RUN_VERBOSE") && *getenv("OSNIC_RUN_VERBOSE") &&
		      strcmp(getenv("OSNIC_RUN_VERBOSE"), "0");
	env = getenv("OSNIC_RUN_POLL_US");
	if (env) {
		unsigned long us = strtoul(env, NULL, 10);

		run.poll_ns = (us > OSNIC_POLL_US_MAX ? OSNIC_POLL_US_MAX : us) * 1000ull;
	}
	if (!run.tx)
		run.tx = tx_new();
	run.ctx = calloc(1, sizeof(*run.ctx));
	if (!run.tx || !run.ctx) {
		say(true, "out of memory: serving through libtirpc only");
		return;
	}
	err = osnic_ctl_open(&run.ctx->ctl);
	if (!err)
		err = osnic_ctl_app_register(run.ctx->ctl, &run.ctx->app_id);
	if (err) {
		say(true, "osnicd: %s: serving through libtirpc only",
		    run.ctx->ctl && osnic_ctl_errmsg(run.ctx->ctl) ? osnic_ctl_errmsg(run.ctx->ctl)
								   : strerror(-err));
		if (run.ctx->ctl)
			osnic_ctl_close(run.ctx->ctl);
		free(run.ctx);
		run.ctx = NULL;
		return;
	}
	/*
	 * Every service first, then the workers: until a service has its
	 * worker XDP drops its calls (the client retries); it never answers
	 * PROG_MISMATCH for a version of the port that is not registered yet.
	 */
	for (r = run.regs; r; r = r->next) {
		if (r->port_failed)
			continue;
		err = reg_add_service(r);
		if (err)
			port_fails(r, err);
	}
	for (r = run.regs; r; r = r->next) {
		if (r->port_failed)
			continue;
		err = reg_add_worker(r, first);
		first = false;
		if (err) {
			port_fails(r, err);
			continue;
		}
		say(false, "program %u version %u on udp port %u: osnic service %u, worker %u",
		    r->prog, r->vers, r->port, r->svc->id, r->worker_id);
	}
}

static void activate(void)
{
	/* Cheap once done: one getpid() per loop turn. */
	if (run.pid == getpid())
		return;
	pthread_mutex_lock(&run.lock);
	activate_locked();
	pthread_mutex_unlock(&run.lock);
}

/* ---- what the daemon calls ----------------------------------------------------- */

/* The UDP port and family of a transport's socket; false if it is not one. */
static bool udp_xprt(const SVCXPRT *xprt, int *family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0;
	socklen_t tl = sizeof(type);

	if (!xprt || xprt->xp_fd < 0 ||
	    getsockopt(xprt->xp_fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_DGRAM ||
	    getsockname(xprt->xp_fd, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return false;
	*family = ss.ss_family;
	return *port != 0;
}

static void record(SVCXPRT *xprt, uint32_t prog, uint32_t vers, dispatch_fn dispatch)
{
	struct run_sock *o;
	struct run_reg *r;
	uint16_t port;
	int family;

	if (!dispatch || !udp_xprt(xprt, &family, &port))
		return;
	pthread_mutex_lock(&run.lock);
	for (o = run.socks; o; o = o->next)
		if (o->fd == xprt->xp_fd && o->port == port && o->family == family)
			break;
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o)
			goto out;
		o->fd = xprt->xp_fd;
		o->family = family;
		o->port = port;
		o->next = run.socks;
		run.socks = o;
	}
	for (r = run.regs; r; r = r->next) {
		/* svc_register may reach svc_reg: one entry. Two sockets of a port: one service. */
		if (r->port == port && r->prog == prog && r->vers == vers)
			goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->xprt = xprt;
	r->family = family;
	r->port = port;
	r->prog = prog;
	r->vers = vers;
	r->dispatch = dispatch;
	r->ring_fd = -1;
	/* Appended: the daemon's first program gets the daemon's own thread. */
	{
		struct run_reg **pp = &run.regs;

		while (*pp)
			pp = &(*pp)->next;
		*pp = r;
	}
	/* Registered after the daemon started serving: join at once. */
	if (run.pid == getpid() && run.ctx) {
		int err = reg_add_service(r);

		if (!err)
			err = reg_add_worker(r, false);
		if (err)
			port_fails(r, err);
	}
out:
	pthread_mutex_unlock(&run.lock);
}

static void forget(uint32_t prog, uint32_t vers)
{
	struct run_reg **pp, *r;

	pthread_mutex_lock(&run.lock);
	for (pp = &run.regs; (r = *pp);) {
		if (r->prog != prog || r->vers != vers) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		/* Its dispatch function is running on a record of its ring: after that. */
		if (r == run.serving)
			r->leaving = true;
		else
			reg_leave(r, run.pid == getpid());
		/*
		 * Not freed: a dispatch function may unregister its own program
		 * while serve_batch() still holds r.
		 */
		r->next = run.gone;
		run.gone = r;
	}
	pthread_mutex_unlock(&run.lock);
}

RUN_EXPORT bool_t svc_reg(SVCXPRT *xprt, const rpcprog_t prog, const rpcvers_t vers,
			  void (*dispatch)(struct svc_req *, SVCXPRT *),
			  const struct netconfig *nconf)
{
	bool_t ok;

	REAL(svc_reg);
	ok = real_svc_reg(xprt, prog, vers, dispatch, nconf);
	if (ok)
		record(xprt, prog, vers, dispatch);
	return ok;
}

RUN_EXPORT bool_t svc_register(SVCXPRT *xprt, u_long prog, u_long vers,
			       void (*dispatch)(struct svc_req *, SVCXPRT *), int protocol)
{
	bool_t ok;

	REAL(svc_register);
	ok = real_svc_register(xprt, prog, vers, dispatch, protocol);
	if (ok)
		record(xprt, prog, vers, dispatch);
	return ok;
}

RUN_EXPORT void svc_unreg(const rpcprog_t prog, const rpcvers_t vers)
{
	REAL(svc_unreg);
	forget(prog, vers);
	real_svc_unreg(prog, vers);
}

RUN_EXPORT void svc_unregister(u_long prog, u_long vers)
{
	REAL(svc_unregister);
	forget(prog, vers);
	real_svc_unregister(prog, vers);
}

RUN_EXPORT void svc_run(void)
{
	REAL(svc_run);
	activate();
	real_svc_run();
}

/*
 * A loop of the daemon's own: it waits in poll or select for calls on a
 * transport the shim recorded. The first such wait in a process registers
 * it, and returns EINTR (which every server loop retries, svc_run
 * included) so that the loop takes libtirpc's descriptors anew, the
 * rings' among them. Any other wait (a client call inside svc_register,
 * a resolver) is none of the shim's business.
 */
static bool waits_for_calls(struct pollfd *p, nfds_t n, int nfds, fd_set *rd)
{
	const struct run_sock *o;

	if (!run.regs || run.pid == getpid())
		return false;
	for (o = run.socks; o; o = o->next) {
		int fd = o->fd;

		for (nfds_t i = 0; p && i < n; i++)
			if (p[i].fd == fd && (p[i].events & POLLIN))
				return true;
		if (rd && fd < nfds && fd < FD_SETSIZE && FD_ISSET(fd, rd))
			return true;
	}
	return false;
}

static bool activated_now(void)
{
	const struct run_reg *r;

	activate();
	for (r = run.regs; r; r = r->next)
		if (r->ring_xprt)
			return true;
	return false;
}

RUN_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	REAL(poll);
	tx_flush_here();
	if (waits_for_calls(fds, n, 0, NULL) && activated_now()) {
		errno = EINTR;
		return -1;
	}
	return real_poll(fds, n, timeout);
}

RUN_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		     const sigset_t *mask)
{
	REAL(ppoll);
	tx_flush_here();
	if (waits_for_calls(fds, n, 0, NULL) && activated_now()) {
		errno = EINTR;
		return -1;
	}
	return real_ppoll(fds, n, tmo, mask);
}

RUN_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tmo)
{
	REAL(select);
	tx_flush_here();
	if (waits_for_calls(NULL, 0, nfds, rd) && activated_now()) {
		errno = EINTR;
		return -1;
	}
	return real_select(nfds, rd, wr, ex, tmo);
}

RUN_EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *tmo,
		       const sigset_t *mask)
{
	REAL(pselect);
	tx_flush_here();
	if (waits_for_calls(NULL, 0, nfds, rd) && activated_now()) {
		errno = EINTR;
		return -1;
	}
	return real_pselect(nfds, rd, wr, ex, tmo, mask);
}

/* A dispatch function that forks (ypserv's YPPROC_ALL): the replies before go out once. */
RUN_EXPORT pid_t fork(void)
{
	REAL(fork);
	tx_flush_here();
	return real_fork();
}

RUN_EXPORT void svc_getreq_poll(struct pollfd *pfd, int n)
{
	REAL(svc_getreq_poll);
	activate();
	real_svc_getreq_poll(pfd, n);
}

RUN_EXPORT void svc_getreqset(fd_set *set)
{
	REAL(svc_getreqset);
	activate();
	real_svc_getreqset(set);
}
