/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * osnicd's registry: applications, their services and their workers, and
 * the values the BPF maps must hold for them. Pure logic, no system calls,
 * so that it can be tested on its own (tests/unit/test_registry.c).
 *
 * An application is one process (found by the pid of the request's
 * credentials). It owns the services it added and the workers of those
 * services; nobody else may remove or extend them. Removing an application
 * removes all of them.
 *
 * Every change reports, in struct reg_changes, the service and worker ids
 * and the (port, prog, vers) keys whose map entries may have to change;
 * osnicd then writes those entries from the registry's present state (see
 * maps.c, sync_maps).
 */
#ifndef OSNICD_REGISTRY_H
#define OSNICD_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <osnic/abi.h>
#include <osnic/nl.h>

#define REG_MAX_APPS		256
#define REG_DEFAULT_DEPTH	1024	/* lines: 64 KiB, a quarter of the ring */
#define REG_MIN_DEPTH		OSNIC_REC_MAX_LINES	/* the largest record must fit */
#define REG_MAX_DEPTH		(OSNIC_RING_BYTES / OSNIC_LINE)
#define REG_SVC_FLAGS		(OSNIC_SVC_F_SYSTEM_ERR_ON_FULL | OSNIC_SVC_F_ALL_PROCS) /* known flags */

struct reg_app {
	uint32_t id;		/* 0: slot free */
	uint32_t pid;
	uint32_t uid;
	uint32_t gid;
	uint64_t start_time;	/* of the process, to tell a reused pid apart */
	bool may_bind_privileged;	/* uid 0 or CAP_NET_BIND_SERVICE */
	int pidfd;		/* osnicd's; -1 in tests */
};

struct reg_service {
	uint32_t app_id;	/* 0: id free */
	struct osnic_service val;	/* exactly what osnic_services holds */
};

struct reg_worker {
	uint32_t app_id;
	struct osnic_worker val;	/* val.service_id 0: id free */
};

struct registry {
	struct reg_app apps[REG_MAX_APPS];
	uint32_t last_app_id;
	/* Index 0 is never used: id 0 means none in every map. */
	struct reg_service services[OSNIC_MAX_SERVICES];
	struct reg_worker workers[OSNIC_MAX_WORKERS];
	uint32_t default_depth;
	uint32_t unpriv_port_start;	/* ports below need may_bind_privileged */
};

struct reg_changes {
	uint64_t services;		/* bit n: service n changed */
	uint64_t workers[OSNIC_MAX_WORKERS / 64];	/* bit n: worker n changed */
	unsigned int nkeys;
	struct osnic_svc_key keys[OSNIC_MAX_SERVICES];	/* keys added or removed */
};

/* What a service request asks for (the attributes of SERVICE_ADD). */
struct reg_service_req {
	uint32_t prog;
	uint32_t vers;
	uint32_t port;
	uint64_t procs;
	uint32_t depth_lines;	/* 0: default */
	uint32_t flags;
};

void reg_init(struct registry *r, uint32_t default_depth, uint32_t unpriv_port_start);

/* ---- applications ------------------------------------------------------------ */

/* -EEXIST if the pid is registered, -ENOSPC if the table is full. */
int reg_app_add(struct registry *r, const struct reg_app *tmpl, uint32_t *app_id,
		struct osnic_nl_ext *ext);
struct reg_app *reg_app_by_id(struct registry *r, uint32_t app_id);
struct reg_app *reg_app_by_pid(struct registry *r, uint32_t pid);
/* Remove the application with all its services and workers. */
int reg_app_remove(struct registry *r, uint32_t app_id, struct reg_changes *chg);

/* ---- services ---------------------------------------------------------------- */

int reg_service_add(struct registry *r, uint32_t app_id, const struct reg_service_req *req,
		    uint32_t *service_id, struct reg_changes *chg, struct osnic_nl_ext *ext);
/* -ENOENT if there is no such service, -EPERM if app_id does not own it. */
int reg_service_del(struct registry *r, uint32_t app_id, uint32_t service_id,
		    struct reg_changes *chg, struct osnic_nl_ext *ext);
/* Take over a service found in the maps at restart, as it is, workers aside. */
int reg_service_adopt(struct registry *r, uint32_t app_id, uint32_t service_id,
		      const struct osnic_service *val, struct reg_changes *chg);

/* ---- workers ----------------------------------------------------------------- */

int reg_worker_add(struct registry *r, uint32_t app_id, uint32_t service_id, uint32_t tid,
		   uint32_t *worker_id, struct reg_changes *chg, struct osnic_nl_ext *ext);
int reg_worker_del(struct registry *r, uint32_t app_id, uint32_t worker_id,
		   struct reg_changes *chg, struct osnic_nl_ext *ext);
/* Take over a worker found in the maps at restart; its service must be adopted. */
int reg_worker_adopt(struct registry *r, uint32_t worker_id, const struct osnic_worker *val,
		     struct reg_changes *chg);

/* ---- what the maps hold --------------------------------------------------------- */

/* osnic_listen: the number of services on a port (0: no entry). */
uint32_t reg_port_nservices(const struct registry *r, uint32_t port);
/* osnic_svc_index: the service of (port, prog, vers), 0 if none. */
uint32_t reg_svc_lookup(const struct registry *r, const struct osnic_svc_key *key);
/* osnic_prog_vers: false if no version of (port, prog) is registered. */
bool reg_vers_range(const struct registry *r, uint32_t port, uint32_t prog,
		    struct osnic_vers_range *range);

static inline bool reg_service_used(const struct registry *r, uint32_t id)
{
	return id && id < OSNIC_MAX_SERVICES && r->services[id].app_id;
}

static inline bool reg_worker_used(const struct registry *r, uint32_t id)
{
	return id && id < OSNIC_MAX_WORKERS && r->workers[id].val.service_id;
}

static inline bool reg_changes_worker(const struct reg_changes *chg, uint32_t id)
{
	return chg->workers[id / 64] & (1ULL << (id % 64));
}

unsigned int reg_napps(const struct registry *r);
unsigned int reg_nservices(const struct registry *r);
unsigned int reg_nworkers(const struct registry *r);

#endif /* OSNICD_REGISTRY_H */
