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
 * A case is "NAME KERNEL CPUS [STATUS [WORD...]]": words starting with "--"
 * are minivmm options, the others kernel parameters for that case.
 * /lane/config holds GUEST_APPEND='...', GUEST_MEM='...', CASE_TIMEOUT='...'.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define MAX_ARGS     64
#define LINE_MAX_LEN 4096
#define MINIVMM	     "/minivmm"
#define GUEST_INITRD "/guest/initrd.cpio"
#define MARKER	     "MINIVMM-LANE-GUEST-OK cpus="

struct lane_cfg {
	char append[1024];
	char mem[32];
	int timeout;
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

static void guest(void)
{
	char cmdline[LINE_MAX_LEN] = "", *tok, *save;
	struct utsname u;
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
		if (!strncmp(tok, "lane.exit=", 10))
			exit_register(tok + 10);
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

/* Runs argv with stdout/stderr to files; kills it after 'limit' seconds.
 * Returns its exit status (128 + signal when killed). */
static int run(char **argv, const char *out, const char *err, int limit)
{
	double t0 = uptime();
	int st = 0;
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

static void run_case(struct lane_case *k, const struct lane_cfg *c)
{
	char serial[128], out[128], err[128], timeout[16];
	char *argv[MAX_ARGS];
	const char *console;
	int n = 0, st, cpus;
	double t0, t1;

	snprintf(serial, sizeof(serial), "/tmp/%s.serial", k->name);
	snprintf(out, sizeof(out), "/tmp/%s.out", k->name);
	snprintf(err, sizeof(err), "/tmp/%s.err", k->name);
	snprintf(timeout, sizeof(timeout), "%d", c->timeout);
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
		argv[n++] = k->opts[i];
	argv[n] = NULL;
	printf("LANE-CASE-START %s uptime=%.2f\n", k->name, uptime());
	fflush(stdout);
	t0 = uptime();
	st = run(argv, out, err, c->timeout + 15);
	t1 = uptime();
	/* The guest's console: the serial log, or stdout if it stayed empty. */
	console = file_size(serial) > 0 ? serial : out;
	cpus = find_marker(console);
	if (st != k->want || cpus != atoi(k->cpus)) {
		tail(err, 25, "LANE-STDERR", k->name);
		tail(console, 40, "LANE-GUEST", k->name);
	} else {
		tail(err, 3, "LANE-STDERR", k->name);
		tail(console, 5, "LANE-GUEST", k->name);
	}
	if (cpus < 0)
		printf("LANE-RESULT %s status=%d marker=no guest_cpus=none "
		       "seconds=%.1f\n", k->name, st, t1 - t0);
	else
		printf("LANE-RESULT %s status=%d marker=yes guest_cpus=%d "
		       "seconds=%.1f\n", k->name, st, cpus, t1 - t0);
	fflush(stdout);
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
	while (fgets(line, sizeof(line), f))
		if (!parse_case(line, &c, &k))
			run_case(&k, &c);
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
