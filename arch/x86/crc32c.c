/* crc32c.c: CRC32C with the SSE4.2 crc32 and PCLMUL instructions, for snapshot checksums. */
#include <immintrin.h>
#include <string.h>

#include "snapshot_file.h"

/*
 * Three independent streams of CRC_STRIDE bytes hide the crc32
 * instruction's latency. They are joined by advancing a register over
 * CRC_STRIDE zero bytes, i.e. multiplying it by x^(8*CRC_STRIDE) mod P: a
 * carry-less multiply by CRC_SHIFT = x^(8*CRC_STRIDE-33) mod P, after which
 * crc32 of the 64-bit product (which multiplies by x^33 and reduces) does
 * the rest.
 */
#define CRC_STRIDE 1024
#define CRC_SHIFT  0x170076fau /* x^(8 * 1024 - 33) mod P, reflected */

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((target("sse4.2,pclmul"))) static inline uint32_t
crc_hw_shift(uint32_t s)
{
	__m128i prod = _mm_clmulepi64_si128(
	    _mm_cvtsi32_si128((int)s), _mm_cvtsi32_si128((int)CRC_SHIFT), 0);

	return (uint32_t)__builtin_ia32_crc32di(
	    0, (uint64_t)_mm_cvtsi128_si64(prod));
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw_run(uint32_t s, const uint8_t *p, size_t n)
{
	uint64_t r = s;

	for (; n >= 8; n -= 8, p += 8)
		r = __builtin_ia32_crc32di(r, load64(p));
	s = (uint32_t)r;
	for (; n; n--)
		s = __builtin_ia32_crc32qi(s, *p++);
	return s;
}

__attribute__((target("sse4.2,pclmul"))) static uint32_t
crc_hw_update(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n >= 3 * CRC_STRIDE; n -= 3 * CRC_STRIDE, p += 3 * CRC_STRIDE) {
		uint64_t a = s, b = 0, c = 0;

		for (size_t i = 0; i < CRC_STRIDE; i += 8) {
			a = __builtin_ia32_crc32di(a, load64(p + i));
			b = __builtin_ia32_crc32di(b,
						   load64(p + CRC_STRIDE + i));
			c = __builtin_ia32_crc32di(
			    c, load64(p + 2 * CRC_STRIDE + i));
		}
		s = crc_hw_shift(crc_hw_shift((uint32_t)a) ^ (uint32_t)b) ^
		    (uint32_t)c;
	}
	return crc_hw_run(s, p, n);
}

bool crc32c_hw(uint32_t crc, const void *data, size_t len, uint32_t *out)
{
	if (!__builtin_cpu_supports("sse4.2") ||
	    !__builtin_cpu_supports("pclmul"))
		return false;
	*out = ~crc_hw_update(~crc, data, len);
	return true;
}
