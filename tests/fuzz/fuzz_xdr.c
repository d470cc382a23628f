// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the XDR decoders (include/osnic/xdr.h).
 *
 * The input is a program followed by an XDR stream: byte 0 gives the number
 * of program bytes (mod 64) that follow it, and the rest is the stream. Each
 * program byte decodes one item from the stream: its low nibble picks the
 * type, its high nibble the maximum (or fixed length). The program repeats
 * until the stream is used up or MAX_OPS items were tried; a failed item does
 * not stop the run, so error paths are followed by more decoding.
 *
 * Besides the sanitizers, every item is checked against what xdr.h promises:
 *  - on error the cursor does not move;
 *  - on success it moves by a multiple of 4, stays within the buffer, and
 *    encoding the decoded value gives back exactly the bytes consumed (the
 *    decoders are strict, so each value has one encoding);
 *  - after an accepted array count, that many minimum-size elements fit, so
 *    a count of ints or hypers must decode in full.
 *
 * Build and run:
 *   clang-19 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *	tests/fuzz/fuzz_xdr.c lib/xdr.c -o fuzz_xdr
 *   ./fuzz_xdr -max_total_time=20
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osnic/xdr.h>

#define MAX_OPS 256
#define MAX_COPY 4096	/* largest copy destination the target allocates */

#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
				__LINE__, #cond);				\
			abort();						\
		}								\
	} while (0)

static const uint32_t maxes[16] = {
	0, 1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 255, 1024, 65536, UINT32_MAX - 1, UINT32_MAX,
};

static const size_t fixed_lens[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 33, 255, MAX_COPY, SIZE_MAX - 1, SIZE_MAX,
};

static const size_t elem_sizes[16] = {
	1, 2, 3, 4, 5, 8, 12, 16, 64, 4096, 1u << 20, UINT32_MAX, (SIZE_MAX >> 1) + 1,
	SIZE_MAX / 16 + 2, SIZE_MAX - 1, SIZE_MAX,
};

/* Exact-size heap copy target, so that ASan sees a write past dst_size. */
static void *alloc_dst(size_t size)
{
	void *p = malloc(size ? size : 1);

	CHECK(p);
	return p;
}

/* The bytes consumed since `start` must be exactly what encoding wrote into enc. */
static void check_consumed(const struct xdr_dec *xd, size_t start, const struct xdr_enc *xe)
{
	CHECK(xd->pos >= start && xd->pos <= xd->len);
	CHECK((xd->pos - start) % XDR_UNIT == 0);
	CHECK(xe->pos == xd->pos - start);
	CHECK(memcmp(xd->base + start, xe->base, xe->pos) == 0);
}

