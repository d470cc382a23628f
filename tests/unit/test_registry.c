// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of osnicd's registry (daemons/osnicd/registry.c): ids, uniqueness,
 * the port rules, version ranges, ownership, and an application's death
 * removing everything it had, with the change sets osnicd writes to the
 * maps from; per-uid quotas and lingering ports.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "../../daemons/osnicd/registry.h"

#define UID_A 1000
#define UID_B 1001

static struct registry reg;

static void setup(void)
{
	reg_init(&reg, 0, 1024);
}

TestSuite(registry, .init = setup);

/* For the tests of the tables' own limits: no quota in the way. */
static void no_quota(void)
{
	reg.quota = (struct reg_quota){ REG_UNLIMITED, REG_UNLIMITED, REG_UNLIMITED,
					REG_UNLIMITED };
}

static uint32_t app(uint32_t pid, uint32_t uid, bool privileged)
{
	struct reg_app tmpl = {
		.pid = pid, .uid = uid, .gid = uid, .pidfd = -1,
		.may_bind_privileged = privileged,
	};
	struct osnic_nl_ext ext;
	uint32_t id = 0;

	cr_assert_eq(reg_app_add(&reg, &tmpl, &id, &ext), 0, "app pid %u: %s", pid, ext.msg);
	cr_assert_neq(id, 0);
	return id;
}

static int svc_add(uint32_t app_id, uint32_t port, uint32_t prog, uint32_t vers, uint32_t *id,
		   struct reg_changes *chg, struct osnic_nl_ext *ext)
{
	struct reg_service_req req = { .prog = prog, .vers = vers, .port = port, .procs = 0xf };
	struct reg_changes c;
	struct osnic_nl_ext e;

	memset(chg ? chg : &c, 0, sizeof(c));
	return reg_service_add(&reg, app_id, &req, id, chg ? chg : &c, ext ? ext : &e);
}

static uint32_t svc(uint32_t app_id, uint32_t port, uint32_t prog, uint32_t vers)
{
	struct osnic_nl_ext ext = { 0 };
	uint32_t id = 0;

	cr_assert_eq(svc_add(app_id, port, prog, vers, &id, NULL, &ext), 0,
		     "service %u/%u on %u: %s", prog, vers, port, ext.msg);
	return id;
}

/* A service depth lines deep. */
static uint32_t svc_depth(uint32_t app_id, uint32_t port, uint32_t depth)
{
	struct reg_service_req req = { .prog = 1, .vers = 1, .port = port, .procs = 0xf,
				       .depth_lines = depth };
	struct osnic_nl_ext ext = { 0 };
	struct reg_changes c = { 0 };
	uint32_t id = 0;

	cr_assert_eq(reg_service_add(&reg, app_id, &req, &id, &c, &ext), 0,
		     "service of depth %u on %u: %s", depth, port, ext.msg);
	return id;
}

/* How many services the change set names. */
static unsigned int chg_nservices(const struct reg_changes *chg)
{
	unsigned int id, n = 0;

	for (id = 0; id < 64 * REG_BITMAP_WORDS(OSNIC_MAX_SERVICES); id++)
		n += reg_changes_service(chg, id);
	return n;
}

static uint32_t worker(uint32_t app_id, uint32_t service_id, uint32_t tid)
{
	struct reg_changes chg = { 0 };
	struct osnic_nl_ext ext = { 0 };
	uint32_t id = 0;

	cr_assert_eq(reg_worker_add(&reg, app_id, service_id, tid, &id, &chg, &ext), 0,
		     "worker tid %u: %s", tid, ext.msg);
	return id;
}

Test(registry, app_ids_are_nonzero_unique_and_one_per_pid)
{
	struct reg_app tmpl = { .pid = 10, .uid = UID_A, .pidfd = -1 };
	struct osnic_nl_ext ext;
	uint32_t a = app(10, UID_A, false), b = app(11, UID_A, false), id;

	cr_assert_neq(a, b);
	cr_assert_eq(reg_app_add(&reg, &tmpl, &id, &ext), -EEXIST, "a pid registers once");
	cr_assert_eq(reg_app_by_pid(&reg, 11)->id, b);
	cr_assert_eq(reg_app_remove(&reg, a, NULL), 0);
	/* A new application never gets the id of a removed one. */
	cr_assert_neq(app(10, UID_A, false), a);
	cr_assert_eq(reg_napps(&reg), 2);
}

Test(registry, app_table_full_is_enospc)
{
	struct reg_app tmpl = { .pid = 100000, .uid = UID_A, .pidfd = -1 };
	struct osnic_nl_ext ext;
	unsigned int i;

	no_quota();

	for (i = 0; i < REG_MAX_APPS; i++)
		app(1000 + i, UID_A, false);
	cr_assert_eq(reg_app_add(&reg, &tmpl, NULL, &ext), -ENOSPC);
}

