/* test_snapshot_config.c: the snapshot's CONFIG section (versions 1 to 3) and how `minivmm restore` options replace the recorded device back-ends and must match the recorded irqchip and PMU. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "config.h"
#include "log.h"
#include "sbuf.h"
#include "snapshot.h"
#include "util.h"
#include "unit.h"

#define EXE "/proc/self/exe" /* a regular file that exists */

static struct vm_config rec, cfg, got;

/* The recording side: two disks, a virtio console on mmio, rng, a net
 * with 2 pairs and a custom MAC, vsock. */
static void make_recorded(struct vm_config *c)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };

	memset(c, 0, sizeof(*c));
	c->mem_size = 128 * MiB;
	c->nr_cpus = 2;
	c->exit_port = 0xf4;
	c->console = CONSOLE_VIRTIO;
	c->virtio_transport = VIRTIO_TRANSPORT_MMIO;
	c->rng = true;
	c->vsock_cid = 42;
	c->nr_disks = 2;
	strcpy(c->disks[0].path, EXE);
	c->disks[0].direct = true;
	strcpy(c->disks[0].serial, "boot");
	strcpy(c->disks[1].path, "/nonexistent/data.img");
	c->disks[1].ro = true;
	c->nr_nets = 1;
	strcpy(c->nets[0].tapif, "tap7");
	memcpy(c->nets[0].mac, mac, 6);
	c->nets[0].queue_pairs = 2;
	c->gic_its = true;
	c->pmu = true;
}

static void test_round_trip(void)
{
	char *exe = realpath(EXE, NULL);
	struct sbuf b;
	bool has;

	CHECK(exe != NULL);
	make_recorded(&rec);
	sbuf_init(&b);
	CHECK_EQ(snapshot_config_encode(&rec, 2, 9, &b), 0);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), 0);
	CHECK(has);
	CHECK_EQ(got.mem_size, 128 * MiB);
	CHECK_EQ(got.nr_cpus, 2);
	CHECK_EQ(got.exit_port, 0xf4);
	CHECK_EQ(got.console, CONSOLE_VIRTIO);
	CHECK_EQ(got.virtio_transport, VIRTIO_TRANSPORT_MMIO);
	CHECK(got.rng);
	CHECK_EQ(got.vsock_cid, 42);
	CHECK_EQ(got.nr_disks, 2);
	CHECK_STR(got.disks[0].path, exe); /* recorded absolute, resolved */
	free(exe);
	CHECK(got.disks[0].direct && !got.disks[0].ro);
	CHECK_STR(got.disks[0].serial, "boot");
	CHECK_STR(got.disks[1].path, "/nonexistent/data.img"); /* as given */
	CHECK(got.disks[1].ro && !got.disks[1].direct);
	CHECK_EQ(got.nr_nets, 1);
	CHECK_STR(got.nets[0].tapif, "tap7");
	CHECK(!memcmp(got.nets[0].mac, rec.nets[0].mac, 6));
	CHECK_EQ(got.nets[0].queue_pairs, 2);
	CHECK(got.gic_its);
	CHECK(got.pmu);

	/* Every truncation is refused, and so is a trailing byte. */
	for (size_t n = 0; n < b.len; n++)
		CHECK_EQ(snapshot_config_decode(b.data, n, &got, &has), -EINVAL);
	sbuf_put_u8(&b, 0);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	/* A newer version is refused. */
	b.data[0] = 4;
	CHECK_EQ(snapshot_config_decode(b.data, b.len - 1, &got, &has),
		 -EINVAL);
	sbuf_free(&b);
}

/* Version 1 (before devices were recorded) still reads. */
static void test_version1(void)
{
	struct sbuf b;
	bool has = true;

	sbuf_init(&b);
	sbuf_put_u32(&b, 1);
	sbuf_put_u64(&b, 256 * MiB);
	sbuf_put_u32(&b, 1);
	sbuf_put_u32(&b, 0xf4);
	sbuf_put_u32(&b, 5);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), 0);
	CHECK(!has);
	CHECK_EQ(got.mem_size, 256 * MiB);
	CHECK_EQ(got.nr_cpus, 1);
	CHECK_EQ(got.nr_disks, 0);
	b.data[12] = 0; /* 0 vCPUs */
	b.data[13] = 0;
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	sbuf_free(&b);
}

/* Version 2 (devices, no irqchip or PMU) still reads: the default
 * controller, no PMU. Written here as version 3 without its last two
 * bytes. */
