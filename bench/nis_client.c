// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-nis-client: a NIS (YP, program 100004 version 2) client on libtirpc
 * that needs no ypbind: it asks the server named on its command line,
 * through rpcbind or straight to a port.
 *
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP order
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP match KEY...
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP random N KEYFMT NKEYS
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP proc NUM
 *
 * order prints "order N"; match prints "KEY: VALUE" or "KEY: no such key"
 * (or the other ypstat); random makes N YPPROC_MATCH calls for keys
 * printf(KEYFMT, k) with k random in [0, NKEYS) and prints
 * "N calls, N found, N missing, N failed" (-T: then "timing: N calls/s,
 * p50 N us, p99 N us, max N us", one call in flight at a time); proc NUM
 * calls procedure NUM without arguments and prints the RPC error.
 * -t: TCP instead of UDP.
 * Exits 1 when a call fails at the RPC level, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rpc/rpc.h>

#define YPPROG		100004
#define YPVERS		2
#define YPPROC_MATCH	3
#define YPPROC_ORDER	10
#define YP_TRUE		1
#define YP_NOKEY	(-3)
#define YPMAXRECORD	1024
#define YPMAXDOMAIN	64
#define YPMAXMAP	64

struct req_key {
	char *domain;
	char *map;
	char *key;
	u_int keylen;
};

struct req_nokey {
	char *domain;
	char *map;
};

struct resp_val {
	int status;
	char *val;
	u_int vallen;
};

struct resp_order {
	int status;
	u_int order;
};

static bool_t xdr_req_key(XDR *x, struct req_key *r)
{
	return xdr_string(x, &r->domain, YPMAXDOMAIN) && xdr_string(x, &r->map, YPMAXMAP) &&
	       xdr_bytes(x, &r->key, &r->keylen, YPMAXRECORD);
}

static bool_t xdr_req_nokey(XDR *x, struct req_nokey *r)
{
	return xdr_string(x, &r->domain, YPMAXDOMAIN) && xdr_string(x, &r->map, YPMAXMAP);
}

static bool_t xdr_resp_val(XDR *x, struct resp_val *r)
{
	return xdr_int(x, &r->status) && xdr_bytes(x, &r->val, &r->vallen, YPMAXRECORD);
}

static bool_t xdr_resp_order(XDR *x, struct resp_order *r)
{
	return xdr_int(x, &r->status) && xdr_u_int(x, &r->order);
}

static bool_t xdr_nothing(XDR *x, void *p)
{
	return TRUE;
}

static const struct timeval tmo = { 5, 0 };

static int match(CLIENT *c, char *domain, char *map, const char *key, struct resp_val *res)
{
	struct req_key req = { domain, map, (char *)key, strlen(key) };

	memset(res, 0, sizeof(*res));
	return clnt_call(c, YPPROC_MATCH, (xdrproc_t)xdr_req_key, (caddr_t)&req,
			 (xdrproc_t)xdr_resp_val, (caddr_t)res, tmo);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: osnic-nis-client [-t] [-T] [-p PORT] HOST DOMAIN MAP "
			"order | match KEY... | random N KEYFMT NKEYS | proc NUM\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host;
	char *domain, *map, *what;
	int opt, tcp = 0, port = 0, sock = RPC_ANYSOCK, rc = 0, timing = 0;
	CLIENT *c;

	while ((opt = getopt(argc, argv, "tp:T")) != -1) {
		switch (opt) {
		case 'T':
			timing = 1;
			break;
		case 't':
			tcp = 1;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 4)
		usage();
	host = argv[optind];
	domain = argv[optind + 1];
	map = argv[optind + 2];
	what = argv[optind + 3];

	if (port) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
			fprintf(stderr, "%s: not an IPv4 address\n", host);
			return 2;
		}
		c = tcp ? clnttcp_create(&sin, YPPROG, YPVERS, &sock, 0, 0)
			: clntudp_create(&sin, YPPROG, YPVERS, tmo, &sock);
	} else {
		c = clnt_create(host, YPPROG, YPVERS, tcp ? "tcp" : "udp");
	}
	if (!c) {
		clnt_pcreateerror(host);
		return 1;
	}

	if (!strcmp(what, "order")) {
		struct req_nokey req = { domain, map };
		struct resp_order res = { 0 };

		if (clnt_call(c, YPPROC_ORDER, (xdrproc_t)xdr_req_nokey, (caddr_t)&req,
			      (xdrproc_t)xdr_resp_order, (caddr_t)&res, tmo) != RPC_SUCCESS) {
			clnt_perror(c, "order");
			rc = 1;
		} else if (res.status != YP_TRUE) {
			printf("order: ypstat %d\n", res.status);
		} else {
			printf("order %u\n", res.order);
		}
	} else if (!strcmp(what, "match")) {
		for (int i = optind + 4; i < argc; i++) {
			struct resp_val res;

			if (match(c, domain, map, argv[i], &res) != RPC_SUCCESS) {
				clnt_perror(c, argv[i]);
				rc = 1;
				continue;
			}
			if (res.status == YP_TRUE)
				printf("%s: %.*s\n", argv[i], (int)res.vallen, res.val);
			else if (res.status == YP_NOKEY)
				printf("%s: no such key\n", argv[i]);
			else
				printf("%s: ypstat %d\n", argv[i], res.status);
			xdr_free((xdrproc_t)xdr_resp_val, (char *)&res);
		}
	} else if (!strcmp(what, "random") && argc - optind == 7) {
		long n = atol(argv[optind + 4]), nkeys = atol(argv[optind + 6]);
		long found = 0, missing = 0, failed = 0;
		const char *fmt = argv[optind + 5];
		double *lat = calloc(n > 0 ? n : 1, sizeof(*lat));
		struct timespec t0, t1, start;
		char key[256];

		if (!lat)
			return 1;
		srandom(getpid());
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (long i = 0; i < n; i++) {
			struct resp_val res;
			enum clnt_stat st;

			snprintf(key, sizeof(key), fmt, nkeys > 0 ? random() % nkeys : 0);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			st = match(c, domain, map, key, &res);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			lat[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
			if (st != RPC_SUCCESS) {
				failed++;
				continue;
			}
			if (res.status == YP_TRUE)
				found++;
			else
				missing++;
			xdr_free((xdrproc_t)xdr_resp_val, (char *)&res);
		}
		printf("%ld calls, %ld found, %ld missing, %ld failed\n", n, found, missing,
		       failed);
		if (timing && n > 0) {
			double secs = (t1.tv_sec - start.tv_sec) + (t1.tv_nsec - start.tv_nsec) / 1e9;

			qsort(lat, n, sizeof(*lat), cmp_double);
			printf("timing: %.0f calls/s, p50 %.1f us, p99 %.1f us, max %.1f us\n",
			       n / secs, lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
		}
		free(lat);
		rc = failed ? 1 : 0;
	} else if (!strcmp(what, "proc") && argc - optind == 5) {
		enum clnt_stat st = clnt_call(c, strtoul(argv[optind + 4], NULL, 0),
					      (xdrproc_t)xdr_nothing, NULL,
					      (xdrproc_t)xdr_nothing, NULL, tmo);

		printf("proc %s: %s\n", argv[optind + 4], clnt_sperrno(st));
		rc = st == RPC_SUCCESS ? 0 : 1;
	} else {
		usage();
	}
	clnt_destroy(c);
	return rc;
}
