// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the control protocol's messages (lib/nl.c).
 *
 * One table of requests, each built by a small function that returns the
 * attribute it spoiled (or NULL): the parser must answer with the expected
 * errno, name that attribute's type and point at its offset, so that a
 * client learns exactly what it sent wrong. Then the headers (truncated,
 * wrong type, version, unknown commands), the error reply's round trip, and
 * the leniency of reply parsing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include <osnic/nl.h>

static char buf[4096] __attribute__((aligned(8)));

static struct nlmsghdr *request(uint8_t cmd)
{
	memset(buf, 0, sizeof(buf));
	return osnic_nl_put_header(buf, cmd, NLM_F_REQUEST, 7, 1234);
}

static const struct nlattr *put_raw(struct nlmsghdr *nlh, uint16_t type, const void *p,
				    size_t len)
{
	const struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	mnl_attr_put(nlh, type, len, p);
	return a;
}

static void put_service(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, OSNIC_A_PROG, 0x20001234);
	mnl_attr_put_u32(nlh, OSNIC_A_VERS, 1);
	mnl_attr_put_u16(nlh, OSNIC_A_PORT, 5000);
	mnl_attr_put_u64(nlh, OSNIC_A_PROCS, 0xf);
}

/* ---- builders: each makes one request; the return value is the culprit ---------- */

static const struct nlattr *b_valid_service(struct nlmsghdr *nlh)
{
	put_service(nlh);
	mnl_attr_put_u32(nlh, OSNIC_A_DEPTH, 128);
	return NULL;
}

static const struct nlattr *b_short_u32(struct nlmsghdr *nlh)
{
	uint16_t v = 1;

	mnl_attr_put_u32(nlh, OSNIC_A_PROG, 1);
	return put_raw(nlh, OSNIC_A_VERS, &v, sizeof(v));
}

static const struct nlattr *b_long_u16(struct nlmsghdr *nlh)
{
	uint32_t v = 5000;

	mnl_attr_put_u32(nlh, OSNIC_A_PROG, 1);
	mnl_attr_put_u32(nlh, OSNIC_A_VERS, 1);
	return put_raw(nlh, OSNIC_A_PORT, &v, sizeof(v));
}

static const struct nlattr *b_short_u64(struct nlmsghdr *nlh)
{
	uint32_t v = 0xf;

	mnl_attr_put_u32(nlh, OSNIC_A_PROG, 1);
	mnl_attr_put_u32(nlh, OSNIC_A_VERS, 1);
	mnl_attr_put_u16(nlh, OSNIC_A_PORT, 5000);
	return put_raw(nlh, OSNIC_A_PROCS, &v, sizeof(v));
}

static const struct nlattr *b_unknown_type(struct nlmsghdr *nlh)
{
	uint32_t v = 1;

	put_service(nlh);
	return put_raw(nlh, 200, &v, sizeof(v));
}

static const struct nlattr *b_type_zero(struct nlmsghdr *nlh)
{
	uint32_t v = 1;

	return put_raw(nlh, OSNIC_A_UNSPEC, &v, sizeof(v));
}

static const struct nlattr *b_not_allowed(struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	put_service(nlh);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_strz(nlh, OSNIC_A_IFNAME, "eth0");
	return a;
}

static const struct nlattr *b_duplicate(struct nlmsghdr *nlh)
{
	put_service(nlh);
	return put_raw(nlh, OSNIC_A_PROG, &(uint32_t){ 2 }, 4);
}

static const struct nlattr *b_missing(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, OSNIC_A_PROG, 1);
	mnl_attr_put_u32(nlh, OSNIC_A_VERS, 1);
	mnl_attr_put_u64(nlh, OSNIC_A_PROCS, 1);
	return NULL;	/* PORT is missing: no offset, the type is named */
}

