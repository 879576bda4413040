/* blk.c: virtio-blk on a raw image: request parsing and file I/O on a worker thread. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"
#include "blk_internal.h"

#define BLK_MAX_BUFS	 VIRTIO_BLK_QUEUE_SIZE /* seg_max + header + status */
#define BLK_SEG_MAX	 (VIRTIO_BLK_QUEUE_SIZE - 2)
#define BLK_DISCARD_MAX	 (1u << 22) /* sectors per segment: 2 GiB */
#define BLK_DISCARD_SEGS 32
#define BLK_DIO_ALIGN	 512	/* O_DIRECT buffer/offset alignment assumed */
#define BLK_PROBE_LEN	 4096

/*
 * Threads: the vCPU's QueueNotify only kicks the worker (queue_notify op);
 * the worker owns the queue between activate and reset and does every
 * read, write, flush and fallocate, so a slow disk never stalls a vCPU.
 * A request is completed (pushed to the used ring) only after the system
 * call that makes it durable as promised returned: data in the file for
 * writes, fdatasync for FLUSH.
 */
struct virtio_blk {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queue;
	struct virtio_worker worker;
	int fd;
	bool ro, direct, can_discard, can_zero;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	char name[32];
	const char *path;
	uint8_t config[VIRTIO_BLK_CFG_LEN];
	struct virtq_buf bufs[BLK_MAX_BUFS];
	struct iovec iov[BLK_MAX_BUFS];
	uint64_t reads, writes, flushes, errors; /* worker only */
};

/* The parsed shape of one request. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	struct iovec *iov; /* data: readable after the header (OUT, DISCARD,
			    * WRITE_ZEROES) or writable before the status */
	int niov;
	uint64_t len;
};

/* ---- iovecs over a chain ---- */

/* The bytes of bufs[0..n) of the given direction from 'skip' on, without
 * the last 'trim' bytes, as iovecs (empty pieces left out). */
static int blk_iov(const struct virtq_buf *bufs, unsigned int n, bool writable,
		   uint64_t skip, uint64_t trim, struct iovec *iov,
		   uint64_t *total)
{
	uint64_t all = 0, pos = 0;
	int cnt = 0;

	for (unsigned int i = 0; i < n; i++)
		if (bufs[i].writable == writable)
			all += bufs[i].len;
	*total = 0;
	if (skip + trim > all)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t lo = pos, hi = pos + bufs[i].len;
		uint64_t from = MAX(lo, skip), to = MIN(hi, all - trim);

		if (bufs[i].writable != writable)
			continue;
		pos = hi;
		if (from >= to)
			continue;
		iov[cnt].iov_base = (uint8_t *)bufs[i].addr + (from - lo);
		iov[cnt].iov_len = to - from;
		*total += to - from;
		cnt++;
	}
	return cnt;
}

static void iov_to_buf(const struct iovec *iov, int cnt, void *dst,
		       size_t len)
{
	uint8_t *d = dst;

	for (int i = 0; i < cnt && len; i++) {
		size_t n = MIN(len, iov[i].iov_len);

		memcpy(d, iov[i].iov_base, n);
		d += n;
		len -= n;
	}
}

static void buf_to_iov(const struct iovec *iov, int cnt, const void *src,
		       size_t len)
{
	const uint8_t *s = src;

	for (int i = 0; i < cnt && len; i++) {
		size_t n = MIN(len, iov[i].iov_len);

		memcpy(iov[i].iov_base, s, n);
		s += n;
		len -= n;
	}
}

/* ---- file I/O ---- */

