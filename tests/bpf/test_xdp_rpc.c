// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of the XDP RPC path (DESIGN.md, receive path
 * steps 1 to 6), with the maps set up as osnicd would:
 *
 *	UDP port SVC_PORT is listened on; program PROG has versions 2 and 3 there.
 *	service 1: PROG v2, procedures 0..5, worker 1 (asleep on this CPU)
 *	service 2: PROG v3, procedures 0..2, no worker
 *	this host's addresses: 10.0.0.2 and fd00::2 (pkt.h's PKT_DST_SERVER)
 *
 * The table holds one call per row with the verdict, the one RPC counter it
 * must move and, for XDP_TX, the reply it must get. Replies are compared
 * byte for byte with a frame built here from the call; deliveries are read
 * back from worker 1's ring with libbpf's ring_buffer. The steering tests
 * after the table set up more workers and scheduler states.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include <osnic/rpc.h>
#include "pkt.h"
#include "xdp_test.h"

#define SVC_PORT	7000
#define CLIENT_PORT	40000
#define PROG		0x20000777
#define XID		0x11223344
#define SVC_V2		1
#define SVC_V3		2
#define PROCS_V2	0x3fULL		/* procedures 0..5 */
#define PROCS_V3	0x07ULL		/* procedures 0..2 */
#define DEPTH_LINES	64

static int ring_fds[OSNIC_MAX_WORKERS];

/* ---- map setup, as osnicd does it ------------------------------------------- */

static void map_put(struct bpf_map *map, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	cr_assert_eq(bpf_map__update_elem(map, key, klen, val, vlen, BPF_ANY), 0,
		     "update of %s: %s", bpf_map__name(map), strerror(errno));
}

static void put_service(uint32_t id, uint32_t vers, uint64_t procs, uint32_t depth,
			uint32_t flags, uint32_t nworkers, const uint32_t *workers)
{
	struct osnic_svc_key key = { .port = SVC_PORT, .prog = PROG, .vers = vers };
	struct osnic_service_val svc = {
		.prog = PROG, .vers = vers, .port = SVC_PORT, .flags = flags,
		.procs = procs, .depth_lines = depth, .nworkers = nworkers,
	};

	memcpy(svc.workers, workers, nworkers * sizeof(*workers));
	map_put(skel->maps.osnic_services, &id, sizeof(id), &svc, sizeof(svc));
	map_put(skel->maps.osnic_svc_index, &key, sizeof(key), &id, sizeof(id));
}

/* Bit `slot` of service svc_id's idle set: of cpu, or the service-wide one (cpu < 0). */
static bool idle_bit(uint32_t svc_id, uint32_t slot, int cpu)
{
	int n = libbpf_num_possible_cpus();
	struct osnic_svc_idle all, per[n];

	cr_assert_gt(n, 0);
	if (cpu < 0) {
		cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_svc_idle, &svc_id,
						  sizeof(svc_id), &all, sizeof(all), 0),
			     0);
		return all.bits[slot / 64] & (1ULL << (slot % 64));
	}
	cr_assert_lt(cpu, n);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_svc_idle_cpu, &svc_id, sizeof(svc_id),
					  per, sizeof(per), 0),
		     0);
	return per[cpu].bits[slot / 64] & (1ULL << (slot % 64));
}

/*
 * What osnic_worker_sched_set() does to the idle sets, as the scheduler
 * would: slot's bit leaves the service-wide set and every CPU's, and
 * enters it again (and cpu's) when on.
 */
static void idle_mark(uint32_t svc_id, uint32_t slot, int cpu, bool on)
{
	int n = libbpf_num_possible_cpus();
	struct osnic_svc_idle all, per[n];
	uint64_t bit = 1ULL << (slot % 64);

	cr_assert_gt(n, 0);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_svc_idle, &svc_id, sizeof(svc_id), &all,
					  sizeof(all), 0),
		     0);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_svc_idle_cpu, &svc_id, sizeof(svc_id),
					  per, sizeof(per), 0),
		     0);
	all.bits[slot / 64] &= ~bit;
	for (int c = 0; c < n; c++)
		per[c].bits[slot / 64] &= ~bit;
	if (on) {
		all.bits[slot / 64] |= bit;
		per[cpu].bits[slot / 64] |= bit;
	}
	map_put(skel->maps.osnic_svc_idle, &svc_id, sizeof(svc_id), &all, sizeof(all));
	map_put(skel->maps.osnic_svc_idle_cpu, &svc_id, sizeof(svc_id), per, sizeof(per));
}

/* The scheduler's part: worker id's state, and its bit in its service's idle sets. */
static void set_sched(uint32_t id, uint32_t state, uint32_t cpu)
{
	struct osnic_worker_sched ws = { .state = state, .cpu = cpu };
	struct osnic_worker_val w;

	map_put(skel->maps.osnic_worker_sched, &id, sizeof(id), &ws, sizeof(ws));
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_workers, &id, sizeof(id), &w, sizeof(w),
					  0),
		     0);
	if (w.service_id && w.service_id < OSNIC_MAX_SERVICES)
		idle_mark(w.service_id, w.svc_slot, cpu, state == OSNIC_WS_SLEEPING);
}

/* Worker id's slot in the service's workers[], as osnicd gives it. */
static uint32_t slot_of(uint32_t id, uint32_t svc_id)
{
	struct osnic_service_val svc;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_services, &svc_id, sizeof(svc_id), &svc,
					  sizeof(svc), 0),
		     0);
	for (uint32_t i = 0; i < svc.nworkers && i < OSNIC_MAX_SVC_WORKERS; i++)
		if (svc.workers[i] == id)
			return i;
	return 0;
}

/* A worker of svc_id with its own ring, in the given scheduler state. */
static void put_worker(uint32_t id, uint32_t svc_id, uint32_t state, uint32_t cpu)
{
	struct osnic_worker_val w = { .service_id = svc_id, .tid = 1000 + id };

	w.svc_slot = slot_of(id, svc_id);
	map_put(skel->maps.osnic_workers, &id, sizeof(id), &w, sizeof(w));
	if (!ring_fds[id]) {
		ring_fds[id] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, OSNIC_RING_BYTES,
					      NULL);
		cr_assert_gt(ring_fds[id], 0, "creating ring %u: %s", id, strerror(errno));
		map_put(skel->maps.osnic_rings, &id, sizeof(id), &ring_fds[id],
			sizeof(ring_fds[id]));
	}
	set_sched(id, state, cpu);
}

static struct osnic_local_addr_key local_key(bool v6)
{
	struct osnic_local_addr_key k = { .family = v6 ? AF_INET6 : AF_INET };

	if (v6) {
		k.addr[0] = 0xfd;
		k.addr[15] = 2;
	} else {
		k.addr[0] = 10;
		k.addr[3] = 2;
	}
	return k;
}

/* The server's address of one family is this host's, as osnicd would say. */
static void put_local(bool v6)
{
	struct osnic_local_addr_key k = local_key(v6);
	uint32_t ifindex = 1;

	map_put(skel->maps.osnic_local_addrs, &k, sizeof(k), &ifindex, sizeof(ifindex));
}

static void del_local(bool v6)
{
	struct osnic_local_addr_key k = local_key(v6);

	cr_assert_eq(bpf_map__delete_elem(skel->maps.osnic_local_addrs, &k, sizeof(k), 0), 0,
		     "delete of a local address: %s", strerror(errno));
}

static void setup(void)
{
	uint32_t port = SVC_PORT, w1 = 1;
	struct osnic_listen l = { .nservices = 2 };
	struct osnic_prog_key pk = { .port = SVC_PORT, .prog = PROG };
	struct osnic_vers_range range = { .low = 2, .high = 3 };

	xdp_test_setup();
	memset(ring_fds, 0, sizeof(ring_fds));
	map_put(skel->maps.osnic_listen, &port, sizeof(port), &l, sizeof(l));
	map_put(skel->maps.osnic_prog_vers, &pk, sizeof(pk), &range, sizeof(range));
	put_local(false);
	put_local(true);
	put_service(SVC_V2, 2, PROCS_V2, DEPTH_LINES, 0, 1, &w1);
	put_service(SVC_V3, 3, PROCS_V3, DEPTH_LINES, 0, 0, NULL);
	put_worker(1, SVC_V2, OSNIC_WS_SLEEPING, TEST_CPU);
}

static void teardown(void)
{
	for (int i = 0; i < OSNIC_MAX_WORKERS; i++)
		if (ring_fds[i] > 0)
			close(ring_fds[i]);
	xdp_test_teardown();
}

/* ---- reading rings and statistics ------------------------------------------- */

#define RING_READ_MAX 8

struct ring_read {
	int n;
	struct {
		size_t size;
		uint8_t data[OSNIC_REC_SIZE(OSNIC_REC_MAX_LINES)];
	} rec[RING_READ_MAX];
};

static int ring_read_cb(void *ctx, void *data, size_t size)
{
	struct ring_read *rr = ctx;

	if (rr->n < RING_READ_MAX && size <= sizeof(rr->rec[0].data)) {
		rr->rec[rr->n].size = size;
		memcpy(rr->rec[rr->n].data, data, size);
	}
	rr->n++;
	return 0;
}