static const struct nlattr *b_attr_len_too_big(struct nlmsghdr *nlh)
{
	struct nlattr *a;

	mnl_attr_put_u32(nlh, OSNIC_A_SERVICE_ID, 1);
	a = (struct nlattr *)put_raw(nlh, OSNIC_A_SERVICE_ID, &(uint32_t){ 1 }, 4);
	a->nla_len = 64;	/* claims more than the message holds */
	return a;
}

static const struct nlattr *b_attr_len_too_small(struct nlmsghdr *nlh)
{
	struct nlattr *a = (struct nlattr *)put_raw(nlh, OSNIC_A_SERVICE_ID, &(uint32_t){ 1 }, 4);

	a->nla_len = 2;
	return a;
}

static const struct nlattr *b_trailing_bytes(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, OSNIC_A_WORKER_ID, 1);
	nlh->nlmsg_len += 2;	/* two bytes, less than an attribute header */
	return NULL;
}

static const struct nlattr *b_string_no_nul(struct nlmsghdr *nlh)
{
	return put_raw(nlh, OSNIC_A_IFNAME, "eth0", 4);
}

static const struct nlattr *b_string_inner_nul(struct nlmsghdr *nlh)
{
	return put_raw(nlh, OSNIC_A_IFNAME, "et\0h0", 6);
}

static const struct nlattr *b_string_too_long(struct nlmsghdr *nlh)
{
	return put_raw(nlh, OSNIC_A_IFNAME, "a-very-long-interface-name", 27);
}

static const struct nlattr *b_string_empty(struct nlmsghdr *nlh)
{
	return put_raw(nlh, OSNIC_A_IFNAME, "", 1);
}

static const struct nlattr *b_mode_short(struct nlmsghdr *nlh)
{
	mnl_attr_put_strz(nlh, OSNIC_A_IFNAME, "eth0");
	return put_raw(nlh, OSNIC_A_XDP_MODE, &(uint8_t){ 1 }, 1);
}

static const struct nlattr *b_valid_attach(struct nlmsghdr *nlh)
{
	mnl_attr_put_strz(nlh, OSNIC_A_IFNAME, "veth0");
	mnl_attr_put_u32(nlh, OSNIC_A_XDP_MODE, OSNIC_XDP_MODE_GENERIC);
	return NULL;
}

static const struct nlattr *b_dump_with_attr(struct nlmsghdr *nlh)
{
	return put_raw(nlh, OSNIC_A_SERVICE_ID, &(uint32_t){ 1 }, 4);
}

static const struct nlattr *b_service_id_only(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, OSNIC_A_SERVICE_ID, 1);
	return NULL;	/* the culprit is what is missing */
}

static const struct nlattr *b_none(struct nlmsghdr *nlh)
{
	return NULL;
}

struct nl_case {
	const char *name;
	uint8_t cmd;
	const struct nlattr *(*build)(struct nlmsghdr *nlh);
	int err;
	uint16_t attr;		/* expected attribute type at fault, 0 none */
};

