/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the load generators share (osnic-loadgen, osnic-nis-client): the
 * clock, a log-linear latency histogram (64 sub-buckets per power of two,
 * < 1.6 % error), a xorshift generator for Poisson gaps, and the CPU time
 * of a process (/proc/PID/stat) and of a CPU (/proc/stat); waiting for a
 * reply with a deadline, and a big-endian store for building calls.
 */
#ifndef OSNIC_BENCH_STATS_H
#define OSNIC_BENCH_STATS_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osnic/xdr.h>

#define SUB_BITS	6
#define NBUCKETS	((64 - SUB_BITS) << SUB_BITS)

/* Store v big-endian (XDR) at p; returns p past it, for building a call in line. */
static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	xdr_store_be32(p, v);
	return p + 4;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Wait until fd is readable or the monotonic clock reaches until (ns).
 * Sleep even for a few µs: a spinning client would use its whole CPU, and
 * under SCHED_FIFO the kernel's RT throttling then stops it for 50 ms of
 * every second, which shows as latency.
 */
static inline void wait_readable(int fd, uint64_t until)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t now = now_ns();
	struct timespec ts;

	if (until <= now)
		return;
	until -= now;
	ts.tv_sec = until / 1000000000ull;
	ts.tv_nsec = until % 1000000000ull;
	ppoll(&p, 1, &ts, NULL);
}

static inline unsigned int bucket(uint64_t v)
{
	unsigned int msb;

	if (v < (1u << SUB_BITS))
		return v;
	msb = 63 - __builtin_clzll(v);
	return ((msb - SUB_BITS + 1) << SUB_BITS) + ((v >> (msb - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

/* The upper end of a bucket's values. */
static inline uint64_t bucket_value(unsigned int b)
{
	unsigned int e = b >> SUB_BITS, m = b & ((1u << SUB_BITS) - 1);

	if (!e)
		return m;
	return ((uint64_t)((1u << SUB_BITS) | m) << (e - 1)) + ((1ull << (e - 1)) - 1);
}

/* The value under which a fraction q of the histogram's n entries lie. */
static inline uint64_t hist_quantile(const uint64_t *hist, uint64_t n, double q)
{
	uint64_t acc = 0;

	for (unsigned int b = 0; b < NBUCKETS; b++) {
		acc += hist[b];
		if (hist[b] && acc >= n * q)
			return bucket_value(b);
	}
	return 0;
}

/* A uniform double in [0, 1): xorshift64*. */
static inline double rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return ((*s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

/* utime + stime of a process, in clock ticks; 0 if it cannot be read. */
static inline uint64_t pid_cpu_ticks(int pid)
{
	char path[64], buf[4096], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

/* The busy time of one CPU (all but idle and iowait), in clock ticks. */
static inline uint64_t cpu_busy_ticks(int cpu)
{
	unsigned long long v[10] = {};
	char line[512], name[16];
	uint64_t busy = 0;
	FILE *f = fopen("/proc/stat", "r");

	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)))
			continue;
		sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	}
	if (f)
		fclose(f);
	return busy;
}

#endif
