/* bzimage.c: the Linux 64-bit boot protocol: kernel format probing, bzImage loading and boot_params. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootparam.h"
#include "util.h"
#include "x86.h"

/*
 * Load address: the protected-mode kernel always goes to X86_KERNEL_ADDR
 * (1 MiB), like kvmtool and the linux-loader crate. Through the 64-bit entry
 * the compressed kernel decompresses at max(load address rounded to
 * kernel_alignment, LOAD_PHYSICAL_ADDR = pref_address), whether relocatable
 * or not, so the kernel occupies [1 MiB, 1 MiB + max(payload, init_size))
 * and, when pref_address is higher, [pref_address, + init_size) as well.
 * Both must be RAM, and the initrd goes above the higher end.
 */

#define ELF_MAGIC "\x7f" "ELF"

static const char *image_name(const struct image *img)
{
	return img->path ? img->path : "kernel";
}

static bool has_setup_header(const struct image *k)
{
	return k->size >= BP_HDR_MAGIC_OFF + 4 &&
	       get_le32(k->data + BP_HDR_MAGIC_OFF) == BP_HDRS_MAGIC &&
	       get_le16(k->data + HDR_OFF(boot_flag)) == BP_BOOT_FLAG;
}

int x86_probe_kernel(const struct image *k, char *err, size_t errlen)
{
	uint64_t flat_max = X86_EBDA_START - X86_REAL_LOAD_ADDR;

	if (!k->data || !k->size) {
		snprintf(err, errlen, "%s: file is empty", image_name(k));
		return -EINVAL;
	}
	if (k->size >= 4 && !memcmp(k->data, ELF_MAGIC, 4))
		return KFMT_ELF;
	if (k->size >= BP_HDR_MAGIC_OFF + 4 &&
	    get_le32(k->data + BP_HDR_MAGIC_OFF) == BP_HDRS_MAGIC &&
	    get_le16(k->data + HDR_OFF(boot_flag)) != BP_BOOT_FLAG) {
		snprintf(err, errlen,
			 "%s: has a Linux setup header signature but its boot "
			 "flag is 0x%04x, not 0xaa55",
			 image_name(k), get_le16(k->data + HDR_OFF(boot_flag)));
		return -EINVAL;
	}
	if (has_setup_header(k)) {
		uint64_t end = BP_HDR_MAGIC_OFF + k->data[BP_JUMP_LEN];

		if (k->size < end || k->size < HDR_OFF(version) + 2) {
			snprintf(err, errlen,
				 "%s: truncated: %llu bytes, but its Linux setup "
				 "header runs to 0x%llx",
				 image_name(k), (unsigned long long)k->size,
				 (unsigned long long)end);
			return -EINVAL;
		}
		return KFMT_BZIMAGE;
	}
	if (k->size > flat_max) {
		snprintf(err, errlen,
			 "%s: no Linux setup header or ELF magic, and %llu bytes "
			 "is too large for a flat binary (max %llu)",
			 image_name(k), (unsigned long long)k->size,
			 (unsigned long long)flat_max);
		return -EINVAL;
	}
	return KFMT_FLAT;
}

/* Magic, version and 64-bit entry, and the header length, from the file. */
static int check_magic(const struct image *k, char *err, size_t errlen)
{
	const uint8_t *d = k->data;

	if (k->size < HDR_OFF(version) + 2) {
		snprintf(err, errlen,
			 "%s: %llu bytes is too short for a Linux setup header",
			 image_name(k), (unsigned long long)k->size);
		return -EINVAL;
	}
	if (get_le16(d + HDR_OFF(boot_flag)) != BP_BOOT_FLAG) {
		snprintf(err, errlen, "%s: boot flag at 0x1fe is 0x%04x, not 0xaa55",
			 image_name(k), get_le16(d + HDR_OFF(boot_flag)));
		return -EINVAL;
	}
	if (get_le32(d + BP_HDR_MAGIC_OFF) != BP_HDRS_MAGIC) {
		snprintf(err, errlen, "%s: no \"HdrS\" setup header signature at 0x202",
			 image_name(k));
		return -EINVAL;
	}
	return 0;
}

