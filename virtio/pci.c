/* pci.c: the virtio-pci modern transport: capabilities, one BAR (common, notify, ISR, device config, MSI-X), MSI-X and INTx. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "arch.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "devices/pci.h"
#include "virtio/pci.h"
#include "virtio/state.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

#define VPCI_STATE_VERSION 1
#define VPCI_CAP_START	   0x40
#define VPCI_MSIX_CAP_LEN  12
#define VPCI_PBA_WORDS	   (VIRTIO_PCI_MAX_VECTORS / 64)
#define VPCI_DEVICE_MAX	   (VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF)

/* Driver mistakes, reported once each (then at debug level). */
enum vpci_warn {
	VPCI_WARN_WIDTH = 1u << 0,
	VPCI_WARN_VECTOR = 1u << 1,
	VPCI_WARN_PCICFG = 1u << 2,
	VPCI_WARN_MAP = 1u << 3,
};

struct vpci_vector {
	uint64_t addr;
	uint32_t data;
	uint32_t ctrl;	/* vector control: PCI_MSIX_ENTRY_CTRL_MASKBIT */
	int efd;	/* irqfd eventfd */
	uint32_t gsi;
	bool routed;	/* has an MSI route (gsi) */
	bool irqfd;	/* efd is assigned to gsi */
};

struct vpci_notify {
	struct virtio_pci *vp;
	unsigned int q;
	int efd;	/* the queue's ioeventfd, served on the event loop */
};

/*
 * Locks, outermost first: the PCI host's (config hooks), vdev->lock (the
 * core), vp->lock (transport registers, MSI-X, INTx), vm->irq's. vp->lock
 * is never held while calling into the core: notify_used/notify_config
 * take it and may run with vdev->lock held, from device workers too.
 */
struct virtio_pci {
	struct device dev;
	struct pci_device pci;
	struct vm *vm;
	struct virtio_device *vdev;
	struct virtio_worker *worker; /* held still while saving, or NULL */
	bool quiesced;		      /* main thread: held for a snapshot */
	bool irqfd_later;	      /* restoring: no irqfd until restored */
	char name[48];
	unsigned int nr_queues;
	unsigned int slot;
	uint32_t intx_gsi;
	uint8_t cap_pcicfg, cap_msix; /* config-space offsets, 0: none */
	uint32_t warned;	      /* enum vpci_warn, atomic */
	/* BAR mapping: attach, bar_moved (PCI host lock), restore. */
	uint64_t mapped;	      /* on vm->mmio here, or UNMAPPED */
	bool ioeventfds;	      /* notify ioeventfds at 'mapped' */
	struct vpci_notify *notify;   /* [nr_queues] */
	/* Register selects: atomics. */
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	/* Everything below: lock (never held while calling the core). */
	pthread_mutex_t lock;
	uint16_t msix_config;
	uint16_t *qvec;		      /* [nr_queues] */
	uint8_t isr;
	bool intx_level, intx_disabled;
	bool msix_on, msix_masked;    /* MSI-X message control */
	unsigned int nvec;	      /* 0: no MSI-X capability */
	struct vpci_vector *vec;
	uint64_t pba[VPCI_PBA_WORDS];
};

static void vpci_warn(struct virtio_pci *vp, enum vpci_warn kind,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vpci_warn(struct virtio_pci *vp, enum vpci_warn kind,
		      const char *fmt, ...)
{
	uint32_t seen = __atomic_fetch_or(&vp->warned, kind, __ATOMIC_RELAXED);
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(seen & kind ? LOG_DEBUG : LOG_WARN, "%s: %s", vp->name, msg);
}

static uint64_t le_get(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len && i < 8; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0)
		pr_debug("virtio-pci: eventfd write: %s", strerror(errno));
}

/* ---- interrupts (lock held) ---- */

static void intx_set(struct virtio_pci *vp, bool level)
{
	int ret;

	if (vp->intx_level == level)
		return;
	vp->intx_level = level;
	ret = vm_irq_line(vp->vm, vp->intx_gsi, level);
	if (ret)
		pr_debug("%s: INTx GSI %u: %s", vp->name, vp->intx_gsi,
			 strerror(-ret));
}

/* The line follows the ISR unless MSI-X is on or COMMAND disables INTx. */
static void intx_update(struct virtio_pci *vp)
{
	intx_set(vp, vp->isr && !vp->msix_on && !vp->intx_disabled);
}

