// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loader for the osnic sched_ext scheduler.
 *
 * The BPF object is linked into this library (sched_ext/embed.S) and opened
 * from memory; the generated subskeleton gives typed access to its maps,
 * programs and .bss. A full skeleton is not used: bpftool 7.5 writes a
 * `link` member into the skeletons of struct_ops maps that libbpf 1.4's
 * struct bpf_map_skeleton does not have.
 *
 * Lifetime: load (programs verified, nothing scheduled yet) -> attach (the
 * kernel switches every normal task to the scheduler) -> detach (tasks go
 * back to the fair class; counters and exit info remain readable) ->
 * destroy. The kernel may also eject the scheduler on its own (a stalled
 * task, a BPF error); the scheduler's ops.exit then records why, and
 * osnic_sched_exited() turns true while the link is still held.
 *
 * The scheduler shares six maps with XDP (see bpf/maps_shared.h). When
 * osnicd hands over its XDP object, or has pinned them (OSNIC_PIN_DIR, one
 * file per map name), the loader gives those maps to the object before
 * load, after checking that each matches the scheduler's definition;
 * otherwise the scheduler creates its own (tests fill them through
 * osnic_sched_map_fd()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <osnic/abi.h>
#include "loader.h"

#include "osnic_sched.subskel.h"

/* sched_ext/embed.S */
extern const char osnic_sched_bpf_obj[];
extern const unsigned long long osnic_sched_bpf_obj_size;

struct osnic_scheduler {
	struct bpf_object *obj;
	struct osnic_sched *skel;
	struct bpf_link *link;
	unsigned int nr_reused;
};

/* libbpf's print hook is process-wide; the last load decides. */
static bool sched_verbose;

static int sched_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!sched_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void sched_debug(const char *fmt, ...)
{
	va_list args;

	if (!sched_verbose)
		return;
	va_start(args, fmt);
	fputs("osnic-sched: ", stderr);
	vfprintf(stderr, fmt, args);
	va_end(args);
}

int osnic_sched_available(char *why, size_t len)
{
	struct stat st;
	const char *reason;

	if (stat(OSNIC_SCHED_SYSFS_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (stat("/sys/kernel", &st) != 0)
		reason =
			"sysfs is not mounted on /sys, cannot tell whether the kernel has sched_ext";
	else
		reason = "kernel built without CONFIG_SCHED_CLASS_EXT (no " OSNIC_SCHED_SYSFS_DIR
			 ")";
	if (why && len)
		snprintf(why, len, "%s", reason);
	return -EOPNOTSUPP;
}

/* Read a one-line sysfs file into buf, without its newline. */
static int read_sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		err = ferror(f) ? -EIO : -ENODATA;
		goto cleanup;
	}
	buf[strcspn(buf, "\n")] = '\0';
cleanup:
	fclose(f);
	return err;
}

int osnic_sched_kernel_state(char *state, size_t state_len, char *ops, size_t ops_len)
{
	char tmp[32];
	int err;

	err = osnic_sched_available(NULL, 0);
	if (err)
		return err;
	if (!state) {
		state = tmp;
		state_len = sizeof(tmp);
	}
	err = read_sysfs_line(OSNIC_SCHED_SYSFS_DIR "/state", state, state_len);
	if (err)
		return err;
	if (ops && ops_len) {
		/* root/ exists only while a scheduler is loaded. */
		err = read_sysfs_line(OSNIC_SCHED_SYSFS_DIR "/root/ops", ops, ops_len);
		if (err == -ENOENT || err == -ENODATA)
			ops[0] = '\0';
		else if (err)
			return err;
	}
	return 0;
}

/*
 * Make the subskeleton's pointers into .bss see the kernel's map.
 * libbpf 1.4 keeps its private copy of global data mapped at the address the
 * subskeleton's variables point into, and only bpf_object__load_skeleton()
 * (the full skeleton) replaces it with the map's shared mapping. Do the same
 * here; with a libbpf that already did it this maps the same pages again.
 */
static int map_global_data(struct bpf_map *map)
{
	size_t size, page = sysconf(_SC_PAGESIZE);
	void *addr;

	addr = bpf_map__initial_value(map, &size);
	if (!addr)
		return -EINVAL;
	size = (size + page - 1) / page * page;
	if (mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, bpf_map__fd(map), 0) ==
	    MAP_FAILED)
		return -errno;
	return 0;
}

