// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the XDR primitives (include/osnic/xdr.h).
 *
 * Most tests walk one table of items: a typed value together with its exact
 * RFC 4506 encoding. Each item is encoded and compared byte for byte, decoded
 * and compared value for value, decoded from every truncation of its
 * encoding, encoded into every buffer that is too small, and (if it has pad
 * bytes) decoded with each pad byte made non-zero. The remaining tests cover
 * what a table of valid items cannot: bad lengths, bad bools, embedded NULs,
 * array counts that overflow, bad arguments.
 *
 * Decode input is copied to a heap buffer of exactly its size, so a sanitizer
 * catches an over-read; encoders write into a buffer larger than the cursor
 * allows, filled with GUARD, so a write past the cursor's end is seen.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osnic/xdr.h>

#define GUARD 0xa5
#define SENT8 0x5a
#define SENT32 0x5a5a5a5aU
#define SENT64 0x5a5a5a5a5a5a5a5aULL

_Static_assert(sizeof(bool) == 1, "the bool sentinel assumes a one-byte bool");

enum kind { K_INT, K_UINT, K_ENUM, K_BOOL, K_HYPER, K_UHYPER, K_FOPAQUE, K_OPAQUE, K_STRING };

static const char *const kind_name[] = {
	[K_INT] = "int",	   [K_UINT] = "unsigned int",	  [K_ENUM] = "enum",
	[K_BOOL] = "bool",	   [K_HYPER] = "hyper",		  [K_UHYPER] = "unsigned hyper",
	[K_FOPAQUE] = "opaque[n]", [K_OPAQUE] = "opaque<max>", [K_STRING] = "string<max>",
};

struct item {
	enum kind kind;
	int64_t i;		/* int, enum, bool, hyper */
	uint64_t u;		/* unsigned int, unsigned hyper */
	const char *data;	/* opaque, string */
	size_t data_len;
	uint32_t max;		/* opaque<max>, string<max>; at most 64 (see dec_item) */
	const uint8_t *wire;	/* the exact encoding */
	size_t wire_len;
};

#define WIRE(...)						\
	.wire = (const uint8_t[]){ __VA_ARGS__ },		\
	.wire_len = sizeof((const uint8_t[]){ __VA_ARGS__ })
#define DATA(s) .data = (s), .data_len = sizeof(s) - 1

#define INT(v, ...)	{ .kind = K_INT, .i = (v), WIRE(__VA_ARGS__) }
#define UINT(v, ...)	{ .kind = K_UINT, .u = (v), WIRE(__VA_ARGS__) }
#define ENUM(v, ...)	{ .kind = K_ENUM, .i = (v), WIRE(__VA_ARGS__) }
#define BOOL(v, ...)	{ .kind = K_BOOL, .i = (v), WIRE(__VA_ARGS__) }
#define HYPER(v, ...)	{ .kind = K_HYPER, .i = (v), WIRE(__VA_ARGS__) }
#define UHYPER(v, ...)	{ .kind = K_UHYPER, .u = (v), WIRE(__VA_ARGS__) }
#define FOPAQUE(s, ...)	{ .kind = K_FOPAQUE, DATA(s), WIRE(__VA_ARGS__) }
#define OPAQUE(s, m, ...) { .kind = K_OPAQUE, DATA(s), .max = (m), WIRE(__VA_ARGS__) }
#define STRING(s, m, ...) { .kind = K_STRING, DATA(s), .max = (m), WIRE(__VA_ARGS__) }

