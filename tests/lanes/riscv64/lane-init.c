/* lane-init.c: /init of the riscv64 lane's emulated host and nested guest (Debian 12 has no riscv64 busybox): the host runs minivmm over /lane/cases, the guest prints its marker and powers off. */
/*
 * One static program for both roles, told apart by /lane/cases (only the
 * host's per-run archive has it). It prints the same lines as
 * ../lib/host-init.sh, ../lib/host-run.sh and ../lib/guest-init.sh, so
 * ../lib/lane-verdict judges the run:
 *   host:  LANE-HOST-UP, LANE-HOST-KVM ok|missing, LANE-HEARTBEAT every 10 s,
 *          per case LANE-CASE-START, LANE-STDERR NAME| ..., LANE-GUEST
 *          NAME| ..., LANE-RESULT NAME status=S marker=yes|no guest_cpus=N
 *          seconds=T; then LANE-HOST-DONE and power-off.
 *   guest: MINIVMM-LANE-GUEST-OK cpus=N kernel=R, then power-off; with
 *          lane.exit=ADDR:VALUE on its command line it first writes VALUE
 *          (32 bits) to ADDR through /dev/mem (minivmm's exit register).
 *          With lane.ticks=N it prints "MINIVMM-LANE-TICK i mono=S.NNNNNNNNN
 *          time=T" (CLOCK_MONOTONIC, and the time CSR read with rdtime)
 *          every 0.5 s for i = 0..N-1 after the marker.
 * A case is "NAME KERNEL CPUS [STATUS [WORD...]]": words starting with "--"
 * are minivmm options, the others kernel parameters for that case.
 * /lane/config holds GUEST_APPEND='...', GUEST_MEM='...', CASE_TIMEOUT='...'
 * and for snapshot cases BLACKOUT='...' (seconds).
 *
 * Snapshot cases (the option --lane-snapshot=MODE, taken by this program):
 * the guest runs with --api /tmp/NAME.sock until it printed tick 3; then
 * `minivmm pause`, the console so far is kept, `minivmm snapshot`, the run
 * is killed (SIGKILL). MODE catch-up or freeze: after BLACKOUT seconds
 * `minivmm restore --clock MODE --loglevel info` to the guest's power-off.
 * MODE timebase: a copy of the file whose saved timebase is doubled (the
 * ARCH_VM section's CLOCK record, its CRC32C recomputed) is restored, which
 * KVM cannot give: minivmm must refuse (the lane checks its message);
 * MODE timebase-allowed: the same copy restored with
 * --allow-timebase-mismatch, which must run (with minivmm's warning). The
 * result line is the restore's; "LANE-SNAP NAME ..." adds the ticks seen
 * before and after (continuous=yes when they are 0..N-1 once each, in
 * order), the guest's CLOCK_MONOTONIC step across the restore and the
 * blackout minivmm logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define MAX_ARGS     64
#define LINE_MAX_LEN 4096
#define MINIVMM	     "/minivmm"
#define GUEST_INITRD "/guest/initrd.cpio"
#define MARKER	     "MINIVMM-LANE-GUEST-OK cpus="
#define TICK	     "MINIVMM-LANE-TICK "
#define MAX_TICKS    64
#define BLK_OFFSET   (1 << 20) /* where the guest writes its block */
#define BLK_LEN	     65536
#define PINGS	     3

struct lane_cfg {
	char append[1024];
	char mem[32];
	int timeout;
	int blackout;
};

static double uptime(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "r");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void mounts(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
}

static void power_off(void)
{
	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		pause();
}

/* --- shared by both roles --------------------------------------------- */

/* Byte i of the block the guest writes for seed s (lane.blk=S). */
static uint8_t pattern(uint32_t s, uint32_t i)
{
	uint32_t x = s * 2654435761u + (i / 4) * 40503u;

	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return (uint8_t)(x >> 8 * (i % 4));
}

