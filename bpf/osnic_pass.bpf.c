// SPDX-License-Identifier: GPL-2.0-only
/*
 * XDP_PASS for everything. make demo, make bench and the integration tests
 * attach it to the client end of a veth pair: a veth only takes frames
 * another XDP program sends with XDP_TX when its own NAPI is on, which an
 * XDP program (or GRO) turns on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