static bool vector_live(const struct virtio_pci *vp,
			const struct vpci_vector *v)
{
	return vp->msix_on && !vp->msix_masked &&
	       !(v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool pba_test_clear(struct virtio_pci *vp, unsigned int e)
{
	uint64_t bit = 1ULL << (e % 64);
	bool was = vp->pba[e / 64] & bit;

	vp->pba[e / 64] &= ~bit;
	return was;
}

/* The MSI requester ID: bus 0, our devfn. */
static uint32_t vpci_devid(const struct virtio_pci *vp)
{
	return vp->pci.devfn;
}

static void vector_fire(struct virtio_pci *vp, struct vpci_vector *v)
{
	if (v->irqfd)
		efd_signal(v->efd);
	else
		irq_signal_msi(vp->vm, v->addr, v->data, vpci_devid(vp));
}

static void vector_signal(struct virtio_pci *vp, uint16_t e)
{
	struct vpci_vector *v;

	if (e >= vp->nvec)
		return; /* NO_VECTOR: the driver wants no interrupt */
	v = &vp->vec[e];
	if (vector_live(vp, v))
		vector_fire(vp, v);
	else
		vp->pba[e / 64] |= 1ULL << (e % 64);
}

/* Route a live vector's message (not committed yet). */
static void vector_route(struct virtio_pci *vp, struct vpci_vector *v)
{
	int ret;

	if (!v->routed) {
		ret = irq_msi_route_add(vp->vm, v->addr, v->data,
					vpci_devid(vp), &v->gsi);
		v->routed = !ret;
		if (ret)
			pr_debug("%s: no MSI route (%s): KVM_SIGNAL_MSI",
				 vp->name, strerror(-ret));
	} else {
		irq_msi_route_update(vp->vm, v->gsi, v->addr, v->data,
				     vpci_devid(vp));
	}
}

static void vector_connect(struct virtio_pci *vp, struct vpci_vector *v)
{
	if (v->routed && !v->irqfd && !vp->irqfd_later &&
	    (irq_caps(vp->vm) & IRQ_CAP_IRQFD))
		v->irqfd = !irq_irqfd_assign(vp->vm, v->efd, v->gsi);
}

/* Bring every live vector's route up to date with one commit, then
 * deliver what was pending while it was masked. */
static void msix_sync(struct virtio_pci *vp)
{
	unsigned int e;

	for (e = 0; e < vp->nvec; e++)
		if (vector_live(vp, &vp->vec[e]))
			vector_route(vp, &vp->vec[e]);
	irq_routes_commit(vp->vm);
	for (e = 0; e < vp->nvec; e++) {
		struct vpci_vector *v = &vp->vec[e];

		if (!vector_live(vp, v))
			continue;
		vector_connect(vp, v);
		if (pba_test_clear(vp, e))
			vector_fire(vp, v);
	}
}

/* virtio_transport_ops: any thread, maybe with vdev->lock held. */
static void vpci_notify_used(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_pci *vp = vdev->transport;

	if (!vp || q >= vp->nr_queues)
		return;
	pthread_mutex_lock(&vp->lock);
	if (vp->msix_on) {
		vector_signal(vp, vp->qvec[q]);
	} else {
		vp->isr |= VIRTIO_PCI_ISR_QUEUE;
		intx_update(vp);
	}
	pthread_mutex_unlock(&vp->lock);
}

static void vpci_notify_config(struct virtio_device *vdev)
{
	struct virtio_pci *vp = vdev->transport;

	if (!vp)
		return;
	pthread_mutex_lock(&vp->lock);
	/* Set with MSI-X too (virtio 4.1.4.5.1); only INTx follows it. */
	vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	if (vp->msix_on)
		vector_signal(vp, vp->msix_config);
	else
		intx_update(vp);
	pthread_mutex_unlock(&vp->lock);
}

static const struct virtio_transport_ops vpci_tops = {
	.notify_used = vpci_notify_used,
	.notify_config = vpci_notify_config,
};

/* ---- MSI-X table and PBA ---- */

static void msix_dword_write(struct virtio_pci *vp, unsigned int e,
			     unsigned int field, uint32_t val)
{
	struct vpci_vector *v = &vp->vec[e];
	bool was_live;

	pthread_mutex_lock(&vp->lock);
	was_live = vector_live(vp, v);
	switch (field) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		v->addr = (v->addr & ~0xffffffffULL) | val;
		break;
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		v->addr = (v->addr & 0xffffffffULL) | (uint64_t)val << 32;
		break;
	case PCI_MSIX_ENTRY_DATA:
		v->data = val;
		break;
	default:
		v->ctrl = val & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		break;
	}
	/* Masked vectors are routed when unmasked; a live one (undefined
	 * by the spec, but harmless) follows its new message now. */
	if (vector_live(vp, v) &&
	    (!was_live || field != PCI_MSIX_ENTRY_VECTOR_CTRL))
		msix_sync(vp);
	pthread_mutex_unlock(&vp->lock);
}

static uint32_t msix_dword_read(struct virtio_pci *vp, unsigned int e,
				unsigned int field)
{
	struct vpci_vector *v = &vp->vec[e];
	uint32_t val;

	pthread_mutex_lock(&vp->lock);
	switch (field) {
	case PCI_MSIX_ENTRY_LOWER_ADDR:
		val = (uint32_t)v->addr;
		break;
	case PCI_MSIX_ENTRY_UPPER_ADDR:
		val = (uint32_t)(v->addr >> 32);
		break;
	case PCI_MSIX_ENTRY_DATA:
		val = v->data;
		break;
	default:
		val = v->ctrl;
		break;
	}
	pthread_mutex_unlock(&vp->lock);
	return val;
}

/* Dword or qword accesses, naturally aligned (PCI 6.8.2). */
static void msix_table_access(struct virtio_pci *vp, uint64_t off,
			      uint8_t *data, uint32_t len, bool is_write)
{
	unsigned int e = (unsigned int)(off / PCI_MSIX_ENTRY_SIZE);
	unsigned int field = (unsigned int)(off % PCI_MSIX_ENTRY_SIZE);

	if ((len != 4 && len != 8) || off % len) {
		vpci_warn(vp, VPCI_WARN_WIDTH, "MSI-X table: %u-byte access "
			  "at 0x%x ignored", len, (unsigned int)off);
		return;
	}
	for (uint32_t i = 0; i < len; i += 4, field += 4) {
		if (is_write)
			msix_dword_write(vp, e, field, get_le32(data + i));
		else
			put_le32(data + i, msix_dword_read(vp, e, field));
	}
}

static void msix_pba_read(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			  uint32_t len)
{
	uint8_t bytes[VPCI_PBA_WORDS * 8];

	pthread_mutex_lock(&vp->lock);
	for (unsigned int i = 0; i < VPCI_PBA_WORDS; i++)
		put_le64(&bytes[8 * i], vp->pba[i]);
	pthread_mutex_unlock(&vp->lock);
	if (range_fits(off, len, sizeof(bytes)))
		memcpy(data, &bytes[off], len);
}

/* Message control was written (PCI host lock held, in a config hook). */
static void msix_control(struct virtio_pci *vp, uint16_t ctrl)
{
	pthread_mutex_lock(&vp->lock);
	vp->msix_on = ctrl & PCI_MSIX_FLAGS_ENABLE;
	vp->msix_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	intx_update(vp); /* MSI-X on: INTx is not used */
	if (vp->msix_on && !vp->msix_masked)
		msix_sync(vp);
	pthread_mutex_unlock(&vp->lock);
}

/* ---- common configuration ---- */

static unsigned int common_width(unsigned int off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGEN:
		return 1;
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
		return 4;
	}
	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
	    off <= VIRTIO_PCI_COMMON_Q_USEDHI)
		return off % 4 ? 0 : 4;
	return off < VIRTIO_PCI_COMMON_LEN && !(off % 2) ? 2 : 0;
}

