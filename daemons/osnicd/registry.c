// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicd's registry (see registry.h).
 *
 * Ids: service ids 1..OSNIC_MAX_SERVICES-1 and worker ids
 * 1..OSNIC_MAX_WORKERS-1, the lowest free one first, since they index BPF
 * arrays; a worker slot's generation counts its reuses. Application ids
 * only grow, so a stale id never names a new application.
 *
 * Rules, each with the errno the client sees:
 *  - (port, prog, vers) is unique: EEXIST.
 *  - a port is served for one uid at a time: EADDRINUSE.
 *  - a port below unpriv_port_start needs may_bind_privileged: EACCES.
 *  - port 0, a depth outside [REG_MIN_DEPTH, REG_MAX_DEPTH], unknown flags:
 *    EINVAL.
 *  - another application's service or worker: EPERM; no such one: ENOENT.
 *  - at most OSNIC_MAX_SVC_WORKERS workers per service, a thread is at
 *    most one worker (the scheduler maps threads to workers): ENOSPC, EBUSY.
 *  - a uid other than 0 holds at most quota.apps applications,
 *    quota.services services and lingering ports, quota.workers workers and
 *    quota.ring_mb MiB of rings: EDQUOT, naming the quota. A lingering port
 *    gives way to a live registration instead (see reg_service_add).
 */
#include <errno.h>
#include <string.h>

#include "registry.h"

/* Fill ext (if given) and return err. */
#define reg_err(ext, err, attr, ...)                                                    \
	osnic_nl_ext_set((ext) ? (ext) : &(struct osnic_nl_ext){ 0 }, err, NULL, NULL, attr, \
			 __VA_ARGS__)

void reg_init(struct registry *r, uint32_t default_depth, uint32_t unpriv_port_start)
{
	memset(r, 0, sizeof(*r));
	r->default_depth = default_depth ? default_depth : REG_DEFAULT_DEPTH;
	r->unpriv_port_start = unpriv_port_start;
	r->page_size = OSNIC_RING_MIN_BYTES;
	r->quota = (struct reg_quota){
		.apps = REG_QUOTA_APPS,
		.services = REG_QUOTA_SERVICES,
		.workers = REG_QUOTA_WORKERS,
		.ring_mb = REG_QUOTA_RING_MB,
	};
}

static bool quota_exempt(const struct registry *r, uint32_t uid)
{
	return uid == 0 || uid == REG_NO_UID || r->quota_off;
}

static uint64_t quota_ring_bytes(const struct registry *r)
{
	return r->quota.ring_mb == REG_UNLIMITED ? UINT64_MAX : (uint64_t)r->quota.ring_mb << 20;
}

static void chg_service(struct reg_changes *chg, uint32_t id)
{
	if (chg)
		chg->services[id / 64] |= 1ULL << (id % 64);
}

static void chg_worker(struct reg_changes *chg, uint32_t id)
{
	if (chg)
		chg->workers[id / 64] |= 1ULL << (id % 64);
}

static void chg_key(struct reg_changes *chg, const struct osnic_service_val *s, uint32_t uid)
{
	struct osnic_svc_key key = { .port = s->port, .prog = s->prog, .vers = s->vers };
	unsigned int i;

	if (!chg)
		return;
	for (i = 0; i < chg->nkeys; i++)
		if (!memcmp(&chg->keys[i], &key, sizeof(key)))
			return;
	/* Keys are unique among services, so at most one per service id. */
	if (chg->nkeys < OSNIC_MAX_SERVICES) {
		chg->key_uids[chg->nkeys] = uid;
		chg->keys[chg->nkeys++] = key;
	}
}

static uint32_t app_uid(struct registry *r, uint32_t app_id)
{
	const struct reg_app *app = reg_app_by_id(r, app_id);

	return app ? app->uid : REG_NO_UID;
}

/* ---- applications ------------------------------------------------------------ */

struct reg_app *reg_app_by_id(struct registry *r, uint32_t app_id)
{
	unsigned int i;

