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
#define OSNIC_MAX_SERVICES	64	/* service ids 1..63; 0 means none */
#define OSNIC_MAX_WORKERS	256	/* worker ids 1..255; 0 means none */
#define OSNIC_MAX_SVC_WORKERS	16	/* workers one service steers among */
#define OSNIC_MAX_PROCS		64	/* procedures 0..63 (a bit each) */
#define OSNIC_LINE		64	/* one ring line: a cache line */

/*
 * Each worker's ring is a BPF ring buffer of OSNIC_RING_BYTES (a power of 2,
 * a multiple of the page size). The kernel prefixes every record with an
 * 8-byte header; records are sized OSNIC_LINE * n - 8 so that header plus
 * record fill whole lines and every record starts on a line boundary. Line 0
 * is the header and the call descriptor; the XDR arguments start on line 1.
 */
#define OSNIC_RING_BYTES	(256 * 1024)
#define OSNIC_RINGBUF_HDR	8
#define OSNIC_REC_SIZE(lines)	((lines) * OSNIC_LINE - OSNIC_RINGBUF_HDR)
#define OSNIC_ARGS_OFF		(OSNIC_LINE - OSNIC_RINGBUF_HDR)	/* 56 */
/* Size classes in lines (the verifier needs reserve sizes it knows). */
#define OSNIC_REC_CLASSES	{ 2, 4, 8, 16, 24 }
#define OSNIC_REC_MAX_LINES	24
/* Calls with more argument bytes go to the kernel (the service socket). */
#define OSNIC_MAX_INLINE_ARGS	(OSNIC_REC_SIZE(OSNIC_REC_MAX_LINES) - OSNIC_ARGS_OFF)

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
	__u8 cred_flavor;	/* enum rpc_auth_flavor */
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

/* Service flags */
#define OSNIC_SVC_F_SYSTEM_ERR_ON_FULL	(1U << 0) /* answer SYSTEM_ERR instead of dropping */

/* osnic_services: ARRAY [OSNIC_MAX_SERVICES], indexed by service id. */
struct osnic_service {
	__u32 prog;
	__u32 vers;
	__u32 port;
	__u32 flags;
	__u64 procs;		/* bit n: procedure n is served */
	__u32 depth_lines;	/* per-worker ring depth limit, in lines */
	__u32 nworkers;
	__u32 workers[OSNIC_MAX_SVC_WORKERS];	/* worker ids */
	__u32 max_cpus;		/* CPUs its workers may hold at once; 0: no limit */
	__u32 reserved;		/* 0 */
};

/* osnic_workers: ARRAY [OSNIC_MAX_WORKERS], indexed by worker id. */
struct osnic_worker {
	__u32 service_id;	/* 0: slot unused */
	__u32 tid;		/* the worker thread (kernel tid) */
	__u32 owner_uid;
	__u32 generation;	/* bumped each time the slot is reused */
};

/*
 * osnic_rings: ARRAY_OF_MAPS [OSNIC_MAX_WORKERS] of RINGBUF maps of
 * OSNIC_RING_BYTES, indexed by worker id. Each inner ring is pinned as
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

/* ---- counters ---------------------------------------------------------------- */

/*
 * Receive counters kept by the XDP program, one slot each in the per-CPU
 * array map `osnic_rx_counters`. User space sums the per-CPU values.
 */
enum osnic_rx_counter {
	OSNIC_RX_PACKETS = 0,	/* every frame seen */
	OSNIC_RX_NOT_IP,	/* not IPv4/IPv6 (ARP, LLDP, ...): passed */
	OSNIC_RX_NOT_UDP,	/* IP but not UDP: passed */
	OSNIC_RX_MALFORMED,	/* truncated or inconsistent L2-L4 headers: passed */
	OSNIC_RX_FRAGMENT,	/* IP fragments: passed to the kernel to reassemble */
	OSNIC_RX_UDP,		/* well-formed UDP datagrams */
	OSNIC_RX_NOT_LISTENED,	/* UDP to a port osnic does not serve: passed */
	/* On a served port: */
	OSNIC_RX_RPC_SHORT,	/* shorter than a call header: dropped */
	OSNIC_RX_RPC_NOT_CALL,	/* msg_type is not CALL (a REPLY, garbage): dropped */
	OSNIC_RX_RPC_BAD_AUTH,	/* credential or verifier malformed or too long: dropped */
	OSNIC_RX_RPC_TOO_BIG,	/* arguments above OSNIC_MAX_INLINE_ARGS: passed */
	OSNIC_RX_RPC_VERS_MISMATCH,	/* rpcvers != 2: RPC_MISMATCH sent */
	OSNIC_RX_RPC_PROG_UNAVAIL,	/* PROG_UNAVAIL sent */
	OSNIC_RX_RPC_PROG_MISMATCH,	/* PROG_MISMATCH sent */
	OSNIC_RX_RPC_PROC_UNAVAIL,	/* PROC_UNAVAIL sent */
	OSNIC_RX_RPC_NULLPROC,		/* NULLPROC answered */
	OSNIC_RX_RPC_DELIVERED,	/* written to a worker's ring */
	OSNIC_RX_RPC_NO_WORKER,	/* the service has no live worker: dropped (or SYSTEM_ERR) */
	OSNIC_RX_RPC_RING_FULL,	/* every worker at its depth, or the ring itself full:
				 * dropped (or SYSTEM_ERR) */
	OSNIC_RX_TX_ERROR,	/* could not build a reply in place: dropped */
	OSNIC_RX_RPC_AUTH_ERROR,	/* credential flavor not served: AUTH_ERROR sent */
	OSNIC_RX__MAX,
};

/* osnic_svc_stats: PERCPU_ARRAY [OSNIC_MAX_SERVICES] */
struct osnic_svc_stats {
	__u64 calls;		/* calls for this service (any procedure) */
	__u64 delivered;
	__u64 nullproc;
	__u64 proc_unavail;
	__u64 drop_no_worker;
	__u64 drop_ring_full;
};

/* osnic_worker_stats: PERCPU_ARRAY [OSNIC_MAX_WORKERS] */
struct osnic_worker_stats {
	__u64 delivered;
	__u64 delivered_idle;	/* chosen because it was sleeping */
	__u64 bytes;		/* argument bytes delivered */
};

#endif /* OSNIC_ABI_H */
