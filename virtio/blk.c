/* blk.c: virtio-blk on a raw image: request parsing, and file I/O on a worker thread and its I/O threads. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "thread.h"
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
#define BLK_MAX_INFLIGHT 64	   /* requests out at once (slots) */
#define BLK_POLL_START_NS 4000	   /* first poll window after a short sleep */
/* While requests are out, the worker polls for their completion for up to
 * this many times poll_us: it knows something will come (a 128 KiB read
 * takes about 85 us on a virtual disk), and a wake-up on the CPU the disk
 * did not interrupt costs more than the wait. */
#define BLK_POLL_IO_FACTOR 4
/* Requests per io_submit: Linux plugs a batch of more than two and sends
 * none of it to the disk before the call returns, so the first request
 * of a long batch waits for the whole batch to be set up; one request
 * per call costs a doorbell (a VM exit, on a virtual disk) each. */
#define BLK_AIO_BATCH	 2
#define BLK_IOTHREAD_STACK (256u << 10)

/*
 * Threads: the vCPU's QueueNotify only kicks the worker (queue_notify op).
 * The worker owns the queue between activate and reset: it alone pops,
 * parses (the header is read once, by it), pushes and interrupts. It runs
 * a request itself when the ring holds nothing else and nothing is out
 * (unless AIO can do it and the worker polls: blk_send), or when the page
 * cache serves it at once (RWF_NOWAIT, buffered images); otherwise it
 * submits it with Linux AIO (an aligned read or write of an O_DIRECT
 * image: BLK_AIO_BATCH per io_submit, completions taken from the AIO ring
 * without a thread hand-over), or hands it to the disk's I/O threads
 * (started on demand, up to 'iothreads'), which make only the system
 * call and give the request back on a lock-free list. The worker pushes
 * finished requests in batches with one interrupt per batch (EVENT_IDX
 * decides whether at all), so requests complete out of order, as virtio
 * allows.
 *
 * Before it sleeps the worker busy-polls the ring and the finished
 * requests for an adaptive window (at most poll_us, or BLK_POLL_IO_FACTOR
 * times that while requests are out) with the driver's notifications off,
 * yielding the CPU each turn. A window grows while the gaps it sleeps
 * through are short and halves when they are long (an idle disk costs no
 * CPU) or when the host preempted the poll. AIO signals the worker's
 * eventfd for completions the poll already took: a wake-up that finds
 * nothing new counts as part of the gap, not as its end.
 *
 * Guarantees: a request is pushed to the used ring only after the system
 * call that makes it durable as promised returned (data in the file for
 * writes, fdatasync for FLUSH). A FLUSH waits until every request taken
 * before it has finished, and no request after it is taken meanwhile, so
 * it covers every write the driver submitted before it. work() returns
 * only with nothing out: a stop (reset) or a pause (snapshots) makes it
 * take no more, wait for the I/O threads, push, and return.
 */

/* The parsed shape of one request. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	struct iovec *iov; /* data: readable after the header (OUT, DISCARD,
			    * WRITE_ZEROES) or writable before the status */
	int niov;
	uint64_t len;
};

/* One request between its pop and its push. */
struct blk_io {
	struct blk_io *next;	/* free list, pool queue or finished list */
	struct virtq_chain chain;
	struct blk_req req;
	bool parsed;		/* the header was there */
	uint8_t *status;	/* the status byte; NULL: the chain has none */
	uint32_t written;	/* for the used ring */
	struct iocb cb;		/* when it goes through AIO */
	struct iovec iov[BLK_MAX_BUFS];
};

/* A disk's I/O threads: they run the requests the worker queues and give
 * them back on 'done'. */
struct blk_pool {
	pthread_mutex_t lock;
	pthread_cond_t more;	/* queued work, or stop */
	struct blk_io *head, **tail; /* queued (lock) */
	unsigned int queued, idle, nthreads, max; /* (lock; max constant) */
	bool stop, warned;	/* (lock) */
	pthread_t threads[VIRTIO_BLK_IOTHREADS_MAX];
	struct blk_io *done;	/* __atomic: finished, newest first */
	bool sleeping;		/* __atomic: the worker waits on its kick */
};

