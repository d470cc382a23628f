/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps of the XDP receive path. Their key and value layouts live in
 * <osnic/abi.h>, because osnicd writes the tables, the scheduler writes
 * osnic_worker_sched and `osnicctl stats` reads the counters. The maps the
 * scheduler's objects use too (osnic_services, osnic_workers,
 * osnic_worker_tids, osnic_rings, osnic_worker_rx, osnic_worker_sched) are
 * defined once in maps_shared.h; the ones below are XDP's alone. Pinning is
 * the loader's business (it pins under OSNIC_PIN_DIR), so nothing here asks
 * libbpf to pin by name.
 *
 * The kernel keeps only 15 characters of a map's name (osnic_worker_stats
 * shows as "osnic_worker_st"); libbpf, skeletons and pin paths use the full
 * names below.
 */
#ifndef OSNIC_BPF_MAPS_H
#define OSNIC_BPF_MAPS_H

#include "bpf_defs.h"
#include "maps_shared.h"

/* ---- tables written by osnicd ---------------------------------------------- */

/* UDP ports (host order) that osnic serves; any other port is the kernel's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct osnic_listen);
} osnic_listen SEC(".maps");

/* (port, prog, vers) -> service id */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, struct osnic_svc_key);
	__type(value, __u32);
} osnic_svc_index SEC(".maps");

/* (port, prog) -> the registered version range, for PROG_MISMATCH */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, struct osnic_prog_key);
	__type(value, struct osnic_vers_range);
} osnic_prog_vers SEC(".maps");

/*
 * This host's unicast addresses (struct osnic_local_addr_key): a datagram on
 * a served port is osnic's only when addressed to one of them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OSNIC_MAX_LOCAL_ADDRS);
	__type(key, struct osnic_local_addr_key);
	__type(value, __u32);
} osnic_local_addrs SEC(".maps");

/*
 * Per service and per CPU: steering's memory of the worker this CPU last
 * gave one of the service's calls to (steer.h, step 3). XDP's own: nothing
 * else reads it, and a stale entry costs a check, never a wrong delivery.
 */
struct steer_last {
	__u32 slot1;		/* its slot plus one; 0 for none */
	__u32 until_lines;	/* kept while its ring holds fewer lines */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct steer_last);
} osnic_steer_last SEC(".maps");

/* ---- counters, written here; user space sums the per-CPU slots --------------- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_RX__MAX);
	__type(key, __u32);
	__type(value, __u64);
} osnic_rx_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct osnic_svc_stats);
} osnic_svc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OSNIC_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct osnic_worker_stats);
} osnic_worker_stats SEC(".maps");

static __always_inline void count_rx(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&osnic_rx_counters, &idx);

	if (v)
		*v += 1;
}

/* This CPU's statistics of a service; NULL only for an id out of range. */
static __always_inline struct osnic_svc_stats *svc_stats(__u32 svc_id)
{
	return bpf_map_lookup_elem(&osnic_svc_stats, &svc_id);
}

#endif /* OSNIC_BPF_MAPS_H */
