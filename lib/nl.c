// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * osnicd's control protocol (include/osnic/nl.h): the attribute policy, the
 * validation of requests and replies, and the error reply.
 *
 * Validation is strict for requests, in the order a reader meets the bytes:
 * the netlink header (length, type, NLM_F_REQUEST), the genetlink header
 * (version, command), then each attribute (header, length, type known and
 * allowed for the command, no duplicate, payload size, string NUL and
 * length), trailing bytes, and last the required attributes. The first
 * fault is reported with the attribute's type and offset, so a client can
 * point at what it sent wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmnl/libmnl.h>

#include <osnic/abi.h>
#include <osnic/nl.h>
#include <osnic/sched.h>

_Static_assert(OSNIC_A_MAX < 64, "attribute sets are u64 masks");
_Static_assert(sizeof(struct osnic_svc_stats) == (__OSNIC_SSTAT_MAX - 1) * sizeof(__u64),
	       "OSNIC_A_SVC_STATS must name every field of struct osnic_svc_stats");
_Static_assert(sizeof(struct osnic_worker_stats) == (__OSNIC_WSTAT_MAX - 1) * sizeof(__u64),
	       "OSNIC_A_WORKER_STATS must name every field of struct osnic_worker_stats");

/* Attribute type n + 1 carries field n, in order. */
#define SSTAT_AT(NAME, name)                                             \
	_Static_assert(offsetof(struct osnic_svc_stats, name) ==         \
			       (OSNIC_SSTAT_##NAME - 1) * sizeof(__u64), \
		       "OSNIC_SSTAT_" #NAME " must carry field " #name);
OSNIC_SVC_STAT_LIST(SSTAT_AT)
#undef SSTAT_AT
#define WSTAT_AT(NAME, name)                                             \
	_Static_assert(offsetof(struct osnic_worker_stats, name) ==      \
			       (OSNIC_WSTAT_##NAME - 1) * sizeof(__u64), \
		       "OSNIC_WSTAT_" #NAME " must carry field " #name);
OSNIC_WORKER_STAT_LIST(WSTAT_AT)
#undef WSTAT_AT

#define OSNIC_RING_PATH_MAX 128

struct attr_policy {
	const char *name;
	enum mnl_attr_data_type type;
	unsigned int maxlen;	/* strings: bytes including the NUL */
};

static const struct attr_policy attr_policy[OSNIC_A_MAX + 1] = {
	[OSNIC_A_APP_ID] = { "app_id", MNL_TYPE_U32 },
	[OSNIC_A_PID] = { "pid", MNL_TYPE_U32 },
	[OSNIC_A_UID] = { "uid", MNL_TYPE_U32 },
	[OSNIC_A_SERVICE_ID] = { "service_id", MNL_TYPE_U32 },
	[OSNIC_A_PROG] = { "prog", MNL_TYPE_U32 },
	[OSNIC_A_VERS] = { "vers", MNL_TYPE_U32 },
	[OSNIC_A_PORT] = { "port", MNL_TYPE_U16 },
	[OSNIC_A_PROCS] = { "procs", MNL_TYPE_U64 },
	[OSNIC_A_DEPTH] = { "depth", MNL_TYPE_U32 },
	[OSNIC_A_FLAGS] = { "flags", MNL_TYPE_U32 },
	[OSNIC_A_NWORKERS] = { "nworkers", MNL_TYPE_U32 },
	[OSNIC_A_WORKER_ID] = { "worker_id", MNL_TYPE_U32 },
	[OSNIC_A_TID] = { "tid", MNL_TYPE_U32 },
	[OSNIC_A_GENERATION] = { "generation", MNL_TYPE_U32 },
	[OSNIC_A_RING_PATH] = { "ring_path", MNL_TYPE_NUL_STRING, OSNIC_RING_PATH_MAX },
	[OSNIC_A_IFNAME] = { "ifname", MNL_TYPE_NUL_STRING, IFNAMSIZ },
	[OSNIC_A_IFINDEX] = { "ifindex", MNL_TYPE_U32 },
	[OSNIC_A_XDP_MODE] = { "xdp_mode", MNL_TYPE_U32 },
	[OSNIC_A_PROG_ID] = { "prog_id", MNL_TYPE_U32 },
	[OSNIC_A_RX_COUNTERS] = { "rx_counters", MNL_TYPE_NESTED },
	[OSNIC_A_SVC_STATS] = { "svc_stats", MNL_TYPE_NESTED },
	[OSNIC_A_WORKER_STATS] = { "worker_stats", MNL_TYPE_NESTED },
	[OSNIC_A_VERSION] = { "version", MNL_TYPE_NUL_STRING, 64 },
	[OSNIC_A_PIN_DIR] = { "pin_dir", MNL_TYPE_NUL_STRING, OSNIC_RING_PATH_MAX },
	[OSNIC_A_NAPPS] = { "napps", MNL_TYPE_U32 },
	[OSNIC_A_NSERVICES] = { "nservices", MNL_TYPE_U32 },
	[OSNIC_A_NIFACES] = { "nifaces", MNL_TYPE_U32 },
	[OSNIC_A_UPTIME] = { "uptime", MNL_TYPE_U64 },
	[OSNIC_A_ADOPTED] = { "adopted", MNL_TYPE_U8 },
	[OSNIC_A_WORKER_STATE] = { "worker_state", MNL_TYPE_U32 },
	[OSNIC_A_WORKER_CPU] = { "worker_cpu", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_MODE] = { "sched_mode", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_WHY] = { "sched_why", MNL_TYPE_NUL_STRING, 256 },
	[OSNIC_A_SCHED_FEED] = { "sched_feed", MNL_TYPE_U8 },
	[OSNIC_A_SCHED_EXIT] = { "sched_exit", MNL_TYPE_NUL_STRING, 1024 },
	[OSNIC_A_SCHED_STATS] = { "sched_stats", MNL_TYPE_NESTED },
	[OSNIC_A_SCHED_ENABLE] = { "sched_enable", MNL_TYPE_U8 },
	[OSNIC_A_QUOTA] = { "quota", MNL_TYPE_NESTED },
	[OSNIC_A_REQ_DROPPED] = { "req_dropped", MNL_TYPE_U64 },
	[OSNIC_A_NL_PORTID] = { "nl_portid", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_EXIT_KIND] = { "sched_exit_kind", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_EXIT_REASON] = { "sched_exit_reason", MNL_TYPE_NUL_STRING,
					OSNIC_SCHED_EXIT_REASON_LEN },
	[OSNIC_A_SCHED_EXIT_MSG] = { "sched_exit_msg", MNL_TYPE_NUL_STRING,
				     OSNIC_SCHED_EXIT_MSG_LEN },
	[OSNIC_A_SCHED_RELOADS] = { "sched_reloads", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_RELOAD_IN] = { "sched_reload_in", MNL_TYPE_U32 },
	[OSNIC_A_SCHED_GAVE_UP] = { "sched_gave_up", MNL_TYPE_U8 },
	[OSNIC_A_RING_BYTES] = { "ring_bytes", MNL_TYPE_U32 },
};

#define A(x) (1ULL << OSNIC_A_##x)

struct cmd_policy {
	const char *name;
	uint64_t allowed;	/* in a request */
	uint64_t required;	/* in a request */
};

static const struct cmd_policy cmd_policy[OSNIC_CMD_MAX + 1] = {
	[OSNIC_CMD_APP_REGISTER] = { "app-register" },
	[OSNIC_CMD_APP_DEREGISTER] = { "app-deregister", A(APP_ID) },
	[OSNIC_CMD_SERVICE_ADD] = {
		"service-add",
		A(PROG) | A(VERS) | A(PORT) | A(PROCS) | A(DEPTH) | A(FLAGS),
		A(PROG) | A(VERS) | A(PORT) | A(PROCS),
	},
	[OSNIC_CMD_SERVICE_DEL] = { "service-del", A(SERVICE_ID), A(SERVICE_ID) },
	[OSNIC_CMD_SERVICE_DUMP] = { "service-dump" },
	[OSNIC_CMD_WORKER_ADD] = {
		"worker-add", A(SERVICE_ID) | A(TID), A(SERVICE_ID) | A(TID),
	},
	[OSNIC_CMD_WORKER_DEL] = { "worker-del", A(WORKER_ID), A(WORKER_ID) },
	[OSNIC_CMD_WORKER_DUMP] = { "worker-dump" },
	/* IFNAME or IFINDEX: osnicd checks that one is there. */
	[OSNIC_CMD_IFACE_ATTACH] = { "iface-attach", A(IFNAME) | A(IFINDEX) | A(XDP_MODE) },
	[OSNIC_CMD_IFACE_DETACH] = { "iface-detach", A(IFNAME) | A(IFINDEX) },
	[OSNIC_CMD_IFACE_DUMP] = { "iface-dump" },
	[OSNIC_CMD_STATS_GET] = { "stats-get" },
	[OSNIC_CMD_DAEMON_INFO] = { "daemon-info" },
	[OSNIC_CMD_SCHED_INFO] = { "sched-info" },
	[OSNIC_CMD_SCHED_SET] = { "sched-set", A(SCHED_ENABLE), A(SCHED_ENABLE) },
};

/* ---- where osnicd listens ---------------------------------------------------- */

int osnic_nl_portid_path(char *path)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(path, OSNIC_NL_PORTID_PATH_MAX, "%s/portid.%llu", OSNIC_NL_PORTID_DIR,
		 (unsigned long long)st.st_ino);
	return 0;
}

/*
 * The uid root reads as here: 0, or in a user namespace that does not map
 * it, the overflow uid (as every unmapped uid does; /run/osnic is root's and
 * only root creates files in /run, so there it can only be root).
 */
static bool is_root_uid(uid_t uid)
{
	unsigned long first = 1, lower = 1, count = 0, overflow = 65534;
	FILE *f;

	if (uid == 0)
		return true;
	f = fopen("/proc/self/uid_map", "re");
	if (f) {
		if (fscanf(f, "%lu %lu %lu", &first, &lower, &count) != 3)
			count = 0;
		fclose(f);
	}
	if (first == 0 && lower == 0 && count == 4294967295UL)
		return false;	/* the initial user namespace: root is 0 */
	f = fopen("/proc/sys/kernel/overflowuid", "re");
	if (f) {
		if (fscanf(f, "%lu", &overflow) != 1)
			overflow = 65534;
		fclose(f);
	}
	return uid == overflow;
}

static bool root_only(int fd, mode_t type, uid_t *owner)
{
	struct stat st;

	if (fstat(fd, &st) || (st.st_mode & S_IFMT) != type || (st.st_mode & 022))
		return false;
	if (owner && *owner != (uid_t)-1)
		return st.st_uid == *owner;
	if (owner)
		*owner = st.st_uid;
	return is_root_uid(st.st_uid);
}

uint32_t osnic_nl_daemon_portid(char *path)
{
	char buf[OSNIC_NL_PORTID_PATH_MAX], num[32], *end;
	uint32_t portid = OSNIC_NL_PORTID;
	uid_t owner = (uid_t)-1;
	unsigned long v;
	int dfd, fd = -1;
	ssize_t n;

	if (!path)
		path = buf;
	if (osnic_nl_portid_path(path))
		return portid;
	dfd = open(OSNIC_NL_PORTID_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return portid;
	if (root_only(dfd, S_IFDIR, &owner))
		fd = openat(dfd, strrchr(path, '/') + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return portid;
	if (root_only(fd, S_IFREG, &owner) && (n = read(fd, num, sizeof(num) - 1)) > 0) {
		num[n] = '\0';
		errno = 0;
		v = strtoul(num, &end, 0);
		if (!errno && end != num && (*end == '\n' || !*end) && v && v <= UINT32_MAX)
			portid = v;
	}
	close(fd);
	return portid;
}

const char *osnic_nl_cmd_name(unsigned int cmd)
{
	if (cmd > OSNIC_CMD_MAX || !cmd_policy[cmd].name)
		return "?";
	return cmd_policy[cmd].name;
}

const char *osnic_nl_attr_name(unsigned int type)
{
	if (type > OSNIC_A_MAX || !attr_policy[type].name)
		return "?";
	return attr_policy[type].name;
}

const char *osnic_xdp_mode_name(enum osnic_xdp_mode mode)
{
	switch (mode) {
	case OSNIC_XDP_MODE_AUTO:
		return "auto";
	case OSNIC_XDP_MODE_NATIVE:
		return "native";
	case OSNIC_XDP_MODE_GENERIC:
		return "generic";
	}
	return "?";
}

const char *osnic_sched_mode_name(enum osnic_sched_mode mode)
{
	switch (mode) {
	case OSNIC_SCHED_MODE_XDP_ONLY:
		return "xdp-only";
	case OSNIC_SCHED_MODE_SCHED_EXT:
		return "sched_ext";
	case OSNIC_SCHED_MODE_UNSPEC:
		break;
	}
	return "?";
}

const char *osnic_worker_state_name(unsigned int state)
{
	switch (state) {
	case OSNIC_WS_SLEEPING:
		return "sleeping";
	case OSNIC_WS_RUNNABLE:
		return "runnable";
	case OSNIC_WS_RUNNING:
		return "running";
	}
	return "unknown";
}

int osnic_nl_ext_set(struct osnic_nl_ext *ext, int err, const struct nlmsghdr *nlh,
		     const struct nlattr *attr, uint16_t type, const char *fmt, ...)
{
	va_list ap;

	ext->err = err;
	ext->attr = attr ? mnl_attr_get_type(attr) : type;
	ext->offs = attr && nlh ? (uint32_t)((const char *)attr - (const char *)nlh) : 0;
	va_start(ap, fmt);
	vsnprintf(ext->msg, sizeof(ext->msg), fmt, ap);
	va_end(ap);
	return err;
}

static int payload_len_for(enum mnl_attr_data_type type)
{
	switch (type) {
	case MNL_TYPE_U8:
		return 1;
	case MNL_TYPE_U16:
		return 2;
	case MNL_TYPE_U32:
		return 4;
	case MNL_TYPE_U64:
		return 8;
	default:
		return -1;
	}
}

/* One attribute's payload against its policy. */
static int check_attr_payload(const struct nlmsghdr *nlh, const struct nlattr *a,
			      const struct attr_policy *p, struct osnic_nl_ext *ext)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);
	int want = payload_len_for(p->type);

	if (want >= 0) {
		if (len != (size_t)want)
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s: payload of %zu bytes, expected %d",
						p->name, len, want);
		return 0;
	}
	if (p->type == MNL_TYPE_NUL_STRING) {
		if (len == 0 || s[len - 1] != '\0')
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s: string without its terminating NUL",
						p->name);
		if (strlen(s) != len - 1)
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s: NUL inside the string", p->name);
		if (p->maxlen && len > p->maxlen)
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s: string of %zu bytes, at most %u",
						p->name, len - 1, p->maxlen - 1);
		if (len == 1)
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s: empty string", p->name);
		return 0;
	}
	if (p->type == MNL_TYPE_NESTED) {
		/* Nested attributes of u64 counters; their types are open-ended. */
		const struct nlattr *n;
		size_t rem = len;

		for (n = (const struct nlattr *)s; rem > 0; n = mnl_attr_next(n)) {
			if (!mnl_attr_ok(n, rem) || mnl_attr_get_payload_len(n) != 8)
				return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
							"attribute %s: malformed nested counter",
							p->name);
			if ((size_t)MNL_ALIGN(n->nla_len) >= rem)
				break;
			rem -= MNL_ALIGN(n->nla_len);
		}
	}
	return 0;
}

