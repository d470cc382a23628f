// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl: the command line of osnicd, over its netlink protocol.
 *
 *   osnicctl [-j] [-p] OBJECT COMMAND [ARGS]
 *
 * Grammar as iproute2 and bpftool: objects and commands are looked up in
 * tables, any unambiguous-or-first prefix matches ("osnicctl i l"). Output
 * goes through one set of out_*() calls that write either a JSON value or a
 * human table (columns aligned once the table is complete), so that the two
 * forms always show the same fields. Errors: "Error: ..." on stderr, or
 * {"error": ...} on stdout with -j (as bpftool), and exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osnic/ctl.h>

#include "json_writer.h"

#ifndef OSNIC_VERSION
#define OSNIC_VERSION "0.1.0"
#endif

static bool json_output;
static bool pretty_output;
static struct json_writer *jw;
static struct osnic_ctl *ctl;

/* ---- errors ------------------------------------------------------------------- */

static void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void p_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		jw_start_object(jw);
		jw_name(jw, "error");
		jw_string(jw, msg);
		jw_end_object(jw);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
}

/* A failed call to osnicd: what it said, else the errno's text. */
static int ctl_err(int err, const char *what)
{
	const char *msg = osnic_ctl_errmsg(ctl);
	unsigned int attr = osnic_ctl_erratt(ctl);

	if (msg && attr)
		p_err("%s: %s (attribute %s; %s)", what, msg, osnic_nl_attr_name(attr),
		      strerror(-err));
	else if (msg)
		p_err("%s: %s (%s)", what, msg, strerror(-err));
	else
		p_err("%s: %s", what, strerror(-err));
	return 1;
}

static int connect_osnicd(void)
{
	int err;

	if (ctl)
		return 0;
	err = osnic_ctl_open(&ctl);
	if (err) {
		p_err("opening a netlink socket: %s", strerror(-err));
		return 1;
	}
	return 0;
}

/* ---- output: one path for JSON and text ------------------------------------------ */

#define OUT_MAX_COLS 16
#define OUT_MAX_ROWS 1024

/*
 * Text mode keeps a table (or a record: one name/value line per field)
 * until it ends, to align it. JSON mode writes as it goes.
 */
static struct {
	bool record;
	const char *title;	/* text heading, may be NULL */
	unsigned int ncols, nrows, col;
	const char *head[OUT_MAX_COLS];
	bool right[OUT_MAX_COLS];
	char *cells[OUT_MAX_ROWS][OUT_MAX_COLS];
} tbl;

static bool out_named_sections;	/* JSON: sections are members of one object */

/* Several sections (stats): JSON wraps them in one object. */
static void out_sections_begin(void)
{
	out_named_sections = true;
	if (json_output)
		jw_start_object(jw);
}

static void out_sections_end(void)
{
	if (json_output)
		jw_end_object(jw);
}

static void out_begin(bool record, const char *key, const char *title)
{
	memset(&tbl, 0, sizeof(tbl));
	tbl.record = record;
	tbl.title = title;
	if (!json_output)
		return;
	if (out_named_sections && key)
		jw_name(jw, key);
	if (record)
		jw_start_object(jw);
	else
		jw_start_array(jw);
}

static void out_table_begin(const char *key, const char *title)
{
	out_begin(false, key, title);
}

static void out_record_begin(const char *key, const char *title)
{
	out_begin(true, key, title);
}

static void out_row_begin(void)
{
	if (json_output) {
		jw_start_object(jw);
		return;
	}
	tbl.col = 0;
}

static void out_row_end(void)
{
	if (json_output) {
		jw_end_object(jw);
		return;
	}
	if (tbl.nrows < OUT_MAX_ROWS)
		tbl.nrows++;
}

