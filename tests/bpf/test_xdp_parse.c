// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of the XDP parser: each row of the table is a
 * packet, the verdict it must get, and the counters it must move. The
 * program is loaded fresh for each test, so counters start at zero.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>

#include <osnic/abi.h>
#include "osnic_xdp.skel.h"
#include "pkt.h"

static struct osnic_xdp *skel;
static int ncpus;

static void setup(void)
{
	skel = osnic_xdp__open_and_load();
	cr_assert_not_null(skel, "loading the XDP object failed (root? BTF?): %s",
			   strerror(errno));
	ncpus = libbpf_num_possible_cpus();
	cr_assert_gt(ncpus, 0);
}

static void teardown(void)
{
	osnic_xdp__destroy(skel);
	skel = NULL;
}

/* Sum a per-CPU u64 slot. */
static uint64_t percpu_sum(struct bpf_map *map, uint32_t key)
{
	uint64_t vals[ncpus], sum = 0;

	cr_assert_eq(bpf_map__lookup_elem(map, &key, sizeof(key), vals, sizeof(vals), 0), 0,
		     "lookup of key %u in %s failed", key, bpf_map__name(map));
	for (int i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

static int run_xdp_named(const char *name, const uint8_t *frame, size_t len, uint8_t *out,
			 uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = out ? *out_len : 0, .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.osnic_xdp_rx), &opts);
	cr_assert_eq(err, 0, "%s: BPF_PROG_TEST_RUN failed: %s", name, strerror(-err));
	if (out)
		*out_len = opts.data_size_out;
	return opts.retval;
}

#define run_xdp(...) run_xdp_named(__func__, __VA_ARGS__)

struct parse_case {
	char name[32];
	struct pkt_spec spec;
	int verdict;
	enum osnic_rx_counter counter;	/* the one class counter that must be 1 */
	int port;			/* port whose counter must be 1, or -1 */
};

#define UDP(dp) .sport = 40000, .dport = (dp), .payload_len = 16

