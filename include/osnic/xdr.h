/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * XDR (RFC 4506) primitives: the arguments of the ONC RPC calls osnic decodes.
 *
 * Two cursors, one per direction, so that const input can never be written
 * to: struct xdr_dec reads from a const buffer, struct xdr_enc writes into a
 * caller's buffer. Both are plain structs on the stack; nothing is allocated.
 * Every item is 4-byte aligned on the wire, and every length is checked
 * against the bytes that remain (len - pos), never as pos + n > len, so an
 * attacker-chosen length cannot wrap the arithmetic.
 *
 * Conventions, for every function below:
 *  - It returns 0 on success or a negative errno:
 *      -EBADMSG   malformed input: buffer too short, a length that runs past
 *                 the end of the buffer, a non-zero pad byte, a bool that is
 *                 neither 0 nor 1, a string holding a NUL byte;
 *      -EMSGSIZE  decode: a length or count above the declared maximum;
 *                 encode: the item does not fit in the room left;
 *      -EINVAL    a bad argument from the caller (documented per function).
 *  - Decoding and encoding are all-or-nothing per item: on error the cursor
 *    does not move, nothing is written to the output arguments, and an
 *    encoder writes no byte at all.
 *  - Padding is strict: RFC 4506 says pad bytes are zero, and the decoders
 *    reject non-zero ones with -EBADMSG. With bool also limited to 0 and 1,
 *    an accepted item has exactly one encoding, so re-encoding what was
 *    decoded gives back the same bytes.
 *  - Zero-copy decoders (xdr_dec_fixed_opaque, xdr_dec_opaque, xdr_dec_string)
 *    return a pointer into the decode buffer, valid for as long as that
 *    buffer is; a zero-copy string is NOT NUL-terminated (use its length, or
 *    xdr_dec_string_copy for a C string).
 *  - Pointer arguments must be valid; NULL is accepted only where stated.
 *
 * The fixed-size items (int, unsigned int, hyper, unsigned hyper, bool, enum)
 * are static inline: they are on the per-request hot path. Variable-length
 * items live in lib/xdr.c.
 */
#ifndef OSNIC_XDR_H
#define OSNIC_XDR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XDR_UNIT 4

/* Pad bytes that follow n bytes of opaque data or string. */
static inline size_t xdr_pad(size_t n)
{
	return (XDR_UNIT - (n & (XDR_UNIT - 1))) & (XDR_UNIT - 1);
}

struct xdr_dec {
	const uint8_t *base;
	size_t len;
	size_t pos;
};

struct xdr_enc {
	uint8_t *base;
	size_t len;
	size_t pos;
};

static inline void xdr_dec_init(struct xdr_dec *xd, const void *buf, size_t len)
{
	xd->base = (const uint8_t *)buf;
	xd->len = len;
	xd->pos = 0;
}

static inline void xdr_enc_init(struct xdr_enc *xe, void *buf, size_t len)
{
	xe->base = (uint8_t *)buf;
	xe->len = len;
	xe->pos = 0;
}

/* Bytes left to read; 0 (not a wrapped size) even if pos was set past len. */
static inline size_t xdr_dec_remaining(const struct xdr_dec *xd)
{
	return xd->pos <= xd->len ? xd->len - xd->pos : 0;
}

/* Bytes left to write. */
static inline size_t xdr_enc_remaining(const struct xdr_enc *xe)
{
	return xe->pos <= xe->len ? xe->len - xe->pos : 0;
}

/* Byte-wise so that any alignment works; compilers turn these into bswap. */
static inline uint32_t xdr_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void xdr_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- decode: fixed-size items ------------------------------------------- */

static inline int xdr_dec_uint(struct xdr_dec *xd, uint32_t *v)
{
	if (xdr_dec_remaining(xd) < 4)
		return -EBADMSG;
	*v = xdr_load_be32(xd->base + xd->pos);
	xd->pos += 4;
	return 0;
}

static inline int xdr_dec_int(struct xdr_dec *xd, int32_t *v)
{
	uint32_t u;
	int err;

	err = xdr_dec_uint(xd, &u);
	if (!err)
		*v = (int32_t)u;
	return err;
}

/* An XDR enum is a signed 32-bit integer; checking the value is the caller's. */
static inline int xdr_dec_enum(struct xdr_dec *xd, int32_t *v)
{
	return xdr_dec_int(xd, v);
}

/* Only 0 and 1 are booleans; anything else is -EBADMSG. */
static inline int xdr_dec_bool(struct xdr_dec *xd, bool *v)
{
	uint32_t u;

	if (xdr_dec_remaining(xd) < 4)
		return -EBADMSG;
	u = xdr_load_be32(xd->base + xd->pos);
	if (u > 1)
		return -EBADMSG;
	*v = u;
	xd->pos += 4;
	return 0;
}