static const struct item items[] = {
	INT(0, 0, 0, 0, 0),
	INT(1, 0, 0, 0, 1),
	INT(-1, 0xff, 0xff, 0xff, 0xff),
	INT(INT32_MIN, 0x80, 0, 0, 0),
	INT(INT32_MAX, 0x7f, 0xff, 0xff, 0xff),
	INT(0x01020304, 1, 2, 3, 4),
	UINT(0, 0, 0, 0, 0),
	UINT(0x80000000u, 0x80, 0, 0, 0),
	UINT(UINT32_MAX, 0xff, 0xff, 0xff, 0xff),
	UINT(0xa1b2c3d4u, 0xa1, 0xb2, 0xc3, 0xd4),
	ENUM(0, 0, 0, 0, 0),
	ENUM(7, 0, 0, 0, 7),
	ENUM(-2, 0xff, 0xff, 0xff, 0xfe),
	ENUM(INT32_MIN, 0x80, 0, 0, 0),
	BOOL(0, 0, 0, 0, 0),
	BOOL(1, 0, 0, 0, 1),
	HYPER(0, 0, 0, 0, 0, 0, 0, 0, 0),
	HYPER(-1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	HYPER(-2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe),
	HYPER(INT64_MIN, 0x80, 0, 0, 0, 0, 0, 0, 0),
	HYPER(INT64_MAX, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	HYPER(0x0102030405060708, 1, 2, 3, 4, 5, 6, 7, 8),
	UHYPER(0, 0, 0, 0, 0, 0, 0, 0, 0),
	UHYPER(UINT64_MAX, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	UHYPER(1ull << 32, 0, 0, 0, 1, 0, 0, 0, 0),
	UHYPER(0xffffffffull, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff),
	UHYPER(0x8877665544332211ull, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	/* opaque[0] has no bytes at all; WIRE() cannot spell that */
	{ .kind = K_FOPAQUE, DATA("") },
	FOPAQUE("a", 'a', 0, 0, 0),
	FOPAQUE("ab", 'a', 'b', 0, 0),
	FOPAQUE("abc", 'a', 'b', 'c', 0),
	FOPAQUE("abcd", 'a', 'b', 'c', 'd'),
	FOPAQUE("abcde", 'a', 'b', 'c', 'd', 'e', 0, 0, 0),
	FOPAQUE("\0\xff\0\x80", 0, 0xff, 0, 0x80),
	OPAQUE("", 0, 0, 0, 0, 0),
	OPAQUE("", 64, 0, 0, 0, 0),
	OPAQUE("\x01", 1, 0, 0, 0, 1, 1, 0, 0, 0),
	OPAQUE("\xff\0", 64, 0, 0, 0, 2, 0xff, 0, 0, 0),
	OPAQUE("\0\0\x01", 3, 0, 0, 0, 3, 0, 0, 1, 0),
	OPAQUE("wxyz", 4, 0, 0, 0, 4, 'w', 'x', 'y', 'z'),
	OPAQUE("vwxyz", 5, 0, 0, 0, 5, 'v', 'w', 'x', 'y', 'z', 0, 0, 0),
	OPAQUE("01234567", 64, 0, 0, 0, 8, '0', '1', '2', '3', '4', '5', '6', '7'),
	STRING("", 0, 0, 0, 0, 0),
	STRING("a", 1, 0, 0, 0, 1, 'a', 0, 0, 0),
	STRING("ab", 64, 0, 0, 0, 2, 'a', 'b', 0, 0),
	STRING("abc", 3, 0, 0, 0, 3, 0x61, 0x62, 0x63, 0),
	STRING("abcd", 64, 0, 0, 0, 4, 'a', 'b', 'c', 'd'),
	STRING("abcde", 5, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0),
	STRING("\xc3\xa9t\xc3\xa9", 64, 0, 0, 0, 5, 0xc3, 0xa9, 't', 0xc3, 0xa9, 0, 0, 0),
};

#define NITEMS (sizeof(items) / sizeof(items[0]))

static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	cr_assert_not_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static void hex(char *out, size_t size, const uint8_t *p, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && off + 4 < size; i++)
		off += snprintf(out + off, size - off, "%02x ", p[i]);
}

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t len, const char *what,
			 size_t idx)
{
	char g[256], w[256];

	if (!len || !memcmp(got, want, len))
		return;
	hex(g, sizeof(g), got, len);
	hex(w, sizeof(w), want, len);
	cr_assert_fail("%s %zu: got [%s], want [%s]", what, idx, g, w);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

static int enc_item(struct xdr_enc *xe, const struct item *it)
{
	switch (it->kind) {
	case K_INT:
		return xdr_enc_int(xe, (int32_t)it->i);
	case K_UINT:
		return xdr_enc_uint(xe, (uint32_t)it->u);
	case K_ENUM:
		return xdr_enc_enum(xe, (int32_t)it->i);
	case K_BOOL:
		return xdr_enc_bool(xe, it->i);
	case K_HYPER:
		return xdr_enc_hyper(xe, it->i);
	case K_UHYPER:
		return xdr_enc_uhyper(xe, it->u);
	case K_FOPAQUE:
		return xdr_enc_fixed_opaque(xe, it->data, it->data_len);
	case K_OPAQUE:
		return xdr_enc_opaque(xe, it->data, it->data_len, it->max);
	case K_STRING:
		return xdr_enc_string(xe, it->data, it->data_len, it->max);
	}
	cr_assert_fail("bad kind %d", it->kind);
	return 0;
}

/*
 * Decode the item `it` describes, with the zero-copy or the copying variant
 * where there are both. On success the value must be it's; on error every
 * output must still hold its sentinel. Returns the decoder's result.
 */
static int dec_item(struct xdr_dec *xd, const struct item *it, bool copy, size_t idx)
{
	static const uint8_t sentinel_obj;
	const uint8_t *const sent_ptr = &sentinel_obj;
	const char *name = kind_name[it->kind];
	const uint8_t *base = xd->base + xd->pos;
	const uint8_t *ptr = sent_ptr;
	const char *str = (const char *)sent_ptr;
	union { bool b; uint8_t raw; } b = { .raw = SENT8 };
	uint32_t u32 = SENT32, len = SENT32;
	int32_t i32 = (int32_t)SENT32;
	uint64_t u64 = SENT64;
	int64_t i64 = (int64_t)SENT64;
	uint8_t dst[72];
	int err;

	cr_assert_leq(it->max, 64, "item %zu: max too large for dst", idx);
	memset(dst, SENT8, sizeof(dst));

	switch (it->kind) {
	case K_INT:
	case K_ENUM:
		err = it->kind == K_INT ? xdr_dec_int(xd, &i32) : xdr_dec_enum(xd, &i32);
		if (err)
			cr_assert_eq(i32, (int32_t)SENT32, "%s %zu: written on error", name, idx);
		else
			cr_assert_eq(i32, it->i, "%s %zu: got %d", name, idx, i32);
		break;
	case K_UINT:
		err = xdr_dec_uint(xd, &u32);
		cr_assert_eq(u32, err ? SENT32 : it->u, "%s %zu: got %#x (err %d)", name, idx, u32,
			     err);
		break;
	case K_BOOL:
		err = xdr_dec_bool(xd, &b.b);
		cr_assert_eq(b.raw, err ? SENT8 : it->i, "%s %zu: got %u (err %d)", name, idx,
			     b.raw, err);
		break;
	case K_HYPER:
		err = xdr_dec_hyper(xd, &i64);
		cr_assert_eq(i64, err ? (int64_t)SENT64 : it->i, "%s %zu: got %lld (err %d)", name,
			     idx, (long long)i64, err);
		break;
	case K_UHYPER:
		err = xdr_dec_uhyper(xd, &u64);
		cr_assert_eq(u64, err ? SENT64 : it->u, "%s %zu: got %#llx (err %d)", name, idx,
			     (unsigned long long)u64, err);
		break;
	case K_FOPAQUE:
		if (copy) {
			err = xdr_dec_fixed_opaque_copy(xd, dst, it->data_len);
			ptr = dst;
		} else {
			err = xdr_dec_fixed_opaque(xd, &ptr, it->data_len);
			cr_assert(err || ptr == base, "%s %zu: not zero-copy", name, idx);
		}
		if (err)
			break;
		assert_bytes(ptr, (const uint8_t *)it->data, it->data_len, name, idx);
		if (copy)
			cr_assert(all_bytes(dst + it->data_len, sizeof(dst) - it->data_len, SENT8),
				  "%s %zu: copy wrote past its length", name, idx);
		break;
	case K_OPAQUE:
		if (copy) {
			err = xdr_dec_opaque_copy(xd, dst, it->max, &len);
			ptr = dst;
		} else {
			err = xdr_dec_opaque(xd, &ptr, &len, it->max);
			cr_assert(err || ptr == base + 4, "%s %zu: not zero-copy", name, idx);
		}
		if (err)
			break;
		cr_assert_eq(len, it->data_len, "%s %zu: length %u", name, idx, len);
		assert_bytes(ptr, (const uint8_t *)it->data, it->data_len, name, idx);
		if (copy)
			cr_assert(all_bytes(dst + len, sizeof(dst) - len, SENT8),
				  "%s %zu: copy wrote past its length", name, idx);
		break;
	case K_STRING:
		if (copy) {
			err = xdr_dec_string_copy(xd, (char *)dst, it->max + 1, &len);
			str = (const char *)dst;
		} else {
			err = xdr_dec_string(xd, &str, &len, it->max);
			cr_assert(err || str == (const char *)base + 4, "%s %zu: not zero-copy",
				  name, idx);
		}
		if (err)
			break;
		cr_assert_eq(len, it->data_len, "%s %zu: length %u", name, idx, len);
		assert_bytes((const uint8_t *)str, (const uint8_t *)it->data, len, name, idx);
		if (copy) {
			cr_assert_eq(dst[len], 0, "%s %zu: not NUL-terminated", name, idx);
			cr_assert(all_bytes(dst + len + 1, sizeof(dst) - len - 1, SENT8),
				  "%s %zu: copy wrote past its terminator", name, idx);
		}
		break;
	default:
		cr_assert_fail("bad kind %d", it->kind);
	}

	if (err) {
		cr_assert(ptr == sent_ptr || (copy && ptr == dst), "%s %zu: pointer set on error",
			  name, idx);
		cr_assert(str == (const char *)sent_ptr || (copy && str == (const char *)dst),
			  "%s %zu: string set on error", name, idx);
		cr_assert_eq(len, SENT32, "%s %zu: length set on error", name, idx);
		cr_assert(all_bytes(dst, sizeof(dst), SENT8), "%s %zu: dst written on error", name,
			  idx);
	}
	return err;
}

static bool has_copy_variant(const struct item *it)
{
	return it->kind == K_FOPAQUE || it->kind == K_OPAQUE || it->kind == K_STRING;
}

TestSuite(xdr);

Test(xdr, encode_gives_exact_wire_bytes)
{
	for (size_t i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		const char *kn = kind_name[it->kind];
		uint8_t buf[64];
		struct xdr_enc xe;
		int err;

		memset(buf, GUARD, sizeof(buf));
		xdr_enc_init(&xe, buf, it->wire_len);
		err = enc_item(&xe, it);
		cr_assert_eq(err, 0, "%s %zu: err %d", kn, i, err);
		cr_assert_eq(xe.pos, it->wire_len, "%s %zu: pos %zu", kn, i, xe.pos);
		cr_assert_eq(xdr_enc_remaining(&xe), 0);
		assert_bytes(buf, it->wire, it->wire_len, kn, i);
		cr_assert(all_bytes(buf + it->wire_len, sizeof(buf) - it->wire_len, GUARD),
			  "%s %zu: wrote past the item", kn, i);
	}
}

Test(xdr, decode_gives_exact_values)
{
	for (size_t i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		const char *kn = kind_name[it->kind];

		for (int copy = 0; copy <= has_copy_variant(it); copy++) {
			uint8_t *buf = dup_exact(it->wire, it->wire_len);
			struct xdr_dec xd;
			int err;

			xdr_dec_init(&xd, buf, it->wire_len);
			err = dec_item(&xd, it, copy, i);
			cr_assert_eq(err, 0, "%s %zu (copy %d): err %d", kn, i, copy,
				     err);
			cr_assert_eq(xd.pos, it->wire_len, "%s %zu: pos %zu", kn, i,
				     xd.pos);
			cr_assert_eq(xdr_dec_remaining(&xd), 0);
			free(buf);
		}
	}
}

/* Every proper prefix of an encoding is -EBADMSG, and the cursor stays put. */
Test(xdr, decode_rejects_every_truncation)
{
	for (size_t i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		const char *kn = kind_name[it->kind];

		for (size_t n = 0; n < it->wire_len; n++) {
			for (int copy = 0; copy <= has_copy_variant(it); copy++) {
				uint8_t *buf = dup_exact(it->wire, n);
				struct xdr_dec xd;
				int err;

				xdr_dec_init(&xd, buf, n);
				err = dec_item(&xd, it, copy, i);
				cr_assert_eq(err, -EBADMSG, "%s %zu cut to %zu (copy %d): err %d",
					     kn, i, n, copy, err);
				cr_assert_eq(xd.pos, 0, "%s %zu cut to %zu: cursor moved",
					     kn, i, n);
				free(buf);
			}
		}
	}
}

/* Every buffer too small is -EMSGSIZE; nothing is written, the cursor stays put. */
Test(xdr, encode_rejects_every_short_buffer)
{
	for (size_t i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		const char *kn = kind_name[it->kind];

		for (size_t room = 0; room < it->wire_len; room++) {
			uint8_t buf[64];
			struct xdr_enc xe;
			int err;

			memset(buf, GUARD, sizeof(buf));
			xdr_enc_init(&xe, buf, room);
			err = enc_item(&xe, it);
			cr_assert_eq(err, -EMSGSIZE, "%s %zu, room %zu: err %d", kn, i, room, err);
			cr_assert_eq(xe.pos, 0, "%s %zu, room %zu: cursor moved", kn, i, room);
			cr_assert(all_bytes(buf, sizeof(buf), GUARD), "%s %zu, room %zu: wrote",
				  kn, i, room);
		}
	}
}

/* RFC 4506 pad bytes are zero; each non-zero pad byte alone is -EBADMSG. */
Test(xdr, decode_rejects_nonzero_padding)
{
	unsigned int pads_seen = 0;

	for (size_t i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		const char *kn = kind_name[it->kind];
		size_t pad = has_copy_variant(it) ? xdr_pad(it->data_len) : 0;

		pads_seen |= 1u << pad;

		for (size_t k = it->wire_len - pad; k < it->wire_len; k++) {
			for (int copy = 0; copy <= 1; copy++) {
				uint8_t *buf = dup_exact(it->wire, it->wire_len);
				struct xdr_dec xd;
				int err;

				cr_assert_eq(buf[k], 0);
				buf[k] = k & 1 ? 0x80 : 0x01;
				xdr_dec_init(&xd, buf, it->wire_len);
				err = dec_item(&xd, it, copy, i);
				cr_assert_eq(err, -EBADMSG, "%s %zu, pad %zu (copy %d): err %d", kn,
					     i, k, copy, err);
				cr_assert_eq(xd.pos, 0);
				free(buf);
			}
		}
	}
	cr_assert_eq(pads_seen & 0xe, 0xe, "the table lost its items with 1, 2 or 3 pad bytes");
}

Test(xdr, bool_rejects_values_other_than_0_and_1)
{
	static const uint32_t bad[] = { 2, 3, 0x100, 0x10000, 0x01000000, 0x80000000, UINT32_MAX };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		union { bool b; uint8_t raw; } v = { .raw = SENT8 };
		uint8_t wire[4];
		struct xdr_dec xd;

		xdr_store_be32(wire, bad[i]);
		xdr_dec_init(&xd, wire, sizeof(wire));
		cr_assert_eq(xdr_dec_bool(&xd, &v.b), -EBADMSG, "bool %#x accepted", bad[i]);
		cr_assert_eq(xd.pos, 0);
		cr_assert_eq(v.raw, SENT8, "bool %#x: output written", bad[i]);
	}
}

/*
 * A length that runs past the end of the buffer: each row is the length
 * field followed by 4 data bytes. The large lengths are near UINT32_MAX so
 * that length + pad wraps a 32-bit size_t.
 */
Test(xdr, decode_rejects_length_beyond_buffer)
{
	static const uint32_t lens[] = {
		5, 6, 7, 8, 0x7fffffff, 0x80000000, 0xfffffffc, 0xfffffffd, 0xfffffffe, UINT32_MAX,
	};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t wire[8] = { 0, 0, 0, 0, 'a', 'b', 'c', 'd' };
		const uint8_t *p = NULL;
		const char *s = NULL;
		uint32_t len = SENT32;
		char dst[64];
		struct xdr_dec xd;

		xdr_store_be32(wire, lens[i]);
		xdr_dec_init(&xd, wire, sizeof(wire));
		cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, UINT32_MAX), -EBADMSG, "%#x", lens[i]);
		cr_assert_eq(xdr_dec_string(&xd, &s, &len, UINT32_MAX), -EBADMSG, "%#x", lens[i]);
		if (lens[i] < sizeof(dst)) {
			cr_assert_eq(xdr_dec_opaque_copy(&xd, dst, sizeof(dst), &len), -EBADMSG);
			cr_assert_eq(xdr_dec_string_copy(&xd, dst, sizeof(dst), &len), -EBADMSG);
		}
		cr_assert_eq(xd.pos, 0);
		cr_assert_null(p);
		cr_assert_null(s);
		cr_assert_eq(len, SENT32);
	}
}

