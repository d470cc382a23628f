// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lingering ports.
 *
 * When the last service of a port goes (its application died, or removed
 * it), the port stays in osnic_listen with nservices 0 for linger_s seconds,
 * so that XDP keeps answering calls to it with PROG_UNAVAIL instead of
 * handing them to a kernel where nobody listens. A new service on the port
 * ends the linger; so does the deadline, and then the port is the kernel's.
 */
#include <time.h>

#include "osnicd.h"

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int linger_find(struct osnicd *d, __u32 port)
{
	unsigned int i;

	for (i = 0; i < d->nlinger; i++)
		if (d->linger[i].port == port)
			return i;
	return -1;
}

void linger_cancel(struct osnicd *d, __u32 port)
{
	int i = linger_find(d, port);

	if (i >= 0)
		d->linger[i] = d->linger[--d->nlinger];
}

/*
 * The capacity rule, in one place: a port lingers only if lingering is on
 * and there is a slot for it. Returns its slot (a new one is added, with
 * *fresh set and no deadline yet), or -1 if it may not linger.
 */
static int linger_slot(struct osnicd *d, __u32 port, bool *fresh)
{
	int i = linger_find(d, port);

	*fresh = i < 0;
	if (!d->linger_s || (i < 0 && d->nlinger == OSNIC_MAX_SERVICES))
		return -1;
	if (i < 0) {
		i = d->nlinger++;
		d->linger[i].port = port;
	}
	return i;
}

/* The port's last service went: it lingers from now on, or goes now. */
void linger_start(struct osnicd *d, __u32 port)
{
	struct osnic_listen none = { 0 };
	bool fresh;
	int i = linger_slot(d, port, &fresh);

	if (i < 0) {
		linger_cancel(d, port);
		map_del(d, OSNIC_MAP_LISTEN, &port);
		return;
	}
	if (fresh)
		pr_debug("port %u lingers for %u s", port, d->linger_s);
	d->linger[i].until = now_s() + d->linger_s;
	map_put(d, OSNIC_MAP_LISTEN, &port, &none);
}

/* At start, a listed port without services lingers (from now on) if it may. */
bool linger_keep(struct osnicd *d, __u32 port)
{
	bool fresh;
	int i = linger_slot(d, port, &fresh);

	if (i < 0)
		return false;
	if (fresh)
		d->linger[i].until = now_s() + d->linger_s;
	return true;
}

/* Release expired ports; returns the poll timeout to the next deadline. */
int linger_expire(struct osnicd *d)
{
	time_t now = now_s(), next = 0;
	unsigned int i = 0;

	while (i < d->nlinger) {
		__u32 port = d->linger[i].port;

		if (d->linger[i].until > now) {
			if (!next || d->linger[i].until < next)
				next = d->linger[i].until;
			i++;
			continue;
		}
		linger_cancel(d, port);
		if (!reg_port_nservices(&d->reg, port)) {
			map_del(d, OSNIC_MAP_LISTEN, &port);
			pr_debug("port %u released to the kernel", port);
		}
	}
	return next ? (int)(next - now) * 1000 : -1;
}
