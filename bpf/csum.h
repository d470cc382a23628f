/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internet checksums (RFC 1071) for the replies XDP builds in place. Sums
 * come from bpf_csum_diff(), which adds 16-bit words in memory order; folding
 * and complementing that sum gives a checksum to store as is, without byte
 * swapping, on any host.
 */
#ifndef OSNIC_BPF_CSUM_H
#define OSNIC_BPF_CSUM_H

#include "bpf_defs.h"

/* The largest IPv4 header (IHL 15). */
#define IPV4_MAX_HDR	60

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * The IPv4 header checksum of the hlen-byte header at frame offset off,
 * whose check field the caller has zeroed. Options make the length
 * variable, so the header is summed from a stack copy whose size the
 * verifier can bound.
 */
static __always_inline int ipv4_hdr_csum(struct xdp_md *ctx, __u32 off, __u32 hlen,
					 __u16 *csum)
{
	__u8 hdr[IPV4_MAX_HDR] = {};
	__s64 sum;

	if (hlen < sizeof(struct iphdr) || hlen > sizeof(hdr))
		return -1;
	if (bpf_xdp_load_bytes(ctx, off, hdr, hlen))
		return -1;
	sum = bpf_csum_diff(NULL, 0, (__be32 *)hdr, hlen, 0);
	if (sum < 0)
		return -1;
	*csum = csum_fold(sum);
	return 0;
}

#endif /* OSNIC_BPF_CSUM_H */
