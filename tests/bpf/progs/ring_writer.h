/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request of tests/bpf/progs/ring_writer.bpf.c, shared with its test. BPF
 * includes it after vmlinux.h.
 */
#ifndef OSNIC_TESTS_RING_WRITER_H
#define OSNIC_TESTS_RING_WRITER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct ring_writer_args {
	__u32 lines;		/* record size class: 2, 4, 8, 16 or 24 */
	__u32 xid;		/* host order; written in network order, as XDP does */
	__u32 proc;
	__u32 service_id;
	__u32 client_addr;	/* IPv4, network order */
	__u32 client_port;	/* host order */
	__u32 cred_flavor;
	__u32 uid, gid;
	__u32 arg_len;		/* what the descriptor claims */
	__u32 args[4];		/* the first argument words, copied as they are */
	__u32 discard;		/* discard instead of submit */
	__u32 submit_flags;	/* BPF_RB_* */
	__s32 result;		/* out: 0, -ENOSPC (ring full), -EINVAL (bad class) */
};

#endif /* OSNIC_TESTS_RING_WRITER_H */
