/* lanetool.c: what the virtio lanes need and busybox lacks: a persistent multi-queue tap, and an AF_VSOCK request/answer exchange (server, client, local CID). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/vm_sockets.h>

#define MAX_QUEUES 8
#define LINE	   200

static int usage(void)
{
	fprintf(stderr,
		"usage: lanetool mqtap NAME QUEUES\n"
		"       lanetool vsock-serve PORT SECONDS\n"
		"       lanetool vsock-ping CID PORT WORD\n"
		"       lanetool vsock-cid\n");
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "lanetool: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A tap with QUEUES queues that outlives us (TUNSETPERSIST), for a VMM
 * to attach to with IFF_MULTI_QUEUE. */
static int mqtap(const char *name, int queues)
{
	int fds[MAX_QUEUES];

	if (queues < 1 || queues > MAX_QUEUES || strlen(name) >= IFNAMSIZ)
		return usage();
	for (int i = 0; i < queues; i++) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI |
						  IFF_VNET_HDR |
						  IFF_MULTI_QUEUE };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		fds[i] = open("/dev/net/tun", O_RDWR);
		if (fds[i] < 0)
			return fail("open /dev/net/tun");
		if (ioctl(fds[i], TUNSETIFF, &ifr) < 0)
			return fail("TUNSETIFF");
	}
	if (ioctl(fds[0], TUNSETPERSIST, 1) < 0)
		return fail("TUNSETPERSIST");
	for (int i = 0; i < queues; i++)
		close(fds[i]);
	printf("lanetool: tap %s with %d queues\n", name, queues);
	return 0;
}

/* Reads one line (without its newline) into buf; its length or -1. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

static int write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t w = write(fd, s, len);

		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Accepts one connection on PORT (any CID), answers its line with
 * "pong <line> from-cid <peer>", prints what it got. */
static int vsock_serve(unsigned int port, unsigned int seconds)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY, .svm_port = port };
	struct sockaddr_vm peer;
	socklen_t plen = sizeof(peer);
	char line[LINE], reply[2 * LINE];
	int s, c;

	alarm(seconds);
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket(AF_VSOCK)");
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("bind");
	if (listen(s, 1) < 0)
		return fail("listen");
	printf("lanetool: listening on vsock port %u\n", port);
	fflush(stdout);
	c = accept(s, (struct sockaddr *)&peer, &plen);
	if (c < 0)
		return fail("accept");
	if (read_line(c, line, sizeof(line)) < 0)
		return fail("read");
	snprintf(reply, sizeof(reply), "pong %s from-cid %u\n", line,
		 peer.svm_cid);
	if (write_all(c, reply) < 0)
		return fail("write");
	printf("lanetool: got '%s' from cid %u port %u\n", line, peer.svm_cid,
	       peer.svm_port);
	close(c);
	close(s);
	return 0;
}

/* Connects to CID:PORT, sends WORD, prints the answer; 0 if it is the
 * server's "pong WORD ...". */
static int vsock_ping(unsigned int cid, unsigned int port, const char *word)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = cid,
				 .svm_port = port };
	char line[LINE], want[LINE];
	int s;

	alarm(30);
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket(AF_VSOCK)");
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect");
	snprintf(line, sizeof(line), "%s\n", word);
	if (write_all(s, line) < 0)
		return fail("write");
	if (read_line(s, line, sizeof(line)) < 0)
		return fail("read");
	printf("%s\n", line);
	snprintf(want, sizeof(want), "pong %s ", word);
	return strncmp(line, want, strlen(want)) ? 1 : 0;
}

static int vsock_cid(void)
{
	unsigned int cid = 0;
	int fd = open("/dev/vsock", O_RDONLY);

	if (fd < 0)
		return fail("open /dev/vsock");
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0)
		return fail("IOCTL_VM_SOCKETS_GET_LOCAL_CID");
	printf("%u\n", cid);
	return 0;
}

static unsigned int num(const char *s)
{
	return (unsigned int)strtoul(s, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mqtap"))
		return mqtap(argv[2], (int)num(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "vsock-serve"))
		return vsock_serve(num(argv[2]), num(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "vsock-ping"))
		return vsock_ping(num(argv[2]), num(argv[3]), argv[4]);
	if (argc == 2 && !strcmp(argv[1], "vsock-cid"))
		return vsock_cid();
	return usage();
}