static uint16_t vpci_qsel(struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->queue_select, __ATOMIC_RELAXED);
}

/* A ring address half: which area, and is it the high dword? */
static enum virtio_queue_area common_area(unsigned int off, bool *hi)
{
	*hi = (off - VIRTIO_PCI_COMMON_Q_DESCLO) % 8 == 4;
	return (enum virtio_queue_area)((off - VIRTIO_PCI_COMMON_Q_DESCLO) / 8);
}

static uint16_t vpci_vector_get(struct virtio_pci *vp, const uint16_t *reg)
{
	uint16_t v;

	pthread_mutex_lock(&vp->lock);
	v = *reg;
	pthread_mutex_unlock(&vp->lock);
	return v;
}

static uint32_t common_queue_read(struct virtio_pci *vp, unsigned int off)
{
	struct virtio_device *vdev = vp->vdev;
	uint16_t q = vpci_qsel(vp);
	bool hi;
	uint64_t gpa;

	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return virtio_queue_get_size(vdev, q);
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q < vp->nr_queues ? vpci_vector_get(vp, &vp->qvec[q]) :
					   VIRTIO_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return virtio_queue_enabled(vdev, q);
	case VIRTIO_PCI_COMMON_Q_NOFF:
	case VIRTIO_PCI_COMMON_Q_NDATA:
		return q; /* notify address = cap offset + 4 q; data = q */
	case VIRTIO_PCI_COMMON_Q_RESET:
		return 0; /* RING_RESET is not offered */
	}
	if (off < VIRTIO_PCI_COMMON_Q_DESCLO ||
	    off > VIRTIO_PCI_COMMON_Q_USEDHI)
		return 0; /* admin queue registers: no ADMIN_VQ */
	gpa = virtio_queue_get_area(vdev, q, common_area(off, &hi));
	return (uint32_t)(hi ? gpa >> 32 : gpa);
}

static uint32_t common_read(struct virtio_pci *vp, unsigned int off)
{
	struct virtio_device *vdev = vp->vdev;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return __atomic_load_n(&vp->dfselect, __ATOMIC_RELAXED);
	case VIRTIO_PCI_COMMON_DF:
		return virtio_get_device_features(
			vdev, __atomic_load_n(&vp->dfselect, __ATOMIC_RELAXED));
	case VIRTIO_PCI_COMMON_GFSELECT:
		return __atomic_load_n(&vp->gfselect, __ATOMIC_RELAXED);
	case VIRTIO_PCI_COMMON_GF:
		return virtio_get_driver_features(
			vdev, __atomic_load_n(&vp->gfselect, __ATOMIC_RELAXED));
	case VIRTIO_PCI_COMMON_MSIX:
		return vpci_vector_get(vp, &vp->msix_config);
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->nr_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return virtio_get_status(vdev);
	case VIRTIO_PCI_COMMON_CFGGEN:
		return virtio_config_generation(vdev) & 0xff;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vpci_qsel(vp);
	}
	return common_queue_read(vp, off);
}

/* After the device reset: the transport's registers too (virtio 4.1.4.3). */
static void vpci_transport_reset(struct virtio_pci *vp)
{
	__atomic_store_n(&vp->dfselect, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->gfselect, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->queue_select, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&vp->lock);
	vp->msix_config = VIRTIO_NO_VECTOR;
	for (unsigned int q = 0; q < vp->nr_queues; q++)
		vp->qvec[q] = VIRTIO_NO_VECTOR;
	vp->isr = 0;
	/* Messages held back by a masked vector belong to the old session:
	 * unmasked later, they would be spurious. */
	memset(vp->pba, 0, sizeof(vp->pba));
	intx_update(vp);
	pthread_mutex_unlock(&vp->lock);
}

/* A vector the table has, or NO_VECTOR (which the driver then reads). */
static uint16_t vpci_vector_set(struct virtio_pci *vp, uint16_t *reg,
				uint32_t val)
{
	uint16_t vec = (uint16_t)val;

	if (vec != VIRTIO_NO_VECTOR && vec >= vp->nvec) {
		vpci_warn(vp, VPCI_WARN_VECTOR, "vector %u refused (%u in the "
			  "MSI-X table)", vec, vp->nvec);
		vec = VIRTIO_NO_VECTOR;
	}
	pthread_mutex_lock(&vp->lock);
	*reg = vec;
	pthread_mutex_unlock(&vp->lock);
	return vec;
}

static void common_area_write(struct virtio_pci *vp, uint16_t q,
			      unsigned int off, uint32_t val)
{
	bool hi;
	enum virtio_queue_area area = common_area(off, &hi);
	uint64_t gpa = virtio_queue_get_area(vp->vdev, q, area);

	if (hi)
		gpa = (gpa & 0xffffffffULL) | (uint64_t)val << 32;
	else
		gpa = (gpa & ~0xffffffffULL) | val;
	virtio_queue_set_area(vp->vdev, q, area, gpa);
}

static void common_queue_write(struct virtio_pci *vp, unsigned int off,
			       uint32_t val)
{
	struct virtio_device *vdev = vp->vdev;
	uint16_t q = vpci_qsel(vp);

	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		virtio_queue_set_size(vdev, q, (uint16_t)val);
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q < vp->nr_queues)
			virtio_queue_set_vector(vdev, q,
						vpci_vector_set(vp, &vp->qvec[q],
								val));
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			virtio_queue_enable(vdev, q);
		return;
	}
	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
	    off <= VIRTIO_PCI_COMMON_Q_USEDHI)
		common_area_write(vp, q, off, val);
	/* queue_notify_off/data, queue_reset, admin: read-only or absent */
}

static void common_write(struct virtio_pci *vp, unsigned int off, uint32_t val)
{
	struct virtio_device *vdev = vp->vdev;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		__atomic_store_n(&vp->dfselect, val, __ATOMIC_RELAXED);
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		__atomic_store_n(&vp->gfselect, val, __ATOMIC_RELAXED);
		return;
	case VIRTIO_PCI_COMMON_GF:
		virtio_set_driver_features(
			vdev, __atomic_load_n(&vp->gfselect, __ATOMIC_RELAXED),
			val);
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		vpci_vector_set(vp, &vp->msix_config, val);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_set_status(vdev, (uint8_t)val);
		if (!(uint8_t)val)
			vpci_transport_reset(vp);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		__atomic_store_n(&vp->queue_select, (uint16_t)val,
				 __ATOMIC_RELAXED);
		return;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGEN:
		return; /* read-only */
	}
	common_queue_write(vp, off, val);
}

