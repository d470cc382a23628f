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
#define REG_DEFAULT_DEPTH	1024	/* lines: a ring of 64 KiB */
#define REG_MIN_DEPTH		OSNIC_REC_MAX_LINES	/* the largest record must fit */
#define REG_MAX_DEPTH		(OSNIC_RING_BYTES / OSNIC_LINE)
#define REG_SVC_FLAGS		(OSNIC_SVC_F_SYSTEM_ERR_ON_FULL | OSNIC_SVC_F_ALL_PROCS) /* known flags */
#define REG_NO_UID		UINT32_MAX	/* a lingering port nobody is charged for */
#define REG_UNLIMITED		UINT32_MAX	/* a quota that does not limit */

/*
 * Per-uid quotas (uid 0 is exempt). The defaults let one user take a small
 * part of a table, so that a few users cannot keep root from registering:
 * services 16 of the 1,024 service ids (and of the entries of osnic_listen,
 * which lingering ports share), workers 64 of the 4,096 worker ids, rings
 * 16 MiB (counted at their real size, reg_ring_bytes(): 256 rings of the
 * default depth, 64 of the deepest) and applications 16 of REG_MAX_APPS.
 */
#define REG_QUOTA_APPS		16
#define REG_QUOTA_SERVICES	16
#define REG_QUOTA_WORKERS	64
#define REG_QUOTA_RING_MB	16
/* Words of a bitmap of n bits. */
#define REG_BITMAP_WORDS(n)	(((n) + 63) / 64)

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
	struct osnic_service_val val;	/* exactly what osnic_services holds */
};

struct reg_worker {
	uint32_t app_id;
	uint32_t ring_bytes;	/* the size of its ring (quota.ring_mb counts it) */
	struct osnic_worker_val val;	/* val.service_id 0: id free */
};

/* Quotas per uid; REG_UNLIMITED: none. */
struct reg_quota {
	uint32_t apps;
	uint32_t services;	/* services and lingering ports */
	uint32_t workers;
	uint32_t ring_mb;	/* MiB of rings osnicd creates for the uid's workers */
};

/* What one uid holds. */
struct reg_usage {
	uint32_t apps;
	uint32_t services;
	uint32_t lingering;	/* ports that lost the uid's last service and linger */
	uint32_t workers;
	uint64_t ring_bytes;
};

/* A port whose last service went and that XDP still answers on (linger.c). */
struct reg_linger {
	uint32_t port;
	uint32_t uid;		/* whose service left it (REG_NO_UID: unknown) */
	int64_t until;		/* deadline, CLOCK_MONOTONIC seconds */
};

struct registry {
	struct reg_app apps[REG_MAX_APPS];
	uint32_t last_app_id;
	/* Index 0 is never used: id 0 means none in every map. */
	struct reg_service services[OSNIC_MAX_SERVICES];
	struct reg_worker workers[OSNIC_MAX_WORKERS];
	uint32_t default_depth;
	uint32_t unpriv_port_start;	/* ports below need may_bind_privileged */
	uint32_t page_size;	/* the smallest ring (reg_init: OSNIC_RING_MIN_BYTES) */
	struct reg_quota quota;
	bool quota_off;		/* while re-adopting at start */
	unsigned int nlinger;
	struct reg_linger linger[OSNIC_MAX_SERVICES];
};

struct reg_changes {
	uint64_t services[REG_BITMAP_WORDS(OSNIC_MAX_SERVICES)];	/* bit n: service n changed */
	uint64_t workers[REG_BITMAP_WORDS(OSNIC_MAX_WORKERS)];	/* bit n: worker n changed */
	unsigned int nkeys;
	struct osnic_svc_key keys[OSNIC_MAX_SERVICES];	/* keys added or removed */
	uint32_t key_uids[OSNIC_MAX_SERVICES];	/* uid of the service of each key */
	unsigned int nevicted;
	uint32_t evicted[OSNIC_MAX_SERVICES];	/* lingering ports to release now */
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

/*
 * Every rule reg_service_add applies before it allocates (no quota), so
 * that osnicd can check the port's sockets after the cheap refusals.
 */
int reg_service_check(struct registry *r, uint32_t app_id, const struct reg_service_req *req,
		      struct osnic_nl_ext *ext);
/*
 * A live registration is never blocked by a lingering port: if the uid's
 * quota or osnic_listen is full, lingering ports are evicted (the uid's own
 * first, the oldest first) and reported in chg->evicted. EDQUOT only when
 * the uid's live services fill its quota.
 */
int reg_service_add(struct registry *r, uint32_t app_id, const struct reg_service_req *req,
		    uint32_t *service_id, struct reg_changes *chg, struct osnic_nl_ext *ext);
/* -ENOENT if there is no such service, -EPERM if app_id does not own it. */
int reg_service_del(struct registry *r, uint32_t app_id, uint32_t service_id,
		    struct reg_changes *chg, struct osnic_nl_ext *ext);
/* Take over a service found in the maps at restart, as it is, workers aside. */
int reg_service_adopt(struct registry *r, uint32_t app_id, uint32_t service_id,
		      const struct osnic_service_val *val, struct reg_changes *chg);

/* ---- workers ----------------------------------------------------------------- */

int reg_worker_add(struct registry *r, uint32_t app_id, uint32_t service_id, uint32_t tid,
		   uint32_t *worker_id, struct reg_changes *chg, struct osnic_nl_ext *ext);
int reg_worker_del(struct registry *r, uint32_t app_id, uint32_t worker_id,
		   struct reg_changes *chg, struct osnic_nl_ext *ext);
/* Take over a worker found in the maps at restart; its service must be adopted. */
int reg_worker_adopt(struct registry *r, uint32_t worker_id, const struct osnic_worker_val *val,
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

static inline bool reg_changes_service(const struct reg_changes *chg, uint32_t id)
{
	return chg->services[id / 64] & (1ULL << (id % 64));
}

static inline bool reg_changes_worker(const struct reg_changes *chg, uint32_t id)
{
	return chg->workers[id / 64] & (1ULL << (id % 64));
}

/* The bytes of the ring a new worker of the service gets. */
static inline uint32_t reg_ring_bytes(const struct registry *r, uint32_t service_id)
{
	return osnic_ring_bytes(r->services[service_id].val.depth_lines, r->page_size);
}

/* ---- quotas and lingering ports ---------------------------------------------- */

void reg_usage(const struct registry *r, uint32_t uid, struct reg_usage *u);
/* Index of the lingering port, -1 if it does not linger. */
int reg_linger_find(const struct registry *r, uint32_t port);
/*
 * Let port linger until the deadline, charged to uid. If the uid's quota is
 * full, its oldest other lingering port is evicted (*evicted, else 0).
 * -ENOSPC if there is no slot.
 */
int reg_linger_add(struct registry *r, uint32_t port, uint32_t uid, int64_t until,
		   uint32_t *evicted);
void reg_linger_del(struct registry *r, uint32_t port);
/* The distinct ports osnic_listen holds: served ones and lingering ones. */
unsigned int reg_listen_ports(const struct registry *r);

unsigned int reg_napps(const struct registry *r);
unsigned int reg_nservices(const struct registry *r);
unsigned int reg_nworkers(const struct registry *r);

#endif /* OSNICD_REGISTRY_H */
