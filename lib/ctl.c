// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The client side of osnicd's control protocol (include/osnic/ctl.h).
 *
 * One request at a time: the request gets the next sequence number, and
 * every answer with another sequence number (a late answer to an earlier,
 * abandoned request) is skipped. The socket is connect()ed to osnicd's port
 * id (the one osnicd published, else the well-known one), so the kernel
 * delivers nothing from anyone else; a process of another user could still
 * hold that port id when osnicd is not running, so answers must carry the
 * kernel-verified credentials of uid 0.
 *
 * In a user namespace that does not map uid 0 (unshare -Ur, a rootless
 * container), the kernel shows osnicd's uid as the overflow uid (65534),
 * as it shows every other unmapped uid: 65534 alone proves nothing. In any
 * user namespace but one whose uids read as the kernel's (the initial one),
 * an answer counts only if its kernel-verified pid is osnicd's: the pid file
 * osnicd writes for this network namespace in OSNIC_RUN_DIR (root's, 0755:
 * nobody else writes there) names that pid and its start time, which must
 * match /proc/PID/stat (a pid reused after osnicd died has another). The
 * pid must be visible here: the application shares osnicd's pid namespace.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include <osnic/ctl.h>

struct osnic_ctl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t daemon;		/* osnicd's port id */
	uint32_t seq;
	struct osnic_nl_ext ext;	/* the last call's error */
	char rx[OSNIC_NL_BUF_SIZE];
	char tx[1024];			/* requests are small */
};

typedef int (*reply_cb)(const struct osnic_nl_msg *m, void *data);

static int ctl_fail(struct osnic_ctl *ctl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_fail(struct osnic_ctl *ctl, int err, const char *fmt, ...)
{
	va_list ap;

	ctl->ext.err = err;
	ctl->ext.attr = 0;
	ctl->ext.offs = 0;
	va_start(ap, fmt);
	vsnprintf(ctl->ext.msg, sizeof(ctl->ext.msg), fmt, ap);
	va_end(ap);
	return err;
}

int osnic_ctl_open(struct osnic_ctl **ctlp)
{
	/* Where osnicd published its port id, else the well-known one. */
	struct sockaddr_nl daemon = {
		.nl_family = AF_NETLINK,
		.nl_pid = osnic_nl_daemon_portid(NULL),
	};
	struct timeval tv = {
		.tv_sec = OSNIC_CTL_TIMEOUT_MS / 1000,
		.tv_usec = (OSNIC_CTL_TIMEOUT_MS % 1000) * 1000,
	};
	/*
	 * osnicd sends a dump without waiting for the reader (a client that
	 * does not read loses its replies): room for one of every worker id,
	 * a few hundred KiB. Beyond rmem_max only for root (RCVBUFFORCE);
	 * others see their own workers only.
	 */
	int rcvbuf = 4 << 20;
	struct osnic_ctl *ctl;
	int one = 1;
	int err;
	int fd;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->nl = mnl_socket_open2(NETLINK_USERSOCK, SOCK_CLOEXEC);
	if (!ctl->nl) {
		err = -errno;
		goto cleanup;
	}
	fd = mnl_socket_get_fd(ctl->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		goto cleanup;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(ctl->nl, 0, MNL_SOCKET_AUTOPID)) {
		err = -errno;
		goto cleanup;
	}
	if (connect(fd, (struct sockaddr *)&daemon, sizeof(daemon))) {
		err = -errno;
		goto cleanup;
	}
	ctl->portid = mnl_socket_get_portid(ctl->nl);
	ctl->daemon = daemon.nl_pid;
	ctl->seq = (uint32_t)time(NULL);
	*ctlp = ctl;
	return 0;
cleanup:
	osnic_ctl_close(ctl);
	return err;
}

void osnic_ctl_close(struct osnic_ctl *ctl)
{
	if (!ctl)
		return;
	if (ctl->nl)
		mnl_socket_close(ctl->nl);
	free(ctl);
}

const char *osnic_ctl_errmsg(const struct osnic_ctl *ctl)
{
	return ctl->ext.msg[0] ? ctl->ext.msg : NULL;
}

unsigned int osnic_ctl_erratt(const struct osnic_ctl *ctl)
{
	return ctl->ext.attr;
}

static struct nlmsghdr *ctl_msg(struct osnic_ctl *ctl, uint8_t cmd, bool dump)
{
	uint16_t flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);

	memset(&ctl->ext, 0, sizeof(ctl->ext));
	return osnic_nl_put_header(ctl->tx, cmd, flags, ++ctl->seq, ctl->portid);
}

