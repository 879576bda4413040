/* fdt_builder.h: arch-independent sequential device-tree writer over libfdt that records the first error and where it happened, and --dump-dtb. */
#ifndef MINIVMM_FDT_BUILDER_H
#define MINIVMM_FDT_BUILDER_H

/*
 * Nothing here is riscv-specific: it is written to move to vmm/fdt_builder.c
 * and include/fdt_builder.h, and to replace the static helpers (step, begin,
 * end, prop_*, fdt_failed, *_fdt_write_file) of arch/arm64/fdt.c.
 *
 * After the first libfdt error every call is a no-op; fdtb_finish reports
 * it once, with the node that was being written.
 */

#include <stddef.h>
#include <stdint.h>

struct fdtb {
	void *fdt;
	size_t size;
	int err;	   /* first libfdt error (-FDT_ERR_*), 0 if none */
	const char *where; /* node being written when it happened */
	const char *node;  /* node being written now */
};

/* Start a tree in buf[size] (empty reserve map) and open the root node. */
void fdtb_start(struct fdtb *b, void *buf, size_t size);
void fdtb_begin(struct fdtb *b, const char *name);
/* Close the current node; 'parent' names the node we are back in. */
void fdtb_end(struct fdtb *b, const char *parent);
void fdtb_prop_str(struct fdtb *b, const char *name, const char *s);
/* A string list "a\0b\0": len counts every NUL. */
void fdtb_prop_strs(struct fdtb *b, const char *name, const char *s,
		    size_t len);
void fdtb_prop_empty(struct fdtb *b, const char *name);
void fdtb_prop_u32(struct fdtb *b, const char *name, uint32_t v);
void fdtb_prop_u64(struct fdtb *b, const char *name, uint64_t v);
/* n cells, or n 64-bit values as cell pairs; any n. */
void fdtb_prop_cells(struct fdtb *b, const char *name, const uint32_t *v,
		     size_t n);
void fdtb_prop_cells64(struct fdtb *b, const char *name, const uint64_t *v,
		       size_t n);
/* Close the root node and the tree. 0, -ENOSPC (buffer too small) or
 * -EINVAL, with a one-line reason. */
int fdtb_finish(struct fdtb *b, char *err, size_t errlen);
/* --dump-dtb: write the blob (fdt_totalsize bytes) to path. */
int fdtb_write_file(const void *fdt, const char *path, char *err,
		    size_t errlen);

#endif
