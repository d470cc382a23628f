// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registration with rpcbind through libtirpc's rpcb_set/rpcb_unset. They
 * talk to rpcbind over its Unix socket, which every network namespace of
 * the machine shares, so registering works from any namespace; remote
 * clients see the entry only in the namespace rpcbind itself runs in.
 *
 * Only the "udp" entry is osnic's: the same program may be served over TCP
 * (or IPv6) by another transport of the same process, whose entries must
 * stay. pmap_unset would remove them all, so the netid is named.
 *
 * Like rpcgen's generated servers, a stale entry (a previous instance that
 * died without unregistering) is removed before the new one is set:
 * rpcbind refuses to set an entry that exists.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <rpc/rpc.h>

#include "rpcbind.h"

int osnic__rpcbind_set(uint32_t prog, uint32_t vers, uint16_t port)
{
	struct sockaddr_in sin;
	struct netconfig *nc;
	struct netbuf nb;
	bool_t ok;

	nc = getnetconfigent("udp");
	if (!nc)
		return -ENOENT;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	nb.buf = &sin;
	nb.len = nb.maxlen = sizeof(sin);
	rpcb_unset(prog, vers, nc);
	ok = rpcb_set(prog, vers, nc, &nb);
	freenetconfigent(nc);
	return ok ? 0 : -ENOTCONN;
}

void osnic__rpcbind_unset(uint32_t prog, uint32_t vers)
{
	struct netconfig *nc = getnetconfigent("udp");

	if (!nc)
		return;
	rpcb_unset(prog, vers, nc);
	freenetconfigent(nc);
}