/* The kernel's overflow uid: what an unmapped uid reads as. */
static unsigned int overflow_uid(void)
{
	unsigned int v = 65534;
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return v;
}

/*
 * How uid 0 of the namespace above reads in this process's user namespace:
 * *root gets it, or -1 if that namespace does not map it. Returns true if
 * the map is the identity of all uids, as in the initial namespace (only a
 * namespace whose parents all map every uid can have it: uids read as the
 * kernel's there).
 */
static bool uid_map_identity(long long *root)
{
	unsigned long long in, out, count;
	unsigned int lines = 0;
	bool identity = false;
	FILE *f = fopen("/proc/self/uid_map", "re");

	*root = -1;
	if (!f)
		return false;
	while (fscanf(f, "%llu %llu %llu", &in, &out, &count) == 3) {
		lines++;
		if (out == 0 && count)
			*root = in;
		identity = in == 0 && out == 0 && count == 4294967295ULL;
	}
	fclose(f);
	return lines == 1 && identity;
}

static int proc_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	for (i = 3; i <= 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p, NULL, 10);
	return 0;
}

/*
 * Whether the answer is osnicd's (see the top of this file): uid 0 where
 * uids read as the kernel's; in any other user namespace, the overflow uid
 * (or the uid that root reads as there) and, in any case, the pid and start
 * time of osnicd's pid file. 0, or -EPERM with the reason in ctl->ext.
 */
static int ctl_check_sender(struct osnic_ctl *ctl, const struct ucred *cred)
{
	unsigned long long start = 0, now = 0;
	char path[128];
	long long root;
	struct stat st;
	int pid = 0;
	FILE *f;

	if (uid_map_identity(&root)) {
		if (cred->uid == 0)
			return 0;
		return ctl_fail(ctl, -EPERM,
				"port id %#x is held by pid %d of uid %u, not by osnicd (uid 0)",
				ctl->daemon, cred->pid, cred->uid);
	}
	if (cred->uid != overflow_uid() && (long long)cred->uid != root)
		return ctl_fail(ctl, -EPERM,
				"port id %#x is held by pid %d of uid %u of this user namespace, "
				"not by osnicd (uid 0, unmapped here)",
				ctl->daemon, cred->pid, cred->uid);
	if (cred->pid <= 0)
		return ctl_fail(ctl, -EPERM,
				"osnicd's pid is not visible in this pid namespace: share osnicd's "
				"pid namespace to use osnic from a user namespace");
	if (stat("/proc/self/ns/net", &st))
		return ctl_fail(ctl, -EPERM, "/proc/self/ns/net: %s", strerror(errno));
	snprintf(path, sizeof(path), OSNIC_PID_FILE_FMT, (unsigned long long)st.st_ino);
	f = fopen(path, "re");
	if (!f)
		return ctl_fail(ctl, -EPERM,
				"an answer from pid %d of an unmapped uid, and no %s (%s) to tell "
				"whether that is osnicd",
				cred->pid, path, strerror(errno));
	if (fscanf(f, "%d %llu", &pid, &start) != 2)
		pid = 0;
	fclose(f);
	if (pid != cred->pid || proc_start_time(pid, &now) || now != start)
		return ctl_fail(ctl, -EPERM,
				"port id %#x is held by pid %d of an unmapped uid, not by osnicd "
				"(%s names pid %d)",
				ctl->daemon, cred->pid, path, pid);
	return 0;
}

/* Receive one datagram from osnicd; check who sent it. Returns its length. */
static ssize_t ctl_recv(struct osnic_ctl *ctl)
{
	struct osnic_nl_sender from;
	ssize_t n;

	n = osnic_nl_recv(mnl_socket_get_fd(ctl->nl), ctl->rx, sizeof(ctl->rx), 0, &from);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return ctl_fail(ctl, -ETIMEDOUT, "osnicd did not answer within %d ms",
					OSNIC_CTL_TIMEOUT_MS);
		return ctl_fail(ctl, -errno, "receiving from osnicd: %s", strerror(errno));
	}
	if (from.truncated)
		return ctl_fail(ctl, -EMSGSIZE, "osnicd's answer does not fit %zu bytes",
				sizeof(ctl->rx));
	if (!from.cred)
		return ctl_fail(ctl, -EPERM, "answer on port id %#x without credentials",
				ctl->daemon);
	if (ctl_check_sender(ctl, from.cred))
		return ctl->ext.err;
	return n;
}