	if (!app_id)
		return NULL;
	for (i = 0; i < REG_MAX_APPS; i++)
		if (r->apps[i].id == app_id)
			return &r->apps[i];
	return NULL;
}

struct reg_app *reg_app_by_pid(struct registry *r, uint32_t pid)
{
	unsigned int i;

	for (i = 0; i < REG_MAX_APPS; i++)
		if (r->apps[i].id && r->apps[i].pid == pid)
			return &r->apps[i];
	return NULL;
}

int reg_app_add(struct registry *r, const struct reg_app *tmpl, uint32_t *app_id,
		struct osnic_nl_ext *ext)
{
	struct reg_app *free_slot = NULL;
	unsigned int i;

	if (reg_app_by_pid(r, tmpl->pid))
		return reg_err(ext, -EEXIST, 0, "process %u is already registered", tmpl->pid);
	for (i = 0; i < REG_MAX_APPS && !free_slot; i++)
		if (!r->apps[i].id)
			free_slot = &r->apps[i];
	if (!free_slot)
		return reg_err(ext, -ENOSPC, 0, "%d applications are registered already",
			       REG_MAX_APPS);
	if (!quota_exempt(r, tmpl->uid)) {
		struct reg_usage u;

		reg_usage(r, tmpl->uid, &u);
		if (u.apps >= r->quota.apps)
			return reg_err(ext, -EDQUOT, 0,
				       "uid %u has %u applications: quota apps=%u (osnicd --quota-apps)",
				       tmpl->uid, u.apps, r->quota.apps);
	}
	*free_slot = *tmpl;
	/* Never 0, never one in use (after 2^32 registrations). */
	do
		free_slot->id = ++r->last_app_id;
	while (!free_slot->id || reg_app_by_id(r, free_slot->id) != free_slot);
	if (app_id)
		*app_id = free_slot->id;
	return 0;
}

int reg_app_remove(struct registry *r, uint32_t app_id, struct reg_changes *chg)
{
	struct reg_app *app = reg_app_by_id(r, app_id);
	uint32_t id;

	if (!app)
		return -ENOENT;
	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		if (r->services[id].app_id == app_id)
			reg_service_del(r, app_id, id, chg, NULL);
	memset(app, 0, sizeof(*app));
	app->pidfd = -1;
	return 0;
}

unsigned int reg_napps(const struct registry *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < REG_MAX_APPS; i++)
		n += !!r->apps[i].id;
	return n;
}

/* ---- services ---------------------------------------------------------------- */

/* The uid that serves a port, or -1 if nobody does. */
static long long port_owner_uid(const struct registry *r, uint32_t port)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		if (r->services[id].app_id && r->services[id].val.port == port) {
			const struct reg_app *app =
				reg_app_by_id((struct registry *)r, r->services[id].app_id);

			return app ? (long long)app->uid : -1;
		}
	return -1;
}

int reg_service_check(struct registry *r, uint32_t app_id, const struct reg_service_req *req,
		      struct osnic_nl_ext *ext)
{
	struct reg_app *app = reg_app_by_id(r, app_id);
	struct osnic_svc_key key = { req->port, req->prog, req->vers };
	uint32_t depth = req->depth_lines ? req->depth_lines : r->default_depth;
	long long owner;

	if (!app)
		return reg_err(ext, -ENOENT, 0, "application %u is not registered", app_id);
	if (req->port == 0 || req->port > 65535)
		return reg_err(ext, -EINVAL, OSNIC_A_PORT, "port %u is not a UDP port",
			       req->port);
	if (req->port < r->unpriv_port_start && !app->may_bind_privileged)
		return reg_err(ext, -EACCES, OSNIC_A_PORT,
			       "port %u is privileged (< %u): needs uid 0 or CAP_NET_BIND_SERVICE",
			       req->port, r->unpriv_port_start);
	if (depth < REG_MIN_DEPTH || depth > REG_MAX_DEPTH)
		return reg_err(ext, -EINVAL, OSNIC_A_DEPTH, "depth %u lines is outside [%d, %d]",
			       depth, REG_MIN_DEPTH, REG_MAX_DEPTH);
	if (req->flags & ~REG_SVC_FLAGS)
		return reg_err(ext, -EINVAL, OSNIC_A_FLAGS, "unknown service flags %#x",
			       req->flags & ~REG_SVC_FLAGS);
	if (reg_svc_lookup(r, &key))
		return reg_err(ext, -EEXIST, OSNIC_A_VERS,
			       "program %u version %u is already served on port %u", req->prog,
			       req->vers, req->port);
	owner = port_owner_uid(r, req->port);
	if (owner >= 0 && owner != app->uid)
		return reg_err(ext, -EADDRINUSE, OSNIC_A_PORT,
			       "port %u is served for uid %u", req->port, (unsigned int)owner);
	return 0;
}

