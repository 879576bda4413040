/* test_riscv_image.c: riscv Image header parsing, corrupt-input errors, placement and loading on synthetic images. */
#include <errno.h>
#include <stdlib.h>

#include "image.h"
#include "riscv.h"
#include "unit.h"
#include "util.h"
#include "vm.h"

#define FILE_LEN 0x10000U
#define MIB	 0x100000ULL

static char err[256];
static uint8_t buf[FILE_LEN];

/* A header 0.2 kernel with both magics; returns the image of 'len' bytes. */
static struct image make(uint64_t text_offset, uint64_t image_size,
			 uint64_t flags, uint32_t len)
{
	memset(buf, 0, sizeof(buf));
	for (uint32_t i = 64; i < FILE_LEN; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	put_le32(buf, 0x0000006f);     /* code0: j 0 (any code) */
	put_le32(buf + 4, 0);
	put_le64(buf + 8, text_offset);
	put_le64(buf + 16, image_size);
	put_le64(buf + 24, flags);
	put_le32(buf + 32, 2); /* version 0.2 */
	memcpy(buf + 48, "RISCV\0\0\0", 8);
	memcpy(buf + 56, "RSC\x05", 4);
	return (struct image){.data = buf, .size = len, .path = "Image"};
}

static int parse(const struct image *k, struct riscv_image *img)
{
	return riscv_image_parse(k, img, err, sizeof(err));
}

static void test_good(void)
{
	struct image k = make(2 * MIB, 0x1000000, 0, FILE_LEN);
	struct riscv_image img;

	CHECK(riscv_image_probe(&k));
	CHECK_EQ(parse(&k, &img), 0);
	CHECK_EQ(img.text_offset, 2 * MIB);
	CHECK_EQ(img.image_size, 0x1000000);
	CHECK_EQ(img.version, RISCV_IMAGE_VERSION(0, 2));
	CHECK(img.has_magic2);
	CHECK_EQ(img.pe_offset, 0);
	/* magic2 alone (the deprecated magic cleared). */
	memset(buf + 48, 0, 8);
	CHECK_EQ(parse(&k, &img), 0);
	/* Header 0.1: only the deprecated magic at 48. */
	k = make(0, FILE_LEN, 0, FILE_LEN);
	put_le32(buf + 32, 1);
	memset(buf + 56, 0, 4);
	CHECK(riscv_image_probe(&k));
	CHECK_EQ(parse(&k, &img), 0);
	CHECK(!img.has_magic2);
	CHECK_EQ(img.text_offset, 0);
	/* Other flag bits are ignored; a 4 MiB (rv32-style) offset is fine. */
	k = make(4 * MIB, FILE_LEN, 0xfe, FILE_LEN);
	CHECK_EQ(parse(&k, &img), 0);
	/* An EFI stub: "MZ" and a PE header. */
	k = make(2 * MIB, FILE_LEN, 0, FILE_LEN);
	buf[0] = 'M';
	buf[1] = 'Z';
	put_le32(buf + 60, 0x80);
	memcpy(buf + 0x80, "PE\0\0", 4);
	CHECK_EQ(parse(&k, &img), 0);
	CHECK_EQ(img.pe_offset, 0x80);
}

static void expect_bad(const struct image *k, const char *needle)
{
	struct riscv_image img;

	CHECK_EQ(parse(k, &img), -EINVAL);
	if (!strstr(err, needle))
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, needle);
	CHECK(strstr(err, needle) != NULL);
}

