/* sbuf.c: growable little-endian byte buffers and bounds-checked readers for saved state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "util.h"

void sbuf_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	sbuf_init(b);
}

static int sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = -ENOMEM;
		return b->err;
	}
	cap = MAX(b->cap * 2, b->len + n);
	cap = MAX(cap, (size_t)64);
	p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void sbuf_put_bytes(struct sbuf *b, const void *p, size_t n)
{
	if (!n || sbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void sbuf_put_u8(struct sbuf *b, uint8_t v)
{
	sbuf_put_bytes(b, &v, 1);
}

void sbuf_put_u16(struct sbuf *b, uint16_t v)
{
	uint8_t le[2];

	put_le16(le, v);
	sbuf_put_bytes(b, le, sizeof(le));
}

void sbuf_put_u32(struct sbuf *b, uint32_t v)
{
	uint8_t le[4];

	put_le32(le, v);
	sbuf_put_bytes(b, le, sizeof(le));
}

void sbuf_put_u64(struct sbuf *b, uint64_t v)
{
	uint8_t le[8];

	put_le64(le, v);
	sbuf_put_bytes(b, le, sizeof(le));
}

void sbuf_reader_init(struct sbuf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->err = 0;
}

/* The next n bytes, or NULL (and the reader poisoned) if fewer are left. */
static const uint8_t *sbuf_take(struct sbuf_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->pos) {
		r->err = -EBADMSG;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

void sbuf_get_bytes(struct sbuf_reader *r, void *p, size_t n)
{
	const uint8_t *src = sbuf_take(r, n);

	if (!n)
		return;
	if (src)
		memcpy(p, src, n);
	else
		memset(p, 0, n);
}

uint8_t sbuf_get_u8(struct sbuf_reader *r)
{
	const uint8_t *p = sbuf_take(r, 1);

	return p ? *p : 0;
}

uint16_t sbuf_get_u16(struct sbuf_reader *r)
{
	const uint8_t *p = sbuf_take(r, 2);

	return p ? get_le16(p) : 0;
}

uint32_t sbuf_get_u32(struct sbuf_reader *r)
{
	const uint8_t *p = sbuf_take(r, 4);

	return p ? get_le32(p) : 0;
}

uint64_t sbuf_get_u64(struct sbuf_reader *r)
{
	const uint8_t *p = sbuf_take(r, 8);

	return p ? get_le64(p) : 0;
}

int sbuf_reader_done(const struct sbuf_reader *r)
{
	if (r->err)
		return r->err;
	return r->pos == r->len ? 0 : -EBADMSG;
}
