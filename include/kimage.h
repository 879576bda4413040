/* kimage.h: arch-independent helpers for Linux "Image" style kernels (arm64, riscv, loongarch): EFI stub PE check, placement at an aligned base + text_offset, loading. */
#ifndef MINIVMM_KIMAGE_H
#define MINIVMM_KIMAGE_H

/* Used by arch/arm64/image.c and arch/riscv/image.c after their own
 * header checks; the header formats themselves stay in the backends. */

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

struct image;

#define KIMAGE_OFF_PE 60 /* u32 PE header offset in every such header */

/* The file's name for messages ("kernel" when it has none). */
const char *kimage_name(const struct image *k);

/* An EFI stub kernel ("MZ" at offset 0) must point at a "PE\0\0" header
 * at or after hdr_size: *pe_offset gets it (0 without "MZ"). -EINVAL with
 * a reason otherwise. */
int kimage_check_pe(const struct image *k, uint32_t hdr_size,
		    uint32_t *pe_offset, char *err, size_t errlen);

/* *load = the lowest 'align'-aligned address in RAM [ram_base, +ram_size)
 * plus text_offset, with image_size bytes fitting there. -ENOSPC with a
 * reason otherwise. align is a power of two. */
int kimage_place(uint64_t ram_base, uint64_t ram_size, uint64_t align,
		 uint64_t text_offset, uint64_t image_size, uint64_t *load,
		 char *err, size_t errlen);

/* Copy the file to 'load'; image_size bytes from there must be RAM (the
 * rest, bss, is left as fresh zero pages). -EFAULT with a reason. */
int kimage_load(const struct guest_mem *mem, const struct image *k,
		uint64_t load, uint64_t image_size, char *err, size_t errlen);

#endif
