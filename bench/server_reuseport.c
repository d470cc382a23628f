// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-bench-server: the demo service (examples/demo_handlers.c) on two
 * plain-socket baselines for `make bench`:
 *
 *   --mode reuseport  the tuned kernel-socket server: one SO_REUSEPORT UDP
 *                     socket per thread, blocking recvmmsg, sendmmsg of
 *                     the batch's replies;
 *   --mode busypoll   the kernel-bypass stand-in: the same, but each thread
 *                     spins on non-blocking recvmmsg and never sleeps (it
 *                     burns its core even when idle);
 *   --mode afxdp      the kernel-bypass path of a stock kernel: one thread
 *                     spinning on an AF_XDP socket of --iface's --queue
 *                     (bench/server_afxdp.c); it burns its core too.
 *
 * Calls are decoded and run by libosnic's osnic_serve_datagram() with the
 * demo's native handlers, the same code the osnic workers run, so only the
 * way datagrams reach the handlers differs. No osnicd, no rpcbind: the
 * port is given with --port. --cpu N pins thread i to CPU N+i.
 * SIGINT/SIGTERM stop it.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "demo_handlers.h"
#include "server_afxdp.h"

#include <osnic/osnic.h>

#define MAX_THREADS	64
#define BATCH		32
#define MSG_MAX		9000

struct server_thread {
	pthread_t tid;
	int idx;
	int fd;
	unsigned long long calls;
};

static struct osnic_svc *svc;
static bool busypoll, afxdp;
static int cpu_base = -1;
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	stopping = 1;
}

static void *serve(void *arg)
{
	static __thread uint8_t in[BATCH][MSG_MAX], out[BATCH][MSG_MAX];
	static __thread struct sockaddr_storage from[BATCH];
	struct server_thread *t = arg;
	struct mmsghdr rm[BATCH], sm[BATCH];
	struct iovec riov[BATCH], siov[BATCH];
	int i, n, ns;

	if (cpu_base >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_base + t->idx, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	while (!stopping) {
		for (i = 0; i < BATCH; i++) {
			riov[i] = (struct iovec){ in[i], MSG_MAX };
			rm[i] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &riov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(t->fd, rm, BATCH, busypoll ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				perror("recvmmsg");
			continue;
		}
		ns = 0;
		for (i = 0; i < n; i++) {
			ssize_t len = osnic_serve_datagram(svc, in[i], rm[i].msg_len,
							   (struct sockaddr *)&from[i],
							   rm[i].msg_hdr.msg_namelen, out[ns],
							   MSG_MAX, NULL);

			if (len <= 0)
				continue;
			siov[ns] = (struct iovec){ out[ns], len };
			sm[ns] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &from[i], .msg_namelen = rm[i].msg_hdr.msg_namelen,
				.msg_iov = &siov[ns], .msg_iovlen = 1 } };
			ns++;
		}
		for (i = 0; i < ns;) {
			int k = sendmmsg(t->fd, sm + i, ns - i, 0);

			if (k <= 0)
				break;
			i += k;
		}
		t->calls += n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, NULL, 'm' }, { "threads", 1, NULL, 't' }, { "port", 1, NULL, 'p' },
		{ "cpu", 1, NULL, 'c' }, { "iface", 1, NULL, 'i' }, { "queue", 1, NULL, 'q' },
		{ "help", 0, NULL, 'h' }, {},
	};
	struct osnic_service_def def = {
		.prog = DEMO_PROG, .vers = DEMO_VERS, .procs = demo_osnic_procs,
		.nprocs = demo_osnic_nprocs, .reply_max = 8192, .no_rpcbind = true,
	};
	struct server_thread th[MAX_THREADS] = {};
	struct sigaction sa = { .sa_handler = on_stop };	/* no SA_RESTART */
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int c, i, nthreads = 1, port = 0, one = 1, sz = 4 << 20, err, queue = 0;
	const char *iface = NULL;
	struct osnic *ctx;

	while ((c = getopt_long(argc, argv, "m:t:p:c:i:q:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "busypoll"))
				busypoll = true;
			else if (!strcmp(optarg, "afxdp"))
				afxdp = true;
			else if (strcmp(optarg, "reuseport"))
				goto usage;
			break;
		case 't': nthreads = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'c': cpu_base = atoi(optarg); break;
		case 'i': iface = optarg; break;
		case 'q': queue = atoi(optarg); break;
		default:
			goto usage;
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAX_THREADS || port <= 0 || port > 65535)
		goto usage;
	/* One AF_XDP socket, on one queue, served by one thread. */
	if (afxdp != !!iface || (afxdp && (nthreads != 1 || queue < 0)))
		goto usage;

	err = osnic_init_opts(&ctx, OSNIC_INIT_NO_DAEMON);
	if (!err)
		err = osnic_register(ctx, &def, &svc);
	if (err) {
		fprintf(stderr, "Error: cannot set up the demo service: %s\n", strerror(-err));
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (afxdp) {
		err = afxdp_serve(svc, iface, queue, port, cpu_base, &stopping);
		osnic_fini(ctx);
		return err;
	}
	sin.sin_port = htons(port);
	for (i = 0; i < nthreads; i++) {
		th[i].idx = i;
		th[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (th[i].fd < 0 ||
		    setsockopt(th[i].fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
		    bind(th[i].fd, (struct sockaddr *)&sin, sizeof(sin))) {
			fprintf(stderr, "Error: cannot bind UDP port %d: %s\n", port, strerror(errno));
			return 1;
		}
		setsockopt(th[i].fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(th[i].fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i].tid, NULL, serve, &th[i]);
	printf("osnic-bench-server: mode %s, port %d, %d thread%s\n",
	       busypoll ? "busypoll" : "reuseport", port, nthreads, nthreads == 1 ? "" : "s");
	fflush(stdout);
	/* The signal may go to any thread: look every 50 ms. */
	while (!stopping)
		usleep(50000);
	for (i = 0; i < nthreads; i++) {
		/* Again until it ends: it may have been between its check and recvmmsg. */
		do
			pthread_kill(th[i].tid, SIGTERM);
		while (pthread_timedjoin_np(th[i].tid, NULL,
					    &(struct timespec){ .tv_sec = time(NULL) + 1 }));
		fprintf(stderr, "thread %d: %llu calls\n", i, th[i].calls);
		close(th[i].fd);
	}
	osnic_fini(ctx);
	return 0;
usage:
	fprintf(stderr, "usage: osnic-bench-server --mode reuseport|busypoll --port P "
			"[--threads N] [--cpu FIRST]\n"
			"       osnic-bench-server --mode afxdp --iface DEV [--queue Q] --port P "
			"[--cpu C]\n");
	return 2;
}
