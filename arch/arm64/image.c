/* image.c: parses and validates arm64 Linux Image headers (placing and loading are the core kimage helpers). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "kimage.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"

bool arm64_image_probe(const struct image *k)
{
	return k->data && k->size >= ARM64_IMAGE_HDR_SIZE &&
	       get_le32(k->data + ARM64_IMAGE_OFF_MAGIC) == ARM64_IMAGE_MAGIC;
}

static uint32_t page_size_of(uint64_t flags)
{
	switch (FIELD_GET(ARM64_IMAGE_FLAGS_PAGE_SIZE, flags)) {
	case ARM64_IMAGE_FLAGS_PAGE_SIZE_4K:
		return 4096;
	case ARM64_IMAGE_FLAGS_PAGE_SIZE_16K:
		return 16384;
	case ARM64_IMAGE_FLAGS_PAGE_SIZE_64K:
		return 65536;
	default:
		return 0;
	}
}

static int check_header(const struct image *k, struct arm64_image *img,
			char *err, size_t errlen)
{
	if (FIELD_GET(ARM64_IMAGE_FLAGS_BE, img->flags)) {
		snprintf(err, errlen,
			 "%s: big-endian arm64 kernels are not supported",
			 kimage_name(k));
		return -EINVAL;
	}
	if (!IS_ALIGNED(img->text_offset, ARM64_IMAGE_TEXT_ALIGN) ||
	    img->text_offset >= ARM64_IMAGE_BASE_ALIGN) {
		snprintf(err, errlen,
			 "%s: corrupt header: text_offset 0x%llx is not a "
			 "4 KiB multiple below 2 MiB",
			 kimage_name(k), (unsigned long long)img->text_offset);
		return -EINVAL;
	}
	if (k->size > img->image_size) {
		snprintf(err, errlen,
			 "%s: corrupt header: the file (%llu bytes) is larger "
			 "than its image_size (%llu bytes)",
			 kimage_name(k), (unsigned long long)k->size,
			 (unsigned long long)img->image_size);
		return -EINVAL;
	}
	return 0;
}

int arm64_image_parse(const struct image *k, struct arm64_image *img, char *err,
		      size_t errlen)
{
	memset(img, 0, sizeof(*img));
	if (!k->data || k->size < ARM64_IMAGE_HDR_SIZE) {
		snprintf(err, errlen,
			 "%s: truncated: %llu bytes, an arm64 Image header "
			 "is %d",
			 kimage_name(k), (unsigned long long)k->size,
			 ARM64_IMAGE_HDR_SIZE);
		return -EINVAL;
	}
	if (!arm64_image_probe(k)) {
		snprintf(err, errlen,
			 "%s: not an arm64 Image: magic 0x%08x at offset %d, "
			 "expected 0x%08x (\"ARM\\x64\")",
			 kimage_name(k),
			 get_le32(k->data + ARM64_IMAGE_OFF_MAGIC),
			 ARM64_IMAGE_OFF_MAGIC, ARM64_IMAGE_MAGIC);
		return -EINVAL;
	}
	img->image_size = get_le64(k->data + ARM64_IMAGE_OFF_IMAGE_SIZE);
	if (img->image_size == 0) {
		/* Before 3.17 only text_offset existed, in kernel byte order.
		 */
		img->legacy = true;
		img->text_offset = ARM64_IMAGE_LEGACY_TEXT_OFFSET;
		img->image_size = k->size;
	} else {
		img->text_offset =
		    get_le64(k->data + ARM64_IMAGE_OFF_TEXT_OFFSET);
		img->flags = get_le64(k->data + ARM64_IMAGE_OFF_FLAGS);
		img->page_size = page_size_of(img->flags);
		img->anywhere =
		    FIELD_GET(ARM64_IMAGE_FLAGS_PHYS_BASE, img->flags);
	}
	if (check_header(k, img, err, errlen))
		return -EINVAL;
	return kimage_check_pe(k, ARM64_IMAGE_HDR_SIZE, &img->pe_offset, err,
			       errlen);
}
