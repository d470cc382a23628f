/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * osnic loader: opening, loading and attaching the osnic BPF objects.
 * Private to osnic's own programs (osnicd, osnic-sched, the VM tests):
 * applications use libosnic (include/osnic/), never this.
 *
 * Every function that can fail returns a negative errno (or NULL with errno
 * set); none prints unless asked to be verbose, and then only to stderr.
 */
#ifndef OSNIC_LOADER_H
#define OSNIC_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <osnic/sched.h>

/* ---- the sched_ext scheduler (loader/sched.c) ---------------------------- */

/* Where the kernel describes the running sched_ext scheduler. */
#define OSNIC_SCHED_SYSFS_DIR "/sys/kernel/sched_ext"

struct osnic_scheduler;
struct osnic_xdp_loader;

struct osnic_sched_opts {
	bool verbose; /* libbpf and loader messages on stderr */
	unsigned int timeout_ms; /* watchdog timeout; 0: the kernel's default */
	/*
	 * Where to look for the osnic maps the scheduler shares with XDP
	 * (osnic_services, osnic_workers, osnic_worker_tids, osnic_rings,
	 * osnic_worker_rx, osnic_worker_sched, osnic_svc_idle,
	 * osnic_svc_idle_cpu), pinned one file per map name.
	 * NULL: OSNIC_PIN_DIR; "": never reuse. A map pinned there is used
	 * instead of a new one; one that is not is created by the scheduler.
	 */
	const char *pin_dir;
	/*
	 * The owner of the shared maps (osnicd, with its XDP object's) can
	 * hand them over directly: called with each shared map's name before
	 * pin_dir is looked at, returns that map's fd (kept by the caller) or
	 * -1. Paths can mislead (another bpffs mounted over the pins); fds
	 * cannot.
	 */
	int (*shared_map_fd)(const char *name, void *ctx);
	void *shared_map_ctx;
	/*
	 * Simpler for that owner: its loaded XDP object, whose maps are
	 * shared before shared_map_fd and pin_dir are asked. NULL: none.
	 */
	const struct osnic_xdp_loader *xdp;
};

/* How many maps the scheduler shares with XDP (osnic_sched_reused_maps' most). */
unsigned int osnic_sched_nr_shared_maps(void);

/*
 * 0 if this kernel can run a sched_ext scheduler, else -EOPNOTSUPP with a
 * human reason in why (when why is not NULL).
 */
int osnic_sched_available(char *why, size_t len);

/*
 * The kernel's view: the contents of /sys/kernel/sched_ext/state
 * ("disabled", "enabling", "enabled", "disabling") and of root/ops (the
 * running scheduler's name, "" when there is none). Either buffer may be
 * NULL. Returns 0 or a negative errno when the state cannot be read.
 */
int osnic_sched_kernel_state(char *state, size_t state_len, char *ops, size_t ops_len);

/* Open the embedded object and load its programs into the kernel. */
struct osnic_scheduler *osnic_sched_load(const struct osnic_sched_opts *opts);

/*
 * Register the scheduler with sched_ext. When this returns 0 the kernel has
 * switched every normal task to it. -EBUSY when another scheduler runs;
 * -EALREADY while this one is attached (detach it first, also after the
 * kernel ejected it).
 */
int osnic_sched_attach(struct osnic_scheduler *s);

/*
 * Unregister the scheduler; the kernel moves every task back to the fair
 * class before this returns. The counters and exit info stay readable.
 */
void osnic_sched_detach(struct osnic_scheduler *s);

/* Detach if needed and free everything. NULL is allowed. */
void osnic_sched_destroy(struct osnic_scheduler *s);

/*
 * The fd of one of the scheduler's maps, by name (e.g. "osnic_worker_tids";
 * also its private ones). Owned by the scheduler: valid until destroy, not
 * to be closed. -ENOENT for an unknown name.
 */
int osnic_sched_map_fd(const struct osnic_scheduler *s, const char *name);

/* How many of the shared maps were reused from the pin directory at load. */
unsigned int osnic_sched_reused_maps(const struct osnic_scheduler *s);

/* A snapshot of the scheduler's counters. */
int osnic_sched_stats(const struct osnic_scheduler *s, struct osnic_sched_stats *stats);

/* True once the scheduler has left the kernel, for whatever reason. */
bool osnic_sched_exited(const struct osnic_scheduler *s);

