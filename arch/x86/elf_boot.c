/* elf_boot.c: boots ELF kernels: PVH through the Xen PHYS32_ENTRY note, else the 64-bit Linux entry. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bootparam.h"
#include "elf_image.h"
#include "util.h"
#include "x86.h"

#define EM_386_ID	    3
#define EM_X86_64_ID	    62
#define VMLINUX_ALIGNMENT   0x1000000 /* kernel_alignment, as Firecracker */

/*
 * PVH page at X86_PVH_INFO_ADDR: hvm_start_info, then the memory map, then
 * the one module entry (the initrd); at most 56 + 128 * 24 + 32 bytes.
 */
#define PVH_MEMMAP_ADDR (X86_PVH_INFO_ADDR + sizeof(struct hvm_start_info))
#define PVH_MODLIST_ADDR                                                      \
	(PVH_MEMMAP_ADDR + E820_MAX * sizeof(struct hvm_memmap_table_entry))

_Static_assert(PVH_MODLIST_ADDR + sizeof(struct hvm_modlist_entry) <=
		       X86_ZERO_PAGE_ADDR,
	       "PVH start info fits in its page");

static const char *image_name(const struct image *img)
{
	return img->path ? img->path : "kernel";
}

/* Every segment inside RAM at or above 1 MiB; *end = highest end. */
static int check_placement(const struct x86_load_args *a,
			   const struct elf_info *info, uint64_t *end,
			   char *err, size_t errlen)
{
	*end = X86_HIGH_START;
	for (unsigned int i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];

		if (s->paddr < X86_HIGH_START ||
		    (s->memsz && !guest_mem_ptr(a->mem, s->paddr, s->memsz))) {
			snprintf(err, errlen,
				 "%s: segment at 0x%llx (0x%llx bytes) is not "
				 "in RAM above 1 MiB",
				 image_name(a->kernel),
				 (unsigned long long)s->paddr,
				 (unsigned long long)s->memsz);
			return -ENOSPC;
		}
		*end = MAX(*end, s->paddr + s->memsz);
	}
	return 0;
}

static void load_segments(const struct x86_load_args *a,
			  const struct elf_info *info)
{
	for (unsigned int i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];
		uint8_t *dst = guest_mem_ptr(a->mem, s->paddr, s->memsz);

		if (!dst)
			continue; /* memsz 0 */
		memcpy(dst, a->kernel->data + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
}

static bool in_paddr_range(const struct elf_info *info, uint64_t addr)
{
	for (unsigned int i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];

		if (addr >= s->paddr && addr - s->paddr < s->memsz)
			return true;
	}
	return false;
}

/* The 64-bit entry: as is inside a segment's paddr range, else translated
 * through the segment whose vaddr range holds it (a high kernel address). */
static int phys_entry(const struct elf_info *info, uint64_t *entry)
{
	if (in_paddr_range(info, *entry))
		return 0;
	for (unsigned int i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];

		if (*entry >= s->vaddr && *entry - s->vaddr < s->memsz) {
			*entry = *entry - s->vaddr + s->paddr;
			return 0;
		}
	}
	return -EINVAL;
}

static void put_memmap(struct hvm_memmap_table_entry *mm,
		       const struct e820_entry *e820, int n)
{
	for (int i = 0; i < n; i++) {
		mm[i].addr = e820[i].addr;
		mm[i].size = e820[i].size;
		mm[i].type = e820[i].type;
		mm[i].reserved = 0;
	}
}

static int write_start_info(const struct x86_load_args *a, uint64_t rd,
			    char *err, size_t errlen)
{
	struct e820_entry e820[E820_MAX];
	struct hvm_start_info si = {
		.magic = XEN_HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = X86_CMDLINE_ADDR,
		.memmap_paddr = PVH_MEMMAP_ADDR,
	};
	struct hvm_modlist_entry mod = { .paddr = rd };
	uint8_t *page = guest_mem_ptr(a->mem, X86_PVH_INFO_ADDR, 4 * KiB);
	int n = x86_build_e820(a->mem, e820, E820_MAX);

	if (n < 0 || !page) {
		snprintf(err, errlen, "cannot build the PVH memory map (%d)", n);
		return n < 0 ? n : -EFAULT;
	}
	si.memmap_entries = (uint32_t)n;
	if (rd) {
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST_ADDR;
		mod.size = a->initrd->size;
	}
	memset(page, 0, 4 * KiB);
	memcpy(page, &si, sizeof(si));
	put_memmap((void *)(page + (PVH_MEMMAP_ADDR - X86_PVH_INFO_ADDR)),
		   e820, n);
	memcpy(page + (PVH_MODLIST_ADDR - X86_PVH_INFO_ADDR), &mod, sizeof(mod));
	return 0;
}

