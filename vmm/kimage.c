/* kimage.c: EFI stub check, placement and loading shared by the Image-format kernel loaders. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kimage.h"
#include "util.h"
#include "vm.h"

const char *kimage_name(const struct image *k)
{
	return k->path ? k->path : "kernel";
}

int kimage_check_pe(const struct image *k, uint32_t hdr_size,
		    uint32_t *pe_offset, char *err, size_t errlen)
{
	uint32_t off;

	*pe_offset = 0;
	if (k->size < KIMAGE_OFF_PE + 4 || k->data[0] != 'M' ||
	    k->data[1] != 'Z')
		return 0;
	off = get_le32(k->data + KIMAGE_OFF_PE);
	if (off < hdr_size || !range_fits(off, 4, k->size) ||
	    memcmp(k->data + off, "PE\0\0", 4)) {
		snprintf(err, errlen,
			 "%s: EFI stub Image with a bad PE header offset 0x%x",
			 kimage_name(k), off);
		return -EINVAL;
	}
	*pe_offset = off;
	return 0;
}

int kimage_place(uint64_t ram_base, uint64_t ram_size, uint64_t align,
		 uint64_t text_offset, uint64_t image_size, uint64_t *load,
		 char *err, size_t errlen)
{
	uint64_t base = ALIGN_UP(ram_base, align);
	uint64_t ram_end = ram_base + ram_size;

	if (base < ram_base || ram_end < ram_base ||
	    !range_fits(base, text_offset, ram_end) ||
	    !range_fits(base + text_offset, image_size, ram_end)) {
		snprintf(err, errlen,
			 "kernel needs 0x%llx bytes at 0x%llx + text_offset "
			 "0x%llx, but RAM is [0x%llx, 0x%llx)",
			 (unsigned long long)image_size,
			 (unsigned long long)base,
			 (unsigned long long)text_offset,
			 (unsigned long long)ram_base,
			 (unsigned long long)ram_end);
		return -ENOSPC;
	}
	*load = base + text_offset;
	return 0;
}

int kimage_load(const struct guest_mem *mem, const struct image *k,
		uint64_t load, uint64_t image_size, char *err, size_t errlen)
{
	if (k->size > image_size || !guest_mem_ptr(mem, load, image_size) ||
	    guest_mem_write(mem, load, k->data, k->size)) {
		snprintf(err, errlen, "%s: [0x%llx, 0x%llx) is not guest RAM",
			 kimage_name(k), (unsigned long long)load,
			 (unsigned long long)(load + image_size));
		return -EFAULT;
	}
	return 0;
}