static const struct nl_case cases[] = {
	{ "valid service-add", OSNIC_CMD_SERVICE_ADD, b_valid_service, 0, 0 },
	{ "valid iface-attach", OSNIC_CMD_IFACE_ATTACH, b_valid_attach, 0, 0 },
	{ "valid dump", OSNIC_CMD_SERVICE_DUMP, b_none, 0, 0 },
	{ "u32 with 2 bytes", OSNIC_CMD_SERVICE_ADD, b_short_u32, -EINVAL, OSNIC_A_VERS },
	{ "u16 with 4 bytes", OSNIC_CMD_SERVICE_ADD, b_long_u16, -EINVAL, OSNIC_A_PORT },
	{ "u64 with 4 bytes", OSNIC_CMD_SERVICE_ADD, b_short_u64, -EINVAL, OSNIC_A_PROCS },
	{ "unknown attribute type", OSNIC_CMD_SERVICE_ADD, b_unknown_type, -EINVAL, 200 },
	{ "attribute type 0", OSNIC_CMD_APP_REGISTER, b_type_zero, -EINVAL, OSNIC_A_UNSPEC },
	{ "attribute of another command", OSNIC_CMD_SERVICE_ADD, b_not_allowed, -EINVAL,
	  OSNIC_A_IFNAME },
	{ "duplicate attribute", OSNIC_CMD_SERVICE_ADD, b_duplicate, -EINVAL, OSNIC_A_PROG },
	{ "missing required attribute", OSNIC_CMD_SERVICE_ADD, b_missing, -EINVAL, OSNIC_A_PORT },
	{ "attribute longer than the message", OSNIC_CMD_SERVICE_DEL, b_attr_len_too_big, -EINVAL,
	  OSNIC_A_SERVICE_ID },
	{ "attribute shorter than its header", OSNIC_CMD_SERVICE_DEL, b_attr_len_too_small,
	  -EINVAL, OSNIC_A_SERVICE_ID },
	{ "trailing bytes", OSNIC_CMD_WORKER_DEL, b_trailing_bytes, -EINVAL, 0 },
	{ "string without NUL", OSNIC_CMD_IFACE_DETACH, b_string_no_nul, -EINVAL, OSNIC_A_IFNAME },
	{ "string with a NUL inside", OSNIC_CMD_IFACE_DETACH, b_string_inner_nul, -EINVAL,
	  OSNIC_A_IFNAME },
	{ "string too long", OSNIC_CMD_IFACE_DETACH, b_string_too_long, -EINVAL, OSNIC_A_IFNAME },
	{ "empty string", OSNIC_CMD_IFACE_DETACH, b_string_empty, -EINVAL, OSNIC_A_IFNAME },
	{ "mode of one byte", OSNIC_CMD_IFACE_ATTACH, b_mode_short, -EINVAL, OSNIC_A_XDP_MODE },
	{ "dump with an attribute", OSNIC_CMD_SERVICE_DUMP, b_dump_with_attr, -EINVAL,
	  OSNIC_A_SERVICE_ID },
	{ "service-del without its id", OSNIC_CMD_SERVICE_DEL, b_none, -EINVAL,
	  OSNIC_A_SERVICE_ID },
	{ "worker-add without its thread", OSNIC_CMD_WORKER_ADD, b_service_id_only, -EINVAL,
	  OSNIC_A_TID },
};

Test(nl, request_table)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nl_case *c = &cases[i];
		struct nlmsghdr *nlh = request(c->cmd);
		const struct nlattr *bad = c->build(nlh);
		struct osnic_nl_ext ext;
		struct osnic_nl_msg m;
		int err;

		err = osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext);
		cr_expect_eq(err, c->err, "%s: error %d, expected %d (%s)", c->name, err, c->err,
			     ext.msg);
		cr_expect_eq(ext.err, err, "%s: ext.err", c->name);
		cr_expect_eq(ext.attr, c->attr, "%s: attribute %u, expected %u", c->name,
			     ext.attr, c->attr);
		cr_expect_eq(ext.offs, bad ? (uint32_t)((const char *)bad - (const char *)nlh) : 0,
			     "%s: offset %u", c->name, ext.offs);
		if (err)
			cr_expect_neq(ext.msg[0], '\0', "%s: a message says why", c->name);
	}
}

Test(nl, valid_request_fills_the_table)
{
	struct nlmsghdr *nlh = request(OSNIC_CMD_SERVICE_ADD);
	struct osnic_nl_ext ext;
	struct osnic_nl_msg m;

	b_valid_service(nlh);
	cr_assert_eq(osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext), 0, "%s", ext.msg);
	cr_assert_eq(m.genl->cmd, OSNIC_CMD_SERVICE_ADD);
	cr_assert_eq(mnl_attr_get_u32(m.tb[OSNIC_A_PROG]), 0x20001234);
	cr_assert_eq(mnl_attr_get_u16(m.tb[OSNIC_A_PORT]), 5000);
	cr_assert_eq(mnl_attr_get_u64(m.tb[OSNIC_A_PROCS]), 0xf);
	cr_assert_eq(mnl_attr_get_u32(m.tb[OSNIC_A_DEPTH]), 128);
	cr_assert_null(m.tb[OSNIC_A_FLAGS]);
}