/*
 * Walk the attributes after the genetlink header. strict: a request (policy
 * per command, unknown types rejected); else a reply.
 */
static int parse_attrs(const struct nlmsghdr *nlh, struct osnic_nl_msg *m, bool strict,
		       struct osnic_nl_ext *ext)
{
	const struct cmd_policy *cp = &cmd_policy[m->genl->cmd];
	const char *start = (const char *)nlh + OSNIC_NL_HDRLEN;
	size_t rem = nlh->nlmsg_len - OSNIC_NL_HDRLEN;
	const struct nlattr *a = (const struct nlattr *)start;
	uint64_t seen = 0;
	unsigned int t;
	int err;

	while (rem > 0) {
		uint16_t type;

		if (rem < sizeof(struct nlattr))
			return osnic_nl_ext_set(ext, -EINVAL, nlh, NULL, 0,
						"%zu trailing bytes after the attributes", rem);
		type = mnl_attr_get_type(a);
		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > rem)
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s (%u): length %u, %zu bytes left",
						osnic_nl_attr_name(type), type, a->nla_len, rem);
		if (type == OSNIC_A_UNSPEC || type > OSNIC_A_MAX) {
			if (strict)
				return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
							"unknown attribute type %u", type);
			goto next;
		}
		if (strict && !(cp->allowed & (1ULL << type)))
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s is not valid for %s",
						osnic_nl_attr_name(type), cp->name);
		if (seen & (1ULL << type))
			return osnic_nl_ext_set(ext, -EINVAL, nlh, a, 0,
						"attribute %s given twice",
						osnic_nl_attr_name(type));
		err = check_attr_payload(nlh, a, &attr_policy[type], ext);
		if (err)
			return err;
		seen |= 1ULL << type;
		m->tb[type] = a;
