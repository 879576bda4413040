/* eventloop.h: the epoll loop that serves device back-ends on the main thread. */
#ifndef MINIVMM_EVENTLOOP_H
#define MINIVMM_EVENTLOOP_H

#include <stdbool.h>
#include <stdint.h>

/* Called with the epoll event mask. Return 0 to keep the fd, 1 to remove it,
 * negative errno to stop the loop with an error. A handler may loop_del any
 * fd, its own or another's, also one whose event is waiting in the same
 * batch: that event is then dropped. */
typedef int (*loop_fn)(void *opaque, uint32_t events);

struct loop_handler {
	int fd;
	loop_fn fn;
	void *opaque;
	struct loop_handler *next;
};

struct event_loop {
	int epfd;
	struct loop_handler *handlers;
	bool dispatching;	      /* in loop_run_once's handler calls */
	struct loop_handler *removed; /* freed when the dispatch ends */
};

int loop_init(struct event_loop *loop);
void loop_destroy(struct event_loop *loop);
int loop_add(struct event_loop *loop, int fd, uint32_t events, loop_fn fn,
	     void *opaque);
int loop_del(struct event_loop *loop, int fd);
/* Change the events watched on fd (0 pauses it). */
int loop_mod(struct event_loop *loop, int fd, uint32_t events);
/* One epoll_wait (timeout_ms as epoll's) and dispatch. */
int loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
