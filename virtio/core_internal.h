/* core_internal.h: what the virtio device-model files share: status access and once-only warnings. */
#ifndef MINIVMM_VIRTIO_CORE_INTERNAL_H
#define MINIVMM_VIRTIO_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"

/* One bit per kind of driver mistake: the first is a warning, the rest debug. */
enum virtio_warn {
	VIRTIO_WARN_UNOFFERED = 1u << 0,
	VIRTIO_WARN_NO_VERSION_1 = 1u << 1,
	VIRTIO_WARN_DEV_REFUSED = 1u << 2,
	VIRTIO_WARN_STATUS_ORDER = 1u << 3,
	VIRTIO_WARN_STATUS_CLEAR = 1u << 4,
	VIRTIO_WARN_QUEUE_STATE = 1u << 5,
	VIRTIO_WARN_QUEUE_SIZE = 1u << 6,
	VIRTIO_WARN_FAIL = 1u << 7,
	VIRTIO_WARN_CONFIG = 1u << 8,
};

void virtio_warn_once(struct virtio_device *vdev, enum virtio_warn kind,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* May a queue have this size: 1..size_max, a power of two unless the
 * ring is packed (RING_PACKED acked)? */
bool virtio_queue_size_ok(struct virtio_device *vdev,
			  const struct virtio_queue *vq, uint16_t size);

static inline uint8_t virtio_status(const struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
}

/* Is the device running: DRIVER_OK and not NEEDS_RESET? */
static inline bool virtio_running(const struct virtio_device *vdev)
{
	uint8_t s = virtio_status(vdev);

	return (s & VIRTIO_STATUS_DRIVER_OK) &&
	       !(s & VIRTIO_STATUS_NEEDS_RESET);
}

/* Disable every queue (reset); lock held. */
void virtio_queues_reset(struct virtio_device *vdev);

#endif