/* Consume every record in worker id's ring; returns how many there were. */
static int ring_drain(uint32_t id, struct ring_read *rr)
{
	struct ring_buffer *rb;
	int n;

	memset(rr, 0, sizeof(*rr));
	rb = ring_buffer__new(ring_fds[id], ring_read_cb, rr, NULL);
	cr_assert_not_null(rb, "ring_buffer__new(ring %u): %s", id, strerror(errno));
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	cr_assert_geq(n, 0, "consuming ring %u: %s", id, strerror(-n));
	cr_assert_eq(n, rr->n);
	return n;
}

/* Lines queued in worker id's ring, without consuming them. */
static uint64_t ring_lines(uint32_t id)
{
	struct ring_buffer *rb;
	uint64_t avail;

	rb = ring_buffer__new(ring_fds[id], ring_read_cb, NULL, NULL);
	cr_assert_not_null(rb, "ring_buffer__new(ring %u): %s", id, strerror(errno));
	avail = ring__avail_data_size(ring_buffer__ring(rb, 0));
	ring_buffer__free(rb);
	return avail / OSNIC_LINE;
}

static struct osnic_svc_stats svc_stats_sum(uint32_t id)
{
	struct osnic_svc_stats v[ncpus], sum = {};

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_svc_stats, &id, sizeof(id), v,
					  sizeof(v), 0), 0);
	for (int i = 0; i < ncpus; i++) {
		sum.calls += v[i].calls;
		sum.delivered += v[i].delivered;
		sum.nullproc += v[i].nullproc;
		sum.proc_unavail += v[i].proc_unavail;
		sum.drop_no_worker += v[i].drop_no_worker;
		sum.drop_ring_full += v[i].drop_ring_full;
	}
	return sum;
}

static struct osnic_worker_stats worker_stats_sum(uint32_t id)
{
	struct osnic_worker_stats v[ncpus], sum = {};

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_worker_stats, &id, sizeof(id), v,
					  sizeof(v), 0), 0);
	for (int i = 0; i < ncpus; i++) {
		sum.delivered += v[i].delivered;
		sum.delivered_idle += v[i].delivered_idle;
		sum.bytes += v[i].bytes;
	}
	return sum;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The size class, in lines, of a call with len argument bytes. */
static unsigned int rec_lines(size_t len)
{
#define REC_CLASS(lines) (lines),
	static const unsigned int classes[] = { OSNIC_REC_CLASS_LIST(REC_CLASS) };
#undef REC_CLASS

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (OSNIC_ARGS_OFF + len <= OSNIC_REC_SIZE(classes[i]))
			return classes[i];
	return 0;
}

/* ---- the reply a call must get ------------------------------------------------ */

/* The reply words after the xid (host order). */
struct reply_want {
	uint32_t w[7];
	uint8_t nwords;
};

#define ACCEPTED(stat) { { OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0, (stat) }, 5 }
#define PROG_MISMATCH(lo, hi) \
	{ { OSNIC_RPC_REPLY, OSNIC_RPC_MSG_ACCEPTED, OSNIC_RPC_AUTH_NONE, 0, OSNIC_RPC_PROG_MISMATCH, (lo), (hi) }, 7 }
#define VERS_MISMATCH { { OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_RPC_MISMATCH, 2, 2 }, 5 }
#define AUTH_ERR(why) { { OSNIC_RPC_REPLY, OSNIC_RPC_MSG_DENIED, OSNIC_RPC_AUTH_ERROR, (why) }, 4 }

struct frame_layout {
	size_t l2, l3, rpc;	/* header lengths, and where the call starts */
	bool v6;
};

static struct frame_layout layout_of(const struct pkt_spec *s)
{
	struct frame_layout f = {
		.l2 = 14 + (s->vlan_tci ? 4 : 0),
		.l3 = s->ipv6 ? 40 : 20 + s->ip_opt_len,
		.v6 = s->ipv6,
	};

	f.rpc = f.l2 + f.l3 + 8;
	return f;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static uint32_t udp6_csum_sum(const uint8_t *ip6, const uint8_t *udp, size_t udp_len)
{
	uint8_t trailer[8] = { 0 };
	uint32_t sum;

	trailer[2] = udp_len >> 8;
	trailer[3] = udp_len & 0xff;
	trailer[7] = IPPROTO_UDP;
	sum = pkt_csum_add(0, ip6 + 8, 32);
	sum = pkt_csum_add(sum, trailer, sizeof(trailer));
	return pkt_csum_add(sum, udp, udp_len);
}

/*
 * The frame the program must send for the call in `in`: built here, step by
 * step, from the call and the expected reply words.
 */
static size_t expected_reply(const uint8_t *in, const struct frame_layout *f,
			     const struct reply_want *want, uint8_t *exp)
{
	size_t rlen = 4 + 4 * want->nwords, udp_len = 8 + rlen, len = f->rpc + rlen;
	uint8_t *ip = exp + f->l2, *udp = ip + f->l3;

	memcpy(exp, in, f->rpc + 4);	/* headers and the xid */
	swap_bytes(exp, exp + 6, 6);
	if (f->v6) {
		swap_bytes(ip + 8, ip + 24, 16);
		put16(ip + 4, udp_len);
		ip[7] = 64;
	} else {
		swap_bytes(ip + 12, ip + 16, 4);
		put16(ip + 2, f->l3 + udp_len);
		ip[8] = 64;
		put16(ip + 10, 0);
		put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, f->l3)));
	}
	swap_bytes(udp, udp + 2, 2);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	for (int i = 0; i < want->nwords; i++) {
		uint32_t w = htonl(want->w[i]);

		memcpy(exp + f->rpc + 4 + 4 * i, &w, 4);
	}
	if (f->v6) {
		uint16_t c = pkt_csum_fold(udp6_csum_sum(ip, udp, udp_len));

		put16(udp + 6, c ? c : 0xffff);
	}
	return len;
}

static void check_reply(const char *name, const uint8_t *in, const struct frame_layout *f,
			const struct reply_want *want, const uint8_t *out, uint32_t out_len)
{
	uint8_t exp[PKT_MAX];
	size_t len = expected_reply(in, f, want, exp);
	const uint8_t *ip = out + f->l2, *udp = ip + f->l3;

	cr_assert_eq(out_len, len, "%s: reply frame length %u, want %zu", name, out_len, len);
	/* The decoded view first, so that a failure says what is wrong. */
	cr_assert_arr_eq(out, in + 6, 6, "%s: destination MAC is not the caller's", name);
	cr_assert_arr_eq(out + 6, in, 6, "%s: source MAC is not ours", name);
	cr_assert_arr_eq(out + f->rpc, in + f->rpc, 4, "%s: xid", name);
	if (f->v6) {
		cr_assert_arr_eq(ip + 24, in + f->l2 + 8, 16, "%s: IPv6 destination", name);
		cr_assert_eq(ntohs(*(uint16_t *)(ip + 4)), out_len - f->l2 - f->l3,
			     "%s: IPv6 payload length", name);
		cr_assert_eq(pkt_csum_fold(udp6_csum_sum(ip, udp, out_len - f->l2 - f->l3)), 0,
			     "%s: UDP checksum", name);
	} else {
		cr_assert_arr_eq(ip + 16, in + f->l2 + 12, 4, "%s: IPv4 destination", name);
		cr_assert_eq(ntohs(*(uint16_t *)(ip + 2)), out_len - f->l2,
			     "%s: IPv4 total length", name);
		cr_assert_eq(pkt_csum_fold(pkt_csum_add(0, ip, f->l3)), 0,
			     "%s: IPv4 header checksum", name);
	}
	cr_assert_eq(ntohs(*(uint16_t *)udp), SVC_PORT, "%s: UDP source port", name);
	cr_assert_eq(ntohs(*(uint16_t *)(udp + 2)), CLIENT_PORT, "%s: UDP destination port",
		     name);
	cr_assert_eq(ntohs(*(uint16_t *)(udp + 4)), out_len - f->l2 - f->l3,
		     "%s: UDP length is not the IP payload", name);
	for (int i = 0; i < want->nwords; i++)
		cr_assert_eq(ntohl(*(uint32_t *)(out + f->rpc + 4 + 4 * i)), want->w[i],
			     "%s: reply word %d", name, i + 1);
	/* Then every byte. */
	cr_assert_arr_eq(out, exp, len, "%s: reply frame differs", name);
}

/* ---- what a delivered call must look like ------------------------------------ */

