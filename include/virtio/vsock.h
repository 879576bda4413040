/* vsock.h: the virtio-vsock device (id 19) served by the host's vhost-vsock. */
#ifndef MINIVMM_VIRTIO_VSOCK_H
#define MINIVMM_VIRTIO_VSOCK_H

#include <stdint.h>

struct vm;
struct virtio_device;

#define VIRTIO_ID_VSOCK		19
#define VIRTIO_VSOCK_F_SEQPACKET 1
#define VIRTIO_VSOCK_CFG_LEN	8 /* le64 guest_cid */

/* Guest CIDs: 0-2 are reserved (hypervisor, local, host), U32_MAX is
 * VMADDR_CID_ANY. */
#define VSOCK_CID_MIN 3
#define VSOCK_CID_MAX 0xfffffffeu

/* Opens /dev/vhost-vsock and claims 'cid'; the device is freed with the
 * VM. A host without vhost-vsock is -ENOENT with one line naming
 * /dev/vhost-vsock; a CID in use is -EADDRINUSE. */
int virtio_vsock_create(struct vm *vm, uint64_t cid,
			struct virtio_device **out);

#endif