Test(registry, service_ids_lowest_free_first_and_bounded)
{
	uint32_t a = app(10, UID_A, false), id, i;
	struct osnic_nl_ext ext;

	no_quota();

	for (i = 1; i < OSNIC_MAX_SERVICES; i++)
		cr_assert_eq(svc(a, 5000, 100 + i, 1), i, "ids are handed out from 1");
	cr_assert_geq(i - 1, 1024, "at least 1,024 service ids");
	cr_assert_eq(svc_add(a, 5000, 99999, 1, &id, NULL, &ext), -ENOSPC);
	cr_assert_eq(reg_service_del(&reg, a, 7, NULL, NULL), 0);
	cr_assert_eq(svc(a, 5001, 1, 1), 7, "a freed id is reused");
	cr_assert_eq(reg_nservices(&reg), OSNIC_MAX_SERVICES - 1);
}

Test(registry, port_prog_vers_is_unique)
{
	uint32_t a = app(10, UID_A, false), id;
	struct osnic_nl_ext ext;

	svc(a, 5000, 0x20001234, 1);
	cr_assert_eq(svc_add(a, 5000, 0x20001234, 1, &id, NULL, &ext), -EEXIST);
	cr_assert_eq(ext.attr, OSNIC_A_VERS);
	/* Another version, another port: both fine. */
	svc(a, 5000, 0x20001234, 2);
	svc(a, 5001, 0x20001234, 1);
}