/*
 * Send the request and read the answer: one message for a do command, a
 * series ended by NLMSG_DONE for a dump; cb sees each message.
 */
static int ctl_transact(struct osnic_ctl *ctl, struct nlmsghdr *req, reply_cb cb,
			void *data)
{
	const struct genlmsghdr *rg = mnl_nlmsg_get_payload(req);
	uint32_t seq = req->nlmsg_seq;
	int cb_ret = 0;

	if (send(mnl_socket_get_fd(ctl->nl), req, req->nlmsg_len, 0) < 0) {
		if (errno == ECONNREFUSED)
			return ctl_fail(ctl, -ECONNREFUSED,
					"osnicd is not running in this network namespace "
					"(nothing bound to netlink port id %#x)",
					ctl->daemon);
		return ctl_fail(ctl, -errno, "sending to osnicd: %s", strerror(errno));
	}
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = ctl_recv(ctl);
		int left;

		if (n < 0)
			return n;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)ctl->rx; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			struct osnic_nl_msg m;
			struct osnic_nl_ext ext;
			int err;

			if (nlh->nlmsg_seq != seq)
				continue;	/* an answer to an abandoned request */
			switch (nlh->nlmsg_type) {
			case NLMSG_DONE:
				return cb_ret;
			case NLMSG_ERROR:
				if (osnic_nl_parse_error(nlh, left, &ext))
					return ctl_fail(ctl, -EBADMSG,
							"malformed error from osnicd");
				if (!ext.err)
					return cb_ret;	/* an ACK */
				ctl->ext = ext;
				return ext.err;
			case OSNIC_NL_TYPE:
				break;
			default:
				continue;
			}
			err = osnic_nl_parse_reply(nlh, left, &m, &ext);
			if (err)
				return ctl_fail(ctl, -EBADMSG, "malformed answer from osnicd: %s",
						ext.msg);
			if (m.genl->cmd != rg->cmd)
				return ctl_fail(ctl, -EBADMSG, "osnicd answered %s to %s",
						osnic_nl_cmd_name(m.genl->cmd),
						osnic_nl_cmd_name(rg->cmd));
			if (!cb_ret && cb)
				cb_ret = cb(&m, data);
			if (!(nlh->nlmsg_flags & NLM_F_MULTI))
				return cb_ret;
		}
		if (left > 0)
			return ctl_fail(ctl, -EBADMSG, "truncated answer from osnicd");
	}
}

static uint32_t attr_u32(const struct osnic_nl_msg *m, int type, uint32_t dflt)
{
	return m->tb[type] ? mnl_attr_get_u32(m->tb[type]) : dflt;
}

static uint64_t attr_u64(const struct osnic_nl_msg *m, int type)
{
	return m->tb[type] ? mnl_attr_get_u64(m->tb[type]) : 0;
}

static void attr_str(const struct osnic_nl_msg *m, int type, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->tb[type] ? mnl_attr_get_str(m->tb[type]) : "");
}

/* A do command whose answer carries one u32 the caller wants. */
struct u32_reply {
	int type;
	uint32_t *out;
};

static int u32_reply_cb(const struct osnic_nl_msg *m, void *data)
{
	struct u32_reply *r = data;

	if (!m->tb[r->type])
		return -EBADMSG;
	if (r->out)
		*r->out = mnl_attr_get_u32(m->tb[r->type]);
	return 0;
}

int osnic_ctl_app_register(struct osnic_ctl *ctl, uint32_t *app_id)
{
	struct u32_reply r = { OSNIC_A_APP_ID, app_id };

	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_APP_REGISTER, false), u32_reply_cb, &r);
}

int osnic_ctl_app_deregister(struct osnic_ctl *ctl)
{
	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_APP_DEREGISTER, false), NULL, NULL);
}

int osnic_ctl_app_del(struct osnic_ctl *ctl, uint32_t app_id)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_APP_DEREGISTER, false);

	mnl_attr_put_u32(nlh, OSNIC_A_APP_ID, app_id);
	return ctl_transact(ctl, nlh, NULL, NULL);
}

