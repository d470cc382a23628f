// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnic_local_addrs from rtnetlink (local_addrs.h).
 *
 * Two NETLINK_ROUTE sockets: one subscribed to the address groups, polled
 * by the daemon, and one for RTM_GETADDR dumps, read at once to the end.
 * The subscription comes first, so nothing that changes during a dump is
 * missed: the notifications queued meanwhile are applied after it, in
 * order, and the last one for an address says how it is.
 *
 * The table below has one entry per (interface, address), because the
 * same address may sit on two interfaces: the map holds a key while any
 * entry has it, and a deletion on one interface leaves it to the other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>
#include <libmnl/libmnl.h>

#include <osnic/abi.h>

#include "local_addrs.h"

#define LA_MAX		OSNIC_MAX_LOCAL_ADDRS
#define LA_BUF_SIZE	32768	/* a whole dump chunk (MNL_SOCKET_DUMP_SIZE) */
#define LA_RCVBUF	(1 << 20)
#define LA_DUMP_TRIES	4	/* dumps interrupted by changes are redone */

struct la_entry {
	int ifindex;
	struct osnic_local_addr_key key;
};

struct la_table {
	unsigned int n;
	bool full;		/* an address did not fit */
	struct la_entry e[LA_MAX];
};

struct local_addrs {
	struct local_addrs_opts o;
	struct mnl_socket *ev;		/* notifications */
	struct mnl_socket *dump;	/* RTM_GETADDR dumps */
	uint32_t seq;
	bool intr;			/* the current dump saw NLM_F_DUMP_INTR */
	bool warned_full;
	struct la_table *t;
	char buf[LA_BUF_SIZE];
};

#define la_warn(la, ...) (la)->o.log((la)->o.warn_level, __VA_ARGS__)
#define la_debug(la, ...) (la)->o.log((la)->o.debug_level, __VA_ARGS__)