static void common_access(struct virtio_pci *vp, unsigned int off,
			  uint8_t *data, uint32_t len, bool is_write)
{
	/* A 64-bit ring address in one access: two dword halves. */
	if (len == 8 && off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
	    off <= VIRTIO_PCI_COMMON_Q_USEDHI && !(off % 8)) {
		common_access(vp, off, data, 4, is_write);
		common_access(vp, off + 4, data + 4, 4, is_write);
		return;
	}
	if (common_width(off) != len) {
		vpci_warn(vp, VPCI_WARN_WIDTH, "common config: %u-byte access "
			  "at 0x%x ignored", len, off);
		return;
	}
	if (is_write)
		common_write(vp, off, (uint32_t)le_get(data, len));
	else
		le_put(data, len, common_read(vp, off));
}

/* ---- the BAR ---- */

static void isr_read(struct virtio_pci *vp, uint64_t off, uint8_t *data)
{
	if (off)
		return; /* only byte 0 is the ISR */
	pthread_mutex_lock(&vp->lock);
	data[0] = vp->isr;
	vp->isr = 0; /* reading acknowledges */
	intx_update(vp);
	pthread_mutex_unlock(&vp->lock);
}

/* Kicks go through the queue's eventfd, so the device always sees them on
 * the event loop, whether KVM's ioeventfd or this exit delivered them. */
static void notify_write(struct virtio_pci *vp, uint64_t off)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULT;

	if (!(off % VIRTIO_PCI_NOTIFY_MULT) && q < vp->nr_queues)
		efd_signal(vp->notify[q].efd);
}

static bool in_region(uint64_t off, uint32_t len, uint64_t base, uint64_t size)
{
	return off >= base && range_fits(off - base, len, size);
}

static void vpci_bar_access(struct virtio_pci *vp, uint64_t off,
			    uint8_t *data, uint32_t len, bool is_write)
{
	uint32_t cfg_len = vp->vdev->config_len;
	uint32_t dev_off = (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF);

	if (!is_write)
		memset(data, 0, len);
	if (in_region(off, len, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN))
		common_access(vp, (unsigned int)(off - VIRTIO_PCI_COMMON_OFF),
			      data, len, is_write);
	else if (in_region(off, len, VIRTIO_PCI_ISR_OFF, 4) && !is_write)
		isr_read(vp, off - VIRTIO_PCI_ISR_OFF, data);
	else if (in_region(off, len, VIRTIO_PCI_DEVICE_OFF, cfg_len) &&
		 is_write)
		virtio_config_write(vp->vdev, dev_off, data, len);
	else if (in_region(off, len, VIRTIO_PCI_DEVICE_OFF, cfg_len))
		virtio_config_read(vp->vdev, dev_off, data, len);
	else if (in_region(off, len, VIRTIO_PCI_NOTIFY_OFF,
			   VIRTIO_PCI_NOTIFY_MULT * vp->nr_queues) && is_write)
		notify_write(vp, off - VIRTIO_PCI_NOTIFY_OFF);
	else if (in_region(off, len, VIRTIO_PCI_MSIX_TABLE_OFF,
			   PCI_MSIX_ENTRY_SIZE * vp->nvec))
		msix_table_access(vp, off - VIRTIO_PCI_MSIX_TABLE_OFF, data,
				  len, is_write);
	else if (in_region(off, len, VIRTIO_PCI_MSIX_PBA_OFF,
			   8 * ((vp->nvec + 63) / 64)) && !is_write)
		msix_pba_read(vp, off - VIRTIO_PCI_MSIX_PBA_OFF, data, len);
}

static void vpci_mmio_read(void *opaque, uint64_t off, uint8_t *data,
			   uint32_t len)
{
	vpci_bar_access(opaque, off, data, len, false);
}

static void vpci_mmio_write(void *opaque, uint64_t off, const uint8_t *data,
			    uint32_t len)
{
	uint8_t buf[8] = { 0 };

	memcpy(buf, data, MIN(len, (uint32_t)sizeof(buf)));
	vpci_bar_access(opaque, off, buf, MIN(len, (uint32_t)sizeof(buf)),
			true);
}

static const struct bus_ops vpci_mmio_ops = {
	.read = vpci_mmio_read,
	.write = vpci_mmio_write,
};

static void vpci_ioeventfds(struct virtio_pci *vp, uint64_t base, bool assign)
{
	struct irq_ioeventfd io = { .len = 2 }; /* the 16-bit queue index */

	for (unsigned int q = 0; q < vp->nr_queues; q++) {
		io.addr = base + VIRTIO_PCI_NOTIFY_OFF +
			  (uint64_t)VIRTIO_PCI_NOTIFY_MULT * q;
		io.fd = vp->notify[q].efd;
		if (assign)
			irq_ioeventfd_assign(vp->vm, &io);
		else
			irq_ioeventfd_deassign(vp->vm, &io);
	}
}

static void vpci_unmap(struct virtio_pci *vp)
{
	if (vp->mapped == PCI_BAR_UNMAPPED)
		return;
	if (vp->ioeventfds)
		vpci_ioeventfds(vp, vp->mapped, false);
	vp->ioeventfds = false;
	bus_unregister(&vp->vm->mmio, vp->mapped);
	vp->mapped = PCI_BAR_UNMAPPED;
}

/* Put the BAR on vm->mmio at addr (UNMAPPED: nowhere). A clash (a guest
 * placing it over something else) leaves it unmapped. */
static int vpci_map(struct virtio_pci *vp, uint64_t addr)
{
	int ret;

	vpci_unmap(vp);
	if (addr == PCI_BAR_UNMAPPED)
		return 0;
	ret = bus_register(&vp->vm->mmio, addr, VIRTIO_PCI_BAR_SIZE,
			   &vpci_mmio_ops, vp, vp->name);
	if (ret) {
		vpci_warn(vp, VPCI_WARN_MAP, "BAR at 0x%llx not mapped: %s",
			  (unsigned long long)addr, strerror(-ret));
		return ret;
	}
	vp->mapped = addr;
	if (irq_caps(vp->vm) & IRQ_CAP_IOEVENTFD) {
		vpci_ioeventfds(vp, addr, true);
		vp->ioeventfds = true;
	}
	return 0;
}