Test(registry, bad_requests_name_their_attribute)
{
	struct reg_service_req req = { .prog = 1, .vers = 1, .port = 5000 };
	uint32_t a = app(10, UID_A, false), id;
	struct osnic_nl_ext ext;

	cr_assert_eq(svc_add(a, 0, 1, 1, &id, NULL, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_PORT);
	req.depth_lines = REG_MIN_DEPTH - 1;
	cr_assert_eq(reg_service_add(&reg, a, &req, &id, NULL, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_DEPTH);
	req.depth_lines = REG_MAX_DEPTH + 1;
	cr_assert_eq(reg_service_add(&reg, a, &req, &id, NULL, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_DEPTH);
	req.depth_lines = 0;
	req.flags = 1U << 31;
	cr_assert_eq(reg_service_add(&reg, a, &req, &id, NULL, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_FLAGS);
	cr_assert_eq(svc_add(0, 5000, 1, 1, &id, NULL, &ext), -ENOENT, "unregistered caller");
	cr_assert_eq(reg_nservices(&reg), 0, "nothing half-done");
}

Test(registry, default_and_explicit_depth)
{
	struct reg_service_req req = { .prog = 1, .vers = 1, .port = 5000, .depth_lines = 128 };
	uint32_t a = app(10, UID_A, false), id;

	id = svc(a, 5001, 1, 1);
	cr_assert_eq(reg.services[id].val.depth_lines, REG_DEFAULT_DEPTH);
	cr_assert_eq(reg_service_add(&reg, a, &req, &id, NULL, NULL), 0);
	cr_assert_eq(reg.services[id].val.depth_lines, 128);
}

Test(registry, privileged_ports_need_privilege)
{
	uint32_t user = app(10, UID_A, false), root = app(11, 0, true), id;
	struct osnic_nl_ext ext;

	cr_assert_eq(svc_add(user, 111, 100000, 2, &id, NULL, &ext), -EACCES);
	cr_assert_eq(ext.attr, OSNIC_A_PORT);
	svc(user, 1024, 100000, 2);
	svc(root, 111, 100000, 2);
	/* The boundary follows the namespace's ip_unprivileged_port_start. */
	reg.unpriv_port_start = 80;
	svc(user, 80, 100000, 2);
}

Test(registry, a_port_is_served_for_one_uid)
{
	uint32_t a = app(10, UID_A, false), a2 = app(11, UID_A, false);
	uint32_t b = app(12, UID_B, false), id, first;
	struct osnic_nl_ext ext;

	first = svc(a, 5000, 1, 1);
	svc(a2, 5000, 2, 1);	/* same uid, another application: fine */
	cr_assert_eq(svc_add(b, 5000, 3, 1, &id, NULL, &ext), -EADDRINUSE);
	cr_assert_eq(ext.attr, OSNIC_A_PORT);
	reg_app_remove(&reg, a, NULL);
	reg_app_remove(&reg, a2, NULL);
	cr_assert(!reg_service_used(&reg, first));
	svc(b, 5000, 3, 1);
}

Test(registry, version_range_over_registered_versions)
{
	uint32_t a = app(10, UID_A, false), v3, v7;
	struct osnic_vers_range r;

	cr_assert_not(reg_vers_range(&reg, 5000, 42, &r));
	v3 = svc(a, 5000, 42, 3);
	cr_assert(reg_vers_range(&reg, 5000, 42, &r));
	cr_assert_eq(r.low, 3);
	cr_assert_eq(r.high, 3);
	v7 = svc(a, 5000, 42, 7);
	svc(a, 5000, 42, 5);
	svc(a, 5001, 42, 1);	/* another port: not part of the range */
	svc(a, 5000, 43, 9);	/* another program: neither */
	cr_assert(reg_vers_range(&reg, 5000, 42, &r));
	cr_assert_eq(r.low, 3);
	cr_assert_eq(r.high, 7);
	reg_service_del(&reg, a, v7, NULL, NULL);
	reg_vers_range(&reg, 5000, 42, &r);
	cr_assert_eq(r.high, 5, "the range shrinks with the services");
	reg_service_del(&reg, a, v3, NULL, NULL);
	reg_vers_range(&reg, 5000, 42, &r);
	cr_assert_eq(r.low, 5);
}

Test(registry, lookup_and_port_counts)
{
	uint32_t a = app(10, UID_A, false), s1, s2;
	struct osnic_svc_key k1 = { 5000, 42, 1 }, k3 = { 5000, 42, 3 };

	s1 = svc(a, 5000, 42, 1);
	s2 = svc(a, 5000, 43, 1);
	svc(a, 6000, 42, 1);
	cr_assert_eq(reg_svc_lookup(&reg, &k1), s1);
	cr_assert_eq(reg_svc_lookup(&reg, &k3), 0);
	cr_assert_eq(reg_port_nservices(&reg, 5000), 2);
	cr_assert_eq(reg_port_nservices(&reg, 6000), 1);
	cr_assert_eq(reg_port_nservices(&reg, 7000), 0);
	reg_service_del(&reg, a, s2, NULL, NULL);
	cr_assert_eq(reg_port_nservices(&reg, 5000), 1);
}

Test(registry, only_the_owner_touches_services_and_workers)
{
	uint32_t a = app(10, UID_A, false), b = app(11, UID_A, false), s, w, id;
	struct osnic_nl_ext ext;

	s = svc(a, 5000, 1, 1);
	w = worker(a, s, 101);
	/* Same uid, another process: still another application. */
	cr_assert_eq(reg_service_del(&reg, b, s, NULL, &ext), -EPERM);
	cr_assert_eq(ext.attr, OSNIC_A_SERVICE_ID);
	cr_assert_eq(reg_worker_add(&reg, b, s, 201, &id, NULL, &ext), -EPERM);
	cr_assert_eq(reg_worker_del(&reg, b, w, NULL, &ext), -EPERM);
	cr_assert_eq(ext.attr, OSNIC_A_WORKER_ID);
	/* App id 0 (an unregistered sender) owns nothing. */
	cr_assert_eq(reg_service_del(&reg, 0, s, NULL, &ext), -EPERM);
	cr_assert_eq(reg_service_del(&reg, a, 33, NULL, &ext), -ENOENT);
	cr_assert_eq(reg_worker_del(&reg, a, 200, NULL, &ext), -ENOENT);
	cr_assert(reg_service_used(&reg, s));
	cr_assert(reg_worker_used(&reg, w));
	cr_assert_eq(reg_worker_del(&reg, a, w, NULL, &ext), 0);
	cr_assert_eq(reg_service_del(&reg, a, s, NULL, &ext), 0);
}

/*
 * A service as full as the worker ids allow, keeping two for another
 * service: all of OSNIC_MAX_SVC_WORKERS once there are enough ids.
 */
#define SVC_FULL                                                                           \
	(OSNIC_MAX_SVC_WORKERS + 2 < OSNIC_MAX_WORKERS ? OSNIC_MAX_SVC_WORKERS \
							: OSNIC_MAX_WORKERS - 3)

Test(registry, workers_per_service_ids_and_generations)
{
	uint32_t a = app(10, UID_A, false), s, t = 0, i, id, w1, w2;
	const struct osnic_service_val *sv;
	struct reg_changes chg = { 0 };
	struct osnic_nl_ext ext;

	no_quota();
	s = svc(a, 5000, 1, 1);
	sv = &reg.services[s].val;
	for (i = 0; i < SVC_FULL; i++) {
		cr_assert_eq(worker(a, s, 100 + i), i + 1);
		cr_assert_eq(reg.workers[i + 1].val.svc_slot, i, "worker %u's slot", i + 1);
	}
	if (SVC_FULL == OSNIC_MAX_SVC_WORKERS)
		cr_assert_eq(reg_worker_add(&reg, a, s, 999, &id, NULL, &ext), -ENOSPC);
	cr_assert_eq(sv->nworkers, SVC_FULL);
	cr_assert_eq(reg.workers[3].val.generation, 1);

	/*
	 * Removing one moves the last worker into its slot, and only that
	 * one: both are changed, the others keep their slots.
	 */
	cr_assert_eq(reg_worker_del(&reg, a, 3, &chg, NULL), 0);
	cr_assert_eq(sv->nworkers, SVC_FULL - 1);
	cr_assert_eq(sv->workers[2], SVC_FULL, "the last worker fills the hole");
	cr_assert_eq(reg.workers[SVC_FULL].val.svc_slot, 2);
	cr_assert_eq(sv->workers[SVC_FULL - 1], 0);
	for (i = 0; i < SVC_FULL - 1; i++) {
		cr_assert_neq(sv->workers[i], 3);
		cr_assert_eq(reg.workers[sv->workers[i]].val.svc_slot, i, "slot %u", i);
	}
	cr_assert(reg_changes_worker(&chg, 3) && reg_changes_worker(&chg, SVC_FULL));
	cr_assert(!reg_changes_worker(&chg, 1) && !reg_changes_worker(&chg, 4));

	/* The last one leaves: nothing moves. */
	memset(&chg, 0, sizeof(chg));
	w1 = sv->workers[SVC_FULL - 2];
	cr_assert_eq(reg_worker_del(&reg, a, w1, &chg, NULL), 0);
	cr_assert_eq(sv->nworkers, SVC_FULL - 2);
	cr_assert_eq(sv->workers[SVC_FULL - 2], 0);
	cr_assert_eq(sv->workers[2], SVC_FULL);
	cr_assert(reg_changes_worker(&chg, w1) && !reg_changes_worker(&chg, SVC_FULL));

	/* A new worker takes the next slot. */
	cr_assert_eq(worker(a, s, 500), 3, "the lowest free worker id");
	cr_assert_eq(reg.workers[3].val.svc_slot, SVC_FULL - 2);
	cr_assert_eq(sv->workers[SVC_FULL - 2], 3);
	cr_assert_eq(reg.workers[3].val.generation, 2, "a reused slot's generation grows");
	cr_assert_eq(reg.workers[3].val.tid, 500);
	cr_assert_eq(reg.workers[3].val.owner_uid, UID_A);

	/* A thread is one worker; thread id 0 is none. */
	s = svc(a, 5001, 1, 1);
	w1 = worker(a, s, 700);
	cr_assert_eq(reg_worker_add(&reg, a, s, 700, &id, NULL, &ext), -EBUSY);
	cr_assert_eq(ext.attr, OSNIC_A_TID);
	cr_assert_eq(reg_worker_add(&reg, a, s, t, &id, NULL, &ext), -EINVAL);
	w2 = worker(a, s, 701);
	cr_assert_neq(w1, w2);
	cr_assert_eq(reg_worker_add(&reg, a, 40, 702, &id, NULL, &ext), -ENOENT);
	cr_assert_eq(ext.attr, OSNIC_A_SERVICE_ID);
}

Test(registry, worker_ids_run_out)
{
	uint32_t a = app(10, UID_A, false), s, tid = 1000, id;
	struct osnic_nl_ext ext;
	unsigned int n = 0;

	no_quota();

	while (n < OSNIC_MAX_WORKERS - 1) {
		unsigned int i;

		s = svc(a, 5000 + n, 1, 1);
		for (i = 0; i < OSNIC_MAX_SVC_WORKERS && n < OSNIC_MAX_WORKERS - 1; i++, n++)
			worker(a, s, tid++);
	}
	cr_assert_geq(n, 4096, "at least 4,096 worker ids");
	cr_assert(reg_worker_used(&reg, OSNIC_MAX_WORKERS - 1), "the highest id is handed out");
	s = svc(a, 65000, 1, 1);
	cr_assert_eq(reg_worker_add(&reg, a, s, tid, &id, NULL, &ext), -ENOSPC);
	cr_assert_eq(reg_nworkers(&reg), OSNIC_MAX_WORKERS - 1);
}

Test(registry, app_death_removes_everything_and_reports_it)
{
	uint32_t a = app(10, UID_A, false), b = app(11, UID_B, false);
	uint32_t s1, s2, s3, w1, w2, w3, wb;
	struct reg_changes chg = { 0 };
	struct osnic_svc_key k;
	unsigned int i;

	s1 = svc(a, 5000, 42, 1);
	s2 = svc(a, 5000, 42, 2);
	s3 = svc(b, 6000, 42, 1);
	w1 = worker(a, s1, 101);
	w2 = worker(a, s1, 102);
	w3 = worker(a, s2, 103);
	wb = worker(b, s3, 201);

	cr_assert_eq(reg_app_remove(&reg, a, &chg), 0);
	cr_assert_null(reg_app_by_id(&reg, a));
	cr_assert(!reg_service_used(&reg, s1) && !reg_service_used(&reg, s2));
	cr_assert(!reg_worker_used(&reg, w1) && !reg_worker_used(&reg, w2) &&
		  !reg_worker_used(&reg, w3));
	cr_assert_eq(reg_port_nservices(&reg, 5000), 0);
	/* b's service and worker are untouched. */
	cr_assert(reg_service_used(&reg, s3) && reg_worker_used(&reg, wb));
	cr_assert_eq(reg.services[s3].val.nworkers, 1);

	/* The change set names every id and key osnicd must rewrite. */
	cr_assert(reg_changes_service(&chg, s1) && reg_changes_service(&chg, s2));
	cr_assert_eq(chg_nservices(&chg), 2);
	cr_assert(reg_changes_worker(&chg, w1) && reg_changes_worker(&chg, w2) &&
		  reg_changes_worker(&chg, w3));
	cr_assert(!reg_changes_worker(&chg, wb));
	cr_assert_eq(chg.nkeys, 2);
	for (i = 0; i < chg.nkeys; i++) {
		k = chg.keys[i];
		cr_assert_eq(k.port, 5000);
		cr_assert_eq(k.prog, 42);
		cr_assert(k.vers == 1 || k.vers == 2);
	}
	/* The freed slots are what the maps will say: zero, generation kept. */
	cr_assert_eq(reg.services[s1].val.prog, 0);
	cr_assert_eq(reg.workers[w1].val.service_id, 0);
	cr_assert_eq(reg.workers[w1].val.tid, 0);
	cr_assert_eq(reg.workers[w1].val.generation, 1);
	cr_assert_eq(reg_app_remove(&reg, a, &chg), -ENOENT);
}

Test(registry, change_set_of_an_add)
{
	uint32_t a = app(10, UID_A, false), s, w, id = 0;
	struct reg_changes chg;
	struct osnic_nl_ext ext;

	cr_assert_eq(svc_add(a, 5000, 42, 1, &s, &chg, &ext), 0);
	cr_assert(reg_changes_service(&chg, s));
	cr_assert_eq(chg_nservices(&chg), 1);
	cr_assert_eq(chg.nkeys, 1);
	cr_assert_eq(chg.keys[0].port, 5000);
	memset(&chg, 0, sizeof(chg));
	cr_assert_eq(reg_worker_add(&reg, a, s, 77, &w, &chg, &ext), 0);
	cr_assert(reg_changes_service(&chg, s), "the service's worker array changed");
	cr_assert_eq(chg_nservices(&chg), 1);
	cr_assert(reg_changes_worker(&chg, w));
	cr_assert_eq(chg.nkeys, 0, "no index entry changes");
	cr_assert_eq(reg.services[s].val.workers[0], w);
	(void)id;
}

Test(registry, adopt_restores_services_and_workers)
{
	struct osnic_service_val sv = {
		.prog = 42, .vers = 1, .port = 5000, .procs = 3, .depth_lines = 64,
		.nworkers = 2, .workers = { 9, 4 },
	};
	struct osnic_worker_val w9 = {
		.service_id = 12, .tid = 300, .owner_uid = UID_A, .generation = 5, .svc_slot = 7
	};
	struct osnic_worker_val w4 = {
		.service_id = 12, .tid = 301, .owner_uid = UID_A, .generation = 2
	};
	uint32_t a = app(10, UID_A, false);
	struct osnic_svc_key k = { 5000, 42, 1 };

	cr_assert_eq(reg_service_adopt(&reg, a, 12, &sv, NULL), 0);
	cr_assert_eq(reg.services[12].val.nworkers, 0, "workers come one by one");
	cr_assert_eq(reg_worker_adopt(&reg, 9, &w9, NULL), 0);
	cr_assert_eq(reg_worker_adopt(&reg, 4, &w4, NULL), 0);
	cr_assert_eq(reg.services[12].val.nworkers, 2);
	/* Slots are given again in the order of adoption, whatever the maps said. */
	cr_assert_eq(reg.services[12].val.workers[0], 9);
	cr_assert_eq(reg.services[12].val.workers[1], 4);
	cr_assert_eq(reg.workers[9].val.svc_slot, 0);
	cr_assert_eq(reg.workers[4].val.svc_slot, 1);
	cr_assert_eq(reg.workers[9].val.generation, 5);
	cr_assert_eq(reg.workers[9].app_id, a);
	cr_assert_eq(reg_svc_lookup(&reg, &k), 12);
	/* Conflicts with what is there already are refused. */
	cr_assert_eq(reg_service_adopt(&reg, a, 13, &sv, NULL), -EEXIST);
	cr_assert_eq(reg_worker_adopt(&reg, 9, &w9, NULL), -EINVAL);
	w9.service_id = 30;
	cr_assert_eq(reg_worker_adopt(&reg, 10, &w9, NULL), -EINVAL, "unknown service");
	/* New services and workers avoid the adopted ids. */
	cr_assert_eq(svc(a, 5000, 42, 2), 1);
	cr_assert_eq(worker(a, 12, 400), 1);
}

/* ---- quotas ------------------------------------------------------------------- */

static bool msg_has(const struct osnic_nl_ext *ext, const char *what)
{
	return strstr(ext->msg, what) != NULL;
}

Test(registry, quota_defaults_are_a_fraction_of_the_tables)
{
	cr_assert_eq(reg.quota.apps, REG_QUOTA_APPS);
	cr_assert_lt(reg.quota.apps, REG_MAX_APPS);
	cr_assert_lt(reg.quota.services, OSNIC_MAX_SERVICES - 1);
	cr_assert_lt(reg.quota.workers, OSNIC_MAX_WORKERS - 1);
	cr_assert_lt((uint64_t)reg.quota.ring_mb << 20,
		     (uint64_t)(OSNIC_MAX_WORKERS - 1) * OSNIC_RING_BYTES);
}

Test(registry, quota_apps_is_edquot_and_root_is_exempt)
{
	struct reg_app tmpl = { .pid = 999, .uid = UID_B, .pidfd = -1 };
	struct osnic_nl_ext ext = { 0 };
	unsigned int i;

	for (i = 0; i < REG_QUOTA_APPS; i++)
		app(100 + i, UID_B, false);
	cr_assert_eq(reg_app_add(&reg, &tmpl, NULL, &ext), -EDQUOT);
	cr_assert(msg_has(&ext, "quota apps=16"), "%s", ext.msg);
	app(500, UID_A, false);	/* another uid has its own quota */
	for (i = 0; i < REG_QUOTA_APPS + 4; i++)
		app(600 + i, 0, true);
}

Test(registry, quota_services_is_edquot_and_root_is_exempt)
{
	uint32_t b = app(10, UID_B, false), r = app(11, 0, true), id, i;
	struct reg_usage u;
	struct osnic_nl_ext ext = { 0 };

	for (i = 0; i < REG_QUOTA_SERVICES; i++)
		svc(b, 6000 + i, 1, 1);
	cr_assert_eq(svc_add(b, 7000, 1, 1, &id, NULL, &ext), -EDQUOT);
	cr_assert(msg_has(&ext, "quota services=16"), "%s", ext.msg);
	/* A check alone neither counts nor refuses for the quota. */
	cr_assert_eq(reg_service_check(&reg, b,
				       &(struct reg_service_req){ .prog = 1, .vers = 1, .port = 7000 },
				       &ext),
		     0);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.services, REG_QUOTA_SERVICES);
	for (i = 0; i < REG_QUOTA_SERVICES + 4; i++)
		svc(r, 8000 + i, 1, 1);
}

Test(registry, quota_workers_and_ring_memory)
{
	uint32_t b = app(10, UID_B, false), s, deep, shallow, id;
	struct reg_usage u;
	struct osnic_nl_ext ext = { 0 };

	reg.quota.workers = 3;
	s = svc(b, 6000, 1, 1);
	worker(b, s, 100);
	worker(b, s, 101);
	worker(b, s, 102);
	cr_assert_eq(reg_worker_add(&reg, b, s, 103, &id, NULL, &ext), -EDQUOT);
	cr_assert(msg_has(&ext, "quota workers=3"), "%s", ext.msg);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.workers, 3);
	/* Rings count at their size: the default depth's is 64 KiB. */
	cr_assert_eq(u.ring_bytes, 3ULL * 64 * 1024);
	cr_assert_eq(reg.workers[1].ring_bytes, 64 * 1024);

	/* 1 MiB: those 192 KiB and three rings of the deepest service (256 KiB). */
	reg.quota.workers = REG_UNLIMITED;
	reg.quota.ring_mb = 1;
	deep = svc_depth(b, 6001, REG_MAX_DEPTH);
	worker(b, deep, 103);
	worker(b, deep, 104);
	worker(b, deep, 105);
	ext.msg[0] = '\0';
	cr_assert_eq(reg_worker_add(&reg, b, deep, 106, &id, NULL, &ext), -EDQUOT);
	cr_assert(msg_has(&ext, "quota ring_mb=1"), "%s", ext.msg);
	cr_assert(msg_has(&ext, "a ring is 256 KiB more"), "%s", ext.msg);
	/* The 64 KiB left takes a page-sized ring of the shallowest service... */
	shallow = svc_depth(b, 6002, REG_MIN_DEPTH);
	cr_assert_eq(reg.workers[worker(b, shallow, 106)].ring_bytes, OSNIC_RING_MIN_BYTES);
	/* ... and then no 64 KiB one. */
	cr_assert_eq(reg_worker_add(&reg, b, s, 107, &id, NULL, &ext), -EDQUOT);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.ring_bytes, (3ULL * 64 + 3 * 256 + 4) * 1024);
	/* Freeing a worker frees its ring's share. */
	cr_assert_eq(reg_worker_del(&reg, b, 1, NULL, NULL), 0);
	worker(b, s, 107);
}

Test(registry, adoption_is_not_held_to_quotas)
{
	struct reg_app tmpl = { .pid = 999, .uid = UID_B, .pidfd = -1 };
	unsigned int i;

	for (i = 0; i < REG_QUOTA_APPS; i++)
		app(100 + i, UID_B, false);
	reg.quota_off = true;
	cr_assert_eq(reg_app_add(&reg, &tmpl, NULL, NULL), 0);
	reg.quota_off = false;
	tmpl.pid = 1000;
	cr_assert_eq(reg_app_add(&reg, &tmpl, NULL, NULL), -EDQUOT);
}

/* ---- lingering ports ------------------------------------------------------------ */

Test(registry, lingering_ports_count_against_their_uids_quota)
{
	uint32_t b = app(10, UID_B, false), s, evicted = 1;
	struct reg_changes chg = { 0 };
	struct reg_usage u;

	reg.quota.services = 2;
	s = svc(b, 6000, 1, 1);
	cr_assert_eq(reg_service_del(&reg, b, s, &chg, NULL), 0);
	cr_assert_eq(chg.nkeys, 1);
	cr_assert_eq(chg.key_uids[0], UID_B, "the leaving service's uid is reported");
	cr_assert_eq(reg_linger_add(&reg, 6000, UID_B, 100, &evicted), 0);
	cr_assert_eq(evicted, 0);
	cr_assert_eq(reg_linger_add(&reg, 6001, UID_B, 101, &evicted), 0);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.lingering, 2);
	/* A third lingering port: the uid's oldest gives way. */
	cr_assert_eq(reg_linger_add(&reg, 6002, UID_B, 102, &evicted), 0);
	cr_assert_eq(evicted, 6000);
	cr_assert_eq(reg_linger_find(&reg, 6000), -1);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.lingering, 2);
	/* Root's lingering ports count for nobody. */
	cr_assert_eq(reg_linger_add(&reg, 7000, 0, 100, NULL), 0);
	cr_assert_eq(reg_linger_add(&reg, 7001, REG_NO_UID, 100, NULL), 0);
	reg_usage(&reg, UID_B, &u);
	cr_assert_eq(u.lingering, 2);
}