int osnic_ctl_service_add(struct osnic_ctl *ctl, const struct osnic_ctl_service *svc,
			  uint32_t *service_id)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_SERVICE_ADD, false);
	struct u32_reply r = { OSNIC_A_SERVICE_ID, service_id };

	mnl_attr_put_u32(nlh, OSNIC_A_PROG, svc->prog);
	mnl_attr_put_u32(nlh, OSNIC_A_VERS, svc->vers);
	mnl_attr_put_u16(nlh, OSNIC_A_PORT, svc->port);
	mnl_attr_put_u64(nlh, OSNIC_A_PROCS, svc->procs);
	if (svc->depth_lines)
		mnl_attr_put_u32(nlh, OSNIC_A_DEPTH, svc->depth_lines);
	if (svc->flags)
		mnl_attr_put_u32(nlh, OSNIC_A_FLAGS, svc->flags);
	return ctl_transact(ctl, nlh, u32_reply_cb, &r);
}

int osnic_ctl_service_del(struct osnic_ctl *ctl, uint32_t service_id)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_SERVICE_DEL, false);

	mnl_attr_put_u32(nlh, OSNIC_A_SERVICE_ID, service_id);
	return ctl_transact(ctl, nlh, NULL, NULL);
}

struct worker_add_reply {
	uint32_t id;
	char path[128];
};

static int worker_add_cb(const struct osnic_nl_msg *m, void *data)
{
	struct worker_add_reply *r = data;

	if (!m->tb[OSNIC_A_WORKER_ID] || !m->tb[OSNIC_A_RING_PATH])
		return -EBADMSG;
	r->id = mnl_attr_get_u32(m->tb[OSNIC_A_WORKER_ID]);
	attr_str(m, OSNIC_A_RING_PATH, r->path, sizeof(r->path));
	return 0;
}

int osnic_ctl_worker_add(struct osnic_ctl *ctl, uint32_t service_id, uint32_t tid,
			 uint32_t *worker_id, char *ring_path, size_t ring_path_len)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_WORKER_ADD, false);
	struct worker_add_reply r = { 0 };
	int err;

	mnl_attr_put_u32(nlh, OSNIC_A_SERVICE_ID, service_id);
	mnl_attr_put_u32(nlh, OSNIC_A_TID, tid);
	err = ctl_transact(ctl, nlh, worker_add_cb, &r);
	if (err)
		return err;
	if (ring_path && strlen(r.path) >= ring_path_len) {
		/* Leave nothing half-done: the caller could not open the ring. */
		osnic_ctl_worker_del(ctl, r.id);
		return ctl_fail(ctl, -ENAMETOOLONG, "ring path %s does not fit %zu bytes",
				r.path, ring_path_len);
	}
	if (ring_path)
		memcpy(ring_path, r.path, strlen(r.path) + 1);
	if (worker_id)
		*worker_id = r.id;
	return 0;
}

int osnic_ctl_worker_del(struct osnic_ctl *ctl, uint32_t worker_id)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_WORKER_DEL, false);

	mnl_attr_put_u32(nlh, OSNIC_A_WORKER_ID, worker_id);
	return ctl_transact(ctl, nlh, NULL, NULL);
}

/* ---- dumps ------------------------------------------------------------------ */

struct dump_ctx {
	void *cb;
	void *data;
};

static int service_dump_cb(const struct osnic_nl_msg *m, void *data)
{
	struct dump_ctx *d = data;
	struct osnic_ctl_service_info i = {
		.id = attr_u32(m, OSNIC_A_SERVICE_ID, 0),
		.app_id = attr_u32(m, OSNIC_A_APP_ID, 0),
		.pid = attr_u32(m, OSNIC_A_PID, 0),
		.uid = attr_u32(m, OSNIC_A_UID, 0),
		.nworkers = attr_u32(m, OSNIC_A_NWORKERS, 0),
		.ring_bytes = attr_u32(m, OSNIC_A_RING_BYTES, 0),
		.svc = {
			.prog = attr_u32(m, OSNIC_A_PROG, 0),
			.vers = attr_u32(m, OSNIC_A_VERS, 0),
			.port = m->tb[OSNIC_A_PORT] ? mnl_attr_get_u16(m->tb[OSNIC_A_PORT]) : 0,
			.procs = attr_u64(m, OSNIC_A_PROCS),
			.depth_lines = attr_u32(m, OSNIC_A_DEPTH, 0),
			.flags = attr_u32(m, OSNIC_A_FLAGS, 0),
		},
	};

	return ((osnic_ctl_service_cb)d->cb)(&i, d->data);
}

