/* test_virtio_features.c: unit tests of the 128-bit feature set and the core's status/feature negotiation rules. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"
#include "log.h"
#include "mem.h"
#include "util.h"
#include "virtio/features.h"
#include "virtio/virtio.h"

/* Count what the core logs, by level, instead of printing it. */
static int log_counts[LOG_DEBUG + 1];

void log_msg(enum log_level level, const char *fmt, ...)
{
	log_counts[level]++;
	if (getenv("TEST_LOG")) {
		va_list ap;

		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc(10, stderr);
	}
}

static void test_bits(void)
{
	static const unsigned int edges[] = {0, 31, 32, 63, 64, 127};
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	CHECK(virtio_feat_is_empty(&f));
	for (unsigned int i = 0; i < ARRAY_SIZE(edges); i++) {
		unsigned int b = edges[i];

		CHECK(!virtio_feat_test(&f, b));
		virtio_feat_set(&f, b);
		CHECK(virtio_feat_test(&f, b));
		CHECK(!virtio_feat_is_empty(&f));
		CHECK_EQ(virtio_feat_get_qword(&f, b / 64) >> (b % 64) & 1, 1);
		CHECK_EQ(virtio_feat_get_dword(&f, b / 32) >> (b % 32) & 1, 1);
		virtio_feat_clear(&f, b);
		CHECK(virtio_feat_is_empty(&f));
	}
	/* Out of range: reads clear, writes are no-ops. */
	virtio_feat_set(&f, 128);
	virtio_feat_set(&f, 4096);
	CHECK(virtio_feat_is_empty(&f));
	CHECK(!virtio_feat_test(&f, 128));
	f.q[0] = f.q[1] = ~0ull;
	CHECK(!virtio_feat_test(&f, 128));
	virtio_feat_clear(&f, 200);
	CHECK_EQ(f.q[0] & f.q[1], ~0ull);
}

static void test_words(void)
{
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	for (unsigned int i = 0; i < VIRTIO_FEAT_DWORDS; i++)
		virtio_feat_set_dword(&f, i, 0x11111111u * (i + 1));
	CHECK_EQ(f.q[0], 0x2222222211111111ull);
	CHECK_EQ(f.q[1], 0x4444444433333333ull);
	for (unsigned int i = 0; i < VIRTIO_FEAT_DWORDS; i++)
		CHECK_EQ(virtio_feat_get_dword(&f, i), 0x11111111u * (i + 1));
	virtio_feat_set_dword(&f, 4, 0xdeadbeef);
	virtio_feat_set_dword(&f, 1000, 0xdeadbeef);
	CHECK_EQ(virtio_feat_get_dword(&f, 4), 0);
	CHECK_EQ(virtio_feat_get_dword(&f, ~0u), 0);
	CHECK_EQ(f.q[1], 0x4444444433333333ull);
	/* Rewriting one dword leaves its neighbour alone. */
	virtio_feat_set_dword(&f, 2, 0);
	CHECK_EQ(f.q[1], 0x4444444400000000ull);
	virtio_feat_set_dword(&f, 3, 0xffffffff);
	CHECK_EQ(f.q[1], 0xffffffff00000000ull);

	virtio_feat_set_qword(&f, 1, 0x8000000000000001ull);
	CHECK(virtio_feat_test(&f, 64) && virtio_feat_test(&f, 127));
	virtio_feat_set_qword(&f, 2, 5);
	CHECK_EQ(virtio_feat_get_qword(&f, 2), 0);
	CHECK_EQ(virtio_feat_get_qword(&f, 0), 0x2222222211111111ull);
	CHECK_EQ(VIRTIO_FEAT_QWORDS * 64, VIRTIO_FEAT_BITS);
	CHECK_EQ(VIRTIO_FEAT_DWORDS * 32, VIRTIO_FEAT_BITS);
}

