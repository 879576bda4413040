/* pvhinfo.c: the PVH boot test. pvh.S enters long mode and passes the
 * hvm_start_info from ebx; this checks the magic, memory map, command line,
 * RSDP and modules, reports them and exits with GX_PASS_PVH or GX_FAIL. */
#include "rt.h"

#define XEN_HVM_START_MAGIC 0x336ec578

void pvh_main(const u8 *si);
extern u32 pvh_entry_cr0;

static int failed;

static void fail(const char *what)
{
	printf("pvh: FAIL: %s\n", what);
	failed = 1;
}

void pvh_main(const u8 *si)
{
	u32 version, nr_modules, entries;
	u64 modlist, cmdline, rsdp, memmap;
	unsigned int ram = 0;

	serial_init();
	idt_init();
	printf("pvh: 32-bit PVH entry, ebx=%p cr0 at entry %x\n", si,
	       pvh_entry_cr0);
	if (!(pvh_entry_cr0 & 1) || (pvh_entry_cr0 & 0x80000000))
		fail("entry not in protected mode with paging off");
	if (!si || (usize)si >= 0x100000000ULL) {
		fail("ebx is not a start_info address");
		guest_exit(GX_FAIL);
	}
	printf("pvh: start_info magic %x\n", rd32(si, 0));
	if (rd32(si, 0) != XEN_HVM_START_MAGIC) {
		fail("bad hvm_start_info magic");
		guest_exit(GX_FAIL);
	}
	version = rd32(si, 4);
	nr_modules = rd32(si, 12);
	modlist = rd64(si, 16);
	cmdline = rd64(si, 24);
	rsdp = rd64(si, 32);
	memmap = rd64(si, 40);
	entries = rd32(si, 48);
	printf("pvh: version %u flags %x nr_modules %u modlist %llx cmdline "
	       "%llx rsdp %llx memmap %llx entries %u\n",
	       version, rd32(si, 8), nr_modules, modlist, cmdline, rsdp,
	       memmap, entries);

	if (version < 1 || !memmap || !entries) {
		fail("no memory map (needs start_info version 1)");
	} else {
		for (u32 i = 0; i < entries && i < 128; i++) {
			const u8 *e = (const u8 *)(usize)memmap + i * 24;

			printf("pvh: memmap [%016llx-%016llx] type %u\n",
			       rd64(e, 0), rd64(e, 0) + rd64(e, 8) - 1,
			       rd32(e, 16));
			if (rd32(e, 16) == 1)
				ram++;
		}
		printf("pvh: memmap entries %u, %u RAM\n", entries, ram);
		if (!ram)
			fail("no RAM in the memory map");
	}

	if (!cmdline)
		fail("no command line");
	else
		printf("pvh: cmdline '%s'\n", (const char *)(usize)cmdline);

	if (rsdp) {
		int sig = !memcmp((const void *)(usize)rsdp, "RSD PTR ", 8);

		printf("pvh: rsdp %s\n", sig ? "RSD PTR ok" : "bad signature");
		if (!sig)
			fail("rsdp_paddr does not point to an RSDP");
	}

	for (u32 i = 0; i < nr_modules && i < 4; i++) {
		const u8 *m = (const u8 *)(usize)modlist + i * 32;
		u64 pa = rd64(m, 0), size = rd64(m, 8);
		u32 n = size < 32 ? (u32)size : 32;

		printf("pvh: module %u at %llx size %llu '", i, pa, size);
		for (u32 j = 0; j < n; j++) {
			u8 c = ((const u8 *)(usize)pa)[j];

			putc(c >= 0x20 && c < 0x7f ? (char)c : '.');
		}
		puts("'\n");
	}
	if (failed)
		guest_exit(GX_FAIL);
	printf("pvh: all checks passed\n");
	guest_exit(GX_PASS_PVH);
}
