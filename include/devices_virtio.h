/* devices_virtio.h: creates the virtio devices the command line asks for and attaches them to the chosen transport. */
#ifndef MINIVMM_DEVICES_VIRTIO_H
#define MINIVMM_DEVICES_VIRTIO_H

#include <stdbool.h>

struct vm;
struct vm_config;

/* Will virtio_devices_create() put devices on PCI? (A backend whose PCI
 * host is optional creates it only then: arm64, so that a VM without PCI
 * devices has the device list, and the snapshots, it had before.) */
bool virtio_devices_on_pci(const struct vm_config *cfg);

/* After arch_devices_init (the PCI host and the UART exist). Reports its
 * own errors. */
int virtio_devices_create(struct vm *vm);

#endif
