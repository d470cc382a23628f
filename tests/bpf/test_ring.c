// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ring consumer (include/osnic/ring.h) against the kernel's own BPF
 * ring buffer: records written by tests/bpf/progs/ring_writer.bpf.c with
 * BPF_PROG_TEST_RUN, exactly as the XDP program writes calls, read back
 * through osnic_ring_map(). Covers the size classes and line alignment,
 * discarded records, a full ring, wrap-around, the read-only mapping, the
 * kernel's wake-up policy that the worker loop relies on, and serving a
 * record end to end (osnic_serve_record). Needs root.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <osnic/abi.h>
#include <osnic/osnic.h>
#include <osnic/ring.h>
#include <osnic/rpcmsg.h>

#include "progs/ring_writer.h"
#include "ring_writer.skel.h"

static struct ring_writer *skel;
static struct osnic_ring ring;

static void setup(void)
{
	skel = ring_writer__open_and_load();
	cr_assert_not_null(skel, "loading ring_writer failed (root?): %s", strerror(errno));
	cr_assert_eq(osnic_ring_map(&ring, bpf_map__fd(skel->maps.ring)), 0);
}

static void teardown(void)
{
	osnic_ring_unmap(&ring);
	ring_writer__destroy(skel);
}

/* Write one record; returns the program's result (0, -ENOSPC, -EINVAL). */
static int write_rec(struct ring_writer_args *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = a, .ctx_size_in = sizeof(*a));
	int err;

	a->result = 1;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.write_call), &opts);
	cr_assert_eq(err, 0, "BPF_PROG_TEST_RUN: %s", strerror(-err));
	cr_assert_neq(a->result, 1, "the context was not written back");
	return a->result;
}

static int write_simple(uint32_t lines, uint32_t xid)
{
	struct ring_writer_args a = { .lines = lines, .xid = xid, .proc = 1, .arg_len = 16 };

	return write_rec(&a);
}

TestSuite(ring_bpf, .init = setup, .fini = teardown);

Test(ring_bpf, size_classes_are_whole_lines)
{
#define REC_CLASS(lines) (lines),
	static const uint32_t classes[] = { OSNIC_REC_CLASS_LIST(REC_CLASS) };
#undef REC_CLASS
	const struct osnic_call_desc *d;
	const void *rec;
	uint32_t len, i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		cr_assert_eq(write_simple(classes[i], 100 + i), 0);
	cr_assert_eq(osnic_ring_backlog(&ring), 64 * (2 + 4 + 8 + 16 + 24));
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
		d = rec;
		cr_expect_eq(len, OSNIC_REC_SIZE(classes[i]));
		cr_expect_eq(((const uint8_t *)rec - OSNIC_RINGBUF_HDR - ring.data) % OSNIC_LINE, 0,
			     "record %u does not start on a line", i);
		cr_expect_eq(ntohl(d->xid), 100 + i);
		cr_expect_eq(d->lines, classes[i]);
		cr_expect_eq(d->family, AF_INET);
	}
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	cr_assert_eq(*ring.consumer_pos, 0, "nothing released before osnic_ring_release");
	osnic_ring_release(&ring);
	cr_assert_eq(*ring.consumer_pos, 64 * (2 + 4 + 8 + 16 + 24));
	cr_assert(osnic_ring_idle(&ring));
}

Test(ring_bpf, discarded_records_are_skipped)
{
	struct ring_writer_args a = { .lines = 4, .xid = 1, .discard = 1 };
	const struct osnic_call_desc *d;
	const void *rec;
	uint32_t len;

	cr_assert_eq(write_rec(&a), 0);
	cr_assert_eq(write_simple(2, 2), 0);
	cr_assert_eq(write_rec(&a), 0);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	d = rec;
	cr_assert_eq(ntohl(d->xid), 2);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	osnic_ring_release(&ring);
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(osnic_ring_backlog(&ring), 0);
}

Test(ring_bpf, full_ring_and_wrap_around)
{
	const uint32_t per_ring = OSNIC_RING_BYTES / (24 * OSNIC_LINE);
	const struct osnic_call_desc *d;
	uint32_t next_write = 0, next_read = 0, len, i, round;
	const void *rec;

	/*
	 * 24-line records (1536 bytes) do not divide the ring, so they land
	 * across its end as the rounds go on.
	 */
	for (round = 0; round < 8; round++) {
		while (write_simple(24, next_write) == 0)
			next_write++;
		cr_assert_geq(next_write - next_read, per_ring, "the ring holds %u records",
			      per_ring);
		cr_assert_lt(osnic_ring_backlog(&ring), 24 * OSNIC_LINE + OSNIC_RING_BYTES);
		/* Free two thirds, in batches. */
		for (i = 0; i < per_ring * 2 / 3; i++) {
			cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
			d = rec;
			cr_assert_eq(ntohl(d->xid), next_read, "round %u", round);
			cr_assert_eq(len, OSNIC_REC_SIZE(24));
			next_read++;
			if (i % 16 == 15)
				osnic_ring_release(&ring);
		}
		osnic_ring_release(&ring);
	}
	while (osnic_ring_next(&ring, &rec, &len) == 1) {
		d = rec;
		cr_assert_eq(ntohl(d->xid), next_read++);
	}
	cr_assert_eq(next_read, next_write);
	cr_assert_gt(*ring.consumer_pos, 4UL * OSNIC_RING_BYTES, "the ring went round");
	osnic_ring_release(&ring);
	cr_assert(osnic_ring_idle(&ring));
}

