/* image.h: the riscv Linux Image format: header parsing and validation, placement in guest RAM, loading. */
#ifndef MINIVMM_RISCV_IMAGE_H
#define MINIVMM_RISCV_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

struct image;

/* The 64-byte little-endian header (Documentation/arch/riscv/boot-image-header.rst). */
#define RISCV_IMAGE_HDR_SIZE	    64
#define RISCV_IMAGE_OFF_TEXT_OFFSET 8
#define RISCV_IMAGE_OFF_IMAGE_SIZE  16
#define RISCV_IMAGE_OFF_FLAGS	    24
#define RISCV_IMAGE_OFF_VERSION	    32
#define RISCV_IMAGE_OFF_MAGIC	    48 /* u64 "RISCV\0\0\0", deprecated */
#define RISCV_IMAGE_OFF_MAGIC2	    56 /* u32 "RSC\x05", header 0.2+ */
#define RISCV_IMAGE_OFF_PE	    60
#define RISCV_IMAGE_MAGIC	    0x5643534952ULL /* "RISCV" */
#define RISCV_IMAGE_MAGIC2	    0x05435352U	    /* "RSC\x05" */
#define RISCV_IMAGE_FLAG_BE	    0x1ULL
#define RISCV_IMAGE_VERSION(major, minor) ((uint32_t)(major) << 16 | (minor))
/* The kernel must start on a PMD boundary (2 MiB on rv64): the base is
 * 2 MiB aligned and text_offset a 2 MiB multiple (0x200000 in practice). */
#define RISCV_IMAGE_ALIGN	    0x200000ULL

struct riscv_image {
	uint64_t text_offset; /* load address = 2 MiB-aligned base + this */
	uint64_t image_size;  /* bytes the kernel uses from its load address */
	uint64_t flags;
	uint32_t version;     /* major << 16 | minor */
	uint32_t pe_offset;   /* PE header of an EFI stub kernel, else 0 */
	bool has_magic2;      /* "RSC\x05" present (header 0.2 or later) */
	uint64_t load;	      /* set by riscv_image_place */
	uint64_t end;	      /* load + image_size */
};

/* Does the file start with a riscv Image header (size and either magic)? */
bool riscv_image_probe(const struct image *k);
/* Validate the header. -EINVAL with a one-line reason for a truncated or
 * corrupt header (no magic, version 0.2+ without magic2, image_size 0 or
 * smaller than the file, text_offset not a 2 MiB multiple, bad PE offset)
 * or a big-endian kernel. */
int riscv_image_parse(const struct image *k, struct riscv_image *img,
		      char *err, size_t errlen);
/* Load address in RAM [ram_base, ram_base + ram_size): text_offset above
 * the lowest 2 MiB-aligned base. -ENOSPC with a reason if it does not fit. */
int riscv_image_place(struct riscv_image *img, uint64_t ram_base,
		      uint64_t ram_size, char *err, size_t errlen);
/* Copy the placed kernel into guest RAM. -EFAULT with a reason. */
int riscv_image_load(const struct guest_mem *mem, const struct image *k,
		     const struct riscv_image *img, char *err, size_t errlen);

#endif
