/*
 * benchrun.c: runs one command and reports what it cost.
 *
 * usage: benchrun [-w TEXT] [-q] -- COMMAND [ARG...]
 *
 * Prints one line on stdout:
 *   status=S wall_us=W user_us=U sys_us=Y cpu_us=C maxrss_kb=R first_us=F
 * S: the command's exit status (128+N when killed by signal N);
 * W: from the child's execve() to its end, wall clock;
 * U, Y, C: its user, system and total CPU time (wait4() rusage);
 * R: its peak resident set (ru_maxrss);
 * F: from execve() until a line of its standard error containing TEXT was
 *    read (-1 without -w, or when no such line came).
 * The command's standard error is passed on to ours unless -q is given.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t tv_us(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000LL + tv->tv_usec;
}

static void usage(void)
{
	fprintf(stderr, "usage: benchrun [-w TEXT] [-q] -- COMMAND [ARG...]\n");
	exit(2);
}

/* Reads the child's stderr to EOF; notes when a line with 'watch' arrives. */
static int64_t pump(int fd, const char *watch, int quiet)
{
	char buf[4096], line[512];
	size_t len = 0;
	int64_t seen = -1;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!quiet && write(STDERR_FILENO, buf, (size_t)n) < 0)
			quiet = 1;
		if (!watch || seen >= 0)
			continue;
		for (ssize_t i = 0; i < n && seen < 0; i++) {
			if (buf[i] != '\n' && len < sizeof(line) - 1) {
				line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			if (strstr(line, watch))
				seen = now_ns();
			len = buf[i] == '\n' ? 0 : len;
		}
	}
	if (watch && seen < 0 && len) {
		line[len] = '\0';
		if (strstr(line, watch))
			seen = now_ns();
	}
	return seen;
}

int main(int argc, char **argv)
{
	const char *watch = NULL;
	int quiet = 0, pfd[2], wstatus, status, c;
	volatile int64_t *exec_ns;
	int64_t seen, end;
	struct rusage ru;
	pid_t pid;

	while ((c = getopt(argc, argv, "+w:q")) != -1) {
		if (c == 'w')
			watch = optarg;
		else if (c == 'q')
			quiet = 1;
		else
			usage();
	}
	if (optind >= argc)
		usage();

	/* The child notes the time of its execve() here. */
	exec_ns = mmap(NULL, sizeof(*exec_ns), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (exec_ns == MAP_FAILED || pipe(pfd) < 0) {
		perror("benchrun");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("benchrun: fork");
		return 2;
	}
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[1]);
		*exec_ns = now_ns();
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "benchrun: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	seen = pump(pfd[0], watch, quiet);
	close(pfd[0]);
	while (wait4(pid, &wstatus, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("benchrun: wait4");
			return 2;
		}
	}
	end = now_ns();
	if (WIFEXITED(wstatus))
		status = WEXITSTATUS(wstatus);
	else
		status = 128 + WTERMSIG(wstatus);
	printf("status=%d wall_us=%lld user_us=%lld sys_us=%lld cpu_us=%lld "
	       "maxrss_kb=%ld first_us=%lld\n",
	       status, (long long)((end - *exec_ns) / 1000),
	       (long long)tv_us(&ru.ru_utime), (long long)tv_us(&ru.ru_stime),
	       (long long)(tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime)),
	       ru.ru_maxrss,
	       (long long)(seen < 0 ? -1 : (seen - *exec_ns) / 1000));
	return 0;
}