/* IP address, netmask and IFF_UP on interface 'ifname'; 0 or -errno. */
static int if_up(const char *ifname, const char *ip, const char *mask)
{
	struct ifreq ifr;
	struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		ret = -errno;
	inet_pton(AF_INET, mask, &a->sin_addr);
	if (!ret && ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		ret = -errno;
	if (!ret && ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* --- the nested guest ------------------------------------------------- */

static void exit_register(const char *arg)
{
	unsigned long addr = strtoul(arg, NULL, 0), page = addr & ~0xfffUL;
	const char *colon = strchr(arg, ':');
	uint32_t val = colon ? (uint32_t)strtoul(colon + 1, NULL, 0) : 0;
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	volatile uint32_t *p;

	if (fd < 0) {
		printf("MINIVMM-LANE-GUEST cannot open /dev/mem: %s\n",
		       strerror(errno));
		return;
	}
	p = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)page);
	if (p != MAP_FAILED)
		p[(addr - page) / 4] = val;
	printf("MINIVMM-LANE-GUEST still running after the exit-register "
	       "write\n");
	close(fd);
}

/* lane.blk=SEED: the block at BLK_OFFSET of /dev/vda, read back. */
static void guest_blk(const char *arg)
{
	uint32_t seed = (uint32_t)strtoul(arg, NULL, 0);
	static uint8_t buf[BLK_LEN], back[BLK_LEN];
	char serial[64] = "?", path[PATH_MAX];
	const char *bus = "?";
	int fd = -1, ok;
	FILE *f;

	for (int i = 0; i < 50 && fd < 0; i++) {
		fd = open("/dev/vda", O_RDWR);
		if (fd < 0)
			usleep(100000);
	}
	if (fd < 0) {
		printf("MINIVMM-LANE-BLK error: no /dev/vda: %s\n",
		       strerror(errno));
		return;
	}
	/* /sys/block/vda links into the device's parents: the PCI host's
	 * pci0000:00 or the platform bus's virtio_mmio node. */
	if (realpath("/sys/block/vda", path))
		bus = strstr(path, "/pci0000:") ? "pci"
		      : strstr(path, "virtio_mmio") ? "mmio" : "other";
	f = fopen("/sys/block/vda/serial", "r");
	if (f) {
		if (!fgets(serial, sizeof(serial), f))
			snprintf(serial, sizeof(serial), "?");
		serial[strcspn(serial, "\n")] = 0;
		fclose(f);
	}
	for (uint32_t i = 0; i < BLK_LEN; i++)
		buf[i] = pattern(seed, i);
	ok = pwrite(fd, buf, BLK_LEN, BLK_OFFSET) == BLK_LEN && !fsync(fd) &&
	     pread(fd, back, BLK_LEN, BLK_OFFSET) == BLK_LEN &&
	     !memcmp(buf, back, BLK_LEN);
	printf("MINIVMM-LANE-BLK %s: %d bytes at %d, seed %u, serial %s, "
	       "bus %s\n", ok ? "written" : "error", BLK_LEN, BLK_OFFSET, seed,
	       serial, bus);
	close(fd);
}

static uint16_t ip_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* One ICMP echo to 'peer' and its reply within 3 s: the round trip in
 * ms, or -1. */
static double ping_once(int fd, const struct sockaddr_in *peer, uint16_t seq)
{
	uint8_t pkt[64] = {0}, in[1500];
	struct icmphdr *h = (struct icmphdr *)pkt;
	double t0 = now_s();

	h->type = ICMP_ECHO;
	h->un.echo.id = htons(0x4c4e);
	h->un.echo.sequence = htons(seq);
	memcpy(pkt + sizeof(*h), "minivmm-riscv64-lane", 20);
	h->checksum = ip_sum(pkt, sizeof(pkt));
	if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)peer,
		   sizeof(*peer)) < 0)
		return -1;
	while (now_s() - t0 < 3) {
		ssize_t n = recv(fd, in, sizeof(in), 0);
		const struct iphdr *ip = (const struct iphdr *)in;
		const struct icmphdr *r;

		if (n < (ssize_t)sizeof(*ip))
			continue;
		if (n < (ssize_t)(ip->ihl * 4 + sizeof(*r)))
			continue;
		r = (const struct icmphdr *)(in + ip->ihl * 4);
		if (r->type == ICMP_ECHOREPLY &&
		    r->un.echo.id == htons(0x4c4e) &&
		    r->un.echo.sequence == htons(seq))
			return (now_s() - t0) * 1000;
	}
	return -1;
}

