/* vhost.h: the vhost kernel data path: its ioctl ABI, 128-bit feature negotiation with a u64 fallback, memory table and vrings. */
#ifndef MINIVMM_VIRTIO_VHOST_H
#define MINIVMM_VIRTIO_VHOST_H

#include <stdbool.h>
#include <stdint.h>
#include "mem.h"
#include "virtio/features.h"
#include "virtio/vhost_abi.h"

struct virtio_queue;

#define VHOST_MAX_VQS 3

/* The ioctl layer, replaceable by tests: returns >= 0 or -errno. */
typedef int (*vhost_ioctl_fn)(void *ctx, int fd, unsigned long req,
			      void *arg);

struct vhost_dev {
	const char *name; /* "vhost-net", "vhost-vsock": for messages */
	int fd;
	vhost_ioctl_fn ioctl;
	void *ioctl_ctx;
	bool has_array;	  /* the kernel knows VHOST_*_FEATURES_ARRAY */
	struct virtio_features features; /* what the kernel offers */
};

/* Opens path, VHOST_SET_OWNER, reads the features. A missing device is
 * -ENOENT with "NAME: PATH does not exist (...)" reported once here. */
int vhost_dev_open(struct vhost_dev *d, const char *name, const char *path);
/* The same over an open fd with a given ioctl layer (tests). */
int vhost_dev_init(struct vhost_dev *d, const char *name, int fd,
		   vhost_ioctl_fn fn, void *ctx);
void vhost_dev_close(struct vhost_dev *d);

/* The kernel's offer: the array ioctl if it has one, else the u64 ioctl
 * (ENOTTY or EINVAL from the array ioctl select the fallback). */
int vhost_get_features(struct vhost_dev *d, struct virtio_features *out);
/* Acks f; -EOPNOTSUPP if f has bits >= 64 and only the u64 ioctl exists. */
int vhost_set_features(struct vhost_dev *d, const struct virtio_features *f);
int vhost_set_mem_table(struct vhost_dev *d, const struct guest_mem *mem);

/* One vring: NUM, ADDR (host addresses of q's rings), BASE 0, KICK, CALL,
 * and ERR when err_fd >= 0. */
int vhost_vring_setup(struct vhost_dev *d, unsigned int idx,
		      const struct guest_mem *mem,
		      const struct virtio_queue *q, int kick_fd, int call_fd,
		      int err_fd);
int vhost_net_set_backend(struct vhost_dev *d, unsigned int idx, int fd);

/*
 * Eventfd plumbing, kept here so a transport with ioeventfd/irqfd can
 * replace it: without that, a queue notification is relayed to the kick
 * eventfd by the device (vhost_kick) and the call eventfd is watched on the
 * event loop, which asks the transport for the interrupt.
 */
int vhost_eventfd(const char *name);
void vhost_kick(int fd);
/* Drains an eventfd; true if it had been signalled. */
bool vhost_eventfd_drain(int fd);

#endif
