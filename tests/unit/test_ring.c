// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the ring consumer (include/osnic/ring.h) over memory laid
 * out like the kernel's BPF ring buffer: a consumer position, a producer
 * position, and a data area mapped twice back to back (a memfd mapped at
 * two adjacent addresses), so that a record wrapping around the end reads
 * contiguously exactly as with the kernel's mapping. A small producer here
 * follows the kernel's protocol: reserve (header BUSY | len, then producer
 * position), commit (clear BUSY) or discard (DISCARD bit).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <osnic/abi.h>
#include <osnic/ring.h>

#define RING_SIZE (16 * 1024)

struct fake_ring {
	unsigned long consumer_pos;
	unsigned long producer_pos;
	uint8_t *data;			/* 2 * RING_SIZE, the second half a mirror */
	unsigned long mask;
};

static struct fake_ring fr;
static struct osnic_ring ring;

static void setup(void)
{
	int fd = memfd_create("ring", 0);
	uint8_t *base;

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, RING_SIZE), 0);
	base = mmap(NULL, 2 * RING_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(base, MAP_FAILED);
	cr_assert_eq(mmap(base, RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0),
		     base);
	cr_assert_eq(mmap(base + RING_SIZE, RING_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED, fd, 0),
		     base + RING_SIZE);
	close(fd);
	memset(&fr, 0, sizeof(fr));
	fr.data = base;
	fr.mask = RING_SIZE - 1;
	cr_assert_eq(osnic_ring_init(&ring, &fr.consumer_pos, &fr.producer_pos, fr.data,
				     RING_SIZE), 0);
}

static void teardown(void)
{
	munmap(fr.data, 2 * RING_SIZE);
}

static unsigned long rec_span(uint32_t len)
{
	return (len + OSNIC_RINGBUF_HDR + 7UL) & ~7UL;
}

