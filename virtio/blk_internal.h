/* blk_internal.h: virtio-blk's queue handler, shared by its worker thread and the fuzz target (tests/fuzz). */
#ifndef MINIVMM_VIRTIO_BLK_INTERNAL_H
#define MINIVMM_VIRTIO_BLK_INTERNAL_H

#include "virtio/blk.h"

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

#endif