Test(registry, a_live_registration_evicts_its_uids_lingering_ports)
{
	uint32_t b = app(10, UID_B, false), id;
	struct reg_changes chg = { 0 };
	struct osnic_nl_ext ext = { 0 };

	reg.quota.services = 2;
	cr_assert_eq(reg_linger_add(&reg, 6000, UID_B, 100, NULL), 0);
	cr_assert_eq(reg_linger_add(&reg, 6001, UID_B, 101, NULL), 0);
	cr_assert_eq(reg_linger_add(&reg, 6500, UID_A, 90, NULL), 0);
	cr_assert_eq(svc_add(b, 7000, 1, 1, &id, &chg, &ext), 0, "%s", ext.msg);
	cr_assert_eq(chg.nevicted, 1);
	cr_assert_eq(chg.evicted[0], 6000, "the uid's oldest, not another uid's");
	cr_assert_geq(reg_linger_find(&reg, 6500), 0);
	/* A service on its own lingering port takes the linger over, evicts nothing. */
	memset(&chg, 0, sizeof(chg));
	cr_assert_eq(svc_add(b, 6001, 1, 1, &id, &chg, &ext), 0, "%s", ext.msg);
	cr_assert_eq(chg.nevicted, 0);
	cr_assert_eq(reg_linger_find(&reg, 6001), -1);
	/* Live services alone fill the quota: EDQUOT. */
	cr_assert_eq(svc_add(b, 7001, 1, 1, &id, NULL, &ext), -EDQUOT);
}

