/* mmio.c: the virtio-mmio version 2 transport: register window, level interrupt, notifications, snapshot state. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "platform.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "virtio/mmio.h"
#include "virtio/state.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

/* 2 adds the device's own state after the queues. */
#define MMIO_SNAP_VERSION 2

/* Driver mistakes the transport reports once (then at debug level). */
enum mmio_warn {
	MMIO_WARN_WIDTH = 1u << 0,
	MMIO_WARN_REG = 1u << 1,
	MMIO_WARN_READY = 1u << 2,
	MMIO_WARN_NOTIFY = 1u << 3,
	MMIO_WARN_IRQ = 1u << 4,
};

/*
 * Locking: 'lock' serialises the driver's register accesses (the select
 * registers live under it) and is taken before vdev->lock. 'irq_lock' is a
 * leaf: workers and the core's failure path reach it with vdev->lock held.
 */
struct virtio_mmio {
	struct device dev;
	struct vm *vm;
	struct virtio_device *vdev;
	struct platform_dev *pdev;
	struct virtio_worker *worker;
	bool quiesced;	 /* main thread: worker held for a snapshot */
	pthread_mutex_t lock;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel, shm_sel;
	pthread_mutex_t irq_lock;
	uint32_t isr;
	bool level;
	uint32_t warned; /* __atomic */
	char name[48];
};