static int check_version(const struct image *k, char *err, size_t errlen)
{
	uint16_t ver = get_le16(k->data + HDR_OFF(version));

	if (ver < BP_PROTO_64BIT) {
		snprintf(err, errlen,
			 "%s: setup header version %u.%02u is older than 2.12 "
			 "(the 64-bit boot protocol needs 2.12)",
			 image_name(k), ver >> 8, ver & 0xff);
		return -EINVAL;
	}
	return 0;
}

/* Copies the file's setup header into a zeroed boot_params. */
static int read_header(const struct image *k, struct boot_params *bp,
		       char *err, size_t errlen)
{
	int rc = check_magic(k, err, errlen); /* the file reaches 0x208 */
	uint64_t end;

	if (!rc)
		rc = check_version(k, err, errlen);
	if (rc)
		return rc;
	end = BP_HDR_MAGIC_OFF + k->data[BP_JUMP_LEN];
	if (end < HDR_OFF(init_size) + 4) {
		snprintf(err, errlen,
			 "%s: setup header ends at 0x%llx, too short for "
			 "protocol 2.12 (needs 0x264)",
			 image_name(k), (unsigned long long)end);
		return -EINVAL;
	}
	if (end > k->size) {
		snprintf(err, errlen,
			 "%s: truncated: %llu bytes, setup header runs to 0x%llx",
			 image_name(k), (unsigned long long)k->size,
			 (unsigned long long)end);
		return -EINVAL;
	}
	/* Bytes past 0x290 are boot_params fields the loader must zero. */
	end = MIN(end, BP_HDR_END_MAX);
	memset(bp, 0, sizeof(*bp));
	memcpy((uint8_t *)bp + BP_SETUP_HDR, k->data + BP_SETUP_HDR,
	       end - BP_SETUP_HDR);
	if (!(bp->hdr.xloadflags & XLF_KERNEL_64)) {
		snprintf(err, errlen,
			 "%s: no 64-bit entry point (xloadflags 0x%x lacks "
			 "XLF_KERNEL_64)",
			 image_name(k), bp->hdr.xloadflags);
		return -EINVAL;
	}
	return 0;
}

struct bz_layout {
	uint64_t setup_size; /* file offset of the protected-mode kernel */
	uint64_t payload;    /* its size in the file */
	uint64_t kernel_end; /* highest guest address the kernel uses + 1 */
};

static int plan_kernel(const struct x86_load_args *a,
		       const struct boot_params *bp, struct bz_layout *l,
		       char *err, size_t errlen)
{
	const struct image *k = a->kernel;
	unsigned int sects = bp->hdr.setup_sects ? bp->hdr.setup_sects
						 : BP_DEFAULT_SECTS;
	uint64_t ram_end = guest_mem_end_from(a->mem, X86_KERNEL_ADDR);
	uint64_t init = bp->hdr.init_size, pref = bp->hdr.pref_address, need;

	l->setup_size = (uint64_t)(sects + 1) * BP_SECTOR;
	if (l->setup_size >= k->size) {
		snprintf(err, errlen,
			 "%s: setup_sects %u puts the kernel at 0x%llx, past the "
			 "end of the file (%llu bytes)",
			 image_name(k), sects, (unsigned long long)l->setup_size,
			 (unsigned long long)k->size);
		return -EINVAL;
	}
	l->payload = k->size - l->setup_size;
	need = MAX(l->payload, init);
	if (!range_fits(X86_KERNEL_ADDR, need, ram_end)) {
		snprintf(err, errlen,
			 "%s: kernel needs 0x%llx bytes at 0x%llx (init_size "
			 "0x%llx) but RAM there ends at 0x%llx",
			 image_name(k), (unsigned long long)need,
			 (unsigned long long)X86_KERNEL_ADDR,
			 (unsigned long long)init, (unsigned long long)ram_end);
		return -ENOSPC;
	}
	l->kernel_end = X86_KERNEL_ADDR + need;
	if (pref <= X86_KERNEL_ADDR)
		return 0;
	if (!range_fits(pref, init, guest_mem_end_from(a->mem, pref))) {
		snprintf(err, errlen,
			 "%s: kernel decompresses at pref_address 0x%llx and "
			 "needs 0x%llx bytes there (init_size), beyond RAM",
			 image_name(k), (unsigned long long)pref,
			 (unsigned long long)init);
		return -ENOSPC;
	}
	l->kernel_end = MAX(l->kernel_end, pref + init);
	return 0;
}

