/* test_control.c: the control socket's server in an event loop: slow, silent, partial, over-long and surplus clients never hold up the others; running out of fds does not spin the loop. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "control.h"
#include "util.h"
#include "vm.h"
#include "unit.h"

#define CONNS_MAX 16 /* CONTROL_CONNS_MAX */

static struct vm vm;
static struct vm_config cfg = { .name = "t" };
static char path[108];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK(fd >= 0);
	CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void say(int fd, const char *s)
{
	CHECK_EQ(write(fd, s, strlen(s)), strlen(s));
}

/* Runs the loop until fd has a whole reply line (or max_s passed); the
 * line, without its newline, in buf ("" when none came). */
static void reply(int fd, char *buf, size_t len, double max_s)
{
	double end = now() + max_s;
	size_t got = 0;

	buf[0] = 0;
	while (now() < end) {
		ssize_t n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);

		if (n > 0) {
			got += (size_t)n;
			buf[got] = 0;
			if (memchr(buf, '\n', got)) {
				buf[strcspn(buf, "\n")] = 0;
				return;
			}
			continue;
		}
		CHECK(loop_run_once(&vm.loop, 10) >= 0);
	}
}

/* Runs the loop for s seconds. */
static void pump(double s)
{
	double end = now() + s;

	while (now() < end)
		loop_run_once(&vm.loop, 10);
}

/* A new client's status request is answered. */
static void check_served(void)
{
	int fd = client();
	char buf[256];

	say(fd, "status\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok running name=t cpus=0 mem=0M");
	close(fd);
}

/* A silent client does not delay another's request. */
static int test_silent_first(void)
{
	int idle = client(), fd = client();
	char buf[256];
	double t0 = now();

	say(fd, "status\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok running name=t cpus=0 mem=0M");
	CHECK(now() - t0 < 0.5);
	close(fd);
	return idle;
}

static void test_partial_and_eof(void)
{
	int fd = client();
	char buf[256];

	say(fd, "sta");
	pump(0.05);
	CHECK_EQ(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	say(fd, "tus\r\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok running name=t cpus=0 mem=0M");
	close(fd);

	/* The end of the stream ends the line too. */
	fd = client();
	say(fd, "pause");
	shutdown(fd, SHUT_WR);
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok paused");
	CHECK(vm.paused);
	close(fd);
	fd = client();
	say(fd, "resume\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok running");
	CHECK(!vm.paused);
	close(fd);
}

static void test_too_long(void)
{
	char big[1500], buf[256];
	int fd = client();

	memset(big, 'x', sizeof(big));
	CHECK_EQ(write(fd, big, sizeof(big)), sizeof(big));
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "error: request longer than 1023 bytes");
	close(fd);

	fd = client();
	say(fd, "reboot now\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK(!strncmp(buf, "error: unknown command 'reboot'", 31));
	close(fd);
}

/* With CONNS_MAX connections waiting (idle and the silent one), one more
 * is told the server is busy; once they go, requests are served again. */
static void test_busy(int idle)
{
	int fds[CONNS_MAX - 1], fd;
	char buf[256];

	for (int i = 0; i < CONNS_MAX - 1; i++) {
		fds[i] = client();
		pump(0.01); /* accepted: the listen backlog is short */
	}
	fd = client();
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "error: busy: 16 requests waiting");
	close(fd);
	for (int i = 0; i < CONNS_MAX - 1; i++)
		close(fds[i]); /* they hang up without a word */
	pump(0.05);
	check_served();
}

/* The highest file descriptor open in this process. */
static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int max = -1;

	CHECK(d != NULL);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			max = MAX(max, atoi(e->d_name));
	if (d)
		closedir(d);
	return max;
}

/* Out of file descriptors, a waiting client does not set the loop
 * spinning (the listening socket stays readable while it cannot be
 * accepted): the server stops listening for a while. With one descriptor
 * free, the client is accepted but cannot be served (its timer needs
 * another): it is told why. Once descriptors are free, clients are served
 * again. */
static void test_out_of_fds(void)
{
	struct rlimit old, low;
	int fd = client(), fill[256], nfill = 0, events = 0;
	char buf[256];
	double end;

	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)highest_fd() + 2; /* one more is filled below */
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfill < 256 && (fill[nfill] = dup(fd)) >= 0)
		nfill++;
	CHECK(nfill > 0 && nfill < 256);
	if (!nfill) {
		setrlimit(RLIMIT_NOFILE, &old);
		return;
	}
	end = now() + 0.3;
	while (now() < end) {
		int n = loop_run_once(&vm.loop, 10);

		CHECK(n >= 0);
		events += n > 0 ? n : 0;
	}
	CHECK(events < 30); /* a retry every 100 ms; spinning: thousands */
	close(fill[--nfill]);
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "error: cannot serve the request: Too many open files");
	close(fd);
	while (nfill)
		close(fill[--nfill]);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	pump(0.25);
	check_served();
}

/* The silent client is sent away after 5 s; stop ends the VM. */
static void test_idle_and_stop(int idle, double t_idle)
{
	char buf[256];
	int fd;

	reply(idle, buf, sizeof(buf), 7);
	CHECK_STR(buf, "error: no request within 5000 ms");
	CHECK(now() - t_idle >= 4.9);
	CHECK_EQ(recv(idle, buf, sizeof(buf), 0), 0); /* closed */
	close(idle);

	fd = client();
	say(fd, "stop\n");
	reply(fd, buf, sizeof(buf), 3);
	CHECK_STR(buf, "ok stopping");
	CHECK_EQ(atomic_load(&vm.end), VM_END_STOPPED);
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/minivmm-test-control-XXXXXX";
	double t_idle;
	int idle;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.sock", dir);
	vm.cfg = &cfg;
	vm.stop_efd = -1;
	pthread_mutex_init(&vm.park_lock, NULL);
	pthread_cond_init(&vm.park_cond, NULL);
	CHECK_EQ(loop_init(&vm.loop), 0);
	CHECK_EQ(control_listen(&vm, path), 0);

	t_idle = now();
	idle = test_silent_first();
	test_partial_and_eof();
	test_too_long();
	test_busy(idle);
	test_out_of_fds();
	test_idle_and_stop(idle, t_idle);

	control_close(&vm);
	CHECK(access(path, F_OK) != 0); /* the socket is removed */
	loop_destroy(&vm.loop);
	rmdir(dir);
	return unit_done("control");
}