static void mmio_warn_once(struct virtio_mmio *m, enum mmio_warn kind,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mmio_warn_once(struct virtio_mmio *m, enum mmio_warn kind,
			   const char *fmt, ...)
{
	uint32_t seen = __atomic_fetch_or(&m->warned, kind, __ATOMIC_RELAXED);
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(seen & kind ? LOG_DEBUG : LOG_WARN, "%s: %s", m->name, msg);
}

static void mmio_set_line(struct virtio_mmio *m, int level)
{
	int ret = vm_irq_line(m->vm, m->pdev->gsi, level);

	if (ret < 0)
		mmio_warn_once(m, MMIO_WARN_IRQ, "cannot drive GSI %u: %s",
			       m->pdev->gsi, strerror(-ret));
}

/*
 * The line is up while any InterruptStatus bit is set. When an ACK leaves
 * bits set, the line drops and rises again: a guest that programmed the pin
 * edge-triggered (acpi=off: the MP table calls ISA pins edge) sees a new
 * edge; level-triggered pins just stay asserted.
 */
static void mmio_irq_update(struct virtio_mmio *m, uint32_t set,
			    uint32_t clear)
{
	pthread_mutex_lock(&m->irq_lock);
	m->isr = (m->isr | set) & ~clear;
	if (m->isr && !m->level) {
		mmio_set_line(m, 1);
		m->level = true;
	} else if (!m->isr && m->level) {
		mmio_set_line(m, 0);
		m->level = false;
	} else if (m->isr && clear) {
		mmio_set_line(m, 0);
		mmio_set_line(m, 1);
	}
	pthread_mutex_unlock(&m->irq_lock);
}

static uint32_t mmio_isr(struct virtio_mmio *m)
{
	uint32_t v;

	pthread_mutex_lock(&m->irq_lock);
	v = m->isr;
	pthread_mutex_unlock(&m->irq_lock);
	return v;
}

static void mmio_notify_used(struct virtio_device *vdev, unsigned int q)
{
	mmio_irq_update(vdev->transport, VIRTIO_MMIO_INT_VRING, 0);
}

static void mmio_notify_config(struct virtio_device *vdev)
{
	mmio_irq_update(vdev->transport, VIRTIO_MMIO_INT_CONFIG, 0);
}

static const struct virtio_transport_ops mmio_tops = {
	.notify_used = mmio_notify_used,
	.notify_config = mmio_notify_config,
};

/* Registers 0x080-0x0a4: which queue area, and the high half? */
static bool mmio_area_reg(uint64_t off, enum virtio_queue_area *area,
			  bool *high)
{
	if (off < VIRTIO_MMIO_QUEUE_DESC_LOW ||
	    off > VIRTIO_MMIO_QUEUE_DEVICE_HIGH || (off & 0xf) > 4)
		return false;
	*area = (enum virtio_queue_area)((off - VIRTIO_MMIO_QUEUE_DESC_LOW) /
					 0x10);
	*high = off & 4;
	return true;
}

static uint32_t mmio_read_area(struct virtio_mmio *m, uint64_t off)
{
	enum virtio_queue_area area;
	uint64_t gpa;
	bool high;

	if (!mmio_area_reg(off, &area, &high))
		return 0;
	gpa = virtio_queue_get_area(m->vdev, m->queue_sel, area);
	return (uint32_t)(high ? gpa >> 32 : gpa);
}

/* A 32-bit register read; m->lock held. */
static uint32_t mmio_read_reg(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_device *vdev = m->vdev;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID: return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_get_device_features(vdev, m->dev_feat_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return virtio_queue_size_max(vdev, m->queue_sel);
	case VIRTIO_MMIO_QUEUE_NUM:
		return virtio_queue_get_size(vdev, m->queue_sel);
	case VIRTIO_MMIO_QUEUE_READY:
		return virtio_queue_enabled(vdev, m->queue_sel);
	case VIRTIO_MMIO_INTERRUPT_STATUS: return mmio_isr(m);
	case VIRTIO_MMIO_STATUS: return virtio_get_status(vdev);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return UINT32_MAX; /* no shared memory regions: length -1 */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return virtio_config_generation(vdev);
	default:
		/* Write-only and reserved registers read 0; the queue
		 * addresses read back what was written. */
		return mmio_read_area(m, off);
	}
}

static void mmio_write_area(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	enum virtio_queue_area area;
	uint64_t gpa;
	bool high;

	if (!mmio_area_reg(off, &area, &high)) {
		mmio_warn_once(m, MMIO_WARN_REG,
			       "write of 0x%x to read-only or reserved register "
			       "0x%03llx ignored", v, (unsigned long long)off);
		return;
	}
	gpa = virtio_queue_get_area(m->vdev, m->queue_sel, area);
	if (high)
		gpa = (gpa & UINT32_MAX) | (uint64_t)v << 32;
	else
		gpa = (gpa & ~(uint64_t)UINT32_MAX) | v;
	virtio_queue_set_area(m->vdev, m->queue_sel, area, gpa);
}

static void mmio_write_ready(struct virtio_mmio *m, uint32_t v)
{
	if (v == 1) {
		virtio_queue_enable(m->vdev, m->queue_sel);
	} else if (v == 0) {
		/* Before DRIVER_OK the queue is taken back (a driver giving
		 * up on its set-up reads 0 back); a running one stays. */
		if (virtio_queue_disable(m->vdev, m->queue_sel) == -EBUSY)
			mmio_warn_once(m, MMIO_WARN_READY,
				       "queue %u: QueueReady 0 while the "
				       "device runs, without RING_RESET; "
				       "ignored", m->queue_sel);
	} else {
		mmio_warn_once(m, MMIO_WARN_READY, "QueueReady %u ignored", v);
	}
}

static void mmio_write_notify(struct virtio_mmio *m, uint32_t v)
{
	if (v >= virtio_num_queues(m->vdev)) {
		mmio_warn_once(m, MMIO_WARN_NOTIFY,
			       "notify of queue %u, which does not exist", v);
		return;
	}
	virtio_queue_notify(m->vdev, v);
}

/* Status 0 resets the device and then the transport's own registers. */
static void mmio_write_status(struct virtio_mmio *m, uint32_t v)
{
	virtio_set_status(m->vdev, (uint8_t)v);
	if ((uint8_t)v)
		return;
	m->dev_feat_sel = m->drv_feat_sel = m->queue_sel = m->shm_sel = 0;
	mmio_irq_update(m, 0, UINT32_MAX);
}

/* A 32-bit register write; m->lock held. */
static void mmio_write_reg(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	struct virtio_device *vdev = m->vdev;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_feat_sel = v; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_set_driver_features(vdev, m->drv_feat_sel, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_feat_sel = v; break;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = v; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		virtio_queue_set_size(vdev, m->queue_sel,
				      v > UINT16_MAX ? 0 : (uint16_t)v);
		break;
	case VIRTIO_MMIO_QUEUE_READY: mmio_write_ready(m, v); break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: mmio_write_notify(m, v); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: mmio_irq_update(m, 0, v); break;
	case VIRTIO_MMIO_STATUS: mmio_write_status(m, v); break;
	case VIRTIO_MMIO_SHM_SEL: m->shm_sel = v; break;
	case VIRTIO_MMIO_QUEUE_RESET:
		mmio_warn_once(m, MMIO_WARN_REG, "QueueReset without "
			       "RING_RESET (not offered); ignored");
		break;
	default: mmio_write_area(m, off, v); break;
	}
}

/* Config space: 1, 2, 4 or 8 bytes, naturally aligned. */
static bool mmio_config_access_ok(uint64_t off, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       IS_ALIGNED(off, len);
}

static bool mmio_access_ok(struct virtio_mmio *m, uint64_t off, uint32_t len,
			   bool is_write)
{
	bool ok = off >= VIRTIO_MMIO_CONFIG ? mmio_config_access_ok(off, len)
					    : len == 4 && IS_ALIGNED(off, 4);

	if (!ok)
		mmio_warn_once(m, MMIO_WARN_WIDTH,
			       "%u-byte %s at 0x%03llx ignored (registers are "
			       "32-bit, config fields naturally aligned)", len,
			       is_write ? "write" : "read",
			       (unsigned long long)off);
	return ok;
}

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct virtio_mmio *m = opaque;

	memset(data, 0, len);
	if (!mmio_access_ok(m, off, len, false))
		return;
	if (off >= VIRTIO_MMIO_CONFIG) {
		/* Guest-endian is little-endian: the device keeps its
		 * config space in that layout. */
		virtio_config_read(m->vdev, (uint32_t)(off - VIRTIO_MMIO_CONFIG),
				   data, len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	put_le32(data, mmio_read_reg(m, off));
	pthread_mutex_unlock(&m->lock);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data,
		       uint32_t len)
{
	struct virtio_mmio *m = opaque;

	if (!mmio_access_ok(m, off, len, true))
		return;
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_config_write(m->vdev,
				    (uint32_t)(off - VIRTIO_MMIO_CONFIG), data,
				    len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	mmio_write_reg(m, off, get_le32(data));
	pthread_mutex_unlock(&m->lock);
}

static const struct bus_ops mmio_bus_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

/* ---- snapshots ---- */

static void mmio_save_ring(struct sbuf *b, const struct virtq *vq)
{
	sbuf_put_u32(b, vq->opts);
	sbuf_put_u8(b, vq->signalled_valid);
	if (vq->opts & VIRTQ_OPT_PACKED) {
		sbuf_put_u16(b, vq->p.next_avail);
		sbuf_put_u16(b, vq->p.next_used);
		sbuf_put_u8(b, vq->p.avail_wrap);
		sbuf_put_u8(b, vq->p.used_wrap);
		sbuf_put_u32(b, vq->p.signalled);
	} else {
		sbuf_put_u16(b, vq->s.last_avail);
		sbuf_put_u16(b, vq->s.used_idx);
		sbuf_put_u16(b, vq->s.signalled);
	}
}

static void mmio_save_queue(struct sbuf *b, const struct virtio_queue *q)
{
	sbuf_put_u16(b, q->size);
	sbuf_put_u8(b, q->enabled);
	for (unsigned int a = 0; a < VIRTIO_AREA_COUNT; a++)
		sbuf_put_u64(b, q->area[a]);
	if (q->enabled)
		mmio_save_ring(b, &q->vq);
}

/*
 * Snapshots hold the worker between two batches from before the first
 * device is saved until the RAM is written (snapshot_save), and let the
 * device give back chains it holds across batches: nothing is half-done
 * and nothing reaches guest RAM after the rings were recorded. The vCPUs
 * are paused, so the driver changes nothing meanwhile either.
 */
static int mmio_quiesce(struct device *dev)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);

	if (m->worker)
		virtio_worker_pause(m->worker);
	if (m->vdev->ops->quiesce)
		m->vdev->ops->quiesce(m->vdev);
	m->quiesced = true;
	return 0;
}

static void mmio_unquiesce(struct device *dev)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);

	m->quiesced = false;
	if (m->worker)
		virtio_worker_resume(m->worker);
}

