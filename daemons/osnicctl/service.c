// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl service: the RPC services registered with osnicd (program,
 * version, port, procedures, ring depth and the ring size it gives, workers
 * and owner), one row each;
 * a user sees its own, an admin all. "service del ID" removes one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "osnicctl.h"

static void service_row(const struct osnic_ctl_service_info *s)
{
	out_row_begin();
	out_uint("id", "ID", s->id);
	out_uint("prog", "PROG", s->svc.prog);
	out_uint("vers", "VERS", s->svc.vers);
	out_uint("port", "PORT", s->svc.port);
	out_procs("procs", "PROCS", s->svc.procs);
	out_uint("depth_lines", "DEPTH", s->svc.depth_lines);
	out_uint("ring_bytes", "RING_BYTES", s->ring_bytes);
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

/* An id on the command line: 1..UINT32_MAX. */
int parse_id(const char *what, int argc, char **argv, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (argc != 1) {
		p_err("%s: one ID is needed", what);
		return 2;
	}
	errno = 0;
	v = strtoul(argv[0], &end, 0);
	if (errno || *end || !*argv[0] || !v || v > UINT32_MAX) {
		p_err("%s: \"%s\" is not an id", what, argv[0]);
		return 2;
	}
	*id = v;
	return 0;
}

int del_by_id(const char *what, int argc, char **argv,
	      int (*del)(struct osnic_ctl *ctl, uint32_t id))
{
	uint32_t id;
	int err = parse_id(what, argc, argv, &id);

	if (err || (err = connect_osnicd()))
		return err;
	err = del(ctl, id);
	if (err)
		return ctl_err(err, what);
	if (json_output) {
		jw_start_object(jw);
		jw_name(jw, "removed");
		jw_uint(jw, id);
		jw_end_object(jw);
	}
	return 0;
}

/* Any service of the caller's uid; an admin's, anyone's. */
static int service_del(int argc, char **argv)
{
	return del_by_id("service del", argc, argv, osnic_ctl_service_del);
}

static int service_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl service { list | del ID }\n");
	return 0;
}

static const struct cmd service_cmds[] = {
	{ "list", service_list },
	{ "del", service_del },
	{ "show", service_list },
	{ "help", service_help },
	{},
};

int do_service(int argc, char **argv)
{
	return cmd_select(service_cmds, argc, argv, service_list, "service");
}