/* A text cell (the JSON value is written by the caller). */
static void text_cell(const char *head, bool right, const char *text)
{
	if (tbl.record) {
		if (tbl.nrows < OUT_MAX_ROWS) {
			tbl.cells[tbl.nrows][0] = strdup(head);
			tbl.cells[tbl.nrows][1] = strdup(text);
			tbl.nrows++;
		}
		return;
	}
	if (tbl.col >= OUT_MAX_COLS || tbl.nrows >= OUT_MAX_ROWS)
		return;
	if (tbl.nrows == 0) {
		tbl.head[tbl.col] = head;
		tbl.right[tbl.col] = right;
		tbl.ncols = tbl.col + 1;
	}
	tbl.cells[tbl.nrows][tbl.col++] = strdup(text);
}

static void out_uint(const char *key, const char *head, uint64_t v)
{
	char buf[32];

	if (json_output) {
		jw_name(jw, key);
		jw_uint(jw, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	text_cell(head, true, buf);
}

static void out_hex(const char *key, const char *head, uint64_t v)
{
	char buf[32];

	if (json_output) {
		jw_name(jw, key);
		jw_uint(jw, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	text_cell(head, true, buf);
}

static void out_str(const char *key, const char *head, const char *s)
{
	if (json_output) {
		jw_name(jw, key);
		jw_string(jw, s);
		return;
	}
	text_cell(head, false, s);
}

static void out_bool(const char *key, const char *head, bool v)
{
	if (json_output) {
		jw_name(jw, key);
		jw_bool(jw, v);
		return;
	}
	text_cell(head, false, v ? "yes" : "no");
}

/* A procedure mask: JSON [0, 1, 2], text "0-2". */
static void out_procs(const char *key, const char *head, uint64_t mask)
{
	char buf[256] = "";
	size_t len = 0;
	int p, q;

	if (json_output) {
		jw_name(jw, key);
		jw_start_array(jw);
		for (p = 0; p < 64; p++)
			if (mask & (1ULL << p))
				jw_uint(jw, p);
		jw_end_array(jw);
		return;
	}
	for (p = 0; p < 64; p = q) {
		if (!(mask & (1ULL << p))) {
			q = p + 1;
			continue;
		}
		for (q = p; q < 64 && (mask & (1ULL << q)); q++)
			;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%d", len ? "," : "", p);
		if (q - 1 > p)
			len += snprintf(buf + len, sizeof(buf) - len, "-%d", q - 1);
	}
	text_cell(head, false, len ? buf : "-");
}

static void print_cell(const char *s, unsigned int width, bool right, bool last)
{
	if (right)
		printf("%*s", (int)width, s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%-*s", (int)width, s);
	fputs(last ? "\n" : "  ", stdout);
}

static void out_end(void)
{
	unsigned int width[OUT_MAX_COLS] = { 0 };
	const char *indent = tbl.title ? "  " : "";
	unsigned int r, c;

	if (json_output) {
		if (tbl.record)
			jw_end_object(jw);
		else
			jw_end_array(jw);
		return;
	}
	if (tbl.record)
		tbl.ncols = 2;
	else
		for (c = 0; c < tbl.ncols; c++)
			width[c] = strlen(tbl.head[c]);
	for (r = 0; r < tbl.nrows; r++)
		for (c = 0; c < tbl.ncols; c++)
			if (tbl.cells[r][c] && strlen(tbl.cells[r][c]) > width[c])
				width[c] = strlen(tbl.cells[r][c]);
	if (tbl.nrows && tbl.title)
		printf("%s\n", tbl.title);
	if (tbl.nrows && !tbl.record) {
		fputs(indent, stdout);
		for (c = 0; c < tbl.ncols; c++)
			print_cell(tbl.head[c], width[c], tbl.right[c], c + 1 == tbl.ncols);
	}
	for (r = 0; r < tbl.nrows; r++) {
		fputs(indent, stdout);
		for (c = 0; c < tbl.ncols; c++) {
			print_cell(tbl.cells[r][c] ? tbl.cells[r][c] : "", width[c],
				   !tbl.record && tbl.right[c], c + 1 == tbl.ncols);
			free(tbl.cells[r][c]);
		}
	}
	if (tbl.title && tbl.nrows)
		putchar('\n');
	memset(&tbl, 0, sizeof(tbl));
}

/* ---- command tables ------------------------------------------------------------------ */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static bool is_prefix(const char *pfx, const char *str)
{
	return *pfx && !strncmp(str, pfx, strlen(pfx));
}

/* Run the first command argv[0] is a prefix of; dflt when there is none. */
static int cmd_select(const struct cmd *cmds, int argc, char **argv,
		      int (*dflt)(int argc, char **argv), const char *object)
{
	const struct cmd *c;

	if (argc < 1 && dflt)
		return dflt(argc, argv);
	if (argc < 1) {
		p_err("%s: a command is needed (try \"osnicctl %s help\")", object, object);
		return 2;
	}
	for (c = cmds; c->name; c++)
		if (is_prefix(argv[0], c->name))
			return c->fn(argc - 1, argv + 1);
	p_err("%s: unknown command \"%s\" (try \"osnicctl %s help\")", object, argv[0], object);
	return 2;
}

static int no_args(int argc, char **argv, const char *what)
{
	if (argc == 0)
		return 0;
	p_err("%s: unexpected argument \"%s\"", what, argv[0]);
	return 2;
}

/* ---- iface --------------------------------------------------------------------------- */

static void print_iface(const struct osnic_ctl_iface *i)
{
	out_str("ifname", "IFACE", i->name);
	out_uint("ifindex", "INDEX", i->ifindex);
	out_str("mode", "MODE", osnic_xdp_mode_name(i->mode));
	out_uint("prog_id", "PROG_ID", i->prog_id);
}

static int iface_attach(int argc, char **argv)
{
	enum osnic_xdp_mode mode = OSNIC_XDP_MODE_AUTO;
	struct osnic_ctl_iface out;
	const char *dev;
	int err;

	if (argc < 1) {
		p_err("iface attach: DEV is needed");
		return 2;
	}
	dev = argv[0];
	argc--, argv++;
	while (argc > 0) {
		if (!is_prefix(argv[0], "mode") || argc < 2) {
			p_err("iface attach: expected \"mode native|generic\", got \"%s\"",
			      argv[0]);
			return 2;
		}
		if (is_prefix(argv[1], "native"))
			mode = OSNIC_XDP_MODE_NATIVE;
		else if (is_prefix(argv[1], "generic") || !strcmp(argv[1], "skb"))
			mode = OSNIC_XDP_MODE_GENERIC;
		else if (is_prefix(argv[1], "auto"))
			mode = OSNIC_XDP_MODE_AUTO;
		else {
			p_err("iface attach: unknown mode \"%s\" (native, generic or auto)",
			      argv[1]);
			return 2;
		}
		argc -= 2, argv += 2;
	}
	if (connect_osnicd())
		return 1;
	err = osnic_ctl_iface_attach(ctl, dev, mode, &out);
	if (err)
		return ctl_err(err, "iface attach");
	out_record_begin(NULL, NULL);
	print_iface(&out);
	out_end();
	return 0;
}

static int iface_detach(int argc, char **argv)
{
	int err;

	if (argc != 1) {
		p_err("iface detach: exactly one DEV is needed");
		return 2;
	}
	if (connect_osnicd())
		return 1;
	err = osnic_ctl_iface_detach(ctl, argv[0]);
	if (err)
		return ctl_err(err, "iface detach");
	out_record_begin(NULL, NULL);
	out_str("ifname", "IFACE", argv[0]);
	out_bool("detached", "DETACHED", true);
	out_end();
	return 0;
}

/*
 * Dumps are collected before anything is printed, so that a failure prints
 * only the error (and -j output stays one JSON value).
 */
struct collected {
	void *items;
	size_t size, n, cap;
};

static int collect(struct collected *c, const void *item)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		void *p = realloc(c->items, cap * c->size);

		if (!p)
			return -ENOMEM;
		c->items = p;
		c->cap = cap;
	}
	memcpy((char *)c->items + c->n++ * c->size, item, c->size);
	return 0;
}

static int collect_iface(const struct osnic_ctl_iface *i, void *data)
{
	return collect(data, i);
}

static int iface_list(int argc, char **argv)
{
	struct collected c = { .size = sizeof(struct osnic_ctl_iface) };
	int err = no_args(argc, argv, "iface list");
	size_t k;

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_iface_dump(ctl, collect_iface, &c);
	if (err) {
		free(c.items);
		return ctl_err(err, "iface list");
	}
	out_table_begin(NULL, NULL);
	for (k = 0; k < c.n; k++) {
		out_row_begin();
		print_iface((struct osnic_ctl_iface *)c.items + k);
		out_row_end();
	}
	out_end();
	free(c.items);
	return 0;
}

static int iface_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl iface attach DEV [mode native|generic|auto]\n"
			"       osnicctl iface detach DEV\n"
			"       osnicctl iface list\n");
	return 0;
}

static const struct cmd iface_cmds[] = {
	{ "attach", iface_attach },
	{ "detach", iface_detach },
	{ "list", iface_list },
	{ "show", iface_list },
	{ "help", iface_help },
	{},
};

static int do_iface(int argc, char **argv)
{
	return cmd_select(iface_cmds, argc, argv, iface_list, "iface");
}

/* ---- service, worker ---------------------------------------------------------------- */

static void service_row(const struct osnic_ctl_service_info *s)
{
	out_row_begin();
	out_uint("id", "ID", s->id);
	out_uint("prog", "PROG", s->svc.prog);
	out_uint("vers", "VERS", s->svc.vers);
	out_uint("port", "PORT", s->svc.port);
	out_procs("procs", "PROCS", s->svc.procs);
	out_uint("depth_lines", "DEPTH", s->svc.depth_lines);
	out_hex("flags", "FLAGS", s->svc.flags);
	out_uint("workers", "WORKERS", s->nworkers);
	out_uint("app_id", "APP", s->app_id);
	out_uint("pid", "PID", s->pid);
	out_uint("uid", "UID", s->uid);
	out_row_end();
}

static int collect_service(const struct osnic_ctl_service_info *s, void *data)
{
	return collect(data, s);
}

static int service_list(int argc, char **argv)
{
	struct collected c = { .size = sizeof(struct osnic_ctl_service_info) };
	int err = no_args(argc, argv, "service list");
	size_t k;

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_service_dump(ctl, collect_service, &c);
	if (err) {
		free(c.items);
		return ctl_err(err, "service list");
	}
	out_table_begin(NULL, NULL);
	for (k = 0; k < c.n; k++)
		service_row((struct osnic_ctl_service_info *)c.items + k);
	out_end();
	free(c.items);
	return 0;
}

static int service_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl service list\n");
	return 0;
}