static void check_delivery(const char *name, const struct pkt_spec *s,
			   const struct rpc_spec *r, uint32_t svc_id, const struct ring_read *rr,
			   uint64_t t0, uint64_t t1)
{
	unsigned int lines = rec_lines(r->args_len);
	const uint8_t *rec = rr->rec[0].data;
	struct osnic_call_desc d;
	uint8_t addr[16] = { 0 };

	cr_assert_eq(rr->n, 1, "%s: %d records in the ring", name, rr->n);
	cr_assert_eq(rr->rec[0].size, OSNIC_REC_SIZE(lines), "%s: record size %zu, want %u",
		     name, rr->rec[0].size, OSNIC_REC_SIZE(lines));
	memcpy(&d, rec, sizeof(d));
	cr_assert_eq(d.xid, htonl(r->xid), "%s: xid", name);
	cr_assert_eq(d.proc, r->proc, "%s: proc", name);
	cr_assert_eq(d.service_id, svc_id, "%s: service id", name);
	cr_assert_eq(d.arg_len, r->args_len, "%s: arg_len %u", name, d.arg_len);
	cr_assert_eq(d.family, s->ipv6 ? AF_INET6 : AF_INET, "%s: family", name);
	cr_assert_eq(d.cred_flavor, r->cred_flavor, "%s: credential flavor", name);
	cr_assert_eq(d.client_port, htons(CLIENT_PORT), "%s: client port", name);
	if (s->ipv6) {
		addr[0] = 0xfd;
		addr[15] = 1;
	} else {
		addr[0] = 10;
		addr[3] = 1;
	}
	cr_assert_arr_eq(d.client_addr, addr, 16, "%s: client address", name);
	cr_assert_eq(d.uid, r->cred_flavor == OSNIC_RPC_AUTH_SYS ? r->uid : 0, "%s: uid", name);
	cr_assert_eq(d.gid, r->cred_flavor == OSNIC_RPC_AUTH_SYS ? r->gid : 0, "%s: gid", name);
	cr_assert_eq(d.rx_cpu, TEST_CPU, "%s: rx_cpu", name);
	cr_assert_eq(d.lines, lines, "%s: lines %u, want %u", name, d.lines, lines);
	cr_assert_eq(d.rx_ifindex, if_nametoindex("lo"), "%s: rx_ifindex", name);
	cr_assert(d.rx_ns >= t0 && d.rx_ns <= t1, "%s: rx_ns outside the run", name);
	for (size_t i = 0; i < r->args_len; i++)
		cr_assert_eq(rec[OSNIC_ARGS_OFF + i], rpc_arg_byte(i), "%s: argument byte %zu",
			     name, i);
}

/* XDP tells the scheduler where worker id's last call came in. */
static void check_worker_rx(const char *name, uint32_t id, uint64_t t0, uint64_t t1)
{
	struct osnic_worker_rx rx;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_worker_rx, &id, sizeof(id), &rx,
					  sizeof(rx), 0), 0);
	cr_assert_eq(rx.last_rx_cpu, TEST_CPU, "%s: worker_rx cpu", name);
	cr_assert(rx.last_rx_ns >= t0 && rx.last_rx_ns <= t1, "%s: worker_rx time", name);
}

/* ---- the table ----------------------------------------------------------------- */

struct rpc_case {
	char name[40];
	struct pkt_spec pkt;	/* L2 to L4; the call is the payload */
	struct rpc_spec rpc;
	bool raw;		/* no call: pkt's own payload bytes */
	int verdict;
	enum osnic_rx_counter counter;	/* the RPC counter that must be 1 */
	struct reply_want reply;	/* for XDP_TX */
	enum osnic_rx_counter svc_saw;	/* what the service counted, if not counter */
};

#define UDP4		.sport = CLIENT_PORT, .dport = SVC_PORT
#define UDP6		UDP4, .ipv6 = true
#define CALL(v, p)	.xid = XID, .prog = PROG, .vers = (v), .proc = (p)
#define AUTHSYS		.cred_flavor = OSNIC_RPC_AUTH_SYS, .stamp = 0x5eed, .uid = 1001, .gid = 100, \
			.machinename_len = 9, .ngids = 3
/* A whole AUTH_SYS call is 32 + 44 (credential) + 8 (verifier) + 16 bytes. */
#define SYSCALL		CALL(2, 1), AUTHSYS, .args_len = 16

