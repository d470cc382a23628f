// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-demo-server: the demo service (examples/demo.x) on one of three
 * transports, all running the handlers of demo_handlers.c:
 *
 *   --transport osnic   (default) libosnic workers: calls from osnicd's XDP
 *                       rings and from the service socket. --dispatch rpcgen
 *                       serves them through the rpcgen-generated dispatch
 *                       function and osnic's SVCXPRT adapter instead of the
 *                       native handlers. --no-daemon runs without osnicd:
 *                       every call then comes through the socket.
 *   --transport tirpc   libtirpc's svc_run over a UDP socket with the same
 *                       rpcgen-generated dispatch: the reference for
 *                       correctness and the baseline for speed.
 *
 * Without --port a free port is taken; either way the port is registered
 * with rpcbind (with --port, a failed registration is only a warning).
 * SIGINT and SIGTERM stop the server cleanly: workers drain their rings,
 * the service is removed from osnicd and from rpcbind.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <rpc/pmap_clnt.h>

#include "demo_handlers.h"

#include <osnic/osnic.h>
#include <osnic/tirpc.h>

#define MAX_WORKERS 64

struct options {
	int workers;
	int port;		/* -1: any */
	bool tirpc;
	bool rpcgen_dispatch;
	bool no_daemon;
	bool no_gso;
	int poll_us;
	bool quiet;
	int pin;		/* -1: no pinning */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: osnic-demo-server [--workers N] [--port P] [--transport osnic|tirpc]\n"
		"                         [--dispatch native|rpcgen] [--no-daemon] [--no-gso]\n"
		"                         [--pin CPU] [--poll-us US] [--quiet]\n"
		"  --workers N      worker threads (osnic transport; default 1, at most %d)\n"
		"  --port P         UDP port (default: a free one)\n"
		"  --transport T    osnic (default) or tirpc (libtirpc's svc_run)\n"
		"  --dispatch D     osnic: native handlers (default) or the rpcgen dispatch\n"
		"                   function through the SVCXPRT adapter\n"
		"  --no-daemon      osnic without osnicd: serve from the socket only\n"
		"  --no-gso         osnic: send every reply on its own, never several to\n"
		"                   one client in one UDP GSO send\n"
		"  --pin CPU        osnic: pin worker i to CPU+i (default: not pinned)\n"
		"  --poll-us US     osnic: watch an empty ring US microseconds before\n"
		"                   sleeping (default 0: sleep at once; at most %d)\n"
		"  --quiet          no counters on exit\n"
		"program %u (%#x) version %u; SIGINT/SIGTERM to stop\n",
		MAX_WORKERS, OSNIC_POLL_US_MAX, DEMO_PROG, DEMO_PROG, DEMO_VERS);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "transport", required_argument, NULL, 't' },
		{ "dispatch", required_argument, NULL, 'd' },
		{ "no-daemon", no_argument, NULL, 'n' },
		{ "no-gso", no_argument, NULL, 'G' },
		{ "pin", required_argument, NULL, 'c' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	*o = (struct options){ .workers = 1, .port = -1, .pin = -1 };
	while ((c = getopt_long(argc, argv, "w:p:t:d:nGc:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (parse_int(optarg, 1, MAX_WORKERS, &o->workers))
				goto bad;
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &o->port))
				goto bad;
			break;
		case 't':
			if (!strcmp(optarg, "tirpc"))
				o->tirpc = true;
			else if (strcmp(optarg, "osnic"))
				goto bad;
			break;
		case 'd':
			if (!strcmp(optarg, "rpcgen"))
				o->rpcgen_dispatch = true;
			else if (strcmp(optarg, "native"))
				goto bad;
			break;
		case 'n':
			o->no_daemon = true;
			break;
		case 'G':
			o->no_gso = true;
			break;
		case 'c':
			if (parse_int(optarg, 0, CPU_SETSIZE - MAX_WORKERS, &o->pin))
				goto bad;
			break;
		case 'P':
			if (parse_int(optarg, 0, OSNIC_POLL_US_MAX, &o->poll_us))
				goto bad;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "Error: bad value for --%s: %s\n",
		c == 'w' ? "workers" : c == 'p' ? "port" : c == 't' ? "transport" :
		c == 'c' ? "pin" : c == 'P' ? "poll-us" : "dispatch",
		optarg);
	return -1;
}

