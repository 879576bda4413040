/* image.c: parses and validates riscv Linux Image headers and places and loads the kernel in guest RAM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "kimage.h"
#include "util.h"
#include "vm.h"

static bool has_magic(const uint8_t *h)
{
	return get_le64(h + RISCV_IMAGE_OFF_MAGIC) == RISCV_IMAGE_MAGIC;
}

static bool has_magic2(const uint8_t *h)
{
	return get_le32(h + RISCV_IMAGE_OFF_MAGIC2) == RISCV_IMAGE_MAGIC2;
}

bool riscv_image_probe(const struct image *k)
{
	return k->data && k->size >= RISCV_IMAGE_HDR_SIZE &&
	       (has_magic2(k->data) || has_magic(k->data));
}

static int bad(const struct image *k, char *err, size_t errlen,
	       const char *why, unsigned long long v)
{
	snprintf(err, errlen, "%s: corrupt riscv Image header: %s 0x%llx",
		 kimage_name(k), why, v);
	return -EINVAL;
}

static int check_header(const struct image *k, const struct riscv_image *img,
			char *err, size_t errlen)
{
	if (img->version >= RISCV_IMAGE_VERSION(0, 2) && !img->has_magic2)
		return bad(k, err, errlen, "header 0.2+ without magic2, version",
			   img->version);
	if (img->flags & RISCV_IMAGE_FLAG_BE) {
		snprintf(err, errlen,
			 "%s: big-endian riscv kernels are not supported",
			 kimage_name(k));
		return -EINVAL;
	}
	if (!IS_ALIGNED(img->text_offset, RISCV_IMAGE_ALIGN))
		return bad(k, err, errlen,
			   "text_offset is not a 2 MiB multiple:",
			   img->text_offset);
	if (img->image_size == 0 || k->size > img->image_size)
		return bad(k, err, errlen,
			   "image_size is 0 or below the file size:",
			   img->image_size);
	return 0;
}

int riscv_image_parse(const struct image *k, struct riscv_image *img,
		      char *err, size_t errlen)
{
	const uint8_t *h = k->data;

	memset(img, 0, sizeof(*img));
	if (!h || k->size < RISCV_IMAGE_HDR_SIZE) {
		snprintf(err, errlen,
			 "%s: truncated: %llu bytes, a riscv Image header is %d",
			 kimage_name(k), (unsigned long long)k->size,
			 RISCV_IMAGE_HDR_SIZE);
		return -EINVAL;
	}
	if (!riscv_image_probe(k)) {
		snprintf(err, errlen,
			 "%s: not a riscv Image: no \"RSC\\x05\" at offset %d "
			 "nor \"RISCV\" at offset %d",
			 kimage_name(k), RISCV_IMAGE_OFF_MAGIC2,
			 RISCV_IMAGE_OFF_MAGIC);
		return -EINVAL;
	}
	img->text_offset = get_le64(h + RISCV_IMAGE_OFF_TEXT_OFFSET);
	img->image_size = get_le64(h + RISCV_IMAGE_OFF_IMAGE_SIZE);
	img->flags = get_le64(h + RISCV_IMAGE_OFF_FLAGS);
	img->version = get_le32(h + RISCV_IMAGE_OFF_VERSION);
	img->has_magic2 = has_magic2(h);
	if (check_header(k, img, err, errlen))
		return -EINVAL;
	return kimage_check_pe(k, RISCV_IMAGE_HDR_SIZE, &img->pe_offset, err,
			       errlen);
}

int riscv_image_place(struct riscv_image *img, uint64_t ram_base,
		      uint64_t ram_size, char *err, size_t errlen)
{
	int ret = kimage_place(ram_base, ram_size, RISCV_IMAGE_ALIGN,
			       img->text_offset, img->image_size, &img->load,
			       err, errlen);

	if (!ret)
		img->end = img->load + img->image_size;
	return ret;
}

int riscv_image_load(const struct guest_mem *mem, const struct image *k,
		     const struct riscv_image *img, char *err, size_t errlen)
{
	return kimage_load(mem, k, img->load, img->image_size, err, errlen);
}
