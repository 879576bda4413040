/* test_thread.c: thread_start_quiet: every signal blocked on the new thread, the caller's mask untouched, the stack size and the name asked for. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>

#include "thread.h"
#include "unit.h"

struct seen {
	sigset_t mask;
	size_t stack;
	sem_t named; /* posted once thread_start_quiet returned */
	char name[32];
};

static void *look(void *arg)
{
	struct seen *s = arg;
	pthread_attr_t attr;

	pthread_sigmask(SIG_BLOCK, NULL, &s->mask);
	sem_wait(&s->named);
	pthread_getname_np(pthread_self(), s->name, sizeof(s->name));
	if (!pthread_getattr_np(pthread_self(), &attr)) {
		pthread_attr_getstacksize(&attr, &s->stack);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* Signals the VMM uses: the vCPU kick, the terminal's and the stop's. */
static const int sigs[] = {SIGUSR1, SIGUSR2, SIGINT,   SIGTERM,
			   SIGHUP,  SIGCHLD, SIGWINCH, SIGALRM};

static void test_mask(size_t stack, const char *name, const char *shown)
{
	struct seen s = {.stack = 0};
	sigset_t before, after;
	pthread_t t;

	sem_init(&s.named, 0, 0);
	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	CHECK_EQ(thread_start_quiet(&t, name, stack, look, &s), 0);
	sem_post(&s.named);
	CHECK_EQ(pthread_join(t, NULL), 0);
	sem_destroy(&s.named);
	CHECK_EQ(strcmp(s.name, shown), 0);
	for (unsigned int i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		CHECK_EQ(sigismember(&s.mask, sigs[i]), 1);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	CHECK_EQ(sigismember(&after, SIGUSR2), 1);
	CHECK_EQ(sigismember(&after, SIGUSR1), 0);
	CHECK_EQ(sigismember(&after, SIGINT), 0);
	if (stack)
		CHECK(s.stack >= stack && s.stack < 2 * stack);
	else
		CHECK(s.stack > 0);
}

int main(void)
{
	test_mask(0, "vcpu 0", "vcpu 0");
	test_mask(256 * 1024, "virtio-blk0 io", "virtio-blk0 io");
	/* Longer than the kernel keeps: cut, still started. */
	test_mask(0, "virtio-blk12345 io", "virtio-blk12345");
	/* A stack below PTHREAD_STACK_MIN: refused, nothing started. */
	{
		pthread_t t;

		CHECK_EQ(thread_start_quiet(&t, "x", 1, look, NULL), -EINVAL);
	}
	return unit_done("thread");
}