static void decode_one(struct xdr_dec *xd, uint8_t op)
{
	uint32_t max = maxes[op >> 4];
	size_t start = xd->pos;
	size_t rem = xdr_dec_remaining(xd);
	struct xdr_enc xe;
	uint8_t *enc;
	int err = 0;

	/* Nothing valid is longer than what is left; encode into that much. */
	enc = alloc_dst(rem);
	xdr_enc_init(&xe, enc, rem);

	switch (op & 0xf) {
	case 0: {
		int32_t v;

		err = xdr_dec_int(xd, &v);
		if (!err)
			CHECK(xdr_enc_int(&xe, v) == 0);
		break;
	}
	case 1: {
		uint32_t v;

		err = xdr_dec_uint(xd, &v);
		if (!err)
			CHECK(xdr_enc_uint(&xe, v) == 0);
		break;
	}
	case 2: {
		int32_t v;

		err = xdr_dec_enum(xd, &v);
		if (!err)
			CHECK(xdr_enc_enum(&xe, v) == 0);
		break;
	}
	case 3: {
		bool v;

		err = xdr_dec_bool(xd, &v);
		if (!err)
			CHECK(xdr_enc_bool(&xe, v) == 0);
		break;
	}
	case 4: {
		int64_t v;

		err = xdr_dec_hyper(xd, &v);
		if (!err)
			CHECK(xdr_enc_hyper(&xe, v) == 0);
		break;
	}
	case 5: {
		uint64_t v;

		err = xdr_dec_uhyper(xd, &v);
		if (!err)
			CHECK(xdr_enc_uhyper(&xe, v) == 0);
		break;
	}
	case 6: {
		size_t len = fixed_lens[op >> 4];
		const uint8_t *p;

		err = xdr_dec_fixed_opaque(xd, &p, len);
		if (!err) {
			CHECK(p == xd->base + start);
			CHECK(xdr_enc_fixed_opaque(&xe, p, len) == 0);
		}
		break;
	}
	case 7: {
		size_t len = fixed_lens[op >> 4];
		uint8_t *dst;

		if (len > MAX_COPY)
			break;
		dst = alloc_dst(len);
		err = xdr_dec_fixed_opaque_copy(xd, dst, len);
		if (!err)
			CHECK(xdr_enc_fixed_opaque(&xe, dst, len) == 0);
		free(dst);
		break;
	}
	case 8: {
		const uint8_t *p;
		uint32_t len;

		err = xdr_dec_opaque(xd, &p, &len, max);
		if (!err) {
			CHECK(len <= max && p == xd->base + start + 4);
			CHECK(xdr_enc_opaque(&xe, p, len, max) == 0);
		}
		break;
	}
	case 9: {
		size_t size = max < MAX_COPY ? max : MAX_COPY;
		uint8_t *dst = alloc_dst(size);
		uint32_t len;

		err = xdr_dec_opaque_copy(xd, dst, size, &len);
		if (!err) {
			CHECK(len <= size);
			CHECK(xdr_enc_opaque(&xe, dst, len, (uint32_t)size) == 0);
		}
		free(dst);
		break;
	}
	case 10: {
		const char *s;
		uint32_t len;

		err = xdr_dec_string(xd, &s, &len, max);
		if (!err) {
			CHECK(len <= max && !memchr(s, '\0', len));
			CHECK(xdr_enc_string(&xe, s, len, max) == 0);
		}
		break;
	}
	case 11: {
		size_t size = max < MAX_COPY ? (size_t)max + 1 : MAX_COPY;
		char *dst = alloc_dst(size);
		uint32_t len;

		err = xdr_dec_string_copy(xd, dst, size, &len);
		if (!err) {
			CHECK(len < size && strlen(dst) == len);
			CHECK(xdr_enc_string(&xe, dst, len, (uint32_t)(size - 1)) == 0);
		}
		free(dst);
		break;
	}
	case 12:	/* int<max> */
	case 13: {	/* hyper<max> */
		size_t elem = (op & 0xf) == 12 ? 4 : 8;
		uint32_t count;

		err = xdr_dec_array_count(xd, &count, max, elem);
		if (err)
			break;
		CHECK(count <= max && (uint64_t)count * elem <= rem - 4);
		CHECK(xdr_enc_uint(&xe, count) == 0);
		for (uint32_t i = 0; i < count; i++) {
			uint64_t h;
			uint32_t u;

			if (elem == 4) {
				CHECK(xdr_dec_uint(xd, &u) == 0);
				CHECK(xdr_enc_uint(&xe, u) == 0);
			} else {
				CHECK(xdr_dec_uhyper(xd, &h) == 0);
				CHECK(xdr_enc_uhyper(&xe, h) == 0);
			}
		}
		break;
	}
	case 14: {	/* string<>[max]: a count then strings; these can run out */
		size_t pos;
		uint32_t count;

		err = xdr_dec_array_count(xd, &count, max, 4);
		if (err)
			break;
		CHECK(xdr_enc_uint(&xe, count) == 0);
		for (uint32_t i = 0; i < count; i++) {
			const char *s;
			uint32_t len;

			pos = xd->pos;
			if (xdr_dec_string(xd, &s, &len, UINT32_MAX)) {
				CHECK(xd->pos == pos);
				break;
			}
			CHECK(xdr_enc_string(&xe, s, len, UINT32_MAX) == 0);
		}
		break;
	}
	case 15: {	/* a count alone, with odd and huge element sizes */
		size_t elem = elem_sizes[op >> 4];
		uint32_t count;

		err = xdr_dec_array_count(xd, &count, UINT32_MAX, elem);
		if (!err) {
			CHECK(count <= (rem - 4) / elem);
			CHECK(xdr_enc_uint(&xe, count) == 0);
		}
		break;
	}
	}

	if (err) {
		CHECK(err == -EBADMSG || err == -EMSGSIZE);
		CHECK(xd->pos == start);
	} else {
		check_consumed(xd, start, &xe);
	}
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *prog;
	size_t plen;
	struct xdr_dec xd;

	if (size < 2)
		return 0;
	plen = data[0] % 64;
	if (plen == 0 || plen > size - 1)
		return 0;
	prog = data + 1;
	xdr_dec_init(&xd, data + 1 + plen, size - 1 - plen);

	for (size_t i = 0; i < MAX_OPS && xdr_dec_remaining(&xd); i++)
		decode_one(&xd, prog[i % plen]);
	return 0;
}
