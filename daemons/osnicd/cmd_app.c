// SPDX-License-Identifier: GPL-2.0-only
/*
 * The commands of applications: registering a process, adding and
 * removing its services and workers, and the service and worker dumps.
 * An application is the process of the request's credentials; osnicd
 * watches it through a pidfd (main.c) and removes all it owns when it exits.
 * Each worker's thread is watched too (a PIDFD_THREAD pidfd, Linux >= 6.9,
 * else a look in /proc every THREAD_POLL_MS): a worker whose thread ends
 * goes at once, before its tid can name another thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>

#include "osnicd.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Register pid (creds of a request, or an owner found at restart). */
int app_add(struct osnicd *d, uint32_t pid, uint32_t uid, uint32_t gid,
	    const uint64_t *expect_start, const bool *privileged, uint32_t *app_id,
	    struct osnic_nl_ext *ext)
{
	struct reg_app tmpl = { .pid = pid, .uid = uid, .gid = gid, .pidfd = -1 };
	struct ucred cred = { .pid = pid, .uid = uid, .gid = gid };
	char comm[32];
	unsigned int i;
	int err;

	if (reg_app_by_pid(&d->reg, pid))
		return osnic_nl_ext_set(ext, -EEXIST, NULL, NULL, 0,
					"process %u is registered already", pid);
	tmpl.pidfd = pidfd_open(pid);
	if (tmpl.pidfd < 0)
		return osnic_nl_ext_set(ext, -errno, NULL, NULL, 0, "pidfd_open(%u): %s", pid,
					strerror(errno));
	/* After pidfd_open: a pid reused later cannot pass for this process. */
	err = proc_start_time(pid, &tmpl.start_time);
	if (err || (expect_start && *expect_start != tmpl.start_time)) {
		close(tmpl.pidfd);
		return osnic_nl_ext_set(ext, -ESRCH, NULL, NULL, 0, "process %u is gone", pid);
	}
	for (i = 0; i < ARRAY_SIZE(d->removed); i++)
		if (d->removed[i].pid == pid && d->removed[i].start_time == tmpl.start_time) {
			close(tmpl.pidfd);
			return osnic_nl_ext_set(ext, -EPERM, NULL, NULL, 0,
						"the application of process %u was removed by "
						"osnicctl app del: it may not register again",
						pid);
		}
	/* Ports below ip_unprivileged_port_start: as admin commands (proc.c). */
	tmpl.may_bind_privileged = privileged ? *privileged :
						caller_may(d, &cred, CAP_NET_BIND_SERVICE);
	err = reg_app_add(&d->reg, &tmpl, app_id, ext);
	if (err) {
		close(tmpl.pidfd);
		return err;
	}
	proc_comm(pid, comm, sizeof(comm));
	pr_info("application %u: pid %u (%s), uid %u%s", *app_id, pid, comm, uid,
		tmpl.may_bind_privileged ? ", privileged ports" : "");
	return 0;
}

void app_remove(struct osnicd *d, struct reg_app *app, const char *why)
{
	unsigned int nsvc = reg_nservices(&d->reg), nw = reg_nworkers(&d->reg);
	struct reg_changes chg = { 0 };
	uint32_t id = app->id, pid = app->pid;
	int pidfd = app->pidfd;

	reg_app_remove(&d->reg, id, &chg);
	sync_maps(d, &chg);
	if (pidfd >= 0)
		close(pidfd);
	pr_info("application %u (pid %u) %s: %u services, %u workers removed", id, pid, why,
		nsvc - reg_nservices(&d->reg), nw - reg_nworkers(&d->reg));
}

/*
 * Watch the worker's thread. 0 with a pidfd, or without one when the kernel
 * refuses PIDFD_THREAD (main.c then polls /proc); -ESRCH if it is gone.
 */
