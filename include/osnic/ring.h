/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Consumer of one worker ring: a BPF ring buffer written by the XDP program
 * (include/osnic/abi.h has the record layout).
 *
 * The kernel maps a ring buffer map as three parts: the consumer page
 * (consumer_pos, the only thing user space may write), the producer page
 * (producer_pos), and the data area of `size` bytes, mapped twice back to
 * back so that a record that wraps around the end is still contiguous.
 * Every record starts with an 8-byte header: a 32-bit length with
 * BUSY (bit 31: reserved, not yet committed) and DISCARD (bit 30), and the
 * page offset the kernel uses to find the ring. A record occupies
 * round_up(8 + len, 8) bytes.
 *
 * osnic_ring_next() walks committed records with no syscall and does not
 * publish anything: the caller processes a batch, records stay valid
 * (zero-copy) until osnic_ring_release() publishes the new consumer
 * position with a release store. Batching the release does two things:
 * the producer only wakes the consumer when a record is committed exactly
 * at the published consumer position, so while a batch is being served no
 * wake-up is generated for the records that queue up behind it; and the
 * producer sees one cache-line write per batch instead of one per record.
 *
 * A consumer that stays awake after a batch should use
 * osnic_ring_release_busy() instead: it frees everything but the last
 * record taken, so the published position stays behind the producer's and
 * no record committed meanwhile wakes anybody. Each such wake-up is an
 * irq_work on the producer's CPU (a self-IPI, a VM exit in a guest) spent
 * for a consumer that was not asleep.
 *
 * Before sleeping the caller must use osnic_ring_idle(): it releases, then
 * re-reads the producer side after a full barrier. That pairs with the
 * kernel's commit (an xchg of the header, then a read of consumer_pos): either
 * the consumer sees the new record, or the producer sees that the consumer
 * has caught up and wakes it. Without the barrier, a record committed
 * between the last check and epoll_wait could wait for the next one.
 */
#ifndef OSNIC_RING_H
#define OSNIC_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OSNIC_RINGBUF_BUSY_BIT		(1U << 31)
#define OSNIC_RINGBUF_DISCARD_BIT	(1U << 30)

struct osnic_ring {
	unsigned long *consumer_pos;		/* shared, written by us */
	const unsigned long *producer_pos;	/* shared, written by the producer */
	const uint8_t *data;			/* 2 * size bytes: the area twice */
	unsigned long mask;			/* size - 1 */
	unsigned long cons;	/* next record to read; published by release */
	unsigned long prod;	/* producer position as last read */
	unsigned long published;	/* consumer position as last released */
	unsigned long last;	/* where the last record returned starts */
	/* Set by osnic_ring_map() only. */
	void *cons_map;
	void *prod_map;
	size_t prod_map_len;
};

/*
 * Map the BPF_MAP_TYPE_RINGBUF behind map_fd: consumer page read-write,
 * producer page and data read-only. -EINVAL if it is not a ring buffer.
 */
int osnic_ring_map(struct osnic_ring *r, int map_fd);
void osnic_ring_unmap(struct osnic_ring *r);

/*
 * Use memory laid out like the kernel's ring (tests, other mappings). size is
 * a power of 2 and data must be readable for 2 * size bytes, the second
 * half mirroring the first. Starts at the current consumer position.
 */
int osnic_ring_init(struct osnic_ring *r, unsigned long *consumer_pos,
		    const unsigned long *producer_pos, const void *data, size_t size);

/*
 * The next committed record. Returns 1 and sets *rec (the record body, after
 * the 8-byte header) and *len; 0 if there is none yet (empty, or the next
 * record is still BUSY); -EBADMSG if the header is impossible (a length
 * larger than the ring or running past the producer position), in which
 * case nothing is consumed. Discarded records are skipped. The record stays
 * valid until osnic_ring_release().
 */
int osnic_ring_next(struct osnic_ring *r, const void **rec, uint32_t *len);

/* Publish the consumer position: everything returned so far is freed. */
void osnic_ring_release(struct osnic_ring *r);

/*
 * Publish the consumer position up to the start of the last record
 * returned, for a consumer that goes on without sleeping (see above). The
 * published position never moves back; osnic_ring_idle() releases the rest.
 */
void osnic_ring_release_busy(struct osnic_ring *r);

/* Give up on everything up to the producer position (after -EBADMSG). */
void osnic_ring_skip_all(struct osnic_ring *r);

/*
 * Release, full barrier, then check again: true if there is nothing to
 * consume and it is safe to sleep until the ring's fd is readable.
 */
bool osnic_ring_idle(struct osnic_ring *r);

/*
 * Without consuming or releasing anything: true if osnic_ring_next() has a
 * record to return or skip (the next one is committed). For polling.
 */
bool osnic_ring_ready(const struct osnic_ring *r);

/* Bytes between the consumer and the producer position (records queued). */
unsigned long osnic_ring_backlog(const struct osnic_ring *r);

#endif /* OSNIC_RING_H */