static inline int xdr_dec_uhyper(struct xdr_dec *xd, uint64_t *v)
{
	const uint8_t *p;

	if (xdr_dec_remaining(xd) < 8)
		return -EBADMSG;
	p = xd->base + xd->pos;
	*v = (uint64_t)xdr_load_be32(p) << 32 | xdr_load_be32(p + 4);
	xd->pos += 8;
	return 0;
}

static inline int xdr_dec_hyper(struct xdr_dec *xd, int64_t *v)
{
	uint64_t u;
	int err;

	err = xdr_dec_uhyper(xd, &u);
	if (!err)
		*v = (int64_t)u;
	return err;
}

/* ---- encode: fixed-size items ------------------------------------------- */

static inline int xdr_enc_uint(struct xdr_enc *xe, uint32_t v)
{
	if (xdr_enc_remaining(xe) < 4)
		return -EMSGSIZE;
	xdr_store_be32(xe->base + xe->pos, v);
	xe->pos += 4;
	return 0;
}

static inline int xdr_enc_int(struct xdr_enc *xe, int32_t v)
{
	return xdr_enc_uint(xe, (uint32_t)v);
}

static inline int xdr_enc_enum(struct xdr_enc *xe, int32_t v)
{
	return xdr_enc_uint(xe, (uint32_t)v);
}

static inline int xdr_enc_bool(struct xdr_enc *xe, bool v)
{
	return xdr_enc_uint(xe, v ? 1 : 0);
}

static inline int xdr_enc_uhyper(struct xdr_enc *xe, uint64_t v)
{
	uint8_t *p;

	if (xdr_enc_remaining(xe) < 8)
		return -EMSGSIZE;
	p = xe->base + xe->pos;
	xdr_store_be32(p, (uint32_t)(v >> 32));
	xdr_store_be32(p + 4, (uint32_t)v);
	xe->pos += 8;
	return 0;
}

static inline int xdr_enc_hyper(struct xdr_enc *xe, int64_t v)
{
	return xdr_enc_uhyper(xe, (uint64_t)v);
}

/* ---- decode: variable-size items (lib/xdr.c) ---------------------------- */

/* opaque[len], zero-copy: *data points at the len bytes in the buffer. */
int xdr_dec_fixed_opaque(struct xdr_dec *xd, const uint8_t **data, size_t len);

/* opaque[len], copied to dst (len bytes). */
int xdr_dec_fixed_opaque_copy(struct xdr_dec *xd, void *dst, size_t len);

/*
 * opaque<max>, zero-copy. A length above max is -EMSGSIZE (checked before the
 * length is compared with the buffer); use UINT32_MAX for opaque<>.
 */
int xdr_dec_opaque(struct xdr_dec *xd, const uint8_t **data, uint32_t *len, uint32_t max);

/*
 * opaque<max> copied to dst, where max = dst_size (capped at UINT32_MAX):
 * the bound comes from the storage, so it cannot be too large for it.
 * *len may be NULL. dst_size 0 accepts only an empty opaque.
 */
int xdr_dec_opaque_copy(struct xdr_dec *xd, void *dst, size_t dst_size, uint32_t *len);

/*
 * string<max>, zero-copy: *str points at the *len characters in the buffer
 * and is not NUL-terminated. A NUL byte inside the string is -EBADMSG.
 */
int xdr_dec_string(struct xdr_dec *xd, const char **str, uint32_t *len, uint32_t max);

/*
 * string<max> copied to dst and NUL-terminated, where max = dst_size - 1
 * (capped at UINT32_MAX). dst_size 0 is -EINVAL. *len (may be NULL) gets
 * strlen(dst).
 */
int xdr_dec_string_copy(struct xdr_dec *xd, char *dst, size_t dst_size, uint32_t *len);

/*
 * The count of a counted array T<max>. Besides count <= max (-EMSGSIZE), the
 * count must fit the remaining buffer: count * elem_min_size <= bytes left
 * after the count, else -EBADMSG. elem_min_size is the smallest wire size of
 * one element in bytes (4 for int, 8 for hyper, 4 for a string or
 * variable-length opaque); 0 is -EINVAL. This bounds the caller's loop over
 * the elements by the input size before it allocates or iterates anything.
 */
int xdr_dec_array_count(struct xdr_dec *xd, uint32_t *count, uint32_t max, size_t elem_min_size);

/* ---- encode: variable-size items (lib/xdr.c) ---------------------------- */

/* opaque[len] followed by zero pads. data may be NULL only if len is 0. */
int xdr_enc_fixed_opaque(struct xdr_enc *xe, const void *data, size_t len);

/*
 * opaque<max>: length, data, zero pads. len above max is -EINVAL (the
 * caller's value breaks the protocol); data may be NULL only if len is 0.
 */
int xdr_enc_opaque(struct xdr_enc *xe, const void *data, size_t len, uint32_t max);

/*
 * string<max> of len characters (not NUL-terminated on the wire). len above
 * max, or a NUL byte within the len characters, is -EINVAL. For a C string,
 * pass strlen(str).
 */
int xdr_enc_string(struct xdr_enc *xe, const char *str, size_t len, uint32_t max);

#endif /* OSNIC_XDR_H */