static const struct cmd service_cmds[] = {
	{ "list", service_list },
	{ "show", service_list },
	{ "help", service_help },
	{},
};

static int do_service(int argc, char **argv)
{
	return cmd_select(service_cmds, argc, argv, service_list, "service");
}

static void worker_row(const struct osnic_ctl_worker_info *w)
{
	out_row_begin();
	out_uint("id", "ID", w->id);
	out_uint("service_id", "SERVICE", w->service_id);
	out_uint("tid", "TID", w->tid);
	out_uint("pid", "PID", w->pid);
	out_uint("uid", "UID", w->uid);
	out_uint("app_id", "APP", w->app_id);
	out_uint("generation", "GEN", w->generation);
	out_str("state", "STATE", osnic_worker_state_name(w->has_sched ? w->state :
									     OSNIC_WS_UNKNOWN));
	out_uint("cpu", "CPU", w->cpu);
	out_str("ring", "RING", w->ring_path);
	out_row_end();
}

static int collect_worker(const struct osnic_ctl_worker_info *w, void *data)
{
	return collect(data, w);
}

static int worker_list(int argc, char **argv)
{
	struct collected c = { .size = sizeof(struct osnic_ctl_worker_info) };
	int err = no_args(argc, argv, "worker list");
	size_t k;

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_worker_dump(ctl, collect_worker, &c);
	if (err) {
		free(c.items);
		return ctl_err(err, "worker list");
	}
	out_table_begin(NULL, NULL);
	for (k = 0; k < c.n; k++)
		worker_row((struct osnic_ctl_worker_info *)c.items + k);
	out_end();
	free(c.items);
	return 0;
}