/* Rows leave the reply out when there is none. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static struct rpc_case cases[] = {
	/* Answered in XDP */
	{ "nullproc", { UDP4 }, { CALL(2, 0) }, 0, XDP_TX, OSNIC_RX_RPC_NULLPROC,
	  ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc with args", { UDP4 }, { CALL(2, 0), .args_len = 100 }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc auth_sys", { UDP4 }, { CALL(2, 0), AUTHSYS }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc vlan", { UDP4, .vlan_tci = 5 }, { CALL(2, 0) }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc ip options", { UDP4, .ip_opt_len = 12 }, { CALL(2, 0) }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc ethernet padding", { UDP4, .eth_pad = 30 }, { CALL(2, 0) }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc ipv6", { UDP6 }, { CALL(2, 0) }, 0, XDP_TX, OSNIC_RX_RPC_NULLPROC,
	  ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "nullproc ipv6 vlan", { UDP6, .vlan_tci = 9 }, { CALL(3, 0) }, 0, XDP_TX,
	  OSNIC_RX_RPC_NULLPROC, ACCEPTED(OSNIC_RPC_SUCCESS) },
	{ "prog unavail", { UDP4 }, { CALL(2, 1), .prog = PROG + 1 }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROG_UNAVAIL, ACCEPTED(OSNIC_RPC_PROG_UNAVAIL) },
	{ "prog unavail ipv6", { UDP6 }, { CALL(2, 1), .prog = 100003 }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROG_UNAVAIL, ACCEPTED(OSNIC_RPC_PROG_UNAVAIL) },
	{ "prog mismatch below", { UDP4 }, { CALL(1, 1) }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROG_MISMATCH, PROG_MISMATCH(2, 3) },
	{ "prog mismatch above", { UDP4 }, { CALL(4, 0) }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROG_MISMATCH, PROG_MISMATCH(2, 3) },
	{ "prog mismatch ipv6 auth_sys", { UDP6 }, { CALL(7, 1), AUTHSYS }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROG_MISMATCH, PROG_MISMATCH(2, 3) },
	{ "proc unavail 6", { UDP4 }, { CALL(2, 6) }, 0, XDP_TX, OSNIC_RX_RPC_PROC_UNAVAIL,
	  ACCEPTED(OSNIC_RPC_PROC_UNAVAIL) },
	{ "proc unavail 63", { UDP4 }, { CALL(2, 63) }, 0, XDP_TX, OSNIC_RX_RPC_PROC_UNAVAIL,
	  ACCEPTED(OSNIC_RPC_PROC_UNAVAIL) },
	{ "proc unavail 64", { UDP4 }, { CALL(2, 64) }, 0, XDP_TX, OSNIC_RX_RPC_PROC_UNAVAIL,
	  ACCEPTED(OSNIC_RPC_PROC_UNAVAIL) },
	{ "proc unavail 2^32-1", { UDP4 }, { CALL(2, 0xffffffff) }, 0, XDP_TX,
	  OSNIC_RX_RPC_PROC_UNAVAIL, ACCEPTED(OSNIC_RPC_PROC_UNAVAIL) },
	{ "proc unavail in v3", { UDP4 }, { CALL(3, 3) }, 0, XDP_TX, OSNIC_RX_RPC_PROC_UNAVAIL,
	  ACCEPTED(OSNIC_RPC_PROC_UNAVAIL) },
	{ "rpcvers 3", { UDP4 }, { CALL(2, 1), .rpcvers = 3 }, 0, XDP_TX,
	  OSNIC_RX_RPC_VERS_MISMATCH, VERS_MISMATCH },
	{ "rpcvers 1 ipv6", { UDP6 }, { CALL(2, 1), .rpcvers = 1 }, 0, XDP_TX,
	  OSNIC_RX_RPC_VERS_MISMATCH, VERS_MISMATCH },
	{ "rpcvers 3 unknown prog", { UDP4 }, { CALL(9, 9), .rpcvers = 3, .prog = 1 }, 0,
	  XDP_TX, OSNIC_RX_RPC_VERS_MISMATCH, VERS_MISMATCH },
	{ "flavor rpcsec_gss", { UDP4 }, { CALL(2, 1), .cred_flavor = 6, .cred_body_len = 24 },
	  0, XDP_TX, OSNIC_RX_RPC_AUTH_ERROR, AUTH_ERR(OSNIC_RPC_AUTH_BADCRED) },
	{ "flavor auth_short ipv6", { UDP6 }, { CALL(2, 0), .cred_flavor = 2 }, 0, XDP_TX,
	  OSNIC_RX_RPC_AUTH_ERROR, AUTH_ERR(OSNIC_RPC_AUTH_BADCRED) },

	/* Never answered from a broadcast address; a call still gets through. */
	{ "nullproc to broadcast MAC", { UDP4, .eth_bcast = true }, { CALL(2, 0) }, 0, XDP_DROP,
	  OSNIC_RX_TX_ERROR, .svc_saw = OSNIC_RX_RPC_NULLPROC },
	{ "deliver to broadcast MAC", { UDP4, .eth_bcast = true }, { CALL(2, 1) }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },

	/*
	 * Not addressed to this host: the kernel's, whatever the datagram
	 * holds, before any RPC decision. The same calls to the server's
	 * address are answered or delivered in the rows around.
	 */
	{ "other host: deliver", { UDP4, .dst = PKT_DST_OTHER }, { CALL(2, 1) }, 0, XDP_PASS,
	  OSNIC_RX_NOT_LOCAL },
	{ "other host: nullproc", { UDP4, .dst = PKT_DST_OTHER }, { CALL(2, 0) }, 0, XDP_PASS,
	  OSNIC_RX_NOT_LOCAL },
	{ "other host: prog unavail", { UDP4, .dst = PKT_DST_OTHER },
	  { CALL(2, 1), .prog = 1 }, 0, XDP_PASS, OSNIC_RX_NOT_LOCAL },
	{ "other host: garbage", { UDP4, .dst = PKT_DST_OTHER, .payload_len = 64 }, {}, 1,
	  XDP_PASS, OSNIC_RX_NOT_LOCAL },
	{ "other host: deliver ipv6", { UDP6, .dst = PKT_DST_OTHER }, { SYSCALL }, 0, XDP_PASS,
	  OSNIC_RX_NOT_LOCAL },
	{ "other host: nullproc ipv6", { UDP6, .dst = PKT_DST_OTHER }, { CALL(2, 0) }, 0,
	  XDP_PASS, OSNIC_RX_NOT_LOCAL },
	{ "other host: vlan", { UDP4, .dst = PKT_DST_OTHER, .vlan_tci = 3 }, { SYSCALL }, 0,
	  XDP_PASS, OSNIC_RX_NOT_LOCAL },
	{ "broadcast", { UDP4, .dst = PKT_DST_BCAST, .eth_bcast = true }, { CALL(2, 0) }, 0,
	  XDP_PASS, OSNIC_RX_NOT_LOCAL },
	{ "multicast", { UDP4, .dst = PKT_DST_MCAST }, { CALL(2, 1) }, 0, XDP_PASS,
	  OSNIC_RX_NOT_LOCAL },
	{ "multicast ipv6", { UDP6, .dst = PKT_DST_MCAST }, { CALL(2, 0) }, 0, XDP_PASS,
	  OSNIC_RX_NOT_LOCAL },

	/* Delivered to worker 1; the argument length picks the size class. */
	{ "deliver no args", { UDP4 }, { CALL(2, 1) }, 0, XDP_DROP, OSNIC_RX_RPC_DELIVERED },
	{ "deliver 64 args: 2 lines", { UDP4 }, { CALL(2, 1), .args_len = 64 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 65 args: 4 lines", { UDP4 }, { CALL(2, 2), .args_len = 65 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 192 args: 4 lines", { UDP4 }, { CALL(2, 3), .args_len = 192 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 193 args: 8 lines", { UDP4 }, { CALL(2, 4), .args_len = 193 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 448 args: 8 lines", { UDP4 }, { CALL(2, 5), .args_len = 448 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 449 args: 16 lines", { UDP4 }, { CALL(2, 1), .args_len = 449 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 960 args: 16 lines", { UDP4 }, { CALL(2, 1), .args_len = 960 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 961 args: 24 lines", { UDP4 }, { CALL(2, 1), .args_len = 961 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver 1472 args: 24 lines", { UDP4 }, { CALL(2, 1), .args_len = 1472 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_DELIVERED },
	{ "deliver auth_sys", { UDP4 }, { SYSCALL }, 0, XDP_DROP, OSNIC_RX_RPC_DELIVERED },
	{ "deliver auth_sys 255 name 16 gids", { UDP4 },
	  { SYSCALL, .machinename_len = 255, .ngids = 16 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver auth_sys empty name", { UDP4 }, { SYSCALL, .machinename_len = 0, .ngids = 0 },
	  0, XDP_DROP, OSNIC_RX_RPC_DELIVERED },
	{ "deliver verifier body", { UDP4 },
	  { CALL(2, 1), .verf_flavor = 9, .verf_body_len = 13, .args_len = 8 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_DELIVERED },
	{ "deliver ipv6", { UDP6 }, { SYSCALL }, 0, XDP_DROP, OSNIC_RX_RPC_DELIVERED },
	{ "deliver vlan options padding", { UDP4, .vlan_tci = 3, .ip_opt_len = 8, .eth_pad = 9 },
	  { SYSCALL }, 0, XDP_DROP, OSNIC_RX_RPC_DELIVERED },

	/* Not for XDP */
	{ "too big: 1473 args", { UDP4 }, { CALL(2, 1), .args_len = 1473 }, 0, XDP_PASS,
	  OSNIC_RX_RPC_TOO_BIG },
	{ "no worker in v3", { UDP4 }, { CALL(3, 1), .args_len = 4 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_NO_WORKER },

	/* Malformed: dropped, counted by reason, never delivered */
	{ "empty datagram", { UDP4 }, {}, 1, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 4", { UDP4 }, { SYSCALL, .trunc = 4 }, 0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 7", { UDP4 }, { SYSCALL, .trunc = 7 }, 0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 8", { UDP4 }, { SYSCALL, .trunc = 8 }, 0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 24", { UDP4 }, { SYSCALL, .trunc = 24 }, 0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 39", { UDP4 }, { SYSCALL, .trunc = 39 }, 0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 40: in the credential", { UDP4 }, { SYSCALL, .trunc = 40 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_SHORT },
	{ "cut at 70: in the credential", { UDP4 }, { SYSCALL, .trunc = 70 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_SHORT },
	{ "cut at 80: in the verifier", { UDP4 }, { SYSCALL, .trunc = 80 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_SHORT },
	{ "cut in a verifier body", { UDP4 }, { CALL(2, 1), .verf_body_len = 8, .trunc = 44 },
	  0, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cut at 39 ipv6", { UDP6 }, { CALL(2, 0), .trunc = 39 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_SHORT },
	{ "rpcvers 3 cut at 20", { UDP4 }, { CALL(2, 1), .rpcvers = 3, .trunc = 20 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "msg_type reply", { UDP4 }, { CALL(2, 1), .msg_type = OSNIC_RPC_REPLY }, 0, XDP_DROP,
	  OSNIC_RX_RPC_NOT_CALL },
	{ "msg_type reply cut at 8", { UDP4 }, { CALL(2, 1), .msg_type = OSNIC_RPC_REPLY, .trunc = 8 },
	  0, XDP_DROP, OSNIC_RX_RPC_NOT_CALL },
	{ "msg_type 2", { UDP4 }, { CALL(2, 0), .msg_type = 2 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_NOT_CALL },
	{ "garbage", { UDP4, .payload_len = 64 }, {}, 1, XDP_DROP, OSNIC_RX_RPC_NOT_CALL },
	{ "garbage short", { UDP4, .payload_len = 6 }, {}, 1, XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "cred body 404", { UDP4 }, { CALL(2, 1), .cred_flavor = 7, .cred_body_len = 404 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_BAD_AUTH },
	{ "cred length 401 auth_sys", { UDP4 },
	  { SYSCALL, .machinename_len = 255, .ngids = 16, .cred_len_delta = 401 - 340,
	    .args_len = 200 }, 0, XDP_DROP, OSNIC_RX_RPC_BAD_AUTH },
	{ "cred length 2^32-1", { UDP4 }, { CALL(2, 1), .cred_len_delta = -1, .args_len = 8 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_BAD_AUTH },
	{ "cred length beyond datagram", { UDP4 }, { CALL(2, 1), .cred_len_delta = 200 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "auth_none with a body", { UDP4 }, { CALL(2, 1), .cred_body_len = 8 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys 17 gids", { UDP4 }, { SYSCALL, .ngids = 17 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys name 256", { UDP4 }, { SYSCALL, .machinename_len = 256 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys length +4", { UDP4 }, { SYSCALL, .cred_len_delta = 4 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys length -4", { UDP4 }, { SYSCALL, .cred_len_delta = -4 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys body of 16", { UDP4 },
	  { SYSCALL, .machinename_len = 0, .ngids = 0, .cred_len_delta = -4 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "auth_sys name beyond body", { UDP4 }, { SYSCALL, .machinename_len = 40, .ngids = 0,
	  .cred_len_delta = -40 }, 0, XDP_DROP, OSNIC_RX_RPC_BAD_AUTH },
	{ "verf body 404", { UDP4 }, { CALL(2, 1), .verf_body_len = 404 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
	{ "verf length beyond datagram", { UDP4 }, { SYSCALL, .verf_len_delta = 100 }, 0,
	  XDP_DROP, OSNIC_RX_RPC_SHORT },
	{ "unknown flavor, bad verifier", { UDP4 },
	  { CALL(2, 1), .cred_flavor = 6, .verf_len_delta = 1000 }, 0, XDP_DROP,
	  OSNIC_RX_RPC_BAD_AUTH },
};
#pragma GCC diagnostic pop

/* Did this call reach a service (so its per-service counters moved)? */
static bool reaches_service(enum osnic_rx_counter c)
{
	return c == OSNIC_RX_RPC_NULLPROC || c == OSNIC_RX_RPC_PROC_UNAVAIL ||
	       c == OSNIC_RX_RPC_DELIVERED || c == OSNIC_RX_RPC_TOO_BIG ||
	       c == OSNIC_RX_RPC_NO_WORKER;
}

static void check_svc_stats(const struct rpc_case *tc)
{
	uint32_t svc_id = tc->rpc.vers == 3 ? SVC_V3 : SVC_V2;
	enum osnic_rx_counter c = tc->svc_saw ? tc->svc_saw : tc->counter;

	for (uint32_t id = SVC_V2; id <= SVC_V3; id++) {
		struct osnic_svc_stats st = svc_stats_sum(id);
		bool mine = id == svc_id && reaches_service(c);

		cr_assert_eq(st.calls, mine, "%s: service %u calls", tc->name, id);
		cr_assert_eq(st.delivered, mine && c == OSNIC_RX_RPC_DELIVERED,
			     "%s: service %u delivered", tc->name, id);
		cr_assert_eq(st.nullproc, mine && c == OSNIC_RX_RPC_NULLPROC,
			     "%s: service %u nullproc", tc->name, id);
		cr_assert_eq(st.proc_unavail, mine && c == OSNIC_RX_RPC_PROC_UNAVAIL,
			     "%s: service %u proc_unavail", tc->name, id);
		cr_assert_eq(st.drop_no_worker, mine && c == OSNIC_RX_RPC_NO_WORKER,
			     "%s: service %u drop_no_worker", tc->name, id);
		cr_assert_eq(st.drop_ring_full, 0, "%s: service %u drop_ring_full", tc->name, id);
	}
}

ParameterizedTestParameters(xdp_rpc, table)
{
	return cr_make_param_array(struct rpc_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rpc_case *tc, xdp_rpc, table, .init = setup, .fini = teardown)
{
	uint8_t frame[PKT_MAX], out[PKT_MAX];
	uint32_t out_len = sizeof(out);
	struct frame_layout f = layout_of(&tc->pkt);
	struct osnic_worker_stats ws;
	struct ring_read rr;
	uint64_t t0, t1;
	size_t len;
	int verdict;

	len = tc->raw ? pkt_build(&tc->pkt, frame, sizeof(frame))
		      : pkt_build_rpc(&tc->pkt, &tc->rpc, frame, sizeof(frame));
	cr_assert_gt(len, 0, "%s: packet does not fit", tc->name);

	t0 = now_ns();
	verdict = run_xdp_named(tc->name, frame, len, out, &out_len);
	t1 = now_ns();
	cr_assert_eq(verdict, tc->verdict, "%s: verdict %d, want %d", tc->name, verdict,
		     tc->verdict);

	cr_assert_eq(rx_count(OSNIC_RX_PACKETS), 1, "%s: packets", tc->name);
	cr_assert_eq(rx_count(OSNIC_RX_UDP), 1, "%s: udp", tc->name);
	for (uint32_t i = OSNIC_RX_NOT_IP; i < OSNIC_RX__MAX; i++)
		if (i != OSNIC_RX_UDP)
			cr_assert_eq(rx_count(i), i == tc->counter, "%s: counter %u is %lu",
				     tc->name, i, (unsigned long)rx_count(i));
	check_svc_stats(tc);

	if (verdict == XDP_TX)
		check_reply(tc->name, frame, &f, &tc->reply, out, out_len);
	if (verdict == XDP_PASS) {
		cr_assert_eq(out_len, len, "%s: passed frame length", tc->name);
		cr_assert_arr_eq(out, frame, len, "%s: passed frame modified", tc->name);
	}

	ring_drain(1, &rr);
	ws = worker_stats_sum(1);
	if (tc->counter == OSNIC_RX_RPC_DELIVERED) {
		check_delivery(tc->name, &tc->pkt, &tc->rpc, SVC_V2, &rr, t0, t1);
		cr_assert_eq(ws.delivered, 1, "%s: worker delivered", tc->name);
		cr_assert_eq(ws.delivered_idle, 1, "%s: worker delivered_idle", tc->name);
		cr_assert_eq(ws.bytes, tc->rpc.args_len, "%s: worker bytes", tc->name);
		check_worker_rx(tc->name, 1, t0, t1);
	} else {
		cr_assert_eq(rr.n, 0, "%s: %d records delivered", tc->name, rr.n);
		cr_assert_eq(ws.delivered, 0, "%s: worker delivered", tc->name);
	}
}

/* ---- this host's addresses ------------------------------------------------------ */

/* One call to the server's address of a family: the verdict. */
static int call_server(bool v6, uint32_t proc)
{
	struct pkt_spec s = { UDP4, .ipv6 = v6 };
	struct rpc_spec r = { CALL(2, proc), .args_len = 16 };
	uint8_t frame[PKT_MAX];
	size_t len = pkt_build_rpc(&s, &r, frame, sizeof(frame));

	cr_assert_gt(len, 0);
	return run_xdp(frame, len, NULL, NULL);
}

/* The map decides, per address and family: osnicd's deletes and adds take effect. */
Test(xdp_local, address_removed_and_added_back, .init = setup, .fini = teardown)
{
	struct ring_read rr;

	del_local(false);
	cr_assert_eq(call_server(false, 1), XDP_PASS, "IPv4 address gone");
	cr_assert_eq(call_server(false, 0), XDP_PASS, "IPv4 address gone, nullproc");
	cr_assert_eq(rx_count(OSNIC_RX_NOT_LOCAL), 2);
	/* The IPv6 address is still there. */
	cr_assert_eq(call_server(true, 1), XDP_DROP, "IPv6 address kept");
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 1);

	del_local(true);
	cr_assert_eq(call_server(true, 1), XDP_PASS, "IPv6 address gone");
	cr_assert_eq(rx_count(OSNIC_RX_NOT_LOCAL), 3);

	put_local(false);
	put_local(true);
	cr_assert_eq(call_server(false, 1), XDP_DROP, "IPv4 address back");
	cr_assert_eq(call_server(true, 1), XDP_DROP, "IPv6 address back");
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 3);
	cr_assert_eq(rx_count(OSNIC_RX_NOT_LOCAL), 3);
	cr_assert_eq(ring_drain(1, &rr), 3);
}

/* The key is (family, address): an IPv4 entry says nothing of an IPv6 one. */
Test(xdp_local, family_is_part_of_the_key, .init = setup, .fini = teardown)
{
	struct osnic_local_addr_key k = local_key(false);
	uint32_t ifindex = 1;

	del_local(false);
	del_local(true);
	/* 10.0.0.2's bytes under AF_INET6, fd00::2's under AF_INET. */
	k.family = AF_INET6;
	map_put(skel->maps.osnic_local_addrs, &k, sizeof(k), &ifindex, sizeof(ifindex));
	k = local_key(true);
	k.family = AF_INET;
	map_put(skel->maps.osnic_local_addrs, &k, sizeof(k), &ifindex, sizeof(ifindex));
	cr_assert_eq(call_server(false, 1), XDP_PASS);
	cr_assert_eq(call_server(true, 1), XDP_PASS);
	cr_assert_eq(rx_count(OSNIC_RX_NOT_LOCAL), 2);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 0);
}

/* ---- steering -------------------------------------------------------------------- */

static int send_call(const struct rpc_spec *r, uint8_t *out, uint32_t *out_len)
{
	struct pkt_spec s = { UDP4 };
	uint8_t frame[PKT_MAX];
	size_t len = pkt_build_rpc(&s, r, frame, sizeof(frame));

	cr_assert_gt(len, 0);
	return run_xdp(frame, len, out, out_len);
}

static void deliver_one(const char *why, uint32_t want_worker)
{
	struct rpc_spec r = { CALL(2, 1), .args_len = 16 };
	uint64_t before[4], after;

	for (uint32_t id = 1; id <= 3; id++)
		before[id] = ring_fds[id] ? ring_lines(id) : 0;
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP, "%s: verdict", why);
	for (uint32_t id = 1; id <= 3; id++) {
		after = ring_fds[id] ? ring_lines(id) : 0;
		cr_assert_eq(after - before[id], id == want_worker ? 2 : 0,
			     "%s: worker %u got %lu lines, want worker %u", why, id,
			     (unsigned long)(after - before[id]), want_worker);
	}
}

/* Service 1 with workers 1..3, each with a ring and the given states. */
static void three_workers(uint32_t depth, uint32_t flags)
{
	static const uint32_t ids[] = { 1, 2, 3 };

	put_service(SVC_V2, 2, PROCS_V2, depth, flags, 3, ids);
	put_worker(1, SVC_V2, OSNIC_WS_RUNNING, TEST_CPU);
	put_worker(2, SVC_V2, OSNIC_WS_RUNNING, TEST_CPU);
	put_worker(3, SVC_V2, OSNIC_WS_RUNNING, TEST_CPU);
}

Test(xdp_steer, sleeper_here_then_sleeper_elsewhere_then_shortest_ring, .init = setup,
     .fini = teardown)
{
	const uint32_t other_cpu = TEST_CPU + 1;

	three_workers(DEPTH_LINES, 0);
	/* Give worker 2 a longer ring than worker 1's. */
	set_sched(2, OSNIC_WS_SLEEPING, TEST_CPU);
	deliver_one("setup", 2);

	set_sched(1, OSNIC_WS_RUNNING, TEST_CPU);	/* empty ring */
	set_sched(2, OSNIC_WS_SLEEPING, other_cpu);	/* 2 lines queued */
	set_sched(3, OSNIC_WS_SLEEPING, TEST_CPU);	/* empty ring */
	deliver_one("sleeping here beats sleeping elsewhere and a shorter ring", 3);

	set_sched(3, OSNIC_WS_RUNNABLE, TEST_CPU);
	deliver_one("sleeping elsewhere beats running with a shorter ring", 2);

	/* 2 lines queued, under the threshold (STEER_KEEP: 16 lines here). */
	set_sched(2, OSNIC_WS_RUNNING, other_cpu);
	deliver_one("among running workers, the last one chosen while its ring is short", 2);

	cr_assert_eq(worker_stats_sum(1).delivered_idle, 0);
	cr_assert_eq(worker_stats_sum(2).delivered_idle, 2);
	cr_assert_eq(worker_stats_sum(3).delivered_idle, 1);
	cr_assert_eq(worker_stats_sum(1).delivered, 0);
	cr_assert_eq(worker_stats_sum(2).delivered, 3);
	cr_assert_eq(worker_stats_sum(3).delivered, 1);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 4);
}

Test(xdp_steer, full_worker_is_skipped, .init = setup, .fini = teardown)
{
	/* Each call takes 2 lines; a worker with 4 queued is full. */
	three_workers(4, 0);
	set_sched(1, OSNIC_WS_SLEEPING, TEST_CPU);
	set_sched(3, OSNIC_WS_RUNNING, TEST_CPU + 1);
	deliver_one("first", 1);
	/* Taken, worker 1 left the idle sets; here it sleeps again, its call unread. */
	cr_assert(!idle_bit(SVC_V2, 0, -1) && !idle_bit(SVC_V2, 0, TEST_CPU));
	set_sched(1, OSNIC_WS_SLEEPING, TEST_CPU);
	deliver_one("second: 2 of 4 lines", 1);
	cr_assert_eq(ring_lines(1), 4);
	/*
	 * Worker 1 is the best but full; 2 and 3 are running and empty. With
	 * 3 workers all are compared whenever the last one chosen holds a
	 * quarter of the depth (1 line) or more; a tie keeps the last one.
	 */
	set_sched(1, OSNIC_WS_SLEEPING, TEST_CPU);
	deliver_one("third: worker 1 is full", 2);
	deliver_one("fourth: 3 is shorter than 2", 3);
	deliver_one("fifth: 2 is no shorter than 3", 3);
	deliver_one("sixth: 3 is full", 2);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 6);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_NO_WORKER), 0);
}

Test(xdp_steer, all_full_drops_and_counts, .init = setup, .fini = teardown)
{
	struct rpc_spec r = { CALL(2, 1), .args_len = 16 };
	struct ring_read rr;

	three_workers(2, 0);
	deliver_one("fill 1", 1);
	deliver_one("fill 2", 2);
	deliver_one("fill 3", 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	/* Workers exist but are at their depth: overload, not a missing worker. */
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), 3);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_NO_WORKER), 0);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 3);
	cr_assert_eq(svc_stats_sum(SVC_V2).drop_ring_full, 3);
	cr_assert_eq(svc_stats_sum(SVC_V2).drop_no_worker, 0);
	cr_assert_eq(svc_stats_sum(SVC_V2).calls, 6);
	for (uint32_t id = 1; id <= 3; id++)
		cr_assert_eq(ring_drain(id, &rr), 1, "worker %u", id);
	/* Once drained, calls flow again. */
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 4);
}

Test(xdp_steer, all_full_answers_system_err_when_asked, .init = setup, .fini = teardown)
{
	struct rpc_spec r = { CALL(2, 1), .args_len = 16 };
	struct pkt_spec s = { UDP4 };
	struct frame_layout f = layout_of(&s);
	struct reply_want want = ACCEPTED(OSNIC_RPC_SYSTEM_ERR);
	uint8_t frame[PKT_MAX], out[PKT_MAX];
	uint32_t out_len = sizeof(out);
	size_t len;

	three_workers(2, OSNIC_SVC_F_SYSTEM_ERR_ON_FULL);
	deliver_one("fill 1", 1);
	deliver_one("fill 2", 2);
	deliver_one("fill 3", 3);
	len = pkt_build_rpc(&s, &r, frame, sizeof(frame));
	cr_assert_eq(run_xdp(frame, len, out, &out_len), XDP_TX);
	check_reply("system_err", frame, &f, &want, out, out_len);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), 1);
	cr_assert_eq(rx_count(OSNIC_RX_TX_ERROR), 0);
}

Test(xdp_steer, stale_and_ringless_slots_are_skipped, .init = setup, .fini = teardown)
{
	struct osnic_worker_val stale = { .service_id = SVC_V3 };
	uint32_t id = 2;

	three_workers(DEPTH_LINES, 0);
	/* Worker 1 would win (asleep here) but its slot now belongs to service 2. */
	set_sched(1, OSNIC_WS_SLEEPING, TEST_CPU);
	id = 1;
	map_put(skel->maps.osnic_workers, &id, sizeof(id), &stale, sizeof(stale));
	/* Worker 2 would win next (asleep) but has no ring. */
	set_sched(2, OSNIC_WS_SLEEPING, TEST_CPU);
	id = 2;
	cr_assert_eq(bpf_map__delete_elem(skel->maps.osnic_rings, &id, sizeof(id), 0), 0);
	deliver_one("only worker 3 is usable", 3);
}

Test(xdp_steer, no_workers_drops_and_counts, .init = setup, .fini = teardown)
{
	struct rpc_spec r = { CALL(2, 1) };

	put_service(SVC_V2, 2, PROCS_V2, DEPTH_LINES, 0, 0, NULL);
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_NO_WORKER), 1);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), 0);
	cr_assert_eq(svc_stats_sum(SVC_V2).drop_no_worker, 1);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 0);
}

Test(xdp_steer, ring_full_drops_and_counts, .init = setup, .fini = teardown)
{
	/* 24-line records in a 256 KiB ring: 170 fit. */
	struct rpc_spec r = { CALL(2, 1), .args_len = 1000 };
	struct pkt_spec s = { UDP4 };
	const int runs = 200, fit = OSNIC_RING_BYTES / (24 * OSNIC_LINE);
	uint8_t frame[PKT_MAX];
	struct ring_read rr;
	size_t len;

	put_service(SVC_V2, 2, PROCS_V2, UINT32_MAX, 0, 1, (uint32_t[]){ 1 });
	len = pkt_build_rpc(&s, &r, frame, sizeof(frame));
	cr_assert_eq(run_xdp_repeat("ring full", frame, len, NULL, NULL, runs), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), fit);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), runs - fit);
	cr_assert_eq(svc_stats_sum(SVC_V2).drop_ring_full, runs - fit);
	cr_assert_eq(ring_drain(1, &rr), fit);
	cr_assert_eq(rr.rec[0].size, OSNIC_REC_SIZE(24));
}

