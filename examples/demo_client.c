// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-demo-client: call the demo service (examples/demo.x) with libtirpc,
 * print the result, and check it where the answer is known (ECHO must
 * return what was sent, ADD the sum). RPC errors are printed with
 * clnt_sperror(); any error or wrong answer gives a non-zero exit.
 *
 *   osnic-demo-client [options] HOST PROC [ARGS]
 *     null | echo TEXT | echo @SIZE | add A B | put KEY VALUE | get KEY | spin USEC
 *
 * Without -p the port comes from rpcbind on HOST (clnt_create); with -p
 * the call goes straight to that UDP port. -n repeats the call, -r paces
 * the repeats (calls per second), and the last line then reads
 * "N calls, N answered, N failed".
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "demo.h"

enum exit_code { EXIT_OK = 0, EXIT_RPC = 1, EXIT_USAGE = 2, EXIT_WRONG = 3 };

struct options {
	int port;
	unsigned long vers;
	long timeout_ms;
	long count;
	long rate;
	bool auth_sys;
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: osnic-demo-client [-p PORT] [-V VERS] [-t MS] [-n COUNT] [-r RATE] [-u] [-q]\n"
		"                         HOST PROC [ARGS]\n"
		"  PROC: null | echo TEXT | echo @SIZE | add A B | put KEY VALUE | get KEY | spin USEC\n"
		"  -p PORT   call this UDP port (default: ask rpcbind on HOST)\n"
		"  -V VERS   program version (default %u)\n"
		"  -t MS     total timeout per call (default 5000)\n"
		"  -n COUNT  make the call COUNT times\n"
		"  -r RATE   at most RATE calls per second\n"
		"  -u        AUTH_SYS credentials (default AUTH_NONE)\n"
		"  -q        print only errors and the summary\n",
		DEMO_VERS);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static CLIENT *connect_client(const char *host, const struct options *o)
{
	struct timeval wait = { .tv_sec = 1 };
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;
	struct sockaddr_in sin;
	int sock = RPC_ANYSOCK;
	CLIENT *clnt;

	if (o->port <= 0) {
		clnt = clnt_create(host, DEMO_PROG, o->vers, "udp");
		if (!clnt)
			fprintf(stderr, "%s\n", clnt_spcreateerror(host));
		return clnt;
	}
	if (getaddrinfo(host, NULL, &hints, &ai)) {
		fprintf(stderr, "%s: unknown host\n", host);
		return NULL;
	}
	memcpy(&sin, ai->ai_addr, sizeof(sin));
	freeaddrinfo(ai);
	sin.sin_port = htons(o->port);
	clnt = clntudp_bufcreate(&sin, DEMO_PROG, o->vers, wait, &sock, 8800, 8800);
	if (!clnt)
		fprintf(stderr, "%s\n", clnt_spcreateerror(host));
	return clnt;
}

/* One procedure call: what to send, what comes back, how to check it. */
struct demo_call {
	rpcproc_t proc;
	xdrproc_t xargs, xres;
	void *args, *res;
	size_t res_size;
	char *owned;		/* what setup_call allocated */
	union {
		demo_bytes echo;
		demo_add_args add;
		demo_put_args put;
		demo_key key;
		u_int usec;
	} a;
	union {
		demo_bytes echo;
		quad_t sum;
		int status;
		demo_get_result get;
		u_int usec;
	} r;
};

