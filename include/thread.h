/* thread.h: named helper threads that never take the process's signals. */
#ifndef MINIVMM_THREAD_H
#define MINIVMM_THREAD_H

#include <pthread.h>
#include <stddef.h>

/* What `top -H`, `ps -L`, perf and gdb show of a thread's name. */
#define THREAD_NAME_MAX 15

/* Names thread t (cut to THREAD_NAME_MAX bytes); a name is only a label,
 * so a failure is not reported. */
void thread_name(pthread_t t, const char *name);

/*
 * Starts fn(arg) on a new thread called 'name' with every signal blocked
 * (signals belong to the main thread's signalfd and to the vCPUs' kicks),
 * on a stack of 'stack' bytes (0: the default). 0, or -errno when no
 * thread could be started: the caller then does the work itself or
 * reports it.
 */
int thread_start_quiet(pthread_t *t, const char *name, size_t stack,
		       void *(*fn)(void *), void *arg);

#endif
