/* blk_internal.h: virtio-blk's queue handler, shared by its worker thread and the fuzz target (tests/fuzz). */
#ifndef MINIVMM_VIRTIO_BLK_INTERNAL_H
#define MINIVMM_VIRTIO_BLK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/aio_abi.h>
#include <sys/uio.h>

#include "virtio/blk.h"

/*
 * Linux native AIO (blk_aio.c), used for aligned reads and writes of
 * O_DIRECT images: the worker submits them in small batches and reaps them
 * without a thread hand-over. Completions also signal 'efd' (the worker's
 * eventfd), so a sleeping worker wakes.
 */
struct blk_aio {
	aio_context_t ctx;	/* 0: none */
	int efd;
	bool peek;		/* the completion ring can be read directly */
	uint64_t calls;		/* io_submit calls made */
	uint64_t most;		/* the most requests given to one */
};

/* -errno (io_setup failed: no AIO, or the host's aio-max-nr reached). */
int blk_aio_init(struct blk_aio *a, unsigned int nr, int efd);
void blk_aio_destroy(struct blk_aio *a);
void blk_aio_prep(const struct blk_aio *a, struct iocb *cb, int fd,
		  bool write, const struct iovec *iov, int niov, uint64_t off,
		  void *data);
/* How many of cbs[0..n) the kernel took (from the first), or -errno. */
int blk_aio_submit(struct blk_aio *a, struct iocb **cbs, unsigned int n);
/* Finished requests, without waiting: how many, or -errno. */
int blk_aio_reap(struct blk_aio *a, struct io_event *ev, unsigned int max);
/* Is a completion waiting? (false when the ring cannot be read) */
bool blk_aio_ready(const struct blk_aio *a);

/*
 * One batch of the worker: with driver notifications off, pop, run and
 * complete (push, then interrupt if asked) every request on the queue, then
 * re-arm notifications and go on if buffers arrived meanwhile. Returns the
 * number of requests completed, or -errno once the queue cannot be used
 * (malformed ring: the core has set NEEDS_RESET; device not running). Only
 * the thread that owns the queue may call it (virtio.h, "Threads and
 * locking"): the worker, between activate and reset.
 */
int virtio_blk_process_queue(struct virtio_blk *b);

/* Tests: called with each well-formed request's type on the thread that
 * runs it (an I/O thread or the worker; not for AIO), before its system
 * call; while one is set, no request is served from the page cache on the
 * worker (RWF_NOWAIT), so every request reaches it. Set it before the
 * device is activated; NULL for none. */
typedef void virtio_blk_run_hook(void *opaque, uint32_t type);
void virtio_blk_set_run_hook(struct virtio_blk *b, virtio_blk_run_hook *fn,
			     void *opaque);

/* Tests and the exit report: how many io_submit calls the disk made, and
 * the most requests it gave one (both 0 without AIO). */
void virtio_blk_aio_counts(struct virtio_blk *b, uint64_t *calls,
			   uint64_t *most);

#endif