static int setup_call(struct demo_call *c, const char *proc, int argc, char **argv)
{
	long v;

	memset(c, 0, sizeof(*c));
	c->args = &c->a;
	c->res = &c->r;
	c->res_size = sizeof(c->r);
	if (!strcmp(proc, "null") && argc == 0) {
		c->proc = DEMO_NULL;
		c->xargs = (xdrproc_t)(void (*)(void))xdr_void;
		c->xres = (xdrproc_t)(void (*)(void))xdr_void;
		c->args = c->res = NULL;
	} else if (!strcmp(proc, "echo") && argc == 1) {
		c->proc = DEMO_ECHO;
		c->xargs = c->xres = (xdrproc_t)xdr_demo_bytes;
		if (argv[0][0] == '@') {
			if (parse_long(argv[0] + 1, 0, 65536, &v))
				return -1;
			c->owned = c->a.echo.demo_bytes_val = malloc(v ? v : 1);
			if (!c->owned)
				return -1;
			for (long i = 0; i < v; i++)
				c->a.echo.demo_bytes_val[i] = 'a' + i % 26;
			c->a.echo.demo_bytes_len = v;
		} else {
			c->a.echo.demo_bytes_val = argv[0];
			c->a.echo.demo_bytes_len = strlen(argv[0]);
		}
	} else if (!strcmp(proc, "add") && argc == 2) {
		c->proc = DEMO_ADD;
		c->xargs = (xdrproc_t)xdr_demo_add_args;
		c->xres = (xdrproc_t)xdr_quad_t;
		errno = 0;
		c->a.add.a = strtoll(argv[0], NULL, 0);
		c->a.add.b = strtoll(argv[1], NULL, 0);
		if (errno)
			return -1;
	} else if (!strcmp(proc, "put") && argc == 2) {
		c->proc = DEMO_PUT;
		c->xargs = (xdrproc_t)xdr_demo_put_args;
		c->xres = (xdrproc_t)xdr_int;
		c->a.put.key = argv[0];
		c->a.put.value.value_val = argv[1];
		c->a.put.value.value_len = strlen(argv[1]);
	} else if (!strcmp(proc, "get") && argc == 1) {
		c->proc = DEMO_GET;
		c->xargs = (xdrproc_t)xdr_demo_key;
		c->xres = (xdrproc_t)xdr_demo_get_result;
		c->a.key = argv[0];
	} else if (!strcmp(proc, "spin") && argc == 1) {
		c->proc = DEMO_SPIN;
		c->xargs = c->xres = (xdrproc_t)xdr_u_int;
		if (parse_long(argv[0], 0, UINT32_MAX, &v))
			return -1;
		c->a.usec = v;
	} else {
		return -1;
	}
	return 0;
}

/* Print (unless quiet) and check one answer; returns an exit code. */
static int check_result(const struct demo_call *c, bool quiet)
{
	const demo_bytes *e = &c->r.echo;

	switch (c->proc) {
	case DEMO_NULL:
		if (!quiet)
			printf("null: ok\n");
		return EXIT_OK;
	case DEMO_ECHO:
		if (e->demo_bytes_len != c->a.echo.demo_bytes_len ||
		    (e->demo_bytes_len &&
		     memcmp(e->demo_bytes_val, c->a.echo.demo_bytes_val, e->demo_bytes_len))) {
			fprintf(stderr, "echo: wrong answer (%u bytes back for %u sent)\n",
				e->demo_bytes_len, c->a.echo.demo_bytes_len);
			return EXIT_WRONG;
		}
		if (!quiet)
			printf("echo: %.*s\n", (int)e->demo_bytes_len, e->demo_bytes_val);
		return EXIT_OK;
	case DEMO_ADD:
		if (c->r.sum != (quad_t)((uint64_t)c->a.add.a + (uint64_t)c->a.add.b)) {
			fprintf(stderr, "add: wrong answer %lld\n", (long long)c->r.sum);
			return EXIT_WRONG;
		}
		if (!quiet)
			printf("add: %lld\n", (long long)c->r.sum);
		return EXIT_OK;
	case DEMO_PUT:
		if (!quiet)
			printf("put: %d\n", c->r.status);
		return c->r.status ? EXIT_WRONG : EXIT_OK;
	case DEMO_GET:
		if (quiet)
			return EXIT_OK;
		if (c->r.get.found == 1)
			printf("get: found %.*s\n", (int)c->r.get.demo_get_result_u.value.value_len,
			       c->r.get.demo_get_result_u.value.value_val);
		else
			printf("get: not found\n");
		return EXIT_OK;
	case DEMO_SPIN:
		if (c->r.usec != c->a.usec) {
			fprintf(stderr, "spin: wrong answer %u\n", c->r.usec);
			return EXIT_WRONG;
		}
		if (!quiet)
			printf("spin: %u\n", c->r.usec);
		return EXIT_OK;
	}
	return EXIT_WRONG;
}

