/* image.h: the arm64 Linux Image format: header parsing and validation (include/kimage.h places and loads it). */
#ifndef MINIVMM_ARM64_IMAGE_H
#define MINIVMM_ARM64_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

struct image;

/* The 64-byte little-endian header (Documentation/arch/arm64/booting.rst). */
#define ARM64_IMAGE_HDR_SIZE	       64
#define ARM64_IMAGE_OFF_TEXT_OFFSET    8
#define ARM64_IMAGE_OFF_IMAGE_SIZE     16
#define ARM64_IMAGE_OFF_FLAGS	       24
#define ARM64_IMAGE_OFF_MAGIC	       56
#define ARM64_IMAGE_OFF_PE	       60
#define ARM64_IMAGE_MAGIC	       0x644d5241U /* "ARM\x64" */
#define ARM64_IMAGE_LEGACY_TEXT_OFFSET 0x80000ULL  /* image_size == 0 */
#define ARM64_IMAGE_BASE_ALIGN	       0x200000ULL /* 2 MiB */
#define ARM64_IMAGE_TEXT_ALIGN	       0x1000ULL

struct arm64_image {
	uint64_t text_offset; /* load address = 2 MiB-aligned base + this */
	uint64_t image_size;  /* bytes the kernel uses from its load address */
	uint64_t flags;	      /* ARM64_IMAGE_FLAGS_* (0 for legacy images) */
	uint32_t page_size;   /* 4096, 16384, 65536; 0 when unspecified */
	uint32_t pe_offset;   /* PE header of an EFI stub kernel, else 0 */
	bool anywhere;	      /* flags bit 3: base may be anywhere in RAM */
	bool legacy;	      /* image_size was 0: a pre-3.17 kernel */
	uint64_t load;	      /* set by arm64_boot_place (kimage_place) */
	uint64_t end;	      /* load + image_size */
};

/* Does the file start with an arm64 Image header (size and magic)? */
bool arm64_image_probe(const struct image *k);
/* Validate the header. -EINVAL with a one-line reason for a truncated or
 * corrupt header, a big-endian kernel, or a file larger than image_size. */
int arm64_image_parse(const struct image *k, struct arm64_image *img, char *err,
		      size_t errlen);
#endif
