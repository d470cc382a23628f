// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-loadgen: a UDP ONC RPC load generator for the demo service
 * (examples/demo.x, program 0x20001234 v1).
 *
 * Each thread owns one connected UDP socket and a table of outstanding
 * calls indexed by the low bits of the xid; a reply is matched by its xid
 * and checked (accepted, SUCCESS, and for ECHO the length, for SPIN the
 * value). Two modes:
 *
 *   closed  every thread keeps --outstanding calls in flight (maximum
 *           throughput);
 *   open    calls leave at Poisson-distributed times at --rate calls/s in
 *           total, however many are outstanding; latency is measured from
 *           the scheduled send time, so a stalled server is not hidden
 *           (no coordinated omission).
 *
 * Calls unanswered --timeout-ms after the end are lost. Latencies go into a
 * log-linear histogram (64 sub-buckets per power of two, < 1.6 % error).
 * --cpu-pid PID (repeatable) reads utime+stime of PID from /proc/PID/stat
 * at start and end; --napi-pid PID the same for a NAPI kthread, counted in
 * the server's CPU time and also on its own; --stat-cpu N the busy time of
 * CPU N from /proc/stat. The client's own busy fraction is always reported:
 * its CPU time (getrusage) and that of --client-pid PIDs (its NAPI kthread)
 * over the run's wall time and the CPUs it may run on (near 1: the client,
 * not the server, is the limit).
 * Output: a summary line, --csv FILE (appends one row, with a header when
 * the file is new), --json FILE, --cdf FILE (latency_us fraction).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define DEMO_PROG	0x20001234u
#define DEMO_VERS	1u
#define MAX_THREADS	64
#define MAX_PIDS	16
#define SLOTS		65536u		/* outstanding calls per thread, at most */
#define BATCH		32
#define MSG_MAX		8192

enum proc { P_NULL = 0, P_ECHO = 1, P_ADD = 2, P_SPIN = 5 };

struct opts {
	struct sockaddr_in dst;
	int proc;
	uint32_t size;		/* ECHO payload */
	uint32_t spin_us, spin_long_us;
	double spin_long_frac;
	bool open;
	double rate;
	double duration;
	int threads;
	int outstanding;
	int timeout_ms;
	int retire_ms;		/* closed loop: replace a call unanswered this long */
	int cpu_base;		/* pin thread i to cpu_base + i; -1: no pinning */
	const char *label, *csv, *json, *cdf;
	bool progress, quiet;
	int npids;
	int pids[MAX_PIDS];
	int nnapi;
	int napi_pids[MAX_PIDS];
	int stat_cpu;		/* -1: none */
	int nclient;
	int client_pids[MAX_PIDS];
};

struct slot {
	uint32_t xid;
	bool busy;
	uint64_t t0;
};

struct thread {
	pthread_t tid;
	int idx;
	int fd;
	struct slot *slots;
	uint64_t hist[NBUCKETS];
	uint64_t sent, answered, bad, late, send_err, max_ns, sum_ns;
	uint32_t next_xid;
	uint32_t oldest;		/* closed loop: no call before it is outstanding */
	uint64_t retired;		/* closed loop: given up on, replaced */
	uint64_t rng;
	volatile uint64_t progress;	/* answered, for the bar */
	uint8_t req[2][MSG_MAX];	/* short and long SPIN variants */
	size_t req_len;
};

static struct opts o;
static struct thread th[MAX_THREADS];
static uint64_t t_start, t_end;

static size_t build_call(uint8_t *buf, uint32_t spin_us)
{
	uint8_t *p = buf;

	p = put32(p, 0);		/* xid, set per call */
	p = put32(p, 0);		/* CALL */
	p = put32(p, 2);
	p = put32(p, DEMO_PROG);
	p = put32(p, DEMO_VERS);
	p = put32(p, o.proc);
	p = put32(p, 0); p = put32(p, 0);	/* AUTH_NONE credential */
	p = put32(p, 0); p = put32(p, 0);	/* verifier */
	switch (o.proc) {
	case P_ECHO:
		p = put32(p, o.size);
		memset(p, 'x', (o.size + 3) & ~3u);
		p += (o.size + 3) & ~3u;
		break;
	case P_ADD:
		p = put32(p, 0); p = put32(p, 40);
		p = put32(p, 0); p = put32(p, 2);
		break;
	case P_SPIN:
		p = put32(p, spin_us);
		break;
	}
	return p - buf;
}