/* ---- configuration space ---- */

static struct virtio_pci *vpci_of(struct pci_device *pdev)
{
	return container_of(pdev, struct virtio_pci, pci);
}

static bool cfg_overlaps(uint32_t off, uint32_t len, uint32_t reg,
			 uint32_t reg_len)
{
	return off < reg + reg_len && off + len > reg;
}

/* The VIRTIO_PCI_CAP_PCI_CFG window: bar/offset/length select what
 * pci_cfg_data reads or writes in the BAR. */
static bool pcicfg_window(struct virtio_pci *vp, uint64_t *off, uint32_t *len)
{
	uint8_t cap = vp->cap_pcicfg;
	uint8_t bar = pci_cfg_get8(&vp->pci, cap + VIRTIO_PCI_CAP_BAR);

	*off = pci_cfg_get32(&vp->pci, cap + VIRTIO_PCI_CAP_OFFSET);
	*len = pci_cfg_get32(&vp->pci, cap + VIRTIO_PCI_CAP_LENGTH);
	if (bar == VIRTIO_PCI_BAR && (*len == 1 || *len == 2 || *len == 4) &&
	    !(*off % *len) && *off + *len <= VIRTIO_PCI_BAR_SIZE)
		return true;
	vpci_warn(vp, VPCI_WARN_PCICFG, "pci_cfg access: bar %u offset 0x%llx "
		  "length %u ignored", bar, (unsigned long long)*off, *len);
	return false;
}

static void pcicfg_access(struct virtio_pci *vp, uint32_t off, uint8_t *data,
			  uint32_t len, bool is_write)
{
	uint32_t reg = vp->cap_pcicfg + VIRTIO_PCI_CAP_DATA, wlen;
	uint8_t *win = &vp->pci.cfg.bytes[reg];
	uint64_t boff;

	if (!vp->cap_pcicfg || !cfg_overlaps(off, len, reg, 4) ||
	    !pcicfg_window(vp, &boff, &wlen))
		return;
	if (is_write) {
		vpci_bar_access(vp, boff, win, wlen, true);
		return;
	}
	memset(win, 0, 4);
	vpci_bar_access(vp, boff, win, wlen, false);
	for (uint32_t i = 0; i < len; i++)
		if (off + i >= reg && off + i < reg + 4)
			data[i] = win[off + i - reg];
}

static void vpci_cfg_read(struct pci_device *pdev, uint32_t off,
			  uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = vpci_of(pdev);
	bool pending;

	if (cfg_overlaps(off, len, PCI_STATUS, 1)) {
		pthread_mutex_lock(&vp->lock);
		pending = vp->isr && !vp->msix_on;
		pthread_mutex_unlock(&vp->lock);
		if (pending)
			data[PCI_STATUS - off] |= PCI_STATUS_INTERRUPT;
	}
	pcicfg_access(vp, off, data, len, false);
}

static void vpci_cfg_write(struct pci_device *pdev, uint32_t off,
			   const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = vpci_of(pdev);
	uint16_t cmd = pci_cfg_get16(pdev, PCI_COMMAND);

	if (cfg_overlaps(off, len, PCI_COMMAND, 2)) {
		pthread_mutex_lock(&vp->lock);
		vp->intx_disabled = cmd & PCI_COMMAND_INTX_DISABLE;
		intx_update(vp);
		pthread_mutex_unlock(&vp->lock);
	}
	if (vp->cap_msix &&
	    cfg_overlaps(off, len, vp->cap_msix + PCI_MSIX_FLAGS, 2))
		msix_control(vp, pci_cfg_get16(pdev,
					       vp->cap_msix + PCI_MSIX_FLAGS));
	pcicfg_access(vp, off, NULL, len, true);
}

static void vpci_bar_moved(struct pci_device *pdev, unsigned int bar,
			   uint64_t old_addr, uint64_t new_addr)
{
	if (bar == VIRTIO_PCI_BAR)
		vpci_map(vpci_of(pdev), new_addr);
}

static const struct pci_device_ops vpci_pci_ops = {
	.cfg_read = vpci_cfg_read,
	.cfg_write = vpci_cfg_write,
	.bar_moved = vpci_bar_moved,
};

/* Links a capability of 'len' bytes at 'off' behind *prev. */
static void cap_add(struct pci_device *pdev, uint8_t *prev, uint8_t off,
		    uint8_t id)
{
	pci_cfg_set8(pdev, *prev, off);
	pci_cfg_set8(pdev, off, id);
	*prev = off + 1; /* its cap_next */
}

static void cap_vendor(struct pci_device *pdev, uint8_t *prev, uint8_t off,
		       uint8_t len, uint8_t type, uint32_t region,
		       uint32_t size)
{
	cap_add(pdev, prev, off, PCI_CAP_ID_VNDR);
	pci_cfg_set8(pdev, off + 2, len);
	pci_cfg_set8(pdev, off + 3, type);
	pci_cfg_set8(pdev, off + VIRTIO_PCI_CAP_BAR, VIRTIO_PCI_BAR);
	pci_cfg_set32(pdev, off + VIRTIO_PCI_CAP_OFFSET, region);
	pci_cfg_set32(pdev, off + VIRTIO_PCI_CAP_LENGTH, size);
}