/* The kernel's bpf_ringbuf_reserve, for one producer. */
static uint8_t *produce_reserve(uint32_t len)
{
	unsigned long cons = __atomic_load_n(&fr.consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = fr.producer_pos;
	uint8_t *hdr;

	if (prod + rec_span(len) - cons > RING_SIZE)
		return NULL;
	hdr = fr.data + (prod & fr.mask);
	__atomic_store_n((uint32_t *)hdr, len | OSNIC_RINGBUF_BUSY_BIT, __ATOMIC_RELAXED);
	__atomic_store_n(&fr.producer_pos, prod + rec_span(len), __ATOMIC_RELEASE);
	return hdr + OSNIC_RINGBUF_HDR;
}

static void produce_commit(uint8_t *rec, bool discard)
{
	uint32_t *hdr = (uint32_t *)(rec - OSNIC_RINGBUF_HDR);
	uint32_t len = *hdr & ~OSNIC_RINGBUF_BUSY_BIT;

	__atomic_exchange_n(hdr, len | (discard ? OSNIC_RINGBUF_DISCARD_BIT : 0),
			    __ATOMIC_SEQ_CST);
}

static uint8_t *produce(uint32_t len, uint8_t fill)
{
	uint8_t *rec = produce_reserve(len);

	cr_assert_not_null(rec, "ring full");
	memset(rec, fill, len);
	produce_commit(rec, false);
	return rec;
}

TestSuite(ring, .init = setup, .fini = teardown);

Test(ring, empty)
{
	const void *rec;
	uint32_t len;

	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(osnic_ring_backlog(&ring), 0);
}

Test(ring, records_in_order_and_release_is_batched)
{
	const void *rec;
	uint32_t len;
	unsigned long end;

	produce(OSNIC_REC_SIZE(2), 0x11);
	produce(OSNIC_REC_SIZE(4), 0x22);
	produce(OSNIC_REC_SIZE(24), 0x33);
	end = fr.producer_pos;
	cr_assert_eq(end, 64 * (2 + 4 + 24), "records fill whole lines");

	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(len, OSNIC_REC_SIZE(2));
	cr_assert_eq(rec, fr.data + OSNIC_RINGBUF_HDR);
	cr_assert_eq(((const uint8_t *)rec)[len - 1], 0x11);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(len, OSNIC_REC_SIZE(4));
	cr_assert_eq(((const uint8_t *)rec - fr.data - OSNIC_RINGBUF_HDR) % OSNIC_LINE, 0);
	cr_assert_eq(((const uint8_t *)rec)[0], 0x22);
	/* Nothing published yet: the producer still sees the space in use. */
	cr_assert_eq(fr.consumer_pos, 0);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(len, OSNIC_REC_SIZE(24));
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	osnic_ring_release(&ring);
	cr_assert_eq(fr.consumer_pos, end);
	cr_assert(osnic_ring_idle(&ring));
}

Test(ring, busy_record_blocks_later_ones)
{
	uint8_t *first, *second;
	const void *rec;
	uint32_t len;

	first = produce_reserve(OSNIC_REC_SIZE(2));
	second = produce_reserve(OSNIC_REC_SIZE(2));
	produce_commit(second, false);
	/* The second is committed, but records are consumed in order. */
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	cr_assert(osnic_ring_idle(&ring), "a BUSY record wakes us when committed");
	cr_assert_eq(osnic_ring_backlog(&ring), 2 * 128);
	produce_commit(first, false);
	cr_assert_not(osnic_ring_idle(&ring));
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(rec, first);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(rec, second);
}

Test(ring, discarded_records_are_skipped)
{
	uint8_t *a, *b, *c;
	const void *rec;
	uint32_t len;

	a = produce_reserve(OSNIC_REC_SIZE(2));
	b = produce_reserve(OSNIC_REC_SIZE(8));
	c = produce_reserve(OSNIC_REC_SIZE(2));
	produce_commit(a, true);
	produce_commit(b, true);
	produce_commit(c, false);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(rec, c);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	osnic_ring_release(&ring);
	cr_assert_eq(fr.consumer_pos, fr.producer_pos);
}

/*
 * osnic_ring_release_busy frees all but the last record taken, so that the
 * published position stays behind the producer's; it never moves back, and
 * osnic_ring_idle releases the rest.
 */
Test(ring, release_busy_keeps_the_last_record)
{
	const void *rec;
	uint32_t len;
	uint8_t *d;

	osnic_ring_release_busy(&ring);
	cr_assert_eq(fr.consumer_pos, 0, "nothing taken, nothing released");
	produce(16, 1);
	produce(16, 2);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	osnic_ring_release_busy(&ring);
	cr_assert_eq(fr.consumer_pos, rec_span(16), "the second record stays unreleased");
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	osnic_ring_release_busy(&ring);
	cr_assert_eq(fr.consumer_pos, rec_span(16));

	/* A pass that only skips a discarded record does not move it back. */
	d = produce_reserve(16);
	produce_commit(d, true);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	osnic_ring_release_busy(&ring);
	cr_assert_eq(fr.consumer_pos, rec_span(16));

	produce(16, 3);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	osnic_ring_release_busy(&ring);
	cr_assert_eq(fr.consumer_pos, 3 * rec_span(16));
	cr_assert(osnic_ring_idle(&ring));
	cr_assert_eq(fr.consumer_pos, fr.producer_pos, "idle releases everything");
}

/* osnic_ring_ready: a committed record, without consuming or releasing. */
Test(ring, ready_sees_committed_records_only)
{
	const void *rec;
	uint32_t len;
	uint8_t *a;

	cr_assert_not(osnic_ring_ready(&ring));
	a = produce_reserve(16);
	cr_assert_not(osnic_ring_ready(&ring), "a BUSY record is not ready");
	produce_commit(a, false);
	cr_assert(osnic_ring_ready(&ring));
	cr_assert(osnic_ring_ready(&ring), "and nothing was consumed");
	cr_assert_eq(fr.consumer_pos, 0);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_not(osnic_ring_ready(&ring));
	a = produce_reserve(16);
	produce_commit(a, true);
	cr_assert(osnic_ring_ready(&ring), "a discarded record is there to skip");
}

Test(ring, odd_lengths_are_rounded_to_8)
{
	const void *rec;
	uint32_t len;

	produce(1, 0xaa);
	produce(13, 0xbb);
	cr_assert_eq(fr.producer_pos, 16 + 24);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(len, 1);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	cr_assert_eq(len, 13);
	cr_assert_eq(rec, fr.data + 16 + OSNIC_RINGBUF_HDR);
}

Test(ring, record_across_the_end_is_contiguous)
{
	const uint32_t big = OSNIC_REC_SIZE(24);
	uint8_t *w;
	const uint8_t *r;
	const void *rec;
	uint32_t len, i;

	/* Move both positions to 64 bytes before the end. */
	fr.producer_pos = fr.consumer_pos = RING_SIZE - 64;
	cr_assert_eq(osnic_ring_init(&ring, &fr.consumer_pos, &fr.producer_pos, fr.data,
				     RING_SIZE), 0);
	w = produce_reserve(big);
	for (i = 0; i < big; i++)
		w[i] = (uint8_t)i;
	produce_commit(w, false);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 1);
	r = rec;
	cr_assert_eq(len, big);
	for (i = 0; i < big; i++)
		cr_assert_eq(r[i], (uint8_t)i, "byte %u", i);
	osnic_ring_release(&ring);
	cr_assert_eq(fr.consumer_pos, RING_SIZE - 64 + 64 * 24);
}

