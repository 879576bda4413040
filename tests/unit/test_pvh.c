/* test_pvh.c: ELF kernels: PVH boot through the Xen note, the vmlinux 64-bit path and malformed files. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootparam.h"
#include "elf_image.h"
#include "fake_mem.h"
#include "unit.h"
#include "x86.h"

#define KPHYS	  0x1000000ULL
#define KVIRT	  0xffffffff81000000ULL
#define SEG_OFF	  0x1000
#define SEG_FILE  0x2000
#define SEG_MEM	  0x3000
#define NOTE_OFF  0x3000
#define SHDR_OFF  0x3100
#define FILE_SIZE 0x3200
#define PVH_ENTRY (KPHYS + 0x40)

enum note_where { NOTE_NONE, NOTE_SEGMENT, NOTE_SECTION };

/* An ELF64 kernel: one PT_LOAD (2 pages in the file, 3 in memory) at
 * 16 MiB / KVIRT, optionally a Xen PHYS32_ENTRY note (4-byte desc). */
static uint8_t *make_elf(enum note_where where, size_t *size)
{
	uint8_t *b = calloc(1, FILE_SIZE);
	Elf64_Ehdr *eh = (void *)b;
	Elf64_Phdr *ph = (void *)(b + sizeof(*eh));
	Elf64_Shdr *sh = (void *)(b + SHDR_OFF);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = KVIRT + 0x100;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = where == NOTE_SEGMENT ? 2 : 1;
	eh->e_shentsize = sizeof(*sh);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_OFF,
			      .p_vaddr = KVIRT, .p_paddr = KPHYS,
			      .p_filesz = SEG_FILE, .p_memsz = SEG_MEM,
			      .p_align = 0x1000 };
	for (size_t i = 0; i < SEG_FILE; i++)
		b[SEG_OFF + i] = (uint8_t)(i * 13 + 1);
	if (where != NOTE_NONE) {
		put_le32(b + NOTE_OFF, 4);
		put_le32(b + NOTE_OFF + 4, 4);
		put_le32(b + NOTE_OFF + 8, 18);
		memcpy(b + NOTE_OFF + 12, "Xen", 4);
		put_le32(b + NOTE_OFF + 16, (uint32_t)PVH_ENTRY);
	}
	if (where == NOTE_SEGMENT)
		ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF,
				      .p_filesz = 20, .p_align = 4 };
	if (where == NOTE_SECTION) {
		eh->e_shoff = SHDR_OFF;
		eh->e_shnum = 2;
		sh[1] = (Elf64_Shdr){ .sh_type = SHT_NOTE,
				      .sh_offset = NOTE_OFF, .sh_size = 20,
				      .sh_addralign = 4 };
	}
	*size = FILE_SIZE;
	return b;
}

struct run {
	struct guest_mem mem;
	struct image kernel, initrd;
	struct x86_load_args args;
	struct x86_boot boot;
	char err[256];
};

static int load(struct run *r, uint64_t ram, const uint8_t *k, size_t ksize,
		const uint8_t *rd, size_t rsize)
{
	memset(r, 0, sizeof(*r));
	fake_mem_layout(&r->mem, ram, true);
	if (guest_mem_ptr(&r->mem, KPHYS, SEG_MEM)) /* bss to clear */
		memset(fake_mem_at(&r->mem, KPHYS), 0xcc, SEG_MEM);
	r->kernel = (struct image){ k, ksize, "vmlinux" };
	r->initrd = (struct image){ rd, rsize, "rd" };
	r->args = (struct x86_load_args){ &r->mem, &r->kernel, &r->initrd,
					  "root=/dev/vda", 2 };
	return x86_load_elf(&r->args, &r->boot, r->err, sizeof(r->err));
}

static bool segment_loaded(const struct run *r, const uint8_t *k)
{
	const uint8_t *g = fake_mem_at(&r->mem, KPHYS);

	if (memcmp(g, k + SEG_OFF, SEG_FILE))
		return false;
	for (size_t i = SEG_FILE; i < SEG_MEM; i++)
		if (g[i])
			return false;
	return true;
}

