// SPDX-License-Identifier: GPL-2.0-only
/*
 * osnicd: the osnic control daemon.
 *
 * It loads the XDP program and pins it and its maps under OSNIC_PIN_DIR
 * (loader/xdp.c), owns the registry of applications, services and workers
 * (registry.c), keeps the BPF maps in step with the registry, and answers
 * the control protocol of include/osnic/nl.h on NETLINK_USERSOCK.
 *
 * One thread, one poll loop: the netlink socket, a signalfd for SIGINT and
 * SIGTERM, and a pidfd per application, which becomes readable when the
 * process exits; its services, workers and rings are then removed at once.
 *
 * Restart: the maps stay pinned, the program stays attached through
 * libxdp's pins, so traffic goes on while osnicd is away. A new osnicd
 * reuses the pinned maps and rebuilds its registry from them and from its
 * own pinned map osnicd_owners (the owner process of each service, with its
 * start time so that a reused pid is not mistaken for it); services whose
 * owner is gone are removed. --cleanup makes the stop remove all of it.
 *
 * Scheduling policy (DESIGN.md, "Scheduling"): where the kernel has
 * sched_ext (and unless --no-sched), osnicd loads the osnic scheduler after
 * the XDP maps are pinned, so that both share them. Otherwise, and whenever
 * the scheduler is not running (unloaded on request, ejected by the kernel),
 * the sched_switch feed (bpf/osnic_feed.bpf.c) keeps osnic_worker_sched
 * instead: exactly one of the two is attached at any time. The event loop
 * polls the scheduler every SCHED_POLL_MS; an ejection is logged, its reason
 * kept for `osnicctl sched status`, and the feed attached at once; the
 * scheduler comes back only on request (SCHED_SET).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include <osnic/abi.h>
#include <osnic/loader.h>
#include <osnic/nl.h>

#include "local_addrs.h"
#include "osnic_feed.skel.h"
#include "registry.h"

#ifndef OSNIC_VERSION
#define OSNIC_VERSION "0.1.0"
#endif

#define OWNERS_MAP	"osnicd_owners"
#define BATCH_LIMIT	16384	/* bytes per datagram; clients read OSNIC_NL_BUF_SIZE */
#define DEFAULT_LINGER_S 60
#define SCHED_POLL_MS	200

/* ---- logging ------------------------------------------------------------------- */

enum { LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_LIBBPF };
static int log_level = LOG_INFO;

static void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	fputs(level == LOG_WARN ? "osnicd: warning: " : "osnicd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- state --------------------------------------------------------------------------- */

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
	struct osnic_xdp_loader *xdp;
	bool maps_ok;		/* the XDP object has every map osnicd keeps */
	int owners_fd;
	struct mnl_socket *nl;
	int sigfd;
	struct local_addrs *laddrs;	/* local-addrs hook: keeps osnic_local_addrs */
	time_t started;
	bool adopted;
	/* Ports whose last service went: still listed, until a deadline. */
	unsigned int linger_s;
	unsigned int nlinger;
	struct {
		__u32 port;
		time_t until;	/* CLOCK_MONOTONIC seconds */
	} linger[OSNIC_MAX_SERVICES];
	/* Scheduling: the osnic sched_ext scheduler, else the feed. */
	bool no_sched;			/* --no-sched */
	struct osnic_scheduler *sched;	/* loaded and attached, NULL if not */
	struct osnic_feed *feed;	/* loaded on first use */
	bool feed_attached;
	char sched_why[256];		/* why sched_ext is not in use */
	char sched_exit[1024];		/* how the scheduler last left the kernel */
	struct osnic_sched_stats sched_last;	/* its counters when it left */
	bool sched_ran;
	struct mnl_nlmsg_batch *batch;
	char tx[2 * BATCH_LIMIT];
	char rx[OSNIC_NL_BUF_SIZE];
};

struct request {
	const struct nlmsghdr *nlh;
	const struct osnic_nl_msg *m;
	const struct ucred *cred;
	uint32_t portid;
	struct osnic_nl_ext ext;
};

/* ---- /proc ------------------------------------------------------------------------------ */

static int proc_start_time(uint32_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* After ')' come fields 3 (state) ... 22 (starttime). */
	for (i = 3; i <= 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p, NULL, 10);
	return 0;
}

/* Whether the process has cap in its effective set. */
static bool proc_has_cap(uint32_t pid, int cap)
{
	char path[64], line[256];
	bool has = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7)) {
			has = (strtoull(line + 7, NULL, 16) >> cap) & 1;
			break;
		}
	fclose(f);
	return has;
}

static bool may_admin(const struct ucred *cred)
{
	return cred->uid == 0 || proc_has_cap(cred->pid, CAP_NET_ADMIN);
}

