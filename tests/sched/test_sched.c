// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the osnic sched_ext scheduler and its loader. They run as root
 * inside a VM whose kernel has CONFIG_SCHED_CLASS_EXT=y (make vmtest) and
 * fail, never skip, anywhere else.
 *
 * Each test checks the kernel's own view (/sys/kernel/sched_ext, the ext
 * class flag in /proc/<tid>/sched) as well as the scheduler's counters, so
 * that a scheduler which loads but does not really schedule cannot pass.
 * The osnic policy itself (workers, priorities, limits) is tested in
 * test_sched_policy.c; the helpers both use are in sched_test.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <osnic/abi.h>

#include "sched_test.h"

TestSuite(sched, .init = require_idle_sched_ext, .timeout = 120);

Test(sched, available)
{
	char why[160] = "";
	int err;

	err = osnic_sched_available(why, sizeof(why));
	cr_assert_eq(err, 0, "osnic_sched_available: %d (%s)", err, why);
	cr_assert_eq(access(OSNIC_SCHED_SYSFS_DIR "/state", R_OK), 0,
		     "available, yet %s/state is not readable: %s", OSNIC_SCHED_SYSFS_DIR,
		     strerror(errno));
	cr_assert_str_eq(why, "", "no reason expected when available, got \"%s\"", why);
}

Test(sched, attach_enables)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_stats stats;

	osnic_sched_stats(s, &stats);
	/* Attach switches every existing task, this one included. */
	cr_assert_gt(stats.enabled_tasks, 0,
		     "no task entered the scheduler (ops.enable never ran)");
	osnic_sched_destroy(s);
}

/* ---- a workload: CPU spinners plus sleep/wake churn ---------------------- */

#define NR_SPINNERS 4
#define NR_SLEEPERS 2
#define SPIN_MS 1000

struct workload {
	atomic_bool stop;
	atomic_ulong wakeups; /* completed sleeps, each one block + wakeup */
	atomic_int off_ext; /* threads not in the ext class */
	atomic_int unknown; /* threads that could not tell */
};

static void record_class(struct workload *w)
{
	int on = thread_on_ext();

	if (on < 0)
		atomic_fetch_add(&w->unknown, 1);
	else if (!on)
		atomic_fetch_add(&w->off_ext, 1);
}

static void *spinner(void *arg)
{
	struct workload *w = arg;
	double end = now_ms() + SPIN_MS;
	volatile unsigned long sink = 0;

	while (now_ms() < end) {
		for (int i = 0; i < 10000; i++)
			sink += i;
	}
	record_class(w);
	return NULL;
}

static void *sleeper(void *arg)
{
	const struct timespec ms = { .tv_nsec = 1000000 };
	struct workload *w = arg;

	while (!atomic_load(&w->stop)) {
		if (nanosleep(&ms, NULL) == 0)
			atomic_fetch_add(&w->wakeups, 1);
	}
	record_class(w);
	return NULL;
}

static void run_workload(struct workload *w)
{
	pthread_t spin[NR_SPINNERS], sleep[NR_SLEEPERS];
	int i, err;

	for (i = 0; i < NR_SLEEPERS; i++) {
		err = pthread_create(&sleep[i], NULL, sleeper, w);
		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NR_SPINNERS; i++) {
		err = pthread_create(&spin[i], NULL, spinner, w);
		cr_assert_eq(err, 0, "pthread_create: %s", strerror(err));
	}
	for (i = 0; i < NR_SPINNERS; i++)
		pthread_join(spin[i], NULL);
	atomic_store(&w->stop, true);
	for (i = 0; i < NR_SLEEPERS; i++)
		pthread_join(sleep[i], NULL);
}

#define DELTA(f) (after.f - before.f)

