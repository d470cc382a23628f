// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the netlink validators (lib/nl.c): osnicd gives every
 * datagram any local user sends it to osnic_nl_parse_request, and osnicctl
 * and libosnic give osnicd's answers to osnic_nl_parse_reply and
 * osnic_nl_parse_error.
 *
 * The input is one datagram. It is copied into a 4-byte aligned buffer of
 * exactly its length, so that the sanitizers see any read past its end, and
 * handed to all three parsers. Besides the sanitizers, what nl.h promises is
 * checked:
 *  - a parser returns 0 or a negative errno; on failure ext->err is that
 *    errno and ext->msg says why, and an attribute named at fault lies
 *    inside the message;
 *  - on success, every attribute in tb[] lies inside the message and sits
 *    in the slot of its type;
 *  - the error reply osnicd would send for the request (osnic_nl_put_error)
 *    reads back (osnic_nl_parse_error) as the same errno, message,
 *    attribute and offset.
 *
 * Build and run (make fuzz does both):
 *   clang-19 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *	tests/fuzz/fuzz_nl.c lib/nl.c -lmnl -o fuzz_nl
 *   ./fuzz_nl -max_total_time=20
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <osnic/nl.h>

#define MAX_DGRAM 65536

#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
				__LINE__, #cond);				\
			abort();						\
		}								\
	} while (0)

static void check_failure(int err, const struct osnic_nl_ext *ext, size_t len)
{
	CHECK(err < 0 && err > -4096);
	CHECK(ext->err == err);
	CHECK(memchr(ext->msg, '\0', sizeof(ext->msg)) != NULL);
	CHECK(ext->msg[0] != '\0');
	if (ext->offs)
		CHECK(ext->offs + sizeof(struct nlattr) <= len);
}

static void check_success(const struct osnic_nl_msg *m, const void *buf, size_t len)
{
	const char *start = buf, *end = start + m->nlh->nlmsg_len;

	CHECK((const void *)m->nlh == buf);
	CHECK(m->nlh->nlmsg_len <= len);
	for (unsigned int t = 0; t <= OSNIC_A_MAX; t++) {
		const struct nlattr *a = m->tb[t];

		if (!a)
			continue;
		CHECK(mnl_attr_get_type(a) == t);
		CHECK((const char *)a >= start + OSNIC_NL_HDRLEN);
		CHECK((const char *)a + a->nla_len <= end);
		CHECK(a->nla_len >= sizeof(*a));
	}
}

/* The error reply for a refused request reads back as what was refused. */
static void check_error_reply(const struct nlmsghdr *req, const struct osnic_nl_ext *ext)
{
	static char reply[8192];
	struct osnic_nl_ext back;
	size_t n;

	n = osnic_nl_put_error(reply, sizeof(reply), req, 1234, ext);
	CHECK(n > 0);
	CHECK(osnic_nl_parse_error((const struct nlmsghdr *)reply, n, &back) == 0);
	CHECK(back.err == ext->err);
	CHECK(!strcmp(back.msg, ext->msg));
	CHECK(back.attr == ext->attr);
	if (ext->attr)
		CHECK(back.offs == ext->offs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t empty;
	struct osnic_nl_msg m;
	struct osnic_nl_ext ext;
	const struct nlmsghdr *nlh;
	void *buf;
	int err;

	if (size > MAX_DGRAM)
		return -1;
	/* Exactly size bytes, 4-aligned: a read past them is a sanitizer error. */
	buf = size ? malloc(size) : NULL;
	if (size && !buf)
		return -1;
	if (size)
		memcpy(buf, data, size);
	nlh = buf ? buf : (const void *)&empty;

	err = osnic_nl_parse_request(nlh, size, &m, &ext);
	if (err) {
		check_failure(err, &ext, size);
		check_error_reply(size >= NLMSG_HDRLEN ? nlh : NULL, &ext);
	} else {
		check_success(&m, nlh, size);
	}

	err = osnic_nl_parse_reply(nlh, size, &m, &ext);
	if (err)
		check_failure(err, &ext, size);
	else
		check_success(&m, nlh, size);

	err = osnic_nl_parse_error(nlh, size, &ext);
	CHECK(err == 0 || err == -EBADMSG);
	if (!err)
		CHECK(ext.err <= 0 && memchr(ext.msg, '\0', sizeof(ext.msg)));

	free(buf);
	return 0;
}