next:
		/* The last attribute need not be padded. */
		if ((size_t)MNL_ALIGN(a->nla_len) >= rem)
			break;
		rem -= MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	if (!strict)
		return 0;
	for (t = 1; t <= OSNIC_A_MAX; t++)
		if ((cp->required & (1ULL << t)) && !(seen & (1ULL << t)))
			return osnic_nl_ext_set(ext, -EINVAL, nlh, NULL, t,
						"%s needs attribute %s", cp->name,
						osnic_nl_attr_name(t));
	return 0;
}

static int parse_msg(const struct nlmsghdr *nlh, size_t len, struct osnic_nl_msg *m,
		     bool request, struct osnic_nl_ext *ext)
{
	const struct genlmsghdr *genl;

	memset(m, 0, sizeof(*m));
	memset(ext, 0, sizeof(*ext));
	if (len < NLMSG_HDRLEN)
		return osnic_nl_ext_set(ext, -EINVAL, NULL, NULL, 0,
					"truncated message: %zu bytes", len);
	if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
		return osnic_nl_ext_set(ext, -EINVAL, NULL, NULL, 0,
					"truncated message: header says %u bytes, %zu received",
					nlh->nlmsg_len, len);
	if (nlh->nlmsg_type != OSNIC_NL_TYPE)
		return osnic_nl_ext_set(ext, -EINVAL, NULL, NULL, 0,
					"message type %#x is not osnic's (%#x)",
					nlh->nlmsg_type, OSNIC_NL_TYPE);
	if (request && !(nlh->nlmsg_flags & NLM_F_REQUEST))
		return osnic_nl_ext_set(ext, -EINVAL, NULL, NULL, 0,
					"not a request (no NLM_F_REQUEST)");
	if (nlh->nlmsg_len < OSNIC_NL_HDRLEN)
		return osnic_nl_ext_set(ext, -EINVAL, NULL, NULL, 0,
					"truncated message: no genetlink header");
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->version != OSNIC_NL_VERSION)
		return osnic_nl_ext_set(ext, -EPROTONOSUPPORT, NULL, NULL, 0,
					"protocol version %u, osnic speaks %u",
					genl->version, OSNIC_NL_VERSION);
	if (genl->cmd == OSNIC_CMD_UNSPEC || genl->cmd > OSNIC_CMD_MAX)
		return osnic_nl_ext_set(ext, -EOPNOTSUPP, NULL, NULL, 0,
					"unknown command %u", genl->cmd);
	m->nlh = nlh;
	m->genl = genl;
	return parse_attrs(nlh, m, request, ext);
}