static int worker_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl worker list\n");
	return 0;
}

static const struct cmd worker_cmds[] = {
	{ "list", worker_list },
	{ "show", worker_list },
	{ "help", worker_help },
	{},
};

static int do_worker(int argc, char **argv)
{
	return cmd_select(worker_cmds, argc, argv, worker_list, "worker");
}

/* ---- stats, daemon ----------------------------------------------------------------- */

static int stats_show(int argc, char **argv)
{
	static struct osnic_ctl_stats st;
	int err = no_args(argc, argv, "stats show");
	unsigned int i;

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_stats_get(ctl, &st);
	if (err)
		return ctl_err(err, "stats");

	out_sections_begin();
	out_record_begin("rx", "Receive (XDP):");
	for (i = 0; i < OSNIC_RX__MAX; i++) {
		const char *name = osnic_ctl_rx_counter_name(i);
		char unknown[32];

		if (!name) {
			snprintf(unknown, sizeof(unknown), "counter_%u", i);
			name = unknown;
		}
		out_uint(name, name, st.rx[i]);
	}
	out_end();

	out_table_begin("services", "Services:");
	for (i = 1; i < OSNIC_MAX_SERVICES; i++) {
		const struct osnic_svc_stats *s = &st.svc[i];

		if (!(st.svc_present & (1ULL << i)))
			continue;
		out_row_begin();
		out_uint("id", "ID", i);
		out_uint("calls", "CALLS", s->calls);
		out_uint("delivered", "DELIVERED", s->delivered);
		out_uint("nullproc", "NULLPROC", s->nullproc);
		out_uint("proc_unavail", "PROC_UNAVAIL", s->proc_unavail);
		out_uint("drop_no_worker", "DROP_NO_WORKER", s->drop_no_worker);
		out_uint("drop_ring_full", "DROP_RING_FULL", s->drop_ring_full);
		out_row_end();
	}
	out_end();

	out_table_begin("workers", "Workers:");
	for (i = 1; i < OSNIC_MAX_WORKERS; i++) {
		const struct osnic_worker_stats *w = &st.worker[i];

		if (!st.worker_service[i])
			continue;
		out_row_begin();
		out_uint("id", "ID", i);
		out_uint("service_id", "SERVICE", st.worker_service[i]);
		out_uint("delivered", "DELIVERED", w->delivered);
		out_uint("delivered_idle", "DELIVERED_IDLE", w->delivered_idle);
		out_uint("bytes", "BYTES", w->bytes);
		out_row_end();
	}
	out_end();
	out_sections_end();
	return 0;
}

