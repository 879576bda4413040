/* test_sbuf.c: unit tests of the state buffers: little-endian encoding, growth, bounds-checked reads. */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "sbuf.h"

static void test_put_layout(void)
{
	static const uint8_t want[] = { 0xab, 0x34, 0x12, 0x78, 0x56, 0x34,
					0x12, 0xef, 0xcd, 0xab, 0x89, 0x67,
					0x45, 0x23, 0x01, 'h', 'i' };
	struct sbuf b;

	sbuf_init(&b);
	CHECK_EQ(b.len, 0);
	sbuf_put_u8(&b, 0xab);
	sbuf_put_u16(&b, 0x1234);
	sbuf_put_u32(&b, 0x12345678);
	sbuf_put_u64(&b, 0x0123456789abcdefULL);
	sbuf_put_bytes(&b, "hi", 2);
	sbuf_put_bytes(&b, NULL, 0);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(b.len, sizeof(want));
	CHECK(b.len == sizeof(want) && !memcmp(b.data, want, sizeof(want)));
	sbuf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void test_growth(void)
{
	struct sbuf b;
	uint32_t bad = 0;

	sbuf_init(&b);
	for (uint32_t i = 0; i < 100000; i++)
		sbuf_put_u32(&b, i * 2654435761u);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(b.len, 400000);
	CHECK(b.cap >= b.len);
	for (uint32_t i = 0; i < 100000; i++) {
		const uint8_t *p = b.data + 4 * i;
		uint32_t v = p[0] | p[1] << 8 | p[2] << 16 |
			     (uint32_t)p[3] << 24;

		bad += v != i * 2654435761u;
	}
	CHECK_EQ(bad, 0);
	sbuf_free(&b);
}

static void test_round_trip(void)
{
	struct sbuf b;
	struct sbuf_reader r;
	uint8_t bytes[3];

	sbuf_init(&b);
	sbuf_put_u8(&b, 0xfe);
	sbuf_put_u16(&b, 0xbeef);
	sbuf_put_u32(&b, 0xdeadbeef);
	sbuf_put_u64(&b, 0xfedcba9876543210ULL);
	sbuf_put_bytes(&b, "xyz", 3);
	sbuf_reader_init(&r, b.data, b.len);
	CHECK_EQ(sbuf_get_u8(&r), 0xfe);
	CHECK_EQ(sbuf_get_u16(&r), 0xbeef);
	CHECK_EQ(sbuf_get_u32(&r), 0xdeadbeef);
	CHECK_EQ(sbuf_get_u64(&r), 0xfedcba9876543210ULL);
	CHECK_EQ(sbuf_reader_done(&r), -EBADMSG); /* bytes left over */
	sbuf_get_bytes(&r, bytes, 3);
	CHECK(!memcmp(bytes, "xyz", 3));
	CHECK_EQ(r.err, 0);
	CHECK_EQ(sbuf_reader_done(&r), 0);
	sbuf_free(&b);
}

static void test_overrun(void)
{
	static const uint8_t data[] = { 1, 2, 3, 4, 5 };
	struct sbuf_reader r;
	uint8_t out[4] = { 9, 9, 9, 9 };

	sbuf_reader_init(&r, data, sizeof(data));
	CHECK_EQ(sbuf_get_u32(&r), 0x04030201);
	CHECK_EQ(sbuf_get_u16(&r), 0); /* one byte left: fails, gives 0 */
	CHECK_EQ(r.err, -EBADMSG);
	CHECK_EQ(sbuf_get_u8(&r), 0); /* poisoned: even a fitting read fails */
	sbuf_get_bytes(&r, out, sizeof(out));
	CHECK(out[0] == 0 && out[3] == 0);
	CHECK_EQ(sbuf_get_u64(&r), 0);
	CHECK_EQ(sbuf_reader_done(&r), -EBADMSG);

	sbuf_reader_init(&r, data, sizeof(data));
	CHECK_EQ(sbuf_get_u64(&r), 0);
	CHECK_EQ(r.pos, 0);
	CHECK_EQ(sbuf_reader_done(&r), -EBADMSG);

	sbuf_reader_init(&r, NULL, 0);
	CHECK_EQ(sbuf_reader_done(&r), 0);
	CHECK_EQ(sbuf_get_u8(&r), 0);
	CHECK_EQ(sbuf_reader_done(&r), -EBADMSG);
}

int main(void)
{
	test_put_layout();
	test_growth();
	test_round_trip();
	test_overrun();
	return unit_done("sbuf");
}