static void test_sets(void)
{
	static const unsigned int la[] = {0, 32, 64, 127};
	static const unsigned int lb[] = {32, 127};
	static const unsigned int bad[] = {1, 128};
	struct virtio_features a, b, r;
	char buf[VIRTIO_FEAT_STRLEN];

	CHECK_EQ(virtio_feat_from_bits(&a, la, ARRAY_SIZE(la)), 0);
	CHECK_EQ(virtio_feat_from_bits(&b, lb, ARRAY_SIZE(lb)), 0);
	CHECK_EQ(a.q[0], 0x100000001ull);
	CHECK_EQ(a.q[1], 0x8000000000000001ull);
	CHECK(virtio_feat_subset(&b, &a));
	CHECK(!virtio_feat_subset(&a, &b));
	virtio_feat_and(&r, &a, &b);
	CHECK(virtio_feat_equal(&r, &b));
	virtio_feat_or(&r, &b, &a);
	CHECK(virtio_feat_equal(&r, &a));
	virtio_feat_and(&a, &a, &b); /* in place */
	CHECK(virtio_feat_equal(&a, &b));
	/* A difference only in the high qword breaks subset and equal. */
	r = b;
	virtio_feat_set(&r, 65);
	CHECK(!virtio_feat_subset(&r, &b));
	CHECK(!virtio_feat_equal(&r, &b));
	CHECK(virtio_feat_subset(&VIRTIO_FEATURES_EMPTY, &b));

	CHECK_EQ(virtio_feat_from_bits(&r, bad, ARRAY_SIZE(bad)), -EINVAL);
	CHECK(virtio_feat_is_empty(&r));
	CHECK_EQ(virtio_feat_first(&r), -1);
	CHECK_EQ(virtio_feat_first(&b), 32);
	virtio_feat_clear(&b, 32);
	CHECK_EQ(virtio_feat_first(&b), 127);
	CHECK_STR(virtio_feat_format(&b, buf, sizeof(buf)),
		  "0x8000000000000000:0000000000000000");
}

/* A do-nothing device that records what the core asks of it. */
struct tdev {
	struct virtio_device vdev;
	struct virtio_queue queues[2];
	int resets, activates, config_irqs;
	int refuse; /* features_ok returns this */
	uint8_t config[8];
};

static struct tdev *to_tdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct tdev, vdev);
}

static void td_get_config(struct virtio_device *vdev, uint32_t off, void *buf,
			  uint32_t len)
{
	memcpy(buf, to_tdev(vdev)->config + off, len);
}

static int td_features_ok(struct virtio_device *vdev,
			  const struct virtio_features *acked)
{
	return to_tdev(vdev)->refuse;
}

static int td_activate(struct virtio_device *vdev)
{
	to_tdev(vdev)->activates++;
	return 0;
}

static void td_reset(struct virtio_device *vdev)
{
	to_tdev(vdev)->resets++;
}

static void td_notify_config(struct virtio_device *vdev)
{
	to_tdev(vdev)->config_irqs++;
}

static const struct virtio_device_ops td_ops = {
    .get_config = td_get_config,
    .features_ok = td_features_ok,
    .activate = td_activate,
    .reset = td_reset,
};

static const struct virtio_transport_ops td_tops = {
    .notify_config = td_notify_config,
};

static struct guest_mem tmem; /* never touched: no queue gets enabled */

static void tdev_init(struct tdev *t)
{
	static const unsigned int offer[] = {VIRTIO_F_VERSION_1,
					     VIRTIO_F_RING_EVENT_IDX, 3, 65};

	memset(t, 0, sizeof(*t));
	t->vdev.name = "virtio-test";
	t->vdev.device_id = 42;
	t->vdev.ops = &td_ops;
	virtio_feat_from_bits(&t->vdev.offered, offer, ARRAY_SIZE(offer));
	t->vdev.config_len = sizeof(t->config);
	t->queues[0].size_max = 256;
	t->queues[1].size_max = 16;
	t->vdev.queues = t->queues;
	t->vdev.nr_queues = 2;
	t->vdev.mem = &tmem;
	memcpy(t->config, "ABCDEFGH", 8);
	CHECK_EQ(virtio_dev_init(&t->vdev), 0);
	virtio_dev_attach(&t->vdev, &td_tops, NULL);
}

/* The driver's sequence from reset to FEATURES_OK with a 128-bit ack. */
static uint8_t negotiate(struct virtio_device *vdev, uint64_t lo, uint64_t hi)
{
	virtio_set_status(vdev, 0);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(vdev,
			  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (unsigned int i = 0; i < 4; i++)
		virtio_set_driver_features(
		    vdev, i, (uint32_t)((i < 2 ? lo : hi) >> (32 * (i % 2))));
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE |
				    VIRTIO_STATUS_DRIVER |
				    VIRTIO_STATUS_FEATURES_OK);
	return virtio_get_status(vdev);
}

