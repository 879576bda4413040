/* worker.h: one back-end thread per virtio device, woken by an eventfd, that does the device's blocking work off the vCPU threads. */
#ifndef MINIVMM_VIRTIO_WORKER_H
#define MINIVMM_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdbool.h>

/*
 * The worker owns the device's queues from virtio_worker_start() (the
 * device's activate op) until virtio_worker_stop() (its reset op) returns,
 * as virtio.h's locking rules require. Each wake-up runs work() once; a
 * kick that arrives while work() runs makes it run again, so no
 * notification is lost. work() runs with 'busy' held: virtio_worker_pause()
 * takes it to hold the thread between two batches (snapshots).
 *
 * A work() that keeps requests out across its own waits (virtio-blk's I/O
 * threads) checks virtio_worker_should_yield(): once stop or a pause is
 * asked for it takes no new buffers, waits for what it has out and
 * returns, so the thread never stops or pauses with a request half-done.
 * It waits inside work() with virtio_worker_wait(), on the same eventfd
 * that kicks wake (a kick from its helper threads or from the driver).
 */
struct virtio_worker {
	const char *name;
	void (*work)(void *opaque);
	void *opaque;
	int kick_fd;		/* eventfd */
	pthread_t thread;
	bool running;		/* thread started (owner's lock) */
	bool stop;		/* __atomic */
	unsigned int pause_req;	/* __atomic: pausers waiting for 'busy' */
	pthread_mutex_t busy;
};

int virtio_worker_init(struct virtio_worker *w, const char *name,
		       void (*work)(void *opaque), void *opaque);
void virtio_worker_destroy(struct virtio_worker *w); /* stops it first */
int virtio_worker_start(struct virtio_worker *w);
void virtio_worker_stop(struct virtio_worker *w);
/* Wake the worker; any thread, never blocks. */
void virtio_worker_kick(struct virtio_worker *w);
/* Hold the worker between two batches / let it go (it is kicked then, so
 * buffers that came meanwhile are seen). */
void virtio_worker_pause(struct virtio_worker *w);
void virtio_worker_resume(struct virtio_worker *w);
/* From work(): has stop or a pause been asked for? */
bool virtio_worker_should_yield(struct virtio_worker *w);
/* From work(): sleep until the next kick (consumes it). */
void virtio_worker_wait(struct virtio_worker *w);

#endif
