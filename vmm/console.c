/* console.c: the guest console: output to stdout and the serial log, input from stdin, Ctrl-A x. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "console.h"
#include "log.h"
#include "term.h"
#include "vm.h"

#define CON_IN_SIZE 4096
#define CTRL_A	    0x01

struct console {
	struct vm *vm;
	pthread_mutex_t lock;
	int log_fd;
	bool raw;	     /* stdin is a terminal in raw mode: Ctrl-A escapes */
	bool escape;	     /* saw Ctrl-A */
	bool stdin_on;	     /* stdin registered and not paused */
	bool stdin_paused;
	int rx_efd;
	console_rx_fn rx;
	void *rx_opaque;
	uint8_t in[CON_IN_SIZE];
	size_t in_len;
};

static void write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a closed stdout must not stop the guest */
		buf += n;
		len -= (size_t)n;
	}
}

void console_write(struct console *con, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&con->lock);
	write_all(STDOUT_FILENO, buf, len);
	if (con->log_fd >= 0)
		write_all(con->log_fd, buf, len);
	pthread_mutex_unlock(&con->lock);
}

/* Push queued input to the device; caller holds con->lock. */
static void console_push(struct console *con)
{
	size_t n;

	if (!con->rx || !con->in_len)
		return;
	n = con->rx(con->rx_opaque, con->in, con->in_len);
	if (n > con->in_len)
		n = con->in_len;
	memmove(con->in, con->in + n, con->in_len - n);
	con->in_len -= n;
}

static void console_set_stdin(struct console *con, bool paused)
{
	if (!con->stdin_on || con->stdin_paused == paused)
		return;
	if (!loop_mod(&con->vm->loop, STDIN_FILENO, paused ? 0 : EPOLLIN))
		con->stdin_paused = paused;
}

/* Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A; returns bytes kept. */
static size_t console_escapes(struct console *con, uint8_t *buf, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];

		if (con->escape) {
			con->escape = false;
			if (c == 'x' || c == 'X') {
				vm_request_end(con->vm, VM_END_STOPPED, 0,
					       "stopped by Ctrl-A x");
				continue;
			}
			if (c != CTRL_A)
				buf[out++] = CTRL_A;
		} else if (c == CTRL_A) {
			con->escape = true;
			continue;
		}
		buf[out++] = c;
	}
	return out;
}

static int console_stdin_ready(void *opaque, uint32_t events)
{
	struct console *con = opaque;
	ssize_t n;
	int ret = 0;

	pthread_mutex_lock(&con->lock);
	n = read(STDIN_FILENO, con->in + con->in_len,
		 CON_IN_SIZE - con->in_len);
	if (n > 0) {
		if (con->raw)
			n = (ssize_t)console_escapes(con, con->in + con->in_len,
						     (size_t)n);
		con->in_len += (size_t)n;
		console_push(con);
		if (con->in_len == CON_IN_SIZE)
			console_set_stdin(con, true);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		con->stdin_on = false; /* EOF: the guest just sees no input */
		ret = 1;
	}
	pthread_mutex_unlock(&con->lock);
	return ret;
}

static int console_rx_event(void *opaque, uint32_t events)
{
	struct console *con = opaque;
	uint64_t v;

	if (read(con->rx_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&con->lock);
	console_push(con);
	if (con->in_len < CON_IN_SIZE)
		console_set_stdin(con, false);
	pthread_mutex_unlock(&con->lock);
	return 0;
}

void console_set_receiver(struct console *con, console_rx_fn fn, void *opaque)
{
	pthread_mutex_lock(&con->lock);
	con->rx = fn;
	con->rx_opaque = opaque;
	pthread_mutex_unlock(&con->lock);
}

void console_rx_ready(struct console *con)
{
	uint64_t one = 1;

	if (__atomic_load_n(&con->in_len, __ATOMIC_RELAXED) &&
	    write(con->rx_efd, &one, sizeof(one)) < 0)
		pr_debug("console: wake-up write failed: %s", strerror(errno));
}

static int console_open_log(struct console *con, const char *path)
{
	con->log_fd = -1;
	if (!path)
		return 0;
	con->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (con->log_fd < 0) {
		pr_err("cannot open serial log %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int console_init(struct vm *vm, const char *log_path)
{
	struct console *con = calloc(1, sizeof(*con));
	int ret;

	if (!con) {
		pr_err("console: out of memory");
		return -ENOMEM;
	}
	con->vm = vm;
	pthread_mutex_init(&con->lock, NULL);
	con->rx_efd = -1;
	vm->console = con;
	ret = console_open_log(con, log_path);
	if (ret)
		return ret;
	con->rx_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (con->rx_efd < 0) {
		ret = -errno;
		pr_err("console: eventfd: %s", strerror(-ret));
		return ret;
	}
	ret = loop_add(&vm->loop, con->rx_efd, EPOLLIN, console_rx_event, con);
	if (ret) {
		pr_err("console: cannot watch its eventfd: %s", strerror(-ret));
		return ret;
	}
	/* A regular file or /dev/null cannot be polled: no guest input then. */
	if (!loop_add(&vm->loop, STDIN_FILENO, EPOLLIN, console_stdin_ready,
		      con)) {
		con->stdin_on = true;
		con->raw = term_raw_enable();
	} else {
		pr_debug("console: stdin is not pollable; guest input disabled");
	}
	return 0;
}

void console_destroy(struct vm *vm)
{
	struct console *con = vm->console;

	if (!con)
		return;
	term_restore();
	if (con->log_fd >= 0) {
		fsync(con->log_fd);
		close(con->log_fd);
	}
	if (con->rx_efd >= 0)
		close(con->rx_efd);
	pthread_mutex_destroy(&con->lock);
	free(con);
	vm->console = NULL;
}
