/* virtio.h: the transport-independent virtio device model: status, feature negotiation, queues, config space. */
#ifndef MINIVMM_VIRTIO_H
#define MINIVMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "virtio/features.h"
#include "virtio/queue.h"

/* Device status bits (virtio 1.x 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER	  0x02
#define VIRTIO_STATUS_DRIVER_OK	  0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40 /* device-owned */
#define VIRTIO_STATUS_FAILED	  0x80

#define VIRTIO_NO_VECTOR 0xffff

/*
 * Threads and locking
 *
 * vdev->lock (one per device) serialises everything the driver does through
 * the transport: the transport-facing calls below take it themselves and are
 * made from vCPU threads (MMIO/PIO exits) or the event loop (ioeventfd).
 * Every device op is called with the lock held.
 *
 * A queue's ring state (struct virtq) belongs to one thread at a time: the
 * thread running queue_notify (under the lock), or a device worker from
 * activate() until reset() returns. reset() runs under the lock and must not
 * return while a worker still uses a queue; so workers never take vdev->lock.
 * What workers may call: virtio_queue_pop/push/interrupt(), virtio_dev_fail()
 * and the transport hooks; all lock-free. Devices that change their config
 * space do so under vdev->lock, then call virtio_config_changed().
 *
 * status, config_gen and warned are accessed with __atomic builtins only:
 * the driver's writes are serialised by the lock, but NEEDS_RESET can be set
 * by a worker at any time.
 */

struct virtio_device;
struct sbuf;
struct sbuf_reader;

struct virtio_device_ops {
	/* Device config space, [off, off + len) within config_len. */
	void (*get_config)(struct virtio_device *vdev, uint32_t off, void *buf,
			   uint32_t len);
	void (*set_config)(struct virtio_device *vdev, uint32_t off,
			   const void *buf, uint32_t len); /* optional */
	/* The driver wants FEATURES_OK with 'acked' (already a subset of the
	 * offer, with VERSION_1). 0 accepts; -errno refuses. Optional. */
	int (*features_ok)(struct virtio_device *vdev,
			   const struct virtio_features *acked);
	/* DRIVER_OK: queues are set up; start work. -errno: NEEDS_RESET. */
	int (*activate)(struct virtio_device *vdev);
	/* The driver kicked queue q (enabled, DRIVER_OK, not NEEDS_RESET). */
	void (*queue_notify)(struct virtio_device *vdev, unsigned int q);
	/* Back to power-on state: stop every worker, forget in-flight
	 * buffers. The core then disables the queues. Optional. */
	void (*reset)(struct virtio_device *vdev);
	/* Snapshots (optional). quiesce: the transport holds the device's
	 * worker between two batches; give back what is held across batches
	 * (popped chains not pushed) so that the saved rings offer it again.
	 * save/restore: the device's own state, after the core's; restore
	 * runs before the device is activated (-errno refuses the state). */
	void (*quiesce)(struct virtio_device *vdev);
	int (*save)(struct virtio_device *vdev, struct sbuf *out);
	int (*restore)(struct virtio_device *vdev, struct sbuf_reader *in);
};

/* Supplied by the transport; callable from any thread, without vdev->lock. */
struct virtio_transport_ops {
	void (*notify_used)(struct virtio_device *vdev, unsigned int q);
	void (*notify_config)(struct virtio_device *vdev);
};

enum virtio_queue_area {
	VIRTIO_AREA_DESC = 0,	/* descriptor table / ring */
	VIRTIO_AREA_DRIVER,	/* avail ring / driver event suppression */
	VIRTIO_AREA_DEVICE,	/* used ring / device event suppression */
	VIRTIO_AREA_COUNT,
};

struct virtio_queue {
	uint16_t size_max;	/* set by the device: a power of two */
	/* Driver-programmed (through the transport, under vdev->lock). */
	uint16_t size;		/* 0 after a rejected write */
	bool enabled;		/* set __atomic (release): workers read it unlocked */
	uint64_t area[VIRTIO_AREA_COUNT];
	uint16_t msix_vector;
	void *transport;	/* per-queue transport data; core never looks */
	struct virtq vq;	/* ring state, valid while enabled */
	uint64_t notifies;	/* __atomic: driver notifications seen here */
	uint64_t interrupts;	/* __atomic: used-buffer notifications sent */
};

struct virtio_device {
	/* Filled in by the device before virtio_dev_init(); constant after. */
	const char *name;
	uint32_t device_id;
	const struct virtio_device_ops *ops;
	struct virtio_features offered;
	uint32_t config_len;
	struct virtio_queue *queues;
	unsigned int nr_queues;
	const struct guest_mem *mem;
	/* Filled in by virtio_dev_attach(). */
	const struct virtio_transport_ops *tops;
	void *transport;
	/* Core state. */
	pthread_mutex_t lock;
	struct virtio_features acked;	/* driver features (lock) */
	uint8_t status;			/* __atomic */
	uint32_t config_gen;		/* __atomic */
	uint32_t warned;		/* __atomic: warnings already given */
};

/* Lifecycle (owner's thread, before the VM runs / after it stopped). */
/* Checks the fields above (VERSION_1 offered, power-of-two size_max, ops),
 * sets up the lock and the reset state. -EINVAL, reported once. */
