// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of the XDP parser: each row of the table is a
 * packet, the verdict it must get, and the counter it must move. No port is
 * listened on here, so every well-formed UDP datagram is also counted as
 * not listened and passed; the RPC path is tested in test_xdp_rpc.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>

#include "pkt.h"
#include "xdp_test.h"

static void setup(void)
{
	xdp_test_setup();
}

static void teardown(void)
{
	xdp_test_teardown();
}

struct parse_case {
	char name[32];
	struct pkt_spec spec;
	int verdict;
	enum osnic_rx_counter counter;	/* the one class counter that must be 1 */
};

#define UDP(dp) .sport = 40000, .dport = (dp), .payload_len = 16

static struct parse_case cases[] = {
	{ "ipv4 udp", { UDP(2049) }, XDP_PASS, OSNIC_RX_UDP },
	{ "ipv4 udp empty payload", { .sport = 1, .dport = 7 }, XDP_PASS, OSNIC_RX_UDP },
	{ "ipv4 options", { UDP(5000), .ip_opt_len = 8 }, XDP_PASS, OSNIC_RX_UDP },
	{ "ipv4 max options", { UDP(5001), .ip_opt_len = 40 }, XDP_PASS, OSNIC_RX_UDP },
	{ "vlan ipv4", { UDP(6000), .vlan_tci = 42 }, XDP_PASS, OSNIC_RX_UDP },
	{ "ipv6 udp", { UDP(7000), .ipv6 = true }, XDP_PASS, OSNIC_RX_UDP },
	{ "vlan ipv6", { UDP(7001), .ipv6 = true, .vlan_tci = 7 }, XDP_PASS, OSNIC_RX_UDP },
	{ "ethernet padding", { UDP(8000), .eth_pad = 20 }, XDP_PASS, OSNIC_RX_UDP },
	{ "arp", { UDP(9), .eth_proto = 0x0806 }, XDP_PASS, OSNIC_RX_NOT_IP },
	{ "tcp", { UDP(9), .l4_proto = IPPROTO_TCP }, XDP_PASS, OSNIC_RX_NOT_UDP },
	{ "ipv6 tcp", { UDP(9), .ipv6 = true, .l4_proto = IPPROTO_TCP }, XDP_PASS,
	  OSNIC_RX_NOT_UDP },
	{ "ipv4 fragment", { UDP(9), .fragment = true }, XDP_PASS, OSNIC_RX_FRAGMENT },
	{ "ipv6 fragment", { UDP(9), .ipv6 = true, .fragment = true }, XDP_PASS,
	  OSNIC_RX_FRAGMENT },
	/* Frames shorter than ETH_HLEN never reach XDP (test_run refuses them too). */
	{ "short vlan tag", { UDP(9), .vlan_tci = 1, .trunc = 16 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "short ipv4 header", { UDP(9), .trunc = 14 + 19 }, XDP_PASS, OSNIC_RX_MALFORMED },
	{ "ihl below 5", { UDP(9), .ihl = 4 }, XDP_PASS, OSNIC_RX_MALFORMED },
	{ "ihl beyond frame", { UDP(9), .ihl = 15, .payload_len = 0 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "ip length beyond frame", { UDP(9), .ip_len_delta = 1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "ip length below header", { UDP(9), .ip_len_delta = -40 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "ipv6 length beyond frame", { UDP(9), .ipv6 = true, .ip_len_delta = 1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "short udp header", { UDP(9), .payload_len = 0, .trunc = 14 + 20 + 7 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "udp length too long", { UDP(9), .udp_len_delta = 1 }, XDP_PASS, OSNIC_RX_MALFORMED },
	{ "udp length too short", { UDP(9), .udp_len_delta = -1 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
	{ "udp length below header", { UDP(9), .udp_len_delta = -20 }, XDP_PASS,
	  OSNIC_RX_MALFORMED },
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

	cr_assert_eq(rx_count(OSNIC_RX_PACKETS), 1, "%s: packets", tc->name);
	for (uint32_t i = OSNIC_RX_NOT_IP; i < OSNIC_RX__MAX; i++) {
		bool want = i == tc->counter ||
			    (tc->counter == OSNIC_RX_UDP && i == OSNIC_RX_NOT_LISTENED);

		cr_assert_eq(rx_count(i), want, "%s: counter %u", tc->name, i);
	}
}

Test(xdp_parse, counts_accumulate, .init = setup, .fini = teardown)
{
	uint8_t frame[PKT_MAX];
	struct pkt_spec a = { UDP(111) }, b = { UDP(112), .ipv6 = true };
	size_t la = pkt_build(&a, frame, sizeof(frame));

	for (int i = 0; i < 5; i++)
		run_xdp(frame, la, NULL, NULL);
	size_t lb = pkt_build(&b, frame, sizeof(frame));
	for (int i = 0; i < 3; i++)
		run_xdp(frame, lb, NULL, NULL);

	cr_assert_eq(rx_count(OSNIC_RX_UDP), 8);
	cr_assert_eq(rx_count(OSNIC_RX_NOT_LISTENED), 8);
	cr_assert_eq(rx_count(OSNIC_RX_PACKETS), 8);
}
