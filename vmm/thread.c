/* thread.c: starting named helper threads with every signal blocked. */
#include <signal.h>
#include <stdio.h>

#include "thread.h"

void thread_name(pthread_t t, const char *name)
{
	char comm[THREAD_NAME_MAX + 1];

	/* The kernel keeps 15 bytes; longer names are cut, not refused. */
	snprintf(comm, sizeof(comm), "%s", name);
	pthread_setname_np(t, comm);
}

int thread_start_quiet(pthread_t *t, const char *name, size_t stack,
		       void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	if (stack)
		err = pthread_attr_setstacksize(&attr, stack);
	/* The new thread inherits the mask it was created under. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!err)
		err = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (!err)
		thread_name(*t, name);
	return -err;
}
