/* test_bzimage.c: the bzImage loader, format probing and the flat loader on synthetic images. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bootparam.h"
#include "fake_mem.h"
#include "unit.h"
#include "x86.h"

#define PAYLOAD_LEN 0x3000

struct bz_opts {
	uint8_t setup_sects;
	uint16_t version;
	uint16_t xloadflags;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint64_t pref_address;
	uint8_t jump_len;
};

static struct bz_opts default_opts(void)
{
	return (struct bz_opts){
		.setup_sects = 4,
		.version = 0x020f,
		.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G,
		.init_size = 0x400000,
		.initrd_addr_max = 0x7fffffff,
		.cmdline_size = 2047,
		.pref_address = 0,
		.jump_len = 0x6a,
	};
}

static uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* A bzImage: boot sector + setup sectors, then the protected-mode kernel. */
static uint8_t *make_bz(const struct bz_opts *o, size_t *size)
{
	unsigned int sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512;
	uint8_t *b = calloc(1, setup + PAYLOAD_LEN);

	b[0x1f1] = o->setup_sects;
	put_le16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = o->jump_len;
	memcpy(b + 0x202, "HdrS", 4);
	put_le16(b + 0x206, o->version);
	b[0x211] = 0x01;
	put_le32(b + 0x22c, o->initrd_addr_max);
	put_le32(b + 0x230, 0x200000);
	b[0x234] = 1;
	put_le16(b + 0x236, o->xloadflags);
	put_le32(b + 0x238, o->cmdline_size);
	put_le64(b + 0x258, o->pref_address);
	put_le32(b + 0x260, o->init_size);
	memset(b + 0x26c, 0x5a, 0x24); /* past the header: must not be copied */
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		b[setup + i] = payload_byte(i);
	*size = setup + PAYLOAD_LEN;
	return b;
}

struct run {
	struct guest_mem mem;
	struct image kernel, initrd;
	struct x86_load_args args;
	struct x86_boot boot;
	char err[256];
};

static void run_init(struct run *r, uint64_t ram, uint8_t *kernel,
		     size_t ksize, const uint8_t *initrd, size_t rsize,
		     const char *cmdline)
{
	memset(r, 0, sizeof(*r));
	fake_mem_layout(&r->mem, ram, true);
	r->kernel = (struct image){ kernel, ksize, "bz" };
	r->initrd = (struct image){ initrd, rsize, "rd" };
	r->args = (struct x86_load_args){ &r->mem, &r->kernel, &r->initrd,
					  cmdline, 1 };
}

static int load(struct run *r)
{
	r->err[0] = '\0';
	return x86_load_bzimage(&r->args, &r->boot, r->err, sizeof(r->err));
}

static const struct boot_params *zero_page(const struct run *r)
{
	return (const void *)fake_mem_at(&r->mem, X86_ZERO_PAGE_ADDR);
}

static void test_valid(void)
{
	struct bz_opts o = default_opts();
	size_t ksize, rsize = 100000;
	uint8_t *k = make_bz(&o, &ksize), *rd = malloc(rsize);
	const struct boot_params *bp;
	uint64_t at = ALIGN_DOWN(64 * MiB - rsize, 4096);
	struct run r;
	bool same = true;

	for (size_t i = 0; i < rsize; i++)
		rd[i] = (uint8_t)(i ^ 0x55);
	run_init(&r, 64 * MiB, k, ksize, rd, rsize, "console=ttyS0 quiet");
	CHECK_EQ(load(&r), 0);
	CHECK_EQ(r.boot.mode, X86_BOOT_LINUX64);
	CHECK_EQ(r.boot.entry, 0x100200);
	CHECK_EQ(r.boot.info, X86_ZERO_PAGE_ADDR);
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		same &= fake_mem_at(&r.mem, 0x100000 + i)[0] == payload_byte(i);
	CHECK(same);
	bp = zero_page(&r);
	CHECK_EQ(bp->hdr.setup_sects, 4);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags, 0x81);
	CHECK_EQ(bp->hdr.heap_end_ptr, 0xfe00);
	CHECK_EQ(bp->hdr.cmd_line_ptr, 0x20000);
	CHECK_EQ(bp->hdr.code32_start, 0x100000);
	CHECK_EQ(bp->hdr.init_size, 0x400000);
	CHECK_EQ(bp->hdr.ramdisk_image, at);
	CHECK_EQ(bp->hdr.ramdisk_size, rsize);
	CHECK_EQ(bp->ext_ramdisk_image, 0);
	CHECK_EQ(bp->ext_ramdisk_size, 0);
	CHECK_EQ(((const uint8_t *)bp)[0x26c], 0); /* past the header */
	CHECK_EQ(((const uint8_t *)bp)[0x28f], 0);
	CHECK_EQ(bp->e820_entries, 4);
	CHECK_EQ(bp->e820_table[0].addr, 0);
	CHECK_EQ(bp->e820_table[0].size, 0x9e000);
	CHECK_EQ(bp->e820_table[0].type, E820_RAM);
	CHECK_EQ(bp->e820_table[2].addr, 0x100000);
	CHECK_EQ(bp->e820_table[2].size, 63 * MiB);
	CHECK(!memcmp(fake_mem_at(&r.mem, 0x20000), "console=ttyS0 quiet", 20));
	CHECK(!memcmp(fake_mem_at(&r.mem, at), rd, rsize));
	fake_mem_free(&r.mem);
	free(k);
	free(rd);
}