/* ---- steering among as many workers as a service may have ---------------------- */

/* Workers 1..MANY in slots 0..MANY-1: OSNIC_MAX_SVC_WORKERS, as far as worker ids allow. */
#define MANY                                                                    \
	(OSNIC_MAX_SVC_WORKERS < OSNIC_MAX_WORKERS ? OSNIC_MAX_SVC_WORKERS \
						   : OSNIC_MAX_WORKERS - 1)

/* Service 1 with workers 1..MANY, each with a ring, all running. */
static void many_workers(uint32_t depth)
{
	static uint32_t ids[OSNIC_MAX_SVC_WORKERS];

	for (uint32_t i = 0; i < MANY; i++)
		ids[i] = i + 1;
	put_service(SVC_V2, 2, PROCS_V2, depth, 0, MANY, ids);
	for (uint32_t id = 1; id <= MANY; id++)
		put_worker(id, SVC_V2, OSNIC_WS_RUNNING, TEST_CPU);
}

/* The worker that got the last delivered call (XDP notes when, per worker). */
static uint32_t last_delivered(void)
{
	uint64_t latest = 0;
	uint32_t who = 0;

	for (uint32_t id = 1; id <= MANY; id++) {
		struct osnic_worker_rx rx;

		cr_assert_eq(bpf_map__lookup_elem(skel->maps.osnic_worker_rx, &id, sizeof(id), &rx,
						  sizeof(rx), 0),
			     0);
		if (rx.last_rx_ns > latest) {
			latest = rx.last_rx_ns;
			who = id;
		}
	}
	return who;
}