/* Evict the oldest lingering port of uid (any uid: REG_NO_UID) but keep. */
static bool linger_evict(struct registry *r, uint32_t uid, bool any, uint32_t keep,
			 struct reg_changes *chg)
{
	int i, victim = -1;

	for (i = 0; i < (int)r->nlinger; i++) {
		const struct reg_linger *l = &r->linger[i];

		if (l->port == keep || (!any && l->uid != uid))
			continue;
		if (victim < 0 || l->until < r->linger[victim].until)
			victim = i;
	}
	if (victim < 0)
		return false;
	if (chg && chg->nevicted < OSNIC_MAX_SERVICES)
		chg->evicted[chg->nevicted++] = r->linger[victim].port;
	r->linger[victim] = r->linger[--r->nlinger];
	return true;
}

int reg_service_add(struct registry *r, uint32_t app_id, const struct reg_service_req *req,
		    uint32_t *service_id, struct reg_changes *chg, struct osnic_nl_ext *ext)
{
	uint32_t depth = req->depth_lines ? req->depth_lines : r->default_depth;
	struct reg_service *s;
	struct reg_usage u;
	uint32_t id, uid;
	int err, own;

	err = reg_service_check(r, app_id, req, ext);
	if (err)
		return err;
	uid = app_uid(r, app_id);
	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		if (!r->services[id].app_id)
			break;
	if (id == OSNIC_MAX_SERVICES)
		return reg_err(ext, -ENOSPC, 0, "all %d service ids are in use",
			       OSNIC_MAX_SERVICES - 1);
	if (!quota_exempt(r, uid)) {
		reg_usage(r, uid, &u);
		if (u.services >= r->quota.services)
			return reg_err(ext, -EDQUOT, 0,
				       "uid %u has %u services: quota services=%u (osnicd --quota-services)",
				       uid, u.services, r->quota.services);
		/* The port's own linger ends below; the others give way. */
		own = reg_linger_find(r, req->port);
		if (own >= 0 && r->linger[own].uid == uid)
			u.lingering--;
		for (; u.services + u.lingering >= r->quota.services; u.lingering--)
			if (!linger_evict(r, uid, false, req->port, chg))
				break;
	}
	/* A port new to osnic_listen needs an entry: lingering ports give way. */
	if (!reg_port_nservices(r, req->port) && reg_linger_find(r, req->port) < 0)
		while (reg_listen_ports(r) >= OSNIC_MAX_SERVICES)
			if (!linger_evict(r, 0, true, req->port, chg))
				break;
	reg_linger_del(r, req->port);
	s = &r->services[id];
	memset(s, 0, sizeof(*s));
	s->app_id = app_id;
	s->val.prog = req->prog;
	s->val.vers = req->vers;
	s->val.port = req->port;
	s->val.flags = req->flags;
	s->val.procs = req->procs;
	s->val.depth_lines = depth;
	chg_service(chg, id);
	chg_key(chg, &s->val, uid);
	if (service_id)
		*service_id = id;
	return 0;
}