/* opaque[n] with n + pad wrapping size_t to a small value must not pass. */
Test(xdr, fixed_opaque_rejects_length_that_wraps)
{
	static const size_t lens[] = { 9, SIZE_MAX - 2, SIZE_MAX - 1, SIZE_MAX };
	uint8_t wire[8] = { 0 };
	uint8_t out[8];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const uint8_t *p = NULL;
		struct xdr_dec xd;
		struct xdr_enc xe;

		xdr_dec_init(&xd, wire, sizeof(wire));
		cr_assert_eq(xdr_dec_fixed_opaque(&xd, &p, lens[i]), -EBADMSG, "len %zu", lens[i]);
		cr_assert_eq(xdr_dec_fixed_opaque_copy(&xd, out, lens[i]), -EBADMSG);
		cr_assert_eq(xd.pos, 0);
		cr_assert_null(p);

		/* never reads data: it fails on room first */
		xdr_enc_init(&xe, out, sizeof(out));
		cr_assert_eq(xdr_enc_fixed_opaque(&xe, wire, lens[i]), -EMSGSIZE, "%zu", lens[i]);
		cr_assert_eq(xe.pos, 0);
	}
}

/* The length is checked against max before the buffer: above max is -EMSGSIZE. */
Test(xdr, decode_rejects_length_above_max)
{
	static const uint8_t abcde[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd' };
	const uint8_t *p = NULL;
	const char *s = NULL;
	uint32_t len = SENT32;
	char dst[8];
	struct xdr_dec xd;

	xdr_dec_init(&xd, abcde, sizeof(abcde));
	cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, 4), -EMSGSIZE);
	cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, 0), -EMSGSIZE);
	cr_assert_eq(xdr_dec_string(&xd, &s, &len, 4), -EMSGSIZE);
	memset(dst, SENT8, sizeof(dst));
	cr_assert_eq(xdr_dec_opaque_copy(&xd, dst, 4, &len), -EMSGSIZE);
	cr_assert_eq(xdr_dec_opaque_copy(&xd, NULL, 0, &len), -EMSGSIZE);
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 5, &len), -EMSGSIZE, "5 bytes hold 4 chars");
	cr_assert(all_bytes((uint8_t *)dst, sizeof(dst), SENT8));
	cr_assert_eq(xd.pos, 0);
	cr_assert_null(p);
	cr_assert_null(s);
	cr_assert_eq(len, SENT32);

	/* over max and beyond the buffer: the max is what is reported */
	xdr_dec_init(&xd, huge, sizeof(huge));
	cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, 1024), -EMSGSIZE);
	cr_assert_eq(xdr_dec_string(&xd, &s, &len, UINT32_MAX - 1), -EMSGSIZE);

	/* exactly max is fine, for the copying variants through dst_size */
	xdr_dec_init(&xd, abcde, sizeof(abcde));
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 6, &len), 0);
	cr_assert_str_eq(dst, "abcde");
	cr_assert_eq(len, 5);
	xdr_dec_init(&xd, abcde, sizeof(abcde));
	cr_assert_eq(xdr_dec_opaque_copy(&xd, dst, 5, NULL), 0);
	cr_assert_eq(xd.pos, sizeof(abcde));
}

