// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl app: "app del ID" removes an application (a registered process)
 * with its services, workers and rings; the process may not register again.
 * Its owner (the same uid) or an admin may. Application ids are in the APP
 * column of service list and worker list.
 */
#include "osnicctl.h"

static int app_del(int argc, char **argv)
{
	return del_by_id("app del", argc, argv, osnic_ctl_app_del);
}

static int app_help(int argc, char **argv)
{
	fprintf(stderr, "Usage: osnicctl app del ID\n");
	return 0;
}

static const struct cmd app_cmds[] = {
	{ "del", app_del },
	{ "help", app_help },
	{},
};

int do_app(int argc, char **argv)
{
	return cmd_select(app_cmds, argc, argv, NULL, "app");
}
