/* snapshot_config.c: the snapshot's CONFIG section (the VM's shape, interrupt controller, PMU and device options) and how a restore's command line replaces the recorded back-ends. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch.h"
#include "config.h"
#include "sbuf.h"
#include "snapshot.h"
#include "virtio/vsock.h"
#include "vm.h"

/* CONFIG section versions: 1 had RAM, vCPUs, exit port and the device
 * count; 2 adds the device-shaping options; 3 the interrupt controller
 * (u8: 0 the default, 1 arm64's gicv3-its) and the PMU (u8). Older files
 * read as the default controller without a PMU: minivmm refused to
 * snapshot anything else before version 3. */
#define CONFIG_VERSION 3
#define NET_MODE_TAP   0
#define IRQCHIP_ITS    1

static void put_str(struct sbuf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	sbuf_put_u16(b, (uint16_t)n);
	sbuf_put_bytes(b, s, n);
}

/* A string of at most size - 1 bytes into buf; false if longer. */
static bool get_str(struct sbuf_reader *in, char *buf, size_t size)
{
	uint16_t n = sbuf_get_u16(in);

	if (n >= size) {
		in->err = -EBADMSG;
		buf[0] = 0;
		return false;
	}
	sbuf_get_bytes(in, buf, n);
	buf[n] = 0;
	return !in->err && strlen(buf) == n;
}

/* The image as an absolute path: a restore may run elsewhere. */
static void put_disk(struct sbuf *b, const struct vm_disk *d)
{
	char *abs = realpath(d->path, NULL);

	put_str(b, abs && strlen(abs) < VM_DISK_PATH_MAX ? abs : d->path,
		VM_DISK_PATH_MAX - 1);
	free(abs);
	sbuf_put_u8(b, d->ro);
	sbuf_put_u8(b, d->direct);
	put_str(b, d->serial, VM_DISK_SERIAL_MAX);
}

static void put_net(struct sbuf *b, const struct net_config *n)
{
	sbuf_put_u8(b, NET_MODE_TAP);
	put_str(b, n->tapif, sizeof(n->tapif) - 1);
	sbuf_put_bytes(b, n->mac, sizeof(n->mac));
	sbuf_put_u8(b, n->vhost);
	sbuf_put_u32(b, n->queue_pairs);
}

int snapshot_config_encode(const struct vm_config *cfg, unsigned int nr_vcpus,
			   unsigned int nr_devices, struct sbuf *out)
{
	sbuf_put_u32(out, CONFIG_VERSION);
	sbuf_put_u64(out, cfg->mem_size);
	sbuf_put_u32(out, nr_vcpus);
	sbuf_put_u32(out, (uint32_t)cfg->exit_port);
	sbuf_put_u32(out, nr_devices);
	sbuf_put_u8(out, (uint8_t)cfg->console);
	sbuf_put_u8(out, (uint8_t)cfg->virtio_transport);
	sbuf_put_u8(out, cfg->rng);
	sbuf_put_u64(out, cfg->vsock_cid);
	sbuf_put_u32(out, cfg->nr_disks);
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		put_disk(out, &cfg->disks[i]);
	sbuf_put_u32(out, cfg->nr_nets);
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		put_net(out, &cfg->nets[i]);
	sbuf_put_u8(out, cfg->gic_its ? IRQCHIP_ITS : 0);
	sbuf_put_u8(out, cfg->pmu);
	return out->err;
}

static bool get_disk(struct sbuf_reader *in, struct vm_disk *d)
{
	uint8_t ro, direct;

	if (!get_str(in, d->path, sizeof(d->path)) || !d->path[0])
		return false;
	ro = sbuf_get_u8(in);
	direct = sbuf_get_u8(in);
	d->ro = ro;
	d->direct = direct;
	d->poll_us = d->iothreads = -1; /* back-end choices, not recorded */
	return get_str(in, d->serial, sizeof(d->serial)) && ro <= 1 &&
	       direct <= 1;
}

static bool get_net(struct sbuf_reader *in, struct net_config *n)
{
	uint8_t mode = sbuf_get_u8(in), vhost;

	if (!get_str(in, n->tapif, sizeof(n->tapif)))
		return false;
	sbuf_get_bytes(in, n->mac, sizeof(n->mac));
	vhost = sbuf_get_u8(in);
	n->vhost = vhost;
	n->queue_pairs = sbuf_get_u32(in);
	return !in->err && mode == NET_MODE_TAP && vhost <= 1 &&
	       n->queue_pairs >= 1 && n->queue_pairs <= VIRTIO_NET_MAX_PAIRS &&
	       !(n->mac[0] & 1);
}

