/* eventloop.c: epoll registration and dispatch for the main thread. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "eventloop.h"
#include "log.h"

int loop_init(struct event_loop *loop)
{
	loop->handlers = NULL;
	loop->removed = NULL;
	loop->dispatching = false;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void loop_destroy(struct event_loop *loop)
{
	while (loop->handlers) {
		struct loop_handler *h = loop->handlers;

		loop->handlers = h->next;
		free(h);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int loop_add(struct event_loop *loop, int fd, uint32_t events, loop_fn fn,
	     void *opaque)
{
	struct loop_handler *h = calloc(1, sizeof(*h));
	struct epoll_event ev = { .events = events };

	if (!h)
		return -ENOMEM;
	*h = (struct loop_handler){ fd, fn, opaque, loop->handlers };
	ev.data.ptr = h;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(h);
		return err;
	}
	loop->handlers = h;
	return 0;
}

/* Off the list and out of epoll; during a dispatch the handler stays
 * allocated (its fn cleared) until the batch is done, for the events of
 * the batch that still point at it. */
static void loop_unlink(struct event_loop *loop, struct loop_handler **p)
{
	struct loop_handler *h = *p, *o;

	*p = h->next;
	/* A handler that closed its fd may have registered another under
	 * the same number: that one keeps its epoll entry. */
	for (o = loop->handlers; o && o->fd != h->fd; o = o->next)
		;
	if (!o)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, h->fd, NULL);
	if (!loop->dispatching) {
		free(h);
		return;
	}
	h->fn = NULL;
	h->next = loop->removed;
	loop->removed = h;
}

int loop_del(struct event_loop *loop, int fd)
{
	for (struct loop_handler **p = &loop->handlers; *p; p = &(*p)->next) {
		if ((*p)->fd == fd) {
			loop_unlink(loop, p);
			return 0;
		}
	}
	return -ENOENT;
}

/* Remove h itself (not whatever now has its fd), if still there. */
static void loop_del_handler(struct event_loop *loop, struct loop_handler *h)
{
	for (struct loop_handler **p = &loop->handlers; *p; p = &(*p)->next) {
		if (*p == h) {
			loop_unlink(loop, p);
			return;
		}
	}
}

int loop_mod(struct event_loop *loop, int fd, uint32_t events)
{
	for (struct loop_handler *h = loop->handlers; h; h = h->next) {
		struct epoll_event ev = { .events = events, .data.ptr = h };

		if (h->fd != fd)
			continue;
		return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
	}
	return -ENOENT;
}

int loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(loop->epfd, evs, 16, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct loop_handler *h = evs[i].data.ptr;
		int ret;

		if (!h->fn)
			continue; /* removed by an earlier handler */
		ret = h->fn(h->opaque, evs[i].events);
		if (ret < 0) {
			n = ret;
			break;
		}
		if (ret > 0)
			loop_del_handler(loop, h);
	}
	loop->dispatching = false;
	while (loop->removed) {
		struct loop_handler *h = loop->removed;

		loop->removed = h->next;
		free(h);
	}
	return n;
}
