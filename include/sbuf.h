/* sbuf.h: growable byte buffers and bounds-checked readers for device and vCPU state (little-endian). */
#ifndef MINIVMM_SBUF_H
#define MINIVMM_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	uint8_t *data;
	size_t len, cap;
	int err; /* first error (-ENOMEM); later puts are no-ops */
};

struct sbuf_reader {
	const uint8_t *data;
	size_t len, pos;
	int err; /* -EBADMSG once a read runs past the end; reads then give 0 */
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_put_bytes(struct sbuf *b, const void *p, size_t n);
void sbuf_put_u8(struct sbuf *b, uint8_t v);
void sbuf_put_u16(struct sbuf *b, uint16_t v);
void sbuf_put_u32(struct sbuf *b, uint32_t v);
void sbuf_put_u64(struct sbuf *b, uint64_t v);

void sbuf_reader_init(struct sbuf_reader *r, const void *data, size_t len);
void sbuf_get_bytes(struct sbuf_reader *r, void *p, size_t n);
uint8_t sbuf_get_u8(struct sbuf_reader *r);
uint16_t sbuf_get_u16(struct sbuf_reader *r);
uint32_t sbuf_get_u32(struct sbuf_reader *r);
uint64_t sbuf_get_u64(struct sbuf_reader *r);
/* 0 when everything was read without running past the end and nothing is
 * left over; -EBADMSG otherwise. */
int sbuf_reader_done(const struct sbuf_reader *r);

#endif
