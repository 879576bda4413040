/* fake_vhost.h: a fake vhost kernel behind the vhost ioctl hook, for the unit tests: features (u64 and array ioctls), memory table, vrings and net back-ends, as the kernel checks them. */
#ifndef MINIVMM_FAKE_VHOST_H
#define MINIVMM_FAKE_VHOST_H

#include <errno.h>
#include <string.h>

#include "virtio/vhost.h"
#include "virtio/virtio.h"

/* With or without the array ioctls (array_err: what they give instead,
 * -ENOTTY before Linux 6.17, -ENOBUFS/-EINVAL on some). */
struct fake_vhost {
	int array_err;
	struct virtio_features offer, acked;
	unsigned int calls[256]; /* by ioctl nr */
	uint64_t mem_regions;	 /* of the last memory table; 0: none yet */
	struct vh_vring_addr addr;
	unsigned int backends, detaches, efaults;
};

static inline int fake_vhost_set_array(struct fake_vhost *k,
				       const struct vh_features_array *a)
{
	for (uint64_t i = 0; i < a->count; i++) {
		uint64_t v = a->features[i];

		if (i >= 2 ? v != 0 : (v & ~k->offer.q[i]) != 0)
			return -EOPNOTSUPP;
		if (i < 2)
			k->acked.q[i] = v;
	}
	return 0;
}

/* As the kernel: a vring whose device has no memory table yet refuses
 * VHOST_NET_SET_BACKEND, even to detach (EFAULT). */
static inline int fake_vhost_backend(struct fake_vhost *k,
				     const struct vh_vring_file *f)
{
	if (!k->mem_regions) {
		k->efaults++;
		return -EFAULT;
	}
	k->backends += f->fd >= 0;
	k->detaches += f->fd < 0;
	return 0;
}

static inline int fake_vhost_ioctl(void *ctx, int fd, unsigned long req,
				   void *arg)
{
	struct fake_vhost *k = ctx;
	struct vh_features_array *a = arg;

	(void)fd;
	k->calls[_IOC_NR(req)]++;
	switch (req) {
	case VH_GET_FEATURES_ARRAY:
		if (k->array_err)
			return k->array_err;
		for (uint64_t i = 0; i < a->count; i++)
			a->features[i] = i < 2 ? k->offer.q[i] : 0;
		return 0;
	case VH_SET_FEATURES_ARRAY:
		return k->array_err ? k->array_err : fake_vhost_set_array(k, a);
	case VH_GET_FEATURES:
		*(uint64_t *)arg = k->offer.q[0];
		return 0;
	case VH_SET_FEATURES:
		if (*(uint64_t *)arg & ~k->offer.q[0])
			return -EOPNOTSUPP;
		k->acked.q[0] = *(uint64_t *)arg;
		return 0;
	case VH_SET_MEM_TABLE:
		k->mem_regions = ((struct vh_memory *)arg)->nregions;
		return 0;
	case VH_SET_VRING_ADDR:
		k->addr = *(struct vh_vring_addr *)arg;
		return 0;
	case VH_NET_SET_BACKEND:
		return fake_vhost_backend(k, arg);
	case VH_SET_OWNER:
	case VH_SET_VRING_NUM:
	case VH_SET_VRING_BASE:
	case VH_SET_VRING_KICK:
	case VH_SET_VRING_CALL:
	case VH_SET_VRING_ERR:
		return 0;
	default:
		return -ENOTTY;
	}
}

/* Offers VERSION_1 and the given feature bits. */
static inline void fake_vhost_init(struct fake_vhost *k, int array_err,
				   const unsigned int *bits, unsigned int n)
{
	memset(k, 0, sizeof(*k));
	k->array_err = array_err;
	virtio_feat_set(&k->offer, VIRTIO_F_VERSION_1);
	for (unsigned int i = 0; i < n; i++)
		virtio_feat_set(&k->offer, bits[i]);
}

#endif
