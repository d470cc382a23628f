// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDR variable-size items: fixed and variable-length opaque, strings, and
 * counted-array lengths. The conventions (errors, all-or-nothing, strict
 * padding, zero-copy lifetimes) are in include/osnic/xdr.h.
 *
 * Each decoder first checks the whole item without moving the cursor
 * (xdr_dec_peek_*), then the caller copies or validates what it needs and
 * only then commits the new position, so that any error leaves the cursor
 * and the outputs as they were.
 */
#include <string.h>

#include <osnic/xdr.h>

/*
 * Check that n bytes of data and their zero pads follow the first skip bytes
 * at the cursor (skip <= remaining is the caller's). Sets *data to the first
 * data byte and *span to n + pads; does not move the cursor.
 */
static int xdr_dec_peek_body(const struct xdr_dec *xd, size_t skip, size_t n,
			     const uint8_t **data, size_t *span)
{
	size_t rem = xdr_dec_remaining(xd) - skip;
	size_t pad = xdr_pad(n);
	const uint8_t *p;
	size_t i;

	/* Two comparisons against what is left, so that n + pad cannot wrap. */
	if (n > rem || pad > rem - n)
		return -EBADMSG;
	p = xd->base + xd->pos + skip;
	for (i = 0; i < pad; i++) {
		if (p[n + i])
			return -EBADMSG;
	}
	*data = p;
	*span = n + pad;
	return 0;
}

/*
 * A counted item (opaque<max> or string<max>): 4-byte length, data, pads.
 * Sets *data, *len and *adv (bytes to advance by); does not move the cursor.
 */
static int xdr_dec_peek_counted(const struct xdr_dec *xd, uint32_t max, const uint8_t **data,
				uint32_t *len, size_t *adv)
{
	size_t span;
	uint32_t n;
	int err;

	if (xdr_dec_remaining(xd) < 4)
		return -EBADMSG;
	n = xdr_load_be32(xd->base + xd->pos);
	if (n > max)
		return -EMSGSIZE;
	err = xdr_dec_peek_body(xd, 4, n, data, &span);
	if (err)
		return err;
	*len = n;
	*adv = 4 + span;
	return 0;
}

static uint32_t xdr_cap_u32(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int xdr_dec_fixed_opaque(struct xdr_dec *xd, const uint8_t **data, size_t len)
{
	const uint8_t *p;
	size_t span;
	int err;

	err = xdr_dec_peek_body(xd, 0, len, &p, &span);
	if (err)
		return err;
	*data = p;
	xd->pos += span;
	return 0;
}

int xdr_dec_fixed_opaque_copy(struct xdr_dec *xd, void *dst, size_t len)
{
	const uint8_t *p;
	size_t span;
	int err;

	err = xdr_dec_peek_body(xd, 0, len, &p, &span);
	if (err)
		return err;
	if (len)
		memcpy(dst, p, len);
	xd->pos += span;
	return 0;
}

int xdr_dec_opaque(struct xdr_dec *xd, const uint8_t **data, uint32_t *len, uint32_t max)
{
	const uint8_t *p;
	uint32_t n;
	size_t adv;
	int err;

	err = xdr_dec_peek_counted(xd, max, &p, &n, &adv);
	if (err)
		return err;
	*data = p;
	*len = n;
	xd->pos += adv;
	return 0;
}

int xdr_dec_opaque_copy(struct xdr_dec *xd, void *dst, size_t dst_size, uint32_t *len)
{
	const uint8_t *p;
	uint32_t n;
	size_t adv;
	int err;

	err = xdr_dec_peek_counted(xd, xdr_cap_u32(dst_size), &p, &n, &adv);
	if (err)
		return err;
	if (n)
		memcpy(dst, p, n);
	if (len)
		*len = n;
	xd->pos += adv;
	return 0;
}

int xdr_dec_string(struct xdr_dec *xd, const char **str, uint32_t *len, uint32_t max)
{
	const uint8_t *p;
	uint32_t n;
	size_t adv;
	int err;

	err = xdr_dec_peek_counted(xd, max, &p, &n, &adv);
	if (err)
		return err;
	if (n && memchr(p, '\0', n))
		return -EBADMSG;
	*str = (const char *)p;
	*len = n;
	xd->pos += adv;
	return 0;
}

int xdr_dec_string_copy(struct xdr_dec *xd, char *dst, size_t dst_size, uint32_t *len)
{
	const uint8_t *p;
	uint32_t n;
	size_t adv;
	int err;

	if (!dst_size)
		return -EINVAL;
	err = xdr_dec_peek_counted(xd, xdr_cap_u32(dst_size - 1), &p, &n, &adv);
	if (err)
		return err;
	if (n && memchr(p, '\0', n))
		return -EBADMSG;
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
	if (len)
		*len = n;
	xd->pos += adv;
	return 0;
}

int xdr_dec_array_count(struct xdr_dec *xd, uint32_t *count, uint32_t max, size_t elem_min_size)
{
	size_t rem = xdr_dec_remaining(xd);
	uint32_t n;

	if (!elem_min_size)
		return -EINVAL;
	if (rem < 4)
		return -EBADMSG;
	n = xdr_load_be32(xd->base + xd->pos);
	if (n > max)
		return -EMSGSIZE;
	/* Divide rather than multiply: n * elem_min_size can wrap a size_t. */
	if (n > (rem - 4) / elem_min_size)
		return -EBADMSG;
	*count = n;
	xd->pos += 4;
	return 0;
}

/*
 * Write an optional 4-byte length (hdr is 0 or 4), n bytes of data and zero
 * pads; or nothing at all if they do not all fit. n <= UINT32_MAX when hdr
 * is 4 is the caller's.
 */
static int xdr_enc_body(struct xdr_enc *xe, size_t hdr, const void *data, size_t n)
{
	size_t rem = xdr_enc_remaining(xe);
	size_t pad = xdr_pad(n);
	uint8_t *p;

	if (n && !data)
		return -EINVAL;
	if (rem < hdr || n > rem - hdr || pad > rem - hdr - n)
		return -EMSGSIZE;
	p = xe->base + xe->pos;
	if (hdr)
		xdr_store_be32(p, (uint32_t)n);
	if (n)
		memcpy(p + hdr, data, n);
	memset(p + hdr + n, 0, pad);
	xe->pos += hdr + n + pad;
	return 0;
}

int xdr_enc_fixed_opaque(struct xdr_enc *xe, const void *data, size_t len)
{
	return xdr_enc_body(xe, 0, data, len);
}

int xdr_enc_opaque(struct xdr_enc *xe, const void *data, size_t len, uint32_t max)
{
	if (len > max)
		return -EINVAL;
	return xdr_enc_body(xe, 4, data, len);
}

int xdr_enc_string(struct xdr_enc *xe, const char *str, size_t len, uint32_t max)
{
	if (len && !str)
		return -EINVAL;
	if (len > max || (len && memchr(str, '\0', len)))
		return -EINVAL;
	return xdr_enc_body(xe, 4, str, len);
}
