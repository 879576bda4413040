/* snapshot_file.h: the versioned snapshot file: header, CRC32C-checked sections, sparse page-aligned memory. */
#ifndef MINIVMM_SNAPSHOT_FILE_H
#define MINIVMM_SNAPSHOT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* The byte layout and the compatibility rules: docs/snapshot-format.md. */
#define SNAP_MAGIC	   "MINIVMM\0SNAPSHOT" /* 16 bytes */
#define SNAP_VERSION_MAJOR 1
#define SNAP_VERSION_MINOR 0

/* Section types; an instance number tells apart several of one type. */
enum snap_section {
	SNAP_SEC_CONFIG = 1,	/* the VM's shape: RAM size, vCPUs, devices */
	SNAP_SEC_CLOCK = 2,	/* wall-clock time of the save, clock data */
	SNAP_SEC_ARCH_VM = 3,	/* irqchip, PIT, ... (instance 0) */
	SNAP_SEC_ARCH_VCPU = 4, /* one per vCPU (instance = vCPU id) */
	SNAP_SEC_DEVICE = 5,	/* one per device, in device-list order */
	SNAP_SEC_MEMORY = 6,	/* the RAM map and page index; data follows */
	SNAP_SEC_END = 255,	/* the end marker, written by commit */
};

/* Arch ids in the header. */
enum snap_arch {
	SNAP_ARCH_X86_64 = 1,
	SNAP_ARCH_ARM64,
	SNAP_ARCH_RISCV64,
	SNAP_ARCH_LOONGARCH64
};

/* Header flags. Bits 0-15 are compatible (a reader may ignore unknown
 * ones); bits 16-31 are incompatible (a reader refuses unknown ones). */
#define SNAP_FLAG_PAGE_CRC  (1u << 0) /* each page run carries a CRC32C */
#define SNAP_FLAGS_INCOMPAT 0xffff0000u

/* Bounds a reader enforces (and a writer respects). */
#define SNAP_SECTION_MAX (64u << 20) /* payload of a non-memory section */
#define SNAP_SECTIONS_TOTAL_MAX (256u << 20) /* all of them together */
#define SNAP_MAX_BANKS	 64
#define SNAP_VERSION_LEN 64 /* vmm version string, NUL included */

struct snap_writer;
struct snap_reader;

/*
 * Writing. Everything goes to "<path>.tmp-XXXXXX" (mode 0600, same directory)
 * and is renamed over path by commit after an fsync, then the directory is
 * fsynced. Failures are logged once (pr_err, naming the path and the step)
 * and returned as -errno; the writer then refuses further work and commit
 * fails. commit and abort always free the writer, and on any failure (or
 * abort) the temporary file is removed: path is either untouched or the
 * complete new file. Only a crash of the process can leave the temporary.
 */
int snap_writer_open(struct snap_writer **w, const char *path,
		     enum snap_arch arch, const char *vmm_version,
		     uint32_t flags);
/* Types 1..254 except SNAP_SEC_MEMORY; (type, instance) must be unique;
 * len <= SNAP_SECTION_MAX. */
int snap_write_section(struct snap_writer *w, uint32_t type, uint32_t instance,
		       const void *data, size_t len);
/* The RAM (at most once): zero pages are not written; the others are
 * written in page-aligned runs so that restore can map them. The guest must
 * not run meanwhile. Shows progress on stderr if it is a tty and the RAM is
 * larger than 256 MiB. With SNAP_FLAG_PAGE_CRC each run gets a CRC32C. */
int snap_write_memory(struct snap_writer *w, const struct guest_mem *mem);
int snap_writer_commit(struct snap_writer *w); /* end marker, fsync, rename,
						  fsync dir */
void snap_writer_abort(struct snap_writer *w);

/* What the header says. */
struct snap_info {
	uint16_t major, minor;
	uint32_t arch;
	uint32_t page_size;
	uint32_t flags;
	char vmm_version[SNAP_VERSION_LEN];
};

/*
 * Reading. snap_reader_open validates the whole file before anything is
 * used: the header, every section's CRC32C, the page index, the end marker
 * (so truncation anywhere is caught); it does not read the page data.
 * Errors: -EINVAL (or -errno of a failed system call) with a message in err
 * naming the header field or the section, e.g. "section ARCH_VCPU #1
 * (offset 0x1a8): checksum mismatch". The file is opened read-only and never
 * modified. Later calls put their message in snap_reader_error().
 */
int snap_reader_open(struct snap_reader **r, const char *path,
		     enum snap_arch expect_arch, char *err, size_t errlen);
const struct snap_info *snap_reader_info(const struct snap_reader *r);
/* Finds a section (-ENOENT if absent); its data stays valid until
 * snap_reader_close. */
int snap_reader_find(struct snap_reader *r, uint32_t type, uint32_t instance,
		     const void **data, size_t *len);
/* The RAM banks recorded in the file (-ENOENT without memory, -ENOSPC if
 * more than max). */
int snap_reader_mem_layout(struct snap_reader *r, struct mem_bank *banks,
			   unsigned int max, unsigned int *nr);

#define SNAP_LOAD_COPY	 (1u << 0) /* read every saved page eagerly */
#define SNAP_LOAD_VERIFY (1u << 1) /* check the page CRCs in map mode too */

/*
 * Fills the guest RAM from the file. mem must have the recorded layout
 * (same banks, in order) and be freshly mapped, page-aligned anonymous
 * memory: pages not in the file are left alone (they are zero). Without
 * SNAP_LOAD_COPY the saved runs are mapped MAP_PRIVATE|MAP_FIXED over the
 * RAM (copy-on-write; pages are read on first touch; runs shorter than 16
 * pages are copied, to keep the number of mappings down); the page CRCs are
 * then only checked with SNAP_LOAD_VERIFY, which reads everything.
 * SNAP_LOAD_COPY reads everything and always checks the CRCs if the file has
 * them. SNAP_LOAD_VERIFY on a file without page CRCs is an error. On error
 * the RAM content is undefined.
 */
int snap_reader_load_memory(struct snap_reader *r, struct guest_mem *mem,
			    unsigned int flags);
/* The message of the last failed call on r. */
const char *snap_reader_error(const struct snap_reader *r);
void snap_reader_close(struct snap_reader *r);

/* A printable name for a section type ("ARCH_VCPU", "type 0x2a" for unknown
 * ones; buf holds at least 16 bytes). */
const char *snap_section_name(uint32_t type, char *buf, size_t len);

/* CRC32C (Castagnoli) with the usual pre/post inversion: crc32c(0, ...)
 * starts, and crc32c(crc32c(0, a), b) is the CRC of a then b. Uses the
 * CPU's CRC instructions when the arch has them (crc32c_hw). */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
/* The portable table-driven version (for tests and other arches). */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);
/* The same CRC with this CPU's instructions (arch/<arch>/crc32c.c): false,
 * with *out untouched, when the CPU or the backend has none. */
bool crc32c_hw(uint32_t crc, const void *data, size_t len, uint32_t *out);

#endif
