/* util.h: small freestanding helpers shared by every layer. */
#ifndef MINIVMM_UTIL_H
#define MINIVMM_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ARRAY_SIZE(a)	   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	   (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a)   ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a)   (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b)	   ((a) < (b) ? (a) : (b))
#define MAX(a, b)	   ((a) > (b) ? (a) : (b))
#define KiB		   ((uint64_t)1024)
#define MiB		   (KiB * 1024)
#define GiB		   (MiB * 1024)
#define container_of(p, type, member) \
	((type *)((char *)(p)-offsetof(type, member)))

/* "512M", "2G", "4096K", "1T" (an optional trailing B or iB); a bare number
 * is MiB, as in lkvm. Returns 0, -EINVAL or -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* Decimal or 0x-prefixed unsigned integer, whole string. */
int parse_u64(const char *s, uint64_t *out);

/* Little-endian accessors for unaligned buffers (loaders, tables). */
static inline uint16_t get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
static inline uint64_t get_le64(const void *p)
{
	return get_le32(p) | (uint64_t)get_le32((const uint8_t *)p + 4) << 32;
}
static inline void put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(void *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}
static inline void put_le64(void *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* Does [base, base+len) fit inside [0, limit)? Overflow-safe. */
static inline bool range_fits(uint64_t base, uint64_t len, uint64_t limit)
{
	return base <= limit && len <= limit - base;
}

#endif