/* 0 if the map behind fd has the layout the object declares for map. */
static int check_shared_map(struct bpf_map *map, int fd, const char *what)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int err;

	err = bpf_map_get_info_by_fd(fd, &info, &len);
	if (err) {
		err = -errno;
		sched_debug("cannot inspect %s: %s\n", what, strerror(-err));
		return err;
	}
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map)) {
		sched_debug("%s does not match the scheduler's %s: type %u key %u value %u "
			    "entries %u, expected %u %u %u %u\n",
			    what, bpf_map__name(map), info.type, info.key_size, info.value_size,
			    info.max_entries, bpf_map__type(map), bpf_map__key_size(map),
			    bpf_map__value_size(map), bpf_map__max_entries(map));
		return -EINVAL;
	}
	return 0;
}

unsigned int osnic_sched_nr_shared_maps(void)
{
	return OSNIC_NR_SHARED_MAPS;
}

/*
 * The fd of a shared map: from the owner's XDP object or callback if it
 * gives one, else pinned in dir under the map's name.
 */
static int shared_map_open(const struct osnic_sched_opts *opts, const char *dir,
			   const struct osnic_shared_map *shared, bool *owned)
{
	const char *name = bpf_map__name(shared->map);
	char path[256];
	int fd;

	*owned = false;
	if (opts && opts->xdp)
		return osnic_xdp_map_fd(opts->xdp, shared->id);
	if (opts && opts->shared_map_fd) {
		fd = opts->shared_map_fd(name, opts->shared_map_ctx);
		if (fd >= 0)
			return fd;
	}
	if (!*dir)
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		if (fd != -ENOENT)
			sched_debug("cannot open %s: %s\n", path, strerror(-fd));
		return fd;
	}
	*owned = true;
	return fd;
}

/* Before load: use the shared maps the owner gives or that are pinned in dir. */
static int reuse_shared_maps(struct osnic_scheduler *s, const struct osnic_sched_opts *opts,
			     const char *dir)
{
	const struct osnic_shared_map shared[] = OSNIC_SHARED_MAP_TABLE(s->skel);
	size_t i;
	bool owned;
	int fd, err;

	_Static_assert(sizeof(shared) / sizeof(shared[0]) == OSNIC_NR_SHARED_MAPS,
		       "OSNIC_NR_SHARED_MAPS counts the shared map table");
	for (i = 0; i < OSNIC_NR_SHARED_MAPS; i++) {
		const char *name = bpf_map__name(shared[i].map);

		fd = shared_map_open(opts, dir, &shared[i], &owned);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		err = check_shared_map(shared[i].map, fd, name);
		if (!err)
			err = bpf_map__reuse_fd(shared[i].map, fd); /* dups fd */
		if (owned)
			close(fd);
		if (err)
			return err;
		sched_debug("reusing %s\n", name);
		s->nr_reused++;
	}
	return 0;
}

