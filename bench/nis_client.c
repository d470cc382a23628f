// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-nis-client: a NIS (YP, program 100004 version 2) client on libtirpc
 * that needs no ypbind: it asks the server named on its command line,
 * through rpcbind or straight to a port.
 *
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP order
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP match KEY...
 *   osnic-nis-client [-t] [-p PORT] HOST DOMAIN MAP proc NUM
 *   osnic-nis-client [-t] [-T] [-p PORT] [LOAD OPTIONS] HOST DOMAIN MAP
 *                    random N KEYFMT NKEYS
 *
 * order prints "order N"; match prints "KEY: VALUE" or "KEY: no such key"
 * (or the other ypstat); proc NUM calls procedure NUM without arguments and
 * prints the RPC error. random makes N YPPROC_MATCH calls for keys
 * printf(KEYFMT, k) with k random in [0, NKEYS) and prints "N calls,
 * N found, N missing, N failed", one call in flight at a time through
 * libtirpc; -T adds "timing: N calls/s, p50 N us, p99 N us, max N us".
 * -t: TCP instead of UDP.
 *
 * Load options (random only):
 *   -O N      closed loop: N calls in flight over one UDP socket (calls
 *             built and replies decoded here, not by libtirpc), replies
 *             matched by xid; each answered call is replaced, and so is
 *             one unanswered for 100 ms (-W) (counted lost);
 *   -r RATE   open loop: calls leave at Poisson-distributed times, RATE a
 *             second, however many are outstanding; latency is measured
 *             from each call's scheduled send time (no coordinated
 *             omission); a call unanswered for 100 ms (-W) is lost;
 *   -d SECS   with -O or -r: stop sending after SECS seconds (or N calls);
 *   -W MS     with -O or -r: a call unanswered for MS ms (not 100) is lost;
 *   -V FILE   check every reply against FILE, makedbm's input (lines
 *             "KEY<TAB>VALUE"): a key in it must come back with its value,
 *             any other key as missing; a reply that does not is wrong
 *             (", N wrong" is added to the first line);
 *   -P PID    report the utime+stime of PID over the run (repeatable);
 *   -C CPU    report the busy time of CPU (/proc/stat) over the run;
 *   -L LABEL -o FILE  append one CSV row to FILE (a header if it is new).
 * -O, -r, -P, -C and -o imply -T. After the timing line come "loop: ..."
 * (what was offered, lost and late replies, seconds) and, with -P or -C,
 * "cpu: ..." (seconds, and seconds per million lookups). The rate, the CPU
 * times and the lookups they are divided by cover the sending period;
 * replies arriving in the 100 ms (-W) after it are still checked and counted.
 * Lost calls enter the latency percentiles at their age (>= -W);
 * failed counts lost calls and replies that are not a decodable SUCCESS.
 * Exits 1 when a call fails or a reply is wrong, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <rpc/rpc.h>

#include "bench_stats.h"

#define YPPROG		100004
#define YPVERS		2
#define YPPROC_MATCH	3
#define YPPROC_ORDER	10
#define YP_TRUE		1
#define YP_NOKEY	(-3)
#define YPMAXRECORD	1024
#define YPMAXDOMAIN	64
#define YPMAXMAP	64

#define SLOTS		65536u		/* calls in flight, at most */
#define BATCH		64
#define MSG_MAX		2048
#define LOST_MS		100
#define MAX_PIDS	8

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

/* What random measures, whichever way the calls go. */
struct load {
	/* Options. */
	int outstanding;		/* -O: closed loop */
	double rate;			/* -r: open loop */
	double secs;			/* -d */
	int npids, stat_cpu;
	int pids[MAX_PIDS];
	const char *label, *csv;
	bool report;			/* the timing line and what follows */
	unsigned int lost_ms;		/* -W: a call unanswered this long is lost */
	/* The keys and, with -V, what each must come back as. */
	const char *fmt;
	long nkeys;
	char **want;			/* want[k]: key k's value, NULL: missing */
	u_int *want_len;
	/* Results. */
	uint64_t sent, found, missing, failed, wrong, lost, late, in_window;
	uint64_t hist[NBUCKETS], max_ns;
	uint64_t t_start, t_stop, pid_ticks, cpu_ticks;
};

