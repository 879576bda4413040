/* test_virtio_mmio.c: the virtio-mmio transport's registers, feature words, interrupt line and snapshot state against a fake device. */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "bus.h"
#include "device.h"
#include "platform.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "virtio/mmio.h"
#include "virtio/virtio.h"

/* ---- fakes for vm.c ---- */

static int line_level = -1;
static unsigned int line_raises, line_lowers;
static struct device *devices[8];
static unsigned int nr_devices;

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	line_level = level;
	if (level)
		line_raises++;
	else
		line_lowers++;
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	if (nr_devices < ARRAY_SIZE(devices))
		devices[nr_devices++] = dev;
}

/* ---- a fake device: bits 3, 32 (VERSION_1) and 70; two queues ---- */

#define RAM_GPA	 0x100000ull
#define RAM_SIZE (1 * MiB)

static struct vm vm;
static unsigned int activations, notified_q = 99, notifies;
static bool refuse_bit3;

struct fake_dev {
	struct virtio_device vdev;
	struct virtio_queue q[2];
	uint8_t config[8];
};

static void fake_get_config(struct virtio_device *v, uint32_t off, void *buf,
			    uint32_t len)
{
	memcpy(buf, container_of(v, struct fake_dev, vdev)->config + off, len);
}

static int fake_features_ok(struct virtio_device *v,
			    const struct virtio_features *f)
{
	return refuse_bit3 && virtio_feat_test(f, 3) ? -EINVAL : 0;
}

static int fake_activate(struct virtio_device *v)
{
	activations++;
	return 0;
}

static void fake_notify(struct virtio_device *v, unsigned int q)
{
	notified_q = q;
	notifies++;
}

static const struct virtio_device_ops fake_ops = {
	.get_config = fake_get_config,
	.features_ok = fake_features_ok,
	.activate = fake_activate,
	.queue_notify = fake_notify,
};

static struct fake_dev *fake_new(void)
{
	struct fake_dev *f = calloc(1, sizeof(*f));

	f->vdev.name = "fake";
	f->vdev.device_id = 42;
	f->vdev.ops = &fake_ops;
	f->vdev.config_len = sizeof(f->config);
	f->vdev.queues = f->q;
	f->vdev.nr_queues = 2;
	f->vdev.mem = &vm.mem;
	f->q[0].size_max = 16;
	f->q[1].size_max = 32;
	virtio_feat_set(&f->vdev.offered, 3);
	virtio_feat_set(&f->vdev.offered, VIRTIO_F_VERSION_1);
	virtio_feat_set(&f->vdev.offered, 70);
	for (unsigned int i = 0; i < sizeof(f->config); i++)
		f->config[i] = (uint8_t)(0x10 + i);
	CHECK_EQ(virtio_dev_init(&f->vdev), 0);
	return f;
}

/* ---- register access through the real bus ---- */

static uint64_t base;

static uint64_t rd_n(uint64_t off, uint32_t len)
{
	uint8_t b[8] = {0};

	CHECK(bus_access(&vm.mmio, base + off, b, len, false));
	return get_le64(b);
}

static void wr_n(uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t b[8];

	put_le64(b, v);
	CHECK(bus_access(&vm.mmio, base + off, b, len, true));
}

static uint32_t rd(uint64_t off) { return (uint32_t)rd_n(off, 4); }
static void wr(uint64_t off, uint32_t v) { wr_n(off, v, 4); }

static void setup_vm(void)
{
	memset(&vm, 0, sizeof(vm));
	CHECK_EQ(bus_init(&vm.mmio, "mmio"), 0);
	vm.mem.regions[0] = (struct mem_region){
	    .gpa = RAM_GPA, .size = RAM_SIZE, .hva = calloc(1, RAM_SIZE)};
	vm.mem.nr = 1;
	vm.mem.total = RAM_SIZE;
}

static struct fake_dev *attach(void)
{
	struct fake_dev *f = fake_new();
	struct platform_dev *p;

