/* pci.h: the virtio-pci modern transport (virtio 1.x 4.1): a virtio device as a PCI function on bus 0. */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

#include <stdint.h>

struct vm;
struct virtio_device;
struct virtio_worker;

#define VIRTIO_PCI_VENDOR	  0x1af4
#define VIRTIO_PCI_DEVICE_BASE	  0x1040 /* + virtio device id (modern) */
#define VIRTIO_PCI_REVISION	  1
#define VIRTIO_PCI_SUBSYS_BASE	  0x0040 /* + device id: non-transitional */

/* Vendor capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG	  5

/* struct virtio_pci_cap: cap_vndr, cap_next, cap_len, cfg_type, bar, id,
 * padding[2], offset (le32), length (le32); notify adds a multiplier and
 * pci_cfg adds pci_cfg_data[4]. */
#define VIRTIO_PCI_CAP_LEN	  16
#define VIRTIO_PCI_NOTIFY_CAP_LEN 20
#define VIRTIO_PCI_CFG_CAP_LEN	  20
#define VIRTIO_PCI_CAP_BAR	  4
#define VIRTIO_PCI_CAP_OFFSET	  8
#define VIRTIO_PCI_CAP_LENGTH	  12
#define VIRTIO_PCI_CAP_MULT	  16 /* notify_off_multiplier */
#define VIRTIO_PCI_CAP_DATA	  16 /* pci_cfg_data */

/* Common configuration structure offsets. */
#define VIRTIO_PCI_COMMON_DFSELECT  0
#define VIRTIO_PCI_COMMON_DF	    4
#define VIRTIO_PCI_COMMON_GFSELECT  8
#define VIRTIO_PCI_COMMON_GF	    12
#define VIRTIO_PCI_COMMON_MSIX	    16
#define VIRTIO_PCI_COMMON_NUMQ	    18
#define VIRTIO_PCI_COMMON_STATUS    20
#define VIRTIO_PCI_COMMON_CFGGEN    21
#define VIRTIO_PCI_COMMON_Q_SELECT  22
#define VIRTIO_PCI_COMMON_Q_SIZE    24
#define VIRTIO_PCI_COMMON_Q_MSIX    26
#define VIRTIO_PCI_COMMON_Q_ENABLE  28
#define VIRTIO_PCI_COMMON_Q_NOFF    30
#define VIRTIO_PCI_COMMON_Q_DESCLO  32
#define VIRTIO_PCI_COMMON_Q_DESCHI  36
#define VIRTIO_PCI_COMMON_Q_AVAILLO 40
#define VIRTIO_PCI_COMMON_Q_AVAILHI 44
#define VIRTIO_PCI_COMMON_Q_USEDLO  48
#define VIRTIO_PCI_COMMON_Q_USEDHI  52
#define VIRTIO_PCI_COMMON_Q_NDATA   56
#define VIRTIO_PCI_COMMON_Q_RESET   58
#define VIRTIO_PCI_COMMON_LEN	    64

#define VIRTIO_PCI_ISR_QUEUE	    0x1
#define VIRTIO_PCI_ISR_CONFIG	    0x2
#define VIRTIO_PCI_NOTIFY_MULT	    4

/*
 * The BAR (BAR 0, 64-bit, non-prefetchable, placed in the arch's 32-bit PCI
 * window with memory decoding on, as firmware would leave it):
 */
#define VIRTIO_PCI_BAR		    0
#define VIRTIO_PCI_BAR_SIZE	    0x8000
#define VIRTIO_PCI_COMMON_OFF	    0x0000
#define VIRTIO_PCI_ISR_OFF	    0x1000
#define VIRTIO_PCI_DEVICE_OFF	    0x2000 /* up to 4 KiB of config */
#define VIRTIO_PCI_NOTIFY_OFF	    0x3000 /* queue q at + 4 q */
#define VIRTIO_PCI_MSIX_TABLE_OFF   0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF	    0x5000
#define VIRTIO_PCI_MAX_QUEUES	    1024
#define VIRTIO_PCI_MAX_VECTORS	    256

/*
 * Makes an initialised virtio device (virtio_dev_init) a PCI function in
 * the next free slot of vm->pci, attaches the transport (virtio_dev_attach)
 * and adds the function to the VM's devices. That struct device snapshots
 * the transport and the core state, and its destroy calls
 * virtio_dev_destroy() (as virtio-mmio's does): add the device's own struct
 * device first, so it is freed after. Calls irq_init(). MSI-X with one
 * vector per queue plus one for config when KVM has GSI routing and
 * irqfds; INTx always. Returns 0 or -errno (reported). Main thread, before
 * the vCPUs run.
 */
int virtio_pci_attach(struct vm *vm, struct virtio_device *vdev);
/* The device's back-end worker, paused around a snapshot save (optional;
 * after a successful virtio_pci_attach). */
void virtio_pci_set_worker(struct virtio_device *vdev,
			   struct virtio_worker *worker);

#endif