/* setup_sects 0 means 4; the initrd respects initrd_addr_max. */
static void test_sects_zero_and_addr_max(void)
{
	struct bz_opts o = default_opts();
	size_t ksize;
	uint8_t *k, rd[5000];
	struct run r;

	o.setup_sects = 0;
	o.initrd_addr_max = 32 * MiB - 1;
	k = make_bz(&o, &ksize);
	memset(rd, 0xab, sizeof(rd));
	run_init(&r, 64 * MiB, k, ksize, rd, sizeof(rd), "");
	CHECK_EQ(load(&r), 0);
	CHECK_EQ(fake_mem_at(&r.mem, 0x100000)[0], payload_byte(0));
	CHECK_EQ(zero_page(&r)->hdr.ramdisk_image,
		 ALIGN_DOWN(32 * MiB - sizeof(rd), 4096));
	CHECK_EQ(fake_mem_at(&r.mem, 0x20000)[0], 0);
	fake_mem_free(&r.mem);
	free(k);
}

/* With 4 GiB of RAM the initrd tops the low bank (3 GiB), not 4 GiB+. */
static void test_initrd_low_bank(void)
{
	struct bz_opts o = default_opts();
	size_t ksize;
	uint8_t *k, rd[4096 * 3];
	struct run r;

	o.initrd_addr_max = 0xffffffff;
	k = make_bz(&o, &ksize);
	run_init(&r, 4 * GiB, k, ksize, rd, sizeof(rd), "x");
	CHECK_EQ(load(&r), 0);
	CHECK_EQ(zero_page(&r)->hdr.ramdisk_image, 3 * GiB - sizeof(rd));
	fake_mem_free(&r.mem);
	free(k);
}

static int load_bad(struct bz_opts *o, uint64_t ram, size_t cut,
		    const uint8_t *rd, size_t rsize, const char *cmdline,
		    char *err)
{
	size_t ksize;
	uint8_t *k = make_bz(o, &ksize);
	struct run r;
	int rc;

	run_init(&r, ram, k, cut ? cut : ksize, rd, rsize, cmdline);
	rc = load(&r);
	strcpy(err, r.err);
	fake_mem_free(&r.mem);
	free(k);
	return rc;
}

/* A file too short for a setup header, given to the bzImage loader (as
 * --kernel-format bzimage does), ending right before an unmapped page: the
 * loader must refuse it without reading past its end (found by fuzzing). */
static void test_short_file(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct run r;

	CHECK(two != MAP_FAILED);
	if (two == MAP_FAILED)
		return;
	CHECK_EQ(mprotect(two + page, page, PROT_NONE), 0);
	memset(two + page - 64, 0x55, 64);
	run_init(&r, 64 * MiB, two + page - 64, 64, NULL, 0, "");
	CHECK_EQ(load(&r), -EINVAL);
	CHECK(strstr(r.err, "too short") != NULL);
	fake_mem_free(&r.mem);
	munmap(two, 2 * page);
}

static void test_corrupt(void)
{
	struct bz_opts o;
	char err[256];
	uint8_t *k;
	size_t ksize;
	struct run r;

	o = default_opts();
	o.version = 0x0203;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "", err), -EINVAL);
	CHECK(strstr(err, "2.03") && strstr(err, "2.12"));

	o = default_opts();
	o.xloadflags = 0;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "", err), -EINVAL);
	CHECK(strstr(err, "XLF_KERNEL_64") != NULL);

	o = default_opts();
	CHECK_EQ(load_bad(&o, 64 * MiB, 0x100, NULL, 0, "", err), -EINVAL);
	CHECK_EQ(load_bad(&o, 64 * MiB, 0x240, NULL, 0, "", err), -EINVAL);
	CHECK(strstr(err, "truncated") != NULL);

	o = default_opts();
	o.setup_sects = 200;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0x1000, NULL, 0, "", err), -EINVAL);
	CHECK(strstr(err, "setup_sects 200") != NULL);

	o = default_opts();
	o.jump_len = 0x20; /* header ends before init_size */
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "", err), -EINVAL);

	o = default_opts();
	o.init_size = 0xf0000000;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "", err), -ENOSPC);
	CHECK(strstr(err, "init_size") != NULL);

	/* Bad boot flag and bad magic. */
	o = default_opts();
	k = make_bz(&o, &ksize);
	k[0x1fe] = 0;
	run_init(&r, 64 * MiB, k, ksize, NULL, 0, "");
	CHECK_EQ(load(&r), -EINVAL);
	CHECK(strstr(r.err, "0xaa55") != NULL);
	k[0x1fe] = 0x55;
	k[0x203] = 'X';
	CHECK_EQ(load(&r), -EINVAL);
	CHECK(strstr(r.err, "HdrS") != NULL);
	fake_mem_free(&r.mem);
	free(k);
	test_short_file();
}

