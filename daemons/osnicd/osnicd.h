/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * osnicd's shared header: struct osnicd (the daemon's whole state, passed
 * to every function as d), the request a command handler answers, the
 * logging macros, and the functions one file of the daemon offers another.
 *
 * Files by responsibility: main.c (options, event loop, start and stop),
 * nlserver.c (netlink socket, replies, command table), cmd_app.c and
 * cmd_admin.c (the commands), maps.c (BPF maps in step with the registry),
 * linger.c (ports that lost their last service), sched.c (sched_ext or the
 * sched_switch feed), adopt.c (restart), proc.c (/proc and pidfds, who
 * is privileged), portid.c (the netlink port id and who squats it),
 * registry.c (the registry itself: pure logic, unit-tested).
 */
#ifndef OSNICD_H
#define OSNICD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include <osnic/abi.h>
#include <osnic/nl.h>

#include "loader.h"
#include "local_addrs.h"
#include "osnic_feed.skel.h"
#include "registry.h"
#include "sched_policy.h"

#ifndef OSNIC_VERSION
#define OSNIC_VERSION "0.1.0"
#endif

#define OWNERS_MAP	"osnicd_owners"
#define BATCH_LIMIT	16384	/* bytes per datagram; clients read OSNIC_NL_BUF_SIZE */
#define DEFAULT_LINGER_S 60
#define LINGER_CHECK_MS	500	/* how often lingering ports look for a socket */
#define SCHED_POLL_MS	200
#define THREAD_POLL_MS	250	/* /proc checks of worker threads without a pidfd */
#define MAX_IFACES	256
#define REQS_PER_DATAGRAM 64	/* requests answered per datagram; the rest dropped */
#define DATAGRAMS_PER_ROUND 16	/* then back to poll: deaths and signals come first */
#define FLOOD_LOG_S	10	/* at most one flood message per this many seconds */

/* ---- logging (main.c) ------------------------------------------------------ */

enum { LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_LIBBPF };
extern int log_level;

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- state ------------------------------------------------------------------ */

/* osnicd_owners: ARRAY [OSNIC_MAX_SERVICES], the owner of each service. */
struct owner_rec {
	__u32 pid;
	__u32 uid;
	__u32 gid;
	__u32 flags;		/* OWNER_F_* */
	__u64 start_time;	/* /proc/<pid>/stat field 22 */
};
#define OWNER_F_PRIVILEGED_PORTS (1U << 0)

struct osnicd {
	struct registry reg;
	/* Per worker id: a pidfd of its thread (PIDFD_THREAD), -1: polled in /proc. */
	int worker_pidfd[OSNIC_MAX_WORKERS];
	struct osnic_xdp_loader *xdp;
	struct local_addrs *laddrs;	/* keeps osnic_local_addrs equal to our addresses */
	int owners_fd;
	struct mnl_socket *nl;
	uint32_t nl_portid;		/* bound: OSNIC_NL_PORTID, else the published one */
	uint64_t req_dropped;		/* requests beyond REQS_PER_DATAGRAM */
	uint64_t req_dropped_logged;
	time_t flood_logged;		/* CLOCK_MONOTONIC seconds */
	int sigfd;
	time_t started;
	bool adopted;
	/* Processes whose application another removed: no second registration. */
	struct {
		uint32_t pid;
		uint64_t start_time;
	} removed[16];
	unsigned int nremoved;
	/* --admin-group: its members are admins as uid 0 is. */
	bool admin_group;
	uint32_t admin_gid;
	/* Ports whose last service went: still listed (d->reg.linger) for linger_s. */
	unsigned int linger_s;
	/* Scheduling: the osnic sched_ext scheduler, else the feed. */
	bool no_sched;			/* --no-sched */
	struct osnic_scheduler *sched;	/* loaded and attached, NULL if not */
	struct osnic_feed *feed;	/* loaded on first use */
	bool feed_attached;
	char sched_why[256];		/* why sched_ext is not in use */
	char sched_exit[1024];		/* how the scheduler last left the kernel */
	struct osnic_sched_stats sched_last;	/* its counters when it left */
	bool sched_ran;
	/* The last exit in parts: kind (0: none yet), the kernel's reason, message. */
	long long sched_exit_kind;
	char sched_exit_reason[OSNIC_SCHED_EXIT_REASON_LEN];
	char sched_exit_msg[OSNIC_SCHED_EXIT_MSG_LEN];
	struct sched_reload sched_reload;	/* reloads after error exits */
	struct mnl_nlmsg_batch *batch;
	char tx[2 * BATCH_LIMIT];
	char rx[OSNIC_NL_BUF_SIZE];
};

/* One request being answered. */
struct request {
	const struct nlmsghdr *nlh;
	const struct osnic_nl_msg *m;
	const struct ucred *cred;
	uint32_t portid;
	struct osnic_nl_ext ext;
	int *admin;		/* may_admin of the datagram's sender; -1 not asked yet */
};

/* ---- proc.c ------------------------------------------------------------------ */

struct proc_ident {
	uint64_t start_time;
	uint64_t cap_eff;
	bool own_userns;	/* in osnicd's user namespace */
};

int proc_start_time(uint32_t pid, uint64_t *start);
int proc_ident(const struct ucred *cred, struct proc_ident *id);
void proc_comm(uint32_t pid, char *buf, size_t len);
bool thread_alive(uint32_t pid, uint32_t tid);
bool caller_may(const struct osnicd *d, const struct ucred *cred, int cap);
bool may_admin(const struct osnicd *d, const struct ucred *cred);
bool rq_admin(const struct osnicd *d, struct request *rq);
uint32_t unpriv_port_start(void);
int pidfd_open(uint32_t pid);
int thread_pidfd_open(uint32_t tid);
int pidfile_write(void);
void pidfile_remove(void);