/* lane.net=IP:PEER: eth0 gets IP/24 and pings PEER PINGS times. */
static void guest_net(const char *arg)
{
	char ip[32], mac[32] = "?", *colon;
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct timeval tv = {1, 0};
	int fd, ret = -ENODEV, ok = 0;
	double rtt = 0;
	FILE *f = NULL;

	snprintf(ip, sizeof(ip), "%s", arg);
	colon = strchr(ip, ':');
	if (!colon)
		return;
	*colon++ = 0;
	inet_pton(AF_INET, colon, &peer.sin_addr);
	for (int i = 0; i < 50 && !f; i++) {
		f = fopen("/sys/class/net/eth0/address", "r");
		if (!f)
			usleep(100000);
	}
	if (f) {
		if (!fgets(mac, sizeof(mac), f))
			snprintf(mac, sizeof(mac), "?");
		mac[strcspn(mac, "\n")] = 0;
		fclose(f);
		ret = if_up("eth0", ip, "255.255.255.0");
	}
	if (ret) {
		printf("MINIVMM-LANE-NET error: eth0: %s\n", strerror(-ret));
		return;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0) {
		printf("MINIVMM-LANE-NET error: raw socket: %s\n",
		       strerror(errno));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (uint16_t i = 1; i <= PINGS; i++) {
		double t = ping_once(fd, &peer, i);

		if (t >= 0) {
			ok++;
			rtt += t;
		}
	}
	close(fd);
	printf("MINIVMM-LANE-NET mac=%s ip=%s peer=%s ping=%d/%d "
	       "rtt_ms=%.2f\n", mac, ip, colon, ok, PINGS, ok ? rtt / ok : 0);
}

static void ticks(int n)
{
	struct timespec t, half = {0, 500000000};

	for (int i = 0; i < n && i < MAX_TICKS; i++) {
		unsigned long long time;

		clock_gettime(CLOCK_MONOTONIC, &t);
		__asm__ volatile("rdtime %0" : "=r"(time));
		printf("%s%d mono=%lld.%09ld time=%llu\n", TICK, i,
		       (long long)t.tv_sec, t.tv_nsec, time);
		fflush(stdout);
		nanosleep(&half, NULL);
	}
}

/* After lane.blk or lane.net: "MINIVMM-LANE-IRQS NAME@HWIRQ=COUNT ..." for
 * each virtio line of /proc/interrupts (COUNT summed over the harts,
 * HWIRQ the source on the PLIC or APLIC). */
static void guest_irqs(void)
{
	char line[512], *tok, *save, *name;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	FILE *f = fopen("/proc/interrupts", "r");

	printf("MINIVMM-LANE-IRQS");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long count = 0, hw = 0;
		bool have_hw = false;

		if (!strstr(line, "virtio"))
			continue;
		tok = strtok_r(line, " \n", &save); /* "N:" */
		for (long i = 0; i < cpus && tok; i++) {
			tok = strtok_r(NULL, " \n", &save);
			if (tok)
				count += strtoul(tok, NULL, 10);
		}
		name = NULL;
		while ((tok = strtok_r(NULL, " \n", &save))) {
			if (!have_hw && tok[0] >= '0' && tok[0] <= '9') {
				hw = strtoul(tok, NULL, 10);
				have_hw = true;
			}
			name = tok;
		}
		printf(" %s@%lu=%lu", name ? name : "?", hw, count);
	}
	printf("\n");
	if (f)
		fclose(f);
}

static void guest(void)
{
	char cmdline[LINE_MAX_LEN] = "", *tok, *save;
	struct utsname u;
	bool virtio = false;
	FILE *f;

	uname(&u);
	printf("%s%ld kernel=%s\n", MARKER, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release);
	fflush(stdout);
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
	}
	for (tok = strtok_r(cmdline, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strncmp(tok, "lane.ticks=", 11))
			ticks(atoi(tok + 11));
		else if (!strncmp(tok, "lane.blk=", 9))
			virtio = true, guest_blk(tok + 9);
		else if (!strncmp(tok, "lane.net=", 9))
			virtio = true, guest_net(tok + 9);
		else if (!strncmp(tok, "lane.exit=", 10))
			exit_register(tok + 10);
	if (virtio)
		guest_irqs();
	fflush(stdout);
	power_off();
}

/* --- the emulated host ------------------------------------------------ */

/* VALUE of KEY='VALUE' lines. */
static void read_config(struct lane_cfg *c)
{
	char line[LINE_MAX_LEN], *v, *end;
	FILE *f = fopen("/lane/config", "r");

	snprintf(c->mem, sizeof(c->mem), "256M");
	c->timeout = 60;
	c->blackout = 3;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = 0;
		if (*v == '\'')
			v++;
		end = strrchr(v, '\'');
		if (!end)
			end = v + strcspn(v, "\n");
		*end = 0;
		if (!strcmp(line, "GUEST_APPEND"))
			snprintf(c->append, sizeof(c->append), "%s", v);
		else if (!strcmp(line, "GUEST_MEM"))
			snprintf(c->mem, sizeof(c->mem), "%s", v);
		else if (!strcmp(line, "CASE_TIMEOUT"))
			c->timeout = atoi(v);
		else if (!strcmp(line, "BLACKOUT"))
			c->blackout = atoi(v);
	}
	fclose(f);
}

/* Prints the last 'n' lines of 'path' as "PREFIX NAME| line", without CRs. */
static void tail(const char *path, int n, const char *prefix, const char *name)
{
	static char lines[64][512];
	char buf[512];
	int count = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (n > 64)
		n = 64;
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = 0;
		snprintf(lines[count % n], sizeof(lines[0]), "%s", buf);
		count++;
	}
	fclose(f);
	for (int i = count > n ? count - n : 0; i < count; i++)
		printf("%s %s| %s\n", prefix, name, lines[i % n]);
}

/* The guest's marker in its console: the number of CPUs, or -1. */
static int find_marker(const char *path)
{
	char buf[1024], *m;
	int cpus = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (cpus < 0 && fgets(buf, sizeof(buf), f)) {
		m = strstr(buf, MARKER);
		if (m)
			cpus = atoi(m + strlen(MARKER));
	}
	fclose(f);
	return cpus;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_size;
}

