// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl sched: the scheduling mode of osnicd (sched_ext or XDP-only and
 * why), its sched_switch feed, the scheduler's last exit, osnicd's reloads
 * after error exits, and the scheduler's counters; enable and disable the
 * sched_ext scheduler.
 */
#include <stdint.h>
#include <stdio.h>

#include "osnicctl.h"

/* "-", "in 1.5 s" or "gave up": when osnicd reloads the scheduler. */
static const char *next_reload(const struct osnic_ctl_sched_info *info, char *buf, size_t len)
{
	if (info->gave_up)
		return "gave up";
	if (!info->reload_planned)
		return "-";
	snprintf(buf, len, "in %.1f s", info->reload_in_ms / 1000.0);
	return buf;
}

static void print_sched(const struct osnic_ctl_sched_info *info)
{
	unsigned int i;
	const char *name;
	char buf[32];

	out_sections_begin();
	out_record_begin("status", "Scheduling:");
	out_str("mode", "mode", osnic_sched_mode_name(info->mode));
	out_str("reason", "why not sched_ext", info->why[0] ? info->why : "-");
	out_bool("feed", "sched_switch feed", info->feed);
	out_str("last_exit", "last scheduler exit", info->exit[0] ? info->exit : "-");
	out_uint("exit_kind", "exit kind", info->exit_kind);
	out_bool("exit_error", "exit was an error", info->exit_kind >= OSNIC_SCHED_EXIT_ERROR);
	out_str("exit_reason", "exit reason", info->exit_reason[0] ? info->exit_reason : "-");
	out_str("exit_message", "exit message", info->exit_msg[0] ? info->exit_msg : "-");
	out_uint("reloads", "reloads after errors", info->reloads);
	out_str("next_reload", "next reload", next_reload(info, buf, sizeof(buf)));
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

int do_sched(int argc, char **argv)
{
	return cmd_select(sched_cmds, argc, argv, sched_status, "sched");
}
