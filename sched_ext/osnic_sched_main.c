// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic-sched: load the osnic sched_ext scheduler, run it until a signal,
 * a time limit or the kernel ejects it, and report what it did and why it
 * stopped.
 *
 * Exit status: 0 when it was unloaded normally, 1 when it could not be
 * loaded or the kernel ejected it with an error, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader.h"

#include "../daemons/json_writer.h"

static volatile sig_atomic_t stop_requested;

static bool json;

/* The counters, in struct order; the one table both output modes use. */
#define STAT_FIELD(name) { #name, offsetof(struct osnic_sched_stats, name) },
static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = { OSNIC_SCHED_STAT_LIST(STAT_FIELD) };
#undef STAT_FIELD

_Static_assert(sizeof(stat_fields) / sizeof(stat_fields[0]) == OSNIC_SCHED_NSTATS,
	       "stat_fields must list every counter of struct osnic_sched_stats");

static void usage(FILE *out)
{
	fprintf(out, "usage: osnic-sched [-v] [-j] [-d SECONDS] [-i SECONDS]\n"
		     "\n"
		     "Run the osnic sched_ext scheduler until SIGINT/SIGTERM, the\n"
		     "duration or the kernel ejects it; print its counters every\n"
		     "interval and why it exited.\n"
		     "\n"
		     "  -d SECONDS  stop after this long (default: run until a signal)\n"
		     "  -i SECONDS  print counters this often; 0: only at the end (default 1)\n"
		     "  -j          JSON, one object per line\n"
		     "  -v          libbpf and loader messages on stderr\n"
		     "  -h          this help\n"
		     "\n"
		     "Exit status: 0 unloaded normally, 1 load failure or ejected with an\n"
		     "error, 2 usage error.\n");
}

/*
 * With -j each report is one JSON object on a line of its own, written by
 * a writer of its own; NULL (and a word on stderr) when there is no memory.
 */
/* One JSON object on a line of its own, with "event" first unless event is NULL. */
static struct json_writer *json_line(const char *event)
{
	struct json_writer *jw = jw_new(stdout, false);

	if (!jw) {
		fputs("Error: out of memory\n", stderr);
		return NULL;
	}
	jw_start_object(jw);
	if (event) {
		jw_name(jw, "event");
		jw_string(jw, event);
	}
	return jw;
}

static void json_line_end(struct json_writer *jw)
{
	jw_end_object(jw);
	jw_destroy(jw);
}

static void print_error(const char *what, int err)
{
	struct json_writer *jw;

	if (!json) {
		fprintf(stderr, "Error: %s: %s\n", what, strerror(-err));
		return;
	}
	jw = json_line(NULL);
	if (!jw)
		return;
	jw_name(jw, "error");
	jw_string(jw, what);
	jw_name(jw, "errno");
	jw_int(jw, -err);
	json_line_end(jw);
}

static __u64 stat_value(const struct osnic_sched_stats *stats, size_t i)
{
	return *(const __u64 *)((const char *)stats + stat_fields[i].offset);
}

static void print_stats(const struct osnic_sched_stats *stats, double elapsed)
{
	struct json_writer *jw;
	size_t i;

	if (!json) {
		printf("%8.1fs", elapsed);
		for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
			printf(" %s=%llu", stat_fields[i].name,
			       (unsigned long long)stat_value(stats, i));
		putchar('\n');
		fflush(stdout);
		return;
	}
	jw = json_line("stats");
	if (!jw)
		return;
	jw_name(jw, "elapsed");
	jw_float_fmt(jw, "%.3f", elapsed);
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		jw_name(jw, stat_fields[i].name);
		jw_uint(jw, stat_value(stats, i));
	}
	json_line_end(jw);
}

static void print_exit(const struct osnic_sched_exit_info *info)
{
	struct json_writer *jw;

	if (!json) {
		printf("exit: %s (kind %lld, code %lld): %s\n",
		       osnic_sched_exit_kind_name(info->kind), (long long)info->kind,
		       (long long)info->exit_code,
		       info->reason[0] ? info->reason : "no reason given");
		if (info->msg[0])
			printf("exit message: %s\n", info->msg);
		fflush(stdout);
		return;
	}
	jw = json_line("exit");
	if (!jw)
		return;
	jw_name(jw, "kind");
	jw_int(jw, info->kind);
	jw_name(jw, "kind_name");
	jw_string(jw, osnic_sched_exit_kind_name(info->kind));
	jw_name(jw, "exit_code");
	jw_int(jw, info->exit_code);
	jw_name(jw, "error");
	jw_bool(jw, osnic_sched_exit_is_error(info));
	jw_name(jw, "reason");
	jw_string(jw, info->reason);
	jw_name(jw, "msg");
	jw_string(jw, info->msg);
	json_line_end(jw);
}

static void on_signal(int sig)
{
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Run until a signal, the duration or an exit; return the exit status. */
static int run(struct osnic_scheduler *s, double duration, double interval)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	struct osnic_sched_exit_info info;
	struct osnic_sched_stats stats;
	double start = now_seconds(), next = start + interval, t;

	while (!stop_requested && !osnic_sched_exited(s)) {
		nanosleep(&tick, NULL);
		t = now_seconds();
		if (interval > 0 && t >= next) {
			osnic_sched_stats(s, &stats);
			print_stats(&stats, t - start);
			next += interval;
		}
		if (duration > 0 && t - start >= duration)
			break;
	}

	osnic_sched_detach(s);
	osnic_sched_stats(s, &stats);
	print_stats(&stats, now_seconds() - start);
	if (osnic_sched_exit_info(s, &info)) {
		print_error("the scheduler left no exit information", -ENODATA);
		return 1;
	}
	print_exit(&info);
	return osnic_sched_exit_is_error(&info) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct osnic_sched_opts opts = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct osnic_scheduler *s;
	double duration = 0, interval = 1;
	char why[160];
	int opt, err;

	while ((opt = getopt(argc, argv, "d:i:jvh")) != -1) {
		switch (opt) {
		case 'd':
			if (parse_seconds(optarg, &duration)) {
				fprintf(stderr, "Error: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_seconds(optarg, &interval)) {
				fprintf(stderr, "Error: bad interval '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	err = osnic_sched_available(why, sizeof(why));
	if (err) {
		print_error(why, err);
		return 1;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	s = osnic_sched_load(&opts);
	if (!s) {
		print_error("cannot load the scheduler (-v for details)", -errno);
		return 1;
	}
	err = osnic_sched_attach(s);
	if (err) {
		print_error(err == -EBUSY ?
				    "cannot attach: another sched_ext scheduler is running" :
				    "cannot attach the scheduler (-v for details)",
			    err);
		osnic_sched_destroy(s);
		return 1;
	}
	err = run(s, duration, interval);
	osnic_sched_destroy(s);
	return err;
}