static uint32_t unpriv_port_start(void)
{
	unsigned int v = 1024;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

static int pidfd_open(uint32_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

/* ---- keeping the maps in step with the registry ------------------------------------ */

static int map_fd(struct osnicd *d, enum osnic_xdp_map_id id)
{
	return osnic_xdp_map_fd(d->xdp, id);
}

static int map_put(struct osnicd *d, enum osnic_xdp_map_id id, const void *key, const void *val)
{
	if (bpf_map_update_elem(map_fd(d, id), key, val, BPF_ANY)) {
		int err = -errno;

		pr_warn("updating %s: %s", osnic_xdp_map_name(id), strerror(-err));
		return err;
	}
	return 0;
}

static void map_del(struct osnicd *d, enum osnic_xdp_map_id id, const void *key)
{
	if (bpf_map_delete_elem(map_fd(d, id), key) && errno != ENOENT)
		pr_warn("deleting from %s: %s", osnic_xdp_map_name(id), strerror(errno));
}

/* Zero one entry of a per-CPU array (counters of a freed id). */
static void percpu_zero(struct osnicd *d, enum osnic_xdp_map_id id, uint32_t key, size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zero;

	if (ncpu <= 0)
		return;
	zero = calloc(ncpu, (size + 7) & ~(size_t)7);
	if (!zero)
		return;
	map_put(d, id, &key, zero);
	free(zero);
}

static void owner_put(struct osnicd *d, uint32_t service_id)
{
	const struct reg_service *s = &d->reg.services[service_id];
	struct owner_rec o = { 0 };
	const struct reg_app *app;

	if (d->owners_fd < 0)
		return;
	app = s->app_id ? reg_app_by_id(&d->reg, s->app_id) : NULL;
	if (app) {
		o.pid = app->pid;
		o.uid = app->uid;
		o.gid = app->gid;
		o.flags = app->may_bind_privileged ? OWNER_F_PRIVILEGED_PORTS : 0;
		o.start_time = app->start_time;
	}
	if (bpf_map_update_elem(d->owners_fd, &service_id, &o, BPF_ANY))
		pr_warn("updating %s: %s", OWNERS_MAP, strerror(errno));
}

/* ---- lingering ports ------------------------------------------------------------------ */

/*
 * When the last service of a port goes (its application died, or removed
 * it), the port stays in osnic_listen with nservices 0 for linger_s seconds,
 * so that XDP keeps answering calls to it with PROG_UNAVAIL instead of
 * handing them to a kernel where nobody listens. A new service on the port
 * ends the linger; so does the deadline, and then the port is the kernel's.
 */
static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int linger_find(struct osnicd *d, __u32 port)
{
	unsigned int i;

	for (i = 0; i < d->nlinger; i++)
		if (d->linger[i].port == port)
			return i;
	return -1;
}

static void linger_cancel(struct osnicd *d, __u32 port)
{
	int i = linger_find(d, port);

	if (i >= 0)
		d->linger[i] = d->linger[--d->nlinger];
}

static void linger_start(struct osnicd *d, __u32 port)
{
	struct osnic_listen none = { 0 };
	int i = linger_find(d, port);

	if (!d->linger_s || (i < 0 && d->nlinger == OSNIC_MAX_SERVICES)) {
		linger_cancel(d, port);
		map_del(d, OSNIC_MAP_LISTEN, &port);
		return;
	}
	if (i < 0) {
		i = d->nlinger++;
		d->linger[i].port = port;
		pr_debug("port %u lingers for %u s", port, d->linger_s);
	}
	d->linger[i].until = now_s() + d->linger_s;
	map_put(d, OSNIC_MAP_LISTEN, &port, &none);
}

/* Release expired ports; returns the poll timeout to the next deadline. */
static int linger_expire(struct osnicd *d)
{
	time_t now = now_s(), next = 0;
	unsigned int i = 0;

	while (i < d->nlinger) {
		__u32 port = d->linger[i].port;

		if (d->linger[i].until > now) {
			if (!next || d->linger[i].until < next)
				next = d->linger[i].until;
			i++;
			continue;
		}
		linger_cancel(d, port);
		if (!reg_port_nservices(&d->reg, port)) {
			map_del(d, OSNIC_MAP_LISTEN, &port);
			pr_debug("port %u released to the kernel", port);
		}
	}
	return next ? (int)(next - now) * 1000 : -1;
}

/*
 * Write what changed, in an order in which XDP never follows an entry to
 * one that is not there yet or not any more: removals from the top (the
 * port) down, then workers, services, freed workers and rings, then
 * additions from the bottom up to the port.
 */
static int sync_maps(struct osnicd *d, const struct reg_changes *chg)
{
	int tids_fd = map_fd(d, OSNIC_MAP_WORKER_TIDS);
	struct osnic_vers_range range;
	uint32_t id;
	unsigned int i;
	int err = 0;

	if (!d->maps_ok)
		return -EOPNOTSUPP;
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		struct osnic_prog_key pk = { k->port, k->prog };

		if (!reg_port_nservices(&d->reg, k->port))
			linger_start(d, k->port);
		if (!reg_vers_range(&d->reg, k->port, k->prog, &range))
			map_del(d, OSNIC_MAP_PROG_VERS, &pk);
		if (!reg_svc_lookup(&d->reg, k))
			map_del(d, OSNIC_MAP_SVC_INDEX, k);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		const struct osnic_worker *w = &d->reg.workers[id].val;

		if (!reg_changes_worker(chg, id) || !reg_worker_used(&d->reg, id))
			continue;
		err = map_put(d, OSNIC_MAP_WORKERS, &id, w) ?: err;
		if (tids_fd >= 0)
			err = map_put(d, OSNIC_MAP_WORKER_TIDS, &w->tid, &id) ?: err;
	}
	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		if (!(chg->services & (1ULL << id)))
			continue;
		err = map_put(d, OSNIC_MAP_SERVICES, &id, &d->reg.services[id].val) ?: err;
		if (!reg_service_used(&d->reg, id))
			percpu_zero(d, OSNIC_MAP_SVC_STATS, id, sizeof(struct osnic_svc_stats));
		owner_put(d, id);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		struct osnic_worker_sched ws = { 0 };

		struct osnic_worker_rx wrx = { 0 };
		struct osnic_worker old;

		if (!reg_changes_worker(chg, id) || reg_worker_used(&d->reg, id))
			continue;
		if (bpf_map_lookup_elem(map_fd(d, OSNIC_MAP_WORKERS), &id, &old))
			old.tid = 0;
		map_put(d, OSNIC_MAP_WORKERS, &id, &d->reg.workers[id].val);
		/* Another worker may have this thread now (the entry names it). */
		if (old.tid && tids_fd >= 0) {
			__u32 cur;

			if (!bpf_map_lookup_elem(tids_fd, &old.tid, &cur) && cur == id)
				map_del(d, OSNIC_MAP_WORKER_TIDS, &old.tid);
		}
		osnic_xdp_ring_destroy(d->xdp, id);
		map_put(d, OSNIC_MAP_WORKER_SCHED, &id, &ws);
		if (map_fd(d, OSNIC_MAP_WORKER_RX) >= 0)
			map_put(d, OSNIC_MAP_WORKER_RX, &id, &wrx);
		percpu_zero(d, OSNIC_MAP_WORKER_STATS, id, sizeof(struct osnic_worker_stats));
	}
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		uint32_t sid = reg_svc_lookup(&d->reg, k);

		if (sid)
			err = map_put(d, OSNIC_MAP_SVC_INDEX, k, &sid) ?: err;
	}
	for (i = 0; i < chg->nkeys; i++) {
		const struct osnic_svc_key *k = &chg->keys[i];
		struct osnic_prog_key pk = { k->port, k->prog };

		if (reg_vers_range(&d->reg, k->port, k->prog, &range))
			err = map_put(d, OSNIC_MAP_PROG_VERS, &pk, &range) ?: err;
	}
	for (i = 0; i < chg->nkeys; i++) {
		struct osnic_listen l = { reg_port_nservices(&d->reg, chg->keys[i].port) };

		if (!l.nservices)
			continue;
		linger_cancel(d, chg->keys[i].port);
		err = map_put(d, OSNIC_MAP_LISTEN, &chg->keys[i].port, &l) ?: err;
	}
	return err;
}

/* Every key in a hash map that the registry does not justify goes. */
static void prune_hash(struct osnicd *d, enum osnic_xdp_map_id id,
		       bool (*wanted)(struct osnicd *d, const void *key))
{
	union {
		__u32 port;
		struct osnic_svc_key svc;
		struct osnic_prog_key prog;
	} key, next, stale[256];
	unsigned int n = 0, i;
	int fd = map_fd(d, id);
	void *prev = NULL;

	while (n < 256 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!wanted(d, &key))
			stale[n++] = key;
	}
	for (i = 0; i < n; i++)
		map_del(d, id, &stale[i]);
}

/* At start, a listed port without services lingers (from now on). */
static bool listen_wanted(struct osnicd *d, const void *key)
{
	__u32 port = *(const __u32 *)key;

	if (reg_port_nservices(&d->reg, port))
		return true;
	if (!d->linger_s || (linger_find(d, port) < 0 && d->nlinger == OSNIC_MAX_SERVICES))
		return false;
	if (linger_find(d, port) < 0) {
		d->linger[d->nlinger].port = port;
		d->linger[d->nlinger++].until = now_s() + d->linger_s;
	}
	return true;
}

static bool svc_index_wanted(struct osnicd *d, const void *key)
{
	return reg_svc_lookup(&d->reg, key);
}

static bool worker_tid_wanted(struct osnicd *d, const void *key)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++)
		if (reg_worker_used(&d->reg, id) &&
		    d->reg.workers[id].val.tid == *(const __u32 *)key)
			return true;
	return false;
}

static bool prog_vers_wanted(struct osnicd *d, const void *key)
{
	const struct osnic_prog_key *k = key;
	struct osnic_vers_range r;

	return reg_vers_range(&d->reg, k->port, k->prog, &r);
}

/* Make every map say exactly what the registry says (at start). */
static int sync_all(struct osnicd *d)
{
	struct reg_changes chg = { .services = ~1ULL };
	uint32_t id;

	if (!d->maps_ok)
		return -EOPNOTSUPP;
	memset(chg.workers, 0xff, sizeof(chg.workers));
	chg.workers[0] &= ~1ULL;
	prune_hash(d, OSNIC_MAP_LISTEN, listen_wanted);
	prune_hash(d, OSNIC_MAP_PROG_VERS, prog_vers_wanted);
	prune_hash(d, OSNIC_MAP_SVC_INDEX, svc_index_wanted);
	if (map_fd(d, OSNIC_MAP_WORKER_TIDS) >= 0)
		prune_hash(d, OSNIC_MAP_WORKER_TIDS, worker_tid_wanted);
	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		const struct osnic_service *v = &d->reg.services[id].val;

		if (reg_service_used(&d->reg, id))
			chg.keys[chg.nkeys++] = (struct osnic_svc_key){ v->port, v->prog, v->vers };
	}
	return sync_maps(d, &chg);
}

/* ---- applications -------------------------------------------------------------------- */

