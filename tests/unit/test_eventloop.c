/* test_eventloop.c: the event loop's dispatch when handlers remove fds, their own or others' in the same batch. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "eventloop.h"
#include "unit.h"

struct pair {
	struct event_loop *loop;
	int fd[2];
	int calls[2];
};

static void fire(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		CHECK(0);
}

/* Each handler removes the other one: only the first of the batch runs. */
static int remove_other(struct pair *p, int me)
{
	/* the first call removes the other; later ones find it gone */
	CHECK_EQ(loop_del(p->loop, p->fd[!me]), p->calls[me]++ ? -ENOENT : 0);
	return 0;
}

static int on_first(void *opaque, uint32_t events)
{
	return remove_other(opaque, 0);
}

static int on_second(void *opaque, uint32_t events)
{
	return remove_other(opaque, 1);
}

static void test_remove_other_in_batch(void)
{
	struct event_loop loop;
	struct pair p = { .loop = &loop };

	CHECK_EQ(loop_init(&loop), 0);
	p.fd[0] = eventfd(0, EFD_CLOEXEC);
	p.fd[1] = eventfd(0, EFD_CLOEXEC);
	CHECK_EQ(loop_add(&loop, p.fd[0], EPOLLIN, on_first, &p), 0);
	CHECK_EQ(loop_add(&loop, p.fd[1], EPOLLIN, on_second, &p), 0);
	fire(p.fd[0]);
	fire(p.fd[1]);
	CHECK_EQ(loop_run_once(&loop, 0), 2); /* both were in the batch */
	CHECK_EQ(p.calls[0] + p.calls[1], 1);
	/* The one left is still served; the removed one is gone. */
	int left = p.calls[0] ? 0 : 1;

	CHECK_EQ(loop_run_once(&loop, 0), 1);
	CHECK_EQ(p.calls[left], 2);
	CHECK_EQ(loop_del(&loop, p.fd[!left]), -ENOENT);
	CHECK_EQ(loop_del(&loop, p.fd[left]), 0);
	loop_destroy(&loop);
	close(p.fd[0]);
	close(p.fd[1]);
}

/* A handler that closes its fd, registers another under the same number
 * and returns 1 removes itself, not the newcomer. */
struct reuse {
	struct event_loop *loop;
	int fd, old_calls, new_calls;
};

static int on_new(void *opaque, uint32_t events)
{
	struct reuse *r = opaque;

	r->new_calls++;
	return 0;
}

static int on_old(void *opaque, uint32_t events)
{
	struct reuse *r = opaque;
	int fd;

	r->old_calls++;
	close(r->fd);
	fd = eventfd(1, EFD_CLOEXEC); /* readable at once */
	CHECK_EQ(fd, r->fd);	      /* the lowest free number: the same */
	CHECK_EQ(loop_add(r->loop, fd, EPOLLIN, on_new, r), 0);
	return 1;
}

static void test_reused_fd(void)
{
	struct event_loop loop;
	struct reuse r = { .loop = &loop };

	CHECK_EQ(loop_init(&loop), 0);
	r.fd = eventfd(1, EFD_CLOEXEC);
	CHECK_EQ(loop_add(&loop, r.fd, EPOLLIN, on_old, &r), 0);
	CHECK_EQ(loop_run_once(&loop, 0), 1);
	CHECK_EQ(r.old_calls, 1);
	CHECK_EQ(loop_run_once(&loop, 0), 1);
	CHECK_EQ(r.new_calls, 1);
	CHECK_EQ(r.old_calls, 1);
	CHECK_EQ(loop_del(&loop, r.fd), 0);
	loop_destroy(&loop);
	close(r.fd);
}

/* A negative return ends the batch with that error; later events wait. */
static int on_fail(void *opaque, uint32_t events)
{
	(*(int *)opaque)++;
	return -EIO;
}

static void test_error_ends_batch(void)
{
	struct event_loop loop;
	int calls = 0, a = eventfd(1, EFD_CLOEXEC), b = eventfd(1, EFD_CLOEXEC);

	CHECK_EQ(loop_init(&loop), 0);
	CHECK_EQ(loop_add(&loop, a, EPOLLIN, on_fail, &calls), 0);
	CHECK_EQ(loop_add(&loop, b, EPOLLIN, on_fail, &calls), 0);
	CHECK_EQ(loop_run_once(&loop, 0), -EIO);
	CHECK_EQ(calls, 1);
	CHECK_EQ(loop_run_once(&loop, 0), -EIO);
	CHECK_EQ(calls, 2);
	loop_destroy(&loop);
	close(a);
	close(b);
}

int main(void)
{
	test_remove_other_in_batch();
	test_reused_fd();
	test_error_ends_batch();
	return unit_done("eventloop");
}