/* Starts argv with stdin from /dev/null, stdout/stderr to files. */
static pid_t spawn(char **argv, const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Its exit status (128 + signal when killed); killed after 'limit' s. */
static int wait_for(pid_t pid, int limit)
{
	double t0 = uptime();
	int st = 0;

	if (pid < 0)
		return 127;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (uptime() - t0 > limit)
			kill(pid, SIGKILL);
		usleep(50000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(char **argv, const char *out, const char *err, int limit)
{
	return wait_for(spawn(argv, out, err), limit);
}

struct lane_case {
	char *name, *kernel, *cpus;
	int want;
	char params[1024];
	char *opts[16];
	int nr_opts;
};

/* "NAME KERNEL CPUS [STATUS [WORD...]]"; 0, or -1 for a blank line. */
static int parse_case(char *line, const struct lane_cfg *c,
		      struct lane_case *k)
{
	char *save, *w;

	memset(k, 0, sizeof(*k));
	k->name = strtok_r(line, " \t\n", &save);
	k->kernel = strtok_r(NULL, " \t\n", &save);
	k->cpus = strtok_r(NULL, " \t\n", &save);
	if (!k->name || !k->kernel || !k->cpus)
		return -1;
	w = strtok_r(NULL, " \t\n", &save);
	k->want = w ? atoi(w) : 0;
	snprintf(k->params, sizeof(k->params), "%s", c->append);
	while ((w = strtok_r(NULL, " \t\n", &save))) {
		size_t n = strlen(k->params);

		if (!strncmp(w, "--", 2) && k->nr_opts < 16)
			k->opts[k->nr_opts++] = w;
		else
			snprintf(k->params + n, sizeof(k->params) - n, "%s%s",
				 n ? " " : "", w);
	}
	return 0;
}

/* The files of case k: /tmp/NAME.WHAT. */
static void case_file(char *buf, size_t len, const struct lane_case *k,
		      const char *what)
{
	snprintf(buf, len, "/tmp/%s.%s", k->name, what);
}

/* argv of `minivmm run` for case k (the strings it points at are the
 * caller's); returns the count. */
static int run_argv(char **argv, struct lane_case *k, const struct lane_cfg *c,
		    char *serial, char *timeout)
{
	int n = 0;

	argv[n++] = MINIVMM;
	argv[n++] = "run";
	argv[n++] = "-k";
	argv[n++] = k->kernel;
	argv[n++] = "-i";
	argv[n++] = GUEST_INITRD;
	argv[n++] = "-m";
	argv[n++] = (char *)c->mem;
	argv[n++] = "-c";
	argv[n++] = k->cpus;
	argv[n++] = "-p";
	argv[n++] = k->params;
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	argv[n++] = "--serial-log";
	argv[n++] = serial;
	for (int i = 0; i < k->nr_opts; i++)
		if (strncmp(k->opts[i], "--lane-", 7))
			argv[n++] = k->opts[i];
	argv[n] = NULL;
	return n;
}

/* The tails of minivmm's stderr and the guest's console, then the result
 * line lane-verdict reads. */
static void report(const struct lane_case *k, int st, const char *console,
		   const char *err, double seconds)
{
	int cpus = find_marker(console);

	if (st != k->want || cpus != atoi(k->cpus)) {
		tail(err, 25, "LANE-STDERR", k->name);
		tail(console, 40, "LANE-GUEST", k->name);
	} else {
		tail(err, 3, "LANE-STDERR", k->name);
		tail(console, 5, "LANE-GUEST", k->name);
	}
	if (cpus < 0)
		printf("LANE-RESULT %s status=%d marker=no guest_cpus=none "
		       "seconds=%.1f\n", k->name, st, seconds);
	else
		printf("LANE-RESULT %s status=%d marker=yes guest_cpus=%d "
		       "seconds=%.1f\n", k->name, st, cpus, seconds);
	fflush(stdout);
}

/* The value of option --lane-NAME= of case k, or NULL. */
static const char *lane_opt(const struct lane_case *k, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < k->nr_opts; i++)
		if (!strncmp(k->opts[i], name, n) && k->opts[i][n] == '=')
			return k->opts[i] + n + 1;
	return NULL;
}

/* The value of kernel parameter NAME= of case k, or NULL. */
static const char *lane_param(const struct lane_case *k, const char *name)
{
	const char *p = strstr(k->params, name);

	return p ? p + strlen(name) : NULL;
}

/* A persistent tap IFNAME (minivmm attaches to it by name) with IP/24:
 * --lane-tap=IFNAME:IP. */
static int make_tap(const char *spec)
{
	char name[IFNAMSIZ + 32], *ip;
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
	int fd = open("/dev/net/tun", O_RDWR), ret = 0;

	snprintf(name, sizeof(name), "%s", spec);
	ip = strchr(name, ':');
	if (!ip || fd < 0)
		return fd < 0 ? -errno : -EINVAL;
	*ip++ = 0;
	if (strlen(name) >= IFNAMSIZ) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		ret = -errno;
	close(fd);
	return ret ? ret : if_up(name, ip, "255.255.255.0");
}

/* The guest's block in the image, and zeros before it. */
static void check_disk(const struct lane_case *k, const char *img)
{
	static uint8_t buf[BLK_OFFSET];
	const char *p = lane_param(k, "lane.blk=");
	uint32_t seed = p ? (uint32_t)strtoul(p, NULL, 0) : 0;
	int fd = open(img, O_RDONLY), bad = -1;
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, BLK_LEN, BLK_OFFSET);

	if (n == BLK_LEN) {
		bad = 0;
		for (uint32_t i = 0; i < BLK_LEN && !bad; i++)
			bad = buf[i] != pattern(seed, i);
	}
	if (!bad && pread(fd, buf, BLK_OFFSET, 0) == BLK_OFFSET)
		for (uint32_t i = 0; i < BLK_OFFSET && !bad; i++)
			bad = buf[i] != 0;
	if (fd >= 0)
		close(fd);
	printf("LANE-VIRTIO %s blk=%s (%d bytes at %d in %s, seed %u, the "
	       "MiB before it zero)\n", k->name,
	       bad ? "bad" : "ok", BLK_LEN, BLK_OFFSET, img, seed);
}

/* The guest's ping line. */
static void check_net(const struct lane_case *k, const char *console)
{
	char buf[512], want[32], *m = NULL;
	FILE *f = fopen(console, "r");

	snprintf(want, sizeof(want), "ping=%d/%d", PINGS, PINGS);
	while (f && !m && fgets(buf, sizeof(buf), f))
		m = strstr(buf, "MINIVMM-LANE-NET ");
	if (f)
		fclose(f);
	if (m)
		m[strcspn(m, "\r\n")] = 0;
	printf("LANE-VIRTIO %s net=%s %s\n", k->name,
	       m && strstr(m, want) ? "ok" : "bad", m ? m : "(no line)");
}

/* Each "NAME@HWIRQ=COUNT" of the guest's MINIVMM-LANE-IRQS line: at least
 * one, each on a source in [lo, hi] and each with interrupts delivered. */
static bool irqs_ok(const char *line, unsigned long lo, unsigned long hi)
{
	const char *p = line ? strchr(line, ' ') : NULL;
	int n = 0;

	while (p && (p = strchr(p, '@'))) {
		char *end;
		unsigned long hw = strtoul(p + 1, &end, 10), count;

		if (*end != '=')
			return false;
		count = strtoul(end + 1, NULL, 10);
		if (hw < lo || hw > hi || !count)
			return false;
		n++;
		p = end;
	}
	return n > 0;
}

/* The console's first line holding 'tag', without its line end, or "". */
static void console_line(const char *console, const char *tag, char *out,
			 size_t len)
{
	char buf[512], *m = NULL;
	FILE *f = fopen(console, "r");

	while (f && !m && fgets(buf, sizeof(buf), f))
		m = strstr(buf, tag);
	if (f)
		fclose(f);
	if (m)
		m[strcspn(m, "\r\n")] = 0;
	snprintf(out, len, "%s", m ? m : "");
}

/* --lane-bus=BUS: the guest found /dev/vda on BUS (pci or mmio), and its
 * virtio interrupts arrived on that transport's wired sources (PCI INTx:
 * 60-63; virtio-mmio: 2-59). */
static void check_bus(const struct lane_case *k, const char *console,
		      const char *bus)
{
	char blk[512], irqs[512], want[32];
	bool pci = !strcmp(bus, "pci");
	bool ok;

	snprintf(want, sizeof(want), ", bus %s", bus);
	console_line(console, "MINIVMM-LANE-BLK ", blk, sizeof(blk));
	console_line(console, "MINIVMM-LANE-IRQS", irqs, sizeof(irqs));
	ok = strstr(blk, want) && irqs_ok(irqs, pci ? 60 : 2, pci ? 63 : 59);
	printf("LANE-VIRTIO %s bus=%s %s; %s\n", k->name, ok ? "ok" : "bad",
	       blk[0] ? blk : "(no blk line)",
	       irqs[0] ? irqs : "(no irqs line)");
}

static void run_case(struct lane_case *k, const struct lane_cfg *c)
{
	char serial[128], out[128], err[128], timeout[16], img[128];
	const char *disk = lane_opt(k, "--lane-disk");
	const char *tap = lane_opt(k, "--lane-tap");
	const char *bus = lane_opt(k, "--lane-bus");
	char *argv[MAX_ARGS];
	const char *console;
	double t0;
	int n, st;

	case_file(serial, sizeof(serial), k, "serial");
	case_file(out, sizeof(out), k, "out");
	case_file(err, sizeof(err), k, "err");
	case_file(img, sizeof(img), k, "img");
	snprintf(timeout, sizeof(timeout), "%d", c->timeout);
	n = run_argv(argv, k, c, serial, timeout);
	if (disk) {
		int fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || ftruncate(fd, (off_t)atoi(disk) << 20))
			printf("LANE-VIRTIO %s cannot make %s\n", k->name, img);
		if (fd >= 0)
			close(fd);
		argv[n++] = "-d";
		argv[n++] = img;
		argv[n] = NULL;
	}
	if (tap && (st = make_tap(tap)))
		printf("LANE-VIRTIO %s cannot make the tap %s: %s\n", k->name,
		       tap, strerror(-st));
	printf("LANE-CASE-START %s uptime=%.2f\n", k->name, uptime());
	fflush(stdout);
	t0 = uptime();
	st = run(argv, out, err, c->timeout + 15);
	/* The guest's console: the serial log, or stdout if it stayed empty. */
	console = file_size(serial) > 0 ? serial : out;
	if (disk)
		check_disk(k, img);
	if (tap)
		check_net(k, console);
	if (bus)
		check_bus(k, console, bus);
	report(k, st, console, err, uptime() - t0);
}