int osnic_ctl_service_dump(struct osnic_ctl *ctl, osnic_ctl_service_cb cb, void *data)
{
	struct dump_ctx d = { cb, data };

	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_SERVICE_DUMP, true), service_dump_cb, &d);
}

static int worker_dump_cb(const struct osnic_nl_msg *m, void *data)
{
	struct dump_ctx *d = data;
	struct osnic_ctl_worker_info i = {
		.id = attr_u32(m, OSNIC_A_WORKER_ID, 0),
		.service_id = attr_u32(m, OSNIC_A_SERVICE_ID, 0),
		.app_id = attr_u32(m, OSNIC_A_APP_ID, 0),
		.pid = attr_u32(m, OSNIC_A_PID, 0),
		.tid = attr_u32(m, OSNIC_A_TID, 0),
		.uid = attr_u32(m, OSNIC_A_UID, 0),
		.generation = attr_u32(m, OSNIC_A_GENERATION, 0),
		.ring_bytes = attr_u32(m, OSNIC_A_RING_BYTES, 0),
	};

	attr_str(m, OSNIC_A_RING_PATH, i.ring_path, sizeof(i.ring_path));
	if (m->tb[OSNIC_A_WORKER_STATE]) {
		i.has_sched = 1;
		i.state = attr_u32(m, OSNIC_A_WORKER_STATE, 0);
		i.cpu = attr_u32(m, OSNIC_A_WORKER_CPU, 0);
	}
	return ((osnic_ctl_worker_cb)d->cb)(&i, d->data);
}

int osnic_ctl_worker_dump(struct osnic_ctl *ctl, osnic_ctl_worker_cb cb, void *data)
{
	struct dump_ctx d = { cb, data };

	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_WORKER_DUMP, true), worker_dump_cb, &d);
}

static void iface_from_msg(const struct osnic_nl_msg *m, struct osnic_ctl_iface *i)
{
	memset(i, 0, sizeof(*i));
	attr_str(m, OSNIC_A_IFNAME, i->name, sizeof(i->name));
	i->ifindex = attr_u32(m, OSNIC_A_IFINDEX, 0);
	i->mode = attr_u32(m, OSNIC_A_XDP_MODE, 0);
	i->prog_id = attr_u32(m, OSNIC_A_PROG_ID, 0);
}

static int iface_dump_cb(const struct osnic_nl_msg *m, void *data)
{
	struct dump_ctx *d = data;
	struct osnic_ctl_iface i;

	iface_from_msg(m, &i);
	return ((osnic_ctl_iface_cb)d->cb)(&i, d->data);
}

int osnic_ctl_iface_dump(struct osnic_ctl *ctl, osnic_ctl_iface_cb cb, void *data)
{
	struct dump_ctx d = { cb, data };

	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_IFACE_DUMP, true), iface_dump_cb, &d);
}

static int iface_reply_cb(const struct osnic_nl_msg *m, void *data)
{
	if (data)
		iface_from_msg(m, data);
	return 0;
}

static struct nlmsghdr *iface_msg(struct osnic_ctl *ctl, uint8_t cmd, const char *ifname)
{
	struct nlmsghdr *nlh = ctl_msg(ctl, cmd, false);

	if (!mnl_attr_put_strz_check(nlh, sizeof(ctl->tx), OSNIC_A_IFNAME, ifname))
		return NULL;
	return nlh;
}

int osnic_ctl_iface_attach(struct osnic_ctl *ctl, const char *ifname,
			   enum osnic_xdp_mode mode, struct osnic_ctl_iface *out)
{
	struct nlmsghdr *nlh = iface_msg(ctl, OSNIC_CMD_IFACE_ATTACH, ifname);

	if (!nlh)
		return ctl_fail(ctl, -ENAMETOOLONG, "interface name too long");
	if (mode != OSNIC_XDP_MODE_AUTO)
		mnl_attr_put_u32(nlh, OSNIC_A_XDP_MODE, mode);
	return ctl_transact(ctl, nlh, iface_reply_cb, out);
}