Test(ring_bpf, data_is_read_only, .signal = SIGSEGV)
{
	cr_assert_eq(write_simple(2, 1), 0);
	/* The producer's page and the data are mapped read-only. */
	*(volatile uint8_t *)ring.data = 0;
}

Test(ring_bpf, not_a_ring_buffer)
{
	struct osnic_ring r;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	cr_assert_geq(fd, 0);
	cr_expect_eq(osnic_ring_map(&r, fd), -EINVAL);
	close(fd);
	cr_expect_lt(osnic_ring_map(&r, -1), 0);
}

/*
 * The kernel's default notification: a commit wakes the consumer only if
 * the record sits at the published consumer position. So a worker that has
 * caught up is woken by the first record, and records queued behind one it
 * has not released yet cost no wake-up at all. Edge-triggered epoll shows
 * exactly the wake-ups.
 */
Test(ring_bpf, wakes_only_a_consumer_that_caught_up)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	const void *rec;
	uint32_t len;
	int ep;

	ep = epoll_create1(0);
	cr_assert_geq(ep, 0);
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, bpf_map__fd(skel->maps.ring), &ev), 0);
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(epoll_wait(ep, &ev, 1, 0), 0);

	cr_assert_eq(write_simple(2, 1), 0);
	cr_assert_eq(epoll_wait(ep, &ev, 1, 1000), 1, "the first record wakes");
	/* Taken but not released: the next records queue behind it. */
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(write_simple(2, 2), 0);
	cr_assert_eq(write_simple(2, 3), 0);
	cr_assert_eq(epoll_wait(ep, &ev, 1, 200), 0, "no wake-up behind a busy consumer");
	while (osnic_ring_next(&ring, &rec, &len) == 1)
		;
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(write_simple(2, 4), 0);
	cr_assert_eq(epoll_wait(ep, &ev, 1, 1000), 1, "caught up again: woken again");
	close(ep);
}

/*
 * What the worker does while it stays awake: osnic_ring_release_busy keeps
 * the last record taken, so the kernel sees a consumer behind and queues no
 * irq_work (no wake-up) for the records committed meanwhile, pass after
 * pass. osnic_ring_idle releases it; the next record wakes.
 */
Test(ring_bpf, release_busy_sends_no_wake_ups)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	const void *rec;
	uint32_t len;
	int ep, i;

	ep = epoll_create1(0);
	cr_assert_geq(ep, 0);
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, bpf_map__fd(skel->maps.ring), &ev), 0);
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(write_simple(2, 1), 0);
	cr_assert_eq(epoll_wait(ep, &ev, 1, 1000), 1, "the first record wakes");
	for (i = 0; i < 3; i++) {
		cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
		cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
		osnic_ring_release_busy(&ring);
		cr_assert_eq(write_simple(2, 2 + i), 0);
		cr_assert_eq(epoll_wait(ep, &ev, 1, 100), 0, "pass %d: no wake-up", i);
	}
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(*ring.consumer_pos, *ring.producer_pos);
	cr_assert_eq(write_simple(2, 9), 0);
	cr_assert_eq(epoll_wait(ep, &ev, 1, 1000), 1, "idle: the next record wakes");
	close(ep);
}

static int h_add(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res);