static void test_corrupt(void)
{
	struct image k = make(2 * MIB, FILE_LEN, 0, 63);

	expect_bad(&k, "truncated");
	k.data = NULL;
	expect_bad(&k, "truncated");
	k = make(2 * MIB, FILE_LEN, 0, FILE_LEN);
	memset(buf + 48, 0, 12);
	CHECK(!riscv_image_probe(&k));
	expect_bad(&k, "not a riscv Image");
	k = make(2 * MIB, FILE_LEN, 0, FILE_LEN);
	memcpy(buf + 56, "ARM\x64", 4); /* an arm64 Image is not ours */
	memset(buf + 48, 0, 8);
	expect_bad(&k, "not a riscv Image");
	k = make(2 * MIB, FILE_LEN, RISCV_IMAGE_FLAG_BE, FILE_LEN);
	expect_bad(&k, "big-endian");
	k = make(2 * MIB + 0x1000, FILE_LEN, 0, FILE_LEN);
	expect_bad(&k, "text_offset");
	k = make(0x1000, FILE_LEN, 0, FILE_LEN);
	expect_bad(&k, "text_offset");
	k = make(2 * MIB, 0, 0, FILE_LEN);
	expect_bad(&k, "image_size");
	k = make(2 * MIB, FILE_LEN - 1, 0, FILE_LEN);
	expect_bad(&k, "image_size");
	/* Version 0.2 claims magic2 but has only the old magic. */
	k = make(2 * MIB, FILE_LEN, 0, FILE_LEN);
	memset(buf + 56, 0, 4);
	expect_bad(&k, "without magic2");
	/* EFI stub with a PE offset inside the header, past the file, or
	 * pointing at something else. */
	k = make(2 * MIB, FILE_LEN, 0, FILE_LEN);
	buf[0] = 'M';
	buf[1] = 'Z';
	put_le32(buf + 60, 0x20);
	expect_bad(&k, "PE header");
	put_le32(buf + 60, FILE_LEN - 2);
	expect_bad(&k, "PE header");
	put_le32(buf + 60, 0xffffffff);
	expect_bad(&k, "PE header");
	put_le32(buf + 60, 0x80);
	expect_bad(&k, "PE header");
}

static void test_place(void)
{
	struct image k = make(2 * MIB, 0x1000000, 0, FILE_LEN);
	struct riscv_image img;

	CHECK_EQ(parse(&k, &img), 0);
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE, 128 * MIB, err,
				   sizeof(err)),
		 0);
	CHECK_EQ(img.load, 0x80200000);
	CHECK_EQ(img.end, 0x81200000);
	/* An unaligned RAM base rounds up to the next 2 MiB. */
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE + MIB, 128 * MIB, err,
				   sizeof(err)),
		 0);
	CHECK_EQ(img.load, 0x80400000);
	/* Exactly enough RAM, then one byte less. */
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE, 18 * MIB, err,
				   sizeof(err)),
		 0);
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE, 18 * MIB - 1, err,
				   sizeof(err)),
		 -ENOSPC);
	CHECK(strstr(err, "RAM is [0x80000000") != NULL);
	/* Overflowing offsets and RAM ranges. */
	img.text_offset = 0xffffffffffe00000ULL;
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE, 128 * MIB, err,
				   sizeof(err)),
		 -ENOSPC);
	img.text_offset = 2 * MIB;
	CHECK_EQ(riscv_image_place(&img, UINT64_MAX - MIB, 4 * MIB, err,
				   sizeof(err)),
		 -ENOSPC);
}

static void test_load(void)
{
	struct image k = make(2 * MIB, 4 * MIB, 0, FILE_LEN);
	struct guest_mem mem = {.nr = 1};
	struct riscv_image img;
	uint8_t *ram = calloc(1, 8 * MIB);

	if (!ram)
		return;
	mem.regions[0] = (struct mem_region){
	    .gpa = RISCV_RAM_BASE, .size = 8 * MIB, .hva = ram};
	mem.total = 8 * MIB;
	CHECK_EQ(parse(&k, &img), 0);
	CHECK_EQ(riscv_image_place(&img, RISCV_RAM_BASE, 8 * MIB, err,
				   sizeof(err)),
		 0);
	CHECK_EQ(riscv_image_load(&mem, &k, &img, err, sizeof(err)), 0);
	CHECK(!memcmp(ram + 2 * MIB, buf, FILE_LEN));
	/* bss past the end of RAM. */
	img.image_size = 7 * MIB;
	CHECK_EQ(riscv_image_load(&mem, &k, &img, err, sizeof(err)), -EFAULT);
	CHECK(strstr(err, "not guest RAM") != NULL);
	free(ram);
}

int main(void)
{
	test_good();
	test_corrupt();
	test_place();
	test_load();
	return unit_done("riscv_image");
}