static void worker_free(struct registry *r, uint32_t worker_id, struct reg_changes *chg)
{
	struct reg_worker *w = &r->workers[worker_id];
	struct reg_service *s = &r->services[w->val.service_id];
	uint32_t slot = w->val.svc_slot, last, moved;

	/*
	 * The last worker moves into the hole: one worker changes slot, and
	 * steering's idle bits (by slot) stay right for all the others.
	 * Bits left on the two slots are stale; steering checks the slot's
	 * worker before it uses one. The moved worker, if asleep, is back in
	 * the idle sets when it next sleeps; until then steering finds it
	 * among the running ones only.
	 */
	if (s->val.nworkers && slot < s->val.nworkers && s->val.workers[slot] == worker_id) {
		last = --s->val.nworkers;
		moved = s->val.workers[last];
		s->val.workers[slot] = moved;
		s->val.workers[last] = 0;
		if (moved != worker_id) {
			r->workers[moved].val.svc_slot = slot;
			chg_worker(chg, moved);
		}
	}
	chg_service(chg, w->val.service_id);
	/* The generation stays: the next user of the slot gets the next one. */
	w->app_id = 0;
	w->val.service_id = 0;
	w->val.tid = 0;
	w->val.owner_uid = 0;
	w->ring_bytes = 0;
	w->val.svc_slot = 0;
	chg_worker(chg, worker_id);
}

int reg_service_del(struct registry *r, uint32_t app_id, uint32_t service_id,
		    struct reg_changes *chg, struct osnic_nl_ext *ext)
{
	struct reg_service *s;
	uint32_t w;

	if (!reg_service_used(r, service_id))
		return reg_err(ext, -ENOENT, OSNIC_A_SERVICE_ID, "no service %u", service_id);
	s = &r->services[service_id];
	if (s->app_id != app_id)
		return reg_err(ext, -EPERM, OSNIC_A_SERVICE_ID,
			       "service %u belongs to another application", service_id);
	for (w = 1; w < OSNIC_MAX_WORKERS; w++)
		if (r->workers[w].val.service_id == service_id)
			worker_free(r, w, chg);
	chg_key(chg, &s->val, app_uid(r, app_id));
	chg_service(chg, service_id);
	memset(s, 0, sizeof(*s));
	return 0;
}

int reg_service_adopt(struct registry *r, uint32_t app_id, uint32_t service_id,
		      const struct osnic_service_val *val, struct reg_changes *chg)
{
	struct osnic_svc_key key = { val->port, val->prog, val->vers };
	struct reg_service *s;

	if (!service_id || service_id >= OSNIC_MAX_SERVICES || !reg_app_by_id(r, app_id))
		return -EINVAL;
	if (reg_service_used(r, service_id) || reg_svc_lookup(r, &key))
		return -EEXIST;
	if (!val->port || val->port > 65535)
		return -EINVAL;
	s = &r->services[service_id];
	s->app_id = app_id;
	s->val = *val;
	/* Workers are adopted one by one, after their service. */
	s->val.nworkers = 0;
	memset(s->val.workers, 0, sizeof(s->val.workers));
	chg_service(chg, service_id);
	chg_key(chg, &s->val, app_uid(r, app_id));
	return 0;
}

unsigned int reg_nservices(const struct registry *r)
{
	unsigned int id, n = 0;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		n += !!r->services[id].app_id;
	return n;
}

/* ---- workers ----------------------------------------------------------------- */

static uint32_t worker_by_tid(const struct registry *r, uint32_t tid)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		if (r->workers[id].val.service_id && r->workers[id].val.tid == tid)
			return id;
	return 0;
}

static void worker_bind(struct registry *r, uint32_t id, uint32_t app_id, uint32_t service_id,
			uint32_t tid, struct reg_changes *chg)
{
	struct reg_service *s = &r->services[service_id];
	struct reg_worker *w = &r->workers[id];
	const struct reg_app *app = reg_app_by_id(r, app_id);

	w->app_id = app_id;
	w->val.service_id = service_id;
	w->val.tid = tid;
	w->val.owner_uid = app ? app->uid : 0;
	w->ring_bytes = reg_ring_bytes(r, service_id);
	w->val.svc_slot = s->val.nworkers;
	s->val.workers[s->val.nworkers++] = id;
	chg_worker(chg, id);
	chg_service(chg, service_id);
}