Test(registry, a_live_registration_evicts_lingering_ports_when_listen_is_full)
{
	uint32_t r = app(10, 0, true), id, port;
	struct reg_changes chg = { 0 };
	struct osnic_nl_ext ext = { 0 };

	for (port = 1; port <= OSNIC_MAX_SERVICES; port++)
		cr_assert_eq(reg_linger_add(&reg, 20000 + port, REG_NO_UID, 100 + port, NULL), 0);
	cr_assert_eq(reg_listen_ports(&reg), OSNIC_MAX_SERVICES);
	cr_assert_eq(reg_linger_add(&reg, 30000, REG_NO_UID, 100, NULL), -ENOSPC);
	cr_assert_eq(svc_add(r, 5000, 1, 1, &id, &chg, &ext), 0, "%s", ext.msg);
	cr_assert_eq(chg.nevicted, 1);
	cr_assert_eq(chg.evicted[0], 20001, "the oldest goes");
	cr_assert_eq(reg_listen_ports(&reg), OSNIC_MAX_SERVICES);
	/* Another version on a port already listed needs no room. */
	memset(&chg, 0, sizeof(chg));
	cr_assert_eq(svc_add(r, 5000, 1, 2, &id, &chg, &ext), 0, "%s", ext.msg);
	cr_assert_eq(chg.nevicted, 0);
}

