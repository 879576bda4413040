/* test_arm64_image.c: arm64 Image header parsing, corrupt-input errors, and the core kimage placement and loading on synthetic images. */
#include <errno.h>
#include <stdlib.h>

#include "image.h"
#include "kimage.h"
#include "unit.h"
#include "util.h"
#include "vm.h"

#define MAGIC	 0x644d5241U
#define FILE_LEN 0x10000U
#define RAM	 0x40000000ULL

static char err[256];
static uint8_t buf[FILE_LEN];

/* A header in buf; returns the image covering 'len' bytes of it. */
static struct image make(uint64_t text_offset, uint64_t image_size,
			 uint64_t flags, uint32_t len)
{
	memset(buf, 0, sizeof(buf));
	for (uint32_t i = 64; i < FILE_LEN; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	put_le32(buf, 0x91005a4d);     /* code0: "MZ" + add x13, x18, #0x16 */
	put_le32(buf + 4, 0x14000000); /* code1: b stext */
	put_le64(buf + 8, text_offset);
	put_le64(buf + 16, image_size);
	put_le64(buf + 24, flags);
	put_le32(buf + 56, MAGIC);
	put_le32(buf + 60, 0x40); /* PE header right after */
	memcpy(buf + 0x40, "PE\0\0", 4);
	return (struct image){.data = buf, .size = len, .path = "Image"};
}

static void test_good(void)
{
	struct image k = make(0, 0x200000, 0xa, FILE_LEN); /* 4K, anywhere */
	struct arm64_image img;

	CHECK(arm64_image_probe(&k));
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.text_offset, 0);
	CHECK_EQ(img.image_size, 0x200000);
	CHECK_EQ(img.page_size, 4096);
	CHECK(img.anywhere);
	CHECK(!img.legacy);
	CHECK_EQ(img.pe_offset, 0x40);

	k = make(0x80000, 0x1000000, 0x4, FILE_LEN); /* 16K, not anywhere */
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.text_offset, 0x80000);
	CHECK_EQ(img.page_size, 16384);
	CHECK(!img.anywhere);
	k = make(0, 0x200000, 0x6, FILE_LEN);
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.page_size, 65536);
	/* Unspecified page size; reserved bits 63:4 are ignored. */
	k = make(0, 0x200000, 0xf0, FILE_LEN);
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.page_size, 0);
	/* Not an EFI stub: no "MZ", the PE offset is not looked at. */
	k = make(0, 0x200000, 0, FILE_LEN);
	buf[0] = 0;
	put_le32(buf + 60, 0xffffffff);
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.pe_offset, 0);
}

/* image_size 0: a pre-3.17 kernel, text_offset 0x80000, flags unknown. */
static void test_legacy(void)
{
	struct image k = make(0x1234, 0, 0x1, FILE_LEN);
	struct arm64_image img;

	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK(img.legacy);
	CHECK_EQ(img.text_offset, 0x80000);
	CHECK_EQ(img.image_size, FILE_LEN);
	CHECK_EQ(img.flags, 0);
}

static void expect_bad(struct image k, const char *why)
{
	struct arm64_image img;

	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fprintf(stderr, "want \"%s\", got \"%s\"\n", why, err);
	CHECK(strstr(err, why) != NULL);
	CHECK(strncmp(err, "Image: ", 7) == 0);
}