Test(ring, impossible_headers_are_refused)
{
	const void *rec;
	uint32_t len;
	uint8_t *w;

	/* A length larger than the ring. */
	w = produce_reserve(OSNIC_REC_SIZE(2));
	*(uint32_t *)(w - OSNIC_RINGBUF_HDR) = RING_SIZE;
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), -EBADMSG);
	cr_assert_eq(ring.cons, 0, "nothing consumed");
	/* A length that runs past the producer position. */
	*(uint32_t *)(w - OSNIC_RINGBUF_HDR) = 1024;
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), -EBADMSG);
	osnic_ring_skip_all(&ring);
	cr_assert_eq(fr.consumer_pos, fr.producer_pos);
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), 0);
	/* A producer position more than a ring ahead. */
	fr.producer_pos += 2 * RING_SIZE;
	cr_assert_eq(osnic_ring_next(&ring, &rec, &len), -EBADMSG);
}

Test(ring, full_ring_and_reuse)
{
	const void *rec;
	uint32_t len;
	unsigned int n = 0, round;
	uint8_t *w;

	for (round = 0; round < 5; round++) {
		while ((w = produce_reserve(OSNIC_REC_SIZE(4)))) {
			produce_commit(w, false);
			n++;
		}
		cr_assert_eq(fr.producer_pos - fr.consumer_pos, RING_SIZE, "ring filled");
		while (osnic_ring_next(&ring, &rec, &len) == 1)
			cr_assert_eq(len, OSNIC_REC_SIZE(4));
		osnic_ring_release(&ring);
		cr_assert(osnic_ring_idle(&ring));
	}
	cr_assert_eq(n, 5 * RING_SIZE / 256);
}

/*
 * A producer thread and the consumer at full speed: every sequence number
 * arrives once and in order, the consumer never sees a half-written record.
 */
static void *producer_thread(void *arg)
{
	unsigned long total = (unsigned long)arg, seq;
	uint32_t len;
	uint8_t *rec;

	for (seq = 0; seq < total; seq++) {
		len = 8 + (seq % 5) * 40;
		while (!(rec = produce_reserve(len)))
			;
		memcpy(rec, &seq, sizeof(seq));
		memset(rec + 8, (uint8_t)seq, len - 8);
		produce_commit(rec, seq % 7 == 3);
	}
	return NULL;
}

Test(ring, concurrent_producer)
{
	const unsigned long total = 200000;
	unsigned long expect = 0, seq;
	pthread_t t;
	const uint8_t *r;
	const void *rec;
	uint32_t len, i;
	int rc, batch = 0;

	cr_assert_eq(pthread_create(&t, NULL, producer_thread, (void *)total), 0);
	while (expect < total) {
		while (expect < total && expect % 7 == 3)
			expect++;
		if (expect >= total)
			break;
		rc = osnic_ring_next(&ring, &rec, &len);
		cr_assert_geq(rc, 0);
		if (!rc) {
			osnic_ring_idle(&ring);
			continue;
		}
		r = rec;
		memcpy(&seq, r, sizeof(seq));
		cr_assert_eq(seq, expect, "got %lu, expected %lu", seq, expect);
		cr_assert_eq(len, 8 + (seq % 5) * 40);
		for (i = 8; i < len; i++)
			cr_assert_eq(r[i], (uint8_t)seq);
		expect++;
		if (++batch == 16) {
			osnic_ring_release(&ring);
			batch = 0;
		}
	}
	osnic_ring_release(&ring);
	pthread_join(t, NULL);
}