static void pace(struct timespec *next, long rate)
{
	if (rate <= 0)
		return;
	next->tv_nsec += 1000000000L / rate;
	if (next->tv_nsec >= 1000000000L) {
		next->tv_sec++;
		next->tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct options o = { .vers = DEMO_VERS, .timeout_ms = 5000, .count = 1 };
	long answered = 0, failed = 0, i, v;
	struct timespec next;
	struct timeval tmo;
	struct demo_call c;
	const char *host;
	enum clnt_stat st;
	CLIENT *clnt;
	int opt, rc = EXIT_OK, r;

	while ((opt = getopt(argc, argv, "+p:V:t:n:r:uqh")) != -1) {
		switch (opt) {
		case 'p':
			if (parse_long(optarg, 1, 65535, &v))
				goto bad;
			o.port = v;
			break;
		case 'V':
			if (parse_long(optarg, 0, UINT32_MAX, &v))
				goto bad;
			o.vers = v;
			break;
		case 't':
			if (parse_long(optarg, 1, 3600000, &o.timeout_ms))
				goto bad;
			break;
		case 'n':
			if (parse_long(optarg, 1, 100000000, &o.count))
				goto bad;
			break;
		case 'r':
			if (parse_long(optarg, 1, 10000000, &o.rate))
				goto bad;
			break;
		case 'u':
			o.auth_sys = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	host = argv[optind];
	if (setup_call(&c, argv[optind + 1], argc - optind - 2, argv + optind + 2)) {
		fprintf(stderr, "Error: bad procedure or arguments: %s\n", argv[optind + 1]);
		usage(stderr);
		return EXIT_USAGE;
	}

	clnt = connect_client(host, &o);
	if (!clnt)
		return EXIT_RPC;
	if (o.auth_sys) {
		auth_destroy(clnt->cl_auth);
		clnt->cl_auth = authunix_create_default();
	}
	tmo.tv_sec = o.timeout_ms / 1000;
	tmo.tv_usec = (o.timeout_ms % 1000) * 1000;
	clock_gettime(CLOCK_MONOTONIC, &next);

	for (i = 0; i < o.count; i++) {
		if (c.res)
			memset(c.res, 0, c.res_size);
		st = clnt_call(clnt, c.proc, c.xargs, c.args, c.xres, c.res, tmo);
		if (st != RPC_SUCCESS) {
			fprintf(stderr, "%s\n", clnt_sperror(clnt, host));
			failed++;
			rc = EXIT_RPC;
		} else {
			answered++;
			r = check_result(&c, o.quiet || o.count > 1);
			if (r) {
				failed++;
				rc = r;
			}
			if (c.res)
				clnt_freeres(clnt, c.xres, c.res);
		}
		if (o.count == 1)
			break;
		if (failed > 10 && failed * 10 > i + 1) {
			fprintf(stderr, "Error: too many failures, giving up\n");
			break;
		}
		pace(&next, o.rate);
	}
	if (o.count > 1)
		printf("%ld calls, %ld answered, %ld failed\n", i < o.count ? i + 1 : o.count,
		       answered, failed);
	auth_destroy(clnt->cl_auth);
	clnt_destroy(clnt);
	free(c.owned);
	return rc;

bad:
	fprintf(stderr, "Error: bad value for -%c: %s\n", opt, optarg);
	return EXIT_USAGE;
}