static void check_memmap(const struct run *r, const struct hvm_start_info *si)
{
	struct e820_entry e820[E820_MAX];
	int n = x86_build_e820(&r->mem, e820, E820_MAX);
	const struct hvm_memmap_table_entry *mm;

	CHECK_EQ(si->memmap_entries, n);
	CHECK_EQ(si->memmap_paddr, X86_PVH_INFO_ADDR + 56);
	mm = (const void *)fake_mem_at(&r->mem, si->memmap_paddr);
	for (int i = 0; i < n; i++) {
		CHECK_EQ(mm[i].addr, e820[i].addr);
		CHECK_EQ(mm[i].size, e820[i].size);
		CHECK_EQ(mm[i].type, e820[i].type);
		CHECK_EQ(mm[i].reserved, 0);
	}
}

static void test_pvh(enum note_where where)
{
	size_t ksize, rsize = 10000;
	uint8_t *k = make_elf(where, &ksize), *rd = malloc(rsize);
	const struct hvm_start_info *si;
	const struct hvm_modlist_entry *mod;
	struct run r;

	memset(rd, 0x3c, rsize);
	CHECK_EQ(load(&r, 256 * MiB, k, ksize, rd, rsize), 0);
	CHECK_EQ(r.boot.mode, X86_BOOT_PVH);
	CHECK_EQ(r.boot.entry, PVH_ENTRY);
	CHECK_EQ(r.boot.info, X86_PVH_INFO_ADDR);
	CHECK(segment_loaded(&r, k));
	si = (const void *)fake_mem_at(&r.mem, X86_PVH_INFO_ADDR);
	CHECK_EQ(si->magic, 0x336ec578);
	CHECK_EQ(si->version, 1);
	CHECK_EQ(si->flags, 0);
	CHECK_EQ(si->cmdline_paddr, X86_CMDLINE_ADDR);
	CHECK_EQ(si->rsdp_paddr, 0);
	CHECK(!strcmp((char *)fake_mem_at(&r.mem, X86_CMDLINE_ADDR),
		      "root=/dev/vda"));
	check_memmap(&r, si);
	CHECK_EQ(si->memmap_entries, 4);
	CHECK_EQ(si->nr_modules, 1);
	mod = (const void *)fake_mem_at(&r.mem, si->modlist_paddr);
	CHECK_EQ(mod->paddr, ALIGN_DOWN(256 * MiB - rsize, 4096));
	CHECK_EQ(mod->size, rsize);
	CHECK_EQ(mod->cmdline_paddr, 0);
	CHECK(!memcmp(fake_mem_at(&r.mem, mod->paddr), rd, rsize));
	CHECK(si->modlist_paddr + sizeof(*mod) <= X86_PVH_INFO_ADDR + 4096);
	fake_mem_free(&r.mem);
	free(k);
	free(rd);
}

/* 8 GiB: the PVH initrd stays below 4 GiB (top of the 3 GiB bank). */
static void test_pvh_big_ram_no_initrd(void)
{
	size_t ksize;
	uint8_t *k = make_elf(NOTE_SEGMENT, &ksize), rd[4096];
	const struct hvm_start_info *si;
	struct run r;

	CHECK_EQ(load(&r, 8 * GiB, k, ksize, rd, sizeof(rd)), 0);
	si = (const void *)fake_mem_at(&r.mem, X86_PVH_INFO_ADDR);
	CHECK_EQ(((const struct hvm_modlist_entry *)fake_mem_at(
			  &r.mem, si->modlist_paddr))->paddr,
		 3 * GiB - 4096);
	CHECK_EQ(si->memmap_entries, 5);
	fake_mem_free(&r.mem);
	CHECK_EQ(load(&r, 64 * MiB, k, ksize, NULL, 0), 0);
	si = (const void *)fake_mem_at(&r.mem, X86_PVH_INFO_ADDR);
	CHECK_EQ(si->nr_modules, 0);
	CHECK_EQ(si->modlist_paddr, 0);
	fake_mem_free(&r.mem);
	free(k);
}

