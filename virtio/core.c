/* core.c: the virtio device life cycle: status state machine, feature negotiation, config space, NEEDS_RESET. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "virtio/virtio.h"
#include "core_internal.h"

void virtio_warn_once(struct virtio_device *vdev, enum virtio_warn kind,
		      const char *fmt, ...)
{
	uint32_t seen = __atomic_fetch_or(&vdev->warned, kind, __ATOMIC_RELAXED);
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(seen & kind ? LOG_DEBUG : LOG_WARN, "%s: %s", vdev->name, msg);
}

static int virtio_check_queues(const struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < vdev->nr_queues; i++) {
		uint16_t max = vdev->queues[i].size_max;

		if (!max || max & (max - 1)) {
			pr_err("%s: queue %u: size_max %u is not a power of two",
			       vdev->name, i, max);
			return -EINVAL;
		}
	}
	return 0;
}

int virtio_dev_init(struct virtio_device *vdev)
{
	int ret;

	if (!vdev->name || !vdev->ops || !vdev->mem ||
	    (vdev->nr_queues && !vdev->queues)) {
		pr_err("virtio: device %s is missing name, ops, RAM or queues",
		       vdev->name ? vdev->name : "?");
		return -EINVAL;
	}
	if (!virtio_feat_test(&vdev->offered, VIRTIO_F_VERSION_1) ||
	    virtio_feat_test(&vdev->offered, VIRTIO_F_RING_RESET) ||
	    virtio_feat_test(&vdev->offered, VIRTIO_F_ADMIN_VQ)) {
		pr_err("%s: must offer VERSION_1 and not RING_RESET/ADMIN_VQ "
		       "(not implemented)", vdev->name);
		return -EINVAL;
	}
	ret = virtio_check_queues(vdev);
	if (ret)
		return ret;
	ret = -pthread_mutex_init(&vdev->lock, NULL);
	if (ret) {
		pr_err("%s: mutex: %s", vdev->name, strerror(-ret));
		return ret;
	}
	vdev->acked = VIRTIO_FEATURES_EMPTY;
	vdev->status = 0;
	vdev->config_gen = 0;
	vdev->warned = 0;
	virtio_queues_reset(vdev);
	return 0;
}

void virtio_dev_attach(struct virtio_device *vdev,
		       const struct virtio_transport_ops *tops, void *transport)
{
	vdev->tops = tops;
	vdev->transport = transport;
}

/* Writing 0: stop the back end, forget features and queues. Lock held. */
static void virtio_reset_locked(struct virtio_device *vdev)
{
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	virtio_queues_reset(vdev);
	vdev->acked = VIRTIO_FEATURES_EMPTY;
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);
}

void virtio_dev_destroy(struct virtio_device *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	virtio_reset_locked(vdev);
	pthread_mutex_unlock(&vdev->lock);
	pthread_mutex_destroy(&vdev->lock);
}

bool virtio_dev_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
	return virtio_feat_test(&vdev->acked, bit);
}

uint32_t virtio_get_device_features(struct virtio_device *vdev,
				    unsigned int dword)
{
	return virtio_feat_get_dword(&vdev->offered, dword); /* constant */
}

uint32_t virtio_get_driver_features(struct virtio_device *vdev,
				    unsigned int dword)
{
	uint32_t val;

	pthread_mutex_lock(&vdev->lock);
	val = virtio_feat_get_dword(&vdev->acked, dword);
	pthread_mutex_unlock(&vdev->lock);
	return val;
}

void virtio_set_driver_features(struct virtio_device *vdev, unsigned int dword,
				uint32_t val)
{
	pthread_mutex_lock(&vdev->lock);
	if (virtio_status(vdev) & VIRTIO_STATUS_FEATURES_OK)
		virtio_warn_once(vdev, VIRTIO_WARN_STATUS_ORDER,
				 "driver features written after FEATURES_OK; "
				 "ignored");
	else
		virtio_feat_set_dword(&vdev->acked, dword, val);
	pthread_mutex_unlock(&vdev->lock);
}

uint8_t virtio_get_status(struct virtio_device *vdev)
{
	return virtio_status(vdev);
}

/* May the driver have FEATURES_OK with what it acked? Lock held. */
static bool virtio_features_acceptable(struct virtio_device *vdev)
{
	struct virtio_features extra = vdev->acked;
	char buf[VIRTIO_FEAT_STRLEN];
	int ret;

	if (!virtio_feat_subset(&vdev->acked, &vdev->offered)) {
		for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
			extra.q[i] &= ~vdev->offered.q[i];
		virtio_warn_once(vdev, VIRTIO_WARN_UNOFFERED,
				 "FEATURES_OK refused: driver acked bit %d "
				 "which was not offered (acked %s)",
				 virtio_feat_first(&extra),
				 virtio_feat_format(&vdev->acked, buf,
						    sizeof(buf)));
		return false;
	}
	if (!virtio_feat_test(&vdev->acked, VIRTIO_F_VERSION_1)) {
		virtio_warn_once(vdev, VIRTIO_WARN_NO_VERSION_1,
				 "FEATURES_OK refused: driver did not accept "
				 "VERSION_1 (legacy drivers are not supported)");
		return false;
	}
	ret = vdev->ops->features_ok ? vdev->ops->features_ok(vdev,
							      &vdev->acked) : 0;
	if (ret) {
		virtio_warn_once(vdev, VIRTIO_WARN_DEV_REFUSED,
				 "FEATURES_OK refused by the device (%s): %s",
				 strerror(-ret),
				 virtio_feat_format(&vdev->acked, buf,
						    sizeof(buf)));
		return false;
	}
	return true;
}

