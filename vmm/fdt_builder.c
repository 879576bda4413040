/* fdt_builder.c: sequential libfdt writer with first-error tracking, the memory and chosen nodes, and writing a blob to a file. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "fdt_builder.h"
#include "util.h"

static void step(struct fdtb *b, int ret)
{
	if (ret < 0 && !b->err) {
		b->err = ret;
		snprintf(b->where, sizeof(b->where), "%s",
			 b->node ? b->node : "the header");
	}
}

void fdtb_bad_value(struct fdtb *b)
{
	step(b, -FDT_ERR_BADVALUE);
}

void fdtb_start(struct fdtb *b, void *buf, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->fdt = buf;
	b->size = size;
	step(b, fdt_create(buf, (int)MIN(size, (size_t)INT_MAX)));
	if (!b->err)
		step(b, fdt_finish_reservemap(buf));
	fdtb_begin(b, "");
	b->node = "/";
}

void fdtb_start_virt(struct fdtb *b, void *buf, size_t size)
{
	static const char compat[] = "linux,dummy-virt";

	fdtb_start(b, buf, size);
	fdtb_prop_strs(b, "compatible", compat, sizeof(compat));
	fdtb_prop_u32(b, "#address-cells", 2);
	fdtb_prop_u32(b, "#size-cells", 2);
}

void fdtb_begin(struct fdtb *b, const char *name)
{
	b->node = name;
	if (!b->err)
		step(b, fdt_begin_node(b->fdt, name));
}

void fdtb_end(struct fdtb *b, const char *parent)
{
	if (!b->err)
		step(b, fdt_end_node(b->fdt));
	b->node = parent;
}

void fdtb_prop_str(struct fdtb *b, const char *name, const char *s)
{
	if (!b->err)
		step(b, fdt_property_string(b->fdt, name, s));
}

void fdtb_prop_strs(struct fdtb *b, const char *name, const char *s,
		    size_t len)
{
	if (len > INT_MAX)
		step(b, -FDT_ERR_BADVALUE);
	if (!b->err)
		step(b, fdt_property(b->fdt, name, s, (int)len));
}

void fdtb_prop_empty(struct fdtb *b, const char *name)
{
	if (!b->err)
		step(b, fdt_property(b->fdt, name, NULL, 0));
}

void fdtb_prop_u32(struct fdtb *b, const char *name, uint32_t v)
{
	if (!b->err)
		step(b, fdt_property_u32(b->fdt, name, v));
}

void fdtb_prop_u64(struct fdtb *b, const char *name, uint64_t v)
{
	if (!b->err)
		step(b, fdt_property_u64(b->fdt, name, v));
}

/* Room for len bytes of property value in the tree, or NULL. */
static void *placeholder(struct fdtb *b, const char *name, size_t len)
{
	void *p = NULL;

	if (len > INT_MAX / 2)
		step(b, -FDT_ERR_BADVALUE);
	if (!b->err)
		step(b, fdt_property_placeholder(b->fdt, name, (int)len, &p));
	return b->err ? NULL : p;
}

void fdtb_prop_cells(struct fdtb *b, const char *name, const uint32_t *v,
		     size_t n)
{
	fdt32_t *p = placeholder(b, name, n * sizeof(*p));

	for (size_t i = 0; p && i < n; i++)
		p[i] = cpu_to_fdt32(v[i]);
}

void fdtb_prop_cells64(struct fdtb *b, const char *name, const uint64_t *v,
		       size_t n)
{
	uint8_t *p = placeholder(b, name, n * sizeof(fdt64_t));

	/* The value may be unaligned in the blob: copy bytes. */
	for (size_t i = 0; p && i < n; i++) {
		fdt64_t be = cpu_to_fdt64(v[i]);

		memcpy(p + i * sizeof(be), &be, sizeof(be));
	}
}

void fdtb_memory(struct fdtb *b, uint64_t base, uint64_t size)
{
	uint64_t reg[2] = {base, size};
	char name[40];

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "device_type", "memory");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_end(b, "/");
}

void fdtb_chosen(struct fdtb *b, const char *bootargs, const char *uart,
		 uint64_t initrd_start, uint64_t initrd_size)
{
	char path[48];

	snprintf(path, sizeof(path), "/%s", uart);
	fdtb_begin(b, "chosen");
	if (bootargs)
		fdtb_prop_str(b, "bootargs", bootargs);
	fdtb_prop_str(b, "stdout-path", path);
	if (initrd_size) {
		fdtb_prop_u64(b, "linux,initrd-start", initrd_start);
		fdtb_prop_u64(b, "linux,initrd-end",
			      initrd_start + initrd_size);
	}
	fdtb_end(b, "/");
}

int fdtb_finish(struct fdtb *b, char *err, size_t errlen)
{
	fdtb_end(b, NULL);
	if (!b->err)
		step(b, fdt_finish(b->fdt));
	if (!b->err)
		return 0;
	if (b->err == -FDT_ERR_NOSPACE) {
		snprintf(err, errlen,
			 "device tree: does not fit in %zu bytes (at %s)",
			 b->size, b->where);
		return -ENOSPC;
	}
	snprintf(err, errlen, "device tree: libfdt: %s (at %s)",
		 fdt_strerror(b->err), b->where);
	return -EINVAL;
}

int fdtb_write_file(const void *fdt, const char *path, char *err,
		    size_t errlen)
{
	size_t len = fdt_totalsize(fdt);
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	errno = 0;
	if (fwrite(fdt, 1, len, f) != len)
		ret = errno ? -errno : -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "%s: writing the device tree: %s", path,
			 strerror(-ret));
	return ret;
}
