/* worker.c: the eventfd-driven back-end thread a virtio device runs its queues on. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "log.h"
#include "thread.h"
#include "virtio/worker.h"

int virtio_worker_init(struct virtio_worker *w, const char *name,
		       void (*work)(void *opaque), void *opaque)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->work = work;
	w->opaque = opaque;
	w->kick_fd = eventfd(0, EFD_CLOEXEC);
	if (w->kick_fd < 0) {
		ret = -errno;
		pr_err("%s: eventfd: %s", name, strerror(-ret));
		return ret;
	}
	ret = -pthread_mutex_init(&w->busy, NULL);
	if (ret) {
		close(w->kick_fd);
		w->kick_fd = -1;
	}
	return ret;
}

void virtio_worker_destroy(struct virtio_worker *w)
{
	if (w->kick_fd < 0)
		return;
	virtio_worker_stop(w);
	close(w->kick_fd);
	w->kick_fd = -1;
	pthread_mutex_destroy(&w->busy);
}

static void *virtio_worker_main(void *arg)
{
	struct virtio_worker *w = arg;
	uint64_t v;

	for (;;) {
		/* work() may have taken the stop's kick (virtio_worker_wait) */
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		if (read(w->kick_fd, &v, sizeof(v)) < 0 && errno != EINTR) {
			pr_err("%s: worker: %s", w->name, strerror(errno));
			break;
		}
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		pthread_mutex_lock(&w->busy);
		w->work(w->opaque);
		pthread_mutex_unlock(&w->busy);
	}
	return NULL;
}

int virtio_worker_start(struct virtio_worker *w)
{
	int ret;

	if (w->running)
		return 0;
	__atomic_store_n(&w->stop, false, __ATOMIC_RELEASE);
	ret = thread_start_quiet(&w->thread, w->name, 0, virtio_worker_main,
				 w);
	if (ret) {
		pr_err("%s: cannot start its worker thread: %s", w->name,
		       strerror(-ret));
		return ret;
	}
	w->running = true;
	virtio_worker_kick(w); /* buffers may be waiting already */
	return 0;
}

void virtio_worker_stop(struct virtio_worker *w)
{
	if (!w->running)
		return;
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	virtio_worker_kick(w);
	pthread_join(w->thread, NULL);
	w->running = false;
}

void virtio_worker_kick(struct virtio_worker *w)
{
	uint64_t one = 1;

	if (write(w->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_debug("%s: kick: %s", w->name, strerror(errno));
}

void virtio_worker_pause(struct virtio_worker *w)
{
	__atomic_add_fetch(&w->pause_req, 1, __ATOMIC_SEQ_CST);
	virtio_worker_kick(w); /* a waiting work() sees the request */
	pthread_mutex_lock(&w->busy);
	__atomic_sub_fetch(&w->pause_req, 1, __ATOMIC_SEQ_CST);
}

void virtio_worker_resume(struct virtio_worker *w)
{
	pthread_mutex_unlock(&w->busy);
	virtio_worker_kick(w);
}

bool virtio_worker_should_yield(struct virtio_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&w->pause_req, __ATOMIC_ACQUIRE);
}

void virtio_worker_wait(struct virtio_worker *w)
{
	uint64_t v;

	while (read(w->kick_fd, &v, sizeof(v)) < 0) {
		if (errno != EINTR) {
			pr_err("%s: worker: %s", w->name, strerror(errno));
			return;
		}
	}
}