int osnic_ctl_iface_detach(struct osnic_ctl *ctl, const char *ifname)
{
	struct nlmsghdr *nlh = iface_msg(ctl, OSNIC_CMD_IFACE_DETACH, ifname);

	if (!nlh)
		return ctl_fail(ctl, -ENAMETOOLONG, "interface name too long");
	return ctl_transact(ctl, nlh, NULL, NULL);
}

/* ---- stats and daemon info -------------------------------------------------- */

/* A nested set of u64 counters, type n+1 into out[n] for n < max. */
static void get_counters(const struct nlattr *nest, uint64_t *out, unsigned int max)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		unsigned int t = mnl_attr_get_type(a);

		if (t >= 1 && t <= max && mnl_attr_get_payload_len(a) == 8)
			out[t - 1] = mnl_attr_get_u64(a);
	}
}

static int stats_cb(const struct osnic_nl_msg *m, void *data)
{
	struct osnic_ctl_stats *st = data;
	uint32_t id;

	if (m->tb[OSNIC_A_RX_COUNTERS])
		get_counters(m->tb[OSNIC_A_RX_COUNTERS], st->rx, OSNIC_RX__MAX);
	if (m->tb[OSNIC_A_SVC_STATS] && !m->tb[OSNIC_A_WORKER_ID]) {
		id = attr_u32(m, OSNIC_A_SERVICE_ID, 0);
		if (id && id < OSNIC_MAX_SERVICES) {
			st->svc_present[id / 64] |= 1ULL << (id % 64);
			get_counters(m->tb[OSNIC_A_SVC_STATS], (uint64_t *)&st->svc[id],
				     sizeof(st->svc[id]) / sizeof(uint64_t));
		}
	}
	if (m->tb[OSNIC_A_WORKER_STATS]) {
		id = attr_u32(m, OSNIC_A_WORKER_ID, 0);
		if (id && id < OSNIC_MAX_WORKERS) {
			st->worker_service[id] = attr_u32(m, OSNIC_A_SERVICE_ID, 0);
			get_counters(m->tb[OSNIC_A_WORKER_STATS], (uint64_t *)&st->worker[id],
				     sizeof(st->worker[id]) / sizeof(uint64_t));
		}
	}
	return 0;
}

int osnic_ctl_stats_get(struct osnic_ctl *ctl, struct osnic_ctl_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_STATS_GET, true), stats_cb, stats);
}

static int daemon_info_cb(const struct osnic_nl_msg *m, void *data)
{
	struct osnic_ctl_daemon_info *i = data;

	attr_str(m, OSNIC_A_VERSION, i->version, sizeof(i->version));
	attr_str(m, OSNIC_A_PIN_DIR, i->pin_dir, sizeof(i->pin_dir));
	i->pid = attr_u32(m, OSNIC_A_PID, 0);
	i->napps = attr_u32(m, OSNIC_A_NAPPS, 0);
	i->nservices = attr_u32(m, OSNIC_A_NSERVICES, 0);
	i->nworkers = attr_u32(m, OSNIC_A_NWORKERS, 0);
	i->nifaces = attr_u32(m, OSNIC_A_NIFACES, 0);
	i->uptime_s = attr_u64(m, OSNIC_A_UPTIME);
	i->adopted = m->tb[OSNIC_A_ADOPTED] ? mnl_attr_get_u8(m->tb[OSNIC_A_ADOPTED]) : 0;
	if (m->tb[OSNIC_A_QUOTA]) {
		uint32_t *q[OSNIC_QUOTA_MAX + 1] = {
			[OSNIC_QUOTA_APPS] = &i->quota_apps,
			[OSNIC_QUOTA_SERVICES] = &i->quota_services,
			[OSNIC_QUOTA_WORKERS] = &i->quota_workers,
			[OSNIC_QUOTA_RING_MB] = &i->quota_ring_mb,
		};
		const struct nlattr *a;

		mnl_attr_for_each_nested(a, m->tb[OSNIC_A_QUOTA]) {
			unsigned int t = mnl_attr_get_type(a);

			if (t >= 1 && t <= OSNIC_QUOTA_MAX && mnl_attr_get_payload_len(a) == 8)
				*q[t] = mnl_attr_get_u64(a);
		}
	}
	i->req_dropped = attr_u64(m, OSNIC_A_REQ_DROPPED);
	i->nl_portid = attr_u32(m, OSNIC_A_NL_PORTID, 0);
	return 0;
}