/* --- snapshot cases ---------------------------------------------------- */

/* CRC32C (Castagnoli, reflected), as docs/snapshot-format.md. */
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = crc >> 1 ^ (0x82f63b78U & -(crc & 1));
	}
	return ~crc;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n = 0;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

/*
 * Multiplies the saved timebase of snapshot 'path' by 'factor': the
 * ARCH_VM section (type 3) holds records {u32 tag, u32 len, bytes} after
 * a u32 version and count; CLOCK (tag 1, 24 bytes) is realtime, time, Hz.
 * The section's CRC32C covers its header's first 20 bytes and the
 * payload. Prints the old and new values; 0 or -1.
 */
static int fake_timebase(const char *path, uint64_t factor, uint64_t *old_hz,
			 uint64_t *new_hz)
{
	int fd = open(path, O_RDWR);
	off_t size = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
	uint8_t *m = size > 0 ? mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
				     MAP_SHARED, fd, 0)
			      : MAP_FAILED;
	uint64_t off, len;
	int ret = -1;

	if (m == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (off = le32(m + 20); off + 24 <= (uint64_t)size; off += 24 + len) {
		uint8_t *h = m + off, *p = h + 24;
		uint32_t type = le32(h);

		len = le64(h + 8);
		if (type == 255 || len > (uint64_t)size - off - 24)
			break;
		if (type == 6) { /* MEMORY: its page data follows */
			len = le64(p + 16) + le64(p + 24) - off - 24;
			continue;
		}
		if (type != 3)
			continue;
		for (uint64_t r = 8; r + 8 <= len; r += 8 + le32(p + r + 4)) {
			if (le32(p + r) != 1 || le32(p + r + 4) != 24)
				continue;
			*old_hz = le64(p + r + 8 + 16);
			*new_hz = *old_hz * factor;
			put64(p + r + 8 + 16, *new_hz);
			uint32_t crc = crc32c(0, h, 20);

			crc = crc32c(crc, p, (size_t)len);
			h[20] = (uint8_t)crc;
			h[21] = (uint8_t)(crc >> 8);
			h[22] = (uint8_t)(crc >> 16);
			h[23] = (uint8_t)(crc >> 24);
			ret = 0;
		}
		break;
	}
	msync(m, (size_t)size, MS_SYNC);
	munmap(m, (size_t)size);
	close(fd);
	return ret;
}