Test(xdr, string_rejects_embedded_nul)
{
	static const uint8_t wires[][8] = {
		{ 0, 0, 0, 3, 'a', 0, 'c', 0 },
		{ 0, 0, 0, 3, 0, 'b', 'c', 0 },
		{ 0, 0, 0, 3, 'a', 'b', 0, 0 },
		{ 0, 0, 0, 1, 0, 0, 0, 0 },
		{ 0, 0, 0, 4, 'a', 'b', 'c', 0 },
	};

	for (size_t i = 0; i < sizeof(wires) / sizeof(wires[0]); i++) {
		const char *s = NULL;
		uint32_t len = SENT32;
		char dst[16];
		struct xdr_dec xd;

		memset(dst, SENT8, sizeof(dst));
		xdr_dec_init(&xd, wires[i], sizeof(wires[i]));
		cr_assert_eq(xdr_dec_string(&xd, &s, &len, 64), -EBADMSG, "row %zu", i);
		cr_assert_eq(xdr_dec_string_copy(&xd, dst, sizeof(dst), &len), -EBADMSG, "row %zu",
			     i);
		cr_assert_eq(xd.pos, 0);
		cr_assert_null(s);
		cr_assert_eq(len, SENT32);
		cr_assert(all_bytes((uint8_t *)dst, sizeof(dst), SENT8), "row %zu: dst written", i);

		/* the same bytes are a valid opaque */
		const uint8_t *p;

		cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, 64), 0, "row %zu", i);
	}
}

