/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnic ABI: the layouts and limits shared by the BPF programs and user
 * space. This header is the single definition of every struct that crosses
 * that boundary; never redeclare one elsewhere.
 *
 * BPF code includes it after vmlinux.h (which provides the __u* types);
 * user space gets them from <linux/types.h>.
 */
#ifndef OSNIC_ABI_H
#define OSNIC_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Where osnicd pins its objects (one file per map, named as below). */
#define OSNIC_PIN_DIR "/sys/fs/bpf/osnic"
/*
 * osnicd's run-time directory (root's, 0755) and, mounted below it, a bpffs
 * of osnicd's own (0755) for the workers' rings: applications must reach
 * their ring even where /sys/fs/bpf is 0700 (systemd). The pid file tells
 * an application inside a user namespace which process osnicd is; one per
 * network namespace (the inode of /proc/self/ns/net), as osnicd is.
 */
#define OSNIC_RUN_DIR "/run/osnic"
#define OSNIC_RING_DIR OSNIC_RUN_DIR "/rings"
#define OSNIC_PID_FILE_FMT OSNIC_RUN_DIR "/osnicd-net%llu.pid"	/* "PID STARTTIME\n" */

/* ---- limits ---------------------------------------------------------------- */
/*
 * The id tables are sized to hold id 0 (none) too: OSNIC_MAX_SERVICES and
 * OSNIC_MAX_WORKERS are the entries of the maps indexed by id, and an id is
 * valid when 0 < id < that.
 */
#define OSNIC_MAX_SERVICES	1025	/* service ids 1..1024; 0 means none */
#define OSNIC_MAX_WORKERS	4097	/* worker ids 1..4096; 0 means none */
#define OSNIC_MAX_SVC_WORKERS	256	/* workers one service steers among (slots 0..255) */
#define OSNIC_MAX_PROCS		64	/* procedures 0..63 (a bit each) */
#define OSNIC_LINE		64	/* one ring line: a cache line */
#define OSNIC_MAX_LOCAL_ADDRS	4096	/* entries of osnic_local_addrs */

/*
 * Each worker's ring is a BPF ring buffer sized by its service's depth: the
 * smallest power of 2 that holds depth_lines lines and a page (the kernel's
 * rule for a ring buffer), OSNIC_RING_BYTES at most (the deepest service,
 * and the template osnic_rings is declared with). The kernel prefixes every record with an
 * 8-byte header; records are sized OSNIC_LINE * n - 8 so that header plus
 * record fill whole lines and every record starts on a line boundary. Line 0
 * is the header and the call descriptor; the XDR arguments start on line 1.
 */
#define OSNIC_RING_BYTES	(256 * 1024)
#define OSNIC_RING_MIN_BYTES	4096	/* the smallest page: the smallest ring */
#define OSNIC_RINGBUF_HDR	8
#define OSNIC_REC_SIZE(lines)	((lines) * OSNIC_LINE - OSNIC_RINGBUF_HDR)
#define OSNIC_ARGS_OFF		(OSNIC_LINE - OSNIC_RINGBUF_HDR)	/* 56 */
/*
 * The record size classes in lines, smallest first: the verifier needs
 * reserve sizes it knows, so a writer has one branch per class, generated
 * from this list (X(lines) per class). The largest is OSNIC_REC_MAX_LINES.
 */
#define OSNIC_REC_CLASS_LIST(X) X(2) X(4) X(8) X(16) X(24)
#define OSNIC_REC_MAX_LINES	24
/* Calls with more argument bytes go to the kernel (the service socket). */
#define OSNIC_MAX_INLINE_ARGS	(OSNIC_REC_SIZE(OSNIC_REC_MAX_LINES) - OSNIC_ARGS_OFF)

/*
 * Each class: the descriptor line and at least one line of arguments; the
 * kernel's 8-byte rounding of a record keeps it whole lines, so the next
 * one starts on a line; it fits an empty ring and the descriptor's __u16
 * `lines`; no class is above the largest.
 */