/* SIGINT and SIGTERM are blocked everywhere and taken with sigwait(). */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int wait_stop_signal(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig))
		;
	return sig;
}

/* ---- osnic ------------------------------------------------------------------- */

static void print_counters(struct osnic_worker *w, int i)
{
	struct osnic_worker_counters c;

	osnic_worker_counters(w, &c);
	fprintf(stderr,
		"worker %d (tid %d): ring %llu, socket %llu, replies %llu, send errors %llu, "
		"malformed ring %llu socket %llu, garbage %llu, system_err %llu, "
		"batches %llu (max %llu), wakeups %llu, gso replies %llu (fallbacks %llu), "
		"poll hits %llu misses %llu\n",
		i, (int)osnic_worker_tid(w), (unsigned long long)c.ring_calls,
		(unsigned long long)c.sock_calls, (unsigned long long)c.replies,
		(unsigned long long)c.send_errors, (unsigned long long)c.ring_malformed,
		(unsigned long long)c.sock_dropped, (unsigned long long)c.garbage_args,
		(unsigned long long)c.system_err, (unsigned long long)c.ring_batches,
		(unsigned long long)c.max_batch, (unsigned long long)c.wakeups,
		(unsigned long long)c.gso_replies, (unsigned long long)c.gso_fallbacks,
		(unsigned long long)c.poll_hits, (unsigned long long)c.poll_misses);
}

