/* state.h: snapshot save/restore of a virtio device's transport-independent state. */
#ifndef MINIVMM_VIRTIO_STATE_H
#define MINIVMM_VIRTIO_STATE_H

struct sbuf;
struct sbuf_reader;
struct virtio_device;

/*
 * The core's part of a device: offered and acked features (128 bits),
 * status, config generation and every queue (size, enable, ring addresses,
 * MSI-X vector and, when enabled, the ring's indices). Device-specific state
 * (config space contents, back-end progress) is the device's own business.
 * Save runs with the vCPUs paused and the device quiet: a chain popped but
 * not yet pushed is not recorded.
 */
int virtio_dev_save(struct virtio_device *vdev, struct sbuf *out);
/* Onto a device fresh from virtio_dev_init() (and attached): refuses state
 * for another device id, offer or queue layout (-EINVAL), a malformed
 * payload (-EBADMSG) or rings outside RAM (-EFAULT); calls ops->activate when
 * the saved device was running. */
int virtio_dev_restore(struct virtio_device *vdev, struct sbuf_reader *in);

#endif