static void caps_msix(struct virtio_pci *vp, uint8_t *prev, uint8_t off)
{
	struct pci_device *pdev = &vp->pci;

	cap_add(pdev, prev, off, PCI_CAP_ID_MSIX);
	pci_cfg_set16(pdev, off + PCI_MSIX_FLAGS, (uint16_t)(vp->nvec - 1));
	pci_cfg_set32(pdev, off + PCI_MSIX_TABLE,
		      VIRTIO_PCI_MSIX_TABLE_OFF | VIRTIO_PCI_BAR);
	pci_cfg_set32(pdev, off + PCI_MSIX_PBA,
		      VIRTIO_PCI_MSIX_PBA_OFF | VIRTIO_PCI_BAR);
	pdev->wmask[off + PCI_MSIX_FLAGS + 1] =
		(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	vp->cap_msix = off;
}

/* COMMON, NOTIFY, ISR, DEVICE (if it has config), PCI_CFG, MSI-X. */
static void vpci_caps(struct virtio_pci *vp)
{
	struct pci_device *pdev = &vp->pci;
	uint8_t prev = PCI_CAPABILITY_LIST, off = VPCI_CAP_START;

	pci_cfg_set16(pdev, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cap_vendor(pdev, &prev, off, VIRTIO_PCI_CAP_LEN,
		   VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		   VIRTIO_PCI_COMMON_LEN);
	off += VIRTIO_PCI_CAP_LEN;
	cap_vendor(pdev, &prev, off, VIRTIO_PCI_NOTIFY_CAP_LEN,
		   VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		   VIRTIO_PCI_NOTIFY_MULT * vp->nr_queues);
	pci_cfg_set32(pdev, off + VIRTIO_PCI_CAP_MULT, VIRTIO_PCI_NOTIFY_MULT);
	off += VIRTIO_PCI_NOTIFY_CAP_LEN;
	cap_vendor(pdev, &prev, off, VIRTIO_PCI_CAP_LEN, VIRTIO_PCI_CAP_ISR_CFG,
		   VIRTIO_PCI_ISR_OFF, 1);
	off += VIRTIO_PCI_CAP_LEN;
	if (vp->vdev->config_len) {
		cap_vendor(pdev, &prev, off, VIRTIO_PCI_CAP_LEN,
			   VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
			   vp->vdev->config_len);
		off += VIRTIO_PCI_CAP_LEN;
	}
	cap_vendor(pdev, &prev, off, VIRTIO_PCI_CFG_CAP_LEN,
		   VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
	memset(&pdev->wmask[off + VIRTIO_PCI_CAP_BAR], 0xff, 1);
	memset(&pdev->wmask[off + VIRTIO_PCI_CAP_OFFSET], 0xff, 12);
	vp->cap_pcicfg = off;
	off += VIRTIO_PCI_CFG_CAP_LEN;
	if (vp->nvec)
		caps_msix(vp, &prev, off);
}

static uint32_t vpci_class(uint32_t device_id)
{
	switch (device_id) {
	case 1: /* net */
		return 0x020000;
	case 2: /* block */
		return 0x018000;
	case 3: /* console */
		return 0x078000;
	case 16: /* gpu */
		return 0x038000;
	case 18: /* input */
		return 0x098000;
	}
	return 0x00ff00; /* unclassified */
}

static void vpci_config_init(struct virtio_pci *vp)
{
	struct pci_device *pdev = &vp->pci;
	uint32_t id = vp->vdev->device_id;

	pci_device_init(pdev, VIRTIO_PCI_VENDOR,
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + id),
			vpci_class(id), VIRTIO_PCI_REVISION, &vpci_pci_ops);
	pci_cfg_set16(pdev, PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	pci_cfg_set16(pdev, PCI_SUBSYSTEM_ID,
		      (uint16_t)(VIRTIO_PCI_SUBSYS_BASE + id));
	pci_cfg_set8(pdev, PCI_INTERRUPT_PIN, 1); /* INTA */
	vpci_caps(vp);
}

/* ---- BAR placement ---- */

/* The lowest free, naturally aligned 'size' bytes of the arch's 32-bit PCI
 * window that nothing on vm->mmio uses (the bus is the one place that
 * knows every device's address; firmware-placed BARs decode from the
 * start, so they are on it). */
static int vpci_bar_alloc(struct vm *vm, uint64_t size, uint64_t *addr)
{
	uint64_t b32, s32, b64, s64, a;
	int ret = arch_pci_mmio_window(&b32, &s32, &b64, &s64);

	if (ret)
		return ret;
	a = ALIGN_UP(b32, size);
	pthread_rwlock_rdlock(&vm->mmio.lock);
	for (size_t i = 0; i < vm->mmio.nr; i++) {
		const struct bus_range *r = &vm->mmio.ranges[i];

		if (r->base + r->len <= a)
			continue;
		if (r->base >= a + size)
			break;
		a = ALIGN_UP(r->base + r->len, size);
	}
	pthread_rwlock_unlock(&vm->mmio.lock);
	if (a + size > b32 + s32)
		return -ENOSPC;
	*addr = a;
	return 0;
}

/* ---- life cycle ---- */

static int vpci_notify_event(void *opaque, uint32_t events)
{
	struct vpci_notify *n = opaque;
	uint64_t count;

	if (read(n->efd, &count, sizeof(count)) == sizeof(count))
		virtio_queue_notify(n->vp->vdev, n->q);
	return 0;
}

static int vpci_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int vpci_alloc_queues(struct virtio_pci *vp)
{
	int fd;

	vp->notify = calloc(vp->nr_queues ? vp->nr_queues : 1,
			    sizeof(*vp->notify));
	vp->qvec = calloc(vp->nr_queues ? vp->nr_queues : 1,
			  sizeof(*vp->qvec));
	if (!vp->notify || !vp->qvec)
		return -ENOMEM;
	for (unsigned int q = 0; q < vp->nr_queues; q++)
		vp->notify[q].efd = -1;
	for (unsigned int q = 0; q < vp->nr_queues; q++) {
		fd = vpci_eventfd();
		if (fd < 0)
			return fd;
		vp->notify[q] = (struct vpci_notify){ vp, q, fd };
		vp->qvec[q] = VIRTIO_NO_VECTOR;
		if ((fd = loop_add(&vp->vm->loop, fd, EPOLLIN,
				   vpci_notify_event, &vp->notify[q])) < 0) {
			close(vp->notify[q].efd);
			vp->notify[q].efd = -1;
			return fd;
		}
	}
	return 0;
}

static int vpci_alloc_vectors(struct virtio_pci *vp)
{
	unsigned int caps = irq_caps(vp->vm);
	int fd;

	if (!(caps & IRQ_CAP_ROUTING) || !(caps & IRQ_CAP_IRQFD)) {
		pr_info("%s: no MSI-X (KVM lacks GSI routing or irqfd): INTx",
			vp->name);
		return 0;
	}
	vp->nvec = MIN(vp->nr_queues + 1, (unsigned int)VIRTIO_PCI_MAX_VECTORS);
	vp->vec = calloc(vp->nvec, sizeof(*vp->vec));
	if (!vp->vec)
		return -ENOMEM;
	for (unsigned int e = 0; e < vp->nvec; e++)
		vp->vec[e].efd = -1;
	for (unsigned int e = 0; e < vp->nvec; e++) {
		fd = vpci_eventfd();
		if (fd < 0)
			return fd;
		vp->vec[e].efd = fd;
		vp->vec[e].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	return 0;
}

static void vpci_free(struct virtio_pci *vp)
{
	for (unsigned int q = 0; vp->notify && q < vp->nr_queues; q++) {
		if (vp->notify[q].efd < 0)
			continue;
		loop_del(&vp->vm->loop, vp->notify[q].efd);
		close(vp->notify[q].efd);
	}
	for (unsigned int e = 0; vp->vec && e < vp->nvec; e++) {
		if (vp->vec[e].irqfd)
			irq_irqfd_deassign(vp->vm, vp->vec[e].efd,
					   vp->vec[e].gsi);
		if (vp->vec[e].routed)
			irq_msi_route_remove(vp->vm, vp->vec[e].gsi);
		if (vp->vec[e].efd >= 0)
			close(vp->vec[e].efd);
	}
	pthread_mutex_destroy(&vp->lock);
	free(vp->vec);
	free(vp->qvec);
	free(vp->notify);
	free(vp);
}

static void vpci_destroy(struct device *dev)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);

	/* Resets the device (its worker stops) before the notifications go
	 * away; the device frees its own memory afterwards. */
	virtio_dev_destroy(vp->vdev);
	virtio_dev_attach(vp->vdev, NULL, NULL);
	vpci_unmap(vp);
	vpci_free(vp);
}

static int vpci_check(struct vm *vm, const struct virtio_device *vdev)
{
	if (!vm->pci) {
		pr_err("%s: no PCI bus to put it on", vdev->name);
		return -ENODEV;
	}
	if (vdev->nr_queues > VIRTIO_PCI_MAX_QUEUES ||
	    vdev->config_len > VPCI_DEVICE_MAX) {
		pr_err("%s: %u queues / %u bytes of config: virtio-pci takes "
		       "at most %u / %u", vdev->name, vdev->nr_queues,
		       vdev->config_len, VIRTIO_PCI_MAX_QUEUES,
		       VPCI_DEVICE_MAX);
		return -EINVAL;
	}
	return 0;
}

static int vpci_setup(struct virtio_pci *vp)
{
	uint64_t addr;
	int ret;

	if ((ret = vpci_alloc_queues(vp)) || (ret = vpci_alloc_vectors(vp)))
		return ret;
	vpci_config_init(vp);
	ret = vpci_bar_alloc(vp->vm, VIRTIO_PCI_BAR_SIZE, &addr);
	if (ret) {
		pr_err("%s: no room for its BAR in the PCI window", vp->name);
		return ret;
	}
	ret = pci_set_bar(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64,
			  VIRTIO_PCI_BAR_SIZE, addr);
	if (ret)
		return ret;
	pci_cfg_set16(&vp->pci, PCI_COMMAND, PCI_COMMAND_MEMORY);
	return vpci_map(vp, addr);
}

static const struct device_ops vpci_dev_ops;

int virtio_pci_attach(struct vm *vm, struct virtio_device *vdev)
{
	struct virtio_pci *vp;
	unsigned int devfn;
	int ret;

	if ((ret = vpci_check(vm, vdev)) || (ret = irq_init(vm)))
		return ret;
	vp = calloc(1, sizeof(*vp));
	if (!vp || pthread_mutex_init(&vp->lock, NULL)) {
		free(vp);
		return -ENOMEM;
	}
	vp->vm = vm;
	vp->vdev = vdev;
	vp->nr_queues = vdev->nr_queues;
	vp->mapped = PCI_BAR_UNMAPPED;
	vp->msix_config = VIRTIO_NO_VECTOR;
	snprintf(vp->name, sizeof(vp->name), "virtio-pci-%s", vdev->name);
	ret = vpci_setup(vp);
	if (!ret)
		ret = pci_register(vm->pci, &vp->pci, &devfn);
	if (ret) {
		pr_err("%s: cannot attach: %s", vp->name, strerror(-ret));
		vpci_unmap(vp);
		vpci_free(vp);
		return ret;
	}
	vp->slot = devfn >> 3;
	vp->intx_gsi = arch_pci_intx_gsi(vp->slot, 0);
	pci_cfg_set8(&vp->pci, PCI_INTERRUPT_LINE, (uint8_t)vp->intx_gsi);
	vp->dev.name = vp->name;
	vp->dev.ops = &vpci_dev_ops;
	virtio_dev_attach(vdev, &vpci_tops, vp);
	vm_add_device(vm, &vp->dev);
	pr_debug("%s: 00:%02x.0, BAR at 0x%llx, INTx GSI %u, %u MSI-X vectors",
		 vp->name, vp->slot, (unsigned long long)vp->mapped,
		 vp->intx_gsi, vp->nvec);
	return 0;
}

void virtio_pci_set_worker(struct virtio_device *vdev,
			   struct virtio_worker *worker)
{
	struct virtio_pci *vp = vdev->transport;

	vp->worker = worker;
}

/* ---- snapshots ---- */

static void vpci_save_msix(struct virtio_pci *vp, struct sbuf *out)
{
	sbuf_put_u32(out, vp->nvec);
	for (unsigned int e = 0; e < vp->nvec; e++) {
		sbuf_put_u64(out, vp->vec[e].addr);
		sbuf_put_u32(out, vp->vec[e].data);
		sbuf_put_u32(out, vp->vec[e].ctrl);
	}
	for (unsigned int i = 0; i < VPCI_PBA_WORDS; i++)
		sbuf_put_u64(out, vp->pba[i]);
}

/* See mmio_quiesce: the worker holds still between two batches, and the
 * device gives back what it holds across batches, until the RAM is saved. */
static int vpci_quiesce(struct device *dev)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);

	if (vp->worker)
		virtio_worker_pause(vp->worker);
	if (vp->vdev->ops->quiesce)
		vp->vdev->ops->quiesce(vp->vdev);
	vp->quiesced = true;
	return 0;
}

