// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libosnic: the application and its services.
 *
 * osnic_init connects to osnicd and registers the process (osnicd watches
 * its pidfd and removes what it owned when it dies). osnic_register reserves
 * the service's UDP port with a socket of the SO_REUSEPORT group the
 * workers will join, tells osnicd (which fills the BPF maps XDP steers
 * with), and registers the port with rpcbind. Undoing goes in reverse.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osnic/ctl.h>

#include "internal.h"
#include "rpcbind.h"

void osnic__set_errmsg(struct osnic *ctx, const char *msg)
{
	snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", msg ? msg : "");
}

/* Called with ctl_lock held, after a failed request. */
static void ctl_errmsg(struct osnic *ctx)
{
	osnic__set_errmsg(ctx, osnic_ctl_errmsg(ctx->ctl));
}

const char *osnic_errmsg(const struct osnic *ctx)
{
	return ctx->errmsg;
}

int osnic_init(struct osnic **ctx)
{
	return osnic_init_opts(ctx, 0);
}

int osnic_init_opts(struct osnic **out, unsigned int flags)
{
	struct osnic *ctx;
	int err;

	if (!out || (flags & ~OSNIC_INIT_NO_DAEMON))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	pthread_mutex_init(&ctx->ctl_lock, NULL);
	pthread_rwlock_init(&ctx->svc_lock, NULL);

	if (!(flags & OSNIC_INIT_NO_DAEMON)) {
		err = osnic_ctl_open(&ctx->ctl);
		if (err)
			goto err_free;
		err = osnic_ctl_app_register(ctx->ctl, &ctx->app_id);
		if (err)
			goto err_close;
	}
	*out = ctx;
	return 0;

err_close:
	osnic_ctl_close(ctx->ctl);
err_free:
	pthread_rwlock_destroy(&ctx->svc_lock);
	pthread_mutex_destroy(&ctx->ctl_lock);
	free(ctx);
	return err;
}

void osnic_fini(struct osnic *ctx)
{
	if (!ctx)
		return;
	while (ctx->services)
		osnic_unregister(ctx->services);
	if (ctx->ctl) {
		osnic_ctl_app_deregister(ctx->ctl);
		osnic_ctl_close(ctx->ctl);
	}
	pthread_rwlock_destroy(&ctx->svc_lock);
	pthread_mutex_destroy(&ctx->ctl_lock);
	free(ctx);
}

/*
 * A UDP socket on port (0: any free one) in the service's SO_REUSEPORT
 * group. Dual stack (IPv6 with IPv4-mapped addresses) unless the kernel has
 * no IPv6. Asks for the destination address of each datagram so that
 * replies leave from the address the call was sent to.
 */
int osnic__svc_socket(int family, uint16_t port, uint16_t *bound_port, int *out_family)
{
	struct sockaddr_storage ss = {};
	socklen_t sslen = sizeof(ss);
	int one = 1, zero = 0;
	int fd = -1, err;

	if (family == AF_INET6) {
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 && errno != EAFNOSUPPORT)
			return -errno;
		if (fd >= 0 &&
		    (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))))
			goto fail;
	}
	if (fd < 0) {
		family = AF_INET;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	/* IPv4 datagrams on a dual-stack socket report IP_PKTINFO, not IPV6_PKTINFO. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto fail;

	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons(port);
		sslen = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen))
		goto fail;
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen))
		goto fail;
	if (bound_port)
		*bound_port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	if (out_family)
		*out_family = family;
	return fd;

fail:
	err = -errno;
	close(fd);
	return err;
}

static int svc_copy_procs(struct osnic_svc *svc, const struct osnic_service_def *def)
{
	size_t i;

	if (def->nprocs && !def->procs)
		return -EINVAL;
	svc->proc_mask = 1;	/* NULLPROC: always answered */
	for (i = 0; i < def->nprocs; i++) {
		const struct osnic_proc *p = &def->procs[i];

		if (p->proc >= OSNIC_MAX_PROCS || !p->handler || svc->procs[p->proc].handler)
			return -EINVAL;
		svc->procs[p->proc] = *p;
		svc->proc_mask |= 1ULL << p->proc;
	}
	return 0;
}

int osnic_register(struct osnic *ctx, const struct osnic_service_def *def,
		   struct osnic_svc **out)
{
	struct osnic_svc *svc;
	int err;

