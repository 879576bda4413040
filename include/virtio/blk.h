/* blk.h: virtio-blk over a raw image file: options, creation and the request handler the tests drive. */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "virtio/queue.h"

struct vm;
struct virtio_blk;
struct virtio_device;
struct virtio_worker;

#define VIRTIO_ID_BLOCK 2

/* Feature bits (virtio 1.x 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	  1
#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_GEOMETRY	  4
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_TOPOLOGY	  10
#define VIRTIO_BLK_F_CONFIG_WCE	  11
#define VIRTIO_BLK_F_MQ		  12
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK		  0
#define VIRTIO_BLK_S_IOERR	  1
#define VIRTIO_BLK_S_UNSUPP	  2
#define VIRTIO_BLK_WZ_F_UNMAP	  1 /* discard/write-zeroes segment flag */

#define VIRTIO_BLK_SECTOR	  512
#define VIRTIO_BLK_HDR_LEN	  16 /* type, reserved, sector */
#define VIRTIO_BLK_SEG_LEN	  16 /* sector, num_sectors, flags */
#define VIRTIO_BLK_ID_BYTES	  20
#define VIRTIO_BLK_QUEUE_SIZE	  256

/* Config space offsets (virtio_blk_config). */
#define VIRTIO_BLK_CFG_CAPACITY		 0
#define VIRTIO_BLK_CFG_SEG_MAX		 12
#define VIRTIO_BLK_CFG_BLK_SIZE		 20
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG	 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN	 44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS	 48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG	 52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP	 56
#define VIRTIO_BLK_CFG_LEN		 60

/* Defaults and limits of the performance options (-d ...,poll_us=,iothreads=). */
#define VIRTIO_BLK_POLL_US_DEFAULT   32
#define VIRTIO_BLK_POLL_US_MAX	     1000
#define VIRTIO_BLK_IOTHREADS_DEFAULT 32
#define VIRTIO_BLK_IOTHREADS_MAX     64

struct virtio_blk_opts {
	const char *path;
	bool ro;	     /* offer F_RO, open O_RDONLY with a read lock */
	bool direct;	     /* O_DIRECT */
	const char *serial;  /* GET_ID; NULL: "minivmm-disk<index>" */
	unsigned int index;
	/* The worker's longest busy-poll of the ring and of finished I/O
	 * before it sleeps (adaptive, microseconds); 0: never poll. */
	unsigned int poll_us;
	/* I/O threads (started on demand) that run requests concurrently;
	 * 0: the worker runs every request itself, one at a time. */
	unsigned int iothreads;
};

/*
 * Opens and locks the image (an OFD lock on the whole file: write lock, or
 * read lock for ro), probes discard/write-zeroes support and sets up the
 * virtio device and its worker thread. Errors are reported once, naming the
 * file. 'mem' is the guest RAM the requests point into.
 */
int virtio_blk_open(const struct virtio_blk_opts *o, const struct guest_mem *mem,
		    struct virtio_blk **out);
void virtio_blk_close(struct virtio_blk *b);
struct virtio_device *virtio_blk_vdev(struct virtio_blk *b);
struct virtio_worker *virtio_blk_worker(struct virtio_blk *b);
/* virtio_blk_open + a VM device that closes it at teardown. */
int virtio_blk_create(struct vm *vm, const struct virtio_blk_opts *o,
		      struct virtio_blk **out);

/* One request, as the worker runs it: the chain's buffers (readable ones
 * first). Returns the status written into the last byte of the last
 * buffer, or -EINVAL when the chain has no room for one (nothing written);
 * *written is the byte count for the used ring. */
int virtio_blk_request(struct virtio_blk *b, const struct virtq_buf *bufs,
		       unsigned int n, uint32_t *written);

#endif
