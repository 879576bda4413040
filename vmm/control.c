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
#include <sys/un.h>

#include "control.h"
#include "log.h"
#include "snapshot.h"
#include "vcpu.h"
#include "vm.h"

#define CONTROL_LINE_MAX 1024
#define CONTROL_NAME_MAX 64

struct control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int control_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CONTROL_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == n;
}

int control_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n = xdg && *xdg ? snprintf(buf, len, "%s/minivmm", xdg)
			    : snprintf(buf, len, "/run/minivmm");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int control_path_for(const char *name, char *buf, size_t len)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n;

	if (!control_name_valid(name))
		return -EINVAL;
	if (control_dir(dir, sizeof(dir)))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s.sock", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

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

/* One short request per connection; a slow client gets 1 s. */
static int control_on_accept(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct timeval tv = { .tv_sec = 1 };
	char line[CONTROL_LINE_MAX];
	size_t got = 0;
	int fd = accept4(vm->control->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(line) - 1) {
		ssize_t n = read(fd, line + got, sizeof(line) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (got)
		control_command(vm, fd, line);
	close(fd);
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
	vm->control = c;
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
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    chmod(path, 0600) || listen(c->fd, 8)) {
		ret = -errno;
		pr_err("cannot listen on %s: %s", path, strerror(errno));
		return ret;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	return loop_add(&vm->loop, c->fd, EPOLLIN, control_on_accept, vm);
}

void control_close(struct vm *vm)
{
	struct control *c = vm->control;

	if (!c)
		return;
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