static void test_no_room(void)
{
	struct bz_opts o = default_opts();
	static uint8_t big[70 * MiB];
	char err[256];
	uint8_t rd[8192];

	CHECK_EQ(load_bad(&o, 64 * MiB, 0, big, sizeof(big), "", err), -ENOSPC);
	CHECK(strstr(err, "initrd (73400320 bytes) does not fit") != NULL);

	/* Kernel ends at 1 MiB + init_size (5 MiB): nothing fits below 2 MiB. */
	o.initrd_addr_max = 2 * MiB - 1;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, rd, sizeof(rd), "", err), -ENOSPC);
	CHECK(strstr(err, "kernel ends at 0x500000") != NULL);

	/* Decompressing at pref_address 16 MiB pushes the kernel's end up. */
	o = default_opts();
	o.pref_address = 16 * MiB;
	o.init_size = 8 * MiB;
	o.initrd_addr_max = 20 * MiB;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, rd, sizeof(rd), "", err), -ENOSPC);
	CHECK(strstr(err, "kernel ends at 0x1800000") != NULL);
	CHECK_EQ(load_bad(&o, 20 * MiB, 0, NULL, 0, "", err), -ENOSPC);
	CHECK(strstr(err, "pref_address") != NULL);

	o = default_opts();
	o.cmdline_size = 4;
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "abcd", err), 0);
	CHECK_EQ(load_bad(&o, 64 * MiB, 0, NULL, 0, "abcde", err), -EINVAL);
	CHECK(strstr(err, "command line") != NULL);
}

static int probe(const uint8_t *data, size_t size)
{
	struct image img = { data, size, "k" };
	char err[256];

	return x86_probe_kernel(&img, err, sizeof(err));
}

static void test_probe(void)
{
	struct bz_opts o = default_opts();
	static uint8_t flat[600 * KiB];
	uint8_t elf[64] = "\x7f" "ELF";
	size_t ksize;
	uint8_t *k = make_bz(&o, &ksize);

	CHECK_EQ(probe(k, ksize), KFMT_BZIMAGE);
	CHECK_EQ(probe(k, 0x210), -EINVAL); /* header claims up to 0x26c */
	k[0x1fe] = 0;
	CHECK_EQ(probe(k, ksize), -EINVAL); /* HdrS without the boot flag */
	CHECK_EQ(probe(elf, sizeof(elf)), KFMT_ELF);
	CHECK_EQ(probe(flat, 0), -EINVAL);
	CHECK_EQ(probe(flat, 512), KFMT_FLAT);
	CHECK_EQ(probe(flat, X86_EBDA_START - X86_REAL_LOAD_ADDR), KFMT_FLAT);
	CHECK_EQ(probe(flat, X86_EBDA_START - X86_REAL_LOAD_ADDR + 1),
		 -EINVAL);
	free(k);
}

static void test_flat(void)
{
	static uint8_t big[600 * KiB];
	uint8_t prog[] = { 0xf4, 0xeb, 0xfd };
	struct run r;

	run_init(&r, 16 * MiB, prog, sizeof(prog), NULL, 0, "hi");
	CHECK_EQ(x86_load_flat(&r.args, &r.boot, r.err, sizeof(r.err)), 0);
	CHECK_EQ(r.boot.mode, X86_BOOT_REAL);
	CHECK_EQ(r.boot.real_cs, 0x1000);
	CHECK_EQ(r.boot.real_sp, 0x8000);
	CHECK_EQ(r.boot.entry, 0);
	CHECK(!memcmp(fake_mem_at(&r.mem, 0x10000), prog, sizeof(prog)));
	CHECK(!memcmp(fake_mem_at(&r.mem, 0x20000), "hi", 3));
	r.kernel = (struct image){ big, sizeof(big), "big" };
	CHECK_EQ(x86_load_flat(&r.args, &r.boot, r.err, sizeof(r.err)),
		 -EINVAL);
	CHECK(strstr(r.err, "flat binary of 614400 bytes does not fit") !=
	      NULL);
	/* 254 vCPUs move the MP table, and the limit, below the EBDA. */
	r.kernel.size = X86_EBDA_START - X86_REAL_LOAD_ADDR;
	CHECK_EQ(x86_load_flat(&r.args, &r.boot, r.err, sizeof(r.err)), 0);
	r.args.nr_cpus = 254;
	CHECK_EQ(x86_load_flat(&r.args, &r.boot, r.err, sizeof(r.err)),
		 -EINVAL);
	fake_mem_free(&r.mem);
}

int main(void)
{
	test_valid();
	test_sects_zero_and_addr_max();
	test_initrd_low_bank();
	test_corrupt();
	test_no_room();
	test_probe();
	test_flat();
	return unit_done("bzimage");
}