Test(xdr, string_copy_bounds_come_from_dst_size)
{
	static const uint8_t empty[] = { 0, 0, 0, 0 };
	static const uint8_t ab[] = { 0, 0, 0, 2, 'a', 'b', 0, 0 };
	char dst[8];
	struct xdr_dec xd;

	xdr_dec_init(&xd, ab, sizeof(ab));
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 0, NULL), -EINVAL);
	cr_assert_eq(xd.pos, 0);
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 1, NULL), -EMSGSIZE);
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 2, NULL), -EMSGSIZE);
	cr_assert_eq(xd.pos, 0);
	memset(dst, 'X', sizeof(dst));
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 3, NULL), 0);
	cr_assert_eq(memcmp(dst, "ab\0XXXXX", 8), 0);
	cr_assert_eq(xd.pos, 8);

	xdr_dec_init(&xd, empty, sizeof(empty));
	memset(dst, 'X', sizeof(dst));
	cr_assert_eq(xdr_dec_string_copy(&xd, dst, 1, NULL), 0);
	cr_assert_eq(dst[0], '\0');
	cr_assert_eq(dst[1], 'X');
}

struct count_case {
	uint32_t count;
	size_t rest;		/* bytes after the count */
	uint32_t max;
	size_t elem_min_size;
	int err;
};

