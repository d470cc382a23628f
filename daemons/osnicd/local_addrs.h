/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * osnicd's keeper of osnic_local_addrs: the unicast addresses of the
 * network namespace osnicd runs in, the only destinations XDP serves.
 *
 * It dumps the addresses over rtnetlink at open and then follows the
 * RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR notifications; when the
 * kernel reports lost notifications (ENOBUFS) it dumps again. Each dump
 * makes the map equal to what the kernel has, so entries an earlier osnicd
 * left in a re-adopted map are pruned. IPv6 addresses count once duplicate
 * address detection has passed (not tentative, not failed).
 *
 * Self-contained: the daemon gives it the map's fd and its logger, polls
 * local_addrs_fd() for POLLIN and calls local_addrs_event() then.
 */
#ifndef OSNICD_LOCAL_ADDRS_H
#define OSNICD_LOCAL_ADDRS_H

struct local_addrs;

struct local_addrs_opts {
	int map_fd;	/* osnic_local_addrs; kept by the caller */
	/* printf-like logger and the levels to use with it */
	void (*log)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	int warn_level;
	int debug_level;
};

/*
 * Subscribe, dump, and fill the map. NULL with errno set when the rtnetlink
 * sockets cannot be opened or the first dump fails.
 */
struct local_addrs *local_addrs_open(const struct local_addrs_opts *opts);

/* The fd to poll for POLLIN (the notification socket). */
int local_addrs_fd(const struct local_addrs *la);

/* Apply what the kernel reported; resync after an overrun. */
void local_addrs_event(struct local_addrs *la);

/* How many addresses the map holds. */
unsigned int local_addrs_count(const struct local_addrs *la);

/* Close the sockets; the map keeps its entries (XDP goes on using them). NULL is allowed. */
void local_addrs_close(struct local_addrs *la);

#endif /* OSNICD_LOCAL_ADDRS_H */