/* All of it, or -errno (-EIO for an unexpected end of file). */
static int blk_rw_full(int fd, bool write, struct iovec *iov, int cnt,
		       uint64_t off)
{
	while (cnt > 0) {
		ssize_t r = write ? pwritev(fd, iov, MIN(cnt, IOV_MAX),
					    (off_t)off)
				  : preadv(fd, iov, MIN(cnt, IOV_MAX),
					   (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		off += (uint64_t)r;
		while (cnt && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static bool blk_dio_aligned(const struct iovec *iov, int cnt, uint64_t off)
{
	if (!IS_ALIGNED(off, BLK_DIO_ALIGN))
		return false;
	for (int i = 0; i < cnt; i++)
		if (!IS_ALIGNED((uintptr_t)iov[i].iov_base, BLK_DIO_ALIGN) ||
		    !IS_ALIGNED(iov[i].iov_len, BLK_DIO_ALIGN))
			return false;
	return true;
}

/* O_DIRECT with guest buffers that are not aligned: through a bounce. */
static int blk_rw_bounce(struct virtio_blk *b, bool write, struct iovec *iov,
			 int cnt, uint64_t off, uint64_t len)
{
	struct iovec one;
	void *buf;
	int ret;

	if (posix_memalign(&buf, 4096, ALIGN_UP(len, 4096)))
		return -ENOMEM;
	one = (struct iovec){ buf, len };
	if (write)
		iov_to_buf(iov, cnt, buf, len);
	ret = blk_rw_full(b->fd, write, &one, 1, off);
	if (!ret && !write)
		buf_to_iov(iov, cnt, buf, len);
	free(buf);
	return ret;
}

static int blk_rw(struct virtio_blk *b, bool write, const struct blk_req *r)
{
	uint64_t off = r->sector * VIRTIO_BLK_SECTOR;

	if (b->direct && !blk_dio_aligned(r->iov, r->niov, off))
		return blk_rw_bounce(b, write, r->iov, r->niov, off, r->len);
	return blk_rw_full(b->fd, write, r->iov, r->niov, off);
}

/* ---- requests ---- */

/* Is [sector, sector + bytes/512) inside the disk? Overflow-safe. */
static bool blk_in_range(const struct virtio_blk *b, uint64_t sector,
			 uint64_t bytes)
{
	return sector <= b->sectors &&
	       bytes <= (b->sectors - sector) * VIRTIO_BLK_SECTOR;
}

static uint8_t blk_errno_status(struct virtio_blk *b, const char *what,
				int err)
{
	if (err)
		pr_debug("%s: %s failed: %s", b->name, what, strerror(-err));
	return err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t blk_do_rw(struct virtio_blk *b, const struct blk_req *r,
			 bool write)
{
	if (r->len % VIRTIO_BLK_SECTOR || !blk_in_range(b, r->sector, r->len))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (write)
		b->writes++;
	else
		b->reads++;
	return blk_errno_status(b, write ? "write" : "read",
				blk_rw(b, write, r));
}

static uint8_t blk_do_flush(struct virtio_blk *b)
{
	b->flushes++;
	if (b->ro)
		return VIRTIO_BLK_S_OK;
	return blk_errno_status(b, "fdatasync",
				fdatasync(b->fd) ? -errno : 0);
}

static uint8_t blk_do_get_id(struct virtio_blk *b, const struct blk_req *r,
			     uint32_t *data_len)
{
	size_t n = MIN(r->len, (uint64_t)VIRTIO_BLK_ID_BYTES);

	buf_to_iov(r->iov, r->niov, b->id, n);
	*data_len = (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

static int blk_fallocate(struct virtio_blk *b, int mode, uint64_t sector,
			 uint64_t count)
{
	if (fallocate(b->fd, mode | FALLOC_FL_KEEP_SIZE,
		      (off_t)(sector * VIRTIO_BLK_SECTOR),
		      (off_t)(count * VIRTIO_BLK_SECTOR)))
		return -errno;
	return 0;
}

/* DISCARD (punch a hole) and WRITE_ZEROES (zero the range) over their
 * segments; every segment is checked before any is applied. */
static uint8_t blk_do_ranges(struct virtio_blk *b, const struct blk_req *r)
{
	bool zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint8_t segs[BLK_DISCARD_SEGS][VIRTIO_BLK_SEG_LEN];
	unsigned int n = (unsigned int)(r->len / VIRTIO_BLK_SEG_LEN);
	int ret = 0;

	if (!(zero ? b->can_zero : b->can_discard))
		return VIRTIO_BLK_S_UNSUPP;
	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!n || r->len % VIRTIO_BLK_SEG_LEN || n > BLK_DISCARD_SEGS)
		return VIRTIO_BLK_S_IOERR;
	iov_to_buf(r->iov, r->niov, segs, r->len);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t count = get_le32(segs[i] + 8), flags = get_le32(segs[i] + 12);

		if (flags & ~(zero ? VIRTIO_BLK_WZ_F_UNMAP : 0))
			return VIRTIO_BLK_S_UNSUPP;
		if (count > BLK_DISCARD_MAX ||
		    !blk_in_range(b, get_le64(segs[i]),
				  (uint64_t)count * VIRTIO_BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	}
	for (unsigned int i = 0; i < n && !ret; i++)
		ret = blk_fallocate(b, zero ? FALLOC_FL_ZERO_RANGE
					    : FALLOC_FL_PUNCH_HOLE,
				    get_le64(segs[i]), get_le32(segs[i] + 8));
	return blk_errno_status(b, zero ? "write-zeroes" : "discard", ret);
}

/* The header, and where the data is: after the header for requests that
 * carry data to the device, before the status byte otherwise. */
static bool blk_parse(struct virtio_blk *b, const struct virtq_buf *bufs,
		      unsigned int n, struct blk_req *r)
{
	uint8_t hdr[VIRTIO_BLK_HDR_LEN];
	uint64_t rlen;
	int cnt = blk_iov(bufs, n, false, 0, 0, b->iov, &rlen);

	if (rlen < VIRTIO_BLK_HDR_LEN)
		return false;
	iov_to_buf(b->iov, cnt, hdr, sizeof(hdr));
	r->type = get_le32(hdr);
	r->sector = get_le64(hdr + 8);
	r->iov = b->iov;
	switch (r->type) {
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->niov = blk_iov(bufs, n, false, VIRTIO_BLK_HDR_LEN, 0, b->iov,
				  &r->len);
		break;
	default:
		r->niov = blk_iov(bufs, n, true, 0, 1, b->iov, &r->len);
		break;
	}
	return true;
}

static uint8_t blk_execute(struct virtio_blk *b, const struct blk_req *r,
			   uint32_t *data_len)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		*data_len = (uint32_t)r->len;
		return blk_do_rw(b, r, false);
	case VIRTIO_BLK_T_OUT:
		return blk_do_rw(b, r, true);
	case VIRTIO_BLK_T_FLUSH:
		return blk_do_flush(b);
	case VIRTIO_BLK_T_GET_ID:
		return blk_do_get_id(b, r, data_len);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_do_ranges(b, r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

int virtio_blk_request(struct virtio_blk *b, const struct virtq_buf *bufs,
		       unsigned int n, uint32_t *written)
{
	const struct virtq_buf *last = n ? &bufs[n - 1] : NULL;
	uint32_t data_len = 0;
	struct blk_req r;
	uint8_t status;

	*written = 0;
	/* The status byte is the last byte of the chain, device-writable. */
	if (!last || !last->writable || !last->len)
		return -EINVAL;
	if (!blk_parse(b, bufs, n, &r))
		status = VIRTIO_BLK_S_IOERR;
	else
		status = blk_execute(b, &r, &data_len);
	if (status != VIRTIO_BLK_S_OK) {
		b->errors++;
		data_len = 0;
	}
	((uint8_t *)last->addr)[last->len - 1] = status;
	*written = data_len + 1;
	return status;
}

/* ---- the worker ---- */

int virtio_blk_process_queue(struct virtio_blk *b)
{
	struct virtio_device *vdev = &b->vdev;
	struct virtq_chain c;
	uint32_t written;
	int ret, done = 0;

	do {
		virtio_queue_notify_enable(vdev, 0, false);
		while ((ret = virtio_queue_pop(vdev, 0, &c, b->bufs,
					       BLK_MAX_BUFS)) > 0) {
			if (virtio_blk_request(b, b->bufs, c.nbufs, &written) < 0)
				pr_debug("%s: request without a status byte",
					 b->name);
			virtio_queue_push(vdev, 0, &c, written);
			virtio_queue_interrupt(vdev, 0);
			done++;
		}
		if (ret < 0)
			return ret; /* the core set NEEDS_RESET */
	} while (virtio_queue_notify_enable(vdev, 0, true));
	return done;
}

static void blk_work(void *opaque)
{
	virtio_blk_process_queue(opaque);
}

static void blk_get_config(struct virtio_device *vdev, uint32_t off, void *buf,
			   uint32_t len)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);

	memcpy(buf, b->config + off, len);
}

static int blk_activate(struct virtio_device *vdev)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);

	return virtio_worker_start(&b->worker);
}

static void blk_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);

	virtio_worker_kick(&b->worker);
}

static void blk_reset(struct virtio_device *vdev)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);

	virtio_worker_stop(&b->worker);
}

/*
 * Snapshots: nothing is in flight (the worker completes each request
 * before it takes the next, and is held between batches while saving);
 * the image's size is recorded so that a restore onto another image of a
 * different size (the guest has read the capacity) is refused.
 */
static int blk_save(struct virtio_device *vdev, struct sbuf *out)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);

	sbuf_put_u64(out, b->sectors);
	return out->err;
}

