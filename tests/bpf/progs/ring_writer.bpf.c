// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes one call record into a ring buffer the way the XDP program does
 * (descriptor line, arguments from OSNIC_ARGS_OFF, a size class of whole
 * lines reserved as bpf/ring.h does), for tests of the user-space consumer
 * against the kernel's real ring buffer. Run with BPF_PROG_TEST_RUN; the
 * request (ring_writer.h) is the context, and the result is written back
 * into it.
 */
#include "ring.h"

#include "ring_writer.h"

#define EINVAL 22

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OSNIC_RING_BYTES);
} ring SEC(".maps");

SEC("syscall")
int write_call(struct ring_writer_args *a)
{
	struct osnic_call_desc *d;
	__u32 lines = a->lines;
	__u32 *args;

	if (!ring_is_class(lines)) {
		a->result = -EINVAL;
		return 0;
	}
	d = ring_reserve_lines(&ring, lines, 0);
	if (!d) {
		a->result = -ENOSPC;
		return 0;
	}
	__builtin_memset(d, 0, sizeof(*d));
	d->xid = bpf_htonl(a->xid);
	d->proc = a->proc;
	d->service_id = a->service_id;
	d->arg_len = a->arg_len;
	d->family = AF_INET;
	d->cred_flavor = a->cred_flavor;
	d->client_port = bpf_htons(a->client_port);
	__builtin_memcpy(d->client_addr, &a->client_addr, 4);
	d->uid = a->uid;
	d->gid = a->gid;
	d->rx_cpu = bpf_get_smp_processor_id();
	d->lines = lines;
	d->rx_ns = bpf_ktime_get_ns();
	args = (void *)d + OSNIC_ARGS_OFF;
	args[0] = a->args[0];
	args[1] = a->args[1];
	args[2] = a->args[2];
	args[3] = a->args[3];
	if (a->discard)
		bpf_ringbuf_discard(d, 0);
	else
		bpf_ringbuf_submit(d, a->submit_flags);
	a->result = 0;
	return 0;
}
