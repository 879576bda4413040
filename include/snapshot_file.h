/* snapshot_file.h: the versioned snapshot file: header, CRC32C-checked sections, sparse page-aligned memory. */
#ifndef MINIVMM_SNAPSHOT_FILE_H
#define MINIVMM_SNAPSHOT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

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
};

/* Arch ids in the header. */
enum snap_arch { SNAP_ARCH_X86_64 = 1, SNAP_ARCH_ARM64, SNAP_ARCH_RISCV64,
		 SNAP_ARCH_LOONGARCH64 };

struct snap_writer;
struct snap_reader;

/* Writes to "<path>.tmp-<pid>" and renames over path on commit; any failure
 * (or abort) removes the temporary file, never leaving a partial file under
 * the final name. */
int snap_writer_open(struct snap_writer **w, const char *path,
		     enum snap_arch arch, uint32_t flags);
int snap_write_section(struct snap_writer *w, uint32_t type, uint32_t instance,
		       const void *data, size_t len);
/* The RAM: zero pages are not written; others are page-aligned in the file
 * so that restore can map them. Shows progress on stderr if it is a tty. */
int snap_write_memory(struct snap_writer *w, const struct guest_mem *mem);
int snap_writer_commit(struct snap_writer *w); /* fsync, rename, fsync dir */
void snap_writer_abort(struct snap_writer *w);

/* Opens and validates the whole file (header, every section's CRC32C, the
 * memory index) before anything is used. Errors: -EINVAL with a message in
 * err naming the section or field (e.g. "section 4 (vCPU 1): checksum
 * mismatch"). The file is opened read-only and never modified. */
int snap_reader_open(struct snap_reader **r, const char *path,
		     enum snap_arch expect_arch, char *err, size_t errlen);
/* Finds a section; its data stays valid until snap_reader_close. */
int snap_reader_find(struct snap_reader *r, uint32_t type, uint32_t instance,
		     const void **data, size_t *len);
/* Total RAM size and bank layout recorded in the file. */
int snap_reader_mem_layout(struct snap_reader *r, struct mem_bank *banks,
			   unsigned int max, unsigned int *nr);
/* Fills the already-mapped guest RAM (same layout) from the file: copy=false
 * maps the saved pages MAP_PRIVATE|MAP_FIXED over the RAM (copy-on-write,
 * pages read on first touch); copy=true reads them eagerly. */
int snap_reader_load_memory(struct snap_reader *r, struct guest_mem *mem,
			    bool copy);
void snap_reader_close(struct snap_reader *r);

/* CRC32C (Castagnoli), exposed for tests. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