int osnic_ctl_daemon_info(struct osnic_ctl *ctl, struct osnic_ctl_daemon_info *info)
{
	memset(info, 0, sizeof(*info));
	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_DAEMON_INFO, false), daemon_info_cb, info);
}

static int sched_info_cb(const struct osnic_nl_msg *m, void *data)
{
	struct osnic_ctl_sched_info *i = data;

	i->mode = attr_u32(m, OSNIC_A_SCHED_MODE, OSNIC_SCHED_MODE_UNSPEC);
	attr_str(m, OSNIC_A_SCHED_WHY, i->why, sizeof(i->why));
	i->feed = m->tb[OSNIC_A_SCHED_FEED] ? mnl_attr_get_u8(m->tb[OSNIC_A_SCHED_FEED]) : 0;
	attr_str(m, OSNIC_A_SCHED_EXIT, i->exit, sizeof(i->exit));
	i->exit_kind = attr_u32(m, OSNIC_A_SCHED_EXIT_KIND, OSNIC_SCHED_EXIT_NONE);
	attr_str(m, OSNIC_A_SCHED_EXIT_REASON, i->exit_reason, sizeof(i->exit_reason));
	attr_str(m, OSNIC_A_SCHED_EXIT_MSG, i->exit_msg, sizeof(i->exit_msg));
	i->reloads = attr_u32(m, OSNIC_A_SCHED_RELOADS, 0);
	i->reload_planned = !!m->tb[OSNIC_A_SCHED_RELOAD_IN];
	i->reload_in_ms = attr_u32(m, OSNIC_A_SCHED_RELOAD_IN, 0);
	i->gave_up = m->tb[OSNIC_A_SCHED_GAVE_UP] ? mnl_attr_get_u8(m->tb[OSNIC_A_SCHED_GAVE_UP]) : 0;
	if (m->tb[OSNIC_A_SCHED_STATS]) {
		i->has_stats = 1;
		get_counters(m->tb[OSNIC_A_SCHED_STATS], (uint64_t *)&i->stats,
			     sizeof(i->stats) / sizeof(uint64_t));
	}
	return 0;
}

int osnic_ctl_sched_info(struct osnic_ctl *ctl, struct osnic_ctl_sched_info *info)
{
	memset(info, 0, sizeof(*info));
	return ctl_transact(ctl, ctl_msg(ctl, OSNIC_CMD_SCHED_INFO, false), sched_info_cb, info);
}

int osnic_ctl_sched_set(struct osnic_ctl *ctl, int enable, struct osnic_ctl_sched_info *info)
{
	struct osnic_ctl_sched_info tmp;
	struct nlmsghdr *nlh = ctl_msg(ctl, OSNIC_CMD_SCHED_SET, false);

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	mnl_attr_put_u8(nlh, OSNIC_A_SCHED_ENABLE, !!enable);
	return ctl_transact(ctl, nlh, sched_info_cb, info);
}

/* In the order of struct osnic_sched_stats: the list that makes it. */
#define SCHED_COUNTER_NAME(name) #name,
static const char *const sched_counter_names[] = { OSNIC_SCHED_STAT_LIST(SCHED_COUNTER_NAME) };
#undef SCHED_COUNTER_NAME
_Static_assert(sizeof(sched_counter_names) / sizeof(sched_counter_names[0]) == OSNIC_SCHED_NSTATS,
	       "sched_counter_names must name every field of struct osnic_sched_stats");

const char *osnic_ctl_sched_counter_name(unsigned int counter)
{
	if (counter >= sizeof(sched_counter_names) / sizeof(sched_counter_names[0]))
		return NULL;
	return sched_counter_names[counter];
}

#define RX_COUNTER_NAME(NAME, name) [OSNIC_RX_##NAME] = #name,
static const char *const rx_counter_names[] = { OSNIC_RX_COUNTER_LIST(RX_COUNTER_NAME) };
#undef RX_COUNTER_NAME
_Static_assert(sizeof(rx_counter_names) / sizeof(rx_counter_names[0]) == OSNIC_RX__MAX,
	       "rx_counter_names must name every enum osnic_rx_counter");

const char *osnic_ctl_rx_counter_name(unsigned int counter)
{
	if (counter >= OSNIC_RX__MAX)
		return NULL;
	return rx_counter_names[counter];
}
