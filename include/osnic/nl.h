/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnicd's control protocol.
 *
 * Transport: NETLINK_USERSOCK datagrams. osnicd binds its socket to the
 * well-known port id OSNIC_NL_PORTID (or, when another user holds that, to
 * one it publishes: OSNIC_NL_PORTID_DIR below); clients bind to an
 * automatic port id and connect() to osnicd's, so the kernel delivers them
 * only what osnicd sends. NETLINK_USERSOCK is per network namespace: osnicd and its
 * clients must share one. With no osnicd, a send fails with ECONNREFUSED.
 * Any user may bind any free port id, so the client also checks that
 * replies carry the credentials of uid 0.
 *
 * Message: struct nlmsghdr (type OSNIC_NL_TYPE), struct genlmsghdr (cmd, version
 * OSNIC_NL_VERSION), then TLV attributes (struct nlattr, libmnl).
 *
 * Requests and replies:
 *  - A request for a "do" command (add, del, register, attach, info) is
 *    answered by one message of the same command carrying the result
 *    attributes, or by NLMSG_ERROR.
 *  - A request for a dump command (*_DUMP, STATS_GET) is answered by zero or
 *    more NLM_F_MULTI messages of the same command, then NLMSG_DONE (payload:
 *    int 0); or by NLMSG_ERROR. The command decides; NLM_F_DUMP is optional.
 *  - If the request had NLM_F_ACK, a successful answer is followed by an ACK
 *    (NLMSG_ERROR with error 0).
 *  - Replies echo the request's nlmsg_seq; nlmsg_pid is the client's port id.
 *  - NLMSG_ERROR: struct nlmsgerr {negative errno, the request's header}
 *    (NLM_F_CAPPED: the request's payload is not echoed), then, with
 *    NLM_F_ACK_TLVS, the attributes of enum osnic_nl_err_attr: a message and,
 *    when one attribute of the request was at fault (malformed, missing,
 *    out of range, not allowed), its type and byte offset -- as the kernel's
 *    extended ACK does.
 *
 * Validation of requests (lib/nl.c, osnic_nl_parse_request): a truncated
 * message, a wrong type or version, an unknown command, a malformed or
 * truncated attribute, an attribute of unknown type or not allowed for the
 * command, a duplicate, a wrong payload size, a string without its NUL or too
 * long, or a missing required attribute are all rejected with EINVAL (the
 * unknown command with EOPNOTSUPP) before the daemon acts.
 *
 * Authentication and policy (osnicd): every request must arrive with
 * SCM_CREDENTIALS (osnicd sets SO_PASSCRED; messages without them are
 * rejected with EPERM). The credentials' pid is the application: one process
 * is one application. An admin is uid 0, a member of osnicd's
 * --admin-group, or a process with the capability named below in osnicd's
 * own user namespace (not in one the caller made).
 *  - APP_REGISTER, SERVICE_ADD, WORKER_ADD/DEL act for the sending process
 *    only; a service or worker of another application gives EPERM, as does
 *    a worker thread (TID) that is not a thread of the sending process.
 *  - SERVICE_DEL, and APP_DEREGISTER with APP_ID, remove a registration of
 *    the sender's uid, or any if the sender is an admin (CAP_NET_ADMIN);
 *    else EPERM. A process whose application another removed may not
 *    register again (EPERM).
 *  - SERVICE_ADD on a privileged port (below the network namespace's
 *    net.ipv4.ip_unprivileged_port_start, 1024 by default) needs an admin or
 *    CAP_NET_BIND_SERVICE (judged when the application registers): else
 *    EACCES. A port used by services of another uid gives EADDRINUSE.
 *  - IFACE_ATTACH/DETACH need an admin (CAP_NET_ADMIN): else EPERM.
 *  - SCHED_SET needs an admin (CAP_SYS_ADMIN): else EPERM.
 *  - SERVICE_DUMP, WORKER_DUMP and the per-service and per-worker part of
 *    STATS_GET show a non-admin the entries of its own uid only; the rest
 *    of STATS_GET, IFACE_DUMP, DAEMON_INFO and SCHED_INFO are open to all.
 *  - At most 64 requests of one datagram are answered; the first beyond
 *    gets ENOBUFS, the rest are dropped (counted: DAEMON_INFO REQ_DROPPED).
 */
#ifndef OSNIC_NL_H
#define OSNIC_NL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <osnic/abi.h>

/* osnicd's port id: above PID_MAX_LIMIT (so never a kernel-chosen port id). */
#define OSNIC_NL_PORTID		0x4f534e43U	/* "OSNC" */

/*
 * Where osnicd publishes the port id it is bound to: a file
 * OSNIC_NL_PORTID_DIR "/portid.<inode of the network namespace>" holding
 * the id ("0x4f534e43\n"), root-owned in a root-owned directory that only
 * root may write. osnicd writes it at every start: the well-known id, or,
 * when another user's process holds that one, the id the kernel chose.
 */
#define OSNIC_NL_PORTID_DIR	"/run/osnic"
#define OSNIC_NL_TYPE		0x4f53		/* the one nlmsg_type of the protocol */
#define OSNIC_NL_VERSION	1
#define OSNIC_NL_HDRLEN		(NLMSG_HDRLEN + GENL_HDRLEN)

/* Largest message osnicd sends in one datagram; clients read this much. */
#define OSNIC_NL_BUF_SIZE	32768

/* Commands; "->" lists the attributes of the answer. */
enum osnic_nl_cmd {
	OSNIC_CMD_UNSPEC,
	OSNIC_CMD_APP_REGISTER,		/* -> APP_ID PID UID */
	OSNIC_CMD_APP_DEREGISTER,	/* [APP_ID] -> APP_ID (APP_ID: another
					 *    application, see below) */
	OSNIC_CMD_SERVICE_ADD,		/* PROG VERS PORT PROCS [DEPTH] [FLAGS] -> SERVICE_ID */
	OSNIC_CMD_SERVICE_DEL,		/* SERVICE_ID -> SERVICE_ID */
	OSNIC_CMD_SERVICE_DUMP,		/* -> per service: SERVICE_ID APP_ID PID UID PROG VERS
					 *    PORT PROCS DEPTH FLAGS NWORKERS */
	OSNIC_CMD_WORKER_ADD,		/* SERVICE_ID TID -> WORKER_ID GENERATION RING_PATH */
	OSNIC_CMD_WORKER_DEL,		/* WORKER_ID -> WORKER_ID */
	OSNIC_CMD_WORKER_DUMP,		/* -> per worker: WORKER_ID SERVICE_ID APP_ID PID TID
					 *    UID GENERATION RING_PATH */
	OSNIC_CMD_IFACE_ATTACH,		/* IFNAME|IFINDEX [XDP_MODE]
					 *    -> IFNAME IFINDEX XDP_MODE PROG_ID */
	OSNIC_CMD_IFACE_DETACH,		/* IFNAME|IFINDEX -> IFNAME IFINDEX */
	OSNIC_CMD_IFACE_DUMP,		/* -> per interface: IFNAME IFINDEX XDP_MODE PROG_ID */
	OSNIC_CMD_STATS_GET,		/* -> RX_COUNTERS; per service SERVICE_ID SVC_STATS;
					 *    per worker WORKER_ID SERVICE_ID WORKER_STATS */
	OSNIC_CMD_DAEMON_INFO,		/* -> VERSION PID PIN_DIR NAPPS NSERVICES NWORKERS
					 *    NIFACES UPTIME ADOPTED QUOTA REQ_DROPPED NL_PORTID */
	OSNIC_CMD_SCHED_INFO,		/* -> SCHED_MODE [SCHED_WHY] SCHED_FEED [SCHED_EXIT
					 *    SCHED_EXIT_KIND SCHED_EXIT_REASON SCHED_EXIT_MSG]
					 *    SCHED_RELOADS [SCHED_RELOAD_IN] SCHED_GAVE_UP
					 *    [SCHED_STATS] */
	OSNIC_CMD_SCHED_SET,		/* SCHED_ENABLE -> as SCHED_INFO */
	__OSNIC_CMD_MAX,
};
#define OSNIC_CMD_MAX (__OSNIC_CMD_MAX - 1)

enum osnic_nl_attr {
	OSNIC_A_UNSPEC,
	OSNIC_A_APP_ID,		/* u32 */
	OSNIC_A_PID,		/* u32: the application's pid (osnicd's pid namespace) */
	OSNIC_A_UID,		/* u32 */
	OSNIC_A_SERVICE_ID,	/* u32: 1..OSNIC_MAX_SERVICES-1 */
	OSNIC_A_PROG,		/* u32: ONC RPC program */
	OSNIC_A_VERS,		/* u32: its version */
	OSNIC_A_PORT,		/* u16: UDP port, host order, not 0 */
	OSNIC_A_PROCS,		/* u64: bit n, procedure n is served */
	OSNIC_A_DEPTH,		/* u32: ring depth limit in lines; 0 = the default */
	OSNIC_A_FLAGS,		/* u32: OSNIC_SVC_F_* */
	OSNIC_A_NWORKERS,	/* u32 */
	OSNIC_A_WORKER_ID,	/* u32: 1..OSNIC_MAX_WORKERS-1 */
	OSNIC_A_TID,		/* u32: the worker thread */
	OSNIC_A_GENERATION,	/* u32: the worker slot's generation */
	OSNIC_A_RING_PATH,	/* string: the pinned ring buffer */
	OSNIC_A_IFNAME,		/* string: < IFNAMSIZ */
	OSNIC_A_IFINDEX,	/* u32 */
	OSNIC_A_XDP_MODE,	/* u32: enum osnic_xdp_mode */
	OSNIC_A_PROG_ID,	/* u32: the attached BPF program's id */
	OSNIC_A_RX_COUNTERS,	/* nested: type enum osnic_rx_counter + 1, u64 each */
	OSNIC_A_SVC_STATS,	/* nested: enum osnic_nl_svc_stat, u64 each */
	OSNIC_A_WORKER_STATS,	/* nested: enum osnic_nl_worker_stat, u64 each */
	OSNIC_A_VERSION,	/* string: osnicd's version */
	OSNIC_A_PIN_DIR,	/* string */
	OSNIC_A_NAPPS,		/* u32 */
	OSNIC_A_NSERVICES,	/* u32 */
	OSNIC_A_NIFACES,	/* u32 */
	OSNIC_A_UPTIME,		/* u64: seconds since osnicd started */
	OSNIC_A_ADOPTED,	/* u8: 1 if osnicd re-adopted pinned state when it started */
	OSNIC_A_WORKER_STATE,	/* u32: enum osnic_worker_state (abi.h) */
	OSNIC_A_WORKER_CPU,	/* u32: the CPU it last ran on */
	OSNIC_A_SCHED_MODE,	/* u32: enum osnic_sched_mode */
	OSNIC_A_SCHED_WHY,	/* string: why sched_ext is not in use (absent when it is) */
	OSNIC_A_SCHED_FEED,	/* u8: 1 if the sched_switch feed is attached */
	OSNIC_A_SCHED_EXIT,	/* string: how the osnic scheduler last left the kernel */
	OSNIC_A_SCHED_STATS,	/* nested: field n of struct osnic_sched_stats as type
				 * n + 1, u64 each (sched.h) */
	OSNIC_A_SCHED_ENABLE,	/* u8: 1 load the scheduler, 0 unload it (XDP-only) */
	OSNIC_A_QUOTA,		/* nested: enum osnic_nl_quota, u64 each (as every
				 * nest); UINT32_MAX is no limit (daemon info) */
	OSNIC_A_REQ_DROPPED,	/* u64: requests dropped unanswered (flood limits) */
	OSNIC_A_NL_PORTID,	/* u32: the netlink port id osnicd is bound to */
	/* The scheduler's last exit, in parts (SCHED_EXIT has them in one line). */
	OSNIC_A_SCHED_EXIT_KIND,	/* u32: OSNIC_SCHED_EXIT_* (sched.h); >= ERROR: ejected */
	OSNIC_A_SCHED_EXIT_REASON,	/* string: the kernel's reason for that kind */
	OSNIC_A_SCHED_EXIT_MSG,		/* string: the kernel's or the scheduler's message */
	/* osnicd reloads the scheduler after an error exit, with backoff. */
	OSNIC_A_SCHED_RELOADS,		/* u32: reloads that brought it back since osnicd started */
	OSNIC_A_SCHED_RELOAD_IN,	/* u32: ms until the next reload (absent: none planned) */
	OSNIC_A_SCHED_GAVE_UP,		/* u8: 1 if osnicd stopped reloading (too many errors);
					 * until SCHED_SET enables it */
	OSNIC_A_RING_BYTES,		/* u32: the size of a worker's ring (of a new one, for a
					 * service) */
	__OSNIC_A_MAX,
};
#define OSNIC_A_MAX (__OSNIC_A_MAX - 1)

/*
 * Inside OSNIC_A_SVC_STATS: the fields of struct osnic_svc_stats, type
 * OSNIC_SSTAT_<NAME> each (OSNIC_SVC_STAT_LIST, abi.h).
 */
#define OSNIC__SSTAT_ENUM(NAME, name) OSNIC_SSTAT_##NAME,
enum osnic_nl_svc_stat {
	OSNIC_SSTAT_UNSPEC,
	OSNIC_SVC_STAT_LIST(OSNIC__SSTAT_ENUM)
	__OSNIC_SSTAT_MAX,
};
#undef OSNIC__SSTAT_ENUM

/*
 * Inside OSNIC_A_WORKER_STATS: the fields of struct osnic_worker_stats, type
 * OSNIC_WSTAT_<NAME> each (OSNIC_WORKER_STAT_LIST, abi.h).
 */
#define OSNIC__WSTAT_ENUM(NAME, name) OSNIC_WSTAT_##NAME,
enum osnic_nl_worker_stat {
	OSNIC_WSTAT_UNSPEC,
	OSNIC_WORKER_STAT_LIST(OSNIC__WSTAT_ENUM)
	__OSNIC_WSTAT_MAX,
};
#undef OSNIC__WSTAT_ENUM

/* Inside OSNIC_A_QUOTA (u64 each): what one uid other than 0 may hold. */
enum osnic_nl_quota {
	OSNIC_QUOTA_UNSPEC,
	OSNIC_QUOTA_APPS,	/* applications */
	OSNIC_QUOTA_SERVICES,	/* services and lingering ports */
	OSNIC_QUOTA_WORKERS,	/* workers */
	OSNIC_QUOTA_RING_MB,	/* MiB of worker rings */
	__OSNIC_QUOTA_MAX,
};
#define OSNIC_QUOTA_MAX (__OSNIC_QUOTA_MAX - 1)

/* After struct nlmsgerr in NLMSG_ERROR (flag NLM_F_ACK_TLVS). */
enum osnic_nl_err_attr {
	OSNIC_ERRA_UNSPEC,
	OSNIC_ERRA_MSG,		/* string: what was wrong (as NLMSGERR_ATTR_MSG) */
	OSNIC_ERRA_OFFS,	/* u32: byte offset of the culprit (as NLMSGERR_ATTR_OFFS) */
	OSNIC_ERRA_ATTR,	/* u32: type of the attribute at fault (wrong or missing) */
	__OSNIC_ERRA_MAX,
};
#define OSNIC_ERRA_MAX (__OSNIC_ERRA_MAX - 1)

/*
 * Who keeps the workers' scheduling state (DESIGN.md, "Scheduling"):
 * SCHED_EXT, the osnic sched_ext scheduler runs; XDP_ONLY, the kernel's own
 * scheduler runs the workers and the sched_switch feed (bpf/osnic_feed.bpf.c)
 * keeps osnic_worker_sched. SCHED_SET needs uid 0 or CAP_SYS_ADMIN.
 */
enum osnic_sched_mode {
	OSNIC_SCHED_MODE_UNSPEC = 0,
	OSNIC_SCHED_MODE_XDP_ONLY,
	OSNIC_SCHED_MODE_SCHED_EXT,
};

enum osnic_xdp_mode {
	OSNIC_XDP_MODE_AUTO = 0,	/* native, else generic (requests only) */
	OSNIC_XDP_MODE_NATIVE,		/* the driver's XDP hook */
	OSNIC_XDP_MODE_GENERIC,		/* skb mode: any device, slower */
};

/* ---- message helpers (lib/nl.c), shared by osnicd and the client ------------ */

/* What was wrong with a message, as carried by an error reply. */
struct osnic_nl_ext {
	int err;		/* negative errno */
	uint16_t attr;		/* type of the attribute at fault, 0 if none */
	uint32_t offs;		/* its byte offset in the message, 0 if none */
	char msg[160];
};

/* A validated message: its headers and its attributes by type. */
struct osnic_nl_msg {
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *genl;
	const struct nlattr *tb[OSNIC_A_MAX + 1];
};

/*
 * Validate a request of len bytes (the rest of the datagram from nlh: a
 * message claiming more is truncated) against the command's attribute
 * policy. Returns 0, or a negative errno with ext filled in.
 */
int osnic_nl_parse_request(const struct nlmsghdr *nlh, size_t len,
			   struct osnic_nl_msg *m, struct osnic_nl_ext *ext);

/*
 * Validate a reply: as a request, but attributes of types this side does not
 * know are ignored (a newer osnicd may send more) and none is required.
 */
int osnic_nl_parse_reply(const struct nlmsghdr *nlh, size_t len,
			 struct osnic_nl_msg *m, struct osnic_nl_ext *ext);

/*
 * Read an NLMSG_ERROR message into ext (err, and message/attribute/offset
 * when present). Returns 0 or -EBADMSG if the message is malformed.
 */
int osnic_nl_parse_error(const struct nlmsghdr *nlh, size_t len,
			 struct osnic_nl_ext *ext);

struct ucred;

/* Who sent a datagram, as osnic_nl_recv() finds it. */
struct osnic_nl_sender {
	struct sockaddr_nl addr;
	const struct ucred *cred;	/* in ctrl; NULL: it came without credentials */
	int truncated;			/* larger than the buffer (MSG_TRUNC) */
	uint64_t ctrl[4];		/* room for one SCM_CREDENTIALS message */
};

/*
 * Receive one datagram on the netlink socket fd (with SO_PASSCRED) into buf
 * of len bytes: recvmsg() with flags, again when a signal interrupts it.
 * Returns its length and fills in s, or -1 with errno set.
 */
ssize_t osnic_nl_recv(int fd, void *buf, size_t len, int flags, struct osnic_nl_sender *s);

/* Start a message of the protocol in buf (at least OSNIC_NL_HDRLEN bytes). */
struct nlmsghdr *osnic_nl_put_header(void *buf, uint8_t cmd, uint16_t flags,
				     uint32_t seq, uint32_t portid);

/*
 * Build an error reply to req (of which only the header is used; NULL if it
 * could not be read) for the client at portid, in buf of size len. ext->err
 * 0 makes an ACK. Returns the message's length, or 0 if buf is too small.
 */
size_t osnic_nl_put_error(void *buf, size_t len, const struct nlmsghdr *req,
			  uint32_t portid, const struct osnic_nl_ext *ext);

/* Set ext; attr may be NULL. Returns ext->err (negative). */
int osnic_nl_ext_set(struct osnic_nl_ext *ext, int err, const struct nlmsghdr *nlh,
		     const struct nlattr *attr, uint16_t type, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * The port id osnicd published for the caller's network namespace, if the
 * file and its directory are root's (uid 0; in a user namespace that does
 * not map root, the overflow uid) and writable by nobody else; else
 * OSNIC_NL_PORTID. path (if not NULL, size OSNIC_NL_PORTID_PATH_MAX)
 * receives the file's name.
 */
#define OSNIC_NL_PORTID_PATH_MAX 64
uint32_t osnic_nl_daemon_portid(char *path);
int osnic_nl_portid_path(char *path);

/* "service-add", "port", ...: for messages; "?" when unknown. */
const char *osnic_nl_cmd_name(unsigned int cmd);
const char *osnic_nl_attr_name(unsigned int type);
const char *osnic_xdp_mode_name(enum osnic_xdp_mode mode);
/* "xdp-only", "sched_ext"; "?" when unknown. */
const char *osnic_sched_mode_name(enum osnic_sched_mode mode);
/* "sleeping", "runnable", "running", "unknown". */
const char *osnic_worker_state_name(unsigned int state);

#endif /* OSNIC_NL_H */