static void test_corrupt(void)
{
	struct image k;

	expect_bad(make(0, 0x200000, 0, 63), "truncated: 63 bytes");
	k = make(0, 0x200000, 0, FILE_LEN);
	put_le32(buf + 56, 0x644d5240);
	CHECK(!arm64_image_probe(&k));
	expect_bad(k, "not an arm64 Image");
	expect_bad(make(0, 0x200000, 0x1, FILE_LEN), "big-endian");
	expect_bad(make(0, 0x200000, 0xb, FILE_LEN), "big-endian");
	expect_bad(make(0x80001, 0x200000, 0, FILE_LEN), "text_offset 0x80001");
	expect_bad(make(0x200000, 0x400000, 0, FILE_LEN),
		   "text_offset 0x200000");
	expect_bad(make(0, FILE_LEN - 1, 0, FILE_LEN), "larger than its "
						       "image_size");
	k = make(0, 0x200000, 0, FILE_LEN);
	put_le32(buf + 60, FILE_LEN - 2); /* PE header runs off the end */
	expect_bad(k, "bad PE header offset");
	k = make(0, 0x200000, 0, FILE_LEN);
	put_le32(buf + 60, 0x100); /* no "PE\0\0" there */
	expect_bad(k, "bad PE header offset 0x100");
	k = make(0, 0x200000, 0, FILE_LEN);
	put_le32(buf + 60, 32); /* inside the header */
	memcpy(buf + 32, "PE\0\0", 4);
	expect_bad(k, "bad PE header offset 0x20");
	k = (struct image){.data = NULL, .size = 0, .path = "Image"};
	expect_bad(k, "truncated: 0 bytes");
}

/* kimage_place with arm64's 2 MiB base alignment, as arm64_boot_place. */
static int place(struct arm64_image *img, uint64_t ram_base, uint64_t ram_size)
{
	int ret = kimage_place(ram_base, ram_size, ARM64_IMAGE_BASE_ALIGN,
			       img->text_offset, img->image_size, &img->load,
			       err, sizeof(err));

	img->end = img->load + img->image_size;
	return ret;
}

static void test_place(void)
{
	struct image k = make(0x80000, 0x1000000, 0, FILE_LEN);
	struct arm64_image img;

	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(place(&img, RAM, 64 * MiB), 0);
	CHECK_EQ(img.load, 0x40080000);
	CHECK_EQ(img.end, 0x41080000);
	/* A RAM base off 2 MiB: the next aligned base. */
	CHECK_EQ(place(&img, RAM + 0x100000, 64 * MiB), 0);
	CHECK_EQ(img.load, 0x40280000);
	/* Exactly enough, then one byte short. */
	CHECK_EQ(place(&img, RAM, 0x1080000), 0);
	CHECK_EQ(place(&img, RAM, 0x107ffff), -ENOSPC);
	CHECK(strstr(err, "needs 0x1000000 bytes") != NULL);
	CHECK_EQ(place(&img, 0xffffffffffe00001ULL, 0x1fffff), -ENOSPC);
	CHECK_EQ(place(&img, 0xfffffffffff00000ULL, 0x100000), -ENOSPC);
}

static void test_load(void)
{
	struct image k = make(0x80000, 0x200000, 0x8, FILE_LEN);
	struct arm64_image img;
	struct guest_mem mem = {0};
	uint8_t *ram = calloc(1, 4 * MiB);

	CHECK(ram != NULL);
	if (!ram)
		return;
	mem.regions[0] =
	    (struct mem_region){.gpa = RAM, .size = 4 * MiB, .hva = ram};
	mem.nr = 1;
	mem.total = 4 * MiB;
	CHECK_EQ(arm64_image_parse(&k, &img, err, sizeof(err)), 0);
	CHECK_EQ(place(&img, RAM, 4 * MiB), 0);
	CHECK_EQ(
	    kimage_load(&mem, &k, img.load, img.image_size, err, sizeof(err)),
	    0);
	CHECK(memcmp(ram + 0x80000, buf, FILE_LEN) == 0);
	CHECK_EQ(ram[0x80000 + FILE_LEN], 0);
	img.load = RAM + 4 * MiB - 0x1000; /* runs past RAM */
	img.end = img.load + img.image_size;
	CHECK_EQ(
	    kimage_load(&mem, &k, img.load, img.image_size, err, sizeof(err)),
	    -EFAULT);
	CHECK(strstr(err, "not guest RAM") != NULL);
	free(ram);
}

int main(void)
{
	test_good();
	test_legacy();
	test_corrupt();
	test_place();
	test_load();
	return unit_done("arm64_image");
}
