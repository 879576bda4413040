/* fuzz_snapshot_file.c: libFuzzer target: the snapshot reader (header, sections, page index, memory loads) and the CONFIG decoder, on fuzzer-made files whose checksums it can make right first. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "snapshot.h"
#include "snapshot_file.h"
#include "util.h"

/*
 * Input: one byte of fix-ups, then the file. Random bytes almost never
 * carry right CRC32Cs, so each set bit repairs one kind before the reader
 * sees the file, letting the fuzzer reach what lies behind the checks
 * (the page index, the loads, the CONFIG decoder); clear bits leave the
 * checks themselves to be fuzzed. The seed (seed_snapshot.c) is a
 * valid file written by minivmm's own writer, with every bit set.
 */
#define FIX_MAGIC   (1u << 0) /* magic, major, arch, page size, data offset */
#define FIX_HDR_CRC (1u << 1)
#define FIX_SEC_CRC (1u << 2) /* every section header and payload */
#define FIX_RUN_CRC (1u << 3) /* the page runs' CRCs */
#define FIX_END	    (1u << 4) /* END's file length and section count */

#define HDR_SIZE_MIN 128
#define HDR_SIZE_MAX 4096
#define SEC_HDR	     24
#define MEM_FIXED    32
#define MEM_BANK     16
#define MEM_RUN	     32
#define PAGE	     4096u
#define MAX_SECS     4096
#define LOAD_MAX     (16u << 20) /* guest RAM the loads may map */

static void fix_runs(uint8_t *f, size_t len, const uint8_t *mem, uint64_t plen)
{
	uint32_t nb = get_le32(mem);
	uint64_t nr = get_le64(mem + 8);
	const uint8_t *runs;

	if (nb > 64 || plen < MEM_FIXED + (uint64_t)nb * MEM_BANK ||
	    nr > (plen - MEM_FIXED - nb * MEM_BANK) / MEM_RUN)
		return;
	runs = mem + MEM_FIXED + nb * MEM_BANK;
	for (uint64_t i = 0; i < nr; i++) {
		uint8_t *run = (uint8_t *)runs + i * MEM_RUN;
		uint64_t count = get_le64(run + 16), off = get_le64(run + 24);

		if (count && count <= len / PAGE && off <= len &&
		    count * PAGE <= len - off)
			put_le32(run + 4, crc32c(0, f + off, count * PAGE));
	}
}

/* Walks the sections as the format lays them out, repairing as told. */
static void fix_sections(uint8_t *f, size_t len, uint64_t off, unsigned fix)
{
	uint32_t nsec = 0;

	for (unsigned int n = 0; n < MAX_SECS && off <= len - SEC_HDR; n++) {
		uint8_t *h = f + off, *p = h + SEC_HDR;
		uint32_t type = get_le32(h);
		uint64_t plen = get_le64(h + 8), next;

		if (plen > len - off - SEC_HDR)
			return;
		next = off + SEC_HDR + plen;
		if (type == SNAP_SEC_END && plen == 16 && (fix & FIX_END)) {
			put_le64(p, len);
			put_le32(p + 8, nsec);
		}
		if (type == SNAP_SEC_MEMORY && plen >= MEM_FIXED) {
			uint64_t doff = ALIGN_UP(next, (uint64_t)PAGE);
			uint64_t dlen = get_le64(p + 24);

			if (fix & FIX_MAGIC)
				put_le64(p + 16, doff);
			if (fix & FIX_RUN_CRC)
				fix_runs(f, len, p, plen);
			if (doff <= len && dlen <= len - doff)
				next = doff + dlen;
		}
		if (fix & FIX_SEC_CRC)
			put_le32(h + 20, crc32c(crc32c(0, h, 20), p, plen));
		if (type == SNAP_SEC_END)
			return;
		nsec++;
		off = next;
	}
}

static void fix_up(uint8_t *f, size_t len, unsigned int fix)
{
	uint32_t hsize;

	if (len < HDR_SIZE_MIN)
		return;
	if (fix & FIX_MAGIC) {
		memcpy(f, SNAP_MAGIC, 16);
		put_le16(f + 16, SNAP_VERSION_MAJOR);
		put_le32(f + 24, SNAP_ARCH_X86_64);
		put_le32(f + 28, PAGE);
	}
	hsize = get_le32(f + 20);
	if (hsize < HDR_SIZE_MIN || hsize > HDR_SIZE_MAX || hsize % 8 ||
	    hsize > len)
		return;
	fix_sections(f, len, hsize, fix);
	if (fix & FIX_HDR_CRC)
		put_le32(f + hsize - 4, crc32c(0, f, hsize - 4));
}

/* The loads into RAM of the recorded layout, copied and mapped. */
static void load(struct snap_reader *r)
{
	struct mem_bank banks[MEM_MAX_BANKS];
	struct guest_mem mem = {0};
	unsigned int nr;
	uint8_t *ram;
	uint64_t total = 0;

	if (snap_reader_mem_layout(r, banks, MEM_MAX_BANKS, &nr) ||
	    nr > MEM_MAX_BANKS)
		return;
	for (unsigned int i = 0; i < nr; i++) {
		if (banks[i].size > LOAD_MAX - total)
			return;
		total += banks[i].size;
	}
	for (unsigned int flags = 0; flags < 3; flags++) {
		ram = mmap(NULL, total, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ram == MAP_FAILED)
			abort();
		mem.nr = nr;
		mem.total = total;
		for (unsigned int i = 0, at = 0; i < nr;
		     at += banks[i].size, i++)
			mem.regions[i] = (struct mem_region){
			    .gpa = banks[i].gpa, .size = banks[i].size,
			    .hva = ram + at, .slot = i};
		/* 0: mapped, 1: copied (checks the page CRCs), 2: verified */
		if (snap_reader_load_memory(r, &mem, flags) &&
		    !snap_reader_error(r)[0])
			abort(); /* a failure must say why */
		munmap(ram, total);
	}
}

static void use(struct snap_reader *r)
{
	static const uint32_t types[] = {SNAP_SEC_CONFIG,  SNAP_SEC_CLOCK,
					 SNAP_SEC_ARCH_VM, SNAP_SEC_ARCH_VCPU,
					 SNAP_SEC_DEVICE,  0x2a};
	struct vm_config rec;
	const void *data;
	bool has_devices;
	size_t len;

	for (unsigned int t = 0; t < ARRAY_SIZE(types); t++)
		for (uint32_t inst = 0; inst < 4; inst++) {
			if (snap_reader_find(r, types[t], inst, &data, &len))
				continue;
			void *copy = malloc(len ? len : 1);

			if (!copy)
				abort();
			memcpy(copy, data, len); /* ASan checks the range */
			free(copy);
			if (types[t] == SNAP_SEC_CONFIG)
				snapshot_config_decode(data, len, &rec,
						       &has_devices);
		}
	load(r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERROR);
	if (sysconf(_SC_PAGESIZE) != PAGE)
		abort(); /* the fix-ups assume it */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_reader *r;
	char path[64], err[256] = "";
	uint8_t *f;
	int fd;

	if (!size)
		return 0;
	f = malloc(size - 1 ? size - 1 : 1);
	if (!f)
		abort();
	memcpy(f, data + 1, size - 1);
	fix_up(f, size - 1, data[0]);
	fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
	if (fd < 0 || write(fd, f, size - 1) != (ssize_t)(size - 1))
		abort();
	free(f);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err))) {
		if (!err[0])
			abort(); /* a refusal must say why */
	} else {
		use(r);
		snap_reader_close(r);
	}
	close(fd);
	return 0;
}
