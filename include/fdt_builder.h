/* fdt_builder.h: arch-independent sequential device-tree writer over libfdt that records the first error and where it happened, and --dump-dtb. */
#ifndef MINIVMM_FDT_BUILDER_H
#define MINIVMM_FDT_BUILDER_H

/*
 * Shared by the device-tree backends (arch/arm64/fdt.c, arch/riscv/fdt.c).
 * After the first libfdt error every call is a no-op; fdtb_finish reports
 * it once, with the node that was being written.
 */

#include <stddef.h>
#include <stdint.h>

struct fdtb {
	void *fdt;
	size_t size;
	int err;	  /* first libfdt error (-FDT_ERR_*), 0 if none */
	char where[64];	  /* copy of 'node' when it happened (names are
			   * often the caller's stack buffers) */
	const char *node; /* node being written now */
};

/* Start a tree in buf[size] (empty reserve map) and open the root node. */
void fdtb_start(struct fdtb *b, void *buf, size_t size);
/* fdtb_start, then the root properties both Image-booting backends give
 * (compatible "linux,dummy-virt", #address-cells = #size-cells = 2). */
void fdtb_start_virt(struct fdtb *b, void *buf, size_t size);
void fdtb_begin(struct fdtb *b, const char *name);
/* A node's description cannot be written: records -FDT_ERR_BADVALUE at
 * the current node (unless an earlier error is there). */
void fdtb_bad_value(struct fdtb *b);
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
/* Root-level nodes both Image-booting backends write the same way (with
 * #address-cells = #size-cells = 2): memory@base for one RAM range, and
 * chosen with bootargs (NULL: none), stdout-path "/<uart>" and, when
 * initrd_size is not 0, linux,initrd-start/-end. */
void fdtb_memory(struct fdtb *b, uint64_t base, uint64_t size);
void fdtb_chosen(struct fdtb *b, const char *bootargs, const char *uart,
		 uint64_t initrd_start, uint64_t initrd_size);
/* Close the root node and the tree. 0, -ENOSPC (buffer too small) or
 * -EINVAL, with a one-line reason. */
int fdtb_finish(struct fdtb *b, char *err, size_t errlen);
/* --dump-dtb: write the blob (fdt_totalsize bytes) to path. */
int fdtb_write_file(const void *fdt, const char *path, char *err,
		    size_t errlen);

#endif