/* One call in flight (-O, -r). */
struct call {
	uint32_t xid;
	uint32_t key;
	bool busy;
	uint64_t t0;
};

struct flight {
	int fd;
	struct call *calls;
	uint32_t next_xid, oldest;
	uint64_t rng;
	uint8_t req[MSG_MAX];		/* the call up to its key */
	size_t req_len;
	uint8_t out[BATCH][MSG_MAX];
	struct mmsghdr out_mm[BATCH];
	struct iovec out_iov[BATCH];
	int nout;
};

static void record(struct load *l, uint64_t d)
{
	l->hist[bucket(d)]++;
	if (d > l->max_ns)
		l->max_ns = d;
}

/* The CPU counters at the start and the end of the sending period. */
static void cpu_mark(struct load *l, int sign)
{
	uint64_t t = 0;

	for (int i = 0; i < l->npids; i++)
		t += pid_cpu_ticks(l->pids[i]);
	l->pid_ticks += sign * t;
	if (l->stat_cpu >= 0)
		l->cpu_ticks += sign * cpu_busy_ticks(l->stat_cpu);
}

/*
 * How a YPPROC_MATCH result for key k counts: found, missing, or (with -V,
 * not what the file says) wrong. A lookup is done unless it is wrong; it
 * counts for the rate if it came back in the sending period.
 */