static const struct count_case count_cases[] = {
	{ 0, 0, 16, 4, 0 },
	{ 0, 0, 0, 4, 0 },
	{ 3, 12, 16, 4, 0 },
	{ 3, 12, 3, 4, 0 },		/* count == max */
	{ 3, 12, 2, 4, -EMSGSIZE },
	{ 3, 11, 16, 4, -EBADMSG },
	{ 4, 12, 16, 4, -EBADMSG },
	{ 2, 16, 16, 8, 0 },
	{ 3, 16, 16, 8, -EBADMSG },
	{ 5, 20, 16, 1, 0 },
	{ 21, 20, UINT32_MAX, 1, -EBADMSG },
	{ 1, 16, 16, 0, -EINVAL },
	{ 0, 16, 16, 0, -EINVAL },
	{ UINT32_MAX, 16, UINT32_MAX, 4, -EBADMSG },
	{ UINT32_MAX, 16, 16, 4, -EMSGSIZE },
	/* count * 4 wraps a 32-bit size_t to 4 */
	{ 0x40000001, 8, UINT32_MAX, 4, -EBADMSG },
	/* count * size wraps size_t to 0 */
	{ 2, 8, UINT32_MAX, (SIZE_MAX >> 1) + 1, -EBADMSG },
	/* count * size wraps size_t to 16 == rest */
	{ 16, 16, UINT32_MAX, SIZE_MAX / 16 + 2, -EBADMSG },
	{ UINT32_MAX, 16, UINT32_MAX, SIZE_MAX, -EBADMSG },
	{ 1, 16, UINT32_MAX, SIZE_MAX, -EBADMSG },
};

Test(xdr, array_count)
{
	for (size_t i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]); i++) {
		const struct count_case *c = &count_cases[i];
		size_t len = 4 + c->rest;
		uint8_t *buf = calloc(1, len);
		uint32_t count = SENT32;
		struct xdr_dec xd;
		int err;

		cr_assert_not_null(buf);
		xdr_store_be32(buf, c->count);
		xdr_dec_init(&xd, buf, len);
		err = xdr_dec_array_count(&xd, &count, c->max, c->elem_min_size);
		cr_assert_eq(err, c->err, "row %zu: err %d, want %d", i, err, c->err);
		if (err) {
			cr_assert_eq(xd.pos, 0, "row %zu: cursor moved", i);
			cr_assert_eq(count, SENT32, "row %zu: count written", i);
		} else {
			cr_assert_eq(xd.pos, 4);
			cr_assert_eq(count, c->count);
		}
		free(buf);
	}

	/* a count too short to read */
	uint8_t three[3] = { 0 };
	struct xdr_dec xd;
	uint32_t count = SENT32;

	xdr_dec_init(&xd, three, sizeof(three));
	cr_assert_eq(xdr_dec_array_count(&xd, &count, 16, 4), -EBADMSG);
	cr_assert_eq(xd.pos, 0);
	cr_assert_eq(count, SENT32);
}