	CHECK_EQ(virtio_mmio_attach(&vm, &f->vdev), 0);
	for (p = vm.platform; p->next; p = p->next)
		;
	base = p->base;
	CHECK_EQ(p->size, 0x1000);
	CHECK(!strcmp(p->kind, "virtio-mmio"));
	return f;
}

static int negotiate(const uint32_t w[4])
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (uint32_t i = 0; i < 4; i++) {
		wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, i);
		wr(VIRTIO_MMIO_DRIVER_FEATURES, w[i]);
	}
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
				       VIRTIO_STATUS_DRIVER |
				       VIRTIO_STATUS_FEATURES_OK);
	return !!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_identity(void)
{
	CHECK_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(rd(VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), 42);
	CHECK_EQ(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 1, 1), 0x11);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 2, 2), 0x1312);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 4, 4), 0x17161514);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG, 8), 0x1716151413121110ull);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 8, 4), 0); /* outside: 0 */
}

static void test_features(struct fake_dev *f)
{
	static const uint32_t good[4] = {1u << 3, 1, 1u << 6, 0};
	static const uint32_t unoffered[4] = {0, 1, 1u << 1, 0}; /* bit 65 */
	static const uint32_t legacy[4] = {1u << 3, 0, 0, 0};
	const uint32_t want[6] = {1u << 3, 1, 1u << 6, 0, 0, 0};

	for (uint32_t i = 0; i < 6; i++) {
		wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, i);
		CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), want[i]);
	}
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	CHECK(!negotiate(unoffered));
	CHECK(!negotiate(legacy));
	refuse_bit3 = true;
	CHECK(!negotiate(good));
	refuse_bit3 = false;
	CHECK(negotiate(good));
	/* Bit 70 made it end to end: written as word 2 bit 6, acked. */
	CHECK(virtio_dev_has_feature(&f->vdev, 70));
	CHECK(virtio_dev_has_feature(&f->vdev, 3));
	CHECK(!virtio_dev_has_feature(&f->vdev, 65));
	CHECK_EQ(virtio_get_driver_features(&f->vdev, 2), 1u << 6);
	/* After FEATURES_OK driver features are frozen; sel >= 4 is ignored. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CHECK(virtio_dev_has_feature(&f->vdev, 70));
}

static void test_queues(struct fake_dev *f)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 5);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 32);
	wr(VIRTIO_MMIO_QUEUE_NUM, 3); /* not a power of two */
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 0x10008); /* > 16 bits */
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM), 8);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x101000);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x102000);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x103000);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	CHECK_EQ(virtio_queue_get_area(&f->vdev, 1, VIRTIO_AREA_DESC), 0x101000);
	CHECK_EQ(virtio_queue_get_area(&f->vdev, 1, VIRTIO_AREA_DRIVER),
		 0x102000);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_DEVICE_LOW), 0x103000);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 1); /* 4 GiB up: then back */
	CHECK_EQ(virtio_queue_get_area(&f->vdev, 1, VIRTIO_AREA_DESC),
		 0x100101000ull);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4); /* while enabled: ignored */
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM), 8);
	/* Before DRIVER_OK, 0 takes the queue back (Linux's vm_del_vq reads
	 * it back when its set-up fails) and it can be set up again. */
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(!virtio_queue_enabled(&f->vdev, 1));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(activations, 1);
	wr(VIRTIO_MMIO_QUEUE_READY, 0); /* running, no RING_RESET: stays */
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(notified_q, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* queue 0 not enabled */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 7); /* no such queue */
	CHECK_EQ(notifies, 1);
}