static void tally(struct load *l, long k, int status, const char *val, u_int len, bool in_window)
{
	uint64_t *what;

	if (!l->want)
		what = status == YP_TRUE ? &l->found : &l->missing;
	else if (l->want[k])
		what = status == YP_TRUE && len == l->want_len[k] && !memcmp(val, l->want[k], len)
			       ? &l->found
			       : &l->wrong;
	else
		what = status == YP_NOKEY ? &l->missing : &l->wrong;
	(*what)++;
	if (what != &l->wrong && in_window)
		l->in_window++;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* -V FILE: want[k] for every k in [0, nkeys). */
static int load_want(struct load *l, const char *path)
{
	char **lines = NULL, *line = NULL, key[256], *kp = key;
	size_t n = 0, cap = 0, sz = 0;
	FILE *f = fopen(path, "r");
	ssize_t len;

	if (!f) {
		perror(path);
		return -1;
	}
	while ((len = getline(&line, &sz, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		if (!strchr(line, '\t'))
			continue;
		*strchr(line, '\t') = 0;	/* key, then the value after its NUL */
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines)
				return -1;
		}
		lines[n++] = line;
		line = NULL;
		sz = 0;
	}
	free(line);
	fclose(f);
	qsort(lines, n, sizeof(*lines), cmp_line);
	l->want = calloc(l->nkeys, sizeof(*l->want));
	l->want_len = calloc(l->nkeys, sizeof(*l->want_len));
	if (!l->want || !l->want_len)
		return -1;
	for (long k = 0; k < l->nkeys; k++) {
		char **hit;

		snprintf(key, sizeof(key), l->fmt, k);
		hit = bsearch(&kp, lines, n, sizeof(*lines), cmp_line);
		if (hit) {
			l->want[k] = *hit + strlen(*hit) + 1;
			l->want_len[k] = strlen(l->want[k]);
		}
	}
	return 0;
}

static uint8_t *put_opaque(uint8_t *p, const char *s, size_t n)
{
	p = put32(p, n);
	memcpy(p, s, n);
	memset(p + n, 0, (4 - n % 4) % 4);
	return p + ((n + 3) & ~3u);
}

/* The call header, domain and map: what every call shares. */
static void build_prefix(struct flight *fl, const char *domain, const char *map)
{
	uint8_t *p = fl->req;

	p = put32(p, 0);		/* xid, set per call */
	p = put32(p, 0);		/* CALL */
	p = put32(p, 2);
	p = put32(p, YPPROG);
	p = put32(p, YPVERS);
	p = put32(p, YPPROC_MATCH);
	p = put32(p, 0);		/* AUTH_NONE credential */
	p = put32(p, 0);
	p = put32(p, 0);		/* verifier */
	p = put32(p, 0);
	p = put_opaque(p, domain, strlen(domain));
	p = put_opaque(p, map, strlen(map));
	fl->req_len = p - fl->req;
}

static void flush_calls(struct load *l, struct flight *fl)
{
	int done = 0;

	while (done < fl->nout) {
		int n = sendmmsg(fl->fd, fl->out_mm + done, fl->nout - done, 0);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		done += n;
	}
	/* Calls the socket refused stay busy and end up lost. */
	fl->nout = 0;
}

/* A call for a random key, sent with the next flush; t0 is its send time. */
static void queue_call(struct load *l, struct flight *fl, uint64_t t0)
{
	uint32_t xid = fl->next_xid++;
	struct call *c = &fl->calls[xid % SLOTS];
	uint8_t *m = fl->out[fl->nout];
	char key[256];
	long k = l->nkeys > 0 ? (long)(rnd(&fl->rng) * l->nkeys) : 0;
	int kl = snprintf(key, sizeof(key), l->fmt, k);
	uint8_t *p;

	if (c->busy)		/* SLOTS calls behind: that one is lost */
		l->lost++;
	memcpy(m, fl->req, fl->req_len);
	put32(m, xid);
	p = put_opaque(m + fl->req_len, key, kl < (int)sizeof(key) ? kl : (int)sizeof(key) - 1);
	*c = (struct call){ .xid = xid, .key = k, .busy = true, .t0 = t0 };
	fl->out_iov[fl->nout] = (struct iovec){ m, p - m };
	fl->nout++;
	l->sent++;
	if (fl->nout == BATCH)
		flush_calls(l, fl);
}

/* A reply: its call done, counted; -1 if it matches no call in flight. */
static int take_reply(struct load *l, struct flight *fl, const uint8_t *m, size_t n, uint64_t now)
{
	struct call *c;
	uint32_t xid, vlen, len;
	int status;

	if (n < 4)
		return -1;
	xid = xdr_load_be32(m);
	c = &fl->calls[xid % SLOTS];
	if (!c->busy || c->xid != xid) {
		l->late++;
		return -1;
	}
	c->busy = false;
	record(l, now > c->t0 ? now - c->t0 : 0);
	/* REPLY, MSG_ACCEPTED, a verifier, SUCCESS, then ypresp_val. */
	if (n < 24 || xdr_load_be32(m + 4) != 1 || xdr_load_be32(m + 8) != 0)
		goto bad;
	vlen = (xdr_load_be32(m + 16) + 3) & ~3u;
	if (vlen > n - 24 || n - 24 - vlen < 8 || xdr_load_be32(m + 20 + vlen) != 0)
		goto bad;
	m += 24 + vlen;
	n -= 24 + vlen;
	status = (int)xdr_load_be32(m);
	len = xdr_load_be32(m + 4);
	if (len > n - 8)
		goto bad;
	tally(l, c->key, status, (const char *)m + 8, len, !l->t_stop);
	return 0;
bad:
	l->failed++;
	return 0;
}

/* Replies waiting on the socket; returns how many matched a call. */
static int recv_replies(struct load *l, struct flight *fl)
{
	static uint8_t bufs[BATCH][MSG_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int i, n, got = 0;
	uint64_t now;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], MSG_MAX };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(fl->fd, mm, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	now = now_ns();
	for (i = 0; i < n; i++)
		got += !take_reply(l, fl, bufs[i], mm[i].msg_len, now);
	return got;
}

/*
 * Calls unanswered for l->lost_ms (all of them once `all`) are lost. Calls
 * go out in xid order, so the oldest in flight is found by moving a
 * cursor. Returns how many were lost.
 */
static int retire_lost(struct load *l, struct flight *fl, uint64_t now, bool all)
{
	uint64_t limit = now - l->lost_ms * 1000000ull;
	int n = 0;

	while (fl->oldest != fl->next_xid - fl->nout) {
		struct call *c = &fl->calls[fl->oldest % SLOTS];

		if (c->busy && c->xid == fl->oldest) {
			if (c->t0 > limit && !all)
				break;
			c->busy = false;
			record(l, now - c->t0);
			l->lost++;
			n++;
		}
		fl->oldest++;
	}
	return n;
}


/* -O, -r: n calls (or -d seconds) over one UDP socket. */
static int run_flight(struct load *l, const struct sockaddr_in *sin, const char *domain,
		      const char *map, long n)
{
	struct flight *fl = calloc(1, sizeof(*fl));
	uint64_t next, stop, now;
	int sz = 4 << 20;

	if (!fl || !(fl->calls = calloc(SLOTS, sizeof(*fl->calls))))
		return -1;
	fl->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fl->fd < 0 || connect(fl->fd, (const struct sockaddr *)sin, sizeof(*sin))) {
		perror("osnic-nis-client: socket");
		return -1;
	}
	setsockopt(fl->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fl->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	for (int i = 0; i < BATCH; i++)
		fl->out_mm[i].msg_hdr = (struct msghdr){ .msg_iov = &fl->out_iov[i], .msg_iovlen = 1 };
	build_prefix(fl, domain, map);
	fl->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)getpid() << 16) ^ now_ns();
	fl->next_xid = fl->oldest = (uint32_t)fl->rng;

	cpu_mark(l, -1);
	l->t_start = next = now = now_ns();
	stop = l->secs > 0 ? now + (uint64_t)(l->secs * 1e9) : UINT64_MAX;
	if (l->outstanding) {
		for (int i = 0; i < l->outstanding && (long)l->sent < n; i++)
			queue_call(l, fl, now);
		flush_calls(l, fl);
	}
	while ((long)l->sent < n && now < stop) {
		int got;

		if (l->rate > 0) {
			while (next <= now && (long)l->sent < n) {
				queue_call(l, fl, next);
				next += (uint64_t)(-log(1.0 - rnd(&fl->rng)) / l->rate * 1e9);
			}
			flush_calls(l, fl);
			got = recv_replies(l, fl);
			retire_lost(l, fl, now_ns(), false);
			if (!got)
				wait_readable(fl->fd, next < stop ? next : stop);
		} else {
			int more;

			got = recv_replies(l, fl);
			more = got + retire_lost(l, fl, now_ns(), false);
			for (; more > 0 && (long)l->sent < n; more--)
				queue_call(l, fl, now_ns());
			flush_calls(l, fl);
			if (!got)
				wait_readable(fl->fd, now_ns() + 1000000);
		}
		now = now_ns();
	}
	l->t_stop = now_ns();
	cpu_mark(l, 1);
	/* What arrives within l->lost_ms still counts; the rest is lost. */
	while ((now = now_ns()) < l->t_stop + l->lost_ms * 1000000ull) {
		retire_lost(l, fl, now, false);
		if (fl->oldest == fl->next_xid)
			break;
		if (!recv_replies(l, fl))
			wait_readable(fl->fd, now + 1000000);
	}
	retire_lost(l, fl, now_ns(), true);
	close(fl->fd);
	free(fl->calls);
	free(fl);
	return 0;
}

