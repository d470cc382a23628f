// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lingering ports.
 *
 * When the last service of a port goes (its application died, or removed
 * it), the port stays in osnic_listen with nservices 0 for linger_s seconds,
 * so that XDP keeps answering calls to it with PROG_UNAVAIL instead of
 * handing them to a kernel where nobody listens. The registry keeps the
 * lingering ports (reg_linger_*), each charged to the uid whose service
 * left it.
 *
 * A linger ends early when
 *  - a new service takes the port (reg_service_add),
 *  - a live registration needs its place (the uid's quota or osnic_listen
 *    is full: reg_service_add evicts lingering ports),
 *  - the uid's quota is full when another of its ports starts to linger
 *    (the oldest goes), or
 *  - a UDP socket is bound to the port: the port has no service, so the
 *    socket is no osnic application's, and its owner gets the datagrams at
 *    once (linger_expire looks every LINGER_CHECK_MS).
 * Otherwise the deadline ends it, and then the port is the kernel's.
 */
#include <errno.h>
#include <time.h>

#include "osnicd.h"

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Whether LINGER_CHECK_MS passed since the last look for sockets: the loop
 * runs on every request, the sock_diag dumps only at this pace.
 */
static bool check_due(void)
{
	static int64_t last_ms;
	struct timespec ts;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (last_ms && ms - last_ms < LINGER_CHECK_MS)
		return false;
	last_ms = ms;
	return true;
}

/* Release a port to the kernel if nothing is served on it. */
static void linger_release(struct osnicd *d, __u32 port, const char *why)
{
	reg_linger_del(&d->reg, port);
	if (reg_port_nservices(&d->reg, port))
		return;
	map_del(d, OSNIC_MAP_LISTEN, &port);
	pr_debug("port %u released to the kernel: %s", port, why);
}

void linger_cancel(struct osnicd *d, __u32 port)
{
	reg_linger_del(&d->reg, port);
}

/* The port's last service (of uid) went: it lingers from now on, or goes now. */
void linger_start(struct osnicd *d, __u32 port, __u32 uid)
{
	struct osnic_listen none = { 0 };
	__u32 evicted = 0;
	bool fresh = reg_linger_find(&d->reg, port) < 0;
	int err = -ENOSPC;

	if (d->linger_s)
		err = reg_linger_add(&d->reg, port, uid, now_s() + d->linger_s, &evicted);
	if (evicted)
		linger_release(d, evicted, "its uid's quota needs the room");
	if (err) {
		linger_release(d, port,
			       err == -EDQUOT ? "its uid's quota is full" : "no lingering");
		return;
	}
	if (fresh)
		pr_debug("port %u lingers for %u s (uid %d)", port, d->linger_s, (int)uid);
	map_put(d, OSNIC_MAP_LISTEN, &port, &none);
}

/* At start, a listed port without services lingers (from now on) if it may. */
bool linger_keep(struct osnicd *d, __u32 port)
{
	if (!d->linger_s)
		return false;
	if (reg_linger_find(&d->reg, port) >= 0)
		return true;
	/* Whose service left it is not known: nobody's quota. */
	return reg_linger_add(&d->reg, port, REG_NO_UID, now_s() + d->linger_s, NULL) == 0;
}

/*
 * Release expired ports and those a socket is bound to; returns the poll
 * timeout to the next deadline or check.
 */
int linger_expire(struct osnicd *d)
{
	time_t now = now_s(), next = 0;
	bool look = d->reg.nlinger && check_due();
	unsigned int i = 0;

	while (i < d->reg.nlinger) {
		const struct reg_linger *l = &d->reg.linger[i];
		struct port_sock socks[1];

		if (l->until <= now) {
			linger_release(d, l->port, "the linger expired");
			continue;
		}
		if (look && port_sockets(l->port, socks, 1) > 0) {
			pr_info("port %u: a socket of uid %u is bound to it: the linger ends",
				l->port, socks[0].uid);
			linger_release(d, l->port, "a socket is bound to it");
			continue;
		}
		if (!next || l->until < next)
			next = l->until;
		i++;
	}
	if (!next)
		return -1;
	return (int)(next - now) * 1000 < LINGER_CHECK_MS ? (int)(next - now) * 1000 :
							    LINGER_CHECK_MS;
}