int virtio_dev_init(struct virtio_device *vdev);
void virtio_dev_attach(struct virtio_device *vdev,
		       const struct virtio_transport_ops *tops,
		       void *transport);
/* Resets the device (calling ops->reset) and releases the lock. */
void virtio_dev_destroy(struct virtio_device *vdev);

/* Transport-facing: the driver's reads and writes; each takes vdev->lock. */
uint32_t virtio_get_device_features(struct virtio_device *vdev,
				    unsigned int dword);
uint32_t virtio_get_driver_features(struct virtio_device *vdev,
				    unsigned int dword);
/* Ignored once FEATURES_OK is set and for dword >= 4. */
void virtio_set_driver_features(struct virtio_device *vdev, unsigned int dword,
				uint32_t val);
uint8_t virtio_get_status(struct virtio_device *vdev);
/* 0 resets. FEATURES_OK is refused (reads back clear) unless the driver
 * acked only offered bits, VERSION_1 among them, and ops->features_ok agrees;
 * DRIVER_OK needs FEATURES_OK; clearing bits without a reset is ignored.
 * Transports reset their own registers after writing 0. */
void virtio_set_status(struct virtio_device *vdev, uint8_t status);
uint32_t virtio_config_generation(struct virtio_device *vdev);
/* -EINVAL if [off, off + len) is outside config space (caller reads 0s). */
int virtio_config_read(struct virtio_device *vdev, uint32_t off, void *buf,
		       uint32_t len);
int virtio_config_write(struct virtio_device *vdev, uint32_t off,
			const void *buf, uint32_t len);

unsigned int virtio_num_queues(const struct virtio_device *vdev);
/* 0 for a queue that does not exist. */
uint16_t virtio_queue_size_max(struct virtio_device *vdev, unsigned int q);
uint16_t virtio_queue_get_size(struct virtio_device *vdev, unsigned int q);
/* Between FEATURES_OK and enable: 1..size_max, a power of two unless
 * RING_PACKED was negotiated. A rejected size reads back as 0 (-EINVAL);
 * -EBUSY (ignored) in the wrong state; -ENOENT for no such queue. */
int virtio_queue_set_size(struct virtio_device *vdev, unsigned int q,
			  uint16_t size);
uint64_t virtio_queue_get_area(struct virtio_device *vdev, unsigned int q,
			       enum virtio_queue_area area);
int virtio_queue_set_area(struct virtio_device *vdev, unsigned int q,
			  enum virtio_queue_area area, uint64_t gpa);
uint16_t virtio_queue_get_vector(struct virtio_device *vdev, unsigned int q);
int virtio_queue_set_vector(struct virtio_device *vdev, unsigned int q,
			    uint16_t vector);
bool virtio_queue_enabled(struct virtio_device *vdev, unsigned int q);
/* Validates the rings against guest RAM; a bad queue sets NEEDS_RESET. */
int virtio_queue_enable(struct virtio_device *vdev, unsigned int q);
/* Take an enabled queue back before DRIVER_OK (a driver giving up on its
 * set-up); -EBUSY once the device runs (without RING_RESET a running
 * queue stays), -ENOENT for a queue that does not exist. */
int virtio_queue_disable(struct virtio_device *vdev, unsigned int q);
/* The driver's notification; calls ops->queue_notify when it applies. */
void virtio_queue_notify(struct virtio_device *vdev, unsigned int q);

/* Device-facing (lock-free; see "Threads and locking"). */
/* virtq_pop() on queue q; a malformed ring sets NEEDS_RESET and returns
 * -errno; -EIO once the device needs reset or is not running. */
int virtio_queue_pop(struct virtio_device *vdev, unsigned int q,
		     struct virtq_chain *chain, struct virtq_buf *bufs,
		     unsigned int max_bufs);
int virtio_queue_push(struct virtio_device *vdev, unsigned int q,
		      const struct virtq_chain *chain, uint32_t written);
/* After a batch of pushes: interrupt the driver if it asked for it. */
void virtio_queue_interrupt(struct virtio_device *vdev, unsigned int q);
/* A back-end that decides itself (vhost's call eventfd): interrupt the
 * driver for queue q unconditionally, if it is running. */
void virtio_notify_used(struct virtio_device *vdev, unsigned int q);
/* Is a chain waiting (without taking it)? For polling the ring. */
bool virtio_queue_has_avail(struct virtio_device *vdev, unsigned int q);
/* Arm/disarm driver notifications; enable returns true if buffers wait. */
bool virtio_queue_notify_enable(struct virtio_device *vdev, unsigned int q,
				bool enable);
/* The device cannot go on: set NEEDS_RESET, tell a running driver, log the
 * reason (the first time at warning level, later ones at debug). */
void virtio_dev_fail(struct virtio_device *vdev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The device changed its config space: bump the generation, interrupt. */
void virtio_config_changed(struct virtio_device *vdev);
bool virtio_dev_has_feature(const struct virtio_device *vdev, unsigned int bit);
/* At debug level: each queue's notifications, interrupts and ring indexes
 * (the exit report's post-mortem of a stalled device). */
void virtio_dev_report(struct virtio_device *vdev, const char *who);
/* The ring options (VIRTQ_OPT_*) that the negotiated features imply; used
 * when a queue is enabled and when one is restored from a snapshot. */
unsigned int virtio_queue_opts(const struct virtio_device *vdev);

#endif