/* Version 2's device options. */
static bool get_devices(struct sbuf_reader *in, struct vm_config *rec)
{
	uint8_t console = sbuf_get_u8(in), transport = sbuf_get_u8(in);
	uint8_t rng = sbuf_get_u8(in);

	rec->console = (enum console_kind)console;
	rec->virtio_transport = (enum virtio_transport_kind)transport;
	rec->rng = rng;
	rec->vsock_cid = sbuf_get_u64(in);
	rec->nr_disks = sbuf_get_u32(in);
	if (in->err || console > CONSOLE_VIRTIO ||
	    transport > VIRTIO_TRANSPORT_MMIO || rng > 1 ||
	    (rec->vsock_cid && (rec->vsock_cid < VSOCK_CID_MIN ||
				rec->vsock_cid > VSOCK_CID_MAX)) ||
	    rec->nr_disks > VM_MAX_DISKS)
		return false;
	for (unsigned int i = 0; i < rec->nr_disks; i++)
		if (!get_disk(in, &rec->disks[i]))
			return false;
	rec->nr_nets = sbuf_get_u32(in);
	if (in->err || rec->nr_nets > VM_MAX_NETS)
		return false;
	for (unsigned int i = 0; i < rec->nr_nets; i++)
		if (!get_net(in, &rec->nets[i]))
			return false;
	return true;
}

int snapshot_config_decode(const void *data, size_t len, struct vm_config *rec,
			   bool *has_devices)
{
	struct sbuf_reader in;
	uint32_t version;

	memset(rec, 0, sizeof(*rec));
	*has_devices = false;
	sbuf_reader_init(&in, data, len);
	version = sbuf_get_u32(&in);
	if (version < 1 || version > CONFIG_VERSION)
		return -EINVAL;
	rec->mem_size = sbuf_get_u64(&in);
	rec->nr_cpus = sbuf_get_u32(&in);
	rec->exit_port = (int32_t)sbuf_get_u32(&in);
	sbuf_get_u32(&in); /* device count: checked against the VM's later */
	if (version >= 2 && !get_devices(&in, rec))
		return -EINVAL;
	if (version >= 3) {
		uint8_t irqchip = sbuf_get_u8(&in), pmu = sbuf_get_u8(&in);

		if (irqchip > IRQCHIP_ITS || pmu > 1)
			return -EINVAL;
		rec->gic_its = irqchip == IRQCHIP_ITS;
		rec->pmu = pmu;
	}
	*has_devices = version >= 2;
	if (sbuf_reader_done(&in) || !rec->nr_cpus || !rec->mem_size ||
	    (rec->exit_port >= 0 &&
	     (uint64_t)rec->exit_port > arch_exit_port_max()) ||
	    rec->exit_port < -1 || rec->nr_cpus > arch_max_cpus() ||
	    rec->mem_size % 4096 || rec->mem_size < arch_min_mem() ||
	    rec->mem_size > (1ULL << 40))
		return -EINVAL;
	return 0;
}

/* ---- restore: the command line against the recorded devices ---- */

static int differ(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line naming the difference; a usage error (status 64). */
static int differ(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "minivmm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static const char *console_name(enum console_kind k)
{
	return k == CONSOLE_VIRTIO ? "virtio" : "serial";
}

static const char *transport_name(enum virtio_transport_kind k)
{
	return k == VIRTIO_TRANSPORT_MMIO ? "mmio" : "pci";
}

static int merge_console(struct vm_config *cfg, const struct vm_config *rec,
			 unsigned int given)
{
	if (given & RESTORE_CONSOLE && cfg->console != rec->console)
		return differ("--console %s: the snapshot's VM has a %s console",
			      console_name(cfg->console),
			      console_name(rec->console));
	if (given & RESTORE_TRANSPORT &&
	    cfg->virtio_transport != rec->virtio_transport)
		return differ("--virtio-transport %s: the snapshot's virtio "
			      "devices are on %s",
			      transport_name(cfg->virtio_transport),
			      transport_name(rec->virtio_transport));
	if (given & RESTORE_RNG && !rec->rng)
		return differ("--rng: the snapshot's VM has no virtio-rng");
	if (given & RESTORE_VSOCK && cfg->vsock_cid != rec->vsock_cid)
		return rec->vsock_cid ?
			differ("--vsock %llu: the snapshot's vsock CID is %llu",
			       (unsigned long long)cfg->vsock_cid,
			       (unsigned long long)rec->vsock_cid) :
			differ("--vsock %llu: the snapshot's VM has no vsock "
			       "device", (unsigned long long)cfg->vsock_cid);
	cfg->console = rec->console;
	cfg->virtio_transport = rec->virtio_transport;
	cfg->rng = rec->rng;
	cfg->vsock_cid = rec->vsock_cid;
	return 0;
}

/* A recorded image reopened by its path: it must still be there. */
static int recorded_disk_ok(unsigned int i, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "minivmm: disk %u of the snapshot, %s: %s (give "
			"-d to use another image)\n", i, path, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "minivmm: disk %u of the snapshot, %s, is not a "
			"regular file or a block device\n", i, path);
		return -ENOENT;
	}
	return 0;
}

