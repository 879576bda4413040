/* devices_virtio.h: creates the virtio devices the command line asks for and attaches them to the chosen transport. */
#ifndef MINIVMM_DEVICES_VIRTIO_H
#define MINIVMM_DEVICES_VIRTIO_H

struct vm;

/* After arch_devices_init (the PCI host and the UART exist). Reports its
 * own errors. */
int virtio_devices_create(struct vm *vm);

#endif