static void test_linux64(void)
{
	size_t ksize;
	uint8_t *k = make_elf(NOTE_NONE, &ksize), rd[3000];
	const struct boot_params *bp;
	struct run r;

	CHECK_EQ(load(&r, 128 * MiB, k, ksize, rd, sizeof(rd)), 0);
	CHECK_EQ(r.boot.mode, X86_BOOT_LINUX64);
	CHECK_EQ(r.boot.entry, KPHYS + 0x100);
	CHECK_EQ(r.boot.info, X86_ZERO_PAGE_ADDR);
	CHECK(segment_loaded(&r, k));
	bp = (const void *)fake_mem_at(&r.mem, X86_ZERO_PAGE_ADDR);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.version, 0x020c);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	CHECK_EQ(bp->hdr.kernel_alignment, 0x1000000);
	CHECK_EQ(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
	CHECK_EQ(bp->hdr.ramdisk_image, ALIGN_DOWN(128 * MiB - 3000, 4096));
	CHECK_EQ(bp->hdr.ramdisk_size, 3000);
	CHECK_EQ(bp->e820_entries, 4);
	CHECK_EQ(bp->e820_table[2].addr + bp->e820_table[2].size, 128 * MiB);
	fake_mem_free(&r.mem);

	/* A physical e_entry is taken as is. */
	((Elf64_Ehdr *)k)->e_entry = KPHYS + 0x200;
	CHECK_EQ(load(&r, 128 * MiB, k, ksize, NULL, 0), 0);
	CHECK_EQ(r.boot.entry, KPHYS + 0x200);
	fake_mem_free(&r.mem);
	free(k);
}

static int load_bad(const uint8_t *k, size_t ksize, uint64_t ram, char *err)
{
	struct run r;
	int rc = load(&r, ram, k, ksize, NULL, 0);

	strcpy(err, r.err);
	fake_mem_free(&r.mem);
	return rc;
}

static void test_malformed(void)
{
	size_t ksize;
	uint8_t *k = make_elf(NOTE_SEGMENT, &ksize);
	Elf64_Ehdr *eh = (void *)k;
	Elf64_Phdr *ph = (void *)(k + sizeof(*eh));
	char err[256];

	ph[0].p_offset = FILE_SIZE - 0x100; /* segment beyond the file */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "outside the file") != NULL);
	ph[0].p_offset = SEG_OFF;

	ph[0].p_memsz = SEG_FILE - 1;
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "exceeds memory size") != NULL);
	ph[0].p_memsz = SEG_MEM;

	/* Two overlapping PT_LOADs (the note becomes a load segment). */
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_OFF,
			      .p_paddr = KPHYS + 0x2000, .p_filesz = 0x100,
			      .p_memsz = 0x1000 };
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "overlap") != NULL);
	ph[1].p_paddr = KPHYS + SEG_MEM; /* adjacent is fine */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), 0);
	free(k);

	k = make_elf(NOTE_SEGMENT, &ksize);
	eh = (void *)k;
	ph = (void *)(k + sizeof(*eh));
	eh->e_machine = EM_AARCH64;
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "machine 183") != NULL);
	eh->e_machine = EM_X86_64;

	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;

	CHECK_EQ(load_bad(k, 40, 64 * MiB, err), -EINVAL); /* truncated */

	eh->e_phnum = 250; /* program headers past the end of the file */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	eh->e_phnum = 2;

	ph[0].p_paddr = 0x80000; /* below 1 MiB */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -ENOSPC);
	ph[0].p_paddr = KPHYS;
	CHECK_EQ(load_bad(k, ksize, 16 * MiB, err), -ENOSPC); /* past RAM */

	put_le32(k + NOTE_OFF, 0x7fffffff); /* namesz past the segment */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	put_le32(k + NOTE_OFF, 4);

	put_le32(k + NOTE_OFF + 16, 0x200000); /* PVH entry not loaded */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "entry point") != NULL);
	free(k);

	k = make_elf(NOTE_NONE, &ksize);
	((Elf64_Ehdr *)k)->e_entry = 0x12345; /* in no segment */
	CHECK_EQ(load_bad(k, ksize, 64 * MiB, err), -EINVAL);
	free(k);
}

