// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loader for the osnic XDP program: loading, pinning, re-adopting,
 * attaching through libxdp, and the per-worker ring buffers.
 *
 * Two kinds of program instance exist. The one osnic_xdp_load() loads is an
 * ordinary XDP program: it creates (or re-adopts) the pinned maps and is
 * pinned itself, so tools can find and test-run it, but it runs nowhere.
 * What runs on an interface is a second instance opened from the same
 * skeleton for each attach: libxdp must load a program itself (it loads it
 * as an extension of its dispatcher, so other XDP programs keep working),
 * and every map of that instance is the pinned one (same pin paths), so all
 * instances share state. After the attach, libxdp's pins in bpffs keep the
 * instance running; the loader keeps nothing of it, and finds osnic's
 * program on an interface again by its name. So an osnicd that restarts
 * finds, and can detach, what an earlier one attached.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <osnic/abi.h>
#include "loader.h"

#include "osnic_xdp.skel.h"

struct osnic_xdp_loader {
	struct osnic_xdp *skel;
	bool adopted;
};

/*
 * The skeleton's map for an id. No default: the compiler checks that every
 * id has its map.
 */
static struct bpf_map *xdp_map(const struct osnic_xdp *skel, enum osnic_xdp_map_id id)
{
	switch (id) {
	case OSNIC_MAP_LISTEN:
		return skel->maps.osnic_listen;
	case OSNIC_MAP_SVC_INDEX:
		return skel->maps.osnic_svc_index;
	case OSNIC_MAP_PROG_VERS:
		return skel->maps.osnic_prog_vers;
	case OSNIC_MAP_LOCAL_ADDRS:
		return skel->maps.osnic_local_addrs;
	case OSNIC_MAP_SERVICES:
		return skel->maps.osnic_services;
	case OSNIC_MAP_WORKERS:
		return skel->maps.osnic_workers;
	case OSNIC_MAP_RINGS:
		return skel->maps.osnic_rings;
	case OSNIC_MAP_WORKER_SCHED:
		return skel->maps.osnic_worker_sched;
	case OSNIC_MAP_RX_COUNTERS:
		return skel->maps.osnic_rx_counters;
	case OSNIC_MAP_SVC_STATS:
		return skel->maps.osnic_svc_stats;
	case OSNIC_MAP_WORKER_STATS:
		return skel->maps.osnic_worker_stats;
	case OSNIC_MAP_WORKER_TIDS:
		return skel->maps.osnic_worker_tids;
	case OSNIC_MAP_WORKER_RX:
		return skel->maps.osnic_worker_rx;
	case OSNIC_MAP_SVC_IDLE:
		return skel->maps.osnic_svc_idle;
	case OSNIC_MAP_SVC_IDLE_CPU:
		return skel->maps.osnic_svc_idle_cpu;
	case OSNIC_MAP__MAX:
		break;
	}
	return NULL;
}

/* libbpf's and libxdp's print hooks are process-wide. */
static bool xdp_verbose;