int osnic_nl_parse_request(const struct nlmsghdr *nlh, size_t len,
			   struct osnic_nl_msg *m, struct osnic_nl_ext *ext)
{
	return parse_msg(nlh, len, m, true, ext);
}

int osnic_nl_parse_reply(const struct nlmsghdr *nlh, size_t len,
			 struct osnic_nl_msg *m, struct osnic_nl_ext *ext)
{
	return parse_msg(nlh, len, m, false, ext);
}

int osnic_nl_parse_error(const struct nlmsghdr *nlh, size_t len,
			 struct osnic_nl_ext *ext)
{
	const struct nlmsgerr *e;
	const struct nlattr *a;
	size_t off;

	memset(ext, 0, sizeof(*ext));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len || nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0)
		return -EBADMSG;
	ext->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return -EBADMSG;
		off += MNL_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	if (off > nlh->nlmsg_len)
		return -EBADMSG;
	for (a = (const struct nlattr *)((const char *)nlh + off);
	     mnl_attr_ok(a, (const char *)nlh + nlh->nlmsg_len - (const char *)a);
	     a = mnl_attr_next(a)) {
		switch (mnl_attr_get_type(a)) {
		case OSNIC_ERRA_MSG:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(ext->msg, sizeof(ext->msg), "%s",
					 mnl_attr_get_str(a));
			break;
		case OSNIC_ERRA_OFFS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				ext->offs = mnl_attr_get_u32(a);
			break;
		case OSNIC_ERRA_ATTR:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				ext->attr = mnl_attr_get_u32(a);
			break;
		}
	}
	return 0;
}