/* A reply is good: accepted, SUCCESS, and the result is the expected one. */
static bool check_reply(const uint8_t *m, size_t n, uint32_t spin_us)
{
	uint32_t vlen;

	if (n < 24 || xdr_load_be32(m + 4) != 1 || xdr_load_be32(m + 8) != 0)
		return false;
	vlen = (xdr_load_be32(m + 16) + 3) & ~3u;
	if (n < 24 + vlen || xdr_load_be32(m + 20 + vlen) != 0)
		return false;
	m += 24 + vlen;
	n -= 24 + vlen;
	switch (o.proc) {
	case P_ECHO:
		return n == 4 + ((o.size + 3) & ~3u) && xdr_load_be32(m) == o.size;
	case P_ADD:
		return n == 8 && xdr_load_be32(m + 4) == 42;
	case P_SPIN:
		return n == 4 && xdr_load_be32(m) == spin_us;
	}
	return n == 0;
}

static void send_call(struct thread *t, uint64_t t0)
{
	uint32_t xid = t->next_xid++;
	struct slot *s = &t->slots[xid % SLOTS];
	/* Both SPIN variants have the same length; the reply tells them apart. */
	bool lng = o.proc == P_SPIN && o.spin_long_frac > 0 && rnd(&t->rng) < o.spin_long_frac;
	uint8_t *req = t->req[lng];

	put32(req, xid);
	s->xid = xid;		/* an older call still in this slot is lost */
	s->t0 = t0;
	s->busy = true;
	t->sent++;
	if (send(t->fd, req, t->req_len, MSG_DONTWAIT) < 0) {
		t->send_err++;
		s->busy = false;
	}
}

static int recv_replies(struct thread *t, bool record)
{
	static __thread uint8_t bufs[BATCH][MSG_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	uint64_t now;
	int i, n;

	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], MSG_MAX };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(t->fd, mm, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	now = now_ns();
	for (i = 0; i < n; i++) {
		const uint8_t *m = bufs[i];
		uint32_t xid, spin;
		struct slot *s;
		uint64_t d;

		if (mm[i].msg_len < 4)
			continue;
		xid = xdr_load_be32(m);
		s = &t->slots[xid % SLOTS];
		if (!s->busy || s->xid != xid) {
			t->late++;
			continue;
		}
		s->busy = false;
		spin = 0;
		if (o.proc == P_SPIN && mm[i].msg_len >= 4)
			spin = xdr_load_be32(m + mm[i].msg_len - 4);
		if (!check_reply(m, mm[i].msg_len,
				 spin == o.spin_long_us && o.spin_long_frac > 0 ? o.spin_long_us
										 : o.spin_us)) {
			t->bad++;
			continue;
		}
		t->answered++;
		d = now > s->t0 ? now - s->t0 : 0;
		if (record) {
			t->hist[bucket(d)]++;
			t->sum_ns += d;
			if (d > t->max_ns)
				t->max_ns = d;
		}
	}
	t->progress = t->answered;
	return n;
}


/*
 * Closed loop: a lost call would lower the number in flight for good.
 * Calls are sent in xid order, so the oldest outstanding one is found by
 * moving a cursor; one unanswered for --retire-ms is replaced.
 */
static void retire_lost(struct thread *t)
{
	uint64_t limit = now_ns() - o.retire_ms * 1000000ull;

	while (t->oldest != t->next_xid) {
		struct slot *s = &t->slots[t->oldest % SLOTS];

		if (s->busy && s->xid == t->oldest) {
			if (s->t0 > limit)
				break;
			s->busy = false;
			t->retired++;
			send_call(t, now_ns());
		}
		t->oldest++;
	}
}