int reg_worker_add(struct registry *r, uint32_t app_id, uint32_t service_id, uint32_t tid,
		   uint32_t *worker_id, struct reg_changes *chg, struct osnic_nl_ext *ext)
{
	struct reg_service *s;
	uint32_t id, uid;

	if (!reg_app_by_id(r, app_id))
		return reg_err(ext, -ENOENT, 0, "application %u is not registered", app_id);
	if (!reg_service_used(r, service_id))
		return reg_err(ext, -ENOENT, OSNIC_A_SERVICE_ID, "no service %u", service_id);
	s = &r->services[service_id];
	if (s->app_id != app_id)
		return reg_err(ext, -EPERM, OSNIC_A_SERVICE_ID,
			       "service %u belongs to another application", service_id);
	if (!tid)
		return reg_err(ext, -EINVAL, OSNIC_A_TID, "thread id 0");
	if (s->val.nworkers >= OSNIC_MAX_SVC_WORKERS)
		return reg_err(ext, -ENOSPC, OSNIC_A_SERVICE_ID,
			       "service %u has %d workers already", service_id,
			       OSNIC_MAX_SVC_WORKERS);
	id = worker_by_tid(r, tid);
	if (id)
		return reg_err(ext, -EBUSY, OSNIC_A_TID, "thread %u is worker %u already",
			       tid, id);
	uid = app_uid(r, app_id);
	if (!quota_exempt(r, uid)) {
		struct reg_usage u;

		reg_usage(r, uid, &u);
		if (u.workers >= r->quota.workers)
			return reg_err(ext, -EDQUOT, 0,
				       "uid %u has %u workers: quota workers=%u (osnicd --quota-workers)",
				       uid, u.workers, r->quota.workers);
		if (u.ring_bytes + reg_ring_bytes(r, service_id) > quota_ring_bytes(r))
			return reg_err(ext, -EDQUOT, 0,
				       "uid %u has %llu KiB of rings, a ring is %u KiB more: "
				       "quota ring_mb=%u (osnicd --quota-ring-mb)",
				       uid, (unsigned long long)u.ring_bytes >> 10,
				       reg_ring_bytes(r, service_id) >> 10, r->quota.ring_mb);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		if (!r->workers[id].val.service_id)
			break;
	if (id == OSNIC_MAX_WORKERS)
		return reg_err(ext, -ENOSPC, 0, "all %d worker ids are in use",
			       OSNIC_MAX_WORKERS - 1);
	r->workers[id].val.generation++;
	worker_bind(r, id, app_id, service_id, tid, chg);
	if (worker_id)
		*worker_id = id;
	return 0;
}

int reg_worker_del(struct registry *r, uint32_t app_id, uint32_t worker_id,
		   struct reg_changes *chg, struct osnic_nl_ext *ext)
{
	if (!reg_worker_used(r, worker_id))
		return reg_err(ext, -ENOENT, OSNIC_A_WORKER_ID, "no worker %u", worker_id);
	if (r->workers[worker_id].app_id != app_id)
		return reg_err(ext, -EPERM, OSNIC_A_WORKER_ID,
			       "worker %u belongs to another application", worker_id);
	worker_free(r, worker_id, chg);
	return 0;
}

int reg_worker_adopt(struct registry *r, uint32_t worker_id, const struct osnic_worker_val *val,
		     struct reg_changes *chg)
{
	struct reg_service *s;

	if (!worker_id || worker_id >= OSNIC_MAX_WORKERS || reg_worker_used(r, worker_id))
		return -EINVAL;
	if (!reg_service_used(r, val->service_id) || !val->tid)
		return -EINVAL;
	s = &r->services[val->service_id];
	if (s->val.nworkers >= OSNIC_MAX_SVC_WORKERS || worker_by_tid(r, val->tid))
		return -EEXIST;
	r->workers[worker_id].val.generation = val->generation;
	worker_bind(r, worker_id, s->app_id, val->service_id, val->tid, chg);
	return 0;
}

/* ---- quotas and lingering ports ---------------------------------------------- */

void reg_usage(const struct registry *r, uint32_t uid, struct reg_usage *u)
{
	unsigned int i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < REG_MAX_APPS; i++)
		u->apps += r->apps[i].id && r->apps[i].uid == uid;
	for (i = 1; i < OSNIC_MAX_SERVICES; i++) {
		const struct reg_app *app;

		if (!r->services[i].app_id)
			continue;
		app = reg_app_by_id((struct registry *)r, r->services[i].app_id);
		u->services += app && app->uid == uid;
	}
	for (i = 0; i < r->nlinger; i++)
		u->lingering += r->linger[i].uid == uid;
	for (i = 1; i < OSNIC_MAX_WORKERS; i++) {
		if (!r->workers[i].val.service_id || r->workers[i].val.owner_uid != uid)
			continue;
		u->workers++;
		u->ring_bytes += r->workers[i].ring_bytes;
	}
}