/* ---- portid.c: the netlink port id, published ------------------------------- */

int portid_bind(struct osnicd *d);
void portid_unpublish(struct osnicd *d);

/* ---- maps.c ------------------------------------------------------------------ */

int map_fd(struct osnicd *d, enum osnic_xdp_map_id id);
int map_put(struct osnicd *d, enum osnic_xdp_map_id id, const void *key, const void *val);
void map_del(struct osnicd *d, enum osnic_xdp_map_id id, const void *key);
int sync_maps(struct osnicd *d, const struct reg_changes *chg);
int sync_all(struct osnicd *d);

/* ---- linger.c ---------------------------------------------------------------- */

void linger_start(struct osnicd *d, __u32 port, __u32 uid);
bool linger_keep(struct osnicd *d, __u32 port);
void linger_cancel(struct osnicd *d, __u32 port);
int linger_expire(struct osnicd *d);

/* ---- ports.c: who holds a UDP port ------------------------------------------- */

struct port_sock {
	uint64_t inode;
	uint32_t uid;
	bool held;	/* by the process looked at */
};

/* The UDP sockets bound to port (IPv4 and IPv6): their number, or -errno. */
int port_sockets(uint16_t port, struct port_sock *out, int max);
/* app holds a socket bound to port and nobody else (but its uid's peers) does. */
int port_check_owner(struct osnicd *d, const struct reg_app *app, uint32_t port,
		     struct osnic_nl_ext *ext);

/* ---- nlserver.c: the socket, replies and attribute helpers -------------------- */

int nl_open(struct osnicd *d);
void nl_receive(struct osnicd *d);
struct nlmsghdr *reply_begin(struct osnicd *d, struct request *rq, bool multi);
size_t reply_room(struct osnicd *d);
void reply_end(struct osnicd *d, struct request *rq);
void reply_done(struct osnicd *d, struct request *rq);
uint32_t get_u32(const struct request *rq, int type, uint32_t dflt);
int blame(struct request *rq, int err);

/* Attribute put helpers that cannot overflow (the batch keeps 2x headroom). */
static inline void put_u8(struct osnicd *d, struct nlmsghdr *nlh, uint16_t type, uint8_t v)
{
	mnl_attr_put_u8_check(nlh, reply_room(d), type, v);
}

static inline void put_u16(struct osnicd *d, struct nlmsghdr *nlh, uint16_t type, uint16_t v)
{
	mnl_attr_put_u16_check(nlh, reply_room(d), type, v);
}

static inline void put_u32(struct osnicd *d, struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32_check(nlh, reply_room(d), type, v);
}

static inline void put_u64(struct osnicd *d, struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	mnl_attr_put_u64_check(nlh, reply_room(d), type, v);
}

static inline void put_str(struct osnicd *d, struct nlmsghdr *nlh, uint16_t type, const char *v)
{
	mnl_attr_put_strz_check(nlh, reply_room(d), type, v);
}

/* ---- the commands (cmd_app.c, cmd_admin.c, sched.c) ---------------------------- */

int app_add(struct osnicd *d, uint32_t pid, uint32_t uid, uint32_t gid,
	    const uint64_t *expect_start, const bool *privileged, uint32_t *app_id,
	    struct osnic_nl_ext *ext);
void app_remove(struct osnicd *d, struct reg_app *app, const char *why);
bool may_see(struct osnicd *d, struct request *rq, uint32_t app_id);
int worker_watch(struct osnicd *d, uint32_t worker_id);
void worker_unwatch(struct osnicd *d, uint32_t worker_id);
void worker_exited(struct osnicd *d, uint32_t worker_id);
bool workers_polled(const struct osnicd *d);
void workers_check(struct osnicd *d);

int do_app_register(struct osnicd *d, struct request *rq);
int do_app_deregister(struct osnicd *d, struct request *rq);
int do_service_add(struct osnicd *d, struct request *rq);
int do_service_del(struct osnicd *d, struct request *rq);
int do_service_dump(struct osnicd *d, struct request *rq);
int do_worker_add(struct osnicd *d, struct request *rq);
int do_worker_del(struct osnicd *d, struct request *rq);
int do_worker_dump(struct osnicd *d, struct request *rq);
int do_iface_attach(struct osnicd *d, struct request *rq);
int do_iface_detach(struct osnicd *d, struct request *rq);
int do_iface_dump(struct osnicd *d, struct request *rq);
int do_stats_get(struct osnicd *d, struct request *rq);
int do_daemon_info(struct osnicd *d, struct request *rq);
int do_sched_info(struct osnicd *d, struct request *rq);
int do_sched_set(struct osnicd *d, struct request *rq);

/* ---- sched.c ------------------------------------------------------------------- */

int sched_start(struct osnicd *d);
void sched_fallback(struct osnicd *d);
void sched_check(struct osnicd *d);
void sched_forget(struct osnicd *d);
bool sched_reload_planned(const struct osnicd *d);

/* ---- adopt.c ------------------------------------------------------------------- */

void adopt_state(struct osnicd *d, bool owners_reused);
void adopt_ifaces(struct osnicd *d);

#endif /* OSNICD_H */
