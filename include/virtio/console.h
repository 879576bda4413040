/* console.h: the virtio console (one port, hvc0 in a Linux guest) wired to the VMM's console. */
#ifndef MINIVMM_VIRTIO_CONSOLE_H
#define MINIVMM_VIRTIO_CONSOLE_H

struct vm;
struct virtio_device;
struct virtio_worker;

#define VIRTIO_ID_CONSOLE     3
#define VIRTIO_CONSOLE_RXQ    0 /* port 0 receiveq: host to guest */
#define VIRTIO_CONSOLE_TXQ    1 /* port 0 transmitq: guest to host */
#define VIRTIO_CONSOLE_CFG_LEN 12 /* cols, rows, max_nr_ports, emerg_wr */

/* Creates the device, adds it to the VM and makes it the console's input
 * receiver (instead of the UART). */
int virtio_console_create(struct vm *vm, struct virtio_device **vdev,
			  struct virtio_worker **worker);

#endif