static int boot_pvh(const struct x86_load_args *a, uint64_t kernel_end,
		    char *err, size_t errlen)
{
	uint64_t rd;
	int rc;

	rc = x86_write_cmdline(a->mem, a->cmdline, X86_CMDLINE_MAX, err, errlen);
	if (!rc)
		rc = x86_load_initrd(a, kernel_end, 4 * GiB, &rd, err, errlen);
	if (!rc)
		rc = write_start_info(a, rd, err, errlen);
	return rc;
}

/* A zero page built from scratch, as for a vmlinux without setup code. */
static int boot_linux64(const struct x86_load_args *a, uint64_t kernel_end,
			char *err, size_t errlen)
{
	struct boot_params bp;

	memset(&bp, 0, sizeof(bp));
	bp.hdr.boot_flag = BP_BOOT_FLAG;
	bp.hdr.header = BP_HDRS_MAGIC;
	bp.hdr.version = BP_PROTO_64BIT;
	bp.hdr.kernel_alignment = VMLINUX_ALIGNMENT;
	bp.hdr.cmdline_size = X86_CMDLINE_MAX - 1;
	return x86_linux_boot_params(a, &bp, kernel_end, 4 * GiB,
				     X86_CMDLINE_MAX - 1, err, errlen);
}

/* The PHYS32_ENTRY note: -ENOENT when absent, else 0 and the entry. */
static int pvh_entry(const struct image *k, uint64_t *entry, char *err,
		     size_t errlen)
{
	const uint8_t *desc;
	size_t len;
	int rc = elf_image_find_note(k->data, k->size, "Xen",
				     XEN_ELFNOTE_PHYS32_ENTRY, &desc, &len);

	if (rc == -ENOENT)
		return rc;
	if (!rc && len != 4 && len != 8)
		rc = -EINVAL;
	if (!rc)
		*entry = len == 4 ? get_le32(desc) : get_le64(desc);
	if (!rc && *entry >= 4 * GiB)
		rc = -EINVAL;
	if (rc)
		snprintf(err, errlen, "%s: malformed ELF notes or Xen "
			 "PHYS32_ENTRY note", image_name(k));
	return rc;
}

static int check_machine(const struct image *k, const struct elf_info *info,
			 bool pvh, char *err, size_t errlen)
{
	if (info->machine == EM_X86_64_ID && (pvh || info->elf_class == 64))
		return 0;
	if (info->machine == EM_386_ID && pvh)
		return 0;
	if (info->machine == EM_386_ID)
		snprintf(err, errlen,
			 "%s: 32-bit i386 ELF without a Xen PVH entry note "
			 "cannot boot (need ELF64 x86-64 or PVH)",
			 image_name(k));
	else if (info->machine == EM_X86_64_ID)
		snprintf(err, errlen,
			 "%s: ELF32 x86-64 kernel without a Xen PVH entry note "
			 "cannot boot", image_name(k));
	else
		snprintf(err, errlen,
			 "%s: ELF machine %u is not x86 (need EM_X86_64)",
			 image_name(k), info->machine);
	return -EINVAL;
}

/* PVH entries must be physical already; a 64-bit e_entry may be virtual. */
static int check_entry(const struct image *k, const struct elf_info *info,
		       bool pvh, uint64_t *entry, char *err, size_t errlen)
{
	if (pvh ? in_paddr_range(info, *entry) : !phys_entry(info, entry))
		return 0;
	snprintf(err, errlen,
		 "%s: entry point 0x%llx is outside the loadable segments",
		 image_name(k), (unsigned long long)*entry);
	return -EINVAL;
}

int x86_load_elf(const struct x86_load_args *a, struct x86_boot *boot,
		 char *err, size_t errlen)
{
	const struct image *k = a->kernel;
	struct elf_info info;
	uint64_t entry = 0, end;
	bool pvh;
	int rc;

	rc = elf_image_parse(k->data, k->size, &info, err, errlen);
	if (rc) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", image_name(k), why);
		return rc;
	}
	rc = pvh_entry(k, &entry, err, errlen);
	if (rc && rc != -ENOENT)
		return rc;
	pvh = rc == 0;
	rc = check_machine(k, &info, pvh, err, errlen);
	if (rc)
		return rc;
	rc = check_placement(a, &info, &end, err, errlen);
	if (rc)
		return rc;
	if (!pvh)
		entry = info.entry;
	rc = check_entry(k, &info, pvh, &entry, err, errlen);
	if (!rc)
		rc = pvh ? boot_pvh(a, end, err, errlen)
			 : boot_linux64(a, end, err, errlen);
	if (rc)
		return rc;
	load_segments(a, &info);
	boot->mode = pvh ? X86_BOOT_PVH : X86_BOOT_LINUX64;
	boot->entry = entry;
	boot->info = pvh ? X86_PVH_INFO_ADDR : X86_ZERO_PAGE_ADDR;
	return 0;
}
