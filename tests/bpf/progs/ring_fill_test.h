/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request that tests/bpf/progs/ring_fill_test.bpf.c reads from its test-run frame,
 * after a 14-byte Ethernet header; shared with the tests that send it.
 */
#ifndef OSNIC_BPF_RING_FILL_TEST_H
#define OSNIC_BPF_RING_FILL_TEST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RING_FILL_MAX_RECORDS 4096
#define RING_FILL_THIS_CPU (~0U)

struct ring_fill_req {
	__u32 wid;
	__u32 lines;		/* record size in lines: 2 or 4 (the two smallest classes) */
	__u32 count;		/* records, at most RING_FILL_MAX_RECORDS */
	__u32 rx_cpu;		/* the receiving CPU to record; RING_FILL_THIS_CPU: this */
};

#endif /* OSNIC_BPF_RING_FILL_TEST_H */