static void test_version2(void)
{
	struct sbuf b;
	bool has = false;

	make_recorded(&rec);
	sbuf_init(&b);
	CHECK_EQ(snapshot_config_encode(&rec, 2, 9, &b), 0);
	b.data[0] = 2;
	CHECK_EQ(snapshot_config_decode(b.data, b.len - 2, &got, &has), 0);
	CHECK(has);
	CHECK(!got.gic_its && !got.pmu);
	CHECK_EQ(got.nr_nets, 1);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	/* version 3 with values it does not define */
	b.data[0] = 3;
	b.data[b.len - 2] = 2;
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	b.data[b.len - 2] = 0;
	b.data[b.len - 1] = 2;
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	b.data[b.len - 1] = 0;
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), 0);
	CHECK(!got.gic_its && !got.pmu);
	sbuf_free(&b);
}

/* Bad values inside a version 2 payload. */
static void test_malformed(void)
{
	struct vm_config c;
	struct sbuf b;
	bool has;

	make_recorded(&c);
	c.nets[0].queue_pairs = 9;
	sbuf_init(&b);
	snapshot_config_encode(&c, 2, 9, &b);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	sbuf_free(&b);
	make_recorded(&c);
	c.console = (enum console_kind)7;
	sbuf_init(&b);
	snapshot_config_encode(&c, 2, 9, &b);
	CHECK_EQ(snapshot_config_decode(b.data, b.len, &got, &has), -EINVAL);
	sbuf_free(&b);
}

static int parse_restore(struct restore_args *ra, ...)
{
	char *argv[32];
	int argc = 0, lvl = LOG_WARN;
	va_list ap;

	argv[argc++] = "restore";
	argv[argc++] = EXE; /* the "snapshot": any regular file */
	va_start(ap, ra);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return config_parse_restore(argc, argv, &cfg, ra, &lvl);
}

/* Which device options a restore command line gave. */
static void test_given(void)
{
	struct restore_args ra;

	CHECK_EQ(parse_restore(&ra, NULL), 0);
	CHECK_EQ(ra.given.opts, 0);
	CHECK_EQ(parse_restore(&ra, "-d", EXE, "--rng", "--console", "serial",
			       "--virtio-transport", "pci", "--vsock", "9",
			       "-n", "mode=tap,tapif=a", "-n",
			       "mode=tap,guest_mac=02:00:00:00:00:01,mq=2",
			       NULL),
		 0);
	CHECK_EQ(ra.given.opts, RESTORE_DISKS | RESTORE_RNG | RESTORE_CONSOLE |
					RESTORE_TRANSPORT | RESTORE_VSOCK |
					RESTORE_NETS);
	CHECK_EQ(ra.given.net[0], 0);
	CHECK_EQ(ra.given.net[1], RESTORE_NET_MAC | RESTORE_NET_MQ);
	CHECK_STR(ra.snapshot, EXE);
	/* Still run-only: the kernel, RAM, vCPUs, exit port. */
	CHECK_EQ(parse_restore(&ra, "-m", "1G", NULL), -EINVAL);
	CHECK_EQ(parse_restore(&ra, "--exit-port", "off", NULL), -EINVAL);
	CHECK_EQ(parse_restore(&ra, "-k", EXE, NULL), -EINVAL);
	CHECK_EQ(parse_restore(&ra, "-d", "/nonexistent.img", NULL), -ENOENT);
	/* The mismatch switches: off unless given, each its own. */
	CHECK_EQ(parse_restore(&ra, NULL), 0);
	CHECK(!ra.opts.allow_timebase_mismatch && !ra.opts.allow_tsc_mismatch);
	CHECK_EQ(parse_restore(&ra, "--allow-timebase-mismatch", NULL), 0);
	CHECK(ra.opts.allow_timebase_mismatch && !ra.opts.allow_tsc_mismatch);
	CHECK_EQ(parse_restore(&ra, "--allow-tsc-mismatch", NULL), 0);
	CHECK(!ra.opts.allow_timebase_mismatch && ra.opts.allow_tsc_mismatch);
}

/* A fresh "command line": nothing given. */
static void blank(struct restore_given *g)
{
	memset(&cfg, 0, sizeof(cfg));
	memset(g, 0, sizeof(*g));
}

static void test_merge_recorded(void)
{
	struct restore_given g;

	make_recorded(&rec);
	strcpy(rec.disks[1].path, EXE);
	blank(&g);
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), 0);
	CHECK_EQ(cfg.console, CONSOLE_VIRTIO);
	CHECK_EQ(cfg.virtio_transport, VIRTIO_TRANSPORT_MMIO);
	CHECK(cfg.rng);
	CHECK_EQ(cfg.vsock_cid, 42);
	CHECK_EQ(cfg.nr_disks, 2);
	CHECK(cfg.disks[1].ro);
	CHECK_STR(cfg.nets[0].tapif, "tap7");
	CHECK_EQ(cfg.nets[0].queue_pairs, 2);

	/* A recorded image that is gone: -ENOENT (status 66). */
	strcpy(rec.disks[1].path, "/nonexistent/data.img");
	blank(&g);
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -ENOENT);
}