/* One call; returns the worker it went to, 0 when it was not delivered. */
static uint32_t call_one(void)
{
	struct rpc_spec r = { CALL(2, 1), .args_len = 16 };
	uint64_t before = rx_count(OSNIC_RX_RPC_DELIVERED);

	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	return rx_count(OSNIC_RX_RPC_DELIVERED) > before ? last_delivered() : 0;
}

/* Worker id (asleep on this CPU for that) gets one call. */
static void give_call(uint32_t id)
{
	set_sched(id, OSNIC_WS_SLEEPING, TEST_CPU);
	cr_assert_eq(call_one(), id, "a call for sleeping worker %u", id);
	set_sched(id, OSNIC_WS_RUNNING, TEST_CPU);
}

Test(xdp_steer_many, sleeper_here_then_elsewhere_then_a_running_one, .init = setup,
     .fini = teardown)
{
	const uint32_t here = 101, elsewhere = MANY;
	uint32_t id;

	many_workers(DEPTH_LINES);
	set_sched(elsewhere, OSNIC_WS_SLEEPING, TEST_CPU + 1);
	set_sched(here, OSNIC_WS_SLEEPING, TEST_CPU);
	cr_assert(idle_bit(SVC_V2, here - 1, -1) && idle_bit(SVC_V2, here - 1, TEST_CPU));

	cr_assert_eq(call_one(), here, "asleep on this CPU beats asleep elsewhere");
	/* Claimed: out of both sets, so the next call wakes another. */
	cr_assert(!idle_bit(SVC_V2, here - 1, -1) && !idle_bit(SVC_V2, here - 1, TEST_CPU));
	cr_assert_eq(call_one(), elsewhere, "asleep elsewhere beats running (empty rings)");
	cr_assert(!idle_bit(SVC_V2, elsewhere - 1, -1));

	id = call_one();
	cr_assert(id >= 1 && id <= MANY, "no sleeper left: a running worker, not %u", id);
	cr_assert_eq(worker_stats_sum(here).delivered_idle, 1);
	cr_assert_eq(worker_stats_sum(elsewhere).delivered_idle, 1);
	cr_assert_eq(worker_stats_sum(id).delivered_idle, id == here || id == elsewhere);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 3);
}