static int xdp_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!xdp_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int xdp_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list args)
{
	if (!xdp_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

const char *osnic_xdp_map_name(const struct osnic_xdp_loader *l, enum osnic_xdp_map_id id)
{
	return id < OSNIC_MAP__MAX ? bpf_map__name(xdp_map(l->skel, id)) : NULL;
}

int osnic_bpffs_mount(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	/* 0755: applications must reach their rings below it. */
	if (mount("bpf", dir, "bpf", 0, "mode=0755"))
		return -errno;
	return 0;
}

/* Remove the files under dir whose names start with prefix ("": all). */
static void unlink_under(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !strncmp(de->d_name, prefix, strlen(prefix)))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/*
 * OSNIC_RUN_DIR, root's and 0755 (the pid file there is trusted because
 * nobody else can write it), and the bpffs of the rings below it, 0755 so
 * that every application reaches its own ring (each ring is 0600).
 */
static int rings_mount(void)
{
	struct stat st;
	int err;

	if (mkdir(OSNIC_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(OSNIC_RUN_DIR, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((st.st_uid || st.st_gid) && chown(OSNIC_RUN_DIR, 0, 0))
		return -errno;
	if ((st.st_mode & 07777) != 0755 && chmod(OSNIC_RUN_DIR, 0755))
		return -errno;
	err = osnic_bpffs_mount(OSNIC_RING_DIR);
	if (err)
		return err;
	if (chown(OSNIC_RING_DIR, 0, 0) || chmod(OSNIC_RING_DIR, 0755))
		return -errno;
	/* Rings pinned beside the maps by an older osnicd. */
	unlink_under(OSNIC_PIN_DIR, "ring_");
	return 0;
}

static int pin_path(char *buf, size_t len, const char *name)
{
	if (snprintf(buf, len, "%s/%s", OSNIC_PIN_DIR, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Point every map of the object at its pin, so that libbpf reuses a pinned
 * map at load (or pins the new one). Returns how many pins exist already.
 */
static int set_pin_paths(struct bpf_object *obj)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int found = 0;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		err = pin_path(path, sizeof(path), bpf_map__name(map));
		if (err)
			return err;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
		found += access(path, F_OK) == 0;
	}
	return found;
}

struct osnic_xdp_loader *osnic_xdp_load(const struct osnic_xdp_opts *opts)
{
	struct osnic_xdp_loader *l;
	struct bpf_program *prog;
	char path[PATH_MAX];
	int pinned;
	int err;

	xdp_verbose = opts && opts->verbose;
	libbpf_set_print(xdp_libbpf_print);
	libxdp_set_print(xdp_libxdp_print);

	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	err = osnic_bpffs_mount(OSNIC_BPFFS_DIR);
	if (err)
		goto cleanup;
	if (mkdir(OSNIC_PIN_DIR, 0755) && errno != EEXIST) {
		err = -errno;
		goto cleanup;
	}
	err = rings_mount();
	if (err)
		goto cleanup;
	l->skel = osnic_xdp__open();
	if (!l->skel) {
		err = -errno;
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(l->skel->obj, OSNIC_XDP_PROG_NAME);
	if (!prog) {
		err = -ENOENT;
		goto cleanup;
	}
	pinned = set_pin_paths(l->skel->obj);
	if (pinned < 0) {
		err = pinned;
		goto cleanup;
	}
	err = osnic_xdp__load(l->skel);
	if (err)
		goto cleanup;
	l->adopted = pinned > 0;

	/* The previous osnicd's program may still run; only its pin is replaced. */
	err = pin_path(path, sizeof(path), OSNIC_XDP_PROG_NAME);
	if (err)
		goto cleanup;
	if (unlink(path) && errno != ENOENT) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_program__pin(prog, path);
	if (err)
		goto cleanup;
	return l;
cleanup:
	osnic_xdp_unload(l, false);
	errno = -err;
	return NULL;
}

bool osnic_xdp_adopted(const struct osnic_xdp_loader *l)
{
	return l->adopted;
}

int osnic_xdp_map_fd(const struct osnic_xdp_loader *l, enum osnic_xdp_map_id id)
{
	if (id >= OSNIC_MAP__MAX)
		return -EINVAL;
	return bpf_map__fd(xdp_map(l->skel, id));
}

/*
 * Remove every file under OSNIC_PIN_DIR (all of them are osnic's), then the
 * dir; the rings, then their bpffs (the directories under /run stay: another
 * osnicd, of another mount namespace, may be mounting there right now).
 */
static void unpin_all(void)
{
	struct statfs st;

	unlink_under(OSNIC_PIN_DIR, "");
	rmdir(OSNIC_PIN_DIR);
	unlink_under(OSNIC_RING_DIR, "ring_");
	if (statfs(OSNIC_RING_DIR, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		umount2(OSNIC_RING_DIR, MNT_DETACH);
}

void osnic_xdp_unload(struct osnic_xdp_loader *l, bool cleanup)
{
	if (cleanup) {
		struct osnic_xdp_iface ifaces[64];
		int n, i;

		n = osnic_xdp_ifaces(ifaces, 64);
		for (i = 0; i < n; i++)
			osnic_xdp_detach(ifaces[i].ifindex);
		unpin_all();
	}
	if (!l)
		return;
	osnic_xdp__destroy(l->skel);
	free(l);
}

/* ---- interfaces ------------------------------------------------------------------ */

static enum osnic_xdp_mode mode_from_libxdp(enum xdp_attach_mode m)
{
	return m == XDP_MODE_SKB ? OSNIC_XDP_MODE_GENERIC : OSNIC_XDP_MODE_NATIVE;
}

/* osnic's program among those libxdp finds on ifindex, or NULL. */
static struct xdp_program *find_osnic_prog(struct xdp_multiprog *mp)
{
	struct xdp_program *p;

	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		return p && !strcmp(xdp_program__name(p), OSNIC_XDP_PROG_NAME) ? p : NULL;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (!strcmp(xdp_program__name(p), OSNIC_XDP_PROG_NAME))
			return p;
	return NULL;
}

int osnic_xdp_query(int ifindex, struct osnic_xdp_iface *out)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err = 0;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return -ENOENT;
	p = find_osnic_prog(mp);
	if (!p) {
		err = -ENOENT;
		goto cleanup;
	}
	if (out) {
		out->ifindex = ifindex;
		out->mode = mode_from_libxdp(xdp_multiprog__attach_mode(mp));
		out->prog_id = xdp_program__id(p);
	}
cleanup:
	xdp_multiprog__close(mp);
	return err;
}

int osnic_xdp_ifaces(struct osnic_xdp_iface *out, int max)
{
	struct if_nameindex *ifs, *i;
	int n = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && n < max; i++)
		if (osnic_xdp_query(i->if_index, &out[n]) == 0)
			n++;
	if_freenameindex(ifs);
	return n;
}

int osnic_xdp_iface_current(const struct osnic_xdp_loader *l, const struct osnic_xdp_iface *i)
{
	struct bpf_prog_info pinfo = { 0 };
	struct bpf_map_info minfo = { 0 };
	__u32 plen = sizeof(pinfo), mlen = sizeof(minfo);
	__u32 ids[64];
	int fd, err, ref;
	__u32 k;

	/* Any map of the object will do; osnic_rx_counters every program uses. */
	ref = osnic_xdp_map_fd(l, OSNIC_MAP_RX_COUNTERS);
	if (bpf_map_get_info_by_fd(ref, &minfo, &mlen))
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(i->prog_id);
	if (fd < 0)
		return -errno;
	pinfo.nr_map_ids = 64;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	err = bpf_prog_get_info_by_fd(fd, &pinfo, &plen);
	close(fd);
	if (err)
		return -errno;
	for (k = 0; k < pinfo.nr_map_ids && k < 64; k++)
		if (ids[k] == minfo.id)
			return 1;
	return 0;
}

static int attach_once(int ifindex, enum xdp_attach_mode mode, uint32_t *prog_id)
{
	struct xdp_program_opts xopts = {
		.sz = sizeof(xopts),
		.prog_name = OSNIC_XDP_PROG_NAME,
	};
	struct xdp_program *xprog = NULL;
	struct osnic_xdp *skel;
	int err;

	skel = osnic_xdp__open();
	if (!skel)
		return -errno;
	err = set_pin_paths(skel->obj);
	if (err < 0)
		goto cleanup;
	xopts.obj = skel->obj;
	xprog = xdp_program__create(&xopts);
	err = libxdp_get_error(xprog);
	if (err) {
		xprog = NULL;
		goto cleanup;
	}
	err = xdp_program__attach(xprog, ifindex, mode, 0);
	if (err)
		goto cleanup;
	*prog_id = xdp_program__id(xprog);
cleanup:
	xdp_program__close(xprog);
	osnic_xdp__destroy(skel);
	return err;
}

/*
 * Attach through libxdp's dispatcher, so that other XDP programs keep
 * working on the interface. Kernels since 6.13 refuse an extension that
 * changes packet data (osnic's replies call bpf_xdp_adjust_tail) in place of
 * a dispatcher slot that does not, and libxdp 1.3's slots do not: the load
 * fails with EINVAL. osnic's program then goes on the interface alone, as
 * libxdp does by itself where the dispatcher cannot load at all.
 */
static int attach_mode(int ifindex, enum xdp_attach_mode mode, uint32_t *prog_id)
{
	int err;

	err = attach_once(ifindex, mode, prog_id);
	if (err != -EINVAL || getenv("LIBXDP_SKIP_DISPATCHER"))
		return err;
	setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	err = attach_once(ifindex, mode, prog_id);
	unsetenv("LIBXDP_SKIP_DISPATCHER");
	if (!err)
		fprintf(stderr, "osnic: libxdp's dispatcher cannot hold osnic's program on this "
				"kernel (it changes packet data, the dispatcher slot does not); "
				"attached alone, without the dispatcher\n");
	return err;
}

int osnic_xdp_attach(struct osnic_xdp_loader *l, int ifindex, enum osnic_xdp_mode mode,
		     struct osnic_xdp_iface *used)
{
	uint32_t prog_id = 0;
	int err;

	if (osnic_xdp_query(ifindex, NULL) == 0)
		return -EEXIST;
	switch (mode) {
	case OSNIC_XDP_MODE_AUTO:
		err = attach_mode(ifindex, XDP_MODE_NATIVE, &prog_id);
		if (!err) {
			mode = OSNIC_XDP_MODE_NATIVE;
			break;
		}
		/* The driver has no XDP (or not for this program): skb mode. */
		err = attach_mode(ifindex, XDP_MODE_SKB, &prog_id);
		mode = OSNIC_XDP_MODE_GENERIC;
		break;
	case OSNIC_XDP_MODE_NATIVE:
		err = attach_mode(ifindex, XDP_MODE_NATIVE, &prog_id);
		break;
	case OSNIC_XDP_MODE_GENERIC:
		err = attach_mode(ifindex, XDP_MODE_SKB, &prog_id);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	if (used) {
		used->ifindex = ifindex;
		used->mode = mode;
		used->prog_id = prog_id;
	}
	return 0;
}

int osnic_xdp_detach(int ifindex)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return -ENOENT;
	p = find_osnic_prog(mp);
	if (!p)
		err = -ENOENT;
	else if (xdp_multiprog__is_legacy(mp))
		err = xdp_multiprog__detach(mp);
	else
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return err;
}

/* ---- rings ------------------------------------------------------------------------ */

int osnic_xdp_ring_path(uint32_t worker_id, char *path, size_t path_len)
{
	if (snprintf(path, path_len, "%s/ring_%u", OSNIC_RING_DIR, worker_id) >= (int)path_len)
		return -ENAMETOOLONG;
	return 0;
}

int osnic_xdp_ring_create(struct osnic_xdp_loader *l, uint32_t worker_id, uint32_t ring_bytes,
			  uid_t uid, gid_t gid, char *path_out, size_t path_len)
{
	int rings = osnic_xdp_map_fd(l, OSNIC_MAP_RINGS);
	char path[PATH_MAX];
	int fd, err;

	if (!worker_id || worker_id >= OSNIC_MAX_WORKERS || ring_bytes > OSNIC_RING_BYTES)
		return -EINVAL;
	err = osnic_xdp_ring_path(worker_id, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "osnic_ring", 0, 0, ring_bytes, NULL);
	if (fd < 0)
		return -errno;
	/* A stale pin of an earlier worker with this id (osnicd died). */
	if (access(path, F_OK) == 0 && unlink(path)) {
		err = -errno;
		goto cleanup;
	}
	/* Owner and mode before XDP can write to it: only the owner may map it. */
	if (bpf_obj_pin(fd, path) || chown(path, uid, gid) || chmod(path, 0600)) {
		err = -errno;
		goto cleanup;
	}
	if (bpf_map_update_elem(rings, &worker_id, &fd, BPF_ANY)) {
		err = -errno;
		goto cleanup;
	}
	close(fd);
	if (path_out && snprintf(path_out, path_len, "%s", path) >= (int)path_len) {
		osnic_xdp_ring_destroy(l, worker_id);
		return -ENAMETOOLONG;
	}
	return 0;
cleanup:
	unlink(path);
	close(fd);
	return err;
}

int64_t osnic_xdp_ring_size(uint32_t worker_id)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	err = osnic_xdp_ring_path(worker_id, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_get_info_by_fd(fd, &info, &info_len) ? -errno : 0;
	close(fd);
	if (!err && info.type != BPF_MAP_TYPE_RINGBUF)
		err = -EINVAL;
	return err ?: (int64_t)info.max_entries;
}

int osnic_xdp_ring_destroy(struct osnic_xdp_loader *l, uint32_t worker_id)
{
	int rings = osnic_xdp_map_fd(l, OSNIC_MAP_RINGS);
	char path[PATH_MAX];
	int err = 0;

	if (bpf_map_delete_elem(rings, &worker_id) && errno != ENOENT)
		err = -errno;
	if (osnic_xdp_ring_path(worker_id, path, sizeof(path)) == 0 && access(path, F_OK) == 0 &&
	    unlink(path) && !err)
		err = -errno;
	return err;
}

/* ---- user space's own maps and counters ------------------------------------------- */

int osnic_xdp_state_map(const char *name, uint32_t type, uint32_t key_size,
			uint32_t value_size, uint32_t max_entries, bool *reused)
{
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	*reused = false;
	err = pin_path(path, sizeof(path), name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_map_get_info_by_fd(fd, &info, &info_len) && info.type == type &&
		    info.key_size == key_size && info.value_size == value_size &&
		    info.max_entries == max_entries) {
			*reused = true;
			return fd;
		}
		/* Another shape (an older osnicd): its contents cannot be read. */
		close(fd);
		unlink(path);
	}
	fd = bpf_map_create(type, name, key_size, value_size, max_entries, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int osnic_percpu_sum(int map_fd, uint32_t key, uint64_t *sum, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	size_t i;
	int cpu;

	if (map_fd < 0)
		return map_fd;
	if (ncpu < 0)
		return ncpu;
	/* Per-CPU values are padded to 8 bytes: n u64s need none. */
	vals = calloc(ncpu, n * sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	memset(sum, 0, n * sizeof(*sum));
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < n; i++)
			sum[i] += vals[cpu * n + i];
	free(vals);
	return 0;
}