/* Transport registers, then the core's state (status, features, config
 * generation, queues with their ring positions), then the device's own. */
static int mmio_save_locked(struct virtio_mmio *m, struct sbuf *b)
{
	struct virtio_device *vdev = m->vdev;
	int ret;

	pthread_mutex_lock(&m->lock);
	pthread_mutex_lock(&vdev->lock);
	sbuf_put_u8(b, MMIO_SNAP_VERSION);
	sbuf_put_u32(b, m->dev_feat_sel);
	sbuf_put_u32(b, m->drv_feat_sel);
	sbuf_put_u32(b, m->queue_sel);
	sbuf_put_u32(b, m->shm_sel);
	sbuf_put_u32(b, mmio_isr(m));
	sbuf_put_u8(b, __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE));
	sbuf_put_u64(b, vdev->acked.q[0]);
	sbuf_put_u64(b, vdev->acked.q[1]);
	sbuf_put_u32(b, __atomic_load_n(&vdev->config_gen, __ATOMIC_ACQUIRE));
	sbuf_put_u32(b, vdev->nr_queues);
	for (unsigned int i = 0; i < vdev->nr_queues; i++)
		mmio_save_queue(b, &vdev->queues[i]);
	ret = virtio_dev_save_device(vdev, b);
	pthread_mutex_unlock(&vdev->lock);
	pthread_mutex_unlock(&m->lock);
	return ret ? ret : b->err;
}