struct nlmsghdr *osnic_nl_put_header(void *buf, uint8_t cmd, uint16_t flags,
				     uint32_t seq, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = OSNIC_NL_TYPE;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = OSNIC_NL_VERSION;
	return nlh;
}

size_t osnic_nl_put_error(void *buf, size_t len, const struct nlmsghdr *req,
			  uint32_t portid, const struct osnic_nl_ext *ext)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	if (len < MNL_ALIGN(NLMSG_HDRLEN + sizeof(*e)))
		return 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = req ? req->nlmsg_seq : 0;
	nlh->nlmsg_pid = portid;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = ext->err;
	if (req)
		e->msg = *req;
	if (!ext->err)
		return nlh->nlmsg_len;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	if (ext->msg[0] && !mnl_attr_put_strz_check(nlh, len, OSNIC_ERRA_MSG, ext->msg))
		return 0;
	if (ext->attr) {
		if (!mnl_attr_put_u32_check(nlh, len, OSNIC_ERRA_ATTR, ext->attr))
			return 0;
		if (ext->offs && !mnl_attr_put_u32_check(nlh, len, OSNIC_ERRA_OFFS, ext->offs))
			return 0;
	}
	return nlh->nlmsg_len;
}

_Static_assert(sizeof(((struct osnic_nl_sender *)0)->ctrl) >= CMSG_SPACE(sizeof(struct ucred)),
	       "osnic_nl_sender's ctrl holds one SCM_CREDENTIALS message");

ssize_t osnic_nl_recv(int fd, void *buf, size_t len, int flags, struct osnic_nl_sender *s)
{
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_name = &s->addr,
		.msg_namelen = sizeof(s->addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = s->ctrl,
		.msg_controllen = CMSG_SPACE(sizeof(struct ucred)),
	};
	struct cmsghdr *c;
	ssize_t n;

	s->cred = NULL;
	s->truncated = 0;
	do {
		n = recvmsg(fd, &mh, flags);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	s->truncated = !!(mh.msg_flags & MSG_TRUNC);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			s->cred = (const struct ucred *)CMSG_DATA(c);
	return n;
}
