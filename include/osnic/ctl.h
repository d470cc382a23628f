/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The netlink client for osnicd's control protocol (include/osnic/nl.h),
 * used by libosnic and osnicctl. Every function returns 0 or a negative
 * errno; when osnicd sent an error message it is available from
 * osnic_ctl_errmsg() until the next call on the same connection.
 *
 * A connection is one netlink socket; calls on it must not run concurrently
 * (use one connection per thread). Each call waits at most
 * OSNIC_CTL_TIMEOUT_MS for osnicd's answer (-ETIMEDOUT). Without osnicd in
 * the caller's network namespace, calls fail with -ECONNREFUSED.
 *
 * Answers count only if the kernel says they come from osnicd (-EPERM
 * otherwise): from uid 0 where uids read as the kernel's; in any other user
 * namespace (unshare -Ur, a rootless container), from the pid, with its
 * start time, that osnicd's pid file (OSNIC_PID_FILE_FMT) names, so the
 * caller must share osnicd's pid namespace and see OSNIC_RUN_DIR.
 */
#ifndef OSNIC_CTL_H
#define OSNIC_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <osnic/abi.h>
#include <osnic/nl.h>
#include <osnic/sched.h>

#define OSNIC_CTL_TIMEOUT_MS 5000

struct osnic_ctl;

struct osnic_ctl_service {
	uint32_t prog;
	uint32_t vers;
	uint16_t port;		/* host order */
	uint64_t procs;		/* bit n: procedure n served */
	uint32_t depth_lines;	/* 0: the daemon's default */
	uint32_t flags;		/* OSNIC_SVC_F_* */
};

int osnic_ctl_open(struct osnic_ctl **ctl);
void osnic_ctl_close(struct osnic_ctl *ctl);

/*
 * What osnicd (or, for a local failure such as no osnicd, this library) said
 * about the last failed call; NULL when nothing was said.
 */
const char *osnic_ctl_errmsg(const struct osnic_ctl *ctl);
/* The type (enum osnic_nl_attr) of the attribute osnicd blamed, or 0. */
unsigned int osnic_ctl_erratt(const struct osnic_ctl *ctl);

/* Register the calling process as an application (osnicd watches its pidfd). */
int osnic_ctl_app_register(struct osnic_ctl *ctl, uint32_t *app_id);
int osnic_ctl_app_deregister(struct osnic_ctl *ctl);
/* Remove application app_id with all it owns: its owner's uid or an admin. */
int osnic_ctl_app_del(struct osnic_ctl *ctl, uint32_t app_id);

int osnic_ctl_service_add(struct osnic_ctl *ctl, const struct osnic_ctl_service *svc,
			  uint32_t *service_id);
/* Any service of the caller's uid; an admin's, any service. */
int osnic_ctl_service_del(struct osnic_ctl *ctl, uint32_t service_id);

/* tid: the worker thread; ring_path receives the pinned path of its ring. */
int osnic_ctl_worker_add(struct osnic_ctl *ctl, uint32_t service_id, uint32_t tid,
			 uint32_t *worker_id, char *ring_path, size_t ring_path_len);
int osnic_ctl_worker_del(struct osnic_ctl *ctl, uint32_t worker_id);

/* ---- administration and inspection (osnicctl) ------------------------------- */

struct osnic_ctl_service_info {
	uint32_t id;
	uint32_t app_id;
	uint32_t pid;
	uint32_t uid;
	uint32_t nworkers;
	struct osnic_ctl_service svc;	/* depth_lines: the effective depth */
	uint32_t ring_bytes;	/* the ring of each of its workers; 0: osnicd did not say */
};

struct osnic_ctl_worker_info {
	uint32_t id;
	uint32_t service_id;
	uint32_t app_id;
	uint32_t pid;
	uint32_t tid;
	uint32_t uid;
	uint32_t generation;
	char ring_path[128];
	/* From osnic_worker_sched; has_sched 0: osnicd did not say. */
	int has_sched;
	uint32_t state;		/* enum osnic_worker_state */
	uint32_t cpu;
	uint32_t ring_bytes;	/* the size of its ring; 0: osnicd did not say */
};

struct osnic_ctl_iface {
	char name[16];		/* IFNAMSIZ */
	uint32_t ifindex;
	enum osnic_xdp_mode mode;	/* native or generic */
	uint32_t prog_id;
};