static void vpci_unquiesce(struct device *dev)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);

	vp->quiesced = false;
	if (vp->worker)
		virtio_worker_resume(vp->worker);
}

static int vpci_save(struct device *dev, struct sbuf *out)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);
	bool hold = !vp->quiesced && vp->worker; /* outside snapshot_save */
	int ret;

	if (hold)
		virtio_worker_pause(vp->worker);
	sbuf_put_u32(out, VPCI_STATE_VERSION);
	sbuf_put_bytes(out, &vp->pci.cfg, sizeof(vp->pci.cfg));
	sbuf_put_u32(out, __atomic_load_n(&vp->dfselect, __ATOMIC_RELAXED));
	sbuf_put_u32(out, __atomic_load_n(&vp->gfselect, __ATOMIC_RELAXED));
	sbuf_put_u16(out, vpci_qsel(vp));
	pthread_mutex_lock(&vp->lock);
	sbuf_put_u16(out, vp->msix_config);
	sbuf_put_u32(out, vp->nr_queues);
	for (unsigned int q = 0; q < vp->nr_queues; q++)
		sbuf_put_u16(out, vp->qvec[q]);
	sbuf_put_u8(out, vp->isr);
	vpci_save_msix(vp, out);
	pthread_mutex_unlock(&vp->lock);
	ret = out->err ? out->err : virtio_dev_save(vp->vdev, out);
	if (hold)
		virtio_worker_resume(vp->worker);
	return ret;
}