static int blk_restore(struct virtio_device *vdev, struct sbuf_reader *in)
{
	struct virtio_blk *b = container_of(vdev, struct virtio_blk, vdev);
	uint64_t sectors = sbuf_get_u64(in);

	if (in->err)
		return in->err;
	if (sectors != b->sectors) {
		pr_err("%s: %s holds %" PRIu64 " bytes, the snapshot's disk "
		       "held %" PRIu64, b->name, b->path,
		       b->sectors * VIRTIO_BLK_SECTOR,
		       sectors * VIRTIO_BLK_SECTOR);
		return -EINVAL;
	}
	return 0;
}

static const struct virtio_device_ops blk_ops = {
	.get_config = blk_get_config,
	.activate = blk_activate,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.save = blk_save,
	.restore = blk_restore,
};

/* ---- opening the image ---- */

/* The whole file, F_WRLCK (or F_RDLCK when read-only), as an OFD lock:
 * QEMU and other minivmm instances take OFD locks too. */
static int blk_lock(struct virtio_blk *b)
{
	struct flock fl = {
		.l_type = b->ro ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	if (!fcntl(b->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES) {
		pr_err("%s is in use by another process (it holds a %s lock)",
		       b->path, b->ro ? "write" : "conflicting");
		return -EBUSY;
	}
	pr_err("%s: cannot lock it: %s", b->path, strerror(errno));
	return -errno;
}

static int blk_size(struct virtio_blk *b, uint64_t *bytes)
{
	struct stat st;

	if (fstat(b->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(b->fd, BLKGETSIZE64, bytes) ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

/* Can this file punch holes and zero ranges? Tried past the end of the
 * file with KEEP_SIZE, where neither changes what the guest can see; what
 * ZERO_RANGE allocated there is punched away again. */
static void blk_probe(struct virtio_blk *b, uint64_t bytes)
{
	off_t at = (off_t)ALIGN_UP(bytes, BLK_PROBE_LEN);

	if (b->ro)
		return;
	b->can_discard = !fallocate(b->fd, FALLOC_FL_PUNCH_HOLE |
					   FALLOC_FL_KEEP_SIZE, at,
				    BLK_PROBE_LEN);
	b->can_zero = !fallocate(b->fd, FALLOC_FL_ZERO_RANGE |
					FALLOC_FL_KEEP_SIZE, at, BLK_PROBE_LEN);
	if (b->can_zero && b->can_discard &&
	    fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at,
		      BLK_PROBE_LEN))
		pr_debug("%s: probe clean-up: %s", b->path, strerror(errno));
}

static int blk_open_file(struct virtio_blk *b)
{
	int flags = (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (b->direct ? O_DIRECT : 0);
	uint64_t bytes = 0;
	int ret;

	b->fd = open(b->path, flags);
	if (b->fd < 0) {
		ret = -errno;
		pr_err("disk %s: %s%s", b->path, strerror(-ret),
		       !b->ro && (ret == -EACCES || ret == -EROFS) ?
			       " (add ,ro to use it read-only)" : "");
		return ret;
	}
	ret = blk_lock(b);
	if (ret)
		return ret;
	ret = blk_size(b, &bytes);
	if (ret) {
		pr_err("disk %s: not a regular file or block device (%s)",
		       b->path, strerror(-ret));
		return ret;
	}
	if (bytes % VIRTIO_BLK_SECTOR)
		pr_warn("disk %s: size %" PRIu64 " is not a multiple of 512; "
			"the last %" PRIu64 " bytes are not visible", b->path,
			bytes, bytes % VIRTIO_BLK_SECTOR);
	b->sectors = bytes / VIRTIO_BLK_SECTOR;
	blk_probe(b, bytes);
	return 0;
}

static void blk_fill_config(struct virtio_blk *b)
{
	uint8_t *c = b->config;

	put_le64(c + VIRTIO_BLK_CFG_CAPACITY, b->sectors);
	put_le32(c + VIRTIO_BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	put_le32(c + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, BLK_DISCARD_MAX);
	put_le32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, BLK_DISCARD_SEGS);
	put_le32(c + VIRTIO_BLK_CFG_DISCARD_ALIGN, 1);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, BLK_DISCARD_MAX);
	put_le32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, BLK_DISCARD_SEGS);
	c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 0;
}

static void blk_offer(struct virtio_blk *b)
{
	struct virtio_features *f = &b->vdev.offered;

	*f = VIRTIO_FEATURES_EMPTY;
	virtio_feat_set(f, VIRTIO_F_VERSION_1);
	virtio_feat_set(f, VIRTIO_F_RING_INDIRECT_DESC);
	virtio_feat_set(f, VIRTIO_F_RING_EVENT_IDX);
	virtio_feat_set(f, VIRTIO_BLK_F_SEG_MAX);
	virtio_feat_set(f, VIRTIO_BLK_F_BLK_SIZE);
	virtio_feat_set(f, VIRTIO_BLK_F_FLUSH);
	if (b->ro)
		virtio_feat_set(f, VIRTIO_BLK_F_RO);
	if (b->can_discard)
		virtio_feat_set(f, VIRTIO_BLK_F_DISCARD);
	if (b->can_zero)
		virtio_feat_set(f, VIRTIO_BLK_F_WRITE_ZEROES);
}

static int blk_init_vdev(struct virtio_blk *b, const struct guest_mem *mem)
{
	struct virtio_device *v = &b->vdev;
	int ret;

	v->name = b->name;
	v->device_id = VIRTIO_ID_BLOCK;
	v->ops = &blk_ops;
	v->config_len = VIRTIO_BLK_CFG_LEN;
	v->queues = &b->queue;
	v->nr_queues = 1;
	v->mem = mem;
	b->queue.size_max = VIRTIO_BLK_QUEUE_SIZE;
	blk_offer(b);
	blk_fill_config(b);
	ret = virtio_worker_init(&b->worker, b->name, blk_work, b);
	if (ret)
		return ret;
	ret = virtio_dev_init(v);
	if (ret)
		virtio_worker_destroy(&b->worker);
	return ret;
}

int virtio_blk_open(const struct virtio_blk_opts *o,
		    const struct guest_mem *mem, struct virtio_blk **out)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->path = o->path;
	b->ro = o->ro;
	b->direct = o->direct;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", o->index);
	if (o->serial)
		/* 20 bytes, NUL-padded; not NUL-ended when all 20 are used */
		memcpy(b->id, o->serial, MIN(strlen(o->serial), sizeof(b->id)));
	else
		snprintf(b->id, sizeof(b->id), "minivmm-disk%u", o->index);
	ret = blk_open_file(b);
	if (!ret)
		ret = blk_init_vdev(b, mem);
	if (ret) {
		if (b->fd >= 0)
			close(b->fd);
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

/* The transport has reset the device (its worker stopped) by now. */
void virtio_blk_close(struct virtio_blk *b)
{
	virtio_worker_destroy(&b->worker);
	close(b->fd);
	free(b);
}

struct virtio_device *virtio_blk_vdev(struct virtio_blk *b)
{
	return &b->vdev;
}

struct virtio_worker *virtio_blk_worker(struct virtio_blk *b)
{
	return &b->worker;
}

static void blk_dev_destroy(struct device *dev)
{
	virtio_blk_close(container_of(dev, struct virtio_blk, dev));
}

static void blk_dev_report(struct device *dev)
{
	struct virtio_blk *b = container_of(dev, struct virtio_blk, dev);

	pr_debug("%s (%s): %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		 " flushes, %" PRIu64 " failed requests", b->name, b->path,
		 b->reads, b->writes, b->flushes, b->errors);
}

static const struct device_ops blk_dev_ops = {
	.destroy = blk_dev_destroy,
	.report = blk_dev_report,
};

int virtio_blk_create(struct vm *vm, const struct virtio_blk_opts *o,
		      struct virtio_blk **out)
{
	int ret = virtio_blk_open(o, &vm->mem, out);

	if (ret)
		return ret;
	(*out)->dev.name = (*out)->name;
	(*out)->dev.ops = &blk_dev_ops;
	vm_add_device(vm, &(*out)->dev);
	return 0;
}