/* Once the count is accepted, decoding that many minimum-size elements cannot run out. */
Test(xdr, array_count_then_elements)
{
	static const uint8_t wire[] = {
		0, 0, 0, 3,
		0, 0, 0, 1, 'x', 0, 0, 0,
		0, 0, 0, 0,
		0, 0, 0, 2, 'y', 'z', 0, 0,
	};
	static const char *const want[] = { "x", "", "yz" };
	uint8_t *buf = dup_exact(wire, sizeof(wire));
	struct xdr_dec xd;
	uint32_t count;

	xdr_dec_init(&xd, buf, sizeof(wire));
	cr_assert_eq(xdr_dec_array_count(&xd, &count, 8, 4), 0);
	cr_assert_eq(count, 3);
	for (uint32_t i = 0; i < count; i++) {
		char s[8];

		cr_assert_eq(xdr_dec_string_copy(&xd, s, sizeof(s), NULL), 0);
		cr_assert_str_eq(s, want[i]);
	}
	cr_assert_eq(xdr_dec_remaining(&xd), 0);

	/*
	 * The check is a lower bound only: cut after the second string, the
	 * 12 bytes left still hold 3 minimum-size (4-byte) strings, so the
	 * count passes and it is the third element's decode that fails.
	 */
	xdr_dec_init(&xd, buf, 16);
	cr_assert_eq(xdr_dec_array_count(&xd, &count, 8, 4), 0);
	cr_assert_eq(xdr_dec_string_copy(&xd, (char[8]){ 0 }, 8, NULL), 0);
	cr_assert_eq(xdr_dec_string_copy(&xd, (char[8]){ 0 }, 8, NULL), 0);
	cr_assert_eq(xdr_dec_string_copy(&xd, (char[8]){ 0 }, 8, NULL), -EBADMSG);
	cr_assert_eq(xd.pos, 16);
	free(buf);
}

Test(xdr, encode_rejects_bad_arguments)
{
	uint8_t buf[32];
	struct xdr_enc xe;

	memset(buf, GUARD, sizeof(buf));
	xdr_enc_init(&xe, buf, sizeof(buf));
	cr_assert_eq(xdr_enc_opaque(&xe, "abcde", 5, 4), -EINVAL);
	cr_assert_eq(xdr_enc_opaque(&xe, NULL, 1, 4), -EINVAL);
	cr_assert_eq(xdr_enc_fixed_opaque(&xe, NULL, 3), -EINVAL);
	cr_assert_eq(xdr_enc_string(&xe, "abcde", 5, 4), -EINVAL);
	cr_assert_eq(xdr_enc_string(&xe, "a\0c", 3, 4), -EINVAL);
	cr_assert_eq(xdr_enc_string(&xe, "abc", 4, 4), -EINVAL, "the terminator is a NUL");
	cr_assert_eq(xdr_enc_string(&xe, NULL, 1, 4), -EINVAL);
	cr_assert_eq(xe.pos, 0);
	cr_assert(all_bytes(buf, sizeof(buf), GUARD));

	/* NULL with length 0 is an empty item */
	cr_assert_eq(xdr_enc_fixed_opaque(&xe, NULL, 0), 0);
	cr_assert_eq(xe.pos, 0);
	cr_assert_eq(xdr_enc_opaque(&xe, NULL, 0, 0), 0);
	cr_assert_eq(xdr_enc_string(&xe, NULL, 0, 0), 0);
	cr_assert_eq(xe.pos, 8);
	cr_assert(all_bytes(buf, 8, 0));
	cr_assert(all_bytes(buf + 8, sizeof(buf) - 8, GUARD));
}

/* A cursor whose pos is past len (set by hand) has nothing left, not SIZE_MAX bytes. */
Test(xdr, cursor_past_end_has_no_room)
{
	uint8_t buf[16] = { 0 };
	struct xdr_dec xd = { .base = buf, .len = 4, .pos = 8 };
	struct xdr_enc xe = { .base = buf, .len = 4, .pos = 8 };
	const uint8_t *p;
	uint32_t u, len;

	cr_assert_eq(xdr_dec_remaining(&xd), 0);
	cr_assert_eq(xdr_dec_uint(&xd, &u), -EBADMSG);
	cr_assert_eq(xdr_dec_opaque(&xd, &p, &len, 16), -EBADMSG);
	cr_assert_eq(xdr_dec_array_count(&xd, &u, 16, 4), -EBADMSG);
	cr_assert_eq(xd.pos, 8);
	cr_assert_eq(xdr_enc_remaining(&xe), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 1), -EMSGSIZE);
	cr_assert_eq(xdr_enc_opaque(&xe, NULL, 0, 0), -EMSGSIZE);
	cr_assert_eq(xe.pos, 8);
	cr_assert(all_bytes(buf, sizeof(buf), 0));
}

/*
 * An ONC RPC call header with an AUTH_SYS credential, then a hyper and a
 * bool, encoded and decoded at an odd address (the primitives must not
 * assume alignment; -fsanitize=alignment checks that).
 */