struct osnic_ctl_stats {
	uint64_t rx[OSNIC_RX__MAX];	/* enum osnic_rx_counter, summed over CPUs */
	/* bit n % 64 of word n / 64: svc[n] is a registered service */
	uint64_t svc_present[(OSNIC_MAX_SERVICES + 63) / 64];
	struct osnic_svc_stats svc[OSNIC_MAX_SERVICES];
	uint32_t worker_service[OSNIC_MAX_WORKERS];	/* 0: no such worker */
	struct osnic_worker_stats worker[OSNIC_MAX_WORKERS];
};

static inline int osnic_ctl_stats_has_service(const struct osnic_ctl_stats *st, uint32_t id)
{
	return id < OSNIC_MAX_SERVICES && (st->svc_present[id / 64] >> (id % 64)) & 1;
}

struct osnic_ctl_daemon_info {
	char version[64];
	char pin_dir[128];
	uint32_t pid;
	uint32_t napps;
	uint32_t nservices;
	uint32_t nworkers;
	uint32_t nifaces;
	uint64_t uptime_s;
	int adopted;		/* pinned state was re-adopted at start */
	/* Per-uid quotas (uid 0 exempt); UINT32_MAX: no limit, 0: not told. */
	uint32_t quota_apps;
	uint32_t quota_services;	/* services and lingering ports */
	uint32_t quota_workers;
	uint32_t quota_ring_mb;
	uint64_t req_dropped;	/* requests dropped by the flood limits */
	uint32_t nl_portid;	/* osnicd's netlink port id */
};

struct osnic_ctl_sched_info {
	enum osnic_sched_mode mode;
	char why[256];		/* why sched_ext is not in use; "" when it is */
	int feed;		/* the sched_switch feed is attached */
	char exit[1024];	/* how the scheduler last left the kernel; "" if never */
	/* The same in parts; exit_kind 0 (OSNIC_SCHED_EXIT_NONE) if it never left. */
	long long exit_kind;	/* OSNIC_SCHED_EXIT_*; >= OSNIC_SCHED_EXIT_ERROR: ejected */
	char exit_reason[OSNIC_SCHED_EXIT_REASON_LEN];
	char exit_msg[OSNIC_SCHED_EXIT_MSG_LEN];
	/* osnicd's reloads after error exits (osnicd(8), "Scheduling"). */
	uint32_t reloads;	/* how many brought the scheduler back */
	int reload_planned;	/* a reload is due in reload_in_ms */
	uint32_t reload_in_ms;
	int gave_up;		/* too many errors: no reload until `sched enable` */
	int has_stats;		/* the scheduler ran since osnicd started */
	struct osnic_sched_stats stats;	/* now, or when it last left */
};

/*
 * Dumps call cb once per object; a non-zero return from cb stops the dump
 * and is returned (the rest of osnicd's answer is discarded).
 */
typedef int (*osnic_ctl_service_cb)(const struct osnic_ctl_service_info *info, void *data);
typedef int (*osnic_ctl_worker_cb)(const struct osnic_ctl_worker_info *info, void *data);
typedef int (*osnic_ctl_iface_cb)(const struct osnic_ctl_iface *iface, void *data);

int osnic_ctl_service_dump(struct osnic_ctl *ctl, osnic_ctl_service_cb cb, void *data);
int osnic_ctl_worker_dump(struct osnic_ctl *ctl, osnic_ctl_worker_cb cb, void *data);
int osnic_ctl_iface_dump(struct osnic_ctl *ctl, osnic_ctl_iface_cb cb, void *data);

/* mode AUTO: native, else generic; out (may be NULL) says what was done. */
int osnic_ctl_iface_attach(struct osnic_ctl *ctl, const char *ifname,
			   enum osnic_xdp_mode mode, struct osnic_ctl_iface *out);
int osnic_ctl_iface_detach(struct osnic_ctl *ctl, const char *ifname);

int osnic_ctl_stats_get(struct osnic_ctl *ctl, struct osnic_ctl_stats *stats);
int osnic_ctl_daemon_info(struct osnic_ctl *ctl, struct osnic_ctl_daemon_info *info);

int osnic_ctl_sched_info(struct osnic_ctl *ctl, struct osnic_ctl_sched_info *info);
/* Load (enable) or unload the osnic scheduler; info (may be NULL): the result. */
int osnic_ctl_sched_set(struct osnic_ctl *ctl, int enable, struct osnic_ctl_sched_info *info);
/* The name of field n of struct osnic_sched_stats; NULL past the last. */
const char *osnic_ctl_sched_counter_name(unsigned int counter);

/* "packets", "rpc_delivered", ...: a stable name for a counter; NULL if unknown. */
const char *osnic_ctl_rx_counter_name(unsigned int counter);

#endif /* OSNIC_CTL_H */