int worker_watch(struct osnicd *d, uint32_t worker_id)
{
	static bool told;
	int fd;

	if (d->worker_pidfd[worker_id] >= 0)
		return 0;
	fd = thread_pidfd_open(d->reg.workers[worker_id].val.tid);
	if (fd >= 0) {
		d->worker_pidfd[worker_id] = fd;
		return 0;
	}
	if (errno == ESRCH)
		return -ESRCH;
	if (!told)
		pr_info("pidfd_open(PIDFD_THREAD): %s: worker threads are looked for in /proc every %d ms",
			strerror(errno), THREAD_POLL_MS);
	told = true;
	return 0;
}

/* The worker id is free (sync_maps): its thread is nothing to us any more. */
void worker_unwatch(struct osnicd *d, uint32_t worker_id)
{
	if (d->worker_pidfd[worker_id] >= 0)
		close(d->worker_pidfd[worker_id]);
	d->worker_pidfd[worker_id] = -1;
}

void worker_exited(struct osnicd *d, uint32_t worker_id)
{
	struct reg_worker *w = &d->reg.workers[worker_id];
	struct reg_changes chg = { 0 };
	uint32_t tid = w->val.tid;

	if (!reg_worker_used(&d->reg, worker_id))
		return;
	reg_worker_del(&d->reg, w->app_id, worker_id, &chg, NULL);
	sync_maps(d, &chg);	/* also closes the pidfd and removes the ring */
	pr_info("worker %u: thread %u exited, worker removed", worker_id, tid);
}

/* Whether some worker's thread has no pidfd (main.c polls then). */
bool workers_polled(const struct osnicd *d)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		if (reg_worker_used(&d->reg, id) && d->worker_pidfd[id] < 0)
			return true;
	return false;
}

void workers_check(struct osnicd *d)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		const struct reg_worker *w = &d->reg.workers[id];
		const struct reg_app *app;

		if (!reg_worker_used(&d->reg, id) || d->worker_pidfd[id] >= 0)
			continue;
		app = reg_app_by_id(&d->reg, w->app_id);
		if (app && !thread_alive(app->pid, w->val.tid))
			worker_exited(d, id);
	}
}

/* The application of the request's sender, or NULL (and ext says why). */
static struct reg_app *caller_app(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = reg_app_by_pid(&d->reg, rq->cred->pid);

	if (!app)
		osnic_nl_ext_set(&rq->ext, -ENOENT, NULL, NULL, 0,
				 "process %u is not registered (app-register first)",
				 rq->cred->pid);
	return app;
}

int do_app_register(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh;
	uint32_t app_id;
	int err;

	err = app_add(d, rq->cred->pid, rq->cred->uid, rq->cred->gid, NULL, NULL, &app_id,
		      &rq->ext);
	if (err) {
		if (err == -EDQUOT)
			pr_info("application refused to pid %u uid %u: %s", rq->cred->pid,
				rq->cred->uid, rq->ext.msg);
		return err;
	}
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_APP_ID, app_id);
	put_u32(d, nlh, OSNIC_A_PID, rq->cred->pid);
	put_u32(d, nlh, OSNIC_A_UID, rq->cred->uid);
	reply_end(d, rq);
	return 0;
}

/*
 * Whether the request's sender may remove what the application owns: its
 * own process, an application of its uid, or any if it is an admin.
 */
static int may_remove(struct osnicd *d, struct request *rq, const struct reg_app *owner,
		      const char *what, uint32_t id)
{
	if (owner->pid == (uint32_t)rq->cred->pid || owner->uid == rq->cred->uid || rq_admin(d, rq))
		return 0;
	return osnic_nl_ext_set(&rq->ext, -EPERM, NULL, NULL, 0,
				"%s %u belongs to another user: only its owner or an admin "
				"(uid 0, the admin group, CAP_NET_ADMIN) may remove it",
				what, id);
}

