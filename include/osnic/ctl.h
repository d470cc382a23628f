/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The netlink client for osnicd's control protocol (include/osnic/nl.h),
 * used by libosnic and osnicctl. Every function returns 0 or a negative
 * errno; when osnicd sent an error message it is available from
 * osnic_ctl_errmsg() until the next call on the same connection.
 */
#ifndef OSNIC_CTL_H
#define OSNIC_CTL_H

#include <stddef.h>
#include <stdint.h>

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
const char *osnic_ctl_errmsg(const struct osnic_ctl *ctl);

/* Register the calling process as an application (osnicd watches its pidfd). */
int osnic_ctl_app_register(struct osnic_ctl *ctl, uint32_t *app_id);
int osnic_ctl_app_deregister(struct osnic_ctl *ctl);

int osnic_ctl_service_add(struct osnic_ctl *ctl, const struct osnic_ctl_service *svc,
			  uint32_t *service_id);
int osnic_ctl_service_del(struct osnic_ctl *ctl, uint32_t service_id);

/* tid: the worker thread; ring_path receives the pinned path of its ring. */
int osnic_ctl_worker_add(struct osnic_ctl *ctl, uint32_t service_id, uint32_t tid,
			 uint32_t *worker_id, char *ring_path, size_t ring_path_len);
int osnic_ctl_worker_del(struct osnic_ctl *ctl, uint32_t worker_id);

#endif /* OSNIC_CTL_H */