static void proc_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Register pid (creds of a request, or an owner found at restart). */
static int app_add(struct osnicd *d, uint32_t pid, uint32_t uid, uint32_t gid,
		   const uint64_t *expect_start, const bool *privileged, uint32_t *app_id,
		   struct osnic_nl_ext *ext)
{
	struct reg_app tmpl = { .pid = pid, .uid = uid, .gid = gid, .pidfd = -1 };
	char comm[32];
	int err;

	if (reg_app_by_pid(&d->reg, pid))
		return osnic_nl_ext_set(ext, -EEXIST, NULL, NULL, 0,
					"process %u is registered already", pid);
	tmpl.pidfd = pidfd_open(pid);
	if (tmpl.pidfd < 0)
		return osnic_nl_ext_set(ext, -errno, NULL, NULL, 0, "pidfd_open(%u): %s", pid,
					strerror(errno));
	/* After pidfd_open: a pid reused later cannot pass for this process. */
	err = proc_start_time(pid, &tmpl.start_time);
	if (err || (expect_start && *expect_start != tmpl.start_time)) {
		close(tmpl.pidfd);
		return osnic_nl_ext_set(ext, -ESRCH, NULL, NULL, 0, "process %u is gone", pid);
	}
	tmpl.may_bind_privileged = privileged ? *privileged :
				   uid == 0 || proc_has_cap(pid, CAP_NET_BIND_SERVICE);
	err = reg_app_add(&d->reg, &tmpl, app_id, ext);
	if (err) {
		close(tmpl.pidfd);
		return err;
	}
	proc_comm(pid, comm, sizeof(comm));
	pr_info("application %u: pid %u (%s), uid %u%s", *app_id, pid, comm, uid,
		tmpl.may_bind_privileged ? ", privileged ports" : "");
	return 0;
}

static void app_remove(struct osnicd *d, struct reg_app *app, const char *why)
{
	unsigned int nsvc = reg_nservices(&d->reg), nw = reg_nworkers(&d->reg);
	struct reg_changes chg = { 0 };
	uint32_t id = app->id, pid = app->pid;
	int pidfd = app->pidfd;

	reg_app_remove(&d->reg, id, &chg);
	sync_maps(d, &chg);
	if (pidfd >= 0)
		close(pidfd);
	pr_info("application %u (pid %u) %s: %u services, %u workers removed", id, pid, why,
		nsvc - reg_nservices(&d->reg), nw - reg_nworkers(&d->reg));
}

/* The application of the request's sender, or NULL (and ext says why). */
static struct reg_app *caller_app(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = reg_app_by_pid(&d->reg, rq->cred->pid);

	if (!app)
		osnic_nl_ext_set(&rq->ext, -ENOENT, NULL, NULL, 0,
				 "process %u is not registered (app-register first)",
				 rq->cred->pid);
	return app;
}

/* ---- replies ---------------------------------------------------------------------------- */

static void batch_send(struct osnicd *d, uint32_t portid)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = portid };
	size_t len = mnl_nlmsg_batch_size(d->batch);

	if (len && sendto(mnl_socket_get_fd(d->nl), mnl_nlmsg_batch_head(d->batch), len,
			  MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		pr_debug("reply to port id %#x lost: %s", portid, strerror(errno));
	mnl_nlmsg_batch_reset(d->batch);
}

/* Start a reply message; the handler adds attributes, then reply_end(). */
static struct nlmsghdr *reply_begin(struct osnicd *d, struct request *rq, bool multi)
{
	return osnic_nl_put_header(mnl_nlmsg_batch_current(d->batch), rq->m->genl->cmd,
				   multi ? NLM_F_MULTI : 0, rq->nlh->nlmsg_seq, rq->portid);
}

/* Room left for the message being built at the batch's end. */
static size_t reply_room(struct osnicd *d)
{
	return d->tx + sizeof(d->tx) - (char *)mnl_nlmsg_batch_current(d->batch);
}

static void reply_end(struct osnicd *d, struct request *rq)
{
	if (!mnl_nlmsg_batch_next(d->batch)) {
		/* Full: send what precedes this message; it moves to the front. */
		batch_send(d, rq->portid);
	}
}

static void reply_done(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(d->batch));
	int *zero;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = rq->nlh->nlmsg_seq;
	nlh->nlmsg_pid = rq->portid;
	zero = mnl_nlmsg_put_extra_header(nlh, sizeof(*zero));
	*zero = 0;
	reply_end(d, rq);
}

static void reply_error(struct osnicd *d, const struct nlmsghdr *req, uint32_t portid,
			const struct osnic_nl_ext *ext)
{
	size_t len;

	mnl_nlmsg_batch_reset(d->batch);
	if (mnl_nlmsg_batch_size(d->batch))	/* an overflow carried over: drop it */
		mnl_nlmsg_batch_reset(d->batch);
	len = osnic_nl_put_error(mnl_nlmsg_batch_current(d->batch), reply_room(d), req, portid,
				 ext);
	if (!len)
		return;
	mnl_nlmsg_batch_next(d->batch);
	batch_send(d, portid);
}

/* Attribute put helpers that cannot overflow (the batch keeps 2x headroom). */
#define put_u8(nlh, t, v) mnl_attr_put_u8_check(nlh, reply_room(d), t, v)
#define put_u16(nlh, t, v) mnl_attr_put_u16_check(nlh, reply_room(d), t, v)
#define put_u32(nlh, t, v) mnl_attr_put_u32_check(nlh, reply_room(d), t, v)
#define put_u64(nlh, t, v) mnl_attr_put_u64_check(nlh, reply_room(d), t, v)
#define put_str(nlh, t, v) mnl_attr_put_strz_check(nlh, reply_room(d), t, v)

/* ---- handlers ---------------------------------------------------------------------------- */

static int do_app_register(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh;
	uint32_t app_id;
	int err;

	err = app_add(d, rq->cred->pid, rq->cred->uid, rq->cred->gid, NULL, NULL, &app_id,
		      &rq->ext);
	if (err)
		return err;
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_APP_ID, app_id);
	put_u32(nlh, OSNIC_A_PID, rq->cred->pid);
	put_u32(nlh, OSNIC_A_UID, rq->cred->uid);
	reply_end(d, rq);
	return 0;
}

static int do_app_deregister(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = caller_app(d, rq);
	struct nlmsghdr *nlh;
	uint32_t id;

	if (!app)
		return rq->ext.err;
	id = app->id;
	app_remove(d, app, "deregistered");
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_APP_ID, id);
	reply_end(d, rq);
	return 0;
}

static uint32_t get_u32(const struct request *rq, int type, uint32_t dflt)
{
	return rq->m->tb[type] ? mnl_attr_get_u32(rq->m->tb[type]) : dflt;
}

/* Point the error at the attribute of that type in the request. */
static int blame(struct request *rq, int err)
{
	if (rq->ext.attr && rq->m->tb[rq->ext.attr])
		rq->ext.offs = (const char *)rq->m->tb[rq->ext.attr] - (const char *)rq->nlh;
	return err;
}

static int do_service_add(struct osnicd *d, struct request *rq)
{
	const struct nlattr *const *tb = rq->m->tb;
	struct reg_service_req req = {
		.prog = mnl_attr_get_u32(tb[OSNIC_A_PROG]),
		.vers = mnl_attr_get_u32(tb[OSNIC_A_VERS]),
		.port = mnl_attr_get_u16(tb[OSNIC_A_PORT]),
		.procs = mnl_attr_get_u64(tb[OSNIC_A_PROCS]),
		.depth_lines = get_u32(rq, OSNIC_A_DEPTH, 0),
		.flags = get_u32(rq, OSNIC_A_FLAGS, 0),
	};
	struct reg_app *app = caller_app(d, rq);
	struct reg_changes chg = { 0 };
	struct nlmsghdr *nlh;
	uint32_t id;
	int err;

	if (!app)
		return rq->ext.err;
	if (!d->maps_ok)
		return osnic_nl_ext_set(&rq->ext, -EOPNOTSUPP, NULL, NULL, 0,
					"the loaded XDP program lacks osnic's maps");
	err = reg_service_add(&d->reg, app->id, &req, &id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	err = sync_maps(d, &chg);
	if (err) {
		memset(&chg, 0, sizeof(chg));
		reg_service_del(&d->reg, app->id, id, &chg, NULL);
		sync_maps(d, &chg);
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					"writing the service to the BPF maps: %s", strerror(-err));
	}
	pr_info("service %u: program %u version %u on port %u for application %u", id,
		req.prog, req.vers, req.port, app->id);
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_SERVICE_ID, id);
	reply_end(d, rq);
	return 0;
}