/* Without APP_ID: the sender's own application. With it: any one (may_remove). */
int do_app_deregister(struct osnicd *d, struct request *rq)
{
	const struct nlattr *a = rq->m->tb[OSNIC_A_APP_ID];
	struct reg_app *app;
	struct nlmsghdr *nlh;
	uint32_t id;
	int err;

	if (a) {
		app = reg_app_by_id(&d->reg, mnl_attr_get_u32(a));
		if (!app)
			return osnic_nl_ext_set(&rq->ext, -ENOENT, rq->nlh, a, 0,
						"no application %u", mnl_attr_get_u32(a));
		err = may_remove(d, rq, app, "application", app->id);
		if (err)
			return err;
	} else {
		app = caller_app(d, rq);
		if (!app)
			return rq->ext.err;
	}
	id = app->id;
	if (app->pid != (uint32_t)rq->cred->pid) {
		/* Removed by another: the process may not come back. */
		unsigned int slot = d->nremoved++ % ARRAY_SIZE(d->removed);

		d->removed[slot].pid = app->pid;
		d->removed[slot].start_time = app->start_time;
		pr_info("application %u (pid %u, uid %u) removed by pid %u uid %u", id, app->pid,
			app->uid, rq->cred->pid, rq->cred->uid);
	}
	app_remove(d, app, app->pid == (uint32_t)rq->cred->pid ? "deregistered" : "removed");
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_APP_ID, id);
	reply_end(d, rq);
	return 0;
}

int do_service_add(struct osnicd *d, struct request *rq)
{
	const struct nlattr *const *tb = rq->m->tb;
	struct reg_service_req req = {
		.prog = mnl_attr_get_u32(tb[OSNIC_A_PROG]),
		.vers = mnl_attr_get_u32(tb[OSNIC_A_VERS]),
		.port = mnl_attr_get_u16(tb[OSNIC_A_PORT]),
		.procs = mnl_attr_get_u64(tb[OSNIC_A_PROCS]),
		.depth_lines = get_u32(rq, OSNIC_A_DEPTH, 0),
		.flags = get_u32(rq, OSNIC_A_FLAGS, 0),
	};
	struct reg_app *app = caller_app(d, rq);
	struct reg_changes chg = { 0 };
	struct nlmsghdr *nlh;
	uint32_t id;
	int err;

	if (!app)
		return rq->ext.err;
	/* The registry's cheap refusals first, then who holds the port. */
	err = reg_service_check(&d->reg, app->id, &req, &rq->ext);
	if (!err)
		err = port_check_owner(d, app, req.port, &rq->ext);
	if (!err)
		err = reg_service_add(&d->reg, app->id, &req, &id, &chg, &rq->ext);
	if (err) {
		if (err == -EADDRINUSE || err == -EADDRNOTAVAIL || err == -EDQUOT)
			pr_info("service on port %u refused to pid %u uid %u: %s", req.port,
				app->pid, app->uid, rq->ext.msg);
		return blame(rq, err);
	}
	err = sync_maps(d, &chg);
	if (err) {
		memset(&chg, 0, sizeof(chg));
		reg_service_del(&d->reg, app->id, id, &chg, NULL);
		sync_maps(d, &chg);
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					"writing the service to the BPF maps: %s", strerror(-err));
	}
	pr_info("service %u: program %u version %u on port %u for application %u", id, req.prog,
		req.vers, req.port, app->id);
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_SERVICE_ID, id);
	reply_end(d, rq);
	return 0;
}

