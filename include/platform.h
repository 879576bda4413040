/* platform.h: the registry of platform (MMIO) devices the arch describes to the guest. */
#ifndef MINIVMM_PLATFORM_H
#define MINIVMM_PLATFORM_H

#include <stdint.h>

struct vm;

/*
 * One memory-mapped device outside PCI (virtio-mmio today). The arch picks
 * its guest-physical range and interrupt line (arch_platform_alloc) and
 * later describes every entry of vm->platform to the guest: on x86 as DSDT
 * devices and, for guests booted with acpi=off, on the kernel command line.
 */
struct platform_dev {
	const char *kind; /* "virtio-mmio" */
	uint64_t base, size;
	uint32_t gsi;
	unsigned int index; /* 0, 1, ... in order of registration */
	struct platform_dev *next;
};

#define PLATFORM_VIRTIO_MMIO "virtio-mmio"

/* Allocates base and GSI and appends a new entry to vm->platform (so the
 * list stays in registration order). -ENOSPC when the arch has no room
 * left (reported once here), -ENOMEM. */
int platform_dev_add(struct vm *vm, const char *kind, uint64_t size,
		     struct platform_dev **out);
unsigned int platform_dev_count(const struct vm *vm);
void platform_devs_free(struct vm *vm);

#endif
