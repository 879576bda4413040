/* test_config.c: `minivmm run` option parsing, sizes and validation messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "arch.h"
#include "config.h"
#include "log.h"
#include "util.h"
#include "unit.h"

static int parse(struct vm_config *cfg, int *lvl, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "run";
	va_start(ap, lvl);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return config_parse_run(argc, argv, cfg, lvl);
}

static void test_sizes(void)
{
	uint64_t v;

	CHECK_EQ(parse_size("512M", &v), 0);
	CHECK_EQ(v, 512 * MiB);
	CHECK_EQ(parse_size("2G", &v), 0);
	CHECK_EQ(v, 2 * GiB);
	CHECK_EQ(parse_size("4096k", &v), 0);
	CHECK_EQ(v, 4 * MiB);
	CHECK_EQ(parse_size("1GiB", &v), 0);
	CHECK_EQ(v, GiB);
	CHECK_EQ(parse_size("64", &v), 0); /* bare number: MiB, as lkvm */
	CHECK_EQ(v, 64 * MiB);
	CHECK_EQ(parse_size("1T", &v), 0);
	CHECK_EQ(v, 1024 * GiB);
	CHECK_EQ(parse_size("", &v), -EINVAL);
	CHECK_EQ(parse_size("M", &v), -EINVAL);
	CHECK_EQ(parse_size("12Q", &v), -EINVAL);
	CHECK_EQ(parse_size("12MM", &v), -EINVAL);
	CHECK_EQ(parse_size("-1G", &v), -EINVAL);
	CHECK_EQ(parse_size("99999999999999999999", &v), -ERANGE);
	CHECK_EQ(parse_size("17179869184G", &v), -ERANGE);
	CHECK_EQ(parse_u64("0x3f8", &v), 0);
	CHECK_EQ(v, 0x3f8);
	CHECK_EQ(parse_u64("12a", &v), -EINVAL);
	CHECK_EQ(parse_u64("-3", &v), -EINVAL);
}

static void test_run_options(void)
{
	struct vm_config cfg;
	int lvl = LOG_WARN;

	CHECK_EQ(parse(&cfg, &lvl, "-k", "/proc/self/exe", "-m", "1G", "-c",
		       "4", "--timeout", "30", "--exit-port", "0x501",
		       "--loglevel", "debug", "-p", "quiet", "--debug-io",
		       "--serial-log", "/tmp/x", "--thp", NULL),
		 0);
	CHECK_EQ(cfg.mem_size, GiB);
	CHECK_EQ(cfg.nr_cpus, 4);
	CHECK_EQ(cfg.timeout_sec, 30);
	CHECK_EQ(cfg.exit_port, 0x501);
	CHECK_EQ(lvl, LOG_DEBUG);
	CHECK_STR(cfg.cmdline, "quiet");
	CHECK(cfg.debug_io);
	CHECK_STR(cfg.serial_log, "/tmp/x");
	CHECK(cfg.thp);

	/* Defaults. */
	CHECK_EQ(parse(&cfg, &lvl, "--kernel", "/proc/self/exe", NULL), 0);
	CHECK_EQ(cfg.mem_size, CONFIG_DEFAULT_MEM);
	CHECK_EQ(cfg.nr_cpus, 1);
	CHECK_EQ(cfg.exit_port, arch_default_exit_port());
	CHECK_EQ(cfg.timeout_sec, 0);
	CHECK(!cfg.thp);
	CHECK_EQ(cfg.kernel_format, KFMT_AUTO);
	CHECK_EQ(parse(&cfg, &lvl, "-k", "/proc/self/exe", "--exit-port",
		       "off", "--kernel-format", "flat", NULL),
		 0);
	CHECK_EQ(cfg.exit_port, -1);
	CHECK_EQ(cfg.kernel_format, KFMT_FLAT);
}

static void test_run_errors(void)
{
	struct vm_config cfg;
	int lvl = LOG_WARN;
	const char *k = "/proc/self/exe";

	CHECK_EQ(parse(&cfg, &lvl, NULL), -EINVAL); /* no kernel */
	CHECK_EQ(parse(&cfg, &lvl, "-k", "/nonexistent/kernel", NULL), -ENOENT);
	CHECK_EQ(parse(&cfg, &lvl, "-k", "/tmp", NULL), -ENOENT);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-i", "/nonexistent", NULL),
		 -ENOENT);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-m", "1M", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-m", "lots", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-m", "2T", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-m", "4097K", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-c", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-c", "9999", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-c", "two", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--bogus", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-x", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", NULL), -EINVAL); /* missing value */
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--timeout", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--exit-port", "0x10000", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--console", "vga", NULL), -EINVAL);
	/* riscv64's options, refused by the host's (x86-64) build. */
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--console", "sbi", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--disable-sbi-dbcn", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--timebase-frequency", "1000000",
		       NULL),
		 -EINVAL);
	/* arm64's, likewise. */
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--irqchip", "gicv3-its", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--pmu", NULL), -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--loglevel", "loud", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "--kernel-format", "pe", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "stray", NULL), -EINVAL);
}

/* -d's performance options: parsed, bounded, -1 when not given. */
static void test_disk_options(void)
{
	struct vm_config cfg;
	int lvl = LOG_WARN;
	const char *k = "/proc/self/exe";

	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d", "/proc/self/exe", "-d",
		       "/proc/self/exe,ro,poll_us=0,iothreads=4", "-d",
		       "/proc/self/exe,iothreads=0,poll_us=1000,serial=x",
		       NULL),
		 0);
	CHECK_EQ(cfg.nr_disks, 3);
	CHECK_EQ(cfg.disks[0].poll_us, -1);
	CHECK_EQ(cfg.disks[0].iothreads, -1);
	CHECK(cfg.disks[1].ro);
	CHECK_EQ(cfg.disks[1].poll_us, 0);
	CHECK_EQ(cfg.disks[1].iothreads, 4);
	CHECK_EQ(cfg.disks[2].poll_us, 1000);
	CHECK_EQ(cfg.disks[2].iothreads, 0);
	CHECK_STR(cfg.disks[2].serial, "x");
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d", "/proc/self/exe,poll_us=1001",
		       NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d",
		       "/proc/self/exe,iothreads=65", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d", "/proc/self/exe,poll_us=",
		       NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d",
		       "/proc/self/exe,iothreads=-1", NULL),
		 -EINVAL);
	CHECK_EQ(parse(&cfg, &lvl, "-k", k, "-d",
		       "/proc/self/exe,poll_us=99999999999999999", NULL),
		 -EINVAL);
}

int main(void)
{
	test_sizes();
	test_disk_options();
	test_run_options();
	test_run_errors();
	return unit_done("config");
}