static int do_service_del(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = reg_app_by_pid(&d->reg, rq->cred->pid);
	uint32_t id = get_u32(rq, OSNIC_A_SERVICE_ID, 0);
	struct reg_changes chg = { 0 };
	struct nlmsghdr *nlh;
	int err;

	/* App id 0 owns nothing: an unregistered sender gets ENOENT or EPERM. */
	err = reg_service_del(&d->reg, app ? app->id : 0, id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	sync_maps(d, &chg);
	pr_info("service %u removed", id);
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_SERVICE_ID, id);
	reply_end(d, rq);
	return 0;
}

static int put_service(struct osnicd *d, struct request *rq, uint32_t id)
{
	const struct reg_service *s = &d->reg.services[id];
	const struct reg_app *app = reg_app_by_id(&d->reg, s->app_id);
	struct nlmsghdr *nlh = reply_begin(d, rq, true);

	put_u32(nlh, OSNIC_A_SERVICE_ID, id);
	put_u32(nlh, OSNIC_A_APP_ID, s->app_id);
	put_u32(nlh, OSNIC_A_PID, app ? app->pid : 0);
	put_u32(nlh, OSNIC_A_UID, app ? app->uid : 0);
	put_u32(nlh, OSNIC_A_PROG, s->val.prog);
	put_u32(nlh, OSNIC_A_VERS, s->val.vers);
	put_u16(nlh, OSNIC_A_PORT, s->val.port);
	put_u64(nlh, OSNIC_A_PROCS, s->val.procs);
	put_u32(nlh, OSNIC_A_DEPTH, s->val.depth_lines);
	put_u32(nlh, OSNIC_A_FLAGS, s->val.flags);
	put_u32(nlh, OSNIC_A_NWORKERS, s->val.nworkers);
	reply_end(d, rq);
	return 0;
}

static int do_service_dump(struct osnicd *d, struct request *rq)
{
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_SERVICES; id++)
		if (reg_service_used(&d->reg, id))
			put_service(d, rq, id);
	reply_done(d, rq);
	return 0;
}

/* tid must be a thread of the application's process. */
static int check_thread(struct request *rq, uint32_t pid, uint32_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	if (tid && stat(path, &st) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u", tid);
	if (tid && stat(path, &st) == 0)
		return osnic_nl_ext_set(&rq->ext, -EPERM, rq->nlh, rq->m->tb[OSNIC_A_TID], 0,
					"thread %u is not a thread of process %u", tid, pid);
	return osnic_nl_ext_set(&rq->ext, -ESRCH, rq->nlh, rq->m->tb[OSNIC_A_TID], 0,
				"no thread %u", tid);
}

static int do_worker_add(struct osnicd *d, struct request *rq)
{
	uint32_t sid = get_u32(rq, OSNIC_A_SERVICE_ID, 0), tid = get_u32(rq, OSNIC_A_TID, 0);
	struct reg_app *app = caller_app(d, rq);
	struct reg_changes chg = { 0 };
	char path[128];
	struct nlmsghdr *nlh;
	uint32_t id;
	int err;

	if (!app)
		return rq->ext.err;
	err = reg_worker_add(&d->reg, app->id, sid, tid, &id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	err = check_thread(rq, app->pid, tid);
	if (!err) {
		err = osnic_xdp_ring_create(d->xdp, id, app->uid, app->gid, path, sizeof(path));
		if (err)
			osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "creating the ring: %s",
					 strerror(-err));
	}
	if (!err) {
		err = sync_maps(d, &chg);
		if (err)
			osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					 "writing the worker to the BPF maps: %s", strerror(-err));
	}
	if (err) {
		memset(&chg, 0, sizeof(chg));
		reg_worker_del(&d->reg, app->id, id, &chg, NULL);
		sync_maps(d, &chg);	/* also removes the ring */
		return err;
	}
	pr_info("worker %u: thread %u for service %u, ring %s", id, tid, sid, path);
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_WORKER_ID, id);
	put_u32(nlh, OSNIC_A_GENERATION, d->reg.workers[id].val.generation);
	put_str(nlh, OSNIC_A_RING_PATH, path);
	reply_end(d, rq);
	return 0;
}

static int do_worker_del(struct osnicd *d, struct request *rq)
{
	struct reg_app *app = reg_app_by_pid(&d->reg, rq->cred->pid);
	uint32_t id = get_u32(rq, OSNIC_A_WORKER_ID, 0);
	struct reg_changes chg = { 0 };
	struct nlmsghdr *nlh;
	int err;

	err = reg_worker_del(&d->reg, app ? app->id : 0, id, &chg, &rq->ext);
	if (err)
		return blame(rq, err);
	sync_maps(d, &chg);
	pr_info("worker %u removed", id);
	nlh = reply_begin(d, rq, false);
	put_u32(nlh, OSNIC_A_WORKER_ID, id);
	reply_end(d, rq);
	return 0;
}

static int do_worker_dump(struct osnicd *d, struct request *rq)
{
	struct osnic_worker_sched ws;
	char path[128];
	uint32_t id;

	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		const struct reg_worker *w = &d->reg.workers[id];
		const struct reg_app *app;
		struct nlmsghdr *nlh;

		if (!reg_worker_used(&d->reg, id))
			continue;
		app = reg_app_by_id(&d->reg, w->app_id);
		osnic_xdp_ring_path(id, path, sizeof(path));
		nlh = reply_begin(d, rq, true);
		put_u32(nlh, OSNIC_A_WORKER_ID, id);
		put_u32(nlh, OSNIC_A_SERVICE_ID, w->val.service_id);
		put_u32(nlh, OSNIC_A_APP_ID, w->app_id);
		put_u32(nlh, OSNIC_A_PID, app ? app->pid : 0);
		put_u32(nlh, OSNIC_A_TID, w->val.tid);
		put_u32(nlh, OSNIC_A_UID, w->val.owner_uid);
		put_u32(nlh, OSNIC_A_GENERATION, w->val.generation);
		put_str(nlh, OSNIC_A_RING_PATH, path);
		if (map_fd(d, OSNIC_MAP_WORKER_SCHED) >= 0 &&
		    !bpf_map_lookup_elem(map_fd(d, OSNIC_MAP_WORKER_SCHED), &id, &ws)) {
			put_u32(nlh, OSNIC_A_WORKER_STATE, ws.state);
			put_u32(nlh, OSNIC_A_WORKER_CPU, ws.cpu);
		}
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}

/* The interface a request names, by IFNAME or IFINDEX. */
static int req_iface(struct request *rq, int *ifindex, char *name)
{
	const struct nlattr *a;

	if ((a = rq->m->tb[OSNIC_A_IFNAME])) {
		*ifindex = if_nametoindex(mnl_attr_get_str(a));
		if (!*ifindex)
			return osnic_nl_ext_set(&rq->ext, -ENODEV, rq->nlh, a, 0,
						"no interface %s", mnl_attr_get_str(a));
	} else if ((a = rq->m->tb[OSNIC_A_IFINDEX])) {
		*ifindex = mnl_attr_get_u32(a);
	} else {
		return osnic_nl_ext_set(&rq->ext, -EINVAL, NULL, NULL, OSNIC_A_IFNAME,
					"%s needs attribute ifname or ifindex",
					osnic_nl_cmd_name(rq->m->genl->cmd));
	}
	if (*ifindex <= 0 || !if_indextoname(*ifindex, name))
		return osnic_nl_ext_set(&rq->ext, -ENODEV, rq->nlh, a, 0, "no interface %d",
					*ifindex);
	return 0;
}

