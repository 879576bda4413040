/* state.h: snapshot save/restore of a virtio device's transport-independent state. */
#ifndef MINIVMM_VIRTIO_STATE_H
#define MINIVMM_VIRTIO_STATE_H

struct sbuf;
struct sbuf_reader;
struct virtio_device;

/*
 * The core's part of a device: offered and acked features (128 bits),
 * status, config generation and every queue (size, enable, ring addresses,
 * MSI-X vector and, when enabled, the ring's indices), then the device's
 * own state (ops->save: pending input, negotiated back-end settings).
 * Save runs with the vCPUs paused and the device quiesced (its worker held,
 * ops->quiesce given back what it held): a chain popped but not yet pushed
 * is not recorded, so the restored device pops it again.
 */
int virtio_dev_save(struct virtio_device *vdev, struct sbuf *out);
/* Onto a device fresh from virtio_dev_init() (and attached): refuses state
 * for another device id, offer or queue layout (-EINVAL), a malformed
 * payload (-EBADMSG) or rings outside RAM (-EFAULT); tells ops->features_ok
 * the saved features, restores the device's own state, then calls
 * ops->activate when the saved device was running. Reads version 1 state
 * (without the device's own part) too. */
int virtio_dev_restore(struct virtio_device *vdev, struct sbuf_reader *in);

/* The device's own state (ops->save/restore) as u32 length + bytes; for
 * the transports that lay out the core's state themselves (virtio-mmio).
 * Restore refuses a non-empty blob for a device without ops->restore and
 * one its restore does not consume whole. */
int virtio_dev_save_device(struct virtio_device *vdev, struct sbuf *out);
int virtio_dev_restore_device(struct virtio_device *vdev,
			      struct sbuf_reader *in);

#endif
