/*
 * rawwrite.c: the reference for the snapshot save benchmark: writes BYTES
 * bytes of non-zero data already resident in memory to FILE with plain
 * write() calls of 1 MiB (as the snapshot writer's chunks), then fsync()s
 * it, as a snapshot is fsynced before it is renamed into place.
 *
 * usage: rawwrite FILE BYTES   prints "raw_us=N bytes=B"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long long bytes;
	uint8_t *buf;
	int64_t t0, t1;
	size_t done = 0;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: rawwrite FILE BYTES\n");
		return 2;
	}
	bytes = strtoull(argv[2], NULL, 0);
	buf = malloc(bytes ? bytes : 1);
	if (!buf) {
		perror("rawwrite: malloc");
		return 2;
	}
	for (size_t i = 0; i < bytes; i++) /* resident and non-zero */
		buf[i] = (uint8_t)(i * 2654435761u >> 13) | 1;
	t0 = now_ns();
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror("rawwrite: open");
		return 2;
	}
	while (done < bytes) {
		size_t n = bytes - done < CHUNK ? bytes - done : CHUNK;
		ssize_t w = write(fd, buf + done, n);

		if (w <= 0) {
			perror("rawwrite: write");
			return 2;
		}
		done += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		perror("rawwrite: fsync");
		return 2;
	}
	t1 = now_ns();
	printf("raw_us=%lld bytes=%llu\n", (long long)((t1 - t0) / 1000), bytes);
	free(buf);
	return 0;
}
