/* vhost.c: talks to a vhost character device: ownership, 128-bit feature negotiation (with the u64 fallback), memory table, vrings, eventfds. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "log.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"

static int vhost_sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int vh_call(struct vhost_dev *d, unsigned long req, void *arg)
{
	return d->ioctl(d->ioctl_ctx, d->fd, req, arg);
}

/*
 * Probes the array ioctl once; on ENOTTY/EINVAL/ENOBUFS uses the u64 one.
 * ENOBUFS: kernels before the array ioctls (Linux 6.1, for one) pass an
 * unknown vhost-net/vhost-vsock ioctl on to vhost_vring_ioctl(), which
 * reads the first u32 of the argument (our count, 2) as a vring index and
 * refuses it as >= the device's 2 virtqueues.
 */
_Static_assert(sizeof(((struct vh_features_128 *)0)->features) ==
		   sizeof(((struct virtio_features *)0)->q),
	       "the vhost feature array holds the 128-bit set");

int vhost_get_features(struct vhost_dev *d, struct virtio_features *out)
{
	struct vh_features_128 a = {VIRTIO_FEAT_QWORDS, {0, 0}};
	uint64_t f64 = 0;
	int ret;

	*out = VIRTIO_FEATURES_EMPTY;
	ret = vh_call(d, VH_GET_FEATURES_ARRAY, &a);
	if (!ret) {
		d->has_array = true;
		for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
			out->q[i] = a.features[i];
		return 0;
	}
	if (ret != -ENOTTY && ret != -EINVAL && ret != -ENOBUFS) {
		pr_err("%s: VHOST_GET_FEATURES_ARRAY: %s", d->name,
		       strerror(-ret));
		return ret;
	}
	d->has_array = false;
	ret = vh_call(d, VH_GET_FEATURES, &f64);
	if (ret) {
		pr_err("%s: VHOST_GET_FEATURES: %s", d->name, strerror(-ret));
		return ret;
	}
	out->q[0] = f64;
	return 0;
}

int vhost_set_features(struct vhost_dev *d, const struct virtio_features *f)
{
	struct vh_features_128 a = {VIRTIO_FEAT_QWORDS, {f->q[0], f->q[1]}};
	uint64_t f64 = f->q[0];
	int ret;

	if (d->has_array) {
		ret = vh_call(d, VH_SET_FEATURES_ARRAY, &a);
		if (ret)
			pr_err("%s: VHOST_SET_FEATURES_ARRAY: %s", d->name,
			       strerror(-ret));
		return ret;
	}
	if (f->q[1]) {
		pr_err("%s: features past bit 63 acked but the kernel has no "
		       "VHOST_SET_FEATURES_ARRAY", d->name);
		return -EOPNOTSUPP;
	}
	ret = vh_call(d, VH_SET_FEATURES, &f64);
	if (ret)
		pr_err("%s: VHOST_SET_FEATURES: %s", d->name, strerror(-ret));
	return ret;
}

int vhost_dev_init(struct vhost_dev *d, const char *name, int fd,
		   vhost_ioctl_fn fn, void *ctx)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->fd = fd;
	d->ioctl = fn ? fn : vhost_sys_ioctl;
	d->ioctl_ctx = ctx;
	ret = vh_call(d, VH_SET_OWNER, NULL);
	if (ret) {
		pr_err("%s: VHOST_SET_OWNER: %s", name, strerror(-ret));
		return ret;
	}
	return vhost_get_features(d, &d->features);
}

int vhost_dev_open(struct vhost_dev *d, const char *name, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;

	d->fd = -1;
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			pr_err("%s: %s does not exist (no %s support in the "
			       "host kernel, or its module is not loaded)",
			       name, path, name);
		else
			pr_err("%s: cannot open %s: %s", name, path,
			       strerror(-ret));
		return ret;
	}
	ret = vhost_dev_init(d, name, fd, NULL, NULL);
	if (ret) {
		close(fd);
		d->fd = -1;
	}
	return ret;
}