static void *run_thread(void *arg)
{
	struct thread *t = arg;
	uint64_t next, end = t_end, drain_end;
	double per_thread_rate = o.rate / o.threads;
	int inflight_target = o.outstanding;

	if (o.cpu_base >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu_base + t->idx, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	next = t_start;
	if (!o.open) {
		for (int i = 0; i < inflight_target; i++)
			send_call(t, now_ns());
	}
	for (;;) {
		uint64_t now = now_ns();

		if (now >= end)
			break;
		if (o.open) {
			while (next <= now && next < end) {
				send_call(t, next);
				next += (uint64_t)(-log(1.0 - rnd(&t->rng)) / per_thread_rate * 1e9);
			}
			if (!recv_replies(t, true))
				wait_readable(t->fd, next < end ? next : end);
		} else {
			uint64_t before = t->answered + t->bad;

			if (!recv_replies(t, true))
				wait_readable(t->fd, now + 1000000);
			for (uint64_t k = t->answered + t->bad - before; k; k--)
				send_call(t, now_ns());
			retire_lost(t);
		}
	}
	/* Drain: what arrives within the timeout still counts. */
	drain_end = now_ns() + o.timeout_ms * 1000000ull;
	while (now_ns() < drain_end) {
		uint64_t out = 0;

		for (uint32_t i = 0; i < SLOTS && !out; i++)
			out |= t->slots[i].busy;
		if (!out)
			break;
		if (!recv_replies(t, true))
			wait_readable(t->fd, now_ns() + 1000000);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: osnic-loadgen [options] HOST PORT\n"
		"  -m, --mode open|closed   open: Poisson at --rate; closed: max throughput (default)\n"
		"  -r, --rate R             calls/s in total (open mode)\n"
		"  -d, --duration S         seconds (default 5)\n"
		"  -t, --threads N          client threads (default 1)\n"
		"  -o, --outstanding N      calls in flight per thread (closed; default 16)\n"
		"  -P, --proc P             null | add | echo | spin (default echo)\n"
		"  -s, --size B             ECHO payload bytes (default 16)\n"
		"      --spin US[,LONG_US,FRACTION]  SPIN times, e.g. 5,500,0.005 (bimodal)\n"
		"      --timeout-ms MS      wait for late replies at the end (default 200)\n"
		"      --retire-ms MS       closed: replace a call unanswered this long (100)\n"
		"      --cpu-base N         pin thread i to CPU N+i\n"
		"      --cpu-pid PID        report utime+stime of PID (repeatable)\n"
		"      --napi-pid PID       the same for a NAPI kthread, also reported alone\n"
		"      --stat-cpu N         report the busy time of CPU N (/proc/stat)\n"
		"      --client-pid PID     count its CPU time as the client's (repeatable)\n"
		"      --label L --csv F --json F --cdf F   outputs\n"
		"      --progress           a progress bar on stderr\n"
		"  -q, --quiet              no summary line\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, NULL, 'm' }, { "rate", 1, NULL, 'r' }, { "duration", 1, NULL, 'd' },
		{ "threads", 1, NULL, 't' }, { "outstanding", 1, NULL, 'o' }, { "proc", 1, NULL, 'P' },
		{ "size", 1, NULL, 's' }, { "spin", 1, NULL, 'S' }, { "timeout-ms", 1, NULL, 'T' },
		{ "retire-ms", 1, NULL, 'R' },
		{ "cpu-base", 1, NULL, 'c' }, { "cpu-pid", 1, NULL, 'p' }, { "stat-cpu", 1, NULL, 'C' },
		{ "napi-pid", 1, NULL, 'N' }, { "client-pid", 1, NULL, 'U' },
		{ "label", 1, NULL, 'L' }, { "csv", 1, NULL, 'V' }, { "json", 1, NULL, 'J' },
		{ "cdf", 1, NULL, 'F' }, { "progress", 0, NULL, 'G' }, { "quiet", 0, NULL, 'q' },
		{ "help", 0, NULL, 'h' }, {},
	};
	uint64_t pid0[MAX_PIDS], pid1[MAX_PIDS], napi0[MAX_PIDS], cpu0 = 0, cpu1 = 0, answered = 0,
		 sent = 0, bad = 0, late = 0, send_err = 0, max_ns = 0, sum_ns = 0, n;
	uint64_t cli0[MAX_PIDS], wall_end;
	double client_s0, client_s = 0;
	struct rusage ru;
	cpu_set_t aff;
	static uint64_t hist[NBUCKETS];
	double secs, tput, loss, cpu_s = 0, napi_cpu_s = 0, stat_cpu_s = 0, client_busy = 0, tick;
	uint64_t p50 = 0, p99 = 0, p999 = 0, acc;
	int c, i, b;

	o = (struct opts){ .proc = P_ECHO, .size = 16, .duration = 5, .threads = 1,
			   .outstanding = 16, .timeout_ms = 200, .retire_ms = 100, .cpu_base = -1, .label = "run",
			   .stat_cpu = -1 };
	while ((c = getopt_long(argc, argv, "m:r:d:t:o:P:s:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o.open = !strcmp(optarg, "open"); break;
		case 'r': o.rate = atof(optarg); break;
		case 'd': o.duration = atof(optarg); break;
		case 't': o.threads = atoi(optarg); break;
		case 'o': o.outstanding = atoi(optarg); break;
		case 'P':
			o.proc = !strcmp(optarg, "null") ? P_NULL : !strcmp(optarg, "add") ? P_ADD :
				 !strcmp(optarg, "spin") ? P_SPIN : !strcmp(optarg, "echo") ? P_ECHO : -1;
			break;
		case 's': o.size = atoi(optarg); break;
		case 'S':
			o.spin_long_frac = 0;
			if (sscanf(optarg, "%u,%u,%lf", &o.spin_us, &o.spin_long_us, &o.spin_long_frac) < 1)
				o.proc = -1;
			break;
		case 'T': o.timeout_ms = atoi(optarg); break;
		case 'R': o.retire_ms = atoi(optarg); break;
		case 'c': o.cpu_base = atoi(optarg); break;
		case 'p': if (o.npids < MAX_PIDS) o.pids[o.npids++] = atoi(optarg); break;
		case 'C': o.stat_cpu = atoi(optarg); break;
		case 'N': if (o.nnapi < MAX_PIDS) o.napi_pids[o.nnapi++] = atoi(optarg); break;
		case 'U': if (o.nclient < MAX_PIDS) o.client_pids[o.nclient++] = atoi(optarg); break;
		case 'L': o.label = optarg; break;
		case 'V': o.csv = optarg; break;
		case 'J': o.json = optarg; break;
		case 'F': o.cdf = optarg; break;
		case 'G': o.progress = true; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || o.proc < 0 || o.threads < 1 || o.threads > MAX_THREADS ||
	    o.outstanding < 1 || o.outstanding > (int)SLOTS / 2 || o.size > 4096 ||
	    o.duration <= 0 || (o.open && o.rate <= 0)) {
		usage(stderr);
		return 2;
	}
	o.dst.sin_family = AF_INET;
	o.dst.sin_port = htons(atoi(argv[optind + 1]));
	if (inet_pton(AF_INET, argv[optind], &o.dst.sin_addr) != 1) {
		fprintf(stderr, "Error: bad IPv4 address %s\n", argv[optind]);
		return 2;
	}

	for (i = 0; i < o.threads; i++) {
		struct thread *t = &th[i];
		int sz = 4 << 20;

		t->idx = i;
		t->rng = 0x9e3779b97f4a7c15ull * (i + 1) ^ (uint64_t)getpid();
		t->next_xid = (uint32_t)(i + 1) << 24;
		t->oldest = t->next_xid;
		t->slots = calloc(SLOTS, sizeof(*t->slots));
		t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (!t->slots || t->fd < 0 ||
		    connect(t->fd, (struct sockaddr *)&o.dst, sizeof(o.dst))) {
			perror("osnic-loadgen: socket");
			return 1;
		}
		setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		t->req_len = build_call(t->req[0], o.spin_us);
		build_call(t->req[1], o.spin_long_us);
	}

	tick = sysconf(_SC_CLK_TCK);
	for (i = 0; i < o.npids; i++)
		pid0[i] = pid_cpu_ticks(o.pids[i]);
	for (i = 0; i < o.nnapi; i++)
		napi0[i] = pid_cpu_ticks(o.napi_pids[i]);
	if (o.stat_cpu >= 0)
		cpu0 = cpu_busy_ticks(o.stat_cpu);
	for (i = 0; i < o.nclient; i++)
		cli0[i] = pid_cpu_ticks(o.client_pids[i]);
	getrusage(RUSAGE_SELF, &ru);
	client_s0 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		    ru.ru_stime.tv_usec / 1e6;
	t_start = now_ns();
	t_end = t_start + (uint64_t)(o.duration * 1e9);
	for (i = 0; i < o.threads; i++)
		pthread_create(&th[i].tid, NULL, run_thread, &th[i]);
	if (o.progress) {
		const int w = 40;
		bool tty = isatty(2);
		int tick_n = 0;

		for (;;) {
			uint64_t now = now_ns(), done = 0;
			double f = (double)(now - t_start) / (t_end - t_start);

			if (f > 1)
				f = 1;
			for (i = 0; i < o.threads; i++)
				done += th[i].progress;
			/* Not a terminal: one line a second. */
			if (!tty && f < 1 && tick_n++ % 5) {
				usleep(200000);
				continue;
			}
			fprintf(stderr, "%s  [%.*s%*s] %3d%%  %9llu calls answered, %8.0f/s%s", tty ? "\r" : "", (int)(f * w),
				"########################################", w - (int)(f * w), "",
				(int)(f * 100), (unsigned long long)done,
				done / ((now - t_start) / 1e9 + 1e-9), tty ? "" : "\n");
			if (f >= 1)
				break;
			usleep(200000);
		}
		if (tty)
			fputc('\n', stderr);
	}
	for (i = 0; i < o.threads; i++)
		pthread_join(th[i].tid, NULL);
	wall_end = now_ns();
	getrusage(RUSAGE_SELF, &ru);
	client_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		   ru.ru_stime.tv_usec / 1e6 - client_s0;
	secs = o.duration;
	for (i = 0; i < o.npids; i++) {
		pid1[i] = pid_cpu_ticks(o.pids[i]);
		cpu_s += (pid1[i] - pid0[i]) / tick;
	}
	for (i = 0; i < o.nnapi; i++)
		napi_cpu_s += (pid_cpu_ticks(o.napi_pids[i]) - napi0[i]) / tick;
	cpu_s += napi_cpu_s;
	if (o.stat_cpu >= 0) {
		cpu1 = cpu_busy_ticks(o.stat_cpu);
		stat_cpu_s = (cpu1 - cpu0) / tick;
	}
	for (i = 0; i < o.nclient; i++)
		client_s += (pid_cpu_ticks(o.client_pids[i]) - cli0[i]) / tick;
	/* The CPUs the client may use: the threads', or without --cpu-base, the process's. */
	CPU_ZERO(&aff);
	if (o.cpu_base >= 0) {
		for (i = 0; i < o.threads; i++)
			CPU_SET(o.cpu_base + i, &aff);
	} else if (sched_getaffinity(0, sizeof(aff), &aff)) {
		CPU_SET(0, &aff);
	}
	if (CPU_COUNT(&aff) > o.threads) {
		/* No more CPUs than threads can be kept busy. */
		CPU_ZERO(&aff);
		for (i = 0; i < o.threads; i++)
			CPU_SET(i, &aff);
	}
	client_busy = client_s / ((wall_end - t_start) / 1e9) / CPU_COUNT(&aff);

	for (i = 0; i < o.threads; i++) {
		struct thread *t = &th[i];

		sent += t->sent;
		answered += t->answered;
		bad += t->bad;
		late += t->late;
		send_err += t->send_err;
		sum_ns += t->sum_ns;
		if (t->max_ns > max_ns)
			max_ns = t->max_ns;
		for (b = 0; b < NBUCKETS; b++)
			hist[b] += t->hist[b];
	}
	n = 0;
	for (b = 0; b < NBUCKETS; b++)
		n += hist[b];
	p50 = hist_quantile(hist, n, 0.5);
	p99 = hist_quantile(hist, n, 0.99);
	p999 = hist_quantile(hist, n, 0.999);
	if (max_ns && p999 > max_ns)
		p999 = max_ns;
	if (max_ns && p99 > max_ns)
		p99 = max_ns;
	if (max_ns && p50 > max_ns)
		p50 = max_ns;
	tput = answered / secs;
	loss = sent ? (double)(sent - answered) / sent : 0;

	if (!o.quiet) {
		printf("%s: %s %.0f calls/s, sent %llu answered %llu bad %llu loss %.4f%%, "
		       "latency us p50 %.1f p99 %.1f p99.9 %.1f max %.1f mean %.1f",
		       o.label, o.open ? "open" : "closed", tput, (unsigned long long)sent,
		       (unsigned long long)answered, (unsigned long long)bad, loss * 100, p50 / 1e3,
		       p99 / 1e3, p999 / 1e3, max_ns / 1e3, n ? sum_ns / 1e3 / n : 0);
		if (send_err)
			printf(", send errors %llu", (unsigned long long)send_err);
		if (o.npids || o.nnapi)
			printf(", server cpu %.2f s (%.2f us/call)", cpu_s,
			       answered ? cpu_s * 1e6 / answered : 0);
		if (o.nnapi)
			printf(" of which napi %.2f s", napi_cpu_s);
		if (o.stat_cpu >= 0)
			printf(", cpu%d busy %.2f s", o.stat_cpu, stat_cpu_s);
		printf(", client %.0f %% busy", client_busy * 100);
		printf("\n");
	}
	if (o.csv) {
		struct stat st;
		bool hdr = stat(o.csv, &st) || st.st_size == 0;
		FILE *f = fopen(o.csv, "a");

		if (!f) {
			perror(o.csv);
			return 1;
		}
		if (hdr)
			fprintf(f, "label,mode,offered_rate,threads,outstanding,proc,size,duration_s,"
				   "sent,answered,bad,late,loss,throughput,p50_us,p99_us,p999_us,"
				   "max_us,mean_us,server_cpu_s,cpu_us_per_call,stat_cpu_s,"
				   "napi_cpu_s,client_cpu_busy\n");
		fprintf(f, "%s,%s,%.0f,%d,%d,%d,%u,%.2f,%llu,%llu,%llu,%llu,%.6f,%.1f,%.2f,%.2f,%.2f,"
			   "%.2f,%.2f,%.3f,%.4f,%.3f,%.3f,%.3f\n",
			o.label, o.open ? "open" : "closed", o.open ? o.rate : 0, o.threads,
			o.outstanding, o.proc, o.size, secs, (unsigned long long)sent,
			(unsigned long long)answered, (unsigned long long)bad,
			(unsigned long long)late, loss, tput, p50 / 1e3, p99 / 1e3, p999 / 1e3,
			max_ns / 1e3, n ? sum_ns / 1e3 / n : 0, cpu_s,
			answered ? cpu_s * 1e6 / answered : 0, stat_cpu_s, napi_cpu_s,
			client_busy);
		fclose(f);
	}
	if (o.json) {
		FILE *f = fopen(o.json, "w");

		if (!f) {
			perror(o.json);
			return 1;
		}
		fprintf(f, "{\"label\":\"%s\",\"mode\":\"%s\",\"offered_rate\":%.0f,\"sent\":%llu,"
			   "\"answered\":%llu,\"bad\":%llu,\"late\":%llu,\"loss\":%.6f,"
			   "\"throughput\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,"
			   "\"max_us\":%.2f,\"server_cpu_s\":%.3f,\"stat_cpu_s\":%.3f,"
			   "\"napi_cpu_s\":%.3f,\"client_cpu_busy\":%.3f}\n",
			o.label, o.open ? "open" : "closed", o.open ? o.rate : 0,
			(unsigned long long)sent, (unsigned long long)answered,
			(unsigned long long)bad, (unsigned long long)late, loss, tput, p50 / 1e3,
			p99 / 1e3, p999 / 1e3, max_ns / 1e3, cpu_s, stat_cpu_s, napi_cpu_s, client_busy);
		fclose(f);
	}
	if (o.cdf) {
		FILE *f = fopen(o.cdf, "w");

		if (!f) {
			perror(o.cdf);
			return 1;
		}
		acc = 0;
		for (b = 0; b < NBUCKETS; b++) {
			if (!hist[b])
				continue;
			acc += hist[b];
			fprintf(f, "%.3f %.6f\n", bucket_value(b) / 1e3, (double)acc / n);
		}
		fclose(f);
	}
	return bad ? 1 : 0;
}