int do_service_del(struct osnicd *d, struct request *rq)
{
	uint32_t id = get_u32(rq, OSNIC_A_SERVICE_ID, 0);
	struct reg_changes chg = { 0 };
	struct reg_app *owner;
	struct nlmsghdr *nlh;
	int err;

	if (!reg_service_used(&d->reg, id))
		return osnic_nl_ext_set(&rq->ext, -ENOENT, rq->nlh, rq->m->tb[OSNIC_A_SERVICE_ID],
					0, "no service %u", id);
	owner = reg_app_by_id(&d->reg, d->reg.services[id].app_id);
	err = owner ? may_remove(d, rq, owner, "service", id) : -ENOENT;
	if (err)
		return blame(rq, err);
	err = reg_service_del(&d->reg, owner->id, id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	sync_maps(d, &chg);
	if (owner->pid == (uint32_t)rq->cred->pid)
		pr_info("service %u removed", id);
	else
		pr_info("service %u of application %u (uid %u) removed by pid %u uid %u", id,
			owner->id, owner->uid, rq->cred->pid, rq->cred->uid);
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_SERVICE_ID, id);
	reply_end(d, rq);
	return 0;
}

static int put_service(struct osnicd *d, struct request *rq, uint32_t id)
{
	const struct reg_service *s = &d->reg.services[id];
	const struct reg_app *app = reg_app_by_id(&d->reg, s->app_id);
	struct nlmsghdr *nlh = reply_begin(d, rq, true);

	put_u32(d, nlh, OSNIC_A_SERVICE_ID, id);
	put_u32(d, nlh, OSNIC_A_APP_ID, s->app_id);
	put_u32(d, nlh, OSNIC_A_PID, app ? app->pid : 0);
	put_u32(d, nlh, OSNIC_A_UID, app ? app->uid : 0);
	put_u32(d, nlh, OSNIC_A_PROG, s->val.prog);
	put_u32(d, nlh, OSNIC_A_VERS, s->val.vers);
	put_u16(d, nlh, OSNIC_A_PORT, s->val.port);
	put_u64(d, nlh, OSNIC_A_PROCS, s->val.procs);
	put_u32(d, nlh, OSNIC_A_DEPTH, s->val.depth_lines);
	put_u32(d, nlh, OSNIC_A_FLAGS, s->val.flags);
	put_u32(d, nlh, OSNIC_A_NWORKERS, s->val.nworkers);
	put_u32(d, nlh, OSNIC_A_RING_BYTES, reg_ring_bytes(&d->reg, id));
	reply_end(d, rq);
	return 0;
}

/*
 * Whether the request's sender may see what the application owns: admins
 * see everything, every other user only the applications of its uid.
 */
bool may_see(struct osnicd *d, struct request *rq, uint32_t app_id)
{
	const struct reg_app *app = reg_app_by_id(&d->reg, app_id);

	return (app && app->uid == rq->cred->uid) || rq_admin(d, rq);
}

int do_service_dump(struct osnicd *d, struct request *rq)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		if (reg_service_used(&d->reg, id) && may_see(d, rq, d->reg.services[id].app_id))
			put_service(d, rq, id);
	reply_done(d, rq);
	return 0;
}