static int stats_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl stats [show]\n");
	return 0;
}

static const struct cmd stats_cmds[] = {
	{ "show", stats_show },
	{ "help", stats_help },
	{},
};

static int do_stats(int argc, char **argv)
{
	return cmd_select(stats_cmds, argc, argv, stats_show, "stats");
}

static int daemon_info(int argc, char **argv)
{
	struct osnic_ctl_daemon_info info;
	int err = no_args(argc, argv, "daemon info");

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_daemon_info(ctl, &info);
	if (err)
		return ctl_err(err, "daemon info");
	out_record_begin(NULL, NULL);
	out_str("version", "version", info.version);
	out_uint("pid", "pid", info.pid);
	out_str("pin_dir", "pin dir", info.pin_dir);
	out_uint("uptime_s", "uptime (s)", info.uptime_s);
	out_uint("applications", "applications", info.napps);
	out_uint("services", "services", info.nservices);
	out_uint("workers", "workers", info.nworkers);
	out_uint("interfaces", "interfaces", info.nifaces);
	out_bool("adopted", "re-adopted state", info.adopted);
	out_end();
	return 0;
}

static int daemon_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl daemon info\n");
	return 0;
}

static const struct cmd daemon_cmds[] = {
	{ "info", daemon_info },
	{ "show", daemon_info },
	{ "help", daemon_help },
	{},
};