/* ---- ring sizes ----------------------------------------------------------------- */

Test(registry, ring_bytes_is_the_power_of_2_that_holds_the_depth)
{
	/* At least a page, whatever the depth. */
	cr_assert_eq(osnic_ring_bytes(0, 4096), 4096);
	cr_assert_eq(osnic_ring_bytes(1, 4096), 4096);
	cr_assert_eq(osnic_ring_bytes(REG_MIN_DEPTH, 4096), 4096);
	cr_assert_eq(osnic_ring_bytes(64, 4096), 4096);
	/* Then the next power of 2 of depth * 64 bytes. */
	cr_assert_eq(osnic_ring_bytes(65, 4096), 8192);
	cr_assert_eq(osnic_ring_bytes(200, 4096), 16384);
	cr_assert_eq(osnic_ring_bytes(REG_DEFAULT_DEPTH, 4096), 64 * 1024);
	cr_assert_eq(osnic_ring_bytes(REG_DEFAULT_DEPTH + 1, 4096), 128 * 1024);
	cr_assert_eq(osnic_ring_bytes(REG_MAX_DEPTH, 4096), OSNIC_RING_BYTES);
	cr_assert_eq(REG_MAX_DEPTH * OSNIC_LINE, OSNIC_RING_BYTES);
	/* Never above the template of osnic_rings, nor wrapping for a huge depth. */
	cr_assert_eq(osnic_ring_bytes(REG_MAX_DEPTH + 1, 4096), OSNIC_RING_BYTES);
	cr_assert_eq(osnic_ring_bytes(UINT32_MAX, 4096), OSNIC_RING_BYTES);
	/* Larger pages: never below one. */
	cr_assert_eq(osnic_ring_bytes(64, 65536), 65536);
	cr_assert_eq(osnic_ring_bytes(2048, 65536), 128 * 1024);
	/* A page size of 0 (unknown) counts as the smallest page. */
	cr_assert_eq(osnic_ring_bytes(1, 0), OSNIC_RING_MIN_BYTES);
	/* Every size holds the largest record, with the kernel's byte to spare. */
	cr_assert_lt(OSNIC_REC_SIZE(OSNIC_REC_MAX_LINES) + OSNIC_RINGBUF_HDR,
		     osnic_ring_bytes(REG_MIN_DEPTH, OSNIC_RING_MIN_BYTES));
}