Test(xdp_steer_many, stale_idle_slot_is_skipped, .init = setup, .fini = teardown)
{
	struct osnic_worker_val gone = { .service_id = SVC_V3 };
	uint32_t id = 6;

	many_workers(DEPTH_LINES);
	set_sched(6, OSNIC_WS_SLEEPING, TEST_CPU);
	set_sched(201 <= MANY ? 201 : MANY, OSNIC_WS_SLEEPING, TEST_CPU);
	/* Worker 6 left: its slot's bit is stale. */
	map_put(skel->maps.osnic_workers, &id, sizeof(id), &gone, sizeof(gone));
	cr_assert_eq(call_one(), 201 <= MANY ? 201 : MANY, "the stale slot is passed over");
	cr_assert(!idle_bit(SVC_V2, 5, -1) && !idle_bit(SVC_V2, 5, TEST_CPU),
		  "and its bit dropped");
	cr_assert_eq(ring_lines(6), 0);
}

Test(xdp_steer_many, full_workers_are_never_chosen, .init = setup, .fini = teardown)
{
	uint64_t full_before;
	struct ring_read rr;
	uint32_t id;

	/* Each call takes 2 lines: one fills a worker. */
	many_workers(2);
	for (id = 1; id <= MANY; id++)
		give_call(id);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(call_one(), 0, "all %u workers are at their depth", MANY);
	/* Asleep but full: still not chosen. */
	set_sched(7, OSNIC_WS_SLEEPING, TEST_CPU);
	cr_assert_eq(call_one(), 0);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), 4);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_NO_WORKER), 0);

	/* One worker has room: calls go to it or are refused, never to a full one. */
	cr_assert_eq(ring_drain(37, &rr), 1);
	full_before = rx_count(OSNIC_RX_RPC_RING_FULL);
	for (int i = 0; i < 64; i++) {
		id = call_one();
		cr_assert(id == 0 || id == 37, "call %d went to full worker %u", i, id);
	}
	cr_assert_geq(rx_count(OSNIC_RX_RPC_DELIVERED), MANY);
	cr_assert_leq(rx_count(OSNIC_RX_RPC_DELIVERED), MANY + 1);
	cr_assert_geq(rx_count(OSNIC_RX_RPC_RING_FULL) - full_before, 63);
	for (id = 1; id <= MANY; id++)
		cr_assert_leq(ring_lines(id), 2, "worker %u is past its depth", id);
}

/* As steer.h: the remembered worker is kept for a quarter of the depth, at most 256 lines. */
#define STEER_KEEP(depth) ((depth) / 4 < 256 ? (depth) / 4 : 256)

/*
 * Without sleepers, the worker this CPU chose last, while its ring holds
 * fewer than STEER_KEEP lines; past that, one of the others (all empty
 * here: the shorter of it and a random one), which is then kept in turn.
 * A sleeper claimed is remembered too.
 */
Test(xdp_steer_many, last_worker_kept_until_its_threshold, .init = setup, .fini = teardown)
{
	const uint32_t keep_calls = STEER_KEEP(DEPTH_LINES) / 2;	/* 2 lines a call */
	uint32_t first, next, id;
	int extra = 0;

	cr_assert_gt(keep_calls, 1);
	many_workers(DEPTH_LINES);
	first = call_one();
	cr_assert(first >= 1 && first <= MANY);
	for (uint32_t i = 1; i < keep_calls; i++)
		cr_assert_eq(call_one(), first, "call %u: the remembered worker, under the threshold",
			     i);
	cr_assert_eq(ring_lines(first), STEER_KEEP(DEPTH_LINES));
	/* Past it: another (the random one may be the same slot, 1 in MANY). */
	while ((next = call_one()) == first)
		cr_assert_lt(++extra, 3, "worker %u kept past its threshold", first);
	cr_assert(next >= 1 && next <= MANY);
	for (uint32_t i = 1; i < keep_calls; i++)
		cr_assert_eq(call_one(), next, "call %u: the new remembered worker", i);

	/* A sleeper claimed becomes the remembered one. */
	id = first == 7 || next == 7 ? 8 : 7;
	give_call(id);
	cr_assert_eq(call_one(), id, "the claimed sleeper, now running, is kept");
	cr_assert_eq(worker_stats_sum(id).delivered, 2);
	cr_assert_eq(worker_stats_sum(id).delivered_idle, 1);
}

/*
 * Past the threshold, the shorter of the remembered worker and a random
 * one. Depth 8 (threshold 2 lines): the odd workers hold 4 lines, the even
 * ones none, and the remembered even worker E holds 2. A random odd one
 * is longer than E, so E is kept; a random even one is shorter and taken.
 * An odd worker is never chosen (a choice that ignored the rings would
 * take one about half the time), and both outcomes occur.
 */
Test(xdp_steer_many, shorter_of_remembered_and_random, .init = setup, .fini = teardown)
{
	const uint32_t e = 2;
	const int rounds = 200;
	int kept = 0, moved = 0;
	struct ring_read rr;

	many_workers(8);
	for (uint32_t id = 1; id <= MANY; id += 2) {
		give_call(id);
		give_call(id);
	}
	for (int i = 0; i < rounds; i++) {
		uint32_t id;

		ring_drain(e, &rr);
		give_call(e);	/* 2 lines, and remembered */
		id = call_one();
		cr_assert(id >= 1 && id <= MANY, "round %d: not delivered", i);
		cr_assert_eq(id % 2, 0, "round %d: worker %u holds more than the remembered one", i,
			     id);
		if (id == e) {
			kept++;
		} else {
			moved++;
			cr_assert_eq(ring_drain(id, &rr), 1);
		}
	}
	cr_log_info("kept %d, moved to a random empty ring %d, of %d rounds", kept, moved, rounds);
	cr_assert_geq(kept, rounds / 4, "the remembered worker kept in only %d of %d", kept, rounds);
	cr_assert_geq(moved, rounds / 4, "a shorter random worker taken in only %d of %d", moved,
		      rounds);
	for (uint32_t id = 1; id <= MANY; id++)
		cr_assert_leq(ring_lines(id), 8, "worker %u is past its depth", id);
}

/*
 * OSNIC_SVC_F_ALL_PROCS: the procedure mask is ignored and every procedure,
 * NULLPROC and numbers past 63 included, is delivered to the worker; a
 * service without the flag keeps answering them in XDP.
 */
Test(xdp_all_procs, every_procedure_is_delivered, .init = setup, .fini = teardown)
{
	static const uint32_t procs[] = { 0, 1, 6, 63, 64, 0x7fffffff, 0xffffffff };
	const size_t n = sizeof(procs) / sizeof(procs[0]);
	struct pkt_spec s = { UDP4 };
	struct ring_read rr;
	uint64_t t0, t1;

	put_service(SVC_V2, 2, 0, DEPTH_LINES, OSNIC_SVC_F_ALL_PROCS, 1, (uint32_t[]){ 1 });
	for (size_t i = 0; i < n; i++) {
		struct rpc_spec r = { CALL(2, procs[i]), .args_len = 12 };
		char name[40];

		snprintf(name, sizeof(name), "all procs: proc %#x", procs[i]);
		t0 = now_ns();
		cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP, "%s: verdict", name);
		t1 = now_ns();
		ring_drain(1, &rr);
		check_delivery(name, &s, &r, SVC_V2, &rr, t0, t1);
	}
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), n);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_NULLPROC), 0);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_PROC_UNAVAIL), 0);
	cr_assert_eq(svc_stats_sum(SVC_V2).delivered, n);
	cr_assert_eq(svc_stats_sum(SVC_V2).calls, n);

	/* Version 3 has no flag: procedure 64 is still PROC_UNAVAIL there. */
	{
		struct rpc_spec r = { CALL(3, 64) };

		cr_assert_eq(send_call(&r, NULL, NULL), XDP_TX);
		cr_assert_eq(rx_count(OSNIC_RX_RPC_PROC_UNAVAIL), 1);
	}
}

/* The flag does not lift the inline limit: larger calls go to the socket. */
Test(xdp_all_procs, too_big_still_passes, .init = setup, .fini = teardown)
{
	struct rpc_spec r = { CALL(2, 100), .args_len = OSNIC_MAX_INLINE_ARGS + 4 };
	struct ring_read rr;

	put_service(SVC_V2, 2, 0, DEPTH_LINES, OSNIC_SVC_F_ALL_PROCS, 1, (uint32_t[]){ 1 });
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_PASS);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_TOO_BIG), 1);
	cr_assert_eq(ring_drain(1, &rr), 0);
}

