// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-own-loop-server: a libtirpc UDP server that does not run svc_run
 * but a loop of its own, as some daemons do, for tests/integration/
 * osnic_run.sh:
 *
 *   osnic-own-loop-server [-s] PROG PORT
 *
 * serves PROG version 1 on UDP PORT (not registered with rpcbind) with
 * poll(2) over svc_pollfd and svc_getreq_poll, or (-s) select(2) over
 * svc_fdset and svc_getreqset. Procedures: 0 NULLPROC; 1 takes a u_int and
 * returns it plus one; 2 returns 1 when it runs on the process's main
 * thread, else 0; 3 returns the credential's flavor, and for AUTH_SYS its
 * uid, gid and number of supplementary groups from rq_clntcred; 4
 * unregisters the program (svc_unregister) and returns 1. Prints "ready, port PORT" once serving.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include <rpc/rpc.h>

static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

static bool_t xdr_cred_out(XDR *x, void *p)
{
	u_int *v = p;

	return xdr_u_int(x, &v[0]) && xdr_u_int(x, &v[1]) && xdr_u_int(x, &v[2]) &&
	       xdr_u_int(x, &v[3]);
}

static void dispatch(struct svc_req *rq, SVCXPRT *xprt)
{
	u_int v = 0;

	switch (rq->rq_proc) {
	case 0:
		svc_sendreply(xprt, (xdrproc_t)xdr_nothing, NULL);
		return;
	case 1:
		if (!svc_getargs(xprt, (xdrproc_t)xdr_u_int, (caddr_t)&v)) {
			svcerr_decode(xprt);
			return;
		}
		v++;
		svc_sendreply(xprt, (xdrproc_t)xdr_u_int, (caddr_t)&v);
		return;
	case 2:
		v = gettid() == getpid();
		svc_sendreply(xprt, (xdrproc_t)xdr_u_int, (caddr_t)&v);
		return;
	case 3: {
		/* The caller's credential as libtirpc hands it over: flavor, uid, gid, gids. */
		u_int out[4] = { rq->rq_cred.oa_flavor, 0, 0, 0 };
		const struct authunix_parms *aup = (const void *)rq->rq_clntcred;

		if (rq->rq_cred.oa_flavor == AUTH_SYS && aup) {
			out[1] = aup->aup_uid;
			out[2] = aup->aup_gid;
			out[3] = aup->aup_len;
		}
		svc_sendreply(xprt, (xdrproc_t)xdr_cred_out, (caddr_t)out);
		return;
	}
	case 4:
		/* Leave: unregister the program from inside its own dispatch. */
		svc_unregister(rq->rq_prog, rq->rq_vers);
		v = 1;
		svc_sendreply(xprt, (xdrproc_t)xdr_u_int, (caddr_t)&v);
		return;
	default:
		svcerr_noproc(xprt);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int use_select = 0, fd;
	unsigned long prog;
	SVCXPRT *xprt;

	if (argc > 1 && !strcmp(argv[1], "-s")) {
		use_select = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: osnic-own-loop-server [-s] PROG PORT\n");
		return 2;
	}
	prog = strtoul(argv[1], NULL, 0);
	sin.sin_port = htons(atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("bind");
		return 1;
	}
	xprt = svcudp_create(fd);
	if (!xprt || !svc_register(xprt, prog, 1, dispatch, 0)) {
		fprintf(stderr, "cannot serve program %lu\n", prog);
		return 1;
	}
	printf("ready, port %s\n", argv[2]);
	fflush(stdout);

	for (;;) {
		if (use_select) {
			fd_set set = svc_fdset;

			if (select(FD_SETSIZE, &set, NULL, NULL, NULL) > 0)
				svc_getreqset(&set);
		} else {
			int n = svc_max_pollfd;
			struct pollfd p[n];

			memcpy(p, svc_pollfd, n * sizeof(*p));
			if (poll(p, n, -1) > 0)
				svc_getreq_poll(p, n);
		}
	}
}