static int do_daemon(int argc, char **argv)
{
	return cmd_select(daemon_cmds, argc, argv, daemon_info, "daemon");
}

/* ---- sched ------------------------------------------------------------------------------ */

static void print_sched(const struct osnic_ctl_sched_info *info)
{
	unsigned int i;
	const char *name;

	out_sections_begin();
	out_record_begin("status", "Scheduling:");
	out_str("mode", "mode", osnic_sched_mode_name(info->mode));
	out_str("reason", "why not sched_ext", info->why[0] ? info->why : "-");
	out_bool("feed", "sched_switch feed", info->feed);
	out_str("last_exit", "last scheduler exit", info->exit[0] ? info->exit : "-");
	out_end();
	out_record_begin("counters", "Scheduler counters:");
	for (i = 0; info->has_stats && (name = osnic_ctl_sched_counter_name(i)); i++)
		out_uint(name, name, ((const uint64_t *)&info->stats)[i]);
	out_end();
	out_sections_end();
}

static int sched_status(int argc, char **argv)
{
	struct osnic_ctl_sched_info info;
	int err = no_args(argc, argv, "sched status");

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_sched_info(ctl, &info);
	if (err)
		return ctl_err(err, "sched status");
	print_sched(&info);
	return 0;
}

static int sched_set(int argc, char **argv, int enable)
{
	static struct osnic_ctl_sched_info info;
	const char *what = enable ? "sched enable" : "sched disable";
	int err = no_args(argc, argv, what);

	if (err || (err = connect_osnicd()))
		return err;
	err = osnic_ctl_sched_set(ctl, enable, &info);
	if (err)
		return ctl_err(err, what);
	print_sched(&info);
	return 0;
}

static int sched_enable(int argc, char **argv)
{
	return sched_set(argc, argv, 1);
}

static int sched_disable(int argc, char **argv)
{
	return sched_set(argc, argv, 0);
}

static int sched_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl sched { status | enable | disable }\n");
	return 0;
}

static const struct cmd sched_cmds[] = {
	{ "status", sched_status },
	{ "show", sched_status },
	{ "enable", sched_enable },
	{ "disable", sched_disable },
	{ "help", sched_help },
	{},
};

static int do_sched(int argc, char **argv)
{
	return cmd_select(sched_cmds, argc, argv, sched_status, "sched");
}

/* ---- main ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: osnicctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       osnicctl iface attach DEV [mode native|generic|auto]\n"
		"       osnicctl iface detach DEV\n"
		"       osnicctl iface list\n"
		"       osnicctl service list\n"
		"       osnicctl worker list\n"
		"       osnicctl stats\n"
		"       osnicctl sched { status | enable | disable }\n"
		"       osnicctl daemon info\n"
		"OPTIONS: -j|--json  -p|--pretty  -V|--version  -h|--help\n"
		"Objects and commands may be abbreviated (osnicctl i l).\n");
}

static int do_help(int argc, char **argv)
{
	usage(stdout);
	return 0;
}

static const struct cmd objects[] = {
	{ "iface", do_iface },
	{ "service", do_service },
	{ "stats", do_stats },
	{ "worker", do_worker },
	{ "sched", do_sched },
	{ "daemon", do_daemon },
	{ "help", do_help },
	{},
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+jpVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = pretty_output = true;
			break;
		case 'V':
			printf("osnicctl %s\n", OSNIC_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (json_output) {
		jw = jw_new(stdout, pretty_output);
		if (!jw) {
			fprintf(stderr, "Error: out of memory\n");
			return 1;
		}
	}
	if (argc < 1) {
		usage(stderr);
		ret = 2;
	} else {
		ret = cmd_select(objects, argc, argv, NULL, "osnicctl");
	}
	if (jw)
		jw_destroy(jw);
	osnic_ctl_close(ctl);
	return ret;
}