/* tid must be a thread of the application's process. */
static int check_thread(struct request *rq, uint32_t pid, uint32_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	if (tid && stat(path, &st) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u", tid);
	if (tid && stat(path, &st) == 0)
		return osnic_nl_ext_set(&rq->ext, -EPERM, rq->nlh, rq->m->tb[OSNIC_A_TID], 0,
					"thread %u is not a thread of process %u", tid, pid);
	return osnic_nl_ext_set(&rq->ext, -ESRCH, rq->nlh, rq->m->tb[OSNIC_A_TID], 0,
				"no thread %u", tid);
}

int do_worker_add(struct osnicd *d, struct request *rq)
{
	uint32_t sid = get_u32(rq, OSNIC_A_SERVICE_ID, 0), tid = get_u32(rq, OSNIC_A_TID, 0);
	struct reg_app *app = caller_app(d, rq);
	struct reg_changes chg = { 0 };
	char path[128];
	struct nlmsghdr *nlh;
	uint32_t id;
	int err;

	if (!app)
		return rq->ext.err;
	err = reg_worker_add(&d->reg, app->id, sid, tid, &id, &chg, &rq->ext);
	if (err) {
		if (err == -EDQUOT)
			pr_info("worker refused to pid %u uid %u: %s", app->pid, app->uid,
				rq->ext.msg);
		return blame(rq, err);
	}
	/* The pidfd first: the thread checked below is then the one watched. */
	err = worker_watch(d, id);
	if (!err)
		err = check_thread(rq, app->pid, tid);
	else
		osnic_nl_ext_set(&rq->ext, err, rq->nlh, rq->m->tb[OSNIC_A_TID], 0, "no thread %u",
				 tid);
	if (!err) {
		err = osnic_xdp_ring_create(d->xdp, id, d->reg.workers[id].ring_bytes, app->uid,
					    app->gid, path, sizeof(path));
		if (err)
			osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "creating the ring: %s",
					 strerror(-err));
	}
	if (!err) {
		err = sync_maps(d, &chg);
		if (err)
			osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					 "writing the worker to the BPF maps: %s", strerror(-err));
	}
	if (err) {
		memset(&chg, 0, sizeof(chg));
		reg_worker_del(&d->reg, app->id, id, &chg, NULL);
		sync_maps(d, &chg);	/* also removes the ring and the pidfd */
		return err;
	}
	pr_info("worker %u: thread %u for service %u, ring %s (%u KiB)", id, tid, sid, path,
		d->reg.workers[id].ring_bytes >> 10);
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_WORKER_ID, id);
	put_u32(d, nlh, OSNIC_A_GENERATION, d->reg.workers[id].val.generation);
	put_str(d, nlh, OSNIC_A_RING_PATH, path);
	put_u32(d, nlh, OSNIC_A_RING_BYTES, d->reg.workers[id].ring_bytes);
	reply_end(d, rq);
	return 0;
}

int do_worker_del(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = reg_app_by_pid(&d->reg, rq->cred->pid);
	uint32_t id = get_u32(rq, OSNIC_A_WORKER_ID, 0);
	struct reg_changes chg = { 0 };
	struct nlmsghdr *nlh;
	int err;

	err = reg_worker_del(&d->reg, app ? app->id : 0, id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	sync_maps(d, &chg);
	pr_info("worker %u removed", id);
	nlh = reply_begin(d, rq, false);
	put_u32(d, nlh, OSNIC_A_WORKER_ID, id);
	reply_end(d, rq);
	return 0;
}

int do_worker_dump(struct osnicd *d, struct request *rq)
{
	struct osnic_worker_sched ws;
	char path[128];
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		const struct reg_worker *w = &d->reg.workers[id];
		const struct reg_app *app;
		struct nlmsghdr *nlh;

		if (!reg_worker_used(&d->reg, id) || !may_see(d, rq, w->app_id))
			continue;
		app = reg_app_by_id(&d->reg, w->app_id);
		osnic_xdp_ring_path(id, path, sizeof(path));
		nlh = reply_begin(d, rq, true);
		put_u32(d, nlh, OSNIC_A_WORKER_ID, id);
		put_u32(d, nlh, OSNIC_A_SERVICE_ID, w->val.service_id);
		put_u32(d, nlh, OSNIC_A_APP_ID, w->app_id);
		put_u32(d, nlh, OSNIC_A_PID, app ? app->pid : 0);
		put_u32(d, nlh, OSNIC_A_TID, w->val.tid);
		put_u32(d, nlh, OSNIC_A_UID, w->val.owner_uid);
		put_u32(d, nlh, OSNIC_A_GENERATION, w->val.generation);
		put_str(d, nlh, OSNIC_A_RING_PATH, path);
		put_u32(d, nlh, OSNIC_A_RING_BYTES, w->ring_bytes);
		if (!bpf_map_lookup_elem(map_fd(d, OSNIC_MAP_WORKER_SCHED), &id, &ws)) {
			put_u32(d, nlh, OSNIC_A_WORKER_STATE, ws.state);
			put_u32(d, nlh, OSNIC_A_WORKER_CPU, ws.cpu);
		}
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}