Test(registry, workers_get_the_ring_of_their_services_depth)
{
	uint32_t a = app(10, UID_A, false), s1, s2, w1, w2;

	s1 = svc_depth(a, 5000, 100);
	s2 = svc(a, 5001, 1, 1);
	cr_assert_eq(reg_ring_bytes(&reg, s1), 8192);
	cr_assert_eq(reg_ring_bytes(&reg, s2), osnic_ring_bytes(REG_DEFAULT_DEPTH, 4096));
	w1 = worker(a, s1, 100);
	w2 = worker(a, s2, 101);
	cr_assert_eq(reg.workers[w1].ring_bytes, 8192);
	cr_assert_eq(reg.workers[w2].ring_bytes, 64 * 1024);
	/* The machine's page: osnicd sets it. */
	reg.page_size = 65536;
	cr_assert_eq(reg_ring_bytes(&reg, s1), 65536);
	cr_assert_eq(reg_worker_del(&reg, a, w1, NULL, NULL), 0);
	cr_assert_eq(reg.workers[w1].ring_bytes, 0, "a free slot has no ring");
}

Test(registry, ids_past_the_maxima_are_refused)
{
	struct osnic_service_val sv = { .prog = 1, .vers = 1, .port = 5000, .depth_lines = 64 };
	uint32_t a = app(10, UID_A, false), s;
	struct osnic_worker_val wv = { .tid = 100 };
	struct osnic_nl_ext ext = { 0 };

	cr_assert_eq(reg_service_adopt(&reg, a, OSNIC_MAX_SERVICES, &sv, NULL), -EINVAL);
	cr_assert_eq(reg_service_adopt(&reg, a, 0, &sv, NULL), -EINVAL);
	cr_assert_eq(reg_service_adopt(&reg, a, OSNIC_MAX_SERVICES - 1, &sv, NULL), 0,
		     "the highest id is taken back");
	s = OSNIC_MAX_SERVICES - 1;
	cr_assert(reg_service_used(&reg, s));
	cr_assert(!reg_service_used(&reg, OSNIC_MAX_SERVICES));
	wv.service_id = s;
	cr_assert_eq(reg_worker_adopt(&reg, OSNIC_MAX_WORKERS, &wv, NULL), -EINVAL);
	cr_assert_eq(reg_worker_adopt(&reg, OSNIC_MAX_WORKERS - 1, &wv, NULL), 0);
	cr_assert(reg_worker_used(&reg, OSNIC_MAX_WORKERS - 1));
	cr_assert(!reg_worker_used(&reg, OSNIC_MAX_WORKERS));
	cr_assert_eq(reg.workers[OSNIC_MAX_WORKERS - 1].ring_bytes, OSNIC_RING_MIN_BYTES);
	cr_assert_eq(reg_service_del(&reg, a, OSNIC_MAX_SERVICES, NULL, &ext), -ENOENT);
	cr_assert_eq(reg_worker_del(&reg, a, OSNIC_MAX_WORKERS, NULL, &ext), -ENOENT);
	cr_assert_eq(reg_worker_add(&reg, a, OSNIC_MAX_SERVICES, 101, NULL, NULL, &ext), -ENOENT);
	cr_assert_eq(ext.attr, OSNIC_A_SERVICE_ID);
}
