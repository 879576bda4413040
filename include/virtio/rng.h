/* rng.h: virtio-rng (entropy device) backed by getrandom(). */
#ifndef MINIVMM_VIRTIO_RNG_H
#define MINIVMM_VIRTIO_RNG_H

struct vm;
struct virtio_device;
struct virtio_worker;

#define VIRTIO_ID_RNG 4

int virtio_rng_create(struct vm *vm, struct virtio_device **vdev,
		      struct virtio_worker **worker);

#endif