/* Outside snapshot_save (unit tests): hold the worker for the save only. */
static int mmio_save(struct device *dev, struct sbuf *b)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);
	bool hold = !m->quiesced && m->worker;
	int ret;

	if (hold)
		virtio_worker_pause(m->worker);
	ret = mmio_save_locked(m, b);
	if (hold)
		virtio_worker_resume(m->worker);
	return ret;
}

static int mmio_restore_ring(struct sbuf_reader *in, struct virtq *vq)
{
	uint32_t opts = sbuf_get_u32(in);

	vq->signalled_valid = sbuf_get_u8(in);
	if (opts != vq->opts)
		return -EINVAL;
	if (opts & VIRTQ_OPT_PACKED) {
		vq->p.next_avail = sbuf_get_u16(in);
		vq->p.next_used = sbuf_get_u16(in);
		vq->p.avail_wrap = sbuf_get_u8(in);
		vq->p.used_wrap = sbuf_get_u8(in);
		vq->p.signalled = sbuf_get_u32(in);
	} else {
		vq->s.last_avail = sbuf_get_u16(in);
		vq->s.used_idx = sbuf_get_u16(in);
		vq->s.signalled = sbuf_get_u16(in);
	}
	if (!in->err && !virtq_positions_ok(vq))
		return -EINVAL;
	return in->err;
}

/* Through the driver-facing calls, as a driver would program it. */
static int mmio_restore_queue(struct virtio_device *vdev, unsigned int i,
			      struct sbuf_reader *in)
{
	uint16_t size = sbuf_get_u16(in);
	bool enabled = sbuf_get_u8(in);
	int ret = 0;

	for (unsigned int a = 0; a < VIRTIO_AREA_COUNT && !ret; a++)
		ret = virtio_queue_set_area(vdev, i, a, sbuf_get_u64(in));
	if (!ret && size)
		ret = virtio_queue_set_size(vdev, i, size);
	if (!ret && enabled)
		ret = virtio_queue_enable(vdev, i);
	if (!ret && enabled)
		ret = mmio_restore_ring(in, &vdev->queues[i].vq);
	return ret ? ret : in->err;
}

/* A device the driver had not got to FEATURES_OK: its queue records can
 * only be idle ones. */
static int mmio_skip_queues(struct sbuf_reader *in, uint32_t nq)
{
	for (uint32_t i = 0; i < nq; i++) {
		sbuf_get_u16(in);
		if (sbuf_get_u8(in))
			return -EINVAL;
		for (unsigned int a = 0; a < VIRTIO_AREA_COUNT; a++)
			sbuf_get_u64(in);
	}
	return in->err;
}

static int mmio_restore_device(struct virtio_device *vdev,
			       struct sbuf_reader *in, uint8_t version)
{
	int ret;

	if (version < 2)
		return 0;
	pthread_mutex_lock(&vdev->lock);
	ret = virtio_dev_restore_device(vdev, in);
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

static int mmio_restore_queues(struct virtio_device *vdev,
			       struct sbuf_reader *in, uint8_t status,
			       const struct virtio_features *acked, uint32_t nq)
{
	int ret = 0;

	if (!(status & VIRTIO_STATUS_FEATURES_OK))
		return mmio_skip_queues(in, nq);
	for (unsigned int d = 0; d < VIRTIO_FEAT_DWORDS; d++)
		virtio_set_driver_features(vdev, d,
					   virtio_feat_get_dword(acked, d));
	virtio_set_status(vdev, status & (VIRTIO_STATUS_ACKNOWLEDGE |
					  VIRTIO_STATUS_DRIVER |
					  VIRTIO_STATUS_FEATURES_OK));
	if (!(virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return -EINVAL; /* not the device that was saved */
	for (unsigned int i = 0; i < nq && !ret; i++)
		ret = mmio_restore_queue(vdev, i, in);
	return ret;
}

static int mmio_restore_core(struct virtio_mmio *m, struct sbuf_reader *in,
			     uint8_t version)
{
	struct virtio_device *vdev = m->vdev;
	uint8_t status = sbuf_get_u8(in);
	struct virtio_features acked;
	uint32_t gen, nq;
	int ret;

	acked.q[0] = sbuf_get_u64(in);
	acked.q[1] = sbuf_get_u64(in);
	gen = sbuf_get_u32(in);
	nq = sbuf_get_u32(in);
	if (in->err || nq != vdev->nr_queues)
		return -EINVAL;
	virtio_set_status(vdev, 0);
	ret = mmio_restore_queues(vdev, in, status, &acked, nq);
	if (!ret)
		ret = mmio_restore_device(vdev, in, version);
	if (ret)
		return ret;
	__atomic_store_n(&vdev->config_gen, gen, __ATOMIC_RELEASE);
	if (status & VIRTIO_STATUS_NEEDS_RESET)
		__atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET,
				  __ATOMIC_ACQ_REL);
	/* Last: DRIVER_OK activates the back end on the restored rings. */
	virtio_set_status(vdev, status & ~VIRTIO_STATUS_NEEDS_RESET);
	return in->err;
}

static int mmio_restore(struct device *dev, struct sbuf_reader *in)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);
	uint8_t version = sbuf_get_u8(in);
	uint32_t isr;
	int ret;

