// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The worker loop.
 *
 * Each worker thread owns a ring (calls XDP decoded and steered to it), a
 * UDP socket bound to the service's port in the service's SO_REUSEPORT
 * group (calls the kernel delivered), an eventfd that osnic_worker_stop()
 * writes, and an epoll set over all three.
 *
 *   loop:
 *     take up to OSNIC_BATCH committed records from the ring: no syscall;
 *     run each handler, its reply encoded into one of OSNIC_BATCH buffers;
 *     send all replies of the pass with one sendmmsg, those to one client
 *       joined into UDP GSO sends (lib/tx.c);
 *     release the ring space (one store for the whole pass) but for the
 *       last record, so that no wake-up is sent while we are awake;
 *     while the ring stays busy, look at the socket every OSNIC_SOCK_EVERY
 *       passes (recvmmsg, MSG_DONTWAIT) so it cannot starve;
 *     when the ring is empty after serving calls and the service has
 *       poll_us: watch it that long for a new record (ring_poll) before
 *       going on to sleep; the socket waits meanwhile;
 *     when the ring is empty: publish the consumer position, full barrier,
 *       check once more (osnic_ring_idle), then sleep in epoll_wait. The
 *       kernel wakes the ring's fd when a record is committed at the
 *       consumer position, i.e. only when we are (about to be) idle.
 *
 * A hand-rolled consumer rather than libbpf's ring_buffer__consume: the
 * record is served in place (zero-copy, no callback), a pass is bounded so
 * that replies can be batched into one sendmmsg, and the consumer position
 * is published once per pass instead of once per record, which both halves
 * the cache-line traffic with the producer and suppresses the wake-ups
 * XDP would otherwise send for records committed while we are busy.
 *
 * Without osnicd (OSNIC_INIT_NO_DAEMON) there is no ring and the same loop
 * serves the socket alone.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <osnic/ctl.h>

#include "internal.h"

enum { EV_RING = 1, EV_SOCK, EV_STOP };

static bool worker_stopping(const struct osnic_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

/*
 * A ring record names its client as AF_INET or AF_INET6; a dual-stack socket
 * sends to IPv4 clients through IPv4-mapped addresses. False if the socket
 * cannot reach the client (an IPv6 client, IPv4-only socket).
 */
static bool tx_fix_dest(const struct osnic_worker *w, struct sockaddr_storage *to,
			socklen_t *tolen)
{
	if (to->ss_family == AF_INET && w->svc->family == AF_INET6) {
		osnic__v4_mapped(to, tolen);
		return true;
	}
	return to->ss_family == w->svc->family;
}

/* One pass over the ring; returns the number of records taken. */
static int serve_ring(struct osnic_worker *w)
{
	struct osnic_svc *svc = w->svc;
	unsigned int handled = 0, nrep = 0;
	struct osnic_tx_slot *slot;
	const void *rec;
	socklen_t tolen;
	uint32_t len;
	ssize_t n;

	while (handled < OSNIC_BATCH && osnic__ring_take(&w->ring, &w->counters, &rec, &len)) {
		handled++;
		slot = &w->tx.slot[nrep];
		n = osnic_serve_record(svc, rec, len, &slot->to, &tolen, slot->buf, svc->reply_max,
				       &w->counters);
		if (n <= 0)
			continue;
		if (!tx_fix_dest(w, &slot->to, &tolen)) {
			CNT_INC(&w->counters, send_errors);
			continue;
		}
		osnic__tx_prepare(&w->tx, nrep++, n, tolen, 0);
	}
	if (handled) {
		CNT_INC(&w->counters, ring_batches);
		if (handled > w->counters.max_batch)
			__atomic_store_n(&w->counters.max_batch, handled, __ATOMIC_RELAXED);
	}
	if (nrep)
		osnic__tx_send(&w->tx, w->sock_fd, nrep, &w->counters);
	/*
	 * The records were read in place until here. The last one stays
	 * unreleased: the kernel then sends no wake-up for what comes while we
	 * are awake; osnic_ring_idle() releases it before we sleep.
	 */
	osnic_ring_release_busy(&w->ring);
	return handled;
}

/*
 * The reply's source address: the destination of the call, from its
 * IP_PKTINFO / IPV6_PKTINFO. Returns the control length to send, 0 if none.
 */
static size_t tx_pktinfo(struct osnic_tx_slot *slot, struct msghdr *rx)
{
	struct cmsghdr *cm, *out = (struct cmsghdr *)slot->ctrl.buf;

	for (cm = CMSG_FIRSTHDR(rx); cm; cm = CMSG_NXTHDR(rx, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo in, reply = {};

			memcpy(&in, CMSG_DATA(cm), sizeof(in));
			reply.ipi_spec_dst = in.ipi_spec_dst;
			out->cmsg_level = IPPROTO_IP;
			out->cmsg_type = IP_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(reply));
			memcpy(CMSG_DATA(out), &reply, sizeof(reply));
			return CMSG_SPACE(sizeof(reply));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo in, reply = {};

			memcpy(&in, CMSG_DATA(cm), sizeof(in));
			/* A multicast destination cannot be a source. */
			if (IN6_IS_ADDR_MULTICAST(&in.ipi6_addr))
				return 0;
			reply.ipi6_addr = in.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&in.ipi6_addr))
				reply.ipi6_ifindex = in.ipi6_ifindex;
			out->cmsg_level = IPPROTO_IPV6;
			out->cmsg_type = IPV6_PKTINFO;
			out->cmsg_len = CMSG_LEN(sizeof(reply));
			memcpy(CMSG_DATA(out), &reply, sizeof(reply));
			return CMSG_SPACE(sizeof(reply));
		}
	}
	return 0;
}

