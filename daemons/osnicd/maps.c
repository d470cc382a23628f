// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeping the BPF maps in step with the registry: the map helpers, the
 * ordered write of a change (sync_maps), the full resynchronisation at
 * start (sync_all), and osnicd's own pinned map osnicd_owners (the owner of
 * each service, which a restarted osnicd reads to re-adopt it; adopt.c).
 *
 * The XDP object is the compiled-in skeleton: every map named in
 * enum osnic_xdp_map_id is there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "osnicd.h"

int map_fd(struct osnicd *d, enum osnic_xdp_map_id id)
{
	return osnic_xdp_map_fd(d->xdp, id);
}

int map_put(struct osnicd *d, enum osnic_xdp_map_id id, const void *key, const void *val)
{
	if (bpf_map_update_elem(map_fd(d, id), key, val, BPF_ANY)) {
		int err = -errno;

		pr_warn("updating %s: %s", osnic_xdp_map_name(d->xdp, id), strerror(-err));
		return err;
	}
	return 0;
}

void map_del(struct osnicd *d, enum osnic_xdp_map_id id, const void *key)
{
	if (bpf_map_delete_elem(map_fd(d, id), key) && errno != ENOENT)
		pr_warn("deleting from %s: %s", osnic_xdp_map_name(d->xdp, id), strerror(errno));
}

/* Zero one entry of a per-CPU array (counters of a freed id). */
static void percpu_zero(struct osnicd *d, enum osnic_xdp_map_id id, uint32_t key, size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zero;

	if (ncpu <= 0)
		return;
	zero = calloc(ncpu, (size + 7) & ~(size_t)7);
	if (!zero)
		return;
	map_put(d, id, &key, zero);
	free(zero);
}

static void owner_put(struct osnicd *d, uint32_t service_id)
{
	const struct reg_service *s = &d->reg.services[service_id];
	struct owner_rec o = { 0 };
	const struct reg_app *app;

	if (d->owners_fd < 0)
		return;
	app = s->app_id ? reg_app_by_id(&d->reg, s->app_id) : NULL;
	if (app) {
		o.pid = app->pid;
		o.uid = app->uid;
		o.gid = app->gid;
		o.flags = app->may_bind_privileged ? OWNER_F_PRIVILEGED_PORTS : 0;
		o.start_time = app->start_time;
	}
	if (bpf_map_update_elem(d->owners_fd, &service_id, &o, BPF_ANY))
		pr_warn("updating %s: %s", OWNERS_MAP, strerror(errno));
}

/*
 * Write what changed, in an order in which XDP never follows an entry to
 * one that is not there yet or not any more: removals from the top (the
 * port) down, then workers, services, freed workers and rings, then
 * additions from the bottom up to the port.
 */
