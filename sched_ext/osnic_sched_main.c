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

#include <osnic/loader.h>

static volatile sig_atomic_t stop_requested;

static bool json;

/* The counters, in printing order; the one table both output modes use. */
static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
/* clang-format off */
#define STAT_FIELD(f) { #f, offsetof(struct osnic_sched_stats, f) }
	STAT_FIELD(select_cpu),
	STAT_FIELD(local_direct),
	STAT_FIELD(enqueued),
	STAT_FIELD(dispatched),
	STAT_FIELD(dispatch_empty),
	STAT_FIELD(wakeups),
	STAT_FIELD(running),
	STAT_FIELD(enabled_tasks),
	STAT_FIELD(worker_state_updates),
	STAT_FIELD(worker_placed_rx_cpu),
	STAT_FIELD(worker_rx_preempts),
	STAT_FIELD(worker_rx_head),
	STAT_FIELD(worker_placed_idle),
	STAT_FIELD(worker_enqueued),
	STAT_FIELD(worker_dispatches),
	STAT_FIELD(worker_kept),
	STAT_FIELD(backlog_high),
	STAT_FIELD(kicks),
	STAT_FIELD(tick_yields),
	STAT_FIELD(idle_kicks),
	STAT_FIELD(kthread_local),
	STAT_FIELD(limit_deferrals),
	STAT_FIELD(limit_overrides),
	STAT_FIELD(starved_shared),
	STAT_FIELD(no_task_ctx),
	STAT_FIELD(pending_capped),
	STAT_FIELD(budget_spent),
#undef STAT_FIELD
	/* clang-format on */
};

_Static_assert(sizeof(stat_fields) / sizeof(stat_fields[0]) ==
		       sizeof(struct osnic_sched_stats) / sizeof(__u64),
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

/* Print a JSON string literal; the exit message may hold anything. */
static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_error(const char *what, int err)
{
	if (json) {
		fputs("{\"error\":", stdout);
		print_json_string(what);
		printf(",\"errno\":%d}\n", -err);
		fflush(stdout);
	} else {
		fprintf(stderr, "Error: %s: %s\n", what, strerror(-err));
	}
}

static void print_stats(const struct osnic_sched_stats *stats, double elapsed)
{
	size_t i;

	if (json)
		printf("{\"event\":\"stats\",\"elapsed\":%.3f", elapsed);
	else
		printf("%8.1fs", elapsed);
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		__u64 v = *(const __u64 *)((const char *)stats + stat_fields[i].offset);

		printf(json ? ",\"%s\":%llu" : " %s=%llu", stat_fields[i].name,
		       (unsigned long long)v);
	}
	puts(json ? "}" : "");
	fflush(stdout);
}

static void print_exit(const struct osnic_sched_exit_info *info)
{
	if (json) {
		printf("{\"event\":\"exit\",\"kind\":%lld,\"kind_name\":", (long long)info->kind);
		print_json_string(osnic_sched_exit_kind_name(info->kind));
		printf(",\"exit_code\":%lld,\"error\":%s,\"reason\":", (long long)info->exit_code,
		       osnic_sched_exit_is_error(info) ? "true" : "false");
		print_json_string(info->reason);
		fputs(",\"msg\":", stdout);
		print_json_string(info->msg);
		puts("}");
	} else {
		printf("exit: %s (kind %lld, code %lld): %s\n",
		       osnic_sched_exit_kind_name(info->kind), (long long)info->kind,
		       (long long)info->exit_code,
		       info->reason[0] ? info->reason : "no reason given");
		if (info->msg[0])
			printf("exit message: %s\n", info->msg);
	}
	fflush(stdout);
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
