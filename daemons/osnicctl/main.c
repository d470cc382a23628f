// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl: the command line of osnicd, over its netlink protocol.
 *
 *   osnicctl [-j] [-p] OBJECT COMMAND [ARGS]
 *
 * This file owns what every object shares: the options, the connection to
 * osnicd, the error reports and the command tables. Grammar as iproute2 and
 * bpftool: objects and commands are looked up in tables, any
 * unambiguous-or-first prefix matches ("osnicctl i l"); each object's
 * do_OBJECT() lives in a file of its own (osnicctl.h lists them). Errors:
 * "Error: ..." on stderr, or {"error": ...} on stdout with -j (as bpftool),
 * and exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osnicctl.h"

#ifndef OSNIC_VERSION
#define OSNIC_VERSION "0.1.0"
#endif

bool json_output;
static bool pretty_output;
struct json_writer *jw;
struct osnic_ctl *ctl;

/* ---- errors ------------------------------------------------------------------- */

void p_err(const char *fmt, ...)
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

int ctl_err(int err, const char *what)
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

int connect_osnicd(void)
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

/* ---- command tables ------------------------------------------------------------------ */

bool is_prefix(const char *pfx, const char *str)
{
	return *pfx && !strncmp(str, pfx, strlen(pfx));
}

int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*dflt)(int argc, char **argv),
	       const char *object)
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

int no_args(int argc, char **argv, const char *what)
{
	if (argc == 0)
		return 0;
	p_err("%s: unexpected argument \"%s\"", what, argv[0]);
	return 2;
}

int collect(struct collected *c, const void *item)
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

/* ---- main ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: osnicctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       osnicctl iface attach DEV [mode native|generic|auto]\n"
		"       osnicctl iface detach DEV\n"
		"       osnicctl iface list\n"
		"       osnicctl service { list | del ID }\n"
		"       osnicctl app del ID\n"
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
	{ "app", do_app },
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