/* The given image replaces disk i: same read-only-ness and serial. */
static int merge_disk(unsigned int i, struct vm_disk *d,
		      const struct vm_disk *r)
{
	if (d->ro != r->ro)
		return differ("-d %s: %s, but disk %u of the snapshot (%s) was "
			      "%s", d->path, d->ro ? "read-only" : "writable",
			      i, r->path, r->ro ? "read-only" : "writable");
	if (d->serial[0] && strcmp(d->serial, r->serial))
		return differ("-d %s: serial '%s', but disk %u of the snapshot "
			      "had %s%s%s", d->path, d->serial, i,
			      r->serial[0] ? "'" : "the default",
			      r->serial, r->serial[0] ? "'" : "");
	memcpy(d->serial, r->serial, sizeof(d->serial));
	return 0;
}

static int merge_disks(struct vm_config *cfg, const struct vm_config *rec,
		       unsigned int given)
{
	int ret = 0;

	if (!(given & RESTORE_DISKS)) {
		cfg->nr_disks = rec->nr_disks;
		memcpy(cfg->disks, rec->disks, sizeof(cfg->disks));
		for (unsigned int i = 0; i < cfg->nr_disks && !ret; i++)
			ret = recorded_disk_ok(i, cfg->disks[i].path);
		return ret;
	}
	if (cfg->nr_disks != rec->nr_disks)
		return differ("%u -d option%s given, the snapshot's VM has %u "
			      "disk%s (give one -d per disk, in order)",
			      cfg->nr_disks, cfg->nr_disks == 1 ? "" : "s",
			      rec->nr_disks, rec->nr_disks == 1 ? "" : "s");
	for (unsigned int i = 0; i < cfg->nr_disks && !ret; i++)
		ret = merge_disk(i, &cfg->disks[i], &rec->disks[i]);
	return ret;
}

static const char *mac_str(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
	return buf;
}

/* The given tap replaces network i: same queue pairs and MAC. */
static int merge_net(unsigned int i, struct net_config *n,
		     const struct net_config *r, unsigned int given)
{
	char a[18], b[18];

	if (given & RESTORE_NET_MQ && n->queue_pairs != r->queue_pairs)
		return differ("network %u: -n ...,mq=%u, but the snapshot's "
			      "has %u queue pair%s", i, n->queue_pairs,
			      r->queue_pairs, r->queue_pairs == 1 ? "" : "s");
	if (given & RESTORE_NET_MAC && memcmp(n->mac, r->mac, sizeof(n->mac)))
		return differ("network %u: -n ...,guest_mac=%s, but the "
			      "snapshot's is %s", i, mac_str(n->mac, a),
			      mac_str(r->mac, b));
	n->queue_pairs = r->queue_pairs;
	memcpy(n->mac, r->mac, sizeof(n->mac));
	return 0;
}

static int merge_nets(struct vm_config *cfg, const struct vm_config *rec,
		      const struct restore_given *given)
{
	int ret = 0;

	if (!(given->opts & RESTORE_NETS)) {
		cfg->nr_nets = rec->nr_nets;
		memcpy(cfg->nets, rec->nets, sizeof(cfg->nets));
		return 0;
	}
	if (cfg->nr_nets != rec->nr_nets)
		return differ("%u -n option%s given, the snapshot's VM has %u "
			      "network device%s", cfg->nr_nets,
			      cfg->nr_nets == 1 ? "" : "s", rec->nr_nets,
			      rec->nr_nets == 1 ? "" : "s");
	for (unsigned int i = 0; i < cfg->nr_nets && !ret; i++)
		ret = merge_net(i, &cfg->nets[i], &rec->nets[i],
				given->net[i]);
	return ret;
}

/* The recorded interrupt controller and PMU; --irqchip or --pmu given to
 * restore must say the same. */
int snapshot_config_merge_machine(struct vm_config *cfg,
				  const struct vm_config *rec,
				  const struct restore_given *given)
{
	if (given->opts & RESTORE_IRQCHIP && cfg->gic_its != rec->gic_its)
		return differ("--irqchip %s: the snapshot's VM has %s",
			      cfg->gic_its ? "gicv3-its" : "gicv3",
			      rec->gic_its ? "an ITS (gicv3-its)"
					   : "no ITS (gicv3)");
	if (given->opts & RESTORE_PMU && cfg->pmu != rec->pmu)
		return differ("--pmu: the snapshot's VM has no PMU");
	cfg->gic_its = rec->gic_its;
	cfg->pmu = rec->pmu;
	return 0;
}

int snapshot_config_merge(struct vm_config *cfg, const struct vm_config *rec,
			  const struct restore_given *given)
{
	int ret = merge_console(cfg, rec, given->opts);

	if (!ret)
		ret = merge_nets(cfg, rec, given);
	if (!ret)
		ret = merge_disks(cfg, rec, given->opts);
	return ret;
}
