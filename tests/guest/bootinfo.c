/* bootinfo.c: the bzImage and ELF64 (64-bit entry) boot test. Checks what
 * the 64-bit boot protocol hands over in rsi: boot_params with the setup
 * header, command line, e820 map and initrd; reports them on the serial port
 * and exits through the exit port: GX_PASS_BZIMAGE when the setup header is
 * this test's own bzImage header, GX_PASS_ELF64 otherwise, GX_FAIL on error. */
#include "rt.h"

#define HDRS 0x53726448

void main64(const u8 *bp);
extern char _end[];

static int failed;

static void fail(const char *what)
{
	printf("bootinfo: FAIL: %s\n", what);
	failed = 1;
}

static void print_bytes(const char *tag, const u8 *p, u32 n)
{
	printf("bootinfo: initrd %s '", tag);
	for (u32 i = 0; i < n; i++) {
		u8 c = p[i];

		putc(c >= 0x20 && c < 0x7f ? (char)c : '.');
	}
	puts("'\n");
}

static int in_ram(const u8 *bp, u64 addr, u64 size)
{
	unsigned int n = rd8(bp, BP_E820_ENTRIES);

	for (unsigned int i = 0; i < n && i < 128; i++) {
		const u8 *e = bp + BP_E820_TABLE + i * 20;

		if (rd32(e, 16) == 1 && addr >= rd64(e, 0) &&
		    addr + size <= rd64(e, 0) + rd64(e, 8))
			return 1;
	}
	return 0;
}

void main64(const u8 *bp)
{
	u64 cl, rd, rd_size, rip;
	int bz;

	serial_init();
	idt_init();
	__asm__ volatile("lea 0(%%rip), %0" : "=r"(rip));
	printf("bootinfo: 64-bit entry, rsi=%p rip=%llx\n", bp, rip);
	if (!bp || (usize)bp >= 0x100000) {
		fail("rsi does not point to boot_params in low memory");
		guest_exit(GX_FAIL);
	}
	bz = rd32(bp, BP_HEADER) == HDRS && rd16(bp, BP_ROOT_DEV) == 0x4d56;
	printf("bootinfo: header %s version %x boot_flag %x loader %x "
	       "loadflags %x xloadflags %x setup_sects %u\n",
	       rd32(bp, BP_HEADER) == HDRS ? "HdrS" : "none",
	       rd16(bp, BP_VERSION), rd16(bp, BP_BOOT_FLAG),
	       rd8(bp, BP_TYPE_OF_LOADER), rd8(bp, BP_LOADFLAGS),
	       rd16(bp, BP_XLOADFLAGS), rd8(bp, BP_SETUP_SECTS));
	printf("bootinfo: format %s\n", bz ? "bzimage" : "elf64");
	if (bz) {
		if (rd16(bp, BP_VERSION) != 0x020f)
			fail("setup header version is not the file's 0x020f");
		if (!(rd16(bp, BP_XLOADFLAGS) & 1))
			fail("xloadflags lost XLF_KERNEL_64");
		if (rd16(bp, BP_BOOT_FLAG) != 0xaa55)
			fail("boot_flag is not 0xaa55");
		if (rd8(bp, BP_TYPE_OF_LOADER) == 0)
			fail("type_of_loader not set by the loader");
	}

	cl = rd32(bp, BP_CMD_LINE_PTR) |
	     ((u64)rd32(bp, BP_EXT_CMD_LINE_PTR) << 32);
	if (!cl) {
		fail("no command line (cmd_line_ptr is 0)");
	} else {
		printf("bootinfo: cmdline at %llx: '%s'\n", cl,
		       (const char *)(usize)cl);
		if (bz && strlen((const char *)(usize)cl) >
				  rd32(bp, BP_CMDLINE_SIZE))
			fail("command line longer than cmdline_size");
	}

	if (print_e820(bp) == 0)
		fail("no RAM in the e820 map");
	if (!in_ram(bp, 0x100000, (u64)(usize)_end - 0x100000))
		fail("the kernel image is not in e820 RAM");

	rd = rd32(bp, BP_RAMDISK_IMAGE) |
	     ((u64)rd32(bp, BP_EXT_RAMDISK_IMAGE) << 32);
	rd_size = rd32(bp, BP_RAMDISK_SIZE) |
		  ((u64)rd32(bp, BP_EXT_RAMDISK_SIZE) << 32);
	printf("bootinfo: initrd at %llx size %llu\n", rd, rd_size);
	if (rd_size) {
		const u8 *p = (const u8 *)(usize)rd;
		u32 n = rd_size < 32 ? (u32)rd_size : 32;

		if (rd & 0xfff)
			fail("initrd is not page aligned");
		if (rd < (u64)(usize)_end)
			fail("initrd overlaps the kernel");
		if (!in_ram(bp, rd, rd_size))
			fail("initrd is not in e820 RAM");
		if (rd + rd_size > 0x80000000ULL)
			fail("initrd is above initrd_addr_max");
		print_bytes("head", p, n);
		print_bytes("tail", p + rd_size - n, n);
	}
	if (failed)
		guest_exit(GX_FAIL);
	printf("bootinfo: all checks passed\n");
	guest_exit(bz ? GX_PASS_BZIMAGE : GX_PASS_ELF64);
}