/* Why it exited; -EAGAIN while it still runs. */
int osnic_sched_exit_info(const struct osnic_scheduler *s, struct osnic_sched_exit_info *info);

/* True if the kernel ejected the scheduler (kind >= OSNIC_SCHED_EXIT_ERROR). */
bool osnic_sched_exit_is_error(const struct osnic_sched_exit_info *info);

/* A name for an exit kind: "unregistered", "error in the scheduler", ... */
const char *osnic_sched_exit_kind_name(long long kind);

/*
 * ==== the XDP program, its maps and the worker rings (loader/xdp.c) ========
 * Owned by the control-plane side (osnicd); kept apart from the scheduler's
 * part above.
 *
 * Everything is pinned under OSNIC_PIN_DIR: one file per map (named as the
 * map), the program as osnic_xdp_rx, and osnicd's own state maps; each
 * worker's ring is pinned as OSNIC_RING_DIR/ring_<id> (not ring.<id>: bpffs
 * refuses dots in names), in a bpffs of osnicd's own that applications can
 * reach where /sys/fs/bpf is 0700. A later osnic_xdp_load() re-adopts the pinned
 * maps, so osnicd can restart without disturbing traffic; the XDP program
 * stays attached through libxdp's own pins until it is detached.
 */
#include <stdint.h>
#include <sys/types.h>

#include <osnic/nl.h>	/* enum osnic_xdp_mode */

#define OSNIC_BPFFS_DIR		"/sys/fs/bpf"
#define OSNIC_XDP_PROG_NAME	"osnic_xdp_rx"

/* The maps osnicd keeps or reads: each a field of the XDP skeleton (named here). */
enum osnic_xdp_map_id {
	OSNIC_MAP_LISTEN,	/* osnic_listen */
	OSNIC_MAP_SVC_INDEX,	/* osnic_svc_index */
	OSNIC_MAP_PROG_VERS,	/* osnic_prog_vers */
	OSNIC_MAP_LOCAL_ADDRS,	/* osnic_local_addrs */
	OSNIC_MAP_SERVICES,	/* osnic_services */
	OSNIC_MAP_WORKERS,	/* osnic_workers */
	OSNIC_MAP_RINGS,	/* osnic_rings */
	OSNIC_MAP_WORKER_SCHED,	/* osnic_worker_sched */
	OSNIC_MAP_RX_COUNTERS,	/* osnic_rx_counters */
	OSNIC_MAP_SVC_STATS,	/* osnic_svc_stats */
	OSNIC_MAP_WORKER_STATS,	/* osnic_worker_stats */
	OSNIC_MAP_WORKER_TIDS,	/* osnic_worker_tids */
	OSNIC_MAP_WORKER_RX,	/* osnic_worker_rx */
	OSNIC_MAP_SVC_IDLE,	/* osnic_svc_idle */
	OSNIC_MAP_SVC_IDLE_CPU,	/* osnic_svc_idle_cpu */
	OSNIC_MAP__MAX,
};

/*
 * The maps XDP shares with the scheduler and with the sched_switch feed
 * (bpf/maps_shared.h): a table of a skeleton's fields for them, each with
 * its id in the XDP object. Every one of those skeletons has these fields.
 */
struct bpf_map;

struct osnic_shared_map {
	struct bpf_map *map;	/* the skeleton's map */
	enum osnic_xdp_map_id id;
};

#define OSNIC_NR_SHARED_MAPS 8
#define OSNIC_SHARED_MAP_TABLE(skel)						\
	{									\
		{ (skel)->maps.osnic_services, OSNIC_MAP_SERVICES },		\
		{ (skel)->maps.osnic_workers, OSNIC_MAP_WORKERS },		\
		{ (skel)->maps.osnic_worker_tids, OSNIC_MAP_WORKER_TIDS },	\
		{ (skel)->maps.osnic_rings, OSNIC_MAP_RINGS },			\
		{ (skel)->maps.osnic_worker_rx, OSNIC_MAP_WORKER_RX },		\
		{ (skel)->maps.osnic_worker_sched, OSNIC_MAP_WORKER_SCHED },	\
		{ (skel)->maps.osnic_svc_idle, OSNIC_MAP_SVC_IDLE },		\
		{ (skel)->maps.osnic_svc_idle_cpu, OSNIC_MAP_SVC_IDLE_CPU },	\
	}