Test(nl, truncated_messages)
{
	struct nlmsghdr *nlh = request(OSNIC_CMD_SERVICE_ADD);
	struct osnic_nl_ext ext;
	struct osnic_nl_msg m;
	size_t full, len;

	put_service(nlh);
	full = nlh->nlmsg_len;
	/* Every cut of the datagram, header included, is refused. */
	for (len = 0; len < full; len++)
		cr_expect_eq(osnic_nl_parse_request(nlh, len, &m, &ext), -EINVAL,
			     "cut at %zu of %zu bytes", len, full);
	cr_assert_eq(osnic_nl_parse_request(nlh, full, &m, &ext), 0);

	/* A header claiming less than the netlink and genetlink headers. */
	nlh->nlmsg_len = NLMSG_HDRLEN - 1;
	cr_assert_eq(osnic_nl_parse_request(nlh, full, &m, &ext), -EINVAL);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	cr_assert_eq(osnic_nl_parse_request(nlh, full, &m, &ext), -EINVAL);
	cr_assert(strstr(ext.msg, "genetlink"), "%s", ext.msg);

	/* An attribute cut by the message's own length. */
	nlh->nlmsg_len = full - 2;
	cr_assert_eq(osnic_nl_parse_request(nlh, full, &m, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_PROCS);
}

Test(nl, headers)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct osnic_nl_ext ext;
	struct osnic_nl_msg m;

	nlh = request(OSNIC_CMD_DAEMON_INFO);
	nlh->nlmsg_type = NLMSG_MIN_TYPE;
	cr_assert_eq(osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext), -EINVAL);

	nlh = request(OSNIC_CMD_DAEMON_INFO);
	nlh->nlmsg_flags = 0;
	cr_assert_eq(osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext), -EINVAL,
		     "not a request");
	cr_assert_eq(osnic_nl_parse_reply(nlh, nlh->nlmsg_len, &m, &ext), 0,
		     "replies have no NLM_F_REQUEST");

	nlh = request(OSNIC_CMD_DAEMON_INFO);
	genl = mnl_nlmsg_get_payload(nlh);
	genl->version = OSNIC_NL_VERSION + 1;
	cr_assert_eq(osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext), -EPROTONOSUPPORT);
}

Test(nl, unknown_commands)
{
	unsigned int cmd;

	for (cmd = 0; cmd < 256; cmd++) {
		struct nlmsghdr *nlh = request(cmd);
		struct osnic_nl_ext ext;
		struct osnic_nl_msg m;
		int err = osnic_nl_parse_request(nlh, nlh->nlmsg_len, &m, &ext);

		if (cmd >= 1 && cmd <= OSNIC_CMD_MAX) {
			/* Known: fails only for missing attributes. */
			cr_expect(err == 0 || (err == -EINVAL && ext.attr), "cmd %u: %s", cmd,
				  ext.msg);
			cr_expect_str_neq(osnic_nl_cmd_name(cmd), "?");
		} else {
			cr_expect_eq(err, -EOPNOTSUPP, "cmd %u", cmd);
			cr_expect_str_eq(osnic_nl_cmd_name(cmd), "?");
		}
	}
}