Test(sched, schedules_workload)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_stats before, after;
	struct workload w = { 0 };
	unsigned long wakeups;

	osnic_sched_stats(s, &before);
	run_workload(&w);
	osnic_sched_stats(s, &after);
	wakeups = atomic_load(&w.wakeups);

	cr_log_info(
		"workload: %lu wakeups; scheduler: select_cpu +%llu local_direct +%llu enqueued +%llu dispatched +%llu wakeups +%llu running +%llu",
		wakeups, DELTA(select_cpu), DELTA(local_direct), DELTA(enqueued), DELTA(dispatched),
		DELTA(wakeups), DELTA(running));

	cr_assert_not(osnic_sched_exited(s), "the scheduler exited during the workload");
	cr_assert_eq(atomic_load(&w.unknown), 0, "/proc/thread-self/sched has no ext.enabled line");
	cr_assert_eq(atomic_load(&w.off_ext), 0,
		     "%d workload threads did not run in the sched_ext class",
		     atomic_load(&w.off_ext));
	/* About 160 under TCG: the sleepers wait behind the spinners' slices. */
	cr_assert_geq(wakeups, 50, "the workload slept only %lu times", wakeups);

	/* Every wakeup is placed by select_cpu's direct insert or by enqueue. */
	cr_assert_geq(DELTA(local_direct) + DELTA(enqueued), wakeups,
		      "placed %llu tasks, fewer than the workload's %lu wakeups",
		      DELTA(local_direct) + DELTA(enqueued), wakeups);
	cr_assert_geq(DELTA(wakeups), wakeups, "saw %llu wakeups, fewer than the workload's %lu",
		      DELTA(wakeups), wakeups);
	cr_assert_geq(DELTA(running), wakeups,
		      "ran tasks %llu times, fewer than the workload's %lu wakeups", DELTA(running),
		      wakeups);
	/* More spinners than CPUs: slices expire and the shared DSQ is used. */
	cr_assert_gt(DELTA(enqueued), 0, "nothing went to the shared DSQ");
	cr_assert_gt(DELTA(dispatched), 0, "nothing was dispatched from the shared DSQ");
	osnic_sched_destroy(s);
}

Test(sched, detach_reports_unregister)
{
	struct osnic_scheduler *s = attach_osnic();
	struct osnic_sched_exit_info info;
	char state[32], ops[64];
	double ms;
	int err;

	cr_assert_eq(osnic_sched_exit_info(s, &info), -EAGAIN,
		     "exit info present while the scheduler runs");
	osnic_sched_detach(s);
	ms = wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS);
	cr_assert(ms >= 0, "state is \"%s\" %d ms after detach, not \"disabled\"", state,
		  STATE_TIMEOUT_MS);
	cr_log_info("disabled %.1f ms after detach", ms);
	err = osnic_sched_kernel_state(NULL, 0, ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read root/ops: %s", strerror(-err));
	cr_assert_str_eq(ops, "", "root/ops still reads \"%s\"", ops);

	cr_assert(osnic_sched_exited(s), "no exit recorded after detach");
	err = osnic_sched_exit_info(s, &info);
	cr_assert_eq(err, 0, "osnic_sched_exit_info: %s", strerror(-err));
	cr_log_info("exit: kind %lld (%s), code %lld, reason \"%s\", msg \"%s\"",
		    (long long)info.kind, osnic_sched_exit_kind_name(info.kind),
		    (long long)info.exit_code, info.reason, info.msg);
	cr_assert_eq(info.kind, OSNIC_SCHED_EXIT_UNREG,
		     "exit kind %lld (%s: %s), expected %d (unregistered)", (long long)info.kind,
		     osnic_sched_exit_kind_name(info.kind), info.reason, OSNIC_SCHED_EXIT_UNREG);
	cr_assert_not(osnic_sched_exit_is_error(&info), "a normal detach reported as an error");
	cr_assert_eq(info.exit_code, 0, "exit code %lld after a normal detach",
		     (long long)info.exit_code);
	cr_assert_neq(info.reason[0], '\0', "the kernel gave no exit reason");
	osnic_sched_destroy(s);
}