/* Which of the newly set bits the driver may have. Lock held. */
static uint8_t virtio_filter_new_bits(struct virtio_device *vdev, uint8_t old,
				      uint8_t added)
{
	if (added & VIRTIO_STATUS_FEATURES_OK &&
	    !virtio_features_acceptable(vdev))
		added &= ~VIRTIO_STATUS_FEATURES_OK;
	if (added & VIRTIO_STATUS_DRIVER_OK &&
	    !((old | added) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_warn_once(vdev, VIRTIO_WARN_STATUS_ORDER,
				 "DRIVER_OK without FEATURES_OK; ignored");
		added &= ~VIRTIO_STATUS_DRIVER_OK;
	}
	return added;
}

static void virtio_set_status_locked(struct virtio_device *vdev, uint8_t val)
{
	uint8_t old = virtio_status(vdev), added;
	int ret;

	if (!val) {
		virtio_reset_locked(vdev);
		return;
	}
	val &= ~VIRTIO_STATUS_NEEDS_RESET; /* the device's bit */
	if (old & ~val & ~VIRTIO_STATUS_NEEDS_RESET) {
		virtio_warn_once(vdev, VIRTIO_WARN_STATUS_CLEAR,
				 "status 0x%02x -> 0x%02x clears bits without "
				 "a reset; ignored", old, val);
		return;
	}
	added = virtio_filter_new_bits(vdev, old, val & ~old);
	/* OR, not store: a worker may be setting NEEDS_RESET right now. */
	__atomic_fetch_or(&vdev->status, added, __ATOMIC_ACQ_REL);
	if (added & VIRTIO_STATUS_DRIVER_OK && vdev->ops->activate) {
		ret = vdev->ops->activate(vdev);
		if (ret)
			virtio_dev_fail(vdev, "activation failed: %s",
					strerror(-ret));
	}
}

void virtio_set_status(struct virtio_device *vdev, uint8_t status)
{
	pthread_mutex_lock(&vdev->lock);
	virtio_set_status_locked(vdev, status);
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_dev_fail(struct virtio_device *vdev, const char *fmt, ...)
{
	uint8_t old = __atomic_fetch_or(&vdev->status,
					VIRTIO_STATUS_NEEDS_RESET,
					__ATOMIC_ACQ_REL);
	char msg[200];
	va_list ap;

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return; /* already reported; the driver has to reset first */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	virtio_warn_once(vdev, VIRTIO_WARN_FAIL, "device needs reset: %s", msg);
	if (old & VIRTIO_STATUS_DRIVER_OK && vdev->tops &&
	    vdev->tops->notify_config)
		vdev->tops->notify_config(vdev);
}

uint32_t virtio_config_generation(struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->config_gen, __ATOMIC_ACQUIRE);
}

void virtio_config_changed(struct virtio_device *vdev)
{
	__atomic_fetch_add(&vdev->config_gen, 1, __ATOMIC_ACQ_REL);
	if (virtio_status(vdev) & VIRTIO_STATUS_DRIVER_OK && vdev->tops &&
	    vdev->tops->notify_config)
		vdev->tops->notify_config(vdev);
}

static int virtio_config_check(struct virtio_device *vdev, uint32_t off,
			       uint32_t len)
{
	if (range_fits(off, len, vdev->config_len))
		return 0;
	virtio_warn_once(vdev, VIRTIO_WARN_CONFIG,
			 "config access [0x%x, +%u) outside %u bytes", off, len,
			 vdev->config_len);
	return -EINVAL;
}

int virtio_config_read(struct virtio_device *vdev, uint32_t off, void *buf,
		       uint32_t len)
{
	int ret;

	memset(buf, 0, len);
	pthread_mutex_lock(&vdev->lock);
	ret = virtio_config_check(vdev, off, len);
	if (!ret && vdev->ops->get_config)
		vdev->ops->get_config(vdev, off, buf, len);
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

int virtio_config_write(struct virtio_device *vdev, uint32_t off,
			const void *buf, uint32_t len)
{
	int ret;

	pthread_mutex_lock(&vdev->lock);
	ret = virtio_config_check(vdev, off, len);
	if (!ret && vdev->ops->set_config)
		vdev->ops->set_config(vdev, off, buf, len);
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}
