/* thread.h: helper threads that never take the process's signals. */
#ifndef MINIVMM_THREAD_H
#define MINIVMM_THREAD_H

#include <pthread.h>
#include <stddef.h>

/*
 * Starts fn(arg) on a new thread with every signal blocked (signals belong
 * to the main thread's signalfd and to the vCPUs' kicks), on a stack of
 * 'stack' bytes (0: the default). 0, or -errno when no thread could be
 * started: the caller then does the work itself or reports it.
 */
int thread_start_quiet(pthread_t *t, size_t stack, void *(*fn)(void *),
		       void *arg);

#endif
