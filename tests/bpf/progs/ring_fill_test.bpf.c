// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test helper that stands in for XDP's delivery: run with
 * BPF_PROG_TEST_RUN on a frame whose payload (after a 14-byte Ethernet
 * header) is struct ring_fill_req, it writes `count` empty call records of
 * `lines` lines into osnic_rings[wid], and, like XDP on delivery, records
 * the receiving CPU in osnic_worker_rx[wid]. User space cannot write a BPF
 * ring buffer, so the scheduler tests simulate pending calls with it.
 *
 * Returns XDP_PASS when every record was written, XDP_DROP when the ring is
 * missing or filled up first, XDP_ABORTED for a malformed request. The
 * number written is left in `written`.
 */
#include "maps_shared.h"
#include "ring.h"
#include "ring_fill_test.h"

char LICENSE[] SEC("license") = "GPL";

__u32 written;

static __always_inline int ring_put(void *ring, __u32 lines)
{
	struct osnic_call_desc *d;

	d = ring_reserve_lines(ring, lines, 0);
	if (!d)
		return -1;
	__builtin_memset(d, 0, sizeof(*d));
	d->lines = lines;
	d->rx_cpu = bpf_get_smp_processor_id();
	d->rx_ns = bpf_ktime_get_ns();
	/* No wake-up: the tests watch how the scheduler sees a full ring. */
	bpf_ringbuf_submit(d, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("xdp")
int ring_fill(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ring_fill_req *req = data + 14;
	struct osnic_worker_rx *rx;
	__u32 wid, lines, count, rx_cpu, i;
	void *ring;

	written = 0;
	if ((void *)(req + 1) > end)
		return XDP_ABORTED;
	wid = req->wid;
	lines = req->lines;
	count = req->count;
	rx_cpu = req->rx_cpu == RING_FILL_THIS_CPU ? bpf_get_smp_processor_id() : req->rx_cpu;
	/*
	 * Two classes only: with every class a record of unknown size each
	 * time round, the verifier's walk of 4,096 rounds grows past its limit
	 * (E2BIG at load). The scheduler's tests need no more.
	 */
	if (wid >= OSNIC_MAX_WORKERS || (lines != 2 && lines != 4) || count > RING_FILL_MAX_RECORDS)
		return XDP_ABORTED;
	ring = bpf_map_lookup_elem(&osnic_rings, &wid);
	if (!ring)
		return XDP_DROP;
	for (i = 0; i < count && i < RING_FILL_MAX_RECORDS; i++) {
		if (ring_put(ring, lines))
			break;
		written++;
	}
	/* What XDP does on delivery. */
	rx = bpf_map_lookup_elem(&osnic_worker_rx, &wid);
	if (rx && written) {
		rx->last_rx_cpu = rx_cpu;
		rx->last_rx_ns = bpf_ktime_get_ns();
	}
	return written == count ? XDP_PASS : XDP_DROP;
}