static void test_merge_replace(void)
{
	struct restore_given g;

	make_recorded(&rec);
	blank(&g);
	g.opts = RESTORE_DISKS | RESTORE_NETS;
	cfg.nr_disks = 2;
	strcpy(cfg.disks[0].path, "/new/a.img");
	strcpy(cfg.disks[1].path, "/new/b.img");
	cfg.disks[1].ro = true;
	cfg.nr_nets = 1;
	strcpy(cfg.nets[0].tapif, "other");
	cfg.nets[0].vhost = true;
	cfg.nets[0].queue_pairs = 1; /* not spelled out: the recorded 2 */
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), 0);
	CHECK_STR(cfg.disks[0].path, "/new/a.img");
	CHECK(!cfg.disks[0].direct); /* the new back-end's choice */
	CHECK_STR(cfg.disks[0].serial, "boot"); /* guest-visible: recorded */
	CHECK_STR(cfg.disks[1].path, "/new/b.img");
	CHECK_STR(cfg.nets[0].tapif, "other");
	CHECK(cfg.nets[0].vhost);
	CHECK_EQ(cfg.nets[0].queue_pairs, 2);
	CHECK(!memcmp(cfg.nets[0].mac, rec.nets[0].mac, 6));
	CHECK_EQ(cfg.console, CONSOLE_VIRTIO); /* not given: recorded */
}

/* Each shape difference: -EINVAL (status 64). */
static void test_merge_mismatch(void)
{
	struct restore_given g;

	make_recorded(&rec);
	blank(&g);
	g.opts = RESTORE_DISKS;
	cfg.nr_disks = 1;
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	cfg.nr_disks = 2;
	cfg.disks[1].ro = false; /* recorded read-only */
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	cfg.disks[1].ro = true;
	strcpy(cfg.disks[0].serial, "other");
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);

	blank(&g);
	g.opts = RESTORE_CONSOLE; /* serial, recorded virtio */
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	blank(&g);
	g.opts = RESTORE_TRANSPORT; /* pci, recorded mmio */
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	blank(&g);
	g.opts = RESTORE_VSOCK;
	cfg.vsock_cid = 43;
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	blank(&g);
	g.opts = RESTORE_NETS;
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL); /* 0 of 1 */
	cfg.nr_nets = 1;
	cfg.nets[0].queue_pairs = 1;
	g.net[0] = RESTORE_NET_MQ;
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
	g.net[0] = RESTORE_NET_MAC; /* cfg's MAC is all zero */
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);

	rec.rng = false;
	blank(&g);
	g.opts = RESTORE_RNG;
	CHECK_EQ(snapshot_config_merge(&cfg, &rec, &g), -EINVAL);
}

/* The recorded irqchip and PMU are re-created; --irqchip and --pmu given
 * must say the same. */
static void test_merge_machine(void)
{
	struct restore_given g;

	make_recorded(&rec); /* ITS and PMU */
	blank(&g);
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), 0);
	CHECK(cfg.gic_its && cfg.pmu);
	blank(&g);
	g.opts = RESTORE_IRQCHIP | RESTORE_PMU;
	cfg.gic_its = cfg.pmu = true;
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), 0);
	blank(&g);
	g.opts = RESTORE_IRQCHIP; /* --irqchip gicv3 */
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), -EINVAL);

	rec.gic_its = rec.pmu = false; /* as every file before version 3 */
	blank(&g);
	cfg.gic_its = cfg.pmu = true; /* not given: the recorded ones win */
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), 0);
	CHECK(!cfg.gic_its && !cfg.pmu);
	blank(&g);
	g.opts = RESTORE_IRQCHIP;
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), 0);
	cfg.gic_its = true; /* --irqchip gicv3-its */
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), -EINVAL);
	blank(&g);
	g.opts = RESTORE_PMU;
	cfg.pmu = true;
	CHECK_EQ(snapshot_config_merge_machine(&cfg, &rec, &g), -EINVAL);
}

int main(void)
{
	test_round_trip();
	test_version1();
	test_version2();
	test_malformed();
	test_given();
	test_merge_recorded();
	test_merge_replace();
	test_merge_mismatch();
	test_merge_machine();
	return unit_done("snapshot_config");
}