static int require_admin(struct request *rq)
{
	if (may_admin(rq->cred))
		return 0;
	return osnic_nl_ext_set(&rq->ext, -EPERM, NULL, NULL, 0,
				"%s needs uid 0 or CAP_NET_ADMIN (uid %u)",
				osnic_nl_cmd_name(rq->m->genl->cmd), rq->cred->uid);
}

static void put_iface(struct osnicd *d, struct nlmsghdr *nlh, const char *name,
		      const struct osnic_xdp_iface *i)
{
	put_str(nlh, OSNIC_A_IFNAME, name);
	put_u32(nlh, OSNIC_A_IFINDEX, i->ifindex);
	put_u32(nlh, OSNIC_A_XDP_MODE, i->mode);
	put_u32(nlh, OSNIC_A_PROG_ID, i->prog_id);
}

static int do_iface_attach(struct osnicd *d, struct request *rq)
{
	const struct nlattr *ma = rq->m->tb[OSNIC_A_XDP_MODE];
	enum osnic_xdp_mode mode = ma ? mnl_attr_get_u32(ma) : OSNIC_XDP_MODE_AUTO;
	struct osnic_xdp_iface used;
	char name[IF_NAMESIZE];
	struct nlmsghdr *nlh;
	int ifindex;
	int err;

	err = require_admin(rq) ?: req_iface(rq, &ifindex, name);
	if (err)
		return err;
	if (mode > OSNIC_XDP_MODE_GENERIC)
		return osnic_nl_ext_set(&rq->ext, -EINVAL, rq->nlh, ma, 0, "unknown XDP mode %u",
					mode);
	err = osnic_xdp_attach(d->xdp, ifindex, mode, &used);
	if (err == -EEXIST)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "osnic runs on %s already",
					name);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0,
					"attaching XDP to %s (mode %s): %s", name,
					osnic_xdp_mode_name(mode), strerror(-err));
	pr_info("interface %s: attached in %s mode (program id %u)", name,
		osnic_xdp_mode_name(used.mode), used.prog_id);
	nlh = reply_begin(d, rq, false);
	put_iface(d, nlh, name, &used);
	reply_end(d, rq);
	return 0;
}

static int do_iface_detach(struct osnicd *d, struct request *rq)
{
	char name[IF_NAMESIZE];
	struct nlmsghdr *nlh;
	int ifindex;
	int err;

	err = require_admin(rq) ?: req_iface(rq, &ifindex, name);
	if (err)
		return err;
	err = osnic_xdp_detach(ifindex);
	if (err == -ENOENT)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "osnic does not run on %s",
					name);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, NULL, NULL, 0, "detaching from %s: %s",
					name, strerror(-err));
	pr_info("interface %s: detached", name);
	nlh = reply_begin(d, rq, false);
	put_str(nlh, OSNIC_A_IFNAME, name);
	put_u32(nlh, OSNIC_A_IFINDEX, ifindex);
	reply_end(d, rq);
	return 0;
}

#define MAX_IFACES 256

static int do_iface_dump(struct osnicd *d, struct request *rq)
{
	struct osnic_xdp_iface ifs[MAX_IFACES];
	char name[IF_NAMESIZE];
	int n, i;

	n = osnic_xdp_ifaces(ifs, MAX_IFACES);
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh;

		if (!if_indextoname(ifs[i].ifindex, name))
			continue;
		nlh = reply_begin(d, rq, true);
		put_iface(d, nlh, name, &ifs[i]);
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}

/* A nested attribute of n u64 counters, types 1..n. */
static void put_counters(struct osnicd *d, struct nlmsghdr *nlh, int type, const uint64_t *v,
			 unsigned int n)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, reply_room(d), type);
	unsigned int i;

	if (!nest)
		return;
	for (i = 0; i < n; i++)
		put_u64(nlh, i + 1, v[i]);
	mnl_attr_nest_end(nlh, nest);
}

static int do_stats_get(struct osnicd *d, struct request *rq)
{
	uint64_t rx[OSNIC_RX__MAX] = { 0 };
	int rx_fd = map_fd(d, OSNIC_MAP_RX_COUNTERS);
	struct nlmsghdr *nlh;
	unsigned int n;
	uint32_t id;

	for (n = 0; rx_fd >= 0 && n < OSNIC_RX__MAX; n++)
		if (osnic_percpu_sum(rx_fd, n, &rx[n], 1))
			break;
	nlh = reply_begin(d, rq, true);
	put_counters(d, nlh, OSNIC_A_RX_COUNTERS, rx, n);
	reply_end(d, rq);

	for (id = 1; id < OSNIC_MAX_SERVICES; id++) {
		struct osnic_svc_stats st;

		if (!reg_service_used(&d->reg, id) ||
		    osnic_percpu_sum(map_fd(d, OSNIC_MAP_SVC_STATS), id, (uint64_t *)&st,
				     sizeof(st) / sizeof(uint64_t)))
			continue;
		nlh = reply_begin(d, rq, true);
		put_u32(nlh, OSNIC_A_SERVICE_ID, id);
		put_counters(d, nlh, OSNIC_A_SVC_STATS, (uint64_t *)&st,
			     sizeof(st) / sizeof(uint64_t));
		reply_end(d, rq);
	}
	for (id = 1; id < OSNIC_MAX_WORKERS; id++) {
		struct osnic_worker_stats st;

		if (!reg_worker_used(&d->reg, id) ||
		    osnic_percpu_sum(map_fd(d, OSNIC_MAP_WORKER_STATS), id, (uint64_t *)&st,
				     sizeof(st) / sizeof(uint64_t)))
			continue;
		nlh = reply_begin(d, rq, true);
		put_u32(nlh, OSNIC_A_WORKER_ID, id);
		put_u32(nlh, OSNIC_A_SERVICE_ID, d->reg.workers[id].val.service_id);
		put_counters(d, nlh, OSNIC_A_WORKER_STATS, (uint64_t *)&st,
			     sizeof(st) / sizeof(uint64_t));
		reply_end(d, rq);
	}
	reply_done(d, rq);
	return 0;
}

static int do_daemon_info(struct osnicd *d, struct request *rq)
{
	struct osnic_xdp_iface ifs[MAX_IFACES];
	struct nlmsghdr *nlh = reply_begin(d, rq, false);
	int n = osnic_xdp_ifaces(ifs, MAX_IFACES);

	put_str(nlh, OSNIC_A_VERSION, OSNIC_VERSION);
	put_u32(nlh, OSNIC_A_PID, getpid());
	put_str(nlh, OSNIC_A_PIN_DIR, OSNIC_PIN_DIR);
	put_u32(nlh, OSNIC_A_NAPPS, reg_napps(&d->reg));
	put_u32(nlh, OSNIC_A_NSERVICES, reg_nservices(&d->reg));
	put_u32(nlh, OSNIC_A_NWORKERS, reg_nworkers(&d->reg));
	put_u32(nlh, OSNIC_A_NIFACES, n < 0 ? 0 : n);
	put_u64(nlh, OSNIC_A_UPTIME, time(NULL) - d->started);
	put_u8(nlh, OSNIC_A_ADOPTED, d->adopted);
	reply_end(d, rq);
	return 0;
}

/* ---- scheduling: sched_ext or the sched_switch feed ------------------------------ */