/*
 * Serve what the socket holds, at most rounds * OSNIC_RX_BATCH datagrams so
 * that the ring is not kept waiting. Never blocks.
 */
static void serve_socket(struct osnic_worker *w, int rounds)
{
	struct osnic_svc *svc = w->svc;
	unsigned int i, nrep;
	struct msghdr *mh;
	ssize_t len;
	int n;

	while (rounds-- > 0) {
		for (i = 0; i < OSNIC_RX_BATCH; i++) {
			mh = &w->rxmsg[i].msg_hdr;
			w->rx[i].iov.iov_base = w->rxbuf + (size_t)i * OSNIC_RX_MAX;
			w->rx[i].iov.iov_len = OSNIC_RX_MAX;
			memset(mh, 0, sizeof(*mh));
			mh->msg_name = &w->rx[i].from;
			mh->msg_namelen = sizeof(w->rx[i].from);
			mh->msg_iov = &w->rx[i].iov;
			mh->msg_iovlen = 1;
			mh->msg_control = w->rx[i].ctrl.buf;
			mh->msg_controllen = sizeof(w->rx[i].ctrl.buf);
		}
		n = recvmmsg(w->sock_fd, w->rxmsg, OSNIC_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		nrep = 0;
		for (i = 0; i < (unsigned int)n; i++) {
			mh = &w->rxmsg[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC || mh->msg_namelen > sizeof(w->rx[i].from)) {
				CNT_INC(&w->counters, sock_dropped);
				continue;
			}
			len = osnic_serve_datagram(svc, w->rx[i].iov.iov_base, w->rxmsg[i].msg_len,
						   mh->msg_name, mh->msg_namelen, w->tx.slot[nrep].buf,
						   svc->reply_max, &w->counters);
			if (len <= 0)
				continue;
			memcpy(&w->tx.slot[nrep].to, &w->rx[i].from, mh->msg_namelen);
			osnic__tx_prepare(&w->tx, nrep, len, mh->msg_namelen,
					  tx_pktinfo(&w->tx.slot[nrep], mh));
			nrep++;
		}
		if (nrep)
			osnic__tx_send(&w->tx, w->sock_fd, nrep, &w->counters);
		if (n < OSNIC_RX_BATCH)
			return;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * The service's poll_us: watch the empty ring for a committed record before
 * going to sleep. Only the producer's lines are read, nothing is written;
 * the clock (vDSO) is read every few rounds. True when a record came.
 */
static bool ring_poll(struct osnic_worker *w)
{
	uint64_t end = now_ns() + w->svc->poll_ns;
	unsigned int i = 0;

	while (!worker_stopping(w)) {
		if (osnic_ring_ready(&w->ring)) {
			CNT_INC(&w->counters, poll_hits);
			return true;
		}
		cpu_relax();
		if (++i % 16 == 0 && now_ns() >= end)
			break;
	}
	CNT_INC(&w->counters, poll_misses);
	return false;
}

static int worker_loop(struct osnic_worker *w)
{
	struct epoll_event ev[4];
	unsigned int busy = 0;
	uint64_t v;
	int i, n;

	while (!worker_stopping(w)) {
		if (w->ring_mapped) {
			if (serve_ring(w) > 0) {
				if (++busy % OSNIC_SOCK_EVERY == 0)
					serve_socket(w, 1);
				continue;
			}
			/* Only a ring that just served calls is watched. */
			if (busy && w->svc->poll_ns && ring_poll(w))
				continue;
			if (!osnic_ring_idle(&w->ring))
				continue;
		}
		busy = 0;
		n = epoll_wait(w->epoll_fd, ev, 4, OSNIC_POLL_TIMEOUT_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n) {
			CNT_INC(&w->counters, timeouts);
			continue;
		}
		CNT_INC(&w->counters, wakeups);
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u32) {
			case EV_SOCK:
				serve_socket(w, 4);
				break;
			case EV_STOP:
				if (read(w->stop_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					return -errno;
				break;
			case EV_RING:
			default:
				break;	/* the next pass takes it */
			}
		}
	}
	return 0;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Join osnicd and map the ring; from the worker thread (osnicd wants its tid). */
static int worker_attach(struct osnic_worker *w)
{
	struct osnic *ctx = w->svc->ctx;
	int err;

	pthread_mutex_lock(&ctx->ctl_lock);
	err = osnic_ctl_worker_add(ctx->ctl, w->svc->id, w->tid, &w->worker_id, w->ring_path,
				   sizeof(w->ring_path));
	if (err)
		osnic__set_errmsg(ctx, osnic_ctl_errmsg(ctx->ctl));
	pthread_mutex_unlock(&ctx->ctl_lock);
	if (err)
		return err;

	w->ring_fd = bpf_obj_get(w->ring_path);
	if (w->ring_fd < 0) {
		char msg[PATH_MAX + 256];

		err = -errno;
		snprintf(msg, sizeof(msg), "opening the ring %s as uid %u: %s%s", w->ring_path,
			 (unsigned int)geteuid(), strerror(-err),
			 err == -EACCES || err == -EPERM ?
				 " (the pin and every directory above it must let this uid in)" :
			 err == -ENOENT ?
				 " (not in this mount namespace? osnicd pins it in its own)" :
				 "");
		osnic__set_errmsg(ctx, msg);
		return err;
	}
	err = osnic_ring_map(&w->ring, w->ring_fd);
	if (err) {
		char msg[PATH_MAX + 256];

		snprintf(msg, sizeof(msg), "mapping the ring %s: %s", w->ring_path, strerror(-err));
		osnic__set_errmsg(ctx, msg);
		return err;
	}
	w->ring_mapped = true;
	return epoll_add(w->epoll_fd, w->ring_fd, EV_RING);
}

/*
 * Leave osnicd first, so that XDP stops steering calls here, then serve
 * what is already in the ring. A record XDP is writing at this very moment
 * (still BUSY) is not waited for: its client retries.
 */
static void worker_detach(struct osnic_worker *w)
{
	struct osnic *ctx = w->svc->ctx;

	if (w->worker_id) {
		pthread_mutex_lock(&ctx->ctl_lock);
		osnic_ctl_worker_del(ctx->ctl, w->worker_id);
		pthread_mutex_unlock(&ctx->ctl_lock);
		w->worker_id = 0;
	}
	if (w->ring_mapped) {
		while (serve_ring(w) > 0)
			;
		osnic_ring_release(&w->ring);
		osnic_ring_unmap(&w->ring);
		w->ring_mapped = false;
	}
	if (w->ring_fd >= 0) {
		close(w->ring_fd);
		w->ring_fd = -1;
	}
}

static void *worker_main(void *arg)
{
	struct osnic_worker *w = arg;
	int err = 0;

	w->tid = gettid();
	if (w->svc->ctx->ctl)
		err = worker_attach(w);
	w->start_err = err;
	if (err) {
		worker_detach(w);
		sem_post(&w->started);
		return NULL;
	}
	sem_post(&w->started);

	w->exit_err = worker_loop(w);
	worker_detach(w);
	return NULL;
}

void osnic__worker_free(struct osnic_worker *w)
{
	if (w->sock_fd >= 0)
		close(w->sock_fd);
	if (w->epoll_fd >= 0)
		close(w->epoll_fd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w->tx.slot[0].buf);
	free(w->rxbuf);
	sem_destroy(&w->started);
	free(w);
}

int osnic_worker_create(struct osnic_svc *svc, struct osnic_worker **out)
{
	struct osnic_worker *w;
	sigset_t all, old;
	bool took_port_fd = false;
	uint8_t *txbuf;
	unsigned int i;
	int err;

	if (!svc || !out)
		return -EINVAL;
	/* An earlier call's message (rpcbind, say) must not explain this one. */
	osnic__set_errmsg(svc->ctx, NULL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->svc = svc;
	w->tx.gso_seg_max = svc->no_gso ? 0 : OSNIC_GSO_SEG_MAX;
	w->ring_fd = w->sock_fd = w->epoll_fd = w->stop_fd = -1;
	sem_init(&w->started, 0, 0);

	txbuf = malloc((size_t)OSNIC_BATCH * svc->reply_max);
	w->rxbuf = malloc((size_t)OSNIC_RX_BATCH * OSNIC_RX_MAX);
	if (!txbuf || !w->rxbuf) {
		free(txbuf);
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < OSNIC_BATCH; i++)
		w->tx.slot[i].buf = txbuf + (size_t)i * svc->reply_max;

	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->stop_fd < 0 || w->epoll_fd < 0) {
		err = -errno;
		goto err_free;
	}

	/* The first worker adopts the socket that has held the port so far. */
	pthread_mutex_lock(&svc->workers_lock);
	if (svc->port_fd >= 0) {
		w->sock_fd = svc->port_fd;
		svc->port_fd = -1;
		took_port_fd = true;
	}
	pthread_mutex_unlock(&svc->workers_lock);
	if (w->sock_fd < 0) {
		err = osnic__svc_socket(svc->family, svc->port, NULL, NULL);
		if (err < 0)
			goto err_free;
		w->sock_fd = err;
	}
	err = epoll_add(w->epoll_fd, w->sock_fd, EV_SOCK);
	if (!err)
		err = epoll_add(w->epoll_fd, w->stop_fd, EV_STOP);
	if (err)
		goto err_sock;

	/* Library threads take none of the application's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto err_sock;
	while (sem_wait(&w->started) && errno == EINTR)
		;
	if (w->start_err) {
		err = w->start_err;
		pthread_join(w->thread, NULL);
		goto err_sock;
	}

	pthread_mutex_lock(&svc->workers_lock);
	w->next = svc->workers;
	svc->workers = w;
	pthread_mutex_unlock(&svc->workers_lock);
	*out = w;
	return 0;

err_sock:
	if (took_port_fd) {
		/* Give the port back so that it stays reserved for the service. */
		pthread_mutex_lock(&svc->workers_lock);
		if (svc->port_fd < 0) {
			svc->port_fd = w->sock_fd;
			w->sock_fd = -1;
		}
		pthread_mutex_unlock(&svc->workers_lock);
	}
err_free:
	osnic__worker_free(w);
	return err;
}

void osnic_worker_stop(struct osnic_worker *w)
{
	uint64_t one = 1;

	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	if (write(w->stop_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: a wake-up is pending anyway. */
	}
}

int osnic_worker_join(struct osnic_worker *w)
{
	struct osnic_svc *svc = w->svc;
	struct osnic_worker **pp;
	int err;

	osnic_worker_stop(w);
	pthread_join(w->thread, NULL);
	err = w->exit_err;

	pthread_mutex_lock(&svc->workers_lock);
	for (pp = &svc->workers; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&svc->workers_lock);
	osnic__worker_free(w);
	return err;
}

pid_t osnic_worker_tid(const struct osnic_worker *w)
{
	return w->tid;
}

uint32_t osnic_worker_id(const struct osnic_worker *w)
{
	return w->worker_id;
}

void osnic_worker_counters(const struct osnic_worker *w, struct osnic_worker_counters *c)
{
	const uint64_t *src = (const uint64_t *)&w->counters;
	uint64_t *dst = (uint64_t *)c;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