Test(xdr, rpc_call_roundtrip_unaligned)
{
	static const uint32_t gids[] = { 1000, 4 };
	uint8_t storage[1 + 96], cred[64];
	uint8_t *wire = storage + 1;
	struct xdr_enc xe;
	struct xdr_dec xd;

	xdr_enc_init(&xe, cred, sizeof(cred));
	cr_assert_eq(xdr_enc_uint(&xe, 0x5f000001), 0);	/* stamp */
	cr_assert_eq(xdr_enc_string(&xe, "host", 4, 255), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 1000), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 1000), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 2), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(xdr_enc_uint(&xe, gids[i]), 0);
	cr_assert_eq(xe.pos, 32);

	size_t cred_len = xe.pos;

	xdr_enc_init(&xe, wire, 96);
	cr_assert_eq(xdr_enc_uint(&xe, 0xdeadbeef), 0);	/* xid */
	cr_assert_eq(xdr_enc_enum(&xe, 0), 0);		/* CALL */
	cr_assert_eq(xdr_enc_uint(&xe, 2), 0);		/* rpcvers */
	cr_assert_eq(xdr_enc_uint(&xe, 100003), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 3), 0);
	cr_assert_eq(xdr_enc_uint(&xe, 1), 0);
	cr_assert_eq(xdr_enc_enum(&xe, 1), 0);		/* AUTH_SYS */
	cr_assert_eq(xdr_enc_opaque(&xe, cred, cred_len, 400), 0);
	cr_assert_eq(xdr_enc_enum(&xe, 0), 0);		/* AUTH_NONE verifier */
	cr_assert_eq(xdr_enc_opaque(&xe, NULL, 0, 400), 0);
	cr_assert_eq(xdr_enc_hyper(&xe, -4096), 0);
	cr_assert_eq(xdr_enc_bool(&xe, true), 0);
	cr_assert_eq(xe.pos, 84);

	static const uint8_t head[] = {
		0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x01, 0x86, 0xa3,
		0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 32,
		0x5f, 0, 0, 1, 0, 0, 0, 4, 'h', 'o', 's', 't',
	};
	static const uint8_t tail[] = {
		0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x00,
		0, 0, 0, 1,
	};
	assert_bytes(wire, head, sizeof(head), "rpc head", 0);
	assert_bytes(wire + 84 - sizeof(tail), tail, sizeof(tail), "rpc tail", 0);

	uint32_t u, len, count;
	int32_t e;
	int64_t h;
	bool b;
	const uint8_t *body;
	char name[256];

	xdr_dec_init(&xd, wire, 84);
	cr_assert_eq(xdr_dec_uint(&xd, &u), 0);
	cr_assert_eq(u, 0xdeadbeef);
	cr_assert_eq(xdr_dec_enum(&xd, &e), 0);
	cr_assert_eq(e, 0);
	for (uint32_t want = 0; want < 3; want++) {
		static const uint32_t w[] = { 2, 100003, 3 };

		cr_assert_eq(xdr_dec_uint(&xd, &u), 0);
		cr_assert_eq(u, w[want]);
	}
	cr_assert_eq(xdr_dec_uint(&xd, &u), 0);
	cr_assert_eq(u, 1);
	cr_assert_eq(xdr_dec_enum(&xd, &e), 0);
	cr_assert_eq(e, 1);
	cr_assert_eq(xdr_dec_opaque(&xd, &body, &len, 400), 0);
	cr_assert_eq(len, 32);

	struct xdr_dec cd;

	xdr_dec_init(&cd, body, len);
	cr_assert_eq(xdr_dec_uint(&cd, &u), 0);
	cr_assert_eq(u, 0x5f000001);
	cr_assert_eq(xdr_dec_string_copy(&cd, name, sizeof(name), &len), 0);
	cr_assert_str_eq(name, "host");
	cr_assert_eq(xdr_dec_uint(&cd, &u), 0);
	cr_assert_eq(xdr_dec_uint(&cd, &u), 0);
	cr_assert_eq(xdr_dec_array_count(&cd, &count, 16, 4), 0);
	cr_assert_eq(count, 2);
	for (uint32_t i = 0; i < count; i++) {
		cr_assert_eq(xdr_dec_uint(&cd, &u), 0);
		cr_assert_eq(u, gids[i]);
	}
	cr_assert_eq(xdr_dec_remaining(&cd), 0);

	cr_assert_eq(xdr_dec_enum(&xd, &e), 0);
	cr_assert_eq(e, 0);
	cr_assert_eq(xdr_dec_opaque(&xd, &body, &len, 400), 0);
	cr_assert_eq(len, 0);
	cr_assert_eq(xdr_dec_hyper(&xd, &h), 0);
	cr_assert_eq(h, -4096);
	cr_assert_eq(xdr_dec_bool(&xd, &b), 0);
	cr_assert(b);
	cr_assert_eq(xdr_dec_remaining(&xd), 0);
	cr_assert_eq(xdr_dec_uint(&xd, &u), -EBADMSG);
}