int reg_linger_find(const struct registry *r, uint32_t port)
{
	unsigned int i;

	for (i = 0; i < r->nlinger; i++)
		if (r->linger[i].port == port)
			return i;
	return -1;
}

int reg_linger_add(struct registry *r, uint32_t port, uint32_t uid, int64_t until,
		   uint32_t *evicted)
{
	struct reg_changes chg;
	int i = reg_linger_find(r, port);

	if (evicted)
		*evicted = 0;
	if (i >= 0) {
		r->linger[i].uid = uid;
		r->linger[i].until = until;
		return 0;
	}
	if (!quota_exempt(r, uid)) {
		struct reg_usage u;

		reg_usage(r, uid, &u);
		if (u.services >= r->quota.services)
			return -EDQUOT;
		if (u.services + u.lingering >= r->quota.services) {
			chg.nevicted = 0;
			if (!linger_evict(r, uid, false, port, &chg))
				return -EDQUOT;
			if (evicted)
				*evicted = chg.evicted[0];
		}
	}
	if (r->nlinger == OSNIC_MAX_SERVICES)
		return -ENOSPC;
	r->linger[r->nlinger++] = (struct reg_linger){ port, uid, until };
	return 0;
}

void reg_linger_del(struct registry *r, uint32_t port)
{
	int i = reg_linger_find(r, port);

	if (i >= 0)
		r->linger[i] = r->linger[--r->nlinger];
}

unsigned int reg_listen_ports(const struct registry *r)
{
	unsigned int n = r->nlinger;
	uint32_t id, j;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		uint32_t port = r->services[id].val.port;

		if (!r->services[id].app_id || reg_linger_find(r, port) >= 0)
			continue;
		/* Count each port once: at its lowest service id. */
		for (j = 1; j < id; j++)
			if (r->services[j].app_id && r->services[j].val.port == port)
				break;
		n += j == id;
	}
	return n;
}

unsigned int reg_nworkers(const struct registry *r)
{
	unsigned int id, n = 0;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		n += !!r->workers[id].val.service_id;
	return n;
}

/* ---- what the maps hold --------------------------------------------------------- */

uint32_t reg_port_nservices(const struct registry *r, uint32_t port)
{
	uint32_t id, n = 0;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		n += r->services[id].app_id && r->services[id].val.port == port;
	return n;
}

uint32_t reg_svc_lookup(const struct registry *r, const struct osnic_svc_key *key)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		const struct osnic_service_val *v = &r->services[id].val;

		if (r->services[id].app_id && v->port == key->port && v->prog == key->prog &&
		    v->vers == key->vers)
			return id;
	}
	return 0;
}

bool reg_vers_range(const struct registry *r, uint32_t port, uint32_t prog,
		    struct osnic_vers_range *range)
{
	bool found = false;
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		const struct osnic_service_val *v = &r->services[id].val;

		if (!r->services[id].app_id || v->port != port || v->prog != prog)
			continue;
		if (!found) {
			range->low = range->high = v->vers;
			found = true;
		} else {
			if (v->vers < range->low)
				range->low = v->vers;
			if (v->vers > range->high)
				range->high = v->vers;
		}
	}
	return found;
}