struct osnic_xdp_loader;

struct osnic_xdp_opts {
	bool verbose;		/* libbpf and libxdp messages on stderr */
};

/* An interface that runs the osnic XDP program. */
struct osnic_xdp_iface {
	int ifindex;
	enum osnic_xdp_mode mode;	/* native or generic */
	uint32_t prog_id;
};

/* Mount bpffs on dir unless it is there already (`ip netns exec` hides it). */
int osnic_bpffs_mount(const char *dir);

/*
 * Open and load osnic_xdp (its skeleton), re-adopting pinned maps, and pin
 * the maps and the program. NULL with errno set on failure.
 */
struct osnic_xdp_loader *osnic_xdp_load(const struct osnic_xdp_opts *opts);

/*
 * Free the loader. cleanup: also detach the program from every interface
 * and remove everything under OSNIC_PIN_DIR (maps, program, state) and the
 * rings under OSNIC_RING_DIR, which is unmounted.
 */
void osnic_xdp_unload(struct osnic_xdp_loader *l, bool cleanup);

/* True if load found pinned maps and reused them. */
bool osnic_xdp_adopted(const struct osnic_xdp_loader *l);

/* The map's fd (owned by the loader) and its name in the BPF object. */
int osnic_xdp_map_fd(const struct osnic_xdp_loader *l, enum osnic_xdp_map_id id);
const char *osnic_xdp_map_name(const struct osnic_xdp_loader *l, enum osnic_xdp_map_id id);

/*
 * Attach through libxdp (next to other XDP programs). mode AUTO tries
 * native, then generic; *used says which worked. -EEXIST if osnic runs on
 * the interface already.
 */
int osnic_xdp_attach(struct osnic_xdp_loader *l, int ifindex, enum osnic_xdp_mode mode,
		     struct osnic_xdp_iface *used);
/* Detach osnic's program (also one attached by an earlier osnicd): -ENOENT if none. */
int osnic_xdp_detach(int ifindex);
/* 0 and *out if osnic's program runs on ifindex, else -ENOENT. */
int osnic_xdp_query(int ifindex, struct osnic_xdp_iface *out);
/* The interfaces of this network namespace that run it; returns how many (<= max). */
int osnic_xdp_ifaces(struct osnic_xdp_iface *out, int max);
/*
 * 1 if the program attached there uses this loader's maps, 0 if it uses
 * others (left by an osnicd whose bpffs is gone), or a negative errno.
 */
int osnic_xdp_iface_current(const struct osnic_xdp_loader *l, const struct osnic_xdp_iface *i);

/*
 * A worker's ring: a BPF_MAP_TYPE_RINGBUF of ring_bytes (osnic_ring_bytes():
 * a power of 2 of at least a page, OSNIC_RING_BYTES at most), put in
 * osnic_rings at worker_id and pinned as OSNIC_RING_DIR/ring_<id>, owned by
 * uid:gid with mode 0600. path (may be NULL) receives the pin's path.
 */
int osnic_xdp_ring_create(struct osnic_xdp_loader *l, uint32_t worker_id, uint32_t ring_bytes,
			  uid_t uid, gid_t gid, char *path, size_t path_len);
/* The size of the pinned ring of worker_id, or a negative errno. */
int64_t osnic_xdp_ring_size(uint32_t worker_id);
/* Take the ring out of osnic_rings and remove its pin; missing parts are fine. */
int osnic_xdp_ring_destroy(struct osnic_xdp_loader *l, uint32_t worker_id);
int osnic_xdp_ring_path(uint32_t worker_id, char *path, size_t path_len);

/*
 * A map of user space's own (no BPF program uses it), pinned under
 * OSNIC_PIN_DIR/name: reused if a pin of the same shape exists, else
 * created. Returns its fd (the caller closes it) or a negative errno.
 */
int osnic_xdp_state_map(const char *name, uint32_t type, uint32_t key_size,
			uint32_t value_size, uint32_t max_entries, bool *reused);

/* Sum a per-CPU value of n u64 counters at key into sum[0..n-1]. */
int osnic_percpu_sum(int map_fd, uint32_t key, uint64_t *sum, size_t n);
/* ==== end of the XDP section ================================================ */

#endif /* OSNIC_LOADER_H */
