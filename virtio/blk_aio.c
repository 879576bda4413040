/* blk_aio.c: Linux native AIO for virtio-blk's O_DIRECT images: a context, counted submission, and reaping straight from the completion ring. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "blk_internal.h"

/* The head of the completion ring the kernel maps at the context's address
 * (fs/aio.c, struct aio_ring; also read by libaio and QEMU). */
struct blk_aio_ring {
	unsigned int id, nr, head, tail;
	unsigned int magic, compat_features, incompat_features, header_length;
};

#define BLK_AIO_RING_MAGIC 0xa10a10a1

int blk_aio_init(struct blk_aio *a, unsigned int nr, int efd)
{
	const struct blk_aio_ring *ring;

	memset(a, 0, sizeof(*a));
	if (syscall(SYS_io_setup, nr, &a->ctx) < 0) {
		a->ctx = 0;
		return -errno;
	}
	a->efd = efd;
	ring = (const struct blk_aio_ring *)(uintptr_t)a->ctx;
	/* (a layout this code knows: io_getevents is used otherwise) */
	a->peek = ring->magic == BLK_AIO_RING_MAGIC &&
		  !ring->incompat_features &&
		  ring->header_length == sizeof(*ring);
	return 0;
}

void blk_aio_destroy(struct blk_aio *a)
{
	if (a->ctx)
		syscall(SYS_io_destroy, a->ctx);
	a->ctx = 0;
}

void blk_aio_prep(const struct blk_aio *a, struct iocb *cb, int fd,
		  bool write, const struct iovec *iov, int niov, uint64_t off,
		  void *data)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_data = (uint64_t)(uintptr_t)data;
	cb->aio_lio_opcode = write ? IOCB_CMD_PWRITEV : IOCB_CMD_PREADV;
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_buf = (uint64_t)(uintptr_t)iov;
	cb->aio_nbytes = (uint64_t)niov;
	cb->aio_offset = (int64_t)off;
	cb->aio_flags = IOCB_FLAG_RESFD;
	cb->aio_resfd = (uint32_t)a->efd;
}

int blk_aio_submit(struct blk_aio *a, struct iocb **cbs, unsigned int n)
{
	long r;

	/* (read by the exit report on another thread, after this one) */
	__atomic_store_n(&a->calls, a->calls + 1, __ATOMIC_RELAXED);
	if (n > a->most)
		__atomic_store_n(&a->most, n, __ATOMIC_RELAXED);

	do
		r = syscall(SYS_io_submit, a->ctx, (long)n, cbs);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : (int)r;
}

/* Completions taken straight from the ring, as io_getevents would (only
 * the worker reaps, so nothing races with it for the head); -EAGAIN when
 * the ring's indices are not ones to trust. */
static int blk_aio_take(struct blk_aio *a, struct io_event *ev,
			unsigned int max)
{
	struct blk_aio_ring *ring = (struct blk_aio_ring *)(uintptr_t)a->ctx;
	const struct io_event *events = (const struct io_event *)(ring + 1);
	unsigned int nr = ring->nr, head = ring->head, n = 0;
	unsigned int tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);

	if (!nr || head >= nr || tail >= nr)
		return -EAGAIN;
	for (; head != tail && n < max; head = (head + 1) % nr)
		ev[n++] = events[head];
	__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	return (int)n;
}

int blk_aio_reap(struct blk_aio *a, struct io_event *ev, unsigned int max)
{
	struct timespec zero = { 0, 0 };
	long r;

	if (a->peek) {
		r = blk_aio_take(a, ev, max);
		if (r >= 0)
			return (int)r;
	}
	do
		r = syscall(SYS_io_getevents, a->ctx, 0L, (long)max, ev, &zero);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : (int)r;
}

bool blk_aio_ready(const struct blk_aio *a)
{
	const struct blk_aio_ring *ring =
		(const struct blk_aio_ring *)(uintptr_t)a->ctx;

	if (!a->peek)
		return false; /* the eventfd will tell */
	return __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
}
