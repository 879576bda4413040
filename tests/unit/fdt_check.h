/* fdt_check.h: reads a device tree blob back in the FDT unit tests (node offsets, cells, property lengths and strings), saying on stderr what is missing. */
#ifndef MINIVMM_FDT_CHECK_H
#define MINIVMM_FDT_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

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

#endif