void vhost_dev_close(struct vhost_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int vhost_set_mem_table(struct vhost_dev *d, const struct guest_mem *mem)
{
	struct vh_memory *m = calloc(1, sizeof(*m) + mem->nr *
					 sizeof(struct vh_memory_region));
	int ret;

	if (!m)
		return -ENOMEM;
	m->nregions = mem->nr;
	for (unsigned int i = 0; i < mem->nr; i++) {
		m->regions[i].guest_phys_addr = mem->regions[i].gpa;
		m->regions[i].memory_size = mem->regions[i].size;
		m->regions[i].userspace_addr =
			(uint64_t)(uintptr_t)mem->regions[i].hva;
	}
	ret = vh_call(d, VH_SET_MEM_TABLE, m);
	if (ret)
		pr_err("%s: VHOST_SET_MEM_TABLE: %s", d->name, strerror(-ret));
	free(m);
	return ret;
}

static uint64_t vh_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return (uint64_t)(uintptr_t)guest_mem_ptr(mem, gpa, len);
}

static int vh_vring_addr(struct vhost_dev *d, unsigned int idx,
			 const struct guest_mem *mem,
			 const struct virtio_queue *q)
{
	uint64_t n = q->size;
	struct vh_vring_addr a = {
		.index = idx,
		.desc_user_addr = vh_hva(mem, q->area[VIRTIO_AREA_DESC],
					 16 * n),
		.avail_user_addr = vh_hva(mem, q->area[VIRTIO_AREA_DRIVER],
					  6 + 2 * n),
		.used_user_addr = vh_hva(mem, q->area[VIRTIO_AREA_DEVICE],
					 6 + 8 * n),
	};

	if (!a.desc_user_addr || !a.avail_user_addr || !a.used_user_addr)
		return -EFAULT; /* the core validated them on enable */
	return vh_call(d, VH_SET_VRING_ADDR, &a);
}

static int vh_vring_fd(struct vhost_dev *d, unsigned long req,
		       unsigned int idx, int fd)
{
	struct vh_vring_file f = { idx, fd };

	return vh_call(d, req, &f);
}

int vhost_vring_setup(struct vhost_dev *d, unsigned int idx,
		      const struct guest_mem *mem,
		      const struct virtio_queue *q, int kick_fd, int call_fd,
		      int err_fd)
{
	struct vh_vring_state num = { idx, q->size }, base = { idx, 0 };
	const char *what = "VHOST_SET_VRING_NUM";
	int ret = vh_call(d, VH_SET_VRING_NUM, &num);

	if (!ret && (what = "VHOST_SET_VRING_BASE"))
		ret = vh_call(d, VH_SET_VRING_BASE, &base);
	if (!ret && (what = "VHOST_SET_VRING_ADDR"))
		ret = vh_vring_addr(d, idx, mem, q);
	if (!ret && (what = "VHOST_SET_VRING_KICK"))
		ret = vh_vring_fd(d, VH_SET_VRING_KICK, idx, kick_fd);
	if (!ret && (what = "VHOST_SET_VRING_CALL"))
		ret = vh_vring_fd(d, VH_SET_VRING_CALL, idx, call_fd);
	if (!ret && err_fd >= 0 && (what = "VHOST_SET_VRING_ERR"))
		ret = vh_vring_fd(d, VH_SET_VRING_ERR, idx, err_fd);
	if (ret)
		pr_err("%s: vring %u: %s: %s", d->name, idx, what,
		       strerror(-ret));
	return ret;
}

int vhost_net_set_backend(struct vhost_dev *d, unsigned int idx, int fd)
{
	int ret = vh_vring_fd(d, VH_NET_SET_BACKEND, idx, fd);

	if (ret)
		pr_err("%s: vring %u: VHOST_NET_SET_BACKEND(%d): %s", d->name,
		       idx, fd, strerror(-ret));
	return ret;
}

int vhost_eventfd(const char *name)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		pr_err("%s: eventfd: %s", name, strerror(errno));
		return -errno;
	}
	return fd;
}

void vhost_kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_debug("vhost kick: %s", strerror(errno));
}

bool vhost_eventfd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) && v;
}
