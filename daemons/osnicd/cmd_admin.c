// SPDX-License-Identifier: GPL-2.0-only
/*
 * The administrative commands: attaching XDP to interfaces and detaching
 * it (admins only: proc.c, caller_may), the interface dump, the counters, and the
 * daemon's own info.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "osnicd.h"

/* The interface a request names, by IFNAME or IFINDEX. */
static int req_iface(struct request *rq, int *ifindex, char *name)
{
	const struct nlattr *a;

	if ((a = rq->m->tb[OSNIC_A_IFNAME])) {
		*ifindex = if_nametoindex(mnl_attr_get_str(a));
		if (!*ifindex)
			return osnic_nl_ext_set(&rq->ext, -ENODEV, rq->nlh, a, 0, "no interface %s",
						mnl_attr_get_str(a));
	} else if ((a = rq->m->tb[OSNIC_A_IFINDEX])) {
		*ifindex = mnl_attr_get_u32(a);
	} else {
		return osnic_nl_ext_set(&rq->ext, -EINVAL, NULL, NULL, OSNIC_A_IFNAME,
					"%s needs attribute ifname or ifindex",
					osnic_nl_cmd_name(rq->m->genl->cmd));
	}
	if (*ifindex <= 0 || !if_indextoname(*ifindex, name))
		return osnic_nl_ext_set(&rq->ext, -ENODEV, rq->nlh, a, 0, "no interface %d",
					*ifindex);
	return 0;
}

static int require_admin(struct osnicd *d, struct request *rq)
{
	if (rq_admin(d, rq))
		return 0;
	return osnic_nl_ext_set(&rq->ext, -EPERM, NULL, NULL, 0,
				"%s needs uid 0, the admin group or CAP_NET_ADMIN in osnicd's "
				"user namespace (uid %u)",
				osnic_nl_cmd_name(rq->m->genl->cmd), rq->cred->uid);
}

static void put_iface(struct osnicd *d, struct nlmsghdr *nlh, const char *name,
		      const struct osnic_xdp_iface *i)
{
	put_str(d, nlh, OSNIC_A_IFNAME, name);
	put_u32(d, nlh, OSNIC_A_IFINDEX, i->ifindex);
	put_u32(d, nlh, OSNIC_A_XDP_MODE, i->mode);
	put_u32(d, nlh, OSNIC_A_PROG_ID, i->prog_id);
}

int do_iface_attach(struct osnicd *d, struct request *rq)
{
	const struct nlattr *ma = rq->m->tb[OSNIC_A_XDP_MODE];
	enum osnic_xdp_mode mode = ma ? mnl_attr_get_u32(ma) : OSNIC_XDP_MODE_AUTO;
	struct osnic_xdp_iface used;
	char name[IF_NAMESIZE];
	struct nlmsghdr *nlh;
	int ifindex;
	int err;

	err = require_admin(d, rq) ?: req_iface(rq, &ifindex, name);
	if (err)
		return err;
	if (mode > OSNIC_XDP_MODE_GENERIC)
		return osnic_nl_ext_set(&rq->ext, -EINVAL, rq->nlh, ma, 0, "unknown XDP mode %u",
					mode);
	err = osnic_xdp_attach(d->xdp, ifindex, mode, &used);
	if (err == -EEXIST)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "osnic runs on %s already",
					name);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					"attaching XDP to %s (mode %s): %s", name,
					osnic_xdp_mode_name(mode), strerror(-err));
	pr_info("interface %s: attached in %s mode (program id %u)", name,
		osnic_xdp_mode_name(used.mode), used.prog_id);
	nlh = reply_begin(d, rq, false);
	put_iface(d, nlh, name, &used);
	reply_end(d, rq);
	return 0;
}

int do_iface_detach(struct osnicd *d, struct request *rq)
{
	char name[IF_NAMESIZE];
	struct nlmsghdr *nlh;
	int ifindex;
	int err;

	err = require_admin(d, rq) ?: req_iface(rq, &ifindex, name);
	if (err)
		return err;
	err = osnic_xdp_detach(ifindex);
	if (err == -ENOENT)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "osnic does not run on %s",
					name);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "detaching from %s: %s", name,
					strerror(-err));
	pr_info("interface %s: detached", name);
	nlh = reply_begin(d, rq, false);
	put_str(d, nlh, OSNIC_A_IFNAME, name);
	put_u32(d, nlh, OSNIC_A_IFINDEX, ifindex);
	reply_end(d, rq);
	return 0;
}

int do_iface_dump(struct osnicd *d, struct request *rq)
{
	struct osnic_xdp_iface ifs[MAX_IFACES];
	char name[IF_NAMESIZE];
	int n, i;

	n = osnic_xdp_ifaces(ifs, MAX_IFACES);
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh;

		if (!if_indextoname(ifs[i].ifindex, name))
			continue;
		nlh = reply_begin(d, rq, true);
		put_iface(d, nlh, name, &ifs[i]);
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}