struct tick {
	int n;
	double mono;
	unsigned long long time;
};

/* The guest's ticks in a console log, in the order printed. */
static int read_ticks(const char *path, struct tick *t, int max)
{
	char buf[512], *m;
	int count = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (count < max && fgets(buf, sizeof(buf), f)) {
		m = strstr(buf, TICK);
		if (m && sscanf(m + strlen(TICK), "%d mono=%lf time=%llu",
				&t[count].n, &t[count].mono,
				&t[count].time) == 3)
			count++;
	}
	fclose(f);
	return count;
}

/* Waits until the console shows tick 'n': 0; or minivmm ended: its exit
 * status (it is reaped); or 'limit' s passed: -1. */
static int wait_tick(const char *serial, int n, pid_t pid, int limit)
{
	struct tick t[MAX_TICKS];
	double t0 = uptime();
	int st;

	while (uptime() - t0 < limit) {
		int k = read_ticks(serial, t, MAX_TICKS);

		if (k && t[k - 1].n >= n)
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st)
					     : 128 + WTERMSIG(st);
		usleep(100000);
	}
	return -1;
}

/* `minivmm CMD --api SOCK [ARG]`: its exit status, its output in err. */
static int control(const char *cmd, const char *sock, const char *arg,
		   const char *out, const char *err)
{
	char *argv[] = {MINIVMM, (char *)cmd, "--api", (char *)sock,
			(char *)arg, NULL};

	return run(argv, out, err, 60);
}