#define OSNIC__REC_CLASS_CHECK(n)                                                           \
	_Static_assert((n) >= 2 && (n) <= OSNIC_REC_MAX_LINES &&                            \
			       (OSNIC_REC_SIZE(n) + OSNIC_RINGBUF_HDR) % OSNIC_LINE == 0 && \
			       OSNIC_REC_SIZE(n) % 8 == 0 &&                                \
			       OSNIC_REC_SIZE(n) + OSNIC_RINGBUF_HDR <= OSNIC_RING_MIN_BYTES, \
		       "record size class " #n " breaks a ring invariant");
OSNIC_REC_CLASS_LIST(OSNIC__REC_CLASS_CHECK)
#undef OSNIC__REC_CLASS_CHECK

/*
 * The bytes of the ring of a worker of a service depth_lines deep, on a
 * machine with pages of page_size (a power of 2): the smallest power of 2
 * that is at least both. XDP stops choosing a worker at the depth; the
 * kernel keeps a ring a byte short of full, so where the depth is the
 * ring's whole size, the ring refuses the call that would fill it first.
 */
static inline __u32 osnic_ring_bytes(__u32 depth_lines, __u32 page_size)
{
	__u32 want = depth_lines * OSNIC_LINE, bytes = page_size ? page_size : OSNIC_RING_MIN_BYTES;

	if (depth_lines > OSNIC_RING_BYTES / OSNIC_LINE)
		want = OSNIC_RING_BYTES;
	while (bytes < want)
		bytes <<= 1;
	return bytes;
}

/* Strictly ascending, so the first class that holds a call is the smallest: */
#define OSNIC__REC_CLASS_ASC(n) < (n) && (n)
_Static_assert(0 OSNIC_REC_CLASS_LIST(OSNIC__REC_CLASS_ASC),
	       "OSNIC_REC_CLASS_LIST must be in ascending order");
#undef OSNIC__REC_CLASS_ASC
/* ... and the largest is a class. */
#define OSNIC__REC_CLASS_IS_MAX(n) || (n) == OSNIC_REC_MAX_LINES
_Static_assert(0 OSNIC_REC_CLASS_LIST(OSNIC__REC_CLASS_IS_MAX),
	       "OSNIC_REC_MAX_LINES must be the largest of OSNIC_REC_CLASS_LIST");
#undef OSNIC__REC_CLASS_IS_MAX
_Static_assert(OSNIC_MAX_INLINE_ARGS <= 0xffff, "arg_len is a __u16");

/* ---- ring record ------------------------------------------------------------ */
/*
 * The call descriptor: line 0 of a record, after the ring's own header.
 * Written by XDP only; read-only to the worker.
 */
struct osnic_call_desc {
	__u32 xid;		/* as on the wire (network order): echoed in the reply */
	__u32 proc;
	__u16 service_id;
	__u16 arg_len;		/* bytes of XDR arguments from OSNIC_ARGS_OFF */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 cred_flavor;	/* enum osnic_rpc_auth_flavor */
	__u16 client_port;	/* network order */
	__u8 client_addr[16];	/* IPv4: the first 4 bytes; network order */
	__u32 uid;		/* AUTH_SYS only, else 0 */
	__u32 gid;		/* AUTH_SYS only, else 0 */
	__u16 rx_cpu;		/* CPU that received the call */
	__u16 lines;		/* record size in lines (header included) */
	__u32 rx_ifindex;
	__u64 rx_ns;		/* bpf_ktime_get_ns() at receive */
};

/* ---- maps (written by osnicd unless said otherwise) -------------------------- */

/* osnic_listen: HASH, key __u32 UDP port (host order) -> this value. */
struct osnic_listen {
	__u32 nservices;
};

/* osnic_svc_index: HASH, this key -> __u32 service id. */
struct osnic_svc_key {
	__u32 port;		/* host order */
	__u32 prog;
	__u32 vers;
};

/* osnic_prog_vers: HASH, this key -> struct osnic_vers_range (PROG_MISMATCH). */
struct osnic_prog_key {
	__u32 port;
	__u32 prog;
};

struct osnic_vers_range {
	__u32 low;
	__u32 high;
};

/*
 * osnic_local_addrs: HASH [OSNIC_MAX_LOCAL_ADDRS], this key -> __u32 (the
 * index of an interface that holds the address; informational). The unicast
 * addresses of osnicd's network namespace, kept by osnicd from rtnetlink.
 * XDP takes a datagram on a served port only when its destination is one of
 * them; anything else (forwarded, bridged, broadcast, multicast) goes to
 * the kernel.
 */
struct osnic_local_addr_key {
	__u32 family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes, rest 0 */
};

/* Service flags */
#define OSNIC_SVC_F_SYSTEM_ERR_ON_FULL	(1U << 0) /* answer SYSTEM_ERR instead of dropping */
/*
 * Every procedure (any 32-bit number, NULLPROC included) is delivered and
 * procs is ignored: for servers that do not tell osnic their procedure set
 * (osnic-run) and answer PROC_UNAVAIL and NULLPROC themselves. Only
 * AUTH_NONE calls are delivered: a ring record keeps no more of a
 * credential than uid and gid, so calls with any other credential (or a
 * malformed one) go to the server's socket, where it decodes them whole.
 */
#define OSNIC_SVC_F_ALL_PROCS		(1U << 1)

/*
 * Map values are struct osnic_*_val, map keys struct osnic_*_key; the
 * application's handles (osnic.h) carry the plain names.
 *
 * osnic_services: ARRAY [OSNIC_MAX_SERVICES], indexed by service id.
 */
struct osnic_service_val {
	__u32 prog;
	__u32 vers;
	__u32 port;
	__u32 flags;
	__u64 procs;		/* bit n: procedure n is served (unless ALL_PROCS) */
	__u32 depth_lines;	/* per-worker ring depth limit, in lines */
	__u32 nworkers;
	/*
	 * Worker ids, workers[0, nworkers) in use. A worker keeps its slot
	 * (osnic_worker_val.svc_slot) until it leaves; then the last worker
	 * moves into the hole, so that only that one changes slot.
	 */
	__u32 workers[OSNIC_MAX_SVC_WORKERS];
	__u32 max_cpus;		/* CPUs its workers may hold at once; 0: no limit */
	__u32 reserved;		/* 0 */
};

/* osnic_workers: ARRAY [OSNIC_MAX_WORKERS], indexed by worker id. */
struct osnic_worker_val {
	__u32 service_id;	/* 0: slot unused */
	__u32 tid;		/* the worker thread (kernel tid) */
	__u32 owner_uid;
	__u32 generation;	/* bumped each time the slot is reused */
	__u32 svc_slot;		/* its index in the service's workers[] */
	__u32 reserved;		/* 0 */
};

/*
 * osnic_rings: ARRAY_OF_MAPS [OSNIC_MAX_WORKERS] of RINGBUF maps, indexed
 * by worker id, each of osnic_ring_bytes(its service's depth_lines) (the
 * kernel compares an inner ring's type and flags with the template's, not
 * its size). Each inner ring is pinned as
 * OSNIC_RING_DIR/ring_<id> (bpffs refuses dots in names), owned by the
 * application's uid, mode 0600.
 */

/*
 * osnic_worker_tids: HASH [OSNIC_MAX_WORKERS], key __u32 tid (the worker
 * thread's kernel tid) -> __u32 worker id. Written by osnicd when a worker is
 * created and deleted when it goes; the scheduler (and the sched_switch
 * fallback) recognise worker threads by it. An entry counts only while
 * osnic_workers[id].tid names the same thread.
 */

/*
 * osnic_worker_rx: ARRAY [OSNIC_MAX_WORKERS], indexed by worker id. Written
 * by XDP each time it delivers a call into the worker's ring; read by the
 * scheduler to wake the worker on the CPU that received its call.
 */
struct osnic_worker_rx {
	__u32 last_rx_cpu;	/* CPU that received the last delivered call */
	__u32 pad;
	__u64 last_rx_ns;	/* bpf_ktime_get_ns() of that delivery; 0: none yet */
};

/*
 * osnic_worker_sched: ARRAY [OSNIC_MAX_WORKERS], indexed by worker id.
 * Written by the scheduler (sched_ext, or the sched_switch tracepoint
 * program without it); read by XDP's steering.
 */
enum osnic_worker_state {
	OSNIC_WS_UNKNOWN = 0,
	OSNIC_WS_SLEEPING,	/* blocked: waiting on its ring */
	OSNIC_WS_RUNNABLE,	/* woken, waiting for a CPU */
	OSNIC_WS_RUNNING,
};

struct osnic_worker_sched {
	__u32 state;		/* enum osnic_worker_state */
	__u32 cpu;		/* last CPU it ran on */
	__u64 updated_ns;
};

/*
 * osnic_svc_idle: ARRAY [OSNIC_MAX_SERVICES], and osnic_svc_idle_cpu:
 * PERCPU_ARRAY [OSNIC_MAX_SERVICES], indexed by service id. Bit n (of
 * bits[n / 64]) is set while the worker in slot n of the service's
 * workers[] sleeps (osnic_svc_idle), and sleeps after running on that CPU
 * (osnic_svc_idle_cpu). Kept with osnic_worker_sched by the same writers;
 * XDP's steering takes a bit out of them when it wakes that worker with a
 * call. A hint like osnic_worker_sched: a bit may be stale, never trusted
 * without checking the slot's worker.
 */
#define OSNIC_SVC_IDLE_WORDS	(OSNIC_MAX_SVC_WORKERS / 64)

struct osnic_svc_idle {
	__u64 bits[OSNIC_SVC_IDLE_WORDS];
};

/* ---- counters ---------------------------------------------------------------- */

/*
 * Each list of counters is written once, as an X-macro: X(NAME, name) per
 * counter, in order. NAME makes the enum value or netlink attribute, name the
 * struct field and the name user space shows (lib/ctl.c). A counter is only
 * ever added at the end: the numbers are the netlink ABI.
 */

/*
 * Receive counters kept by the XDP program, one slot each in the per-CPU
 * array map `osnic_rx_counters` (enum osnic_rx_counter: OSNIC_RX_<NAME>).
 * User space sums the per-CPU values.
 */
/* clang-format off */
#define OSNIC_RX_COUNTER_LIST(X)						\
	X(PACKETS, packets)		/* every frame seen */			\
	X(NOT_IP, not_ip)		/* not IPv4/IPv6 (ARP, LLDP, ...): passed */ \
	X(NOT_UDP, not_udp)		/* IP but not UDP: passed */		\
	X(MALFORMED, malformed)		/* truncated or inconsistent L2-L4 headers: passed */ \
	X(FRAGMENT, fragment)		/* IP fragments: passed to the kernel to reassemble */ \
	X(UDP, udp)			/* well-formed UDP datagrams */		\
	X(NOT_LISTENED, not_listened)	/* UDP to a port osnic does not serve: passed */ \
	/* On a served port: */							\
	X(RPC_SHORT, rpc_short)		/* shorter than a call header: dropped */ \
	X(RPC_NOT_CALL, rpc_not_call)	/* msg_type is not CALL (a REPLY, garbage): dropped */ \
	X(RPC_BAD_AUTH, rpc_bad_auth)	/* credential or verifier malformed or too long: dropped */ \
	X(RPC_TOO_BIG, rpc_too_big)	/* arguments above OSNIC_MAX_INLINE_ARGS: passed */ \
	X(RPC_VERS_MISMATCH, rpc_vers_mismatch)	/* rpcvers != 2: RPC_MISMATCH sent */ \
	X(RPC_PROG_UNAVAIL, rpc_prog_unavail)	/* PROG_UNAVAIL sent */		\
	X(RPC_PROG_MISMATCH, rpc_prog_mismatch)	/* PROG_MISMATCH sent */	\
	X(RPC_PROC_UNAVAIL, rpc_proc_unavail)	/* PROC_UNAVAIL sent */		\
	X(RPC_NULLPROC, rpc_nullproc)		/* NULLPROC answered */		\
	X(RPC_DELIVERED, rpc_delivered)	/* written to a worker's ring */	\
	X(RPC_NO_WORKER, rpc_no_worker)	/* the service has no live worker: dropped (or SYSTEM_ERR) */ \
	X(RPC_RING_FULL, rpc_ring_full)	/* every worker at its depth, or the ring itself full: \
					 * dropped (or SYSTEM_ERR) */		\
	X(TX_ERROR, tx_error)		/* could not build a reply in place: dropped */ \
	X(RPC_AUTH_ERROR, rpc_auth_error)	/* credential flavor not served: AUTH_ERROR sent */ \
	X(NOT_LOCAL, not_local)		/* not to a local unicast address: passed */ \
	X(RPC_AUTH_PASS, rpc_auth_pass)	/* a credential other than AUTH_NONE, or a bad one, \
					 * for an ALL_PROCS service: passed, its server \
					 * judges it whole */
/* clang-format on */

#define OSNIC__RX_ENUM(NAME, name) OSNIC_RX_##NAME,
enum osnic_rx_counter {
	OSNIC_RX_COUNTER_LIST(OSNIC__RX_ENUM)
	OSNIC_RX__MAX,
};
#undef OSNIC__RX_ENUM

/* Fields of the struct a counter list makes: __u64 each, in list order. */
#define OSNIC__U64_FIELD(NAME, name) __u64 name;

/* osnic_svc_stats: PERCPU_ARRAY [OSNIC_MAX_SERVICES]; netlink OSNIC_SSTAT_<NAME>. */
/* clang-format off */
#define OSNIC_SVC_STAT_LIST(X)							\
	X(CALLS, calls)			/* calls for this service (any procedure) */ \
	X(DELIVERED, delivered)							\
	X(NULLPROC, nullproc)							\
	X(PROC_UNAVAIL, proc_unavail)						\
	X(DROP_NO_WORKER, drop_no_worker)					\
	X(DROP_RING_FULL, drop_ring_full)
/* clang-format on */

struct osnic_svc_stats {
	OSNIC_SVC_STAT_LIST(OSNIC__U64_FIELD)
};

/* osnic_worker_stats: PERCPU_ARRAY [OSNIC_MAX_WORKERS]; netlink OSNIC_WSTAT_<NAME>. */
/* clang-format off */
#define OSNIC_WORKER_STAT_LIST(X)						\
	X(DELIVERED, delivered)							\
	X(DELIVERED_IDLE, delivered_idle)	/* chosen because it was sleeping */ \
	X(BYTES, bytes)				/* argument bytes delivered */
/* clang-format on */

struct osnic_worker_stats {
	OSNIC_WORKER_STAT_LIST(OSNIC__U64_FIELD)
};

#endif /* OSNIC_ABI_H */