/* A nested attribute of n u64 counters, types 1..n. */
static void put_counters(struct osnicd *d, struct nlmsghdr *nlh, int type, const uint64_t *v,
			 unsigned int n)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, reply_room(d), type);
	unsigned int i;

	if (!nest)
		return;
	for (i = 0; i < n; i++)
		put_u64(d, nlh, i + 1, v[i]);
	mnl_attr_nest_end(nlh, nest);
}

int do_stats_get(struct osnicd *d, struct request *rq)
{
	uint64_t rx[OSNIC_RX__MAX] = { 0 };
	int rx_fd = map_fd(d, OSNIC_MAP_RX_COUNTERS);
	struct nlmsghdr *nlh;
	unsigned int n;
	uint32_t id;

	for (n = 0; n < OSNIC_RX__MAX; n++)
		if (osnic_percpu_sum(rx_fd, n, &rx[n], 1))
			break;
	nlh = reply_begin(d, rq, true);
	put_counters(d, nlh, OSNIC_A_RX_COUNTERS, rx, n);
	reply_end(d, rq);

	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		struct osnic_svc_stats st;

		if (!reg_service_used(&d->reg, id) || !may_see(d, rq, d->reg.services[id].app_id) ||
		    osnic_percpu_sum(map_fd(d, OSNIC_MAP_SVC_STATS), id, (uint64_t *)&st,
				     sizeof(st) / sizeof(uint64_t)))
			continue;
		nlh = reply_begin(d, rq, true);
		put_u32(d, nlh, OSNIC_A_SERVICE_ID, id);
		put_counters(d, nlh, OSNIC_A_SVC_STATS, (uint64_t *)&st,
			     sizeof(st) / sizeof(uint64_t));
		reply_end(d, rq);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		struct osnic_worker_stats st;

		if (!reg_worker_used(&d->reg, id) || !may_see(d, rq, d->reg.workers[id].app_id) ||
		    osnic_percpu_sum(map_fd(d, OSNIC_MAP_WORKER_STATS), id, (uint64_t *)&st,
				     sizeof(st) / sizeof(uint64_t)))
			continue;
		nlh = reply_begin(d, rq, true);
		put_u32(d, nlh, OSNIC_A_WORKER_ID, id);
		put_u32(d, nlh, OSNIC_A_SERVICE_ID, d->reg.workers[id].val.service_id);
		put_counters(d, nlh, OSNIC_A_WORKER_STATS, (uint64_t *)&st,
			     sizeof(st) / sizeof(uint64_t));
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}

int do_daemon_info(struct osnicd *d, struct request *rq)
{
	struct osnic_xdp_iface ifs[MAX_IFACES];
	struct nlmsghdr *nlh = reply_begin(d, rq, false);
	int n = osnic_xdp_ifaces(ifs, MAX_IFACES);
	struct nlattr *nest;

	put_str(d, nlh, OSNIC_A_VERSION, OSNIC_VERSION);
	put_u32(d, nlh, OSNIC_A_PID, getpid());
	put_str(d, nlh, OSNIC_A_PIN_DIR, OSNIC_PIN_DIR);
	put_u32(d, nlh, OSNIC_A_NAPPS, reg_napps(&d->reg));
	put_u32(d, nlh, OSNIC_A_NSERVICES, reg_nservices(&d->reg));
	put_u32(d, nlh, OSNIC_A_NWORKERS, reg_nworkers(&d->reg));
	put_u32(d, nlh, OSNIC_A_NIFACES, n < 0 ? 0 : n);
	put_u64(d, nlh, OSNIC_A_UPTIME, time(NULL) - d->started);
	put_u8(d, nlh, OSNIC_A_ADOPTED, d->adopted);
	nest = mnl_attr_nest_start_check(nlh, reply_room(d), OSNIC_A_QUOTA);
	if (nest) {
		put_u64(d, nlh, OSNIC_QUOTA_APPS, d->reg.quota.apps);
		put_u64(d, nlh, OSNIC_QUOTA_SERVICES, d->reg.quota.services);
		put_u64(d, nlh, OSNIC_QUOTA_WORKERS, d->reg.quota.workers);
		put_u64(d, nlh, OSNIC_QUOTA_RING_MB, d->reg.quota.ring_mb);
		mnl_attr_nest_end(nlh, nest);
	}
	put_u64(d, nlh, OSNIC_A_REQ_DROPPED, d->req_dropped);
	put_u32(d, nlh, OSNIC_A_NL_PORTID, d->nl_portid);
	reply_end(d, rq);
	return 0;
}
