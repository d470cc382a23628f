// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Consumer of a BPF ring buffer mapped into the worker; the protocol with
 * the kernel's producer and why releases are batched are explained in
 * include/osnic/ring.h.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <osnic/abi.h>
#include <osnic/ring.h>

#define RING_HDR_SZ OSNIC_RINGBUF_HDR

int osnic_ring_init(struct osnic_ring *r, unsigned long *consumer_pos,
		    const unsigned long *producer_pos, const void *data, size_t size)
{
	if (!size || (size & (size - 1)) || size > (1UL << 31))
		return -EINVAL;
	*r = (struct osnic_ring){
		.consumer_pos = consumer_pos,
		.producer_pos = producer_pos,
		.data = data,
		.mask = size - 1,
	};
	r->cons = __atomic_load_n(consumer_pos, __ATOMIC_ACQUIRE);
	r->prod = r->cons;
	r->published = r->cons;
	r->last = r->cons;
	return 0;
}

int osnic_ring_map(struct osnic_ring *r, int map_fd)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *cons, *prod;
	size_t prod_len;
	int err;

	err = bpf_map_get_info_by_fd(map_fd, &info, &info_len);
	if (err)
		return err;
	if (info.type != BPF_MAP_TYPE_RINGBUF || page <= 0)
		return -EINVAL;

	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	/* The kernel refuses a writable mapping of anything but the first page. */
	prod_len = page + 2 * (size_t)info.max_entries;
	prod = mmap(NULL, prod_len, PROT_READ, MAP_SHARED, map_fd, page);
	if (prod == MAP_FAILED) {
		err = -errno;
		munmap(cons, page);
		return err;
	}
	err = osnic_ring_init(r, cons, prod, (uint8_t *)prod + page, info.max_entries);
	if (err) {
		munmap(prod, prod_len);
		munmap(cons, page);
		return err;
	}
	r->cons_map = cons;
	r->prod_map = prod;
	r->prod_map_len = prod_len;
	return 0;
}

void osnic_ring_unmap(struct osnic_ring *r)
{
	if (r->prod_map)
		munmap(r->prod_map, r->prod_map_len);
	if (r->cons_map)
		munmap(r->cons_map, sysconf(_SC_PAGESIZE));
	*r = (struct osnic_ring){};
}

int osnic_ring_next(struct osnic_ring *r, const void **rec, uint32_t *len)
{
	const uint8_t *hdr;
	unsigned long avail, adv;
	uint32_t word, n;

	for (;;) {
		avail = r->prod - r->cons;
		if (!avail) {
			/* Pairs with the producer's release of producer_pos. */
			r->prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
			avail = r->prod - r->cons;
			if (!avail)
				return 0;
		}
		if (avail > r->mask + 1)
			return -EBADMSG;
		hdr = r->data + (r->cons & r->mask);
		/* Pairs with the xchg that commits the record. */
		word = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		if (word & OSNIC_RINGBUF_BUSY_BIT)
			return 0;
		n = word & ~(OSNIC_RINGBUF_BUSY_BIT | OSNIC_RINGBUF_DISCARD_BIT);
		adv = ((unsigned long)n + RING_HDR_SZ + 7) & ~7UL;
		if (adv > avail)
			return -EBADMSG;
		r->cons += adv;
		if (word & OSNIC_RINGBUF_DISCARD_BIT)
			continue;
		r->last = r->cons - adv;
		*rec = hdr + RING_HDR_SZ;
		*len = n;
		return 1;
	}
}

void osnic_ring_release(struct osnic_ring *r)
{
	if (r->cons == r->published)
		return;
	__atomic_store_n(r->consumer_pos, r->cons, __ATOMIC_RELEASE);
	r->published = r->cons;
}

void osnic_ring_release_busy(struct osnic_ring *r)
{
	/* Positions only grow; compared as a distance, like the kernel's. */
	if ((long)(r->last - r->published) <= 0)
		return;
	__atomic_store_n(r->consumer_pos, r->last, __ATOMIC_RELEASE);
	r->published = r->last;
}

void osnic_ring_skip_all(struct osnic_ring *r)
{
	r->prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	r->cons = r->prod;
	r->last = r->cons;
	osnic_ring_release(r);
}

bool osnic_ring_idle(struct osnic_ring *r)
{
	uint32_t word;

	osnic_ring_release(r);
	/* Store consumer_pos, then load producer state: a store-load order. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	if (r->prod == r->cons)
		return true;
	/* A reserved record not yet committed wakes us when it is. */
	word = __atomic_load_n((const uint32_t *)(r->data + (r->cons & r->mask)),
			       __ATOMIC_ACQUIRE);
	return word & OSNIC_RINGBUF_BUSY_BIT;
}

bool osnic_ring_ready(const struct osnic_ring *r)
{
	uint32_t word;

	if (r->prod != r->cons)
		goto check;
	if (__atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE) == r->cons)
		return false;
check:
	/* Pairs with the xchg that commits the record. */
	word = __atomic_load_n((const uint32_t *)(r->data + (r->cons & r->mask)),
			       __ATOMIC_ACQUIRE);
	return !(word & OSNIC_RINGBUF_BUSY_BIT);
}

unsigned long osnic_ring_backlog(const struct osnic_ring *r)
{
	return __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE) - r->cons;
}