int sync_maps(struct osnicd *d, const struct reg_changes *chg)
{
	int tids_fd = map_fd(d, OSNIC_MAP_WORKER_TIDS);
	struct osnic_vers_range range;
	uint32_t id;
	unsigned int i;
	int err = 0;

	for (i = 0; i < chg->nevicted; i++) {
		__u32 port = chg->evicted[i];

		if (!reg_port_nservices(&d->reg, port) && reg_linger_find(&d->reg, port) < 0) {
			map_del(d, OSNIC_MAP_LISTEN, &port);
			pr_info("port %u: its linger gives way to a live registration", port);
		}
	}
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		struct osnic_prog_key pk = { k->port, k->prog };

		if (!reg_port_nservices(&d->reg, k->port))
			linger_start(d, k->port, chg->key_uids[i]);
		if (!reg_vers_range(&d->reg, k->port, k->prog, &range))
			map_del(d, OSNIC_MAP_PROG_VERS, &pk);
		if (!reg_svc_lookup(&d->reg, k))
			map_del(d, OSNIC_MAP_SVC_INDEX, k);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		const struct osnic_worker_val *w = &d->reg.workers[id].val;

		if (!reg_changes_worker(chg, id) || !reg_worker_used(&d->reg, id))
			continue;
		err = map_put(d, OSNIC_MAP_WORKERS, &id, w) ?: err;
		err = map_put(d, OSNIC_MAP_WORKER_TIDS, &w->tid, &id) ?: err;
	}
	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		if (!reg_changes_service(chg, id))
			continue;
		err = map_put(d, OSNIC_MAP_SERVICES, &id, &d->reg.services[id].val) ?: err;
		if (!reg_service_used(&d->reg, id)) {
			struct osnic_svc_idle none = { 0 };

			percpu_zero(d, OSNIC_MAP_SVC_STATS, id, sizeof(struct osnic_svc_stats));
			/* The next service with this id starts without stale sleepers. */
			map_put(d, OSNIC_MAP_SVC_IDLE, &id, &none);
			percpu_zero(d, OSNIC_MAP_SVC_IDLE_CPU, id, sizeof(struct osnic_svc_idle));
		}
		owner_put(d, id);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		struct osnic_worker_sched ws = { 0 };

		struct osnic_worker_rx wrx = { 0 };
		struct osnic_worker_val old;

		if (!reg_changes_worker(chg, id) || reg_worker_used(&d->reg, id))
			continue;
		if (bpf_map_lookup_elem(map_fd(d, OSNIC_MAP_WORKERS), &id, &old))
			old.tid = 0;
		map_put(d, OSNIC_MAP_WORKERS, &id, &d->reg.workers[id].val);
		/* Another worker may have this thread now (the entry names it). */
		if (old.tid) {
			__u32 cur;

			if (!bpf_map_lookup_elem(tids_fd, &old.tid, &cur) && cur == id)
				map_del(d, OSNIC_MAP_WORKER_TIDS, &old.tid);
		}
		osnic_xdp_ring_destroy(d->xdp, id);
		worker_unwatch(d, id);
		map_put(d, OSNIC_MAP_WORKER_SCHED, &id, &ws);
		map_put(d, OSNIC_MAP_WORKER_RX, &id, &wrx);
		percpu_zero(d, OSNIC_MAP_WORKER_STATS, id, sizeof(struct osnic_worker_stats));
	}
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		uint32_t sid = reg_svc_lookup(&d->reg, k);

		if (sid)
			err = map_put(d, OSNIC_MAP_SVC_INDEX, k, &sid) ?: err;
	}
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		struct osnic_prog_key pk = { k->port, k->prog };

		if (reg_vers_range(&d->reg, k->port, k->prog, &range))
			err = map_put(d, OSNIC_MAP_PROG_VERS, &pk, &range) ?: err;
	}
	for (i = 0; i < chg->nkeys; i++) {
		struct osnic_listen l = { reg_port_nservices(&d->reg, chg->keys[i].port) };

		if (!l.nservices)
			continue;
		linger_cancel(d, chg->keys[i].port);
		err = map_put(d, OSNIC_MAP_LISTEN, &chg->keys[i].port, &l) ?: err;
	}
	return err;
}

/* Every key in a hash map that the registry does not justify goes. */
static void prune_hash(struct osnicd *d, enum osnic_xdp_map_id id,
		       bool (*wanted)(struct osnicd *d, const void *key))
{
	union {
		__u32 port;
		struct osnic_svc_key svc;
		struct osnic_prog_key prog;
	} key, next, stale[256];
	unsigned int n = 0, i;
	int fd = map_fd(d, id);
	void *prev = NULL;

	while (n < 256 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!wanted(d, &key))
			stale[n++] = key;
	}
	for (i = 0; i < n; i++)
		map_del(d, id, &stale[i]);
}

/* At start, a listed port without services lingers (from now on). */
static bool listen_wanted(struct osnicd *d, const void *key)
{
	__u32 port = *(const __u32 *)key;

	return reg_port_nservices(&d->reg, port) || linger_keep(d, port);
}

static bool svc_index_wanted(struct osnicd *d, const void *key)
{
	return reg_svc_lookup(&d->reg, key);
}

static bool worker_tid_wanted(struct osnicd *d, const void *key)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		if (reg_worker_used(&d->reg, id) &&
		    d->reg.workers[id].val.tid == *(const __u32 *)key)
			return true;
	return false;
}

static bool prog_vers_wanted(struct osnicd *d, const void *key)
{
	const struct osnic_prog_key *k = key;
	struct osnic_vers_range r;

	return reg_vers_range(&d->reg, k->port, k->prog, &r);
}

/* Make every map say exactly what the registry says (at start). */
int sync_all(struct osnicd *d)
{
	struct reg_changes chg = { 0 };
	uint32_t id;

	memset(chg.services, 0xff, sizeof(chg.services));
	chg.services[0] &= ~1ULL;
	memset(chg.workers, 0xff, sizeof(chg.workers));
	chg.workers[0] &= ~1ULL;
	prune_hash(d, OSNIC_MAP_LISTEN, listen_wanted);
	prune_hash(d, OSNIC_MAP_PROG_VERS, prog_vers_wanted);
	prune_hash(d, OSNIC_MAP_SVC_INDEX, svc_index_wanted);
	prune_hash(d, OSNIC_MAP_WORKER_TIDS, worker_tid_wanted);
	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		const struct osnic_service_val *v = &d->reg.services[id].val;

		if (reg_service_used(&d->reg, id))
			chg.keys[chg.nkeys++] = (struct osnic_svc_key){ v->port, v->prog, v->vers };
	}
	return sync_maps(d, &chg);
}