static void test_interrupts(struct fake_dev *f)
{
	unsigned int raises = line_raises;

	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	f->vdev.tops->notify_used(&f->vdev, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 1);
	CHECK_EQ(line_level, 1);
	CHECK_EQ(line_raises, raises + 1);
	f->vdev.tops->notify_used(&f->vdev, 1); /* already up */
	CHECK_EQ(line_raises, raises + 1);
	virtio_config_changed(&f->vdev);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 3);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 2);
	CHECK_EQ(line_level, 1); /* still pending: re-raised for edge pins */
	CHECK_EQ(line_raises, raises + 2);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 2);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(line_level, 0);
	f->vdev.tops->notify_used(&f->vdev, 0);
	CHECK_EQ(line_level, 1);
}

static void test_widths(void)
{
	uint32_t st = rd(VIRTIO_MMIO_STATUS);

	CHECK_EQ(rd_n(VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
	CHECK_EQ(rd_n(VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
	CHECK_EQ(rd_n(VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
	CHECK_EQ(rd_n(VIRTIO_MMIO_VERSION + 2, 4), 0); /* unaligned */
	wr_n(VIRTIO_MMIO_STATUS, 0, 1);
	wr_n(VIRTIO_MMIO_STATUS, 0, 2);
	wr_n(VIRTIO_MMIO_STATUS + 1, 0, 4);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), st);
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 1, 2), 0); /* unaligned config */
	CHECK_EQ(rd_n(VIRTIO_MMIO_CONFIG + 2, 4), 0);
	wr(VIRTIO_MMIO_MAGIC_VALUE, 0); /* read-only: ignored */
	CHECK_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
}

static struct fake_dev *test_snapshot(struct fake_dev *f)
{
	struct device *dev = devices[nr_devices - 1];
	struct fake_dev *g;
	struct sbuf_reader in;
	struct sbuf b;

	/* Pretend the device used some of queue 1. */
	f->q[1].vq.s.last_avail = 5;
	f->q[1].vq.s.used_idx = 4;
	sbuf_init(&b);
	CHECK_EQ(dev->ops->save(dev, &b), 0);
	g = attach();
	activations = 0;
	sbuf_reader_init(&in, b.data, b.len);
	CHECK_EQ(devices[nr_devices - 1]->ops->restore(devices[nr_devices - 1],
						       &in), 0);
	CHECK_EQ(virtio_get_status(&g->vdev), virtio_get_status(&f->vdev));
	CHECK(virtio_dev_has_feature(&g->vdev, 70));
	CHECK(virtio_queue_enabled(&g->vdev, 1));
	CHECK(!virtio_queue_enabled(&g->vdev, 0));
	CHECK_EQ(virtio_queue_get_size(&g->vdev, 1), 8);
	CHECK_EQ(virtio_queue_get_area(&g->vdev, 1, VIRTIO_AREA_DEVICE),
		 0x103000);
	CHECK_EQ(g->q[1].vq.s.last_avail, 5);
	CHECK_EQ(g->q[1].vq.s.used_idx, 4);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 1);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1);
	CHECK_EQ(activations, 1);
	/* A truncated payload is refused. */
	sbuf_reader_init(&in, b.data, b.len - 1);
	CHECK(devices[nr_devices - 1]->ops->restore(devices[nr_devices - 1],
						    &in) < 0);
	sbuf_free(&b);
	return g;
}

static void test_reset(struct fake_dev *f)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(line_level, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 16); /* QueueSel back to 0 */
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(!virtio_dev_has_feature(&f->vdev, 70));
}

int main(void)
{
	struct fake_dev *f, *g;

	setup_vm();
	f = attach();
	CHECK_EQ(base, 0xe0000000);
	CHECK_EQ(vm.platform->gsi, 5);
	test_identity();
	test_features(f);
	test_queues(f);
	test_interrupts(f);
	test_widths();
	g = test_snapshot(f);
	test_reset(g);
	while (nr_devices) {
		struct device *d = devices[--nr_devices];

		d->ops->destroy(d);
	}
	free(f);
	free(g);
	free(vm.mem.regions[0].hva);
	platform_devs_free(&vm);
	bus_destroy(&vm.mmio);
	return unit_done("virtio_mmio");
}
