/* test_vhost.c: vhost feature negotiation over a fake ioctl layer: the features-array ioctls, their ENOTTY/EINVAL/ENOBUFS fallback to u64, and vring setup. */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "mem.h"
#include "util.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"
#include "fake_vhost.h"

static void fake_init(struct fake_vhost *k, int array_err)
{
	static const unsigned int bits[] = { 15 /* MRG_RXBUF */, 65, 68 };

	fake_vhost_init(k, array_err, bits, ARRAY_SIZE(bits));
}

static void test_array(void)
{
	struct fake_vhost k;
	struct vhost_dev d;
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	fake_init(&k, 0);
	CHECK_EQ(vhost_dev_init(&d, "vhost-test", -1, fake_vhost_ioctl, &k), 0);
	CHECK(d.has_array);
	CHECK(virtio_feat_equal(&d.features, &k.offer));
	CHECK_EQ(k.calls[0x00], 0); /* no u64 fallback needed */
	virtio_feat_set(&f, VIRTIO_F_VERSION_1);
	virtio_feat_set(&f, 65);
	CHECK_EQ(vhost_set_features(&d, &f), 0);
	CHECK(virtio_feat_equal(&k.acked, &f));
	virtio_feat_set(&f, 70); /* not offered: the kernel refuses */
	CHECK_EQ(vhost_set_features(&d, &f), -EOPNOTSUPP);
}

static void test_fallback(int err)
{
	struct fake_vhost k;
	struct vhost_dev d;
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	fake_init(&k, err);
	CHECK_EQ(vhost_dev_init(&d, "vhost-test", -1, fake_vhost_ioctl, &k), 0);
	CHECK(!d.has_array);
	CHECK_EQ(d.features.q[0], k.offer.q[0]);
	CHECK_EQ(d.features.q[1], 0); /* u64 cannot say 65 or 68 */
	CHECK_EQ(k.calls[0x00], 1);
	virtio_feat_set(&f, VIRTIO_F_VERSION_1);
	CHECK_EQ(vhost_set_features(&d, &f), 0);
	CHECK_EQ(k.acked.q[0], f.q[0]);
	CHECK_EQ(k.calls[0x83], 1); /* the GET probe only: SET went u64 */
	virtio_feat_set(&f, 65);
	CHECK_EQ(vhost_set_features(&d, &f), -EOPNOTSUPP);
}

static int eperm_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	return req == VH_SET_OWNER ? 0 : -EPERM;
}

static void test_other_error(void)
{
	struct vhost_dev d;

	/* Anything but ENOTTY/EINVAL/ENOBUFS from the probe is an error, not a
	 * reason to fall back. */
	CHECK_EQ(vhost_dev_init(&d, "vhost-test", -1, eperm_ioctl, NULL),
		 -EPERM);
}

static void test_vring(void)
{
	static uint8_t ram[1 << 20];
	struct guest_mem mem = { .nr = 1, .total = sizeof(ram) };
	struct virtio_queue q = { .size = 256 };
	struct fake_vhost k;
	struct vhost_dev d;

	mem.regions[0] = (struct mem_region){ .gpa = 0x100000,
					      .size = sizeof(ram), .hva = ram };
	q.area[VIRTIO_AREA_DESC] = 0x100000;
	q.area[VIRTIO_AREA_DRIVER] = 0x101000;
	q.area[VIRTIO_AREA_DEVICE] = 0x102000;
	fake_init(&k, -ENOTTY);
	CHECK_EQ(vhost_dev_init(&d, "vhost-test", -1, fake_vhost_ioctl, &k), 0);
	CHECK_EQ(vhost_set_mem_table(&d, &mem), 0);
	CHECK_EQ(k.mem_regions, 1);
	CHECK_EQ(vhost_vring_setup(&d, 1, &mem, &q, 5, 6, -1), 0);
	CHECK_EQ(k.addr.index, 1);
	CHECK_EQ(k.addr.desc_user_addr, (uintptr_t)ram);
	CHECK_EQ(k.addr.avail_user_addr, (uintptr_t)ram + 0x1000);
	CHECK_EQ(k.addr.used_user_addr, (uintptr_t)ram + 0x2000);
	CHECK_EQ(k.calls[0x22], 0); /* no ERR fd given */
	q.area[VIRTIO_AREA_DEVICE] = 0x900000; /* outside RAM */
	CHECK(vhost_vring_setup(&d, 1, &mem, &q, 5, 6, -1) < 0);
}

int main(void)
{
	CHECK_EQ(VH_GET_FEATURES_ARRAY, 0x8008AF83);
	CHECK_EQ(VH_SET_FEATURES_ARRAY, 0x4008AF83);
	test_array();
	test_fallback(-ENOTTY);
	test_fallback(-EINVAL);
	test_fallback(-ENOBUFS); /* Linux 6.1's vhost-net: vhost_vring_ioctl() */
	test_other_error();
	test_vring();
	return unit_done("vhost");
}
