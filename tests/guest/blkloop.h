/* blkloop.h: the block-loop test both virtio guests run (vmmio.c over virtio-mmio, vpci.c over virtio-pci): write a block, read it back, compare, print progress; for snapshots taken mid-run. */
#ifndef GUEST_BLKLOOP_H
#define GUEST_BLKLOOP_H

#include "rt.h"

#define BLKLOOP_BLOCK 4096 /* bytes; block N is at sector 8 N */

/* One virtio-blk request through the guest's transport: the header, an
 * optional data buffer (device-writable for reads), the status byte.
 * Returns the status the device wrote. */
typedef u8 (*blkloop_req_fn)(u32 type, u64 sector, void *buf, u32 len,
			     int dev_writes);

/*
 * The command line's blocks=N (default 256) and delay=D (busy-wait
 * iterations after each block, default 0): for each block N, write the
 * pattern byte j = (7 j + 13 N + 1) & 0xff, read it back into another
 * buffer, compare, print "blkloop: block N ok"; then FLUSH and print
 * "blkloop: done". A failed request or a difference prints "blkloop: FAIL"
 * and exits with GX_FAIL.
 */
void blkloop_run(const char *cmdline, blkloop_req_fn req);

#endif
