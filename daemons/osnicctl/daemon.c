// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl daemon: what osnicd says of itself (version, pid, pin
 * directory, uptime, how many applications, services, workers and
 * interfaces it holds, whether it re-adopted pinned state, and the
 * quotas of each uid).
 */
#include "osnicctl.h"

/* A quota: its number, or "unlimited" (a string in JSON too). */
static void out_quota(const char *key, const char *head, uint32_t v)
{
	if (v == UINT32_MAX)
		out_str(key, head, "unlimited");
	else
		out_uint(key, head, v);
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
	out_quota("quota_apps", "quota: apps per uid", info.quota_apps);
	out_quota("quota_services", "quota: services per uid", info.quota_services);
	out_quota("quota_workers", "quota: workers per uid", info.quota_workers);
	out_quota("quota_ring_mb", "quota: ring MiB per uid", info.quota_ring_mb);
	out_uint("requests_dropped", "requests dropped", info.req_dropped);
	out_hex("nl_portid", "netlink port id", info.nl_portid);
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

int do_daemon(int argc, char **argv)
{
	return cmd_select(daemon_cmds, argc, argv, daemon_info, "daemon");
}
