// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small application built against an installed libosnic (see
 * install_test.sh): the demo program's ADD procedure (0x20001234 version 1,
 * procedure 2: two hypers in, their sum out) on one osnic worker, so that
 * osnic-demo-client can call it. Built with nothing but what
 * `pkg-config osnic` gives.
 *
 *   install_svc [--port PORT]   PORT: a fixed port and no rpcbind
 *
 * Prints "... port N, service id S" once serving; on SIGINT or SIGTERM,
 * the worker's counters ("ring_calls N sock_calls N") and exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osnic/osnic.h>

#define DEMO_PROG 0x20001234
#define DEMO_VERS 1
#define DEMO_ADD 2

static int add(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	int64_t a, b;

	if (xdr_dec_hyper(args, &a) || xdr_dec_hyper(args, &b) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	/* Wraps like the demo service's ADD. */
	if (xdr_enc_hyper(res, (int64_t)((uint64_t)a + (uint64_t)b)))
		return OSNIC_RPC_SYSTEM_ERR;
	return OSNIC_RPC_SUCCESS;
}

static const struct osnic_proc procs[] = {
	{ .proc = DEMO_ADD, .handler = add },
};

int main(int argc, char **argv)
{
	struct osnic_service_def def = {
		.prog = DEMO_PROG,
		.vers = DEMO_VERS,
		.procs = procs,
		.nprocs = sizeof(procs) / sizeof(procs[0]),
	};
	struct osnic_worker_counters c;
	struct osnic_worker *w;
	struct osnic_svc *svc;
	struct osnic *ctx;
	sigset_t set;
	int err, sig;

	if (argc == 3 && !strcmp(argv[1], "--port")) {
		def.port = (uint16_t)atoi(argv[2]);
		def.no_rpcbind = true;
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--port PORT]\n", argv[0]);
		return 2;
	}

	/* Taken by sigwait() below (workers run with every signal blocked). */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	err = osnic_init(&ctx);
	if (err) {
		fprintf(stderr, "osnic_init: %s\n", strerror(-err));
		return 1;
	}
	err = osnic_register(ctx, &def, &svc);
	if (err) {
		fprintf(stderr, "osnic_register: %s (%s)\n", strerror(-err), osnic_errmsg(ctx));
		goto out;
	}
	err = osnic_worker_create(svc, &w);
	if (err) {
		fprintf(stderr, "osnic_worker_create: %s (%s)\n", strerror(-err), osnic_errmsg(ctx));
		goto out;
	}
	printf("install_svc: program %u version %u, port %u, service id %u\n", def.prog, def.vers,
	       osnic_svc_port(svc), osnic_svc_id(svc));
	fflush(stdout);

	sigwait(&set, &sig);
	osnic_worker_stop(w);
	osnic_worker_counters(w, &c);
	err = osnic_worker_join(w);
	if (err)
		fprintf(stderr, "worker: %s\n", strerror(-err));
	printf("ring_calls %llu sock_calls %llu\n", (unsigned long long)c.ring_calls,
	       (unsigned long long)c.sock_calls);
out:
	osnic_fini(ctx);
	return err ? 1 : 0;
}