static int feed_attach(struct osnicd *d)
{
	struct bpf_map *m;
	int err, i;

	if (d->feed_attached)
		return 0;
	if (!d->feed) {
		d->feed = osnic_feed__open();
		if (!d->feed)
			return -errno;
		/* Share the XDP object's maps (their names are the same). */
		bpf_object__for_each_map(m, d->feed->obj) {
			for (i = 0; i < OSNIC_MAP__MAX; i++) {
				int fd = osnic_xdp_map_fd(d->xdp, i);

				if (fd < 0 || strcmp(bpf_map__name(m), osnic_xdp_map_name(i)))
					continue;
				err = bpf_map__reuse_fd(m, fd);
				if (err)
					goto fail;
			}
		}
		err = osnic_feed__load(d->feed);
		if (err)
			goto fail;
	}
	err = osnic_feed__attach(d->feed);
	if (err)
		return err;
	d->feed_attached = true;
	pr_info("sched_switch feed attached: the kernel's scheduler runs the workers");
	return 0;
fail:
	osnic_feed__destroy(d->feed);
	d->feed = NULL;
	return err;
}

static void feed_detach(struct osnicd *d)
{
	if (!d->feed_attached)
		return;
	osnic_feed__detach(d->feed);
	d->feed_attached = false;
}

/* Keep the scheduler's last words and counters, then free it. */
static void sched_forget(struct osnicd *d)
{
	struct osnic_sched_exit_info info;

	if (!d->sched)
		return;
	osnic_sched_stats(d->sched, &d->sched_last);
	osnic_sched_detach(d->sched);
	/* Truncated if it must: the message is for humans. */
	if (!osnic_sched_exit_info(d->sched, &info) &&
	    snprintf(d->sched_exit, sizeof(d->sched_exit), "%s%s%s%s%s",
		     osnic_sched_exit_kind_name(info.kind), info.reason[0] ? ": " : "",
		     info.reason, info.msg[0] ? ": " : "", info.msg) >= (int)sizeof(d->sched_exit))
		pr_debug("the scheduler's exit message was cut");
	osnic_sched_destroy(d->sched);
	d->sched = NULL;
}

/* Fall back to XDP-only: the feed keeps the workers' state. */
static void sched_fallback(struct osnicd *d)
{
	int err = feed_attach(d);

	if (err)
		pr_warn("attaching the sched_switch feed: %s: steering sees no worker state",
			strerror(-err));
}

/* The scheduler's osnic_sched_opts.shared_map_fd: our XDP object's maps. */
static int xdp_map_fd_by_name(const char *name, void *ctx)
{
	struct osnicd *d = ctx;
	int i;

	for (i = 0; i < OSNIC_MAP__MAX; i++)
		if (!strcmp(name, osnic_xdp_map_name(i)))
			return osnic_xdp_map_fd(d->xdp, i);
	return -1;
}

/* Load and attach the osnic scheduler; on failure, XDP-only with the reason. */
static int sched_start(struct osnicd *d)
{
	/* Our maps by fd, never by path: a bpffs mounted over the pins would mislead. */
	struct osnic_sched_opts opts = { .verbose = log_level >= LOG_LIBBPF,
					 .pin_dir = "",
					 .shared_map_fd = xdp_map_fd_by_name,
					 .shared_map_ctx = d };
	int err;

	if (d->sched)
		return 0;
	err = osnic_sched_available(d->sched_why, sizeof(d->sched_why));
	if (err)
		goto fallback;
	d->sched = osnic_sched_load(&opts);
	if (!d->sched) {
		err = -errno;
		snprintf(d->sched_why, sizeof(d->sched_why), "loading the scheduler: %s",
			 strerror(-err));
		goto fallback;
	}
	/* Without XDP's maps its worker states would reach nobody. */
	if (osnic_sched_reused_maps(d->sched) != osnic_sched_nr_shared_maps()) {
		err = -ENOENT;
		snprintf(d->sched_why, sizeof(d->sched_why),
			 "the scheduler shares only %u of the %u maps with XDP",
			 osnic_sched_reused_maps(d->sched), osnic_sched_nr_shared_maps());
		osnic_sched_destroy(d->sched);
		d->sched = NULL;
		goto fallback;
	}
	/* The feed's state updates would race the scheduler's. */
	feed_detach(d);
	err = osnic_sched_attach(d->sched);
	if (err) {
		snprintf(d->sched_why, sizeof(d->sched_why), "attaching the scheduler: %s%s",
			 strerror(-err), err == -EBUSY ? " (another sched_ext scheduler runs)" : "");
		osnic_sched_destroy(d->sched);
		d->sched = NULL;
		goto fallback;
	}
	d->sched_why[0] = '\0';
	d->sched_ran = true;
	pr_info("osnic sched_ext scheduler attached (%u shared maps reused)",
		osnic_sched_reused_maps(d->sched));
	return 0;
fallback:
	pr_info("XDP-only: %s", d->sched_why);
	sched_fallback(d);
	return err;
}

static void sched_stop(struct osnicd *d, const char *why)
{
	if (!d->sched)
		return;
	sched_forget(d);
	snprintf(d->sched_why, sizeof(d->sched_why), "%s", why);
	pr_info("osnic scheduler unloaded: %s", why);
	sched_fallback(d);
}

/* Called from the event loop: notice an ejection. */
static void sched_check(struct osnicd *d)
{
	if (!d->sched || !osnic_sched_exited(d->sched))
		return;
	sched_forget(d);
	if (snprintf(d->sched_why, sizeof(d->sched_why), "the scheduler left the kernel: %s",
		     d->sched_exit) >= (int)sizeof(d->sched_why))
		pr_debug("the reason was cut");
	pr_warn("osnic scheduler exited (%s); falling back to XDP-only", d->sched_exit);
	sched_fallback(d);
}

static int put_sched_info(struct osnicd *d, struct request *rq)
{
	struct nlmsghdr *nlh = reply_begin(d, rq, false);
	struct osnic_sched_stats st = d->sched_last;
	struct nlattr *nest;
	unsigned int i;

	put_u32(nlh, OSNIC_A_SCHED_MODE, d->sched ? OSNIC_SCHED_MODE_SCHED_EXT :
						    OSNIC_SCHED_MODE_XDP_ONLY);
	if (!d->sched && d->sched_why[0])
		put_str(nlh, OSNIC_A_SCHED_WHY, d->sched_why);
	put_u8(nlh, OSNIC_A_SCHED_FEED, d->feed_attached);
	if (d->sched_exit[0])
		put_str(nlh, OSNIC_A_SCHED_EXIT, d->sched_exit);
	if (d->sched)
		osnic_sched_stats(d->sched, &st);
	if (d->sched_ran) {
		nest = mnl_attr_nest_start_check(nlh, reply_room(d), OSNIC_A_SCHED_STATS);
		if (nest) {
			for (i = 0; i < sizeof(st) / sizeof(__u64); i++)
				put_u64(nlh, i + 1, ((const __u64 *)&st)[i]);
			mnl_attr_nest_end(nlh, nest);
		}
	}
	reply_end(d, rq);
	return 0;
}

static int do_sched_info(struct osnicd *d, struct request *rq)
{
	sched_check(d);
	return put_sched_info(d, rq);
}

static int do_sched_set(struct osnicd *d, struct request *rq)
{
	bool enable = mnl_attr_get_u8(rq->m->tb[OSNIC_A_SCHED_ENABLE]);
	int err;

	if (rq->cred->uid != 0 && !proc_has_cap(rq->cred->pid, CAP_SYS_ADMIN))
		return osnic_nl_ext_set(&rq->ext, -EPERM, NULL, NULL, 0,
					"sched-set needs uid 0 or CAP_SYS_ADMIN (uid %u)",
					rq->cred->uid);
	sched_check(d);
	if (!enable) {
		if (d->sched)
			sched_stop(d, "disabled by request");
		return put_sched_info(d, rq);
	}
	err = sched_start(d);
	if (err)
		return osnic_nl_ext_set(&rq->ext, err, rq->nlh,
					rq->m->tb[OSNIC_A_SCHED_ENABLE], OSNIC_A_SCHED_ENABLE,
					"%s", d->sched_why);
	return put_sched_info(d, rq);
}

typedef int (*handler_fn)(struct osnicd *d, struct request *rq);