/* random without -O or -r: through libtirpc, one call at a time. */
static void run_serial(struct load *l, CLIENT *c, char *domain, char *map, long n)
{
	char key[256];

	srandom(getpid());
	cpu_mark(l, -1);
	l->t_start = now_ns();
	for (long i = 0; i < n; i++) {
		long k = l->nkeys > 0 ? random() % l->nkeys : 0;
		struct resp_val res;
		enum clnt_stat st;
		uint64_t t0;

		snprintf(key, sizeof(key), l->fmt, k);
		t0 = now_ns();
		st = match(c, domain, map, key, &res);
		record(l, now_ns() - t0);
		l->sent++;
		if (st != RPC_SUCCESS) {
			l->failed++;
			continue;
		}
		tally(l, k, res.status, res.val, res.vallen, true);
		xdr_free((xdrproc_t)xdr_resp_val, (char *)&res);
	}
	l->t_stop = now_ns();
	cpu_mark(l, 1);
}

static void report(struct load *l)
{
	double secs = (l->t_stop - l->t_start) / 1e9, tick = sysconf(_SC_CLK_TCK);
	uint64_t n = 0;
	double tput, p50, p99, p999, max = l->max_ns / 1e3, pid_s, cpu_s, per_m;
	const char *mode = l->outstanding ? "closed" : l->rate > 0 ? "open" : "serial";

	for (unsigned int b = 0; b < NBUCKETS; b++)
		n += l->hist[b];
	tput = secs > 0 ? l->in_window / secs : 0;
	p50 = fmin(hist_quantile(l->hist, n, 0.5) / 1e3, max);
	p99 = fmin(hist_quantile(l->hist, n, 0.99) / 1e3, max);
	p999 = fmin(hist_quantile(l->hist, n, 0.999) / 1e3, max);
	pid_s = l->pid_ticks / tick;
	cpu_s = l->cpu_ticks / tick;
	per_m = l->in_window / 1e6;

	printf("%llu calls, %llu found, %llu missing, %llu failed", (unsigned long long)l->sent,
	       (unsigned long long)l->found, (unsigned long long)l->missing,
	       (unsigned long long)(l->failed + l->lost));
	if (l->want)
		printf(", %llu wrong", (unsigned long long)l->wrong);
	printf("\n");
	if (!l->report)
		return;
	printf("timing: %.0f calls/s, p50 %.1f us, p99 %.1f us, max %.1f us\n", tput, p50, p99, max);
	if (l->outstanding)
		printf("loop: closed, %d outstanding", l->outstanding);
	else if (l->rate > 0)
		printf("loop: open, %.0f calls/s offered", l->rate);
	else
		printf("loop: serial, 1 outstanding");
	printf(", %llu lost (unanswered %d ms), %llu late, %.2f s\n", (unsigned long long)l->lost,
	       l->lost_ms, (unsigned long long)l->late, secs);
	if (l->npids || l->stat_cpu >= 0) {
		printf("cpu:");
		if (l->npids)
			printf(" server %.2f s (%.3f s per million lookups)", pid_s,
			       per_m > 0 ? pid_s / per_m : 0);
		if (l->stat_cpu >= 0)
			printf("%s cpu%d busy %.2f s (%.3f s per million lookups)",
			       l->npids ? "," : "", l->stat_cpu, cpu_s, per_m > 0 ? cpu_s / per_m : 0);
		printf("\n");
	}
	if (l->csv) {
		struct stat st;
		bool hdr = stat(l->csv, &st) || st.st_size == 0;
		FILE *f = fopen(l->csv, "a");

		if (!f) {
			perror(l->csv);
			return;
		}
		if (hdr)
			fprintf(f, "label,mode,outstanding,offered_rate,duration_s,sent,found,missing,"
				   "failed,lost,wrong,throughput,p50_us,p99_us,p999_us,max_us,"
				   "server_cpu_s,stat_cpu_s,server_cpu_s_per_M,stat_cpu_s_per_M\n");
		fprintf(f, "%s,%s,%d,%.0f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%.1f,"
			   "%.2f,%.2f,%.3f,%.3f\n",
			l->label, mode, l->outstanding ? l->outstanding : l->rate > 0 ? 0 : 1, l->rate,
			secs, (unsigned long long)l->sent, (unsigned long long)l->found,
			(unsigned long long)l->missing, (unsigned long long)l->failed,
			(unsigned long long)l->lost, (unsigned long long)l->wrong, tput, p50, p99,
			p999, max, l->npids ? pid_s : NAN, l->stat_cpu >= 0 ? cpu_s : NAN,
			l->npids && per_m > 0 ? pid_s / per_m : NAN,
			l->stat_cpu >= 0 && per_m > 0 ? cpu_s / per_m : NAN);
		fclose(f);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: osnic-nis-client [-t] [-T] [-p PORT] [-O N | -r RATE] [-d SECS] [-W MS] "
			"[-V FILE] [-P PID]... [-C CPU] [-L LABEL -o CSV]\n"
			"                        HOST DOMAIN MAP "
			"order | match KEY... | random N KEYFMT NKEYS | proc NUM\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host;
	char *domain, *map, *what;
	int opt, tcp = 0, port = 0, sock = RPC_ANYSOCK, rc = 0;
	struct load l = { .stat_cpu = -1, .label = "run", .lost_ms = LOST_MS };
	const char *want_file = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	CLIENT *c = NULL;

	while ((opt = getopt(argc, argv, "tp:TO:r:d:W:V:P:C:L:o:")) != -1) {
		switch (opt) {
		case 'T':
			l.report = true;
			break;
		case 'O':
			l.outstanding = atoi(optarg);
			if (l.outstanding < 1 || l.outstanding > (int)SLOTS / 2)
				usage();
			break;
		case 'r':
			l.rate = atof(optarg);
			if (!(l.rate > 0))
				usage();
			break;
		case 'd':
			l.secs = atof(optarg);
			break;
		case 'W':
			l.lost_ms = atoi(optarg);
			if (l.lost_ms < 1 || l.lost_ms > 60000)
				usage();
			break;
		case 'V':
			want_file = optarg;
			break;
		case 'P':
			if (l.npids == MAX_PIDS)
				usage();
			l.pids[l.npids++] = atoi(optarg);
			break;
		case 'C':
			l.stat_cpu = atoi(optarg);
			break;
		case 'L':
			l.label = optarg;
			break;
		case 'o':
			l.csv = optarg;
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
	if ((l.outstanding && l.rate > 0) ||
	    ((l.outstanding || l.rate > 0) && (tcp || !port || strcmp(what, "random"))))
		usage();
	l.report |= l.outstanding || l.rate > 0 || l.npids || l.stat_cpu >= 0 || l.csv;

	if (port) {
		sin.sin_port = htons(port);
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
			fprintf(stderr, "%s: not an IPv4 address\n", host);
			return 2;
		}
		if (!l.outstanding && !(l.rate > 0))
			c = tcp ? clnttcp_create(&sin, YPPROG, YPVERS, &sock, 0, 0)
				: clntudp_create(&sin, YPPROG, YPVERS, tmo, &sock);
	} else {
		c = clnt_create(host, YPPROG, YPVERS, tcp ? "tcp" : "udp");
	}
	if (!c && !l.outstanding && !(l.rate > 0)) {
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
		long n = atol(argv[optind + 4]);

		l.fmt = argv[optind + 5];
		l.nkeys = atol(argv[optind + 6]);
		if (want_file && load_want(&l, want_file))
			return 1;
		if (c)
			run_serial(&l, c, domain, map, n);
		else if (run_flight(&l, &sin, domain, map, n))
			return 1;
		report(&l);
		rc = l.failed || l.lost || l.wrong ? 1 : 0;
	} else if (!strcmp(what, "proc") && argc - optind == 5) {
		enum clnt_stat st = clnt_call(c, strtoul(argv[optind + 4], NULL, 0),
					      (xdrproc_t)xdr_nothing, NULL,
					      (xdrproc_t)xdr_nothing, NULL, tmo);

		printf("proc %s: %s\n", argv[optind + 4], clnt_sperrno(st));
		rc = st == RPC_SUCCESS ? 0 : 1;
	} else {
		usage();
	}
	if (c)
		clnt_destroy(c);
	return rc;
}