	if (!version || version > MMIO_SNAP_VERSION)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	m->dev_feat_sel = sbuf_get_u32(in);
	m->drv_feat_sel = sbuf_get_u32(in);
	m->queue_sel = sbuf_get_u32(in);
	m->shm_sel = sbuf_get_u32(in);
	isr = sbuf_get_u32(in);
	ret = mmio_restore_core(m, in, version);
	pthread_mutex_unlock(&m->lock);
	if (ret)
		return ret;
	mmio_irq_update(m, isr, ~isr);
	return sbuf_reader_done(in);
}

static void mmio_destroy(struct device *dev)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);

	virtio_dev_destroy(m->vdev); /* resets: the worker stops */
	virtio_dev_attach(m->vdev, NULL, NULL); /* no notifications to m */
	pthread_mutex_destroy(&m->irq_lock);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static void mmio_report(struct device *dev)
{
	struct virtio_mmio *m = container_of(dev, struct virtio_mmio, dev);

	pthread_mutex_lock(&m->irq_lock);
	pr_debug("%s: InterruptStatus 0x%x, GSI %u %s", m->name, m->isr,
		 m->pdev->gsi, m->level ? "raised" : "low");
	pthread_mutex_unlock(&m->irq_lock);
	virtio_dev_report(m->vdev, m->name);
}

static const struct device_ops mmio_dev_ops = {
	.destroy = mmio_destroy,
	.report = mmio_report,
	.save = mmio_save,
	.restore = mmio_restore,
	.quiesce = mmio_quiesce,
	.unquiesce = mmio_unquiesce,
};

void virtio_mmio_set_worker(struct virtio_device *vdev,
			    struct virtio_worker *w)
{
	struct virtio_mmio *m = vdev->transport;

	m->worker = w;
}

static struct virtio_mmio *mmio_alloc(struct vm *vm,
				      struct virtio_device *vdev)
{
	struct virtio_mmio *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL)) {
		free(m);
		return NULL;
	}
	if (pthread_mutex_init(&m->irq_lock, NULL)) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	m->vm = vm;
	m->vdev = vdev;
	m->dev.ops = &mmio_dev_ops;
	return m;
}

int virtio_mmio_attach(struct vm *vm, struct virtio_device *vdev)
{
	struct virtio_mmio *m = mmio_alloc(vm, vdev);
	int ret;

	if (!m) {
		pr_err("%s: out of memory for its virtio-mmio transport",
		       vdev->name);
		return -ENOMEM;
	}
	ret = platform_dev_add(vm, PLATFORM_VIRTIO_MMIO, VIRTIO_MMIO_SIZE,
			       &m->pdev);
	if (!ret) {
		snprintf(m->name, sizeof(m->name), "%s@virtio-mmio:0x%llx",
			 vdev->name, (unsigned long long)m->pdev->base);
		m->dev.name = m->name;
		ret = bus_register(&vm->mmio, m->pdev->base, VIRTIO_MMIO_SIZE,
				   &mmio_bus_ops, m, m->name);
	}
	if (ret) {
		pr_err("%s: cannot attach over virtio-mmio: %s", vdev->name,
		       strerror(-ret));
		/* platform entry stays: the VM is being torn down */
		pthread_mutex_destroy(&m->irq_lock);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return ret;
	}
	virtio_dev_attach(vdev, &mmio_tops, m);
	vm_add_device(vm, &m->dev);
	pr_debug("%s: GSI %u", m->name, m->pdev->gsi);
	return 0;
}