Test(sched, second_scheduler_refused)
{
	struct osnic_scheduler *first = attach_osnic(), *second;
	char state[32], ops[64];
	int err;

	/* NULL options: the defaults (OSNIC_PIN_DIR is reused if osnicd pinned there). */
	second = osnic_sched_load(NULL);
	cr_assert_not_null(second, "a second load (without attach) failed: %s", strerror(errno));
	err = osnic_sched_attach(second);
	cr_assert_lt(err, 0, "a second scheduler attached while one runs");
	cr_log_info("second attach: %d (%s)", err, strerror(-err));
	cr_assert_eq(err, -EBUSY, "second attach: %s, expected EBUSY", strerror(-err));
	cr_assert_eq(osnic_sched_attach(first), -EALREADY,
		     "attaching the same scheduler twice must say EALREADY");
	osnic_sched_destroy(second);

	/* The refusal and its cleanup must not disturb the running one. */
	err = osnic_sched_kernel_state(state, sizeof(state), ops, sizeof(ops));
	cr_assert_eq(err, 0, "cannot read the sched_ext state: %s", strerror(-err));
	cr_assert_str_eq(state, "enabled", "state \"%s\" after the refusal", state);
	cr_assert_str_eq(ops, OSNIC_SCHED_NAME, "root/ops \"%s\" after the refusal", ops);
	cr_assert_not(osnic_sched_exited(first), "the first scheduler exited after the refusal");

	osnic_sched_destroy(first);
	cr_assert(wait_for_state("disabled", state, sizeof(state), STATE_TIMEOUT_MS) >= 0,
		  "state is \"%s\" after destroy, not \"disabled\"", state);
}

/* ---- reusing the maps osnicd pinned --------------------------------------- */

struct shared_map {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries;
};

static const struct shared_map shared_maps[] = {
	{ "osnic_services", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct osnic_service_val),
	  OSNIC_MAX_SERVICES },
	{ "osnic_workers", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct osnic_worker_val), OSNIC_MAX_WORKERS },
	{ "osnic_worker_tids", BPF_MAP_TYPE_HASH, 4, 4, OSNIC_MAX_WORKERS },
	{ "osnic_rings", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, OSNIC_MAX_WORKERS },
	{ "osnic_worker_rx", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct osnic_worker_rx),
	  OSNIC_MAX_WORKERS },
	{ "osnic_worker_sched", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct osnic_worker_sched),
	  OSNIC_MAX_WORKERS },
	{ "osnic_svc_idle", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct osnic_svc_idle),
	  OSNIC_MAX_SERVICES },
	{ "osnic_svc_idle_cpu", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct osnic_svc_idle),
	  OSNIC_MAX_SERVICES },
};
#define NR_SHARED_MAPS (sizeof(shared_maps) / sizeof(shared_maps[0]))

static __u32 map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	cr_assert_eq(bpf_map_get_info_by_fd(fd, &info, &len), 0, "map info: %s", strerror(errno));
	return info.id;
}

/* Create m with values of value_size bytes; returns its fd. */
static int create_map(const struct shared_map *m, __u32 value_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int fd, inner = -1;

	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, OSNIC_RING_BYTES, NULL);
		cr_assert_geq(inner, 0, "ringbuf: %s", strerror(errno));
		opts.inner_map_fd = inner;
	}
	fd = bpf_map_create(m->type, m->name, m->key_size, value_size, m->max_entries, &opts);
	cr_assert_geq(fd, 0, "creating %s: %s", m->name, strerror(errno));
	if (inner >= 0)
		close(inner);
	return fd;
}

/* Create m (value size value_size) and pin it as dir/name; returns its id. */
static __u32 pin_map(const char *dir, const struct shared_map *m, __u32 value_size)
{
	char path[128];
	int fd = create_map(m, value_size);
	__u32 id;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	unlink(path);
	cr_assert_eq(bpf_obj_pin(fd, path), 0, "pinning %s: %s", path, strerror(errno));
	id = map_id(fd);
	close(fd);
	return id;
}

static void unpin_all(const char *dir)
{
	char path[128];

	for (size_t i = 0; i < NR_SHARED_MAPS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, shared_maps[i].name);
		unlink(path);
	}
	rmdir(dir);
}

