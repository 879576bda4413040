/* devices_virtio.c: turns --disk, --console virtio and --rng into virtio devices on the chosen transport. */
#include <errno.h>

#include "devices_virtio.h"
#include "log.h"
#include "vm.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"

/*
 * Each device is added to the VM's device list before its transport, so
 * teardown (reverse order) resets the device through the transport first
 * and frees the device afterwards.
 */
static int virtio_attach(struct vm *vm, struct virtio_device *vdev,
			 struct virtio_worker *worker)
{
	int ret;

	if (vm->cfg->virtio_transport == VIRTIO_TRANSPORT_PCI) {
		ret = virtio_pci_attach(vm, vdev);
		if (!ret)
			virtio_pci_set_worker(vdev, worker);
		return ret;
	}
	ret = virtio_mmio_attach(vm, vdev);
	if (!ret)
		virtio_mmio_set_worker(vdev, worker);
	return ret;
}

static int virtio_disks_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct virtio_blk *b;
	int ret;

	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		const struct vm_disk *d = &cfg->disks[i];
		struct virtio_blk_opts o = {
			.path = d->path,
			.ro = d->ro,
			.direct = d->direct,
			.serial = d->serial[0] ? d->serial : NULL,
			.index = i,
			.poll_us = d->poll_us < 0 ? VIRTIO_BLK_POLL_US_DEFAULT
						  : (unsigned int)d->poll_us,
			.iothreads = d->iothreads < 0 ?
					     VIRTIO_BLK_IOTHREADS_DEFAULT :
					     (unsigned int)d->iothreads,
		};

		ret = virtio_blk_create(vm, &o, &b);
		if (!ret)
			ret = virtio_attach(vm, virtio_blk_vdev(b),
					    virtio_blk_worker(b));
		if (ret)
			return ret;
	}
	return 0;
}

/* -n/--network: one virtio-net per option, in order. */
static int virtio_nets_create(struct vm *vm)
{
	struct virtio_device *vdev;
	struct virtio_worker *w;
	int ret;

	for (unsigned int i = 0; i < vm->cfg->nr_nets; i++) {
		ret = virtio_net_create(vm, &vm->cfg->nets[i], i, &vdev, &w);
		if (!ret)
			ret = virtio_attach(vm, vdev, w);
		if (ret)
			return ret;
	}
	return 0;
}

/* --vsock CID: vhost-vsock serves the queues; no userspace worker. */
static int virtio_vsock_add(struct vm *vm)
{
	struct virtio_device *vdev;
	int ret;

	if (!vm->cfg->vsock_cid)
		return 0;
	ret = virtio_vsock_create(vm, vm->cfg->vsock_cid, &vdev);
	return ret ? ret : virtio_attach(vm, vdev, NULL);
}

bool virtio_devices_on_pci(const struct vm_config *cfg)
{
	bool any = cfg->console == CONSOLE_VIRTIO || cfg->rng ||
		   cfg->nr_disks || cfg->nr_nets || cfg->vsock_cid;

	return any && cfg->virtio_transport == VIRTIO_TRANSPORT_PCI;
}

int virtio_devices_create(struct vm *vm)
{
	struct virtio_device *vdev;
	struct virtio_worker *w;
	int ret = 0;

	if (vm->cfg->console == CONSOLE_VIRTIO) {
		ret = virtio_console_create(vm, &vdev, &w);
		if (!ret)
			ret = virtio_attach(vm, vdev, w);
	}
	if (!ret && vm->cfg->rng) {
		ret = virtio_rng_create(vm, &vdev, &w);
		if (!ret)
			ret = virtio_attach(vm, vdev, w);
	}
	if (!ret)
		ret = virtio_disks_create(vm);
	if (!ret)
		ret = virtio_nets_create(vm);
	if (!ret)
		ret = virtio_vsock_add(vm);
	return ret;
}