/* An adaptive busy-poll window (see blk_window_adapt). */
struct blk_window {
	uint64_t ns, max_ns;	/* max_ns 0: never poll */
	bool starved;		/* the last poll was preempted */
};

struct virtio_blk {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queue;
	struct virtio_worker worker;
	struct blk_pool pool;
	struct blk_aio aio;	/* ctx 0: none (not O_DIRECT, no iothreads) */
	int fd;
	bool ro, direct, can_discard, can_zero;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	char name[32];
	const char *path;
	uint8_t config[VIRTIO_BLK_CFG_LEN];
	/* The worker's (see "Threads" above). */
	struct virtq_buf bufs[BLK_MAX_BUFS]; /* the chain being taken */
	struct blk_io *ios;	/* BLK_MAX_INFLIGHT slots */
	struct blk_io *free;
	unsigned int out;	/* slots with the I/O threads or AIO */
	struct iocb *sub[BLK_MAX_INFLIGHT]; /* AIO to submit */
	unsigned int nsub, aio_out;
	struct blk_io *barrier;	/* a FLUSH waiting for 'out' to drain */
	/* Busy-poll windows: for the driver's next request with nothing out,
	 * and for a finished request while some are out. */
	struct blk_window ring_win, io_win;
	uint64_t idle_since;
	bool nowait_no_read, nowait_no_write; /* RWF_NOWAIT refused */
	uint64_t reads, writes, flushes, errors; /* __atomic */
	virtio_blk_run_hook *run_hook;	/* tests (blk_internal.h) */
	void *run_hook_opaque;
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

/* May the disk take this read or write? OK, or the status to fail it. */
static uint8_t blk_rw_check(const struct virtio_blk *b,
			    const struct blk_req *r, bool write)
{
	if (r->len % VIRTIO_BLK_SECTOR || !blk_in_range(b, r->sector, r->len))
		return VIRTIO_BLK_S_IOERR;
	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_do_rw(struct virtio_blk *b, const struct blk_req *r,
			 bool write)
{
	uint8_t status = blk_rw_check(b, r, write);

	if (status != VIRTIO_BLK_S_OK)
		return status;
	__atomic_add_fetch(write ? &b->writes : &b->reads, 1, __ATOMIC_RELAXED);
	return blk_errno_status(b, write ? "write" : "read",
				blk_rw(b, write, r));
}

static uint8_t blk_do_flush(struct virtio_blk *b)
{
	__atomic_add_fetch(&b->flushes, 1, __ATOMIC_RELAXED);
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
static bool blk_parse(const struct virtq_buf *bufs, unsigned int n,
		      struct blk_io *io)
{
	struct blk_req *r = &io->req;
	uint8_t hdr[VIRTIO_BLK_HDR_LEN];
	uint64_t rlen;
	int cnt = blk_iov(bufs, n, false, 0, 0, io->iov, &rlen);

	if (rlen < VIRTIO_BLK_HDR_LEN)
		return false;
	iov_to_buf(io->iov, cnt, hdr, sizeof(hdr));
	r->type = get_le32(hdr);
	r->sector = get_le64(hdr + 8);
	r->iov = io->iov;
	switch (r->type) {
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		r->niov = blk_iov(bufs, n, false, VIRTIO_BLK_HDR_LEN, 0,
				  io->iov, &r->len);
		break;
	default:
		r->niov = blk_iov(bufs, n, true, 0, 1, io->iov, &r->len);
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

/* What the chain asks for (worker: reads the header from guest RAM). */
static void blk_prepare(const struct virtq_buf *bufs, unsigned int n,
			struct blk_io *io)
{
	const struct virtq_buf *last = n ? &bufs[n - 1] : NULL;

	io->written = 0;
	io->parsed = false;
	io->status = NULL;
	/* The status byte is the last byte of the chain, device-writable. */
	if (!last || !last->writable || !last->len)
		return;
	io->status = (uint8_t *)last->addr + last->len - 1;
	io->parsed = blk_parse(bufs, n, io);
}

/* Run a prepared request and write its status: any thread, one request
 * on one thread at a time. -EINVAL when it has no status byte. */
static int blk_run(struct virtio_blk *b, struct blk_io *io)
{
	uint32_t data_len = 0;
	uint8_t status;

	if (!io->status)
		return -EINVAL;
	if (io->parsed && b->run_hook)
		b->run_hook(b->run_hook_opaque, io->req.type);
	if (io->parsed)
		status = blk_execute(b, &io->req, &data_len);
	else
		status = VIRTIO_BLK_S_IOERR;
	if (status != VIRTIO_BLK_S_OK) {
		__atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED);
		data_len = 0;
	}
	*io->status = status;
	io->written = data_len + 1;
	return status;
}

int virtio_blk_request(struct virtio_blk *b, const struct virtq_buf *bufs,
		       unsigned int n, uint32_t *written)
{
	struct blk_io io;
	int ret;

	blk_prepare(bufs, n, &io);
	ret = blk_run(b, &io);
	*written = io.written;
	return ret;
}

static uint64_t blk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the I/O threads ---- */

/* Give a finished request back to the worker; wake it only if it sleeps
 * (sleeping and done are each written before the other is read, both
 * sequentially consistent: one side always sees the other). */
static void blk_pool_done(struct virtio_blk *b, struct blk_io *io)
{
	struct blk_pool *p = &b->pool;

	io->next = __atomic_load_n(&p->done, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&p->done, &io->next, io, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	if (__atomic_load_n(&p->sleeping, __ATOMIC_SEQ_CST))
		virtio_worker_kick(&b->worker);
}

static void *blk_iothread(void *opaque)
{
	struct virtio_blk *b = opaque;
	struct blk_pool *p = &b->pool;
	struct blk_io *io;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->more, &p->lock);
			p->idle--;
		}
		if (!p->head)
			break; /* stopped, nothing left */
		io = p->head;
		p->head = io->next;
		if (!p->head)
			p->tail = &p->head;
		p->queued--;
		pthread_mutex_unlock(&p->lock);
		blk_run(b, io);
		blk_pool_done(b, io);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* One more thread (pool lock held). */
static int blk_pool_spawn(struct virtio_blk *b)
{
	struct blk_pool *p = &b->pool;
	char name[sizeof(b->name) + 3]; /* cut by thread_start_quiet */
	int ret;

	snprintf(name, sizeof(name), "%s io", b->name);
	ret = thread_start_quiet(&p->threads[p->nthreads], name,
				 BLK_IOTHREAD_STACK, blk_iothread, b);

	if (ret) {
		if (!p->warned)
			pr_warn("%s: cannot start an I/O thread (%u running): "
				"%s", b->name, p->nthreads, strerror(-ret));
		p->warned = true;
		return ret;
	}
	p->nthreads++;
	return 0;
}

/* Queue io for the I/O threads, starting one when none is free. -errno
 * when there is no thread to run it (the caller runs it itself). */
static int blk_pool_submit(struct virtio_blk *b, struct blk_io *io)
{
	struct blk_pool *p = &b->pool;
	int ret = 0;

	pthread_mutex_lock(&p->lock);
	if (p->queued >= p->idle && p->nthreads < p->max &&
	    blk_pool_spawn(b) && !p->nthreads)
		ret = -EAGAIN;
	if (!ret) {
		io->next = NULL;
		*p->tail = io;
		p->tail = &io->next;
		p->queued++;
		pthread_cond_signal(&p->more);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int blk_pool_init(struct blk_pool *p, unsigned int max)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->tail = &p->head;
	p->max = MIN(max, (unsigned int)VIRTIO_BLK_IOTHREADS_MAX);
	ret = -pthread_mutex_init(&p->lock, NULL);
	if (ret)
		return ret;
	ret = -pthread_cond_init(&p->more, NULL);
	if (ret)
		pthread_mutex_destroy(&p->lock);
	return ret;
}

/* After the worker stopped: nothing is queued; the threads end. */
static void blk_pool_destroy(struct blk_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
}

/* ---- the worker ---- */


/* Push one request back to the driver (no interrupt yet); free its slot. */
static void blk_complete(struct virtio_blk *b, struct blk_io *io)
{
	if (!io->status)
		pr_debug("%s: request without a status byte", b->name);
	virtio_queue_push(&b->vdev, 0, &io->chain, io->written);
	io->next = b->free;
	b->free = io;
}

/* ---- AIO (aligned reads and writes of O_DIRECT images) ---- */

/* The rest of a read or write after its first 'moved' bytes (a short AIO
 * transfer, or all of one the kernel refused), synchronously. */
static int blk_rw_from(int fd, bool write, struct iovec *iov, int cnt,
		       uint64_t off, uint64_t moved)
{
	off += moved;
	while (cnt && moved >= iov->iov_len) {
		moved -= iov->iov_len;
		iov++;
		cnt--;
	}
	if (cnt) {
		iov->iov_base = (uint8_t *)iov->iov_base + moved;
		iov->iov_len -= moved;
	}
	return blk_rw_full(fd, write, iov, cnt, off);
}

/* Status of an AIO read or write that moved 'res' bytes (or -errno). */
static void blk_aio_finish(struct virtio_blk *b, struct blk_io *io,
			   int64_t res)
{
	const struct blk_req *r = &io->req;
	bool write = r->type == VIRTIO_BLK_T_OUT;
	int err = res < 0 ? (int)res : 0;
	uint8_t status;

	if (!err && (uint64_t)res < r->len)
		err = blk_rw_from(b->fd, write, io->iov, r->niov,
				  r->sector * VIRTIO_BLK_SECTOR, (uint64_t)res);
	status = blk_errno_status(b, write ? "write" : "read", err);
	if (status != VIRTIO_BLK_S_OK)
		__atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED);
	*io->status = status;
	io->written = (status == VIRTIO_BLK_S_OK && !write ?
			       (uint32_t)r->len : 0) + 1;
}

/* A read or write AIO can do (O_DIRECT, aligned): queued for submission. */
static bool blk_aio_queue(struct virtio_blk *b, struct blk_io *io)
{
	const struct blk_req *r = &io->req;
	bool write = r->type == VIRTIO_BLK_T_OUT;
	uint64_t off = r->sector * VIRTIO_BLK_SECTOR;

	if (!b->aio.ctx || !io->parsed ||
	    (!write && r->type != VIRTIO_BLK_T_IN) || !r->len ||
	    r->niov > IOV_MAX || blk_rw_check(b, r, write) != VIRTIO_BLK_S_OK ||
	    !blk_dio_aligned(r->iov, r->niov, off))
		return false;
	__atomic_add_fetch(write ? &b->writes : &b->reads, 1, __ATOMIC_RELAXED);
	blk_aio_prep(&b->aio, &io->cb, b->fd, write, r->iov, r->niov, off, io);
	b->sub[b->nsub++] = &io->cb;
	return true;
}

/* Give the queued requests to the kernel in one call; one it refuses
 * (-EAGAIN: out of resources, -EINVAL: the file cannot) is done here.
 * Returns how many completed here. */
static int blk_aio_submit_all(struct virtio_blk *b)
{
	unsigned int i = 0;
	int r, done = 0;

	while (i < b->nsub) {
		struct blk_io *io;

		r = blk_aio_submit(&b->aio, b->sub + i, b->nsub - i);
		if (r > 0) {
			i += (unsigned int)r;
			b->aio_out += (unsigned int)r;
			continue;
		}
		io = container_of(b->sub[i++], struct blk_io, cb);
		pr_debug("%s: io_submit: %s; done synchronously", b->name,
			 strerror(r ? -r : EAGAIN));
		blk_aio_finish(b, io, 0);
		b->out--;
		blk_complete(b, io);
		done++;
	}
	b->nsub = 0;
	return done;
}

/* Push the AIO requests the kernel finished; how many. */
static int blk_aio_complete(struct virtio_blk *b)
{
	struct io_event ev[BLK_MAX_INFLIGHT];
	int n, total = 0;

	if (!b->aio_out || (b->aio.peek && !blk_aio_ready(&b->aio)))
		return 0;
	n = blk_aio_reap(&b->aio, ev, ARRAY_SIZE(ev));
	if (n < 0)
		pr_debug("%s: io_getevents: %s", b->name, strerror(-n));
	for (int i = 0; i < n; i++) {
		struct blk_io *io = (struct blk_io *)(uintptr_t)ev[i].data;

		blk_aio_finish(b, io, (int64_t)ev[i].res);
		blk_complete(b, io);
		b->aio_out--;
		b->out--;
		total++;
	}
	return total;
}

/* Push what the I/O threads and AIO finished (the threads' oldest
 * first); how many. */
static int blk_reap(struct virtio_blk *b)
{
	struct blk_io *io, *next, *fifo = NULL;
	int n = blk_aio_complete(b);

	io = __atomic_exchange_n(&b->pool.done, NULL, __ATOMIC_ACQUIRE);
	for (; io; io = next) {
		next = io->next;
		io->next = fifo;
		fifo = io;
	}
	for (io = fifo; io; io = next) {
		next = io->next;
		blk_complete(b, io);
		b->out--;
		n++;
	}
	return n;
}

/*
 * A read or write of a buffered image that the page cache can serve at
 * once (RWF_NOWAIT: the kernel does it only if it need not wait for the
 * disk) is done here: cheaper than handing it over. True when done;
 * false when it would block (or the file cannot say), and then nothing
 * was done that matters (a partial write is written again, whole, later).
 */
static bool blk_try_nowait(struct virtio_blk *b, struct blk_io *io)
{
	const struct blk_req *r = &io->req;
	bool write = r->type == VIRTIO_BLK_T_OUT;
	bool *no = write ? &b->nowait_no_write : &b->nowait_no_read;
	ssize_t got;

	/* (a test's run hook holds requests on the threads that run them) */
	if (b->direct || b->run_hook || !io->parsed || *no || !r->len ||
	    (!write && r->type != VIRTIO_BLK_T_IN) || r->niov > IOV_MAX ||
	    blk_rw_check(b, r, write) != VIRTIO_BLK_S_OK)
		return false;
	if (write)
		got = pwritev2(b->fd, r->iov, r->niov,
			       (off_t)(r->sector * VIRTIO_BLK_SECTOR),
			       RWF_NOWAIT);
	else
		got = preadv2(b->fd, r->iov, r->niov,
			      (off_t)(r->sector * VIRTIO_BLK_SECTOR),
			      RWF_NOWAIT);
	if (got < 0 && errno == EOPNOTSUPP)
		*no = true; /* this file never can: stop trying */
	if (got != (ssize_t)r->len)
		return false;
	__atomic_add_fetch(write ? &b->writes : &b->reads, 1, __ATOMIC_RELAXED);
	*io->status = VIRTIO_BLK_S_OK;
	io->written = (write ? 0 : (uint32_t)r->len) + 1;
	return true;
}

/*
 * Whether a taken request goes out (AIO or an I/O thread) rather than
 * running on the worker. One alone (nothing else out, nothing more in the
 * ring) runs here, unless AIO can do it and the worker polls (the driver's
 * requests follow one another closely): the worker then polls the
 * completion ring (io_win) instead of sleeping in the system call, and no
 * wake-up separates the disk's completion from the used entry (the wake-up
 * of a thread on a CPU the disk did not interrupt costs more than a 4 KiB
 * read on a virtual disk). Without polling, a hand-over gains nothing.
 */
static bool blk_send(struct virtio_blk *b, struct blk_io *io, bool alone)
{
	if (alone)
		return b->ring_win.ns && b->io_win.max_ns &&
		       blk_aio_queue(b, io);
	if (blk_try_nowait(b, io))
		return false;
	return blk_aio_queue(b, io) ||
	       (b->pool.max && !blk_pool_submit(b, io));
}

/*
 * A taken request: held when it is a FLUSH and requests taken before it
 * are still out; sent out as blk_send says; else run here (done already
 * when blk_try_nowait could). Returns how many requests completed here
 * (0 or 1).
 */
static int blk_start(struct virtio_blk *b, struct blk_io *io)
{
	if (io->parsed && io->req.type == VIRTIO_BLK_T_FLUSH && b->out) {
		b->barrier = io;
		return 0;
	}
	if (blk_send(b, io,
		     !b->out && !virtio_queue_has_avail(&b->vdev, 0))) {
		b->out++;
		return 0;
	}
	if (!io->written) /* not done by blk_try_nowait */
		blk_run(b, io);
	blk_complete(b, io);
	return 1;
}

/* Take chains while slots are free and no FLUSH waits, handing AIO
 * requests to the kernel BLK_AIO_BATCH at a time. Returns how many
 * were taken, or -errno once the ring is broken (the core set
 * NEEDS_RESET); *done counts those completed on the spot. */
static int blk_take(struct virtio_blk *b, int *done)
{
	int ret = 0, n = 0;

	while (b->free && !b->barrier) {
		struct blk_io *io = b->free;

		ret = virtio_queue_pop(&b->vdev, 0, &io->chain, b->bufs,
				       BLK_MAX_BUFS);
		if (ret <= 0)
			break;
		b->free = io->next;
		blk_prepare(b->bufs, io->chain.nbufs, io);
		*done += blk_start(b, io);
		if (b->nsub >= BLK_AIO_BATCH)
			*done += blk_aio_submit_all(b);
		n++;
	}
	*done += blk_aio_submit_all(b);
	return ret < 0 ? ret : n;
}

/* A poll window follows the gaps the worker sleeps through: one no
 * longer than the longest window would have been caught by polling, so
 * the window grows; a longer one (an idle disk) halves it, down to 0. */
static void blk_window_shrink(struct blk_window *w)
{
	w->ns = w->ns / 2 < BLK_POLL_START_NS ? 0 : w->ns / 2;
}

static void blk_window_adapt(struct blk_window *w, uint64_t slept)
{
	if (!w->max_ns)
		return;
	if (w->starved)
		w->starved = false; /* see blk_poll */
	else if (slept <= w->max_ns)
		w->ns = MIN(w->max_ns, w->ns ? 2 * w->ns : BLK_POLL_START_NS);
	else
		blk_window_shrink(w);
}

static uint64_t blk_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Busy-wait up to the poll window (io_win with requests out, ring_win
 * otherwise) for a finished request or, when 'ring', a new chain or a
 * request to stop or pause; true when one came. */
static bool blk_poll(struct virtio_blk *b, bool ring)
{
	struct blk_window *w = b->out ? &b->io_win : &b->ring_win;
	uint64_t t0, cpu0, end;

	if (!w->ns)
		return false;
	t0 = blk_now_ns();
	cpu0 = blk_cpu_ns();
	end = t0 + w->ns;
	do {
		if (__atomic_load_n(&b->pool.done, __ATOMIC_ACQUIRE) ||
		    (b->aio_out && blk_aio_ready(&b->aio)))
			return true;
		if (ring && (virtio_queue_has_avail(&b->vdev, 0) ||
			     virtio_worker_should_yield(&b->worker)))
			return true;
		sched_yield(); /* a thread we wait for may share our CPU */
	} while (blk_now_ns() < end);
	/* Nothing came. When the host did not even give us the CPU for half
	 * the window, spinning only held up the threads we wait for (the
	 * driver's, the I/O's): shrink the window, and do not let the short
	 * sleep that follows grow it again. */
	if (2 * (blk_cpu_ns() - cpu0) < blk_now_ns() - t0) {
		blk_window_shrink(w);
		w->starved = true;
	}
	return false;
}

/* Whether what blk_sleep waits for has come: a finished request or, when
 * 'ring', a new chain or a request to stop or pause. Without a readable
 * AIO ring, a wake-up ('signalled') with AIO out may be its signal. */
static bool blk_woken(struct virtio_blk *b, bool ring, bool signalled)
{
	return __atomic_load_n(&b->pool.done, __ATOMIC_SEQ_CST) ||
	       (b->aio_out && (blk_aio_ready(&b->aio) ||
			       (signalled && !b->aio.peek))) ||
	       (ring && (virtio_queue_has_avail(&b->vdev, 0) ||
			 virtio_worker_should_yield(&b->worker)));
}

/* Requests are out: sleep until an I/O thread or AIO finishes one (AIO
 * signals the worker's eventfd) or, when 'ring', the driver notifies
 * (notifications are on only meanwhile). A wake-up by a signal for
 * completions already taken finds nothing: the sleep goes on. */
static void blk_sleep(struct virtio_blk *b, bool ring)
{
	struct blk_pool *p = &b->pool;
	uint64_t t0;

	if (ring && virtio_queue_notify_enable(&b->vdev, 0, true))
		goto out; /* chains came */
	__atomic_store_n(&p->sleeping, true, __ATOMIC_SEQ_CST);
	if (!blk_woken(b, ring, false)) {
		t0 = blk_now_ns();
		do
			virtio_worker_wait(&b->worker);
		while (!blk_woken(b, ring, true));
		blk_window_adapt(&b->io_win, blk_now_ns() - t0);
	}
	__atomic_store_n(&p->sleeping, false, __ATOMIC_RELAXED);
out:
	if (ring)
		virtio_queue_notify_enable(&b->vdev, 0, false);
}

int virtio_blk_process_queue(struct virtio_blk *b)
{
	struct virtio_device *vdev = &b->vdev;
	int ret = 0, done = 0, got, before;
	struct blk_io *io;
	bool ring;

	if (b->idle_since) {
		/* Nothing came (a stale AIO signal, see "Threads"): the idle
		 * gap goes on, and there is nothing to poll for. */
		if (!virtio_queue_has_avail(vdev, 0))
			return 0;
		blk_window_adapt(&b->ring_win, blk_now_ns() - b->idle_since);
	}
	virtio_queue_notify_enable(vdev, 0, false);
	for (;;) {
		before = done;
		done += blk_reap(b);
		if (b->barrier && !b->out) {
			io = b->barrier;
			b->barrier = NULL;
			done += blk_start(b, io);
		}
		got = 0;
		if (!ret && !virtio_worker_should_yield(&b->worker)) {
			got = blk_take(b, &done);
			if (got < 0)
				ret = got;
		}
		if (done != before)
			virtio_queue_interrupt(vdev, 0); /* once per batch */
		if (got > 0)
			continue;
		ring = !ret && b->free && !b->barrier &&
		       !virtio_worker_should_yield(&b->worker);
		if (b->out || b->barrier) {
			if (!blk_poll(b, ring))
				blk_sleep(b, ring);
			continue;
		}
		/* Nothing out: poll the ring, then sleep in the worker. */
		if (!ring || (!blk_poll(b, true) &&
			      !virtio_queue_notify_enable(vdev, 0, true)))
			break;
		virtio_queue_notify_enable(vdev, 0, false);
	}
	/* Leave notifications on (also after a stop or pause): the ring's
	 * state as a snapshot records it, and any later kick is seen. */
	virtio_queue_notify_enable(vdev, 0, true);
	b->idle_since = blk_now_ns();
	return ret < 0 ? ret : done;
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
 * Snapshots: nothing is in flight (a pause makes the worker wait for the
 * I/O threads and push what they did before it lets go; it is held
 * between batches while saving);
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
	virtio_feat_set(f, VIRTIO_F_RING_PACKED);
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

/* The request slots, all free. */
static int blk_init_slots(struct virtio_blk *b)
{
	b->ios = calloc(BLK_MAX_INFLIGHT, sizeof(*b->ios));
	if (!b->ios)
		return -ENOMEM;
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++) {
		b->ios[i].next = b->free;
		b->free = &b->ios[i];
	}
	return 0;
}

static int blk_init_vdev(struct virtio_blk *b, const struct guest_mem *mem,
			 unsigned int iothreads)
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
	ret = blk_init_slots(b);
	if (ret)
		goto err;
	ret = blk_pool_init(&b->pool, iothreads);
	if (ret) {
		free(b->ios);
		goto err;
	}
	ret = virtio_worker_init(&b->worker, b->name, blk_work, b);
	if (ret)
		goto err_pool;
	ret = virtio_dev_init(v);
	if (ret)
		goto err_worker;
	return 0;
err_worker:
	virtio_worker_destroy(&b->worker);
err_pool:
	blk_pool_destroy(&b->pool);
	free(b->ios);
	return ret; /* reported by the call that failed */
err:
	pr_err("%s (%s): cannot set it up: %s", b->name, b->path,
	       strerror(-ret));
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
	b->ring_win.max_ns = (uint64_t)MIN(o->poll_us,
					   VIRTIO_BLK_POLL_US_MAX) * 1000u;
	b->io_win.max_ns = BLK_POLL_IO_FACTOR * b->ring_win.max_ns;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", o->index);
	if (o->serial)
		/* 20 bytes, NUL-padded; not NUL-ended when all 20 are used */
		memcpy(b->id, o->serial, MIN(strlen(o->serial), sizeof(b->id)));
	else
		snprintf(b->id, sizeof(b->id), "minivmm-disk%u", o->index);
	ret = blk_open_file(b);
	if (!ret)
		ret = blk_init_vdev(b, mem, o->iothreads);
	if (!ret && b->direct && o->iothreads) {
		int err = blk_aio_init(&b->aio, BLK_MAX_INFLIGHT,
				       b->worker.kick_fd);

		if (err)
			pr_debug("%s: no Linux AIO (%s); I/O threads serve "
				 "every request", b->name, strerror(-err));
	}
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
	virtio_worker_stop(&b->worker); /* nothing is out after it */
	blk_aio_destroy(&b->aio);	/* before its eventfd closes */
	virtio_worker_destroy(&b->worker);
	blk_pool_destroy(&b->pool);
	free(b->ios);
	close(b->fd);
	free(b);
}

void virtio_blk_set_run_hook(struct virtio_blk *b, virtio_blk_run_hook *fn,
			     void *opaque)
{
	b->run_hook = fn;
	b->run_hook_opaque = opaque;
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

void virtio_blk_aio_counts(struct virtio_blk *b, uint64_t *calls,
			   uint64_t *most)
{
	*calls = __atomic_load_n(&b->aio.calls, __ATOMIC_RELAXED);
	*most = __atomic_load_n(&b->aio.most, __ATOMIC_RELAXED);
}

static void blk_dev_report(struct device *dev)
{
	struct virtio_blk *b = container_of(dev, struct virtio_blk, dev);
	uint64_t calls, most;

	pr_debug("%s (%s): %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		 " flushes, %" PRIu64 " failed requests", b->name, b->path,
		 __atomic_load_n(&b->reads, __ATOMIC_RELAXED),
		 __atomic_load_n(&b->writes, __ATOMIC_RELAXED),
		 __atomic_load_n(&b->flushes, __ATOMIC_RELAXED),
		 __atomic_load_n(&b->errors, __ATOMIC_RELAXED));
	virtio_blk_aio_counts(b, &calls, &most);
	if (calls)
		pr_debug("%s: %" PRIu64 " io_submit calls, at most %" PRIu64
			 " requests each", b->name, calls, most);
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
