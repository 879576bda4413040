/* fdt_check.h: reads a device tree blob back in the FDT unit tests (node offsets, cells, property lengths and strings), saying on stderr what is missing. */
#ifndef MINIVMM_FDT_CHECK_H
#define MINIVMM_FDT_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "unit.h"

/* The blob the helpers read: a test points it at its buffer once. */
static const void *check_fdt;

static inline int node(const char *path)
{
	int off = fdt_path_offset(check_fdt, path);

	if (off < 0)
		fprintf(stderr, "%s: %s\n", path, fdt_strerror(off));
	return off;
}

/* Cell i of property 'name' of the node at 'path'; ~0 if absent. */
static inline uint32_t cell(const char *path, const char *name, int i)
{
	int len, off = node(path);
	const fdt32_t *p;

	if (off < 0)
		return ~0U;
	p = fdt_getprop(check_fdt, off, name, &len);
	if (!p || len < (i + 1) * 4) {
		fprintf(stderr, "%s:%s[%d] missing\n", path, name, i);
		return ~0U;
	}
	return fdt32_to_cpu(p[i]);
}

/* The i-th 64-bit value (a pair of cells). */
static inline uint64_t cell64(const char *path, const char *name, int i)
{
	return (uint64_t)cell(path, name, 2 * i) << 32 |
	       cell(path, name, 2 * i + 1);
}

/* The property's length in bytes; -1 if absent. */
static inline int prop_len(const char *path, const char *name)
{
	int len = -1, off = node(path);

	if (off >= 0 && !fdt_getprop(check_fdt, off, name, &len))
		return -1;
	return len;
}

static inline bool str_is(const char *path, const char *name, const char *want)
{
	int off = node(path);
	const char *s =
	    off < 0 ? NULL : fdt_getprop(check_fdt, off, name, NULL);

	if (!s || strcmp(s, want))
		fprintf(stderr, "%s:%s = %s, want %s\n", path, name,
			s ? s : "(none)", want);
	return s && !strcmp(s, want);
}

/* A pci-host-ecam-generic node (vmm/fdt_pci.c) for bus 0 at 'ecam' with
 * one 32-bit, non-prefetchable window 'win' of 'size' bytes mapped 1:1,
 * and an interrupt-map keyed on the slot and the pin. */
static inline void check_pci_ecam(const char *pci, uint64_t ecam, uint32_t win,
				  uint32_t size)
{
	CHECK(str_is(pci, "compatible", "pci-host-ecam-generic"));
	CHECK(str_is(pci, "device_type", "pci"));
	CHECK_EQ(cell64(pci, "reg", 0), ecam);
	CHECK_EQ(cell64(pci, "reg", 1), 0x100000);
	CHECK_EQ(cell(pci, "bus-range", 0), 0);
	CHECK_EQ(cell(pci, "bus-range", 1), 0);
	CHECK_EQ(prop_len(pci, "ranges"), 7 * 4);
	CHECK_EQ(cell(pci, "ranges", 0), 0x02000000);
	CHECK_EQ(cell(pci, "ranges", 1), 0);
	CHECK_EQ(cell(pci, "ranges", 2), win);
	CHECK_EQ(cell(pci, "ranges", 3), 0);
	CHECK_EQ(cell(pci, "ranges", 4), win);
	CHECK_EQ(cell(pci, "ranges", 5), 0);
	CHECK_EQ(cell(pci, "ranges", 6), size);
	CHECK_EQ(cell(pci, "interrupt-map-mask", 0), 0x1800);
	CHECK_EQ(cell(pci, "interrupt-map-mask", 3), 7);
}

#endif