static const handler_fn handlers[OSNIC_CMD_MAX + 1] = {
	[OSNIC_CMD_APP_REGISTER] = do_app_register,
	[OSNIC_CMD_APP_DEREGISTER] = do_app_deregister,
	[OSNIC_CMD_SERVICE_ADD] = do_service_add,
	[OSNIC_CMD_SERVICE_DEL] = do_service_del,
	[OSNIC_CMD_SERVICE_DUMP] = do_service_dump,
	[OSNIC_CMD_WORKER_ADD] = do_worker_add,
	[OSNIC_CMD_WORKER_DEL] = do_worker_del,
	[OSNIC_CMD_WORKER_DUMP] = do_worker_dump,
	[OSNIC_CMD_IFACE_ATTACH] = do_iface_attach,
	[OSNIC_CMD_IFACE_DETACH] = do_iface_detach,
	[OSNIC_CMD_IFACE_DUMP] = do_iface_dump,
	[OSNIC_CMD_STATS_GET] = do_stats_get,
	[OSNIC_CMD_DAEMON_INFO] = do_daemon_info,
	[OSNIC_CMD_SCHED_INFO] = do_sched_info,
	[OSNIC_CMD_SCHED_SET] = do_sched_set,
};

/* ---- the netlink socket ---------------------------------------------------------------- */

/* One message of a datagram: len is what is left of the datagram. */
static void handle_message(struct osnicd *d, const struct nlmsghdr *nlh, size_t len,
			   uint32_t portid, const struct ucred *cred)
{
	struct osnic_nl_msg m;
	struct request rq = { .nlh = nlh, .m = &m, .cred = cred, .portid = portid };
	int err;

	err = osnic_nl_parse_request(nlh, len, &m, &rq.ext);
	if (!err && !cred)
		err = osnic_nl_ext_set(&rq.ext, -EPERM, NULL, NULL, 0,
				       "request without SCM_CREDENTIALS");
	if (!err && !cred->pid)
		err = osnic_nl_ext_set(&rq.ext, -EPERM, NULL, NULL, 0,
				       "the sender is not visible in osnicd's pid namespace");
	if (!err) {
		memset(&rq.ext, 0, sizeof(rq.ext));
		err = handlers[m.genl->cmd](d, &rq);
		if (err && !rq.ext.err)
			rq.ext.err = err;
		if (err && !rq.ext.msg[0])
			snprintf(rq.ext.msg, sizeof(rq.ext.msg), "%s", strerror(-err));
	}
	pr_debug("%s from pid %d uid %d (port id %#x): %s",
		 len >= OSNIC_NL_HDRLEN && nlh->nlmsg_len >= OSNIC_NL_HDRLEN ?
			 osnic_nl_cmd_name(((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd) :
			 "?",
		 cred ? cred->pid : -1, cred ? (int)cred->uid : -1, portid,
		 err ? rq.ext.msg : "ok");
	if (err) {
		reply_error(d, len >= NLMSG_HDRLEN ? nlh : NULL, portid, &rq.ext);
		return;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK) {
		struct osnic_nl_ext ack = { 0 };
		size_t n = osnic_nl_put_error(mnl_nlmsg_batch_current(d->batch), reply_room(d),
					      nlh, portid, &ack);

		if (n)
			reply_end(d, &rq);
	}
	batch_send(d, portid);
}

static void handle_datagram(struct osnicd *d, size_t n, uint32_t portid,
			    const struct ucred *cred)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)d->rx;
	int left = n;

	while (left > 0) {
		/* Control messages (NOOP, DONE, ERROR) are no requests: skip them. */
		if (left >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
		    nlh->nlmsg_len <= (unsigned int)left && nlh->nlmsg_type < NLMSG_MIN_TYPE) {
			nlh = mnl_nlmsg_next(nlh, &left);
			continue;
		}
		handle_message(d, nlh, left, portid, cred);
		if (!mnl_nlmsg_ok(nlh, left))
			break;	/* truncated: answered, nothing after it can be found */
		nlh = mnl_nlmsg_next(nlh, &left);
	}
}

static void nl_receive(struct osnicd *d)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(struct ucred))];
		struct sockaddr_nl from;
		struct iovec iov = { d->rx, sizeof(d->rx) };
		struct msghdr mh = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		const struct ucred *cred = NULL;
		struct cmsghdr *c;
		ssize_t n;

		n = recvmsg(mnl_socket_get_fd(d->nl), &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				pr_warn("netlink receive queue overflowed: requests were lost");
				continue;
			}
			if (errno != EAGAIN)
				pr_warn("netlink receive: %s", strerror(errno));
			return;
		}
		if (from.nl_pid == 0)
			continue;	/* the kernel has nothing to say on NETLINK_USERSOCK */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
				cred = (const struct ucred *)CMSG_DATA(c);
		if (mh.msg_flags & MSG_TRUNC) {
			struct osnic_nl_ext ext;

			osnic_nl_ext_set(&ext, -EMSGSIZE, NULL, NULL, 0,
					 "datagram larger than %zu bytes", sizeof(d->rx));
			reply_error(d, (size_t)n >= NLMSG_HDRLEN ? (void *)d->rx : NULL,
				    from.nl_pid, &ext);
			continue;
		}
		handle_datagram(d, n, from.nl_pid, cred);
	}
}

static int nl_open(struct osnicd *d)
{
	int one = 1;

	d->nl = mnl_socket_open2(NETLINK_USERSOCK, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!d->nl)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		return -errno;
	if (mnl_socket_bind(d->nl, 0, OSNIC_NL_PORTID)) {
		if (errno == EADDRINUSE)
			pr_warn("netlink port id %#x is taken in this network namespace: "
				"is another osnicd running?",
				OSNIC_NL_PORTID);
		return -errno;
	}
	d->batch = mnl_nlmsg_batch_start(d->tx, BATCH_LIMIT);
	return d->batch ? 0 : -ENOMEM;
}

/* ---- start: re-adopting what an earlier osnicd left -------------------------------- */

static bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}

/*
 * Rebuild the registry from the pinned maps: each service whose owner
 * process still runs (same pid, same start time) comes back with the
 * workers whose threads still run; the rest is wiped by sync_all().
 */
static void adopt_state(struct osnicd *d, bool owners_reused)
{
	int svc_fd = map_fd(d, OSNIC_MAP_SERVICES), w_fd = map_fd(d, OSNIC_MAP_WORKERS);
	unsigned int nsvc = 0, nw = 0;
	uint32_t sid, slot;

	if (!osnic_xdp_adopted(d->xdp) || !d->maps_ok)
		return;
	/* Generations go on counting from where the maps are, for every slot. */
	for (slot = 1; slot < OSNIC_MAX_WORKERS; slot++) {
		struct osnic_worker wv;

		if (!bpf_map_lookup_elem(w_fd, &slot, &wv))
			d->reg.workers[slot].val.generation = wv.generation;
	}
	if (!owners_reused) {
		pr_warn("pinned maps but no %s: their services have no known owner, removing them",
			OWNERS_MAP);
		return;
	}
	for (sid = 1; sid < OSNIC_MAX_SERVICES; sid++) {
		struct osnic_service sv;
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
			struct osnic_worker wv;
			char path[128];

			if (!wid || wid >= OSNIC_MAX_WORKERS ||
			    bpf_map_lookup_elem(w_fd, &wid, &wv) || wv.service_id != sid ||
			    !thread_alive(app->pid, wv.tid) ||
			    osnic_xdp_ring_path(wid, path, sizeof(path)) || access(path, F_OK) ||
			    reg_worker_adopt(&d->reg, wid, &wv, NULL))
				continue;
			nw++;
		}
	}
	d->adopted = true;
	pr_info("re-adopted pinned state: %u applications, %u services, %u workers",
		reg_napps(&d->reg), nsvc, nw);
}

/*
 * An interface may run an osnic program whose maps are not the pinned
 * ones: its osnicd's bpffs is gone (a mount namespace that ended, as with
 * `ip netns exec`). It would serve a registry nobody keeps: replace it.
 */