/* What minivmm logged of the restored clock: "blackout B s (guest time
 * 0xS -> 0xT at H Hz; wall time since the save W s)". 0, or -1. */
struct clock_log {
	double blackout, wall;
	unsigned long long saved, target, hz;
};

static int logged_clock(const char *err, struct clock_log *l)
{
	char buf[1024], *m = NULL;
	FILE *f = fopen(err, "r");

	while (f && !m && fgets(buf, sizeof(buf), f))
		m = strstr(buf, "blackout ");
	if (f)
		fclose(f);
	if (m && sscanf(m, "blackout %lf s (guest time %llx -> %llx at %llu "
			"Hz; wall time since the save %lf s)", &l->blackout,
			&l->saved, &l->target, &l->hz, &l->wall) == 5 && l->hz)
		return 0;
	return -1;
}

/* "LANE-SNAP NAME log: LINE" for the first line of 'path' with 'needle'. */
static void print_match(const struct lane_case *k, const char *path,
			const char *needle)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	while (f && fgets(buf, sizeof(buf), f))
		if (strstr(buf, needle)) {
			buf[strcspn(buf, "\r\n")] = 0;
			printf("LANE-SNAP %s log: %s\n", k->name, buf);
			break;
		}
	if (f)
		fclose(f);
}

/* Appends file 'from' to 'to'. */
static void append_file(const char *from, const char *to)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(from, "r"), *out = fopen(to, "a");

	while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

/*
 * Ticks 0..N-1, each once, in order, across the two logs. Across the
 * restore, in seconds: step, the guest's CLOCK_MONOTONIC from the last
 * tick before to the first after; to_save, its time CSR from the last tick
 * to the saved time; jump, the restored time minus the saved one (the
 * blackout catch-up adds); to_tick, from the restored time to the first
 * tick after. step should be to_save + jump + to_tick.
 */
static void judge_ticks(const struct lane_case *k, const char *before,
			const char *after, const char *err)
{
	struct tick b[MAX_TICKS], a[MAX_TICKS];
	int nb = read_ticks(before, b, MAX_TICKS);
	int na = read_ticks(after, a, MAX_TICKS);
	int ok = nb > 0 && na > 0, want = 0;
	struct clock_log l = {-1, -1, 0, 0, 1};
	double hz;

	for (int i = 0; i < nb && ok; i++)
		ok = b[i].n == want++;
	for (int i = 0; i < na && ok; i++)
		ok = a[i].n == want++;
	if (logged_clock(err, &l) || !nb || !na) {
		printf("LANE-SNAP %s ticks_before=%d ticks_after=%d "
		       "continuous=%s (no clock line from minivmm)\n", k->name,
		       nb, na, ok ? "yes" : "no");
		return;
	}
	hz = (double)l.hz;
	printf("LANE-SNAP %s ticks_before=%d ticks_after=%d continuous=%s "
	       "step=%.3f to_save=%.3f jump=%.3f to_tick=%.3f blackout=%.3f "
	       "wall=%.3f\n",
	       k->name, nb, na, ok ? "yes" : "no",
	       a[0].mono - b[nb - 1].mono,
	       (double)(long long)(l.saved - b[nb - 1].time) / hz,
	       (double)(long long)(l.target - l.saved) / hz,
	       (double)(long long)(a[0].time - l.target) / hz, l.blackout,
	       l.wall);
}