Test(nl, error_reply_round_trip)
{
	struct nlmsghdr *req = request(OSNIC_CMD_SERVICE_ADD);
	struct osnic_nl_ext in = { 0 }, out;
	char reply[512];
	size_t len;

	put_service(req);
	osnic_nl_ext_set(&in, -EACCES, req, NULL, OSNIC_A_PORT, "port %u is privileged", 111);
	in.offs = 40;
	len = osnic_nl_put_error(reply, sizeof(reply), req, 99, &in);
	cr_assert_gt(len, 0);
	cr_assert_eq(((struct nlmsghdr *)reply)->nlmsg_type, NLMSG_ERROR);
	cr_assert_eq(((struct nlmsghdr *)reply)->nlmsg_seq, req->nlmsg_seq);
	cr_assert_eq(((struct nlmsghdr *)reply)->nlmsg_pid, 99);
	cr_assert_eq(osnic_nl_parse_error((struct nlmsghdr *)reply, len, &out), 0);
	cr_assert_eq(out.err, -EACCES);
	cr_assert_eq(out.attr, OSNIC_A_PORT);
	cr_assert_eq(out.offs, 40);
	cr_assert_str_eq(out.msg, "port 111 is privileged");

	/* Too small a buffer: nothing, rather than a cut message. */
	cr_assert_eq(osnic_nl_put_error(reply, 30, req, 99, &in), 0);
	/* Every truncation of the reply is refused or yields no TLVs past it. */
	cr_assert_eq(osnic_nl_parse_error((struct nlmsghdr *)reply, 10, &out), -EBADMSG);
}

Test(nl, ack_has_no_attributes)
{
	struct nlmsghdr *req = request(OSNIC_CMD_APP_REGISTER);
	struct osnic_nl_ext ack = { 0 }, out;
	char reply[512];
	size_t len;

	len = osnic_nl_put_error(reply, sizeof(reply), req, 5, &ack);
	cr_assert_eq(len, NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	cr_assert_eq(osnic_nl_parse_error((struct nlmsghdr *)reply, len, &out), 0);
	cr_assert_eq(out.err, 0);
	cr_assert_eq(out.msg[0], '\0');
}

Test(nl, error_without_tlvs_from_an_older_peer)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	struct osnic_nl_ext out;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -ENOENT;
	cr_assert_eq(osnic_nl_parse_error(nlh, nlh->nlmsg_len, &out), 0);
	cr_assert_eq(out.err, -ENOENT);
	e->error = 5;	/* positive: not an errno */
	cr_assert_eq(osnic_nl_parse_error(nlh, nlh->nlmsg_len, &out), -EBADMSG);
}

Test(nl, replies_ignore_unknown_attributes)
{
	struct nlmsghdr *nlh = osnic_nl_put_header(buf, OSNIC_CMD_DAEMON_INFO, 0, 1, 1);
	struct osnic_nl_ext ext;
	struct osnic_nl_msg m;
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, OSNIC_A_VERSION, "9.9");
	mnl_attr_put_u32(nlh, 250, 7);	/* a newer osnicd's attribute */
	nest = mnl_attr_nest_start(nlh, OSNIC_A_RX_COUNTERS);
	mnl_attr_put_u64(nlh, 1, 10);
	mnl_attr_put_u64(nlh, 99, 11);	/* a counter this side does not know */
	mnl_attr_nest_end(nlh, nest);
	cr_assert_eq(osnic_nl_parse_reply(nlh, nlh->nlmsg_len, &m, &ext), 0, "%s", ext.msg);
	cr_assert_str_eq(mnl_attr_get_str(m.tb[OSNIC_A_VERSION]), "9.9");
	cr_assert_not_null(m.tb[OSNIC_A_RX_COUNTERS]);
	/* But a malformed known one is still refused. */
	nest = mnl_attr_nest_start(nlh, OSNIC_A_SVC_STATS);
	mnl_attr_put_u32(nlh, 1, 10);	/* counters are u64 */
	mnl_attr_nest_end(nlh, nest);
	cr_assert_eq(osnic_nl_parse_reply(nlh, nlh->nlmsg_len, &m, &ext), -EINVAL);
	cr_assert_eq(ext.attr, OSNIC_A_SVC_STATS);
}

Test(nl, names)
{
	cr_assert_str_eq(osnic_nl_cmd_name(OSNIC_CMD_IFACE_ATTACH), "iface-attach");
	cr_assert_str_eq(osnic_nl_attr_name(OSNIC_A_PORT), "port");
	cr_assert_str_eq(osnic_nl_attr_name(1000), "?");
	cr_assert_str_eq(osnic_xdp_mode_name(OSNIC_XDP_MODE_GENERIC), "generic");
}