int x86_linux_boot_params(const struct x86_load_args *a, struct boot_params *bp,
			  uint64_t kernel_end, uint64_t initrd_limit,
			  uint64_t cmdline_max, char *err, size_t errlen)
{
	uint64_t rd = 0, rd_size = 0;
	int rc;

	rc = x86_write_cmdline(a->mem, a->cmdline, cmdline_max, err, errlen);
	if (!rc)
		rc = x86_load_initrd(a, kernel_end, initrd_limit, &rd, err,
				     errlen);
	if (rc)
		return rc;
	if (rd)
		rd_size = a->initrd->size;
	bp->hdr.type_of_loader = BP_LOADER_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = BP_HEAP_END;
	bp->hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(X86_CMDLINE_ADDR >> 32);
	bp->hdr.ramdisk_image = (uint32_t)rd;
	bp->ext_ramdisk_image = (uint32_t)(rd >> 32);
	bp->hdr.ramdisk_size = (uint32_t)rd_size;
	bp->ext_ramdisk_size = (uint32_t)(rd_size >> 32);
	rc = x86_build_e820(a->mem, bp->e820_table, E820_MAX);
	if (rc < 0) {
		snprintf(err, errlen, "cannot build the e820 map (%d)", rc);
		return rc;
	}
	bp->e820_entries = (uint8_t)rc;
	if (guest_mem_write(a->mem, X86_ZERO_PAGE_ADDR, bp, sizeof(*bp))) {
		snprintf(err, errlen, "boot_params: RAM below 1 MiB is missing");
		return -EFAULT;
	}
	return 0;
}

/*
 * Where the initrd may end: initrd_addr_max is its last usable byte. The
 * initrd stays in the RAM contiguous with the kernel (the low bank, below
 * 3 GiB), so XLF_CAN_BE_LOADED_ABOVE_4G never matters in practice; the ext_
 * fields are filled from the address all the same.
 */
static uint64_t initrd_limit(const struct setup_header *hdr)
{
	uint64_t max = hdr->initrd_addr_max ? hdr->initrd_addr_max
					    : BP_INITRD_MAX_OLD;

	return max + 1;
}

int x86_load_bzimage(const struct x86_load_args *a, struct x86_boot *boot,
		     char *err, size_t errlen)
{
	const struct image *k = a->kernel;
	struct boot_params bp;
	struct bz_layout l;
	int rc;

	rc = read_header(k, &bp, err, errlen);
	if (!rc)
		rc = plan_kernel(a, &bp, &l, err, errlen);
	if (rc)
		return rc;
	bp.hdr.code32_start = (uint32_t)X86_KERNEL_ADDR;
	rc = x86_linux_boot_params(a, &bp, l.kernel_end, initrd_limit(&bp.hdr),
				   bp.hdr.cmdline_size, err, errlen);
	if (rc)
		return rc;
	if (guest_mem_write(a->mem, X86_KERNEL_ADDR, k->data + l.setup_size,
			    l.payload)) {
		snprintf(err, errlen, "%s: cannot copy the kernel to 0x%llx",
			 image_name(k), (unsigned long long)X86_KERNEL_ADDR);
		return -EFAULT;
	}
	boot->mode = X86_BOOT_LINUX64;
	boot->entry = X86_KERNEL_ADDR + BP_ENTRY64_OFFSET;
	boot->info = X86_ZERO_PAGE_ADDR;
	return 0;
}
