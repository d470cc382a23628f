/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libosnic internals shared by lib/osnic.c (application and services),
 * lib/serve.c (one call to one reply) and lib/worker.c (the worker loop).
 */
#ifndef OSNIC_LIB_INTERNAL_H
#define OSNIC_LIB_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <limits.h>
#include <string.h>
#include <netinet/in.h>

#include <osnic/abi.h>
#include <osnic/osnic.h>
#include <osnic/ring.h>
#include <osnic/rpcmsg.h>

/* Smallest reply buffer: an accepted PROG_MISMATCH (header, low, high). */
#define OSNIC_RPC_MIN_REPLY	(OSNIC_RPC_ACCEPTED_HDR + 8)

struct osnic_ctl;

struct osnic {
	struct osnic_ctl *ctl;		/* NULL with OSNIC_INIT_NO_DAEMON */
	pthread_mutex_t ctl_lock;	/* one request at a time on ctl */
	/*
	 * The service list. Writers: register/unregister. Readers: workers
	 * serving a socket call for another service on their port.
	 */
	pthread_rwlock_t svc_lock;
	struct osnic_svc *services;
	uint32_t app_id;
	char errmsg[256];
};

struct osnic_svc {
	struct osnic *ctx;
	struct osnic_svc *next;
	uint32_t id;			/* osnicd's service id, 0 without it */
	uint32_t prog;
	uint32_t vers;
	uint16_t port;
	int family;			/* of its sockets: AF_INET6 (dual stack) or AF_INET */
	struct osnic_proc procs[OSNIC_MAX_PROCS];	/* by number; handler NULL: none */
	uint64_t proc_mask;
	/* When its handler is set: serves every procedure without its own (osnic-run). */
	struct osnic_proc any_proc;
	void *data;
	uint32_t reply_max;
	bool no_gso;
	uint64_t poll_ns;		/* watch an empty ring this long before sleeping */
	bool rpcbind_set;
	/*
	 * The socket that holds the port from registration on. The first
	 * worker takes it over: a socket nobody reads must not stay in the
	 * SO_REUSEPORT group, or the kernel would hash calls to it.
	 */
	int port_fd;
	pthread_mutex_t workers_lock;
	struct osnic_worker *workers;
};

/* Calls per pass over the ring, replies per sendmmsg. */
#define OSNIC_BATCH		32
/* Datagrams per recvmmsg on the socket, and the largest one. */
#define OSNIC_RX_BATCH		8
#define OSNIC_RX_MAX		65536
/* Passes over a busy ring between two looks at the socket. */
#define OSNIC_SOCK_EVERY	8
/* epoll_wait timeout: the loop comes back to check for stop. */
#define OSNIC_POLL_TIMEOUT_MS	1000

/*
 * Replies to one client that leave as one UDP GSO send (UDP_SEGMENT) are
 * at most this long each: 1500-byte MTU less IPv6 and UDP headers. A path
 * with a smaller MTU makes the kernel refuse the send (EMSGSIZE); the worker
 * then resends those replies one by one and lowers its own limit below them.
 */
#define OSNIC_GSO_SEG_MAX	1452

struct osnic_tx_slot {
	uint8_t *buf;			/* reply_max bytes */
	struct sockaddr_storage to;
	/* IPV6_PKTINFO / IP_PKTINFO: reply from the address the call came to. */
	union {
		char buf[64];
		struct cmsghdr align;
	} ctrl;
};

/* A pass's replies (lib/tx.c): prepared into slots, sent as messages. */
struct osnic_tx {
	struct osnic_tx_slot slot[OSNIC_BATCH];
	struct iovec iov[OSNIC_BATCH];		/* by slot; a GSO send spans several */
	struct mmsghdr msg[OSNIC_BATCH];
	uint8_t first[OSNIC_BATCH];		/* by message: its first slot */
	uint8_t segs[OSNIC_BATCH];		/* by message: replies it carries */
	uint16_t gso_seg_max;			/* longest reply sent by GSO; 0: none */
	int send_flags;				/* of every send: MSG_DONTWAIT, or 0 */
};

struct osnic_rx_slot {
	struct sockaddr_storage from;
	struct iovec iov;
	union {
		char buf[64];
		struct cmsghdr align;
	} ctrl;
};

struct osnic_worker {
	struct osnic_svc *svc;
	struct osnic_worker *next;
	pthread_t thread;
	pid_t tid;
	uint32_t worker_id;		/* osnicd's, 0 without it */
	char ring_path[PATH_MAX];
	int ring_fd;
	struct osnic_ring ring;
	bool ring_mapped;
	int sock_fd;
	int epoll_fd;
	int stop_fd;			/* eventfd: wakes the loop at once on stop */
	int stop;			/* atomic */
	int start_err;
	int exit_err;
	sem_t started;
	struct osnic_worker_counters counters;

	struct osnic_tx tx;
	uint8_t *rxbuf;			/* OSNIC_RX_BATCH * OSNIC_RX_MAX */
	struct osnic_rx_slot rx[OSNIC_RX_BATCH];
	struct mmsghdr rxmsg[OSNIC_RX_BATCH];
};

/*
 * Counters have one writer (the worker) and any number of readers: relaxed
 * atomic loads and stores, which compile to plain moves, not locked adds.
 */
#define CNT_ADD(c, field, n)                                                              \
	do {                                                                               \
		if (c)                                                                     \
			__atomic_store_n(&(c)->field,                                      \
					 __atomic_load_n(&(c)->field, __ATOMIC_RELAXED) + (n), \
					 __ATOMIC_RELAXED);                                \
	} while (0)
#define CNT_INC(c, field) CNT_ADD(c, field, 1)

/*
 * The next committed record of a ring: 1 with it in *rec, *len; 0 when the
 * ring has none, or lost its place (counted as ring_resync, and the ring is
 * skipped to its end).
 */
static inline int osnic__ring_take(struct osnic_ring *ring, struct osnic_worker_counters *c,
				   const void **rec, uint32_t *len)
{
	int rc = osnic_ring_next(ring, rec, len);

	if (rc < 0) {
		CNT_INC(c, ring_resync);
		osnic_ring_skip_all(ring);
	}
	return rc > 0;
}

/* An AF_INET address rewritten in place as its IPv4-mapped AF_INET6 one. */
static inline void osnic__v4_mapped(struct sockaddr_storage *to, socklen_t *tolen)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)to;

	memcpy(&s4, to, sizeof(s4));
	memset(s6, 0, sizeof(*s6));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = s4.sin_port;
	s6->sin6_addr.s6_addr[10] = 0xff;
	s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &s4.sin_addr, 4);
	*tolen = sizeof(*s6);
}

/* lib/osnic.c */
int osnic__svc_socket(int family, uint16_t port, uint16_t *bound_port, int *out_family);
void osnic__set_errmsg(struct osnic *ctx, const char *msg);

/* lib/tx.c */
/* Reply i: len bytes in slot i's buffer, to slot i's address, ctrl_len bytes of its control. */
void osnic__tx_prepare(struct osnic_tx *tx, unsigned int i, size_t len, socklen_t tolen,
		       size_t ctrl_len);
/* Send replies 0..n-1 on fd; counts replies, send_errors, gso_replies, gso_fallbacks. */
void osnic__tx_send(struct osnic_tx *tx, int fd, unsigned int n, struct osnic_worker_counters *c);

/* lib/worker.c */
void osnic__worker_free(struct osnic_worker *w);

#endif /* OSNIC_LIB_INTERNAL_H */