static struct parse_case cases[] = {
	{ "ipv4 udp", { UDP(2049) }, XDP_PASS, OSNIC_RX_UDP, 2049 },
	{ "ipv4 udp empty payload", { .sport = 1, .dport = 7 }, XDP_PASS, OSNIC_RX_UDP, 7 },
	{ "ipv4 options", { UDP(5000), .ip_opt_len = 8 }, XDP_PASS, OSNIC_RX_UDP, 5000 },
	{ "ipv4 max options", { UDP(5001), .ip_opt_len = 40 }, XDP_PASS, OSNIC_RX_UDP, 5001 },
	{ "vlan ipv4", { UDP(6000), .vlan_tci = 42 }, XDP_PASS, OSNIC_RX_UDP, 6000 },
	{ "ipv6 udp", { UDP(7000), .ipv6 = true }, XDP_PASS, OSNIC_RX_UDP, 7000 },
	{ "vlan ipv6", { UDP(7001), .ipv6 = true, .vlan_tci = 7 }, XDP_PASS, OSNIC_RX_UDP, 7001 },
	{ "ethernet padding", { UDP(8000), .eth_pad = 20 }, XDP_PASS, OSNIC_RX_UDP, 8000 },
	{ "arp", { UDP(9), .eth_proto = 0x0806 }, XDP_PASS, OSNIC_RX_NOT_IP, -1 },
	{ "tcp", { UDP(9), .l4_proto = IPPROTO_TCP }, XDP_PASS, OSNIC_RX_NOT_UDP, -1 },
	{ "ipv6 tcp", { UDP(9), .ipv6 = true, .l4_proto = IPPROTO_TCP }, XDP_PASS,
	  OSNIC_RX_NOT_UDP, -1 },
	{ "ipv4 fragment", { UDP(9), .fragment = true }, XDP_PASS, OSNIC_RX_FRAGMENT, -1 },
	{ "ipv6 fragment", { UDP(9), .ipv6 = true, .fragment = true }, XDP_PASS,
	  OSNIC_RX_FRAGMENT, -1 },
	/* Frames shorter than ETH_HLEN never reach XDP (test_run refuses them too). */
	{ "short vlan tag", { UDP(9), .vlan_tci = 1, .trunc = 16 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "short ipv4 header", { UDP(9), .trunc = 14 + 19 }, XDP_PASS, OSNIC_RX_MALFORMED, -1 },
	{ "ihl below 5", { UDP(9), .ihl = 4 }, XDP_PASS, OSNIC_RX_MALFORMED, -1 },
	{ "ihl beyond frame", { UDP(9), .ihl = 15, .payload_len = 0 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "ip length beyond frame", { UDP(9), .ip_len_delta = 1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "ip length below header", { UDP(9), .ip_len_delta = -40 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "ipv6 length beyond frame", { UDP(9), .ipv6 = true, .ip_len_delta = 1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "short udp header", { UDP(9), .payload_len = 0, .trunc = 14 + 20 + 7 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "udp length too long", { UDP(9), .udp_len_delta = 1 }, XDP_PASS, OSNIC_RX_MALFORMED, -1 },
	{ "udp length too short", { UDP(9), .udp_len_delta = -1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
	{ "udp length below header", { UDP(9), .udp_len_delta = -20 }, XDP_PASS,
	  OSNIC_RX_MALFORMED, -1 },
};

ParameterizedTestParameters(xdp_parse, table)
{
	return cr_make_param_array(struct parse_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct parse_case *tc, xdp_parse, table, .init = setup, .fini = teardown)
{
	uint8_t frame[PKT_MAX], out[PKT_MAX];
	uint32_t out_len = sizeof(out);
	size_t len = pkt_build(&tc->spec, frame, sizeof(frame));

	cr_assert_gt(len, 0, "%s: packet does not fit", tc->name);
	cr_assert_eq(run_xdp_named(tc->name, frame, len, out, &out_len), tc->verdict,
		     "%s: verdict", tc->name);

	/* XDP_PASS must hand the frame on unchanged. */
	cr_assert_eq(out_len, len, "%s: output length", tc->name);
	cr_assert_arr_eq(out, frame, len, "%s: frame modified", tc->name);

	cr_assert_eq(percpu_sum(skel->maps.rx_counters, OSNIC_RX_PACKETS), 1, "%s: packets",
		     tc->name);
	for (uint32_t i = OSNIC_RX_NOT_IP; i < OSNIC_RX__MAX; i++)
		cr_assert_eq(percpu_sum(skel->maps.rx_counters, i), i == tc->counter,
			     "%s: counter %u", tc->name, i);
	if (tc->port >= 0)
		cr_assert_eq(percpu_sum(skel->maps.port_packets, tc->port), 1, "%s: port %d",
			     tc->name, tc->port);
	/* The port of a packet we did not accept as UDP is never counted. */
	if (tc->port < 0)
		cr_assert_eq(percpu_sum(skel->maps.port_packets, tc->spec.dport), 0,
			     "%s: port %u counted", tc->name, tc->spec.dport);
}

Test(xdp_parse, counts_per_port_accumulate, .init = setup, .fini = teardown)
{
	uint8_t frame[PKT_MAX];
	struct pkt_spec a = { UDP(111) }, b = { UDP(112), .ipv6 = true };
	size_t la = pkt_build(&a, frame, sizeof(frame));

	for (int i = 0; i < 5; i++)
		run_xdp(frame, la, NULL, NULL);
	size_t lb = pkt_build(&b, frame, sizeof(frame));
	for (int i = 0; i < 3; i++)
		run_xdp(frame, lb, NULL, NULL);

	cr_assert_eq(percpu_sum(skel->maps.port_packets, 111), 5);
	cr_assert_eq(percpu_sum(skel->maps.port_packets, 112), 3);
	cr_assert_eq(percpu_sum(skel->maps.port_packets, 113), 0);
	cr_assert_eq(percpu_sum(skel->maps.rx_counters, OSNIC_RX_UDP), 8);
	cr_assert_eq(percpu_sum(skel->maps.rx_counters, OSNIC_RX_PACKETS), 8);
}