static int pin_worker(struct osnic_worker *w, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(osnic_worker_tid(w), sizeof(set), &set)) {
		fprintf(stderr, "Error: cannot pin a worker to CPU %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

static int register_service(struct osnic *ctx, const struct options *o,
			    struct osnic_service_def *def, struct osnic_svc **svc)
{
	if (o->rpcgen_dispatch)
		return osnic_register_dispatch(ctx, def, DEMO_PROC_MASK, demo_prog_1, svc);
	return osnic_register(ctx, def, svc);
}

static int run_osnic(const struct options *o)
{
	struct osnic_worker *w[MAX_WORKERS];
	struct osnic_service_def def = {
		.prog = DEMO_PROG,
		.vers = DEMO_VERS,
		.port = o->port > 0 ? o->port : 0,
		.procs = demo_osnic_procs,
		.nprocs = demo_osnic_nprocs,
		.reply_max = 8192,
		.no_gso = o->no_gso,
		.poll_us = o->poll_us,
	};
	struct osnic_svc *svc;
	struct osnic *ctx;
	sigset_t stop;
	int i, n = 0, err, sig;

	block_stop_signals(&stop);
	err = osnic_init_opts(&ctx, o->no_daemon ? OSNIC_INIT_NO_DAEMON : 0);
	if (err) {
		fprintf(stderr, "Error: cannot register with osnicd: %s%s\n", strerror(-err),
			err == -ECONNREFUSED ? " (is osnicd running? --no-daemon serves without it)"
					     : "");
		return 1;
	}
	err = register_service(ctx, o, &def, &svc);
	if (err == -ENOTCONN && o->port > 0) {
		fprintf(stderr, "Warning: %s; serving port %d without rpcbind\n",
			osnic_errmsg(ctx), o->port);
		def.no_rpcbind = true;
		err = register_service(ctx, o, &def, &svc);
	}
	if (err) {
		fprintf(stderr, "Error: cannot register the service: %s%s%s\n", strerror(-err),
			*osnic_errmsg(ctx) ? ": " : "", osnic_errmsg(ctx));
		osnic_fini(ctx);
		return 1;
	}
	for (n = 0; n < o->workers; n++) {
		err = osnic_worker_create(svc, &w[n]);
		if (err) {
			fprintf(stderr, "Error: cannot start worker %d: %s%s%s\n", n,
				strerror(-err), *osnic_errmsg(ctx) ? ": " : "", osnic_errmsg(ctx));
			break;
		}
		if (o->pin >= 0 && pin_worker(w[n], o->pin + n)) {
			osnic_worker_stop(w[n]);
			osnic_worker_join(w[n]);
			break;
		}
	}
	if (n == o->workers) {
		printf("osnic-demo-server: transport osnic%s%s, port %u, %d worker%s, service id %u\n",
		       o->rpcgen_dispatch ? " (rpcgen dispatch)" : "",
		       o->no_daemon ? " (no daemon)" : "", osnic_svc_port(svc), n,
		       n == 1 ? "" : "s", osnic_svc_id(svc));
		fflush(stdout);
		sig = wait_stop_signal(&stop);
		fprintf(stderr, "osnic-demo-server: %s, stopping\n", strsignal(sig));
	}

	for (i = 0; i < n; i++)
		osnic_worker_stop(w[i]);
	for (i = 0; i < n; i++) {
		if (!o->quiet)
			print_counters(w[i], i);
		osnic_worker_join(w[i]);
	}
	osnic_fini(ctx);
	return n == o->workers ? 0 : 1;
}

/* ---- libtirpc ------------------------------------------------------------------- */

/*
 * svc_run() has no stop call that is safe from a signal handler. A thread
 * takes SIGINT/SIGTERM with sigwait(), calls svc_exit() (which makes
 * svc_run return once its poll() returns), then interrupts that poll()
 * with SIGUSR1 until svc_run has returned.
 */
static pthread_t main_thread;
static int svc_run_done;	/* atomic */

static void on_sigusr1(int sig)
{
}

static void *tirpc_stopper(void *arg)
{
	const sigset_t *stop = arg;
	int sig = wait_stop_signal(stop);

	fprintf(stderr, "osnic-demo-server: %s, stopping\n", strsignal(sig));
	svc_exit();
	while (!__atomic_load_n(&svc_run_done, __ATOMIC_ACQUIRE)) {
		pthread_kill(main_thread, SIGUSR1);
		usleep(20000);
	}
	return NULL;
}

static int run_tirpc(const struct options *o)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	pthread_t stopper;
	sigset_t stop;
	SVCXPRT *xprt;
	int sock;

	if (o->workers > 1)
		fprintf(stderr, "Warning: svc_run is single-threaded; --workers ignored\n");
	block_stop_signals(&stop);
	sigaction(SIGUSR1, &sa, NULL);

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons(o->port > 0 ? o->port : 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(sock, (struct sockaddr *)&sin, &len)) {
		fprintf(stderr, "Error: cannot bind UDP port %d: %s\n", o->port > 0 ? o->port : 0,
			strerror(errno));
		return 1;
	}
	/* Room for the largest ECHO (4 KiB) and its headers. */
	xprt = svcudp_bufcreate(sock, 8800, 8800);
	if (!xprt) {
		fprintf(stderr, "Error: svcudp_bufcreate failed\n");
		return 1;
	}
	pmap_unset(DEMO_PROG, DEMO_VERS);
	if (!svc_register(xprt, DEMO_PROG, DEMO_VERS, demo_prog_1, IPPROTO_UDP)) {
		if (o->port < 0) {
			fprintf(stderr, "Error: rpcbind registration failed: is rpcbind running?\n");
			svc_destroy(xprt);
			return 1;
		}
		fprintf(stderr, "Warning: rpcbind registration failed; serving port %d without it\n",
			o->port);
		if (!svc_register(xprt, DEMO_PROG, DEMO_VERS, demo_prog_1, 0)) {
			fprintf(stderr, "Error: svc_register failed\n");
			svc_destroy(xprt);
			return 1;
		}
	}
	printf("osnic-demo-server: transport tirpc, port %u\n", ntohs(sin.sin_port));
	fflush(stdout);

	main_thread = pthread_self();
	if (pthread_create(&stopper, NULL, tirpc_stopper, &stop)) {
		fprintf(stderr, "Error: cannot start the signal thread\n");
		svc_unregister(DEMO_PROG, DEMO_VERS);
		svc_destroy(xprt);
		return 1;
	}
	svc_run();
	__atomic_store_n(&svc_run_done, 1, __ATOMIC_RELEASE);
	pthread_join(stopper, NULL);

	svc_unregister(DEMO_PROG, DEMO_VERS);	/* also rpcb_unset */
	svc_destroy(xprt);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;

	if (parse_options(argc, argv, &o))
		return 2;
	return o.tirpc ? run_tirpc(&o) : run_osnic(&o);
}