Test(sched, reuses_pinned_maps)
{
	struct osnic_sched_opts opts = { 0 };
	struct osnic_scheduler *s;
	__u32 ids[NR_SHARED_MAPS];
	struct statfs fs;
	char dir[64];
	size_t i;

	/* As osnicd does: bpffs may not be mounted yet. */
	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
		cr_assert_eq(mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL), 0,
			     "mounting bpffs on /sys/fs/bpf: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/osnic-vmtest-%d", getpid());
	cr_assert_eq(mkdir(dir, 0700), 0, "mkdir %s (bpffs mounted?): %s", dir, strerror(errno));
	opts.pin_dir = dir;

	/* Nothing pinned: every map is the scheduler's own. */
	s = load_osnic(opts);
	cr_assert_eq(osnic_sched_reused_maps(s), 0, "reused %u maps from an empty directory",
		     osnic_sched_reused_maps(s));
	osnic_sched_destroy(s);

	/* All six pinned: the scheduler uses exactly those. */
	for (i = 0; i < NR_SHARED_MAPS; i++)
		ids[i] = pin_map(dir, &shared_maps[i], shared_maps[i].value_size);
	s = load_osnic(opts);
	cr_assert_eq(osnic_sched_reused_maps(s), NR_SHARED_MAPS, "reused %u of %zu pinned maps",
		     osnic_sched_reused_maps(s), NR_SHARED_MAPS);
	for (i = 0; i < NR_SHARED_MAPS; i++) {
		int fd = osnic_sched_map_fd(s, shared_maps[i].name);

		cr_assert_geq(fd, 0, "osnic_sched_map_fd(%s): %s", shared_maps[i].name,
			      strerror(-fd));
		cr_assert_eq(map_id(fd), ids[i], "%s: the scheduler's map is not the pinned one",
			     shared_maps[i].name);
	}
	cr_assert_eq(osnic_sched_map_fd(s, "no_such_map"), -ENOENT);
	osnic_sched_destroy(s);

	/* A pin of another shape is refused, not silently misused. */
	pin_map(dir, &shared_maps[2], 8);
	s = osnic_sched_load(&opts);
	cr_assert_null(s, "loaded over a mismatched %s", shared_maps[2].name);
	cr_assert_eq(errno, EINVAL, "mismatched pin: %s, expected EINVAL", strerror(errno));
	unpin_all(dir);
}

/* osnic_sched_opts.shared_map_fd for the test below: fds by shared_maps index. */
static int fd_by_name(const char *name, void *ctx)
{
	const int *fds = ctx;

	for (size_t i = 0; i < NR_SHARED_MAPS; i++)
		if (!strcmp(name, shared_maps[i].name))
			return fds[i];
	return -1;
}

/*
 * osnicd hands its maps over by fd: those are used, ahead of anything
 * pinned (a bpffs mounted over osnicd's pins once made the scheduler
 * silently use maps of its own), and the caller keeps its fds.
 */
Test(sched, takes_shared_maps_by_fd)
{
	struct osnic_sched_opts opts = { 0 };
	struct osnic_scheduler *s;
	int fds[NR_SHARED_MAPS];
	struct statfs fs;
	char dir[64];
	size_t i;

	cr_assert_eq(osnic_sched_nr_shared_maps(), NR_SHARED_MAPS);
	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC)
		cr_assert_eq(mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL), 0,
			     "mounting bpffs on /sys/fs/bpf: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/osnic-vmtest-fd-%d", getpid());
	cr_assert_eq(mkdir(dir, 0700), 0, "mkdir %s: %s", dir, strerror(errno));
	for (i = 0; i < NR_SHARED_MAPS; i++) {
		pin_map(dir, &shared_maps[i], shared_maps[i].value_size);
		fds[i] = create_map(&shared_maps[i], shared_maps[i].value_size);
	}
	opts.pin_dir = dir;
	opts.shared_map_fd = fd_by_name;
	opts.shared_map_ctx = fds;
	s = load_osnic(opts);
	cr_assert_eq(osnic_sched_reused_maps(s), NR_SHARED_MAPS, "reused %u of %zu maps",
		     osnic_sched_reused_maps(s), NR_SHARED_MAPS);
	for (i = 0; i < NR_SHARED_MAPS; i++)
		cr_assert_eq(map_id(osnic_sched_map_fd(s, shared_maps[i].name)), map_id(fds[i]),
			     "%s: not the map given by fd", shared_maps[i].name);
	osnic_sched_destroy(s);
	for (i = 0; i < NR_SHARED_MAPS; i++)
		cr_assert_eq(map_id(fds[i]) > 0, 1, "fd of %s closed by the loader",
			     shared_maps[i].name);

	/* A map given by fd is checked like a pinned one. */
	close(fds[2]);
	fds[2] = create_map(&shared_maps[2], 8);
	s = osnic_sched_load(&opts);
	cr_assert_null(s, "loaded with a mismatched %s", shared_maps[2].name);
	cr_assert_eq(errno, EINVAL, "mismatched map: %s, expected EINVAL", strerror(errno));
	for (i = 0; i < NR_SHARED_MAPS; i++)
		close(fds[i]);
	unpin_all(dir);
}