#define V1 (1ull << VIRTIO_F_VERSION_1)

static void test_device_features(void)
{
	struct tdev t;

	tdev_init(&t);
	CHECK_EQ(virtio_get_device_features(&t.vdev, 0),
		 1u << VIRTIO_F_RING_EVENT_IDX | 1u << 3);
	CHECK_EQ(virtio_get_device_features(&t.vdev, 1), 1);
	CHECK_EQ(virtio_get_device_features(&t.vdev, 2), 2);
	CHECK_EQ(virtio_get_device_features(&t.vdev, 3), 0);
	CHECK_EQ(virtio_get_device_features(&t.vdev, 4), 0);
	virtio_dev_destroy(&t.vdev);
}

static void test_refusals(void)
{
	int warns = log_counts[LOG_WARN];
	struct tdev t;

	tdev_init(&t);
	/* An unoffered bit at 66 (offered: 65): refused, logged once. */
	CHECK_EQ(negotiate(&t.vdev, V1, 1ull << 2),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK_EQ(log_counts[LOG_WARN], warns + 1);
	CHECK_EQ(negotiate(&t.vdev, V1, 1ull << 2),
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	CHECK_EQ(log_counts[LOG_WARN], warns + 1);
	/* Unoffered bit 0 in the low qword too. */
	CHECK(!(negotiate(&t.vdev, V1 | 1, 0) & VIRTIO_STATUS_FEATURES_OK));
	/* Offered bits without VERSION_1. */
	CHECK(!(negotiate(&t.vdev, 1ull << 3, 2) & VIRTIO_STATUS_FEATURES_OK));
	/* The device's own veto. */
	t.refuse = -ENOTSUP;
	CHECK(!(negotiate(&t.vdev, V1, 0) & VIRTIO_STATUS_FEATURES_OK));
	t.refuse = 0;
	/* DRIVER_OK without FEATURES_OK: dropped, no activation. */
	virtio_set_status(&t.vdev, VIRTIO_STATUS_ACKNOWLEDGE |
				       VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_DRIVER_OK);
	CHECK(!(virtio_get_status(&t.vdev) & VIRTIO_STATUS_DRIVER_OK));
	CHECK_EQ(t.activates, 0);
	virtio_dev_destroy(&t.vdev);
}

static void test_success_and_reset(void)
{
	const uint8_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			   VIRTIO_STATUS_FEATURES_OK;
	struct tdev t;

	tdev_init(&t);
	CHECK_EQ(negotiate(&t.vdev, V1 | 1ull << VIRTIO_F_RING_EVENT_IDX, 2),
		 ok);
	CHECK(virtio_dev_has_feature(&t.vdev, 65));
	CHECK(virtio_dev_has_feature(&t.vdev, VIRTIO_F_RING_EVENT_IDX));
	CHECK_EQ(t.resets, 1);
	/* Sticks: later feature writes are ignored. */
	virtio_set_driver_features(&t.vdev, 2, 0);
	virtio_set_driver_features(&t.vdev, 0, 1);
	CHECK_EQ(virtio_get_driver_features(&t.vdev, 2), 2);
	CHECK_EQ(virtio_get_driver_features(&t.vdev, 0),
		 1u << VIRTIO_F_RING_EVENT_IDX);
	CHECK_EQ(virtio_get_driver_features(&t.vdev, 1), 1);
	/* Clearing a bit without a reset is ignored; NEEDS_RESET is ours. */
	virtio_set_status(&t.vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	CHECK_EQ(virtio_get_status(&t.vdev), ok);
	virtio_set_status(&t.vdev, ok | VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(virtio_get_status(&t.vdev), ok);
	/* Queue programming: split sizes must be powers of two. */
	CHECK_EQ(virtio_queue_set_size(&t.vdev, 0, 96), -EINVAL);
	CHECK_EQ(virtio_queue_get_size(&t.vdev, 0), 0);
	CHECK_EQ(virtio_queue_set_size(&t.vdev, 0, 512), -EINVAL);
	CHECK_EQ(virtio_queue_set_size(&t.vdev, 0, 128), 0);
	CHECK_EQ(virtio_queue_get_size(&t.vdev, 0), 128);
	CHECK_EQ(virtio_queue_set_size(&t.vdev, 2, 128), -ENOENT);
	CHECK_EQ(virtio_queue_size_max(&t.vdev, 1), 16);
	CHECK_EQ(virtio_queue_size_max(&t.vdev, 2), 0);
	CHECK_EQ(virtio_queue_set_vector(&t.vdev, 1, 3), 0);
	CHECK_EQ(virtio_queue_get_vector(&t.vdev, 1), 3);
	CHECK_EQ(virtio_queue_set_area(&t.vdev, 1, VIRTIO_AREA_DEVICE, 0x5000),
		 0);
	/* Rings outside (empty) RAM: enabling fails and needs a reset. */
	CHECK(virtio_queue_enable(&t.vdev, 1) < 0);
	CHECK(!virtio_queue_enabled(&t.vdev, 1));
	CHECK(virtio_get_status(&t.vdev) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(t.config_irqs, 0); /* not DRIVER_OK yet */

	/* Reset releases everything. */
	virtio_set_status(&t.vdev, 0);
	CHECK_EQ(t.resets, 2);
	CHECK_EQ(virtio_get_status(&t.vdev), 0);
	CHECK_EQ(virtio_get_driver_features(&t.vdev, 0), 0);
	CHECK_EQ(virtio_get_driver_features(&t.vdev, 2), 0);
	CHECK_EQ(virtio_queue_get_size(&t.vdev, 0), 256);
	CHECK_EQ(virtio_queue_get_vector(&t.vdev, 1), VIRTIO_NO_VECTOR);
	CHECK_EQ(virtio_queue_get_area(&t.vdev, 1, VIRTIO_AREA_DEVICE), 0);
	/* Queue writes before FEATURES_OK are ignored. */
	CHECK_EQ(virtio_queue_set_size(&t.vdev, 0, 64), -EBUSY);
	CHECK_EQ(virtio_queue_get_size(&t.vdev, 0), 256);

	/* Again, to DRIVER_OK: activate, then a device error. */
	CHECK_EQ(negotiate(&t.vdev, V1, 0), ok);
	virtio_set_status(&t.vdev, ok | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(t.activates, 1);
	virtio_dev_fail(&t.vdev, "test error %d", 1);
	virtio_dev_fail(&t.vdev, "test error %d", 2);
	CHECK_EQ(virtio_get_status(&t.vdev),
		 ok | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(t.config_irqs, 1);
	virtio_set_status(&t.vdev, 0);
	CHECK_EQ(virtio_get_status(&t.vdev), 0);
	CHECK_EQ(t.resets, 4);
	virtio_dev_destroy(&t.vdev);
}

static void test_config(void)
{
	uint8_t buf[8];
	struct tdev t;

	tdev_init(&t);
	CHECK_EQ(virtio_config_read(&t.vdev, 2, buf, 4), 0);
	CHECK(!memcmp(buf, "CDEF", 4));
	CHECK_EQ(virtio_config_read(&t.vdev, 6, buf, 4), -EINVAL);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(virtio_config_read(&t.vdev, ~0u, buf, 2), -EINVAL);
	CHECK_EQ(virtio_config_write(&t.vdev, 0, buf, 1), 0); /* read-only */
	CHECK_EQ(virtio_config_generation(&t.vdev), 0);
	virtio_config_changed(&t.vdev);
	CHECK_EQ(virtio_config_generation(&t.vdev), 1);
	CHECK_EQ(t.config_irqs, 0);
	virtio_dev_destroy(&t.vdev);
}

static void test_bad_devices(void)
{
	struct tdev t;

	tdev_init(&t);
	virtio_dev_destroy(&t.vdev);
	virtio_feat_clear(&t.vdev.offered, VIRTIO_F_VERSION_1);
	CHECK_EQ(virtio_dev_init(&t.vdev), -EINVAL);
	virtio_feat_set(&t.vdev.offered, VIRTIO_F_VERSION_1);
	t.queues[1].size_max = 12;
	CHECK_EQ(virtio_dev_init(&t.vdev), -EINVAL);
}

int main(void)
{
	test_bits();
	test_words();
	test_sets();
	test_device_features();
	test_refusals();
	test_success_and_reset();
	test_config();
	test_bad_devices();
	return unit_done("virtio_features");
}