static void adopt_ifaces(struct osnicd *d)
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

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: osnicd [OPTIONS]\n"
		"The osnic control daemon: loads the XDP program, keeps the registry of\n"
		"applications, services and workers, answers osnicctl and libosnic.\n"
		"\n"
		"  -C, --cleanup       on stop, detach XDP everywhere and remove all pinned state\n"
		"  -d, --depth LINES   default ring depth of a service (default %d)\n"
		"  -l, --linger SECS   keep answering PROG_UNAVAIL on a port that lost its\n"
		"                      last service for SECS seconds (default %d; 0: no)\n"
		"  -S, --no-sched      do not load the osnic sched_ext scheduler: XDP-only,\n"
		"                      the sched_switch feed keeps the workers' state\n"
		"  -v, --verbose       more messages (-vv: also libbpf and libxdp)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n",
		REG_DEFAULT_DEPTH, DEFAULT_LINGER_S);
}

static struct osnicd daemon_state;

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cleanup", no_argument, NULL, 'C' },
		{ "depth", required_argument, NULL, 'd' },
		{ "linger", required_argument, NULL, 'l' },
		{ "no-sched", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct osnicd *d = &daemon_state;
	struct osnic_xdp_opts xopts = { 0 };
	unsigned long depth = REG_DEFAULT_DEPTH, linger = DEFAULT_LINGER_S;
	struct pollfd pfd[3 + REG_MAX_APPS];		/* local-addrs hook: 3, was 2 */
	struct reg_app *pfd_app[3 + REG_MAX_APPS];	/* local-addrs hook */
	bool cleanup = false, owners_reused = false, running = true;
	sigset_t sigs;
	int err, opt, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "Cd:l:SvVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			cleanup = true;
			break;
		case 'd':
			depth = strtoul(optarg, &end, 0);
			if (*end || depth < REG_MIN_DEPTH || depth > REG_MAX_DEPTH) {
				fprintf(stderr, "osnicd: --depth must be %d..%d lines\n",
					REG_MIN_DEPTH, REG_MAX_DEPTH);
				return 2;
			}
			break;
		case 'l':
			linger = strtoul(optarg, &end, 0);
			if (*end || linger > 86400) {
				fprintf(stderr, "osnicd: --linger must be 0..86400 seconds\n");
				return 2;
			}
			break;
		case 'S':
			d->no_sched = true;
			break;
		case 'v':
			log_level++;
			break;
		case 'V':
			printf("osnicd %s\n", OSNIC_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	d->started = time(NULL);
	d->linger_s = linger;
	d->owners_fd = -1;
	d->sigfd = -1;
	reg_init(&d->reg, depth, unpriv_port_start());
	for (i = 0; i < REG_MAX_APPS; i++)
		d->reg.apps[i].pidfd = -1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (d->sigfd < 0) {
		pr_warn("signalfd: %s", strerror(errno));
		return 1;
	}

	/* Claim the port id first: a second osnicd must not touch the pins. */
	err = nl_open(d);
	if (err) {
		pr_warn("opening the control socket: %s", strerror(-err));
		return 1;
	}

	xopts.verbose = log_level >= LOG_LIBBPF;
	d->xdp = osnic_xdp_load(&xopts);
	if (!d->xdp) {
		pr_warn("loading the XDP program: %s%s", strerror(errno),
			errno == EINVAL ? " (pinned maps of another layout? stop osnicd with "
					  "--cleanup or remove " OSNIC_PIN_DIR ")" : "");
		return 1;
	}
	d->maps_ok = true;
	for (i = 0; i < OSNIC_MAP__MAX; i++) {
		if (osnic_xdp_map_fd(d->xdp, i) >= 0)
			continue;
		if (i < OSNIC_MAP__REQUIRED) {
			pr_warn("the XDP object has no map %s: services cannot be registered",
				osnic_xdp_map_name(i));
			d->maps_ok = false;
		} else {
			pr_info("the XDP object has no map %s", osnic_xdp_map_name(i));
		}
	}
	d->owners_fd = osnic_xdp_state_map(OWNERS_MAP, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
					   sizeof(struct owner_rec), OSNIC_MAX_SERVICES,
					   &owners_reused);
	if (d->owners_fd < 0)
		pr_warn("%s: %s: a restarted osnicd will not re-adopt services", OWNERS_MAP,
			strerror(-d->owners_fd));
	adopt_state(d, owners_reused);
	/* local-addrs hook: XDP serves only this namespace's addresses (local_addrs.h). */
	d->laddrs = local_addrs_open(&(struct local_addrs_opts){
		.map_fd = map_fd(d, OSNIC_MAP_LOCAL_ADDRS), .log = log_msg,
		.warn_level = LOG_WARN, .debug_level = LOG_DEBUG });
	if (!d->laddrs)
		pr_warn("local addresses: %s: XDP leaves every datagram to the kernel",
			strerror(errno));
	if (d->maps_ok && sync_all(d))
		pr_warn("could not bring every map in step with the registry");
	adopt_ifaces(d);
	if (d->no_sched) {
		snprintf(d->sched_why, sizeof(d->sched_why), "osnicd runs with --no-sched");
		pr_info("XDP-only: %s", d->sched_why);
		sched_fallback(d);
	} else {
		sched_start(d);
	}

	pr_info("osnicd %s ready: pinned under %s, netlink port id %#x%s", OSNIC_VERSION,
		OSNIC_PIN_DIR, OSNIC_NL_PORTID, cleanup ? ", cleanup on stop" : "");

	while (running) {
		int nfds = 0, timeout;

		pfd[nfds].fd = d->sigfd;
		pfd[nfds++].events = POLLIN;
		pfd[nfds].fd = mnl_socket_get_fd(d->nl);
		pfd[nfds++].events = POLLIN;
		pfd[nfds].fd = local_addrs_fd(d->laddrs);	/* local-addrs hook: pfd[2] */
		pfd[nfds++].events = POLLIN;
		for (i = 0; i < REG_MAX_APPS; i++) {
			if (!d->reg.apps[i].id || d->reg.apps[i].pidfd < 0)
				continue;
			pfd_app[nfds] = &d->reg.apps[i];
			pfd[nfds].fd = d->reg.apps[i].pidfd;
			pfd[nfds++].events = POLLIN;
		}
		timeout = linger_expire(d);
		if (d->sched && (timeout < 0 || timeout > SCHED_POLL_MS))
			timeout = SCHED_POLL_MS;
		if (poll(pfd, nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
				pr_info("%s: stopping", strsignal(si.ssi_signo));
			running = false;
			break;
		}
		/* Deaths first: a request must not reach an application that is gone. */
		for (i = 3; i < nfds; i++)	/* local-addrs hook: 3, was 2 */
			if (pfd[i].revents && pfd_app[i]->id && pfd_app[i]->pidfd == pfd[i].fd)
				app_remove(d, pfd_app[i], "exited");
		if (pfd[2].revents)	/* local-addrs hook */
			local_addrs_event(d->laddrs);
		if (pfd[1].revents)
			nl_receive(d);
		sched_check(d);
	}

	/* Clients get ECONNREFUSED from here on. */
	mnl_socket_close(d->nl);
	local_addrs_close(d->laddrs);	/* local-addrs hook */
	for (i = 0; i < REG_MAX_APPS; i++)
		if (d->reg.apps[i].id && d->reg.apps[i].pidfd >= 0)
			close(d->reg.apps[i].pidfd);
	if (d->owners_fd >= 0)
		close(d->owners_fd);
	/* The kernel's scheduler takes the workers back; the feed goes with us. */
	sched_forget(d);
	osnic_feed__destroy(d->feed);
	osnic_xdp_unload(d->xdp, cleanup);
	pr_info(cleanup ? "stopped; XDP detached and %s removed" :
			  "stopped; %s and the attached XDP programs stay",
		OSNIC_PIN_DIR);
	close(d->sigfd);
	return 0;
}
