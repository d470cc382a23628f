// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicctl worker: the worker threads of the registered services, with
 * their ring and, when the scheduler reports it, their state and CPU.
 */
#include <stdlib.h>

#include "osnicctl.h"

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
	out_uint("ring_bytes", "RING_BYTES", w->ring_bytes);
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

int do_worker(int argc, char **argv)
{
	return cmd_select(worker_cmds, argc, argv, worker_list, "worker");
}
