/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Includes and constants every osnic BPF program needs. vmlinux.h gives the
 * kernel types but not the uapi #defines, so the few we use live here.
 */
#ifndef OSNIC_BPF_DEFS_H
#define OSNIC_BPF_DEFS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <osnic/abi.h>
#include <osnic/rpc.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_ALEN	6

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define NEXTHDR_FRAGMENT 44

/* errno values the helpers return (vmlinux.h has no #defines). */
#define EFAULT		14
#define E2BIG		7
#define ENOSPC		28

#define AF_INET		2
#define AF_INET6	10

/* Hop limit of the replies XDP sends itself (the kernel's default TTL). */
#define OSNIC_REPLY_TTL	64

#endif /* OSNIC_BPF_DEFS_H */