/* A record written like XDP writes it, served like a worker serves it. */
Test(ring_bpf, record_served_end_to_end)
{
	const struct osnic_proc procs[] = { { 2, h_add, 16 } };
	struct osnic_service_def def = { .prog = 0x30000002, .vers = 1, .procs = procs,
					 .nprocs = 1, .no_rpcbind = true };
	struct ring_writer_args a = {
		.lines = 2, .xid = 0xfeedf00d, .proc = 2, .client_addr = htonl(0x0a000001),
		.client_port = 999, .cred_flavor = OSNIC_RPC_AUTH_SYS, .uid = 7, .gid = 8,
		.arg_len = 16, .args = { 0, htonl(40), 0, htonl(2) },
	};
	struct osnic_worker_counters c = {};
	struct sockaddr_storage to;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
	struct osnic_svc *svc;
	struct osnic *ctx;
	uint8_t reply[256];
	socklen_t tolen;
	const void *rec;
	uint32_t len;
	ssize_t n;

	cr_assert_eq(osnic_init_opts(&ctx, OSNIC_INIT_NO_DAEMON), 0);
	cr_assert_eq(osnic_register(ctx, &def, &svc), 0);
	a.service_id = osnic_svc_id(svc);
	cr_assert_eq(write_rec(&a), 0);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	n = osnic_serve_record(svc, rec, len, &to, &tolen, reply, sizeof(reply), &c);
	cr_assert_eq(n, OSNIC_RPC_ACCEPTED_HDR + 8);
	cr_expect_eq(xdr_load_be32(reply), 0xfeedf00d);
	cr_expect_eq(xdr_load_be32(reply + 20), OSNIC_RPC_SUCCESS);
	cr_expect_eq(xdr_load_be32(reply + 28), 42 + 7 + 8);
	cr_expect_eq(s4->sin_family, AF_INET);
	cr_expect_eq(ntohs(s4->sin_port), 999);
	cr_expect_eq(ntohl(s4->sin_addr.s_addr), 0x0a000001);
	cr_expect_eq(c.ring_calls, 1);

	/* The descriptor claims more arguments than the record holds. */
	a.arg_len = OSNIC_REC_SIZE(2) - OSNIC_ARGS_OFF + 1;
	cr_assert_eq(write_rec(&a), 0);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_expect_eq(osnic_serve_record(svc, rec, len, &to, &tolen, reply, sizeof(reply), &c), 0);
	cr_expect_eq(c.ring_malformed, 1);
	osnic_ring_release(&ring);
	osnic_fini(ctx);
}

/* ADD, plus uid and gid so that the test sees they arrived. */
static int h_add(const struct osnic_call *call, struct xdr_dec *args, struct xdr_enc *res)
{
	int64_t x, y;

	if (xdr_dec_hyper(args, &x) || xdr_dec_hyper(args, &y) || !osnic_args_done(args))
		return OSNIC_RPC_GARBAGE_ARGS;
	return xdr_enc_hyper(res, x + y + call->uid + call->gid) ? OSNIC_RPC_SYSTEM_ERR : OSNIC_RPC_SUCCESS;
}

/*
 * A ring of one page, as osnicd makes for a shallow service: the consumer
 * maps it at the size the kernel reports and reads it round and round,
 * largest records included.
 */
static void setup_page_ring(void)
{
	skel = ring_writer__open();
	cr_assert_not_null(skel, "opening ring_writer failed: %s", strerror(errno));
	cr_assert_eq(bpf_map__set_max_entries(skel->maps.ring, OSNIC_RING_MIN_BYTES), 0);
	cr_assert_eq(ring_writer__load(skel), 0, "loading ring_writer failed (root?): %s",
		     strerror(errno));
	cr_assert_eq(osnic_ring_map(&ring, bpf_map__fd(skel->maps.ring)), 0);
}

Test(ring_small, page_ring_maps_at_its_size_and_wraps, .init = setup_page_ring,
     .fini = teardown)
{
	const uint32_t classes[] = { 24, 2, 8, 24, 4, 16, 24 };
	uint32_t next_write = 0, next_read = 0, len, round;
	const struct osnic_call_desc *d;
	const void *rec;

	cr_assert_eq(ring.mask + 1, OSNIC_RING_MIN_BYTES, "mapped at the ring's own size");
	/* Two 24-line records fit a page (with the kernel's byte to spare), not three. */
	cr_assert_eq(write_simple(24, next_write++), 0);
	cr_assert_eq(write_simple(24, next_write++), 0);
	cr_assert_eq(write_simple(24, next_write), -ENOSPC);
	cr_assert_eq(osnic_ring_backlog(&ring), 2 * 24 * OSNIC_LINE);
	for (round = 0; round < 64; round++) {
		uint32_t lines = classes[round % (sizeof(classes) / sizeof(classes[0]))];

		cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1, "round %u", round);
		d = rec;
		cr_assert_eq(ntohl(d->xid), next_read, "round %u", round);
		cr_assert_eq(len, OSNIC_REC_SIZE(d->lines));
		next_read++;
		osnic_ring_release(&ring);
		/* One out, one in: a record of each class goes across the end. */
		cr_assert_eq(write_simple(lines, next_write), 0, "round %u: %u lines", round,
			     lines);
		next_write++;
	}
	while (osnic_ring_next(&ring, &rec, &len) == 1) {
		d = rec;
		cr_assert_eq(ntohl(d->xid), next_read++);
	}
	cr_assert_eq(next_read, next_write);
	cr_assert_gt(*ring.consumer_pos, 8UL * OSNIC_RING_MIN_BYTES, "the ring went round");
	osnic_ring_release(&ring);
	cr_assert(osnic_ring_idle(&ring));
}