/*
 * OSNIC_SVC_F_ALL_PROCS: a credential the ring cannot carry whole (anything
 * but AUTH_NONE, malformed ones included) goes to the server's socket; the
 * same calls to a service without the flag are delivered or answered as
 * before.
 */
Test(xdp_all_procs, credentials_but_auth_none_pass, .init = setup, .fini = teardown)
{
	struct rpc_spec pass[] = {
		{ CALL(2, 1), .cred_flavor = OSNIC_RPC_AUTH_SYS, .uid = 7, .gid = 8,
		  .machinename_len = 5, .ngids = 2 },
		{ CALL(2, 0), .cred_flavor = OSNIC_RPC_AUTH_SYS },
		{ CALL(2, 1), .cred_flavor = 6, .cred_body_len = 24 },	/* RPCSEC_GSS */
		{ CALL(2, 1), .cred_flavor = 2 },			/* AUTH_SHORT */
		{ CALL(2, 1), .cred_flavor = OSNIC_RPC_AUTH_SYS, .ngids = 2, .cred_len_delta = 4,
		  .args_len = 16 },
	};
	const size_t n = sizeof(pass) / sizeof(pass[0]);
	struct rpc_spec none = { CALL(2, 1), .args_len = 8 };
	struct ring_read rr;

	put_service(SVC_V2, 2, 0, DEPTH_LINES, OSNIC_SVC_F_ALL_PROCS, 1, (uint32_t[]){ 1 });
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(send_call(&pass[i], NULL, NULL), XDP_PASS, "credential case %zu", i);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_AUTH_PASS), n);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_AUTH_ERROR), 0);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_BAD_AUTH), 0);
	cr_assert_eq(ring_drain(1, &rr), 0);
	cr_assert_eq(send_call(&none, NULL, NULL), XDP_DROP, "AUTH_NONE is delivered");
	cr_assert_eq(ring_drain(1, &rr), 1);

	/* Without the flag: AUTH_SYS delivered, RPCSEC_GSS answered, bad dropped. */
	put_service(SVC_V2, 2, PROCS_V2, DEPTH_LINES, 0, 1, (uint32_t[]){ 1 });
	cr_assert_eq(send_call(&pass[0], NULL, NULL), XDP_DROP);
	cr_assert_eq(ring_drain(1, &rr), 1);
	cr_assert_eq(send_call(&pass[2], NULL, NULL), XDP_TX);
	cr_assert_eq(send_call(&pass[4], NULL, NULL), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_AUTH_PASS), n);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_AUTH_ERROR), 1);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_BAD_AUTH), 1);
}

/* ---- the limits at their maxima -------------------------------------------------- */

/* Give worker id a ring of its own of the given size (before put_worker()). */
static void put_ring(uint32_t id, uint32_t bytes)
{
	cr_assert_eq(ring_fds[id], 0, "worker %u has a ring already", id);
	ring_fds[id] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, bytes, NULL);
	cr_assert_gt(ring_fds[id], 0, "creating a ring of %u bytes: %s", bytes, strerror(errno));
	map_put(skel->maps.osnic_rings, &id, sizeof(id), &ring_fds[id], sizeof(ring_fds[id]));
}

/* The highest service id and the highest worker id take a call like the lowest. */
Test(xdp_limits, highest_service_and_worker_ids_deliver, .init = setup, .fini = teardown)
{
	const uint32_t sid = OSNIC_MAX_SERVICES - 1, wid = OSNIC_MAX_WORKERS - 1;
	struct rpc_spec r = { CALL(2, 1), .args_len = 16 };
	struct pkt_spec s = { UDP4 };
	struct ring_read rr;
	uint64_t t0, t1;

	cr_assert_geq(sid, 1024, "at least 1,024 service ids");
	cr_assert_geq(wid, 4096, "at least 4,096 worker ids");
	/* Version 2 now maps to the last service id, whose only worker is the last. */
	put_service(sid, 2, PROCS_V2, DEPTH_LINES, 0, 1, &wid);
	put_worker(wid, sid, OSNIC_WS_SLEEPING, TEST_CPU);
	t0 = now_ns();
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	t1 = now_ns();
	cr_assert_eq(ring_drain(wid, &rr), 1, "the call is in worker %u's ring", wid);
	check_delivery("highest ids", &s, &r, sid, &rr, t0, t1);
	cr_assert_eq(ring_drain(1, &rr), 0, "worker 1 (of service 1) got nothing");
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), 1);
	cr_assert_eq(svc_stats_sum(sid).delivered, 1);
	cr_assert_eq(svc_stats_sum(SVC_V2).calls, 0);
	cr_assert_eq(worker_stats_sum(wid).delivered, 1);
}

/* An id past the maxima has no slot in the maps osnicd writes. */
Test(xdp_limits, ids_past_the_maxima_have_no_slot, .init = setup, .fini = teardown)
{
	struct osnic_service_val svc = { .prog = PROG, .vers = 2, .port = SVC_PORT };
	struct osnic_worker_val w = { .service_id = 1, .tid = 1 };
	uint32_t sid = OSNIC_MAX_SERVICES, wid = OSNIC_MAX_WORKERS;

	cr_assert_neq(bpf_map__update_elem(skel->maps.osnic_services, &sid, sizeof(sid), &svc,
					   sizeof(svc), BPF_ANY), 0);
	cr_assert_neq(bpf_map__update_elem(skel->maps.osnic_workers, &wid, sizeof(wid), &w,
					   sizeof(w), BPF_ANY), 0);
	cr_assert_eq(bpf_map__max_entries(skel->maps.osnic_rings), OSNIC_MAX_WORKERS);
	cr_assert_eq(bpf_map__max_entries(skel->maps.osnic_worker_stats), OSNIC_MAX_WORKERS);
	cr_assert_eq(bpf_map__max_entries(skel->maps.osnic_svc_stats), OSNIC_MAX_SERVICES);
}

/*
 * A shallow service's workers get rings sized by its depth (as osnicd
 * makes them), smaller than the template of osnic_rings: the kernel takes
 * them into the array, XDP fills one up to the depth and then counts the
 * service full. A worker is chosen while it holds less than the depth, and
 * the kernel keeps a ring at least a byte short of full: the calls that
 * fit are the fewer of those two limits.
 */
static void small_ring_fill(uint32_t depth, size_t args_len, unsigned int lines, int want)
{
	const uint32_t bytes = osnic_ring_bytes(depth, sysconf(_SC_PAGESIZE));
	const int by_depth = depth / lines + (depth % lines != 0);
	const int by_ring = (bytes - 1) / (lines * OSNIC_LINE);
	const int fit = by_depth < by_ring ? by_depth : by_ring, runs = fit + 5;
	struct rpc_spec r = { CALL(2, 1), .args_len = args_len };
	struct pkt_spec s = { UDP4 };
	uint8_t frame[PKT_MAX];
	struct ring_read rr;
	size_t len;

	cr_assert_eq(rec_lines(args_len), lines);
	if (sysconf(_SC_PAGESIZE) == 4096)
		cr_assert_eq(fit, want, "the test's own arithmetic");
	cr_assert_lt(bytes, OSNIC_RING_BYTES, "a ring smaller than the template");
	put_ring(2, bytes);
	put_service(SVC_V2, 2, PROCS_V2, depth, 0, 1, (uint32_t[]){ 2 });
	put_worker(2, SVC_V2, OSNIC_WS_SLEEPING, TEST_CPU);
	len = pkt_build_rpc(&s, &r, frame, sizeof(frame));
	cr_assert_eq(run_xdp_repeat("small ring", frame, len, NULL, NULL, runs), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), fit, "depth %u: %d calls of %u lines",
		     depth, fit, lines);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_RING_FULL), runs - fit);
	cr_assert_eq(ring_drain(2, &rr), fit);
	cr_assert_eq(rr.rec[0].size, OSNIC_REC_SIZE(lines));
	/* Drained, it takes calls again. */
	cr_assert_eq(send_call(&r, NULL, NULL), XDP_DROP);
	cr_assert_eq(rx_count(OSNIC_RX_RPC_DELIVERED), fit + 1);
	cr_assert_eq(ring_drain(2, &rr), 1);
}

Test(xdp_limits, page_ring_takes_its_depth_of_small_calls, .init = setup, .fini = teardown)
{
	/* 64 lines: a 4 KiB ring (a page), 31 calls of 2 lines (the 32nd would fill it). */
	small_ring_fill(64, 16, 2, 31);
}

Test(xdp_limits, page_ring_holds_the_largest_record, .init = setup, .fini = teardown)
{
	/* The smallest depth osnicd takes (24 lines) still holds a 24-line call. */
	small_ring_fill(OSNIC_REC_MAX_LINES, OSNIC_MAX_INLINE_ARGS, OSNIC_REC_MAX_LINES, 1);
}

Test(xdp_limits, ring_between_sizes_takes_its_depth, .init = setup, .fini = teardown)
{
	/* 200 lines: a 16 KiB ring; 25 calls of 8 lines reach the depth. */
	small_ring_fill(200, 300, 8, 25);
}