static int vpci_restore_msix(struct virtio_pci *vp, struct sbuf_reader *in)
{
	if (sbuf_get_u32(in) != vp->nvec)
		return -EINVAL;
	for (unsigned int e = 0; e < vp->nvec; e++) {
		vp->vec[e].addr = sbuf_get_u64(in);
		vp->vec[e].data = sbuf_get_u32(in);
		vp->vec[e].ctrl = sbuf_get_u32(in) &
				  PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	for (unsigned int i = 0; i < VPCI_PBA_WORDS; i++)
		vp->pba[i] = sbuf_get_u64(in);
	return in->err;
}

static int vpci_restore_regs(struct virtio_pci *vp, struct sbuf_reader *in)
{
	vp->dfselect = sbuf_get_u32(in);
	vp->gfselect = sbuf_get_u32(in);
	vp->queue_select = sbuf_get_u16(in);
	vp->msix_config = sbuf_get_u16(in);
	if (sbuf_get_u32(in) != vp->nr_queues)
		return in->err ? in->err : -EINVAL;
	for (unsigned int q = 0; q < vp->nr_queues; q++)
		vp->qvec[q] = sbuf_get_u16(in);
	vp->isr = sbuf_get_u8(in);
	return in->err ? in->err : vpci_restore_msix(vp, in);
}

/* Runs before the vCPUs do: no PCI or bus access races with it. */
static int vpci_restore(struct device *dev, struct sbuf_reader *in)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);
	struct pci_config cfg;
	uint16_t cmd, ctrl = 0;
	int ret;

	if (sbuf_get_u32(in) != VPCI_STATE_VERSION)
		return -EINVAL;
	sbuf_get_bytes(in, &cfg, sizeof(cfg));
	pthread_mutex_lock(&vp->lock);
	ret = in->err ? in->err : vpci_restore_regs(vp, in);
	pthread_mutex_unlock(&vp->lock);
	if (ret)
		return ret;
	vp->pci.cfg = cfg;
	cmd = pci_cfg_get16(&vp->pci, PCI_COMMAND);
	vp->pci.bar_addr[VIRTIO_PCI_BAR] =
		cmd & PCI_COMMAND_MEMORY ?
			pci_bar_address(&vp->pci, VIRTIO_PCI_BAR) :
			PCI_BAR_UNMAPPED;
	vpci_map(vp, vp->pci.bar_addr[VIRTIO_PCI_BAR]);
	pthread_mutex_lock(&vp->lock);
	vp->intx_disabled = cmd & PCI_COMMAND_INTX_DISABLE;
	pthread_mutex_unlock(&vp->lock);
	if (vp->cap_msix)
		ctrl = pci_cfg_get16(&vp->pci, vp->cap_msix + PCI_MSIX_FLAGS);
	/* Routes and the INTx line now; the irqfds once the interrupt
	 * controller is restored (arm64's vGIC refuses them before its
	 * CTRL_INIT): vpci_restored. */
	vp->irqfd_later = true;
	msix_control(vp, ctrl);
	return virtio_dev_restore(vp->vdev, in);
}

/* After the arch state: each live vector's irqfd, as before the save. */
static int vpci_restored(struct device *dev)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);

	pthread_mutex_lock(&vp->lock);
	vp->irqfd_later = false;
	for (unsigned int e = 0; vp->msix_on && e < vp->nvec; e++)
		if (vector_live(vp, &vp->vec[e]))
			vector_connect(vp, &vp->vec[e]);
	pthread_mutex_unlock(&vp->lock);
	return 0;
}

static void vpci_report(struct device *dev)
{
	struct virtio_pci *vp = container_of(dev, struct virtio_pci, dev);

	pthread_mutex_lock(&vp->lock);
	pr_debug("%s: %s, ISR 0x%x, INTx %s", vp->name,
		 vp->msix_on ? "MSI-X" : "INTx", vp->isr,
		 vp->intx_level ? "raised" : "low");
	pthread_mutex_unlock(&vp->lock);
	virtio_dev_report(vp->vdev, vp->name);
}

static const struct device_ops vpci_dev_ops = {
	.destroy = vpci_destroy,
	.report = vpci_report,
	.save = vpci_save,
	.restore = vpci_restore,
	.restored = vpci_restored,
	.quiesce = vpci_quiesce,
	.unquiesce = vpci_unquiesce,
};
