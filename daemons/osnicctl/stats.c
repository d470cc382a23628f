// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl stats: the XDP receive path's counters, then per service and
 * per worker ones, as three sections (members of one object with -j).
 */
#include <stdio.h>

#include "osnicctl.h"

/* A counter of s, named as in <osnic/abi.h>: its field (-j) and its NAME (column). */
#define OUT_STAT(NAME, name) out_uint(#name, #NAME, s->name);

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

		if (!osnic_ctl_stats_has_service(&st, i))
			continue;
		out_row_begin();
		out_uint("id", "ID", i);
		OSNIC_SVC_STAT_LIST(OUT_STAT)
		out_row_end();
	}
	out_end();

	out_table_begin("workers", "Workers:");
	for (i = 1; i < OSNIC_MAX_WORKERS; i++) {
		const struct osnic_worker_stats *s = &st.worker[i];

		if (!st.worker_service[i])
			continue;
		out_row_begin();
		out_uint("id", "ID", i);
		out_uint("service_id", "SERVICE", st.worker_service[i]);
		OSNIC_WORKER_STAT_LIST(OUT_STAT)
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

int do_stats(int argc, char **argv)
{
	return cmd_select(stats_cmds, argc, argv, stats_show, "stats");
}
