// SPDX-License-Identifier: GPL-2.0-only
/*
 * Restart: the maps stay pinned, the program stays attached through
 * libxdp's pins, so traffic goes on while osnicd is away. A new osnicd
 * reuses the pinned maps and rebuilds its registry from them and from its
 * own pinned map osnicd_owners (the owner process of each service, with its
 * start time so that a reused pid is not mistaken for it); services whose
 * owner is gone are removed. The rings stay pinned under OSNIC_RING_DIR
 * (a bpffs that stays mounted) and come back with their workers.
 * --cleanup makes the stop remove all of it and unmount the rings' bpffs.
 */
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "osnicd.h"

/*
 * Rebuild the registry from the pinned maps: each service whose owner
 * process still runs (same pid, same start time) comes back with the
 * workers whose threads still run; the rest is wiped by sync_all().
 */
void adopt_state(struct osnicd *d, bool owners_reused)
{
	int svc_fd = map_fd(d, OSNIC_MAP_SERVICES), w_fd = map_fd(d, OSNIC_MAP_WORKERS);
	unsigned int nsvc = 0, nw = 0;
	uint32_t sid, slot;

	if (!osnic_xdp_adopted(d->xdp))
		return;
	/* Generations go on counting from where the maps are, for every slot. */
	for (slot = 1; slot < OSNIC_MAX_WORKERS; slot++) {
		struct osnic_worker_val wv;

		if (!bpf_map_lookup_elem(w_fd, &slot, &wv))
			d->reg.workers[slot].val.generation = wv.generation;
	}
	if (!owners_reused) {
		pr_warn("pinned maps but no %s: their services have no known owner, removing them",
			OWNERS_MAP);
		return;
	}
	/* What ran before is taken back as it was, over quota or not. */
	d->reg.quota_off = true;
	for (sid = 1; sid < OSNIC_MAX_SERVICES; sid++) {
		struct osnic_service_val sv;
		struct owner_rec o;
		struct reg_app *app;
		uint32_t app_id, i;
		bool priv;

		if (bpf_map_lookup_elem(svc_fd, &sid, &sv) || !sv.port ||
		    bpf_map_lookup_elem(d->owners_fd, &sid, &o) || !o.pid)
			continue;
		app = reg_app_by_pid(&d->reg, o.pid);
		if (!app) {
			struct osnic_nl_ext ext;
			uint64_t start = o.start_time;

			priv = o.flags & OWNER_F_PRIVILEGED_PORTS;
			if (app_add(d, o.pid, o.uid, o.gid, &start, &priv, &app_id, &ext)) {
				pr_info("service %u: owner pid %u is gone, removing it", sid,
					o.pid);
				continue;
			}
			app = reg_app_by_id(&d->reg, app_id);
		}
		if (reg_service_adopt(&d->reg, app->id, sid, &sv, NULL)) {
			pr_warn("service %u: inconsistent pinned state, removing it", sid);
			continue;
		}
		nsvc++;
		for (i = 0; i < sv.nworkers && i < OSNIC_MAX_SVC_WORKERS; i++) {
			uint32_t wid = sv.workers[i];
			struct osnic_worker_val wv;
			char path[128];
			int64_t ring;

			if (!wid || wid >= OSNIC_MAX_WORKERS ||
			    bpf_map_lookup_elem(w_fd, &wid, &wv) || wv.service_id != sid ||
			    !thread_alive(app->pid, wv.tid) ||
			    osnic_xdp_ring_path(wid, path, sizeof(path)) || access(path, F_OK) ||
			    reg_worker_adopt(&d->reg, wid, &wv, NULL))
				continue;
			/* Its ring as it is (an earlier osnicd may have sized it otherwise). */
			ring = osnic_xdp_ring_size(wid);
			if (ring > 0)
				d->reg.workers[wid].ring_bytes = ring;
			/* Gone since: main.c's first look in /proc removes it. */
			worker_watch(d, wid);
			nw++;
		}
	}
	d->reg.quota_off = false;
	d->adopted = true;
	pr_info("re-adopted pinned state: %u applications, %u services, %u workers",
		reg_napps(&d->reg), nsvc, nw);
}

/*
 * An interface may run an osnic program whose maps are not the pinned
 * ones: its osnicd's bpffs is gone (a mount namespace that ended, as with
 * `ip netns exec`). It would serve a registry nobody keeps: replace it.
 */
void adopt_ifaces(struct osnicd *d)
{
	struct osnic_xdp_iface ifs[MAX_IFACES], used;
	char name[IF_NAMESIZE];
	int n, i;

	n = osnic_xdp_ifaces(ifs, MAX_IFACES);
	for (i = 0; i < n; i++) {
		if (!if_indextoname(ifs[i].ifindex, name))
			continue;
		if (osnic_xdp_iface_current(d->xdp, &ifs[i]) != 0) {
			pr_info("interface %s: osnic runs in %s mode (program id %u)", name,
				osnic_xdp_mode_name(ifs[i].mode), ifs[i].prog_id);
			continue;
		}
		pr_warn("interface %s runs an osnic program with other maps than %s: replacing it",
			name, OSNIC_PIN_DIR);
		if (osnic_xdp_detach(ifs[i].ifindex) ||
		    osnic_xdp_attach(d->xdp, ifs[i].ifindex, ifs[i].mode, &used))
			pr_warn("interface %s: could not replace the program", name);
	}
}