static const char *key_str(const struct osnic_local_addr_key *k, char *buf, size_t len)
{
	if (!inet_ntop(k->family, k->addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- the table and the map ------------------------------------------------------- */

static int table_find(const struct la_table *t, int ifindex, const struct osnic_local_addr_key *k)
{
	for (unsigned int i = 0; i < t->n; i++)
		if ((ifindex < 0 || t->e[i].ifindex == ifindex) &&
		    !memcmp(&t->e[i].key, k, sizeof(*k)))
			return i;
	return -1;
}

/* Returns true if the entry is new. */
static bool table_add(struct la_table *t, int ifindex, const struct osnic_local_addr_key *k)
{
	if (table_find(t, ifindex, k) >= 0)
		return false;
	if (t->n >= LA_MAX) {
		t->full = true;
		return false;
	}
	t->e[t->n].ifindex = ifindex;
	t->e[t->n].key = *k;
	t->n++;
	return true;
}

static void map_put_key(struct local_addrs *la, int ifindex, const struct osnic_local_addr_key *k)
{
	__u32 val = ifindex;
	char s[INET6_ADDRSTRLEN];

	if (bpf_map_update_elem(la->o.map_fd, k, &val, BPF_ANY))
		la_warn(la, "local address %s: map update: %s", key_str(k, s, sizeof(s)),
			strerror(errno));
}

static void warn_full(struct local_addrs *la)
{
	if (!la->t->full || la->warned_full)
		return;
	la->warned_full = true;
	la_warn(la, "more than %d local addresses: XDP leaves traffic to the others "
		    "to the kernel", LA_MAX);
}

static void addr_added(struct local_addrs *la, int ifindex, const struct osnic_local_addr_key *k)
{
	char s[INET6_ADDRSTRLEN];

	if (!table_add(la->t, ifindex, k)) {
		warn_full(la);
		return;
	}
	map_put_key(la, ifindex, k);
	la_debug(la, "local address %s on interface %d: served", key_str(k, s, sizeof(s)),
		 ifindex);
}

static void addr_removed(struct local_addrs *la, int ifindex,
			 const struct osnic_local_addr_key *k)
{
	char s[INET6_ADDRSTRLEN];
	int i = table_find(la->t, ifindex, k);

	if (i < 0)
		return;
	la->t->e[i] = la->t->e[--la->t->n];
	la_debug(la, "local address %s on interface %d: gone", key_str(k, s, sizeof(s)),
		 ifindex);
	/* Still held by another interface? */
	if (table_find(la->t, -1, k) >= 0)
		return;
	if (bpf_map_delete_elem(la->o.map_fd, k) && errno != ENOENT)
		la_warn(la, "local address %s: map delete: %s", s, strerror(errno));
}

/* Make the map hold exactly the table's keys. */
static void map_reconcile(struct local_addrs *la)
{
	struct osnic_local_addr_key cur, next, *stale;
	unsigned int nstale = 0, pruned = 0, i;
	char s[INET6_ADDRSTRLEN];
	void *prev = NULL;

	stale = calloc(LA_MAX, sizeof(*stale));
	if (!stale) {
		la_warn(la, "local addresses: no memory to prune the map");
	} else {
		while (nstale < LA_MAX && !bpf_map_get_next_key(la->o.map_fd, prev, &next)) {
			if (table_find(la->t, -1, &next) < 0)
				stale[nstale++] = next;
			cur = next;
			prev = &cur;
		}
		for (i = 0; i < nstale; i++) {
			if (bpf_map_delete_elem(la->o.map_fd, &stale[i]) && errno != ENOENT) {
				la_warn(la, "local address %s: map delete: %s",
					key_str(&stale[i], s, sizeof(s)), strerror(errno));
				continue;
			}
			la_debug(la, "local address %s: no longer here, pruned",
				 key_str(&stale[i], s, sizeof(s)));
			pruned++;
		}
		free(stale);
	}
	for (i = 0; i < la->t->n; i++) {
		map_put_key(la, la->t->e[i].ifindex, &la->t->e[i].key);
		la_debug(la, "local address %s on interface %d: served",
			 key_str(&la->t->e[i].key, s, sizeof(s)), la->t->e[i].ifindex);
	}
	la_debug(la, "local addresses resynced: %u in the map, %u pruned", la->t->n, pruned);
}

/* ---- rtnetlink messages ------------------------------------------------------------- */

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static bool is_multicast(const struct osnic_local_addr_key *k)
{
	return k->family == AF_INET ? (k->addr[0] & 0xf0) == 0xe0 : k->addr[0] == 0xff;
}

/*
 * The address an RTM_NEWADDR/RTM_DELADDR message is about. Returns false
 * for messages that are not about a unicast address; *usable is false for
 * an IPv6 address that has not passed (or has failed) duplicate address
 * detection: the kernel does not take traffic for it either.
 */
static bool parse_addr(const struct nlmsghdr *nlh, int *ifindex,
		       struct osnic_local_addr_key *k, bool *usable)
{
	const struct nlattr *tb[IFA_MAX + 1] = {};
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	size_t alen;
	uint32_t flags;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return false;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else
		return false;
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb) < 0)
		return false;
	/* IFA_LOCAL is the local end when IFA_ADDRESS is a point-to-point peer. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return false;
	memset(k, 0, sizeof(*k));
	k->family = ifa->ifa_family;
	memcpy(k->addr, mnl_attr_get_payload(a), alen);
	if (is_multicast(k))
		return false;
	flags = tb[IFA_FLAGS] && mnl_attr_get_payload_len(tb[IFA_FLAGS]) == 4 ?
			mnl_attr_get_u32(tb[IFA_FLAGS]) :
			ifa->ifa_flags;
	*usable = !(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
	*ifindex = ifa->ifa_index;
	return true;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct local_addrs *la = data;
	struct osnic_local_addr_key k;
	bool usable;
	int ifindex;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		la->intr = true;
	if (nlh->nlmsg_type == RTM_NEWADDR && parse_addr(nlh, &ifindex, &k, &usable) && usable)
		table_add(la->t, ifindex, &k);
	return MNL_CB_OK;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct local_addrs *la = data;
	struct osnic_local_addr_key k;
	bool usable;
	int ifindex;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return MNL_CB_OK;
	if (!parse_addr(nlh, &ifindex, &k, &usable))
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_NEWADDR && usable)
		addr_added(la, ifindex, &k);
	else
		addr_removed(la, ifindex, &k);
	return MNL_CB_OK;
}

/* One RTM_GETADDR dump of every family into la->t. */
static int dump_once(struct local_addrs *la)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned int portid = mnl_socket_get_portid(la->dump);
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(la->buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++la->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	if (mnl_socket_sendto(la->dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	la->intr = false;
	la->t->n = 0;
	la->t->full = false;
	for (;;) {
		n = mnl_socket_recvfrom(la->dump, la->buf, sizeof(la->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(la->buf, n, la->seq, portid, dump_cb, la);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return la->intr ? -EAGAIN : 0;
	}
}

/* Replace the table with a fresh dump and bring the map in step. */
static int resync(struct local_addrs *la)
{
	struct la_table *old = la->t;
	int err = -EAGAIN, i;

	la->t = calloc(1, sizeof(*la->t));
	if (!la->t) {
		la->t = old;
		return -ENOMEM;
	}
	for (i = 0; i < LA_DUMP_TRIES && err == -EAGAIN; i++)
		err = dump_once(la);
	if (err) {
		free(la->t);
		la->t = old;
		return err;
	}
	free(old);
	la->warned_full = false;
	warn_full(la);
	map_reconcile(la);
	return 0;
}

/* ---- the interface ------------------------------------------------------------------ */

struct local_addrs *local_addrs_open(const struct local_addrs_opts *opts)
{
	int groups[] = { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR };
	struct local_addrs *la;
	int rcvbuf = LA_RCVBUF, err;
	unsigned int i;

	if (opts->map_fd < 0) {
		errno = EBADF;
		return NULL;
	}
	la = calloc(1, sizeof(*la));
	if (!la)
		return NULL;
	la->o = *opts;
	la->seq = time(NULL);
	la->t = calloc(1, sizeof(*la->t));
	if (!la->t)
		goto fail;
	la->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	la->dump = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!la->ev || !la->dump)
		goto fail;
	if (mnl_socket_bind(la->ev, 0, MNL_SOCKET_AUTOPID) ||
	    mnl_socket_bind(la->dump, 0, MNL_SOCKET_AUTOPID))
		goto fail;
	/* A larger queue makes overruns (and the dumps they cost) rarer. */
	setsockopt(mnl_socket_get_fd(la->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Subscribed before the dump: no change falls between the two. */
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(la->ev, NETLINK_ADD_MEMBERSHIP, &groups[i],
					  sizeof(groups[i])))
			goto fail;
	err = resync(la);
	if (err) {
		errno = -err;
		goto fail;
	}
	return la;
fail:
	err = errno;
	local_addrs_close(la);
	errno = err;
	return NULL;
}

int local_addrs_fd(const struct local_addrs *la)
{
	return la ? mnl_socket_get_fd(la->ev) : -1;
}

unsigned int local_addrs_count(const struct local_addrs *la)
{
	return la ? la->t->n : 0;
}

void local_addrs_event(struct local_addrs *la)
{
	bool lost = false;
	int err;

	if (!la)
		return;
	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		n = recvfrom(mnl_socket_get_fd(la->ev), la->buf, sizeof(la->buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = true;
				continue;
			}
			if (errno != EAGAIN)
				la_warn(la, "local addresses: netlink receive: %s",
					strerror(errno));
			break;
		}
		if (from.nl_pid != 0)
			continue;	/* only the kernel speaks for the addresses */
		if (mnl_cb_run(la->buf, n, 0, 0, event_cb, la) < 0)
			la_debug(la, "local addresses: bad notification: %s", strerror(errno));
	}
	if (!lost)
		return;
	la_debug(la, "local addresses: notifications were lost, dumping again");
	err = resync(la);
	if (err)
		la_warn(la, "local addresses: dump after an overrun: %s", strerror(-err));
}

void local_addrs_close(struct local_addrs *la)
{
	if (!la)
		return;
	if (la->ev)
		mnl_socket_close(la->ev);
	if (la->dump)
		mnl_socket_close(la->dump);
	free(la->t);
	free(la);
}
