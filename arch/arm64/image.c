/* image.c: parses and validates arm64 Linux Image headers and places and loads the kernel in guest RAM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"

static const char *name_of(const struct image *k)
{
	return k->path ? k->path : "kernel";
}

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

/* An EFI stub kernel ("MZ" at 0) must point at a "PE\0\0" header. */
static int check_pe(const struct image *k, struct arm64_image *img, char *err,
		    size_t errlen)
{
	uint32_t off = get_le32(k->data + ARM64_IMAGE_OFF_PE);

	if (k->data[0] != 'M' || k->data[1] != 'Z')
		return 0;
	if (off < ARM64_IMAGE_HDR_SIZE || !range_fits(off, 4, k->size) ||
	    memcmp(k->data + off, "PE\0\0", 4)) {
		snprintf(err, errlen,
			 "%s: EFI stub Image with a bad PE header offset 0x%x",
			 name_of(k), off);
		return -EINVAL;
	}
	img->pe_offset = off;
	return 0;
}

static int check_header(const struct image *k, struct arm64_image *img,
			char *err, size_t errlen)
{
	if (FIELD_GET(ARM64_IMAGE_FLAGS_BE, img->flags)) {
		snprintf(err, errlen,
			 "%s: big-endian arm64 kernels are not supported",
			 name_of(k));
		return -EINVAL;
	}
	if (!IS_ALIGNED(img->text_offset, ARM64_IMAGE_TEXT_ALIGN) ||
	    img->text_offset >= ARM64_IMAGE_BASE_ALIGN) {
		snprintf(err, errlen,
			 "%s: corrupt header: text_offset 0x%llx is not a "
			 "4 KiB multiple below 2 MiB",
			 name_of(k), (unsigned long long)img->text_offset);
		return -EINVAL;
	}
	if (k->size > img->image_size) {
		snprintf(err, errlen,
			 "%s: corrupt header: the file (%llu bytes) is larger "
			 "than its image_size (%llu bytes)",
			 name_of(k), (unsigned long long)k->size,
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
			 name_of(k), (unsigned long long)k->size,
			 ARM64_IMAGE_HDR_SIZE);
		return -EINVAL;
	}
	if (!arm64_image_probe(k)) {
		snprintf(err, errlen,
			 "%s: not an arm64 Image: magic 0x%08x at offset %d, "
			 "expected 0x%08x (\"ARM\\x64\")",
			 name_of(k), get_le32(k->data + ARM64_IMAGE_OFF_MAGIC),
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
	return check_pe(k, img, err, errlen);
}

int arm64_image_place(struct arm64_image *img, uint64_t ram_base,
		      uint64_t ram_size, char *err, size_t errlen)
{
	uint64_t base = ALIGN_UP(ram_base, ARM64_IMAGE_BASE_ALIGN);
	uint64_t ram_end = ram_base + ram_size;

	if (base < ram_base || ram_end < ram_base ||
	    !range_fits(base, img->text_offset, ram_end) ||
	    !range_fits(base + img->text_offset, img->image_size, ram_end)) {
		snprintf(err, errlen,
			 "kernel needs 0x%llx bytes at 0x%llx + text_offset "
			 "0x%llx, but RAM is [0x%llx, 0x%llx)",
			 (unsigned long long)img->image_size,
			 (unsigned long long)base,
			 (unsigned long long)img->text_offset,
			 (unsigned long long)ram_base,
			 (unsigned long long)ram_end);
		return -ENOSPC;
	}
	img->load = base + img->text_offset;
	img->end = img->load + img->image_size;
	return 0;
}

int arm64_image_load(const struct guest_mem *mem, const struct image *k,
		     const struct arm64_image *img, char *err, size_t errlen)
{
	if (!guest_mem_ptr(mem, img->load, img->image_size) ||
	    guest_mem_write(mem, img->load, k->data, k->size)) {
		snprintf(err, errlen, "%s: [0x%llx, 0x%llx) is not guest RAM",
			 name_of(k), (unsigned long long)img->load,
			 (unsigned long long)img->end);
		return -EFAULT;
	}
	return 0;
}
