// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registration with rpcbind through libtirpc's portmapper calls. They talk
 * to rpcbind over its Unix socket, which every network namespace of the
 * machine shares, so registering works from any namespace; remote clients
 * see the entry only in the namespace rpcbind itself runs in.
 *
 * Like rpcgen's generated servers, a stale entry (a previous instance that
 * died without unregistering) is removed before the new one is set:
 * rpcbind refuses to set an entry that exists.
 */
#include <errno.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <rpc/pmap_clnt.h>

#include "rpcbind.h"

int osnic__rpcbind_set(uint32_t prog, uint32_t vers, uint16_t port)
{
	pmap_unset(prog, vers);
	if (!pmap_set(prog, vers, IPPROTO_UDP, port))
		return -ENOTCONN;
	return 0;
}

void osnic__rpcbind_unset(uint32_t prog, uint32_t vers)
{
	pmap_unset(prog, vers);
}