/* ELF32: only with a PVH note. */
static void test_elf32(void)
{
	uint8_t b[0x200] = { 0 };
	Elf32_Ehdr *eh = (void *)b;
	Elf32_Phdr *ph = (void *)(b + sizeof(*eh));
	char err[256];
	struct run r;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x100000;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0x100,
			      .p_paddr = 0x100000, .p_filesz = 0x80,
			      .p_memsz = 0x1000 };
	CHECK_EQ(load_bad(b, sizeof(b), 64 * MiB, err), -EINVAL);
	CHECK(strstr(err, "i386") != NULL);

	eh->e_phnum = 2;
	ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = 0x180,
			      .p_filesz = 24, .p_align = 4 };
	put_le32(b + 0x180, 4);
	put_le32(b + 0x184, 8); /* 8-byte descriptor */
	put_le32(b + 0x188, 18);
	memcpy(b + 0x18c, "Xen", 4);
	put_le64(b + 0x190, 0x100010);
	CHECK_EQ(load(&r, 64 * MiB, b, sizeof(b), NULL, 0), 0);
	CHECK_EQ(r.boot.mode, X86_BOOT_PVH);
	CHECK_EQ(r.boot.entry, 0x100010);
	fake_mem_free(&r.mem);
}

static void test_elf_image(void)
{
	size_t ksize;
	uint8_t *k = make_elf(NOTE_SEGMENT, &ksize);
	struct elf_info info;
	const uint8_t *desc;
	size_t len;
	char err[256];

	CHECK_EQ(elf_image_parse(k, ksize, &info, err, sizeof(err)), 0);
	CHECK_EQ(info.elf_class, 64);
	CHECK_EQ(info.machine, EM_X86_64);
	CHECK_EQ(info.nr_segs, 1);
	CHECK_EQ(info.segs[0].vaddr, KVIRT);
	CHECK_EQ(info.segs[0].memsz, SEG_MEM);
	CHECK_EQ(elf_image_find_note(k, ksize, "Xen", 18, &desc, &len), 0);
	CHECK(desc == k + NOTE_OFF + 16);
	CHECK_EQ(len, 4);
	CHECK_EQ(elf_image_find_note(k, ksize, "Xen", 17, &desc, &len),
		 -ENOENT);
	CHECK_EQ(elf_image_find_note(k, ksize, "Xe", 18, &desc, &len),
		 -ENOENT);
	CHECK_EQ(elf_image_find_note(k, 3, "Xen", 18, &desc, &len), -EINVAL);
	free(k);

	/* More than ELF_IMAGE_MAX_SEGS loadable segments. */
	k = make_elf(NOTE_NONE, &ksize);
	((Elf64_Ehdr *)k)->e_phnum = ELF_IMAGE_MAX_SEGS + 1;
	for (int i = 0; i <= ELF_IMAGE_MAX_SEGS; i++)
		((Elf64_Phdr *)(k + 64))[i] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_paddr = KPHYS + i * 0x1000,
			.p_memsz = 0x1000 };
	CHECK_EQ(elf_image_parse(k, ksize, &info, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "more than 32") != NULL);
	free(k);
}

int main(void)
{
	test_pvh(NOTE_SEGMENT);
	test_pvh(NOTE_SECTION);
	test_pvh_big_ram_no_initrd();
	test_linux64();
	test_malformed();
	test_elf32();
	test_elf_image();
	return unit_done("pvh");
}