static void snapshot_case(struct lane_case *k, const struct lane_cfg *c,
			  const char *mode)
{
	char serial[128], out[128], err[128], sock[128], snap[128];
	char before[128], rserial[128], rout[128], rerr[128], timeout[16];
	char clock[32], cout[128], cerr[128], *argv[MAX_ARGS];
	bool allow = !strcmp(mode, "timebase-allowed");
	bool tb = allow || !strcmp(mode, "timebase");
	uint64_t old_hz = 0, new_hz = 0;
	double t0 = uptime();
	int n, st;
	pid_t pid;

	case_file(serial, sizeof(serial), k, "serial");
	case_file(out, sizeof(out), k, "out");
	case_file(err, sizeof(err), k, "err");
	case_file(sock, sizeof(sock), k, "sock");
	case_file(snap, sizeof(snap), k, "snap");
	case_file(before, sizeof(before), k, "before");
	case_file(rserial, sizeof(rserial), k, "rserial");
	case_file(rout, sizeof(rout), k, "rout");
	case_file(rerr, sizeof(rerr), k, "rerr");
	case_file(cout, sizeof(cout), k, "cout");
	case_file(cerr, sizeof(cerr), k, "cerr");
	snprintf(timeout, sizeof(timeout), "%d", c->timeout);
	n = run_argv(argv, k, c, serial, timeout);
	argv[n++] = "--api";
	argv[n++] = sock;
	argv[n] = NULL;
	printf("LANE-CASE-START %s uptime=%.2f\n", k->name, uptime());
	fflush(stdout);
	pid = spawn(argv, out, err);
	st = wait_tick(serial, 3, pid, c->timeout);
	if (st) {
		printf("LANE-SNAP %s the guest never printed tick 3\n", k->name);
		if (st < 0) {
			kill(pid, SIGKILL);
			st = wait_for(pid, 5);
		}
		report(k, st, serial, err, uptime() - t0);
		return;
	}
	st = control("pause", sock, NULL, cout, cerr);
	copy_file(serial, before);
	if (!st)
		st = control("snapshot", sock, snap, cout, cerr);
	kill(pid, SIGKILL);
	wait_for(pid, 5);
	tail(err, 5, "LANE-STDERR", k->name);
	if (st) {
		printf("LANE-SNAP %s pause or snapshot failed: status %d\n",
		       k->name, st);
		tail(cerr, 10, "LANE-STDERR", k->name);
		report(k, 100 + st, before, err, uptime() - t0);
		return;
	}
	printf("LANE-SNAP %s saved %lld bytes\n", k->name,
	       (long long)file_size(snap));
	if (tb) {
		char copy[128];

		case_file(copy, sizeof(copy), k, "snap-timebase");
		if (copy_file(snap, copy) ||
		    fake_timebase(copy, 2, &old_hz, &new_hz)) {
			printf("LANE-SNAP %s cannot fake the timebase\n",
			       k->name);
			report(k, 125, before, err, uptime() - t0);
			return;
		}
		printf("LANE-SNAP %s timebase %llu Hz rewritten to %llu Hz\n",
		       k->name, (unsigned long long)old_hz,
		       (unsigned long long)new_hz);
		snprintf(snap, sizeof(snap), "%s", copy);
	} else {
		sleep((unsigned int)c->blackout);
	}
	snprintf(clock, sizeof(clock), "%s", tb ? "catch-up" : mode);
	n = 0;
	argv[n++] = MINIVMM;
	argv[n++] = "restore";
	argv[n++] = snap;
	argv[n++] = "--clock";
	argv[n++] = clock;
	argv[n++] = "--loglevel";
	argv[n++] = "info";
	argv[n++] = "--serial-log";
	argv[n++] = rserial;
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	if (allow)
		argv[n++] = "--allow-timebase-mismatch";
	argv[n] = NULL;
	st = run(argv, rout, rerr, c->timeout + 15);
	if (!tb || allow)
		judge_ticks(k, before, rserial, rerr);
	if (allow)
		print_match(k, rerr, "restoring anyway");
	/* The console: what the guest printed up to the pause, then after
	 * the restore. */
	append_file(rserial, before);
	report(k, st, before, rerr, uptime() - t0);
}

static void run_cases(void)
{
	char line[LINE_MAX_LEN];
	struct lane_cfg c = {0};
	struct lane_case k;
	FILE *f = fopen("/lane/cases", "r");

	read_config(&c);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *snap = NULL;

		if (parse_case(line, &c, &k))
			continue;
		for (int i = 0; i < k.nr_opts; i++)
			if (!strncmp(k.opts[i], "--lane-snapshot=", 16))
				snap = k.opts[i] + 16;
		if (snap)
			snapshot_case(&k, &c, snap);
		else
			run_case(&k, &c);
	}
	fclose(f);
}

/* Keeps the console from falling silent while a quiet guest boots. */
static pid_t heartbeat(void)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (;;) {
		sleep(10);
		printf("LANE-HEARTBEAT uptime=%.2f\n", uptime());
		fflush(stdout);
	}
}

static void host(void)
{
	struct utsname u;
	pid_t hb;

	uname(&u);
	printf("LANE-HOST-UP uptime=%.2f kernel=%s cpus=%ld\n", uptime(),
	       u.release, sysconf(_SC_NPROCESSORS_ONLN));
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		printf("LANE-HOST-KVM ok uptime=%.2f\n", uptime());
	else
		printf("LANE-HOST-KVM missing (%s)\n", strerror(errno));
	fflush(stdout);
	if (access(MINIVMM, X_OK) == 0) {
		hb = heartbeat();
		run_cases();
		kill(hb, SIGKILL);
		waitpid(hb, NULL, 0);
	} else {
		printf("LANE-HOST-NORUN no %s in the initramfs\n", MINIVMM);
	}
	printf("LANE-HOST-DONE uptime=%.2f\n", uptime());
	fflush(stdout);
	power_off();
}

int main(void)
{
	int fd;

	mounts();
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/lane/cases", R_OK) == 0)
		host();
	else
		guest();
	return 0;
}