struct osnic_scheduler *osnic_sched_load(const struct osnic_sched_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = "osnic_sched");
	struct osnic_scheduler *s;
	const char *pin_dir;
	char why[128];
	int err;

	sched_verbose = opts && opts->verbose;
	libbpf_set_print(sched_libbpf_print);

	err = osnic_sched_available(why, sizeof(why));
	if (err) {
		sched_debug("%s\n", why);
		errno = -err;
		return NULL;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->obj = bpf_object__open_mem(osnic_sched_bpf_obj, osnic_sched_bpf_obj_size, &open_opts);
	if (!s->obj) {
		err = -errno;
		sched_debug("cannot open the embedded BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	s->skel = osnic_sched__open(s->obj);
	if (!s->skel) {
		err = -errno;
		sched_debug("cannot open the subskeleton: %s\n", strerror(-err));
		goto cleanup;
	}
	if (opts && opts->timeout_ms)
		s->skel->struct_ops.osnic_ops->timeout_ms = opts->timeout_ms;
	pin_dir = opts && opts->pin_dir ? opts->pin_dir : OSNIC_PIN_DIR;
	err = reuse_shared_maps(s, opts, pin_dir);
	if (err) {
		sched_debug("cannot reuse the shared maps: %s\n", strerror(-err));
		goto cleanup;
	}

	err = bpf_object__load(s->obj);
	if (err) {
		sched_debug("cannot load the scheduler: %s\n", strerror(-err));
		goto cleanup;
	}
	err = map_global_data(s->skel->maps.bss);
	if (err) {
		sched_debug("cannot map .bss: %s\n", strerror(-err));
		goto cleanup;
	}
	return s;

cleanup:
	osnic_sched_destroy(s);
	errno = -err;
	return NULL;
}

int osnic_sched_attach(struct osnic_scheduler *s)
{
	struct bpf_link *link;
	int err;

	if (s->link)
		return -EALREADY;
	/*
	 * A re-attach after detach starts a new life: forget the old exit
	 * and the CPUs services held (nothing runs under the scheduler now).
	 */
	memset(s->skel->bss.exit_info, 0, sizeof(*s->skel->bss.exit_info));
	memset(s->skel->bss.svc_running, 0, sizeof(*s->skel->bss.svc_running));

	link = bpf_map__attach_struct_ops(s->skel->maps.osnic_ops);
	if (!link) {
		err = -errno;
		sched_debug("cannot attach: %s\n", strerror(-err));
		return err;
	}
	s->link = link;
	return 0;
}

void osnic_sched_detach(struct osnic_scheduler *s)
{
	if (!s || !s->link)
		return;
	/*
	 * Closing the last reference to the link unregisters the scheduler;
	 * sched_ext disables it synchronously and runs ops.exit.
	 */
	bpf_link__destroy(s->link);
	s->link = NULL;
}

void osnic_sched_destroy(struct osnic_scheduler *s)
{
	if (!s)
		return;
	osnic_sched_detach(s);
	osnic_sched__destroy(s->skel);
	bpf_object__close(s->obj);
	free(s);
}

int osnic_sched_map_fd(const struct osnic_scheduler *s, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(s->obj, name);
	int fd;

	if (!map)
		return -ENOENT;
	fd = bpf_map__fd(map);
	return fd < 0 ? -EBADF : fd;
}

unsigned int osnic_sched_reused_maps(const struct osnic_scheduler *s)
{
	return s->nr_reused;
}

int osnic_sched_stats(const struct osnic_scheduler *s, struct osnic_sched_stats *stats)
{
	const __u64 *src = (const __u64 *)s->skel->bss.stats;
	__u64 *dst = (__u64 *)stats;
	size_t i;

	_Static_assert(sizeof(*stats) % sizeof(__u64) == 0,
		       "struct osnic_sched_stats holds only __u64 counters");
	/* The scheduler updates them concurrently: no torn 64-bit reads. */
	for (i = 0; i < sizeof(*stats) / sizeof(__u64); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}

bool osnic_sched_exited(const struct osnic_scheduler *s)
{
	return __atomic_load_n(&s->skel->bss.exit_info->kind, __ATOMIC_ACQUIRE) != 0;
}

int osnic_sched_exit_info(const struct osnic_scheduler *s, struct osnic_sched_exit_info *info)
{
	const struct osnic_sched_exit_info *src = s->skel->bss.exit_info;
	__s64 kind;

	kind = __atomic_load_n(&src->kind, __ATOMIC_ACQUIRE);
	if (!kind)
		return -EAGAIN;
	memcpy(info, src, sizeof(*info));
	info->kind = kind;
	info->reason[sizeof(info->reason) - 1] = '\0';
	info->msg[sizeof(info->msg) - 1] = '\0';
	return 0;
}

bool osnic_sched_exit_is_error(const struct osnic_sched_exit_info *info)
{
	return info->kind >= OSNIC_SCHED_EXIT_ERROR;
}

const char *osnic_sched_exit_kind_name(long long kind)
{
	switch (kind) {
	case OSNIC_SCHED_EXIT_NONE:
		return "running";
	case OSNIC_SCHED_EXIT_DONE:
		return "done";
	case OSNIC_SCHED_EXIT_UNREG:
		return "unregistered";
	case OSNIC_SCHED_EXIT_UNREG_BPF:
		return "unregistered by the scheduler";
	case OSNIC_SCHED_EXIT_UNREG_KERN:
		return "unregistered by the kernel";
	case OSNIC_SCHED_EXIT_SYSRQ:
		return "disabled by SysRq-S";
	case OSNIC_SCHED_EXIT_ERROR:
		return "error";
	case OSNIC_SCHED_EXIT_ERROR_BPF:
		return "error in the scheduler";
	case OSNIC_SCHED_EXIT_ERROR_STALL:
		return "error: runnable task stalled";
	}
	return kind >= OSNIC_SCHED_EXIT_ERROR ? "error (unknown kind)" :
						"unregistered (unknown kind)";
}