	if (!ctx || !def || !out)
		return -EINVAL;
	if (def->reply_max && (def->reply_max < OSNIC_RPC_MIN_REPLY ||
			       def->reply_max > OSNIC_REPLY_MAX_LIMIT))
		return -EINVAL;
	if (def->poll_us > OSNIC_POLL_US_MAX)
		return -EINVAL;
	osnic__set_errmsg(ctx, NULL);
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	svc->ctx = ctx;
	svc->prog = def->prog;
	svc->vers = def->vers;
	svc->data = def->data;
	svc->reply_max = def->reply_max ? def->reply_max : OSNIC_REPLY_MAX_DEFAULT;
	svc->no_gso = def->no_gso;
	svc->poll_ns = (uint64_t)def->poll_us * 1000;
	svc->port_fd = -1;
	pthread_mutex_init(&svc->workers_lock, NULL);
	err = svc_copy_procs(svc, def);
	if (err)
		goto err_free;

	/* Bound before service-add: osnicd registers a port only for its holder. */
	err = osnic__svc_socket(AF_INET6, def->port, &svc->port, &svc->family);
	if (err < 0)
		goto err_free;
	svc->port_fd = err;

	if (ctx->ctl) {
		struct osnic_ctl_service cs = {
			.prog = svc->prog,
			.vers = svc->vers,
			.port = svc->port,
			.procs = svc->proc_mask,
			.depth_lines = def->depth_lines,
			.flags = def->svc_flags,
		};

		pthread_mutex_lock(&ctx->ctl_lock);
		err = osnic_ctl_service_add(ctx->ctl, &cs, &svc->id);
		if (err)
			ctl_errmsg(ctx);
		pthread_mutex_unlock(&ctx->ctl_lock);
		if (err)
			goto err_close;
	}

	if (!def->no_rpcbind) {
		err = osnic__rpcbind_set(svc->prog, svc->vers, svc->port);
		if (err) {
			osnic__set_errmsg(ctx, "rpcbind registration (rpcb_set) failed: "
					       "is rpcbind running?");
			goto err_ctl;
		}
		svc->rpcbind_set = true;
	}

	pthread_rwlock_wrlock(&ctx->svc_lock);
	svc->next = ctx->services;
	ctx->services = svc;
	pthread_rwlock_unlock(&ctx->svc_lock);
	*out = svc;
	return 0;

err_ctl:
	if (svc->id) {
		pthread_mutex_lock(&ctx->ctl_lock);
		osnic_ctl_service_del(ctx->ctl, svc->id);
		pthread_mutex_unlock(&ctx->ctl_lock);
	}
err_close:
	close(svc->port_fd);
err_free:
	pthread_mutex_destroy(&svc->workers_lock);
	free(svc);
	return err;
}

int osnic_unregister(struct osnic_svc *svc)
{
	struct osnic *ctx;
	struct osnic_svc **pp;
	struct osnic_worker *w;
	int err = 0;

	if (!svc)
		return -EINVAL;
	ctx = svc->ctx;
	/* Unlink first: workers of other services stop dispatching to it. */
	pthread_rwlock_wrlock(&ctx->svc_lock);
	for (pp = &ctx->services; *pp; pp = &(*pp)->next) {
		if (*pp == svc) {
			*pp = svc->next;
			break;
		}
	}
	pthread_rwlock_unlock(&ctx->svc_lock);

	/* Stop all first so that they drain in parallel, then join each. */
	pthread_mutex_lock(&svc->workers_lock);
	for (w = svc->workers; w; w = w->next)
		osnic_worker_stop(w);
	pthread_mutex_unlock(&svc->workers_lock);
	for (;;) {
		pthread_mutex_lock(&svc->workers_lock);
		w = svc->workers;
		pthread_mutex_unlock(&svc->workers_lock);
		if (!w)
			break;
		osnic_worker_join(w);
	}

	if (svc->id) {
		pthread_mutex_lock(&ctx->ctl_lock);
		err = osnic_ctl_service_del(ctx->ctl, svc->id);
		if (err)
			ctl_errmsg(ctx);
		pthread_mutex_unlock(&ctx->ctl_lock);
	}
	if (svc->rpcbind_set)
		osnic__rpcbind_unset(svc->prog, svc->vers);
	if (svc->port_fd >= 0)
		close(svc->port_fd);
	pthread_mutex_destroy(&svc->workers_lock);
	free(svc);
	return err;
}

uint16_t osnic_svc_port(const struct osnic_svc *svc)
{
	return svc->port;
}

uint32_t osnic_svc_id(const struct osnic_svc *svc)
{
	return svc->id;
}
