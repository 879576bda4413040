/* control.c: the control socket's server (in the VM's event loop) and its one-shot client. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "control.h"
#include "log.h"
#include "snapshot.h"
#include "vcpu.h"
#include "vm.h"

#define CONTROL_LINE_MAX 1024
#define CONTROL_CONNS_MAX 16	 /* open client connections */
#define CONTROL_IDLE_MS	  5000 /* for a client to send its line */
#define CONTROL_RETRY_MS  100	 /* accepting again after running out of fds */

/* One client connection: its socket and idle timer are in the event loop
 * until its line is in (or it gave up, or timed out). */
struct control_conn {
	struct control *c;
	int fd, tfd;
	size_t got;
	char line[CONTROL_LINE_MAX];
	struct control_conn *next;
};

struct control {
	int fd;
	int retry_fd; /* timerfd: accept again after EMFILE and the like */
	bool held;    /* not accepting until retry_fd fires */
	bool warned;  /* of the shortage, since the last accepted client */
	struct vm *vm;
	struct control_conn *conns;
	unsigned int nconns;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int control_addr(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	strcpy(addr->sun_path, path);
	return 0;
}

static int control_connect(const char *path)
{
	struct sockaddr_un addr;
	int fd, ret = control_addr(path, &addr);

	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* mkdir -p for the socket's directory, owner-only. */
static int control_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A socket file whose server is gone is stale and may be replaced. */
static int control_claim(const char *path)
{
	int fd = control_connect(path);

	if (fd >= 0) {
		close(fd);
		pr_err("a VM is already serving %s (choose another --name)",
		       path);
		return -EADDRINUSE;
	}
	if (fd == -ECONNREFUSED || fd == -ENOTSOCK) {
		pr_info("removing stale control socket %s", path);
		unlink(path);
	}
	return 0;
}

static void control_reply(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void control_reply(int fd, const char *fmt, ...)
{
	char buf[CONTROL_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) < 0)
		pr_debug("control: reply lost: %s", strerror(errno));
}

static void control_snapshot(struct vm *vm, int fd, const char *path)
{
	bool was_paused = vm->paused;
	int ret = vcpus_pause(vm);

	if (!ret)
		ret = snapshot_save(vm, path);
	if (!was_paused)
		vcpus_resume(vm);
	if (ret)
		control_reply(fd, "error: snapshot to %s failed: %s", path,
			      strerror(-ret));
	else
		control_reply(fd, "ok snapshot saved to %s", path);
}

static void control_command(struct vm *vm, int fd, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = 0;
	if (!strcmp(line, "pause")) {
		int ret = vcpus_pause(vm);

		if (ret)
			control_reply(fd, "error: cannot pause: %s",
				      strerror(-ret));
		else
			control_reply(fd, "ok paused");
	} else if (!strcmp(line, "resume")) {
		vcpus_resume(vm);
		control_reply(fd, "ok running");
	} else if (!strcmp(line, "stop")) {
		vm_request_end(vm, VM_END_STOPPED, 0,
			       "stopped through the control socket");
		control_reply(fd, "ok stopping");
	} else if (!strcmp(line, "status")) {
		control_reply(fd, "ok %s name=%s cpus=%u mem=%lluM",
			      vm->paused ? "paused" : "running",
			      vm->cfg->name ? vm->cfg->name : "-",
			      vm->nr_vcpus,
			      (unsigned long long)(vm->mem.total >> 20));
	} else if (!strcmp(line, "snapshot") && arg && *arg == '/') {
		control_snapshot(vm, fd, arg);
	} else {
		control_reply(fd, "error: unknown command '%s' (pause, resume, "
				  "snapshot /ABSOLUTE/PATH, stop, status)",
			      line);
	}
}

static void conn_close(struct control_conn *k)
{
	struct control *c = k->c;

	for (struct control_conn **p = &c->conns; *p; p = &(*p)->next) {
		if (*p == k) {
			*p = k->next;
			break;
		}
	}
	c->nconns--;
	loop_del(&c->vm->loop, k->fd);
	loop_del(&c->vm->loop, k->tfd);
	close(k->fd);
	close(k->tfd);
	free(k);
}

/* Reads what the client has sent; once the line is complete (a newline,
 * or the client's end of the stream) it is run and the connection closed.
 * Never blocks: a slow client holds up nothing else in the loop. */
static int conn_on_read(void *opaque, uint32_t events)
{
	struct control_conn *k = opaque;
	ssize_t n;

	for (;;) {
		n = read(k->fd, k->line + k->got, sizeof(k->line) - 1 - k->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0; /* more to come */
		if (n <= 0)
			break; /* end of stream or error: what came is all */
		k->got += (size_t)n;
		if (memchr(k->line + k->got - n, '\n', (size_t)n))
			break;
		if (k->got == sizeof(k->line) - 1) {
			control_reply(k->fd, "error: request longer than %d "
				      "bytes", CONTROL_LINE_MAX - 1);
			conn_close(k);
			return 0;
		}
	}
	k->line[k->got] = 0;
	k->line[strcspn(k->line, "\r\n")] = 0;
	if (k->got)
		control_command(k->c->vm, k->fd, k->line);
	conn_close(k);
	return 0;
}

static int conn_on_timer(void *opaque, uint32_t events)
{
	struct control_conn *k = opaque;

	control_reply(k->fd, "error: no request within %d ms",
		      CONTROL_IDLE_MS);
	conn_close(k);
	return 0;
}

static int conn_open(struct control *c, int fd)
{
	struct itimerspec its = {
		.it_value = { CONTROL_IDLE_MS / 1000,
			      (CONTROL_IDLE_MS % 1000) * 1000000L },
	};
	struct control_conn *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	k->c = c;
	k->fd = fd;
	k->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (k->tfd < 0 || timerfd_settime(k->tfd, 0, &its, NULL)) {
		ret = -errno;
		goto fail;
	}
	ret = loop_add(&c->vm->loop, fd, EPOLLIN, conn_on_read, k);
	if (ret)
		goto fail;
	ret = loop_add(&c->vm->loop, k->tfd, EPOLLIN, conn_on_timer, k);
	if (ret) {
		loop_del(&c->vm->loop, fd);
		goto fail;
	}
	k->next = c->conns;
	c->conns = k;
	c->nconns++;
	return 0;
fail:
	if (k->tfd >= 0)
		close(k->tfd);
	free(k);
	return ret;
}

/* Whether a failure to accept or serve a client is a shortage of file
 * descriptors or memory, which only time can cure. */
static bool control_short_of(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

/* Out of file descriptors (or memory): a connection waiting in the
 * backlog would keep the listening socket readable, and the loop spinning,
 * until one is free again. Stop listening for CONTROL_RETRY_MS instead;
 * the client waits in the backlog meanwhile. */
static void control_hold(struct control *c, int err)
{
	struct itimerspec its = {
		.it_value = { 0, CONTROL_RETRY_MS * 1000000L },
	};

	if (!c->warned)
		pr_warn("control: cannot accept a connection: %s; retrying "
			"every %d ms", strerror(err), CONTROL_RETRY_MS);
	c->warned = true;
	if (loop_mod(&c->vm->loop, c->fd, 0) ||
	    timerfd_settime(c->retry_fd, 0, &its, NULL))
		return; /* (cannot fail on a registered fd and a valid timer) */
	c->held = true;
}

static int control_on_retry(void *opaque, uint32_t events)
{
	struct control *c = opaque;
	uint64_t n;

	if (read(c->retry_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	if (c->held && !loop_mod(&c->vm->loop, c->fd, EPOLLIN))
		c->held = false; /* a connection still waiting fires at once */
	return 0;
}

/* Takes every pending connection; each then waits in the loop for its
 * line, up to CONTROL_IDLE_MS, at most CONTROL_CONNS_MAX at a time. */
static int control_on_accept(void *opaque, uint32_t events)
{
	struct control *c = opaque;
	int fd, ret;

	while ((fd = accept4(c->fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0 ||
	       errno == EINTR || errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		if (c->nconns >= CONTROL_CONNS_MAX) {
			control_reply(fd, "error: busy: %d requests waiting",
				      CONTROL_CONNS_MAX);
			close(fd);
			continue;
		}
		ret = conn_open(c, fd);
		if (!ret) {
			c->warned = false;
			continue;
		}
		control_reply(fd, "error: cannot serve the request: %s",
			      strerror(-ret));
		close(fd);
		if (control_short_of(-ret)) {
			control_hold(c, -ret);
			return 0;
		}
		pr_warn("control: cannot serve a connection: %s",
			strerror(-ret));
	}
	if (control_short_of(errno))
		control_hold(c, errno);
	return 0;
}

int control_listen(struct vm *vm, const char *path)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un addr;
	int ret;

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->vm = vm;
	vm->control = c;
	c->retry_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->retry_fd < 0) {
		ret = -errno;
		pr_err("control socket: timerfd: %s", strerror(-ret));
		return ret;
	}
	ret = control_addr(path, &addr);
	if (ret) {
		pr_err("control socket path too long: %s", path);
		return ret;
	}
	if ((ret = control_mkdir(path)) || (ret = control_claim(path))) {
		if (ret != -EADDRINUSE)
			pr_err("cannot prepare %s: %s", path, strerror(-ret));
		return ret;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(path, 0600) || listen(c->fd, 8)) {
		ret = -errno;
		pr_err("cannot listen on %s: %s", path, strerror(errno));
		return ret;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	ret = loop_add(&vm->loop, c->retry_fd, EPOLLIN, control_on_retry, c);
	if (ret)
		return ret;
	return loop_add(&vm->loop, c->fd, EPOLLIN, control_on_accept, c);
}

void control_close(struct vm *vm)
{
	struct control *c = vm->control;

	if (!c)
		return;
	while (c->conns)
		conn_close(c->conns);
	if (c->retry_fd >= 0) {
		loop_del(&vm->loop, c->retry_fd);
		close(c->retry_fd);
	}
	if (c->fd >= 0) {
		loop_del(&vm->loop, c->fd);
		close(c->fd);
		if (c->path[0])
			unlink(c->path);
	}
	free(c);
	vm->control = NULL;
}

int control_request(const char *path, const char *cmd)
{
	char reply[CONTROL_LINE_MAX];
	size_t got = 0;
	ssize_t n;
	int fd = control_connect(path);

	if (fd < 0) {
		fprintf(stderr, "minivmm: cannot reach the VM at %s: %s\n", path,
			fd == -ECONNREFUSED ? "no VM is serving it (stale socket)"
					    : strerror(-fd));
		return 1;
	}
	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "minivmm: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	while (got < sizeof(reply) - 1 &&
	       (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	reply[got] = 0;
	if (!got) {
		fprintf(stderr, "minivmm: %s: no reply\n", path);
		return 1;
	}
	if (!strncmp(reply, "ok", 2)) {
		fputs(reply + (reply[2] == ' ' ? 3 : 2), stdout);
		return 0;
	}
	fprintf(stderr, "minivmm: %s", reply);
	return 1;
}

int control_list(void)
{
	char dir[256], path[512];
	struct dirent *d;
	DIR *dp;

	if (control_dir(dir, sizeof(dir)))
		return 1;
	dp = opendir(dir);
	if (!dp)
		return 0; /* no VM has run yet */
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		int fd;

		if (n < 6 || strcmp(d->d_name + n - 5, ".sock"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		fd = control_connect(path);
		if (fd < 0) {
			if (fd == -ECONNREFUSED)
				unlink(path); /* stale */
			continue;
		}
		close(fd);
		printf("%.*s\t", (int)(n - 5), d->d_name);
		fflush(stdout);
		control_request(path, "status");
	}
	closedir(dp);
	return 0;
}
