/* config.c: parses and validates `minivmm run` options into struct vm_config. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "arch.h"
#include "control.h"
#include "config.h"
#include "log.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/vsock.h"

enum {
	OPT_NAME = 256,
	OPT_CONSOLE,
	OPT_LOGLEVEL,
	OPT_DEBUG_IO,
	OPT_TIMEOUT,
	OPT_SERIAL_LOG,
	OPT_EXIT_PORT,
	OPT_KERNEL_FORMAT,
	OPT_KVM,
	OPT_API,
	OPT_CLOCK,
	OPT_ALLOW_TSC,
	OPT_ALLOW_TIMEBASE,
	OPT_COPY,
	OPT_RNG,
	OPT_VIRTIO_TRANSPORT,
	OPT_DUMP_DTB,
	OPT_VSOCK,
	OPT_TIMEBASE,
	OPT_IRQCHIP,
	OPT_PMU,
	OPT_THP,
	OPT_SBI_OFF, /* riscv64: + KVM's SBI extension number; keep last */
};

/* riscv64 --disable-sbi-NAME, kvmtool's names, in KVM's SBI_EXT order. */
#define SBI_OFF(name, n)                                                       \
	{ "disable-sbi-" name, no_argument, NULL, OPT_SBI_OFF + (n) }
static const char *const sbi_ext_names[] = {
	"legacy", "time", "ipi", "rfence", "srst", "hsm", "pmu",
	"experimental", "vendor", "dbcn", "sta", "susp", "fwft", "mpxy",
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "params", required_argument, NULL, 'p' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "loglevel", required_argument, NULL, OPT_LOGLEVEL },
	{ "debug-io", no_argument, NULL, OPT_DEBUG_IO },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "serial-log", required_argument, NULL, OPT_SERIAL_LOG },
	{ "exit-port", required_argument, NULL, OPT_EXIT_PORT },
	{ "kernel-format", required_argument, NULL, OPT_KERNEL_FORMAT },
	{ "kvm-device", required_argument, NULL, OPT_KVM },
	{ "api", required_argument, NULL, OPT_API },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "allow-tsc-mismatch", no_argument, NULL, OPT_ALLOW_TSC },
	{ "allow-timebase-mismatch", no_argument, NULL, OPT_ALLOW_TIMEBASE },
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "disk", required_argument, NULL, 'd' },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "virtio-transport", required_argument, NULL, OPT_VIRTIO_TRANSPORT },
	{ "network", required_argument, NULL, 'n' },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "timebase-frequency", required_argument, NULL, OPT_TIMEBASE },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "thp", no_argument, NULL, OPT_THP },
	SBI_OFF("legacy", 0), SBI_OFF("time", 1), SBI_OFF("ipi", 2),
	SBI_OFF("rfence", 3), SBI_OFF("srst", 4), SBI_OFF("hsm", 5),
	SBI_OFF("pmu", 6), SBI_OFF("experimental", 7), SBI_OFF("vendor", 8),
	SBI_OFF("dbcn", 9), SBI_OFF("sta", 10), SBI_OFF("susp", 11),
	SBI_OFF("fwft", 12), SBI_OFF("mpxy", 13),
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void config_usage_run(void)
{
	printf("usage: minivmm run -k KERNEL [options]\n"
	       "\n"
	       "  -k, --kernel FILE       bzImage, ELF vmlinux (PVH note or 64-bit entry) or flat binary\n"
	       "  -i, --initrd FILE       initial ramdisk\n"
	       "  -p, --params TEXT       kernel command line (appended to the defaults)\n"
	       "  -m, --mem SIZE          guest RAM, e.g. 512M, 2G (default 256M; a bare number is MiB)\n"
	       "  -c, --cpus N            vCPUs (default 1)\n"
	       "      --name NAME         name the VM and serve its control socket\n"
	       "                          ($XDG_RUNTIME_DIR/minivmm/NAME.sock or /run/minivmm/NAME.sock)\n"
	       "      --api PATH          serve the control socket at PATH\n"
	       "      --console serial|virtio|sbi   guest console: the 8250 UART on COM1 (default), a\n"
	       "                          virtio console (hvc0; add -p console=hvc0), or (riscv64)\n"
	       "                          the SBI debug console (hvc0 too)\n"
	       "      --serial-log FILE   also write the guest's console output to FILE\n"
	       "      --timeout SECONDS   stop the VM after SECONDS (exit status 4)\n"
	       "      --exit-port PORT|off   debug-exit port: a guest write of V exits with (V<<1)|1\n"
	       "                          (default 0x%x)\n"
	       "      --kernel-format auto|bzimage|elf|flat   skip probing the kernel file\n"
	       "      --loglevel error|warn|info|debug   (default warn)\n"
	       "      --debug-io          log every guest access no device handles\n"
	       "      --thp               back guest RAM with transparent huge pages where the\n"
	       "                          host allows them (faster guests, slower first touches)\n"
	       "      --kvm-device PATH   the KVM device (default /dev/kvm)\n"
	       "      --dump-dtb FILE     also write the guest's device tree to FILE (arm64, riscv64)\n"
	       "      --timebase-frequency HZ   riscv64: the guest's timer frequency (only where\n"
	       "                          KVM can set it; the default is the host's)\n"
	       "      --irqchip gicv3|gicv3-its   arm64: the vGICv3 alone (default) or with an\n"
	       "                          ITS, through which PCI devices send MSIs (MSI-X)\n"
	       "      --pmu               arm64: give the vCPUs KVM's PMUv3 (perf in the guest)\n"
	       "      --disable-sbi-NAME  riscv64: hide an SBI extension KVM implements: legacy, time,\n"
	       "                          ipi, rfence, srst, hsm, pmu, experimental, vendor, dbcn,\n"
	       "                          sta, susp, fwft, mpxy\n"
	       "  -d, --disk PATH[,ro][,direct][,serial=ID][,poll_us=N][,iothreads=N]\n"
	       "                          a raw disk image as virtio-blk (repeatable, up to %u);\n"
	       "                          poll_us: longest busy-poll before sleeping (default 32,\n"
	       "                          4x with requests out, 0 off), iothreads: concurrent\n"
	       "                          I/O threads (default 32, 0: one request at a time)\n"
	       "      --rng               a virtio-rng entropy device\n"
	       "      --virtio-transport pci|mmio   how virtio devices attach (default pci)\n"
	       "  -n, --network mode=tap[,tapif=NAME][,guest_mac=MAC][,vhost=1][,mq=N]\n"
	       "                          a virtio-net device on a tap interface (repeatable)\n"
	       "      --vsock CID         a virtio-vsock device with guest CID (needs /dev/vhost-vsock)\n"
	       "  -h, --help              this text\n"
	       "\n"
	       "Exit status: 0 guest powered off, 2 guest reset, 4 timeout, 6 guest crash,\n"
	       "8 stopped (signal or Ctrl-A x), odd values (V<<1)|1 from the exit port,\n"
	       "64 usage error, 66 bad kernel or initrd, 70 VMM or host error.\n",
	       arch_default_exit_port(), VM_MAX_DISKS);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "minivmm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'minivmm run --help')\n");
	return -EINVAL;
}

static int parse_mem(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (parse_size(s, &v))
		return bad("invalid memory size '%s' (examples: 512M, 2G)", s);
	if (v < arch_min_mem()) {
		fprintf(stderr,
			"minivmm: -m %s is too small (at least %" PRIu64
			" MiB)\n", s, arch_min_mem() / MiB);
		return -EINVAL;
	}
	if (v > CONFIG_MAX_MEM)
		return bad("-m %s is larger than the 1 TiB minivmm supports", s);
	if (!IS_ALIGNED(v, 4096))
		return bad("-m %s is not a multiple of 4 KiB", s);
	cfg->mem_size = v;
	return 0;
}

static int parse_cpus(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (parse_u64(s, &v))
		return bad("invalid vCPU count '%s'", s);
	if (v == 0)
		return bad("-c %s: a VM needs at least one vCPU", s);
	if (v > arch_max_cpus()) {
		fprintf(stderr, "minivmm: -c %s exceeds the %u vCPUs minivmm "
			"supports on this architecture\n", s, arch_max_cpus());
		return -EINVAL;
	}
	cfg->nr_cpus = (unsigned int)v;
	return 0;
}

static int parse_port(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (!strcmp(s, "off")) {
		cfg->exit_port = -1;
		return 0;
	}
	if (parse_u64(s, &v) || v > arch_exit_port_max()) {
		fprintf(stderr, "minivmm: invalid exit port '%s' (a number up to "
			"0x%" PRIx64 ", or off) (see 'minivmm run --help')\n",
			s, arch_exit_port_max());
		return -EINVAL;
	}
	cfg->exit_port = (int)v;
	return 0;
}

static int parse_timeout(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (parse_u64(s, &v) || v == 0 || v > 100000000)
		return bad("invalid timeout '%s' (whole seconds, at least 1)", s);
	cfg->timeout_sec = (unsigned int)v;
	return 0;
}

static int parse_format(const char *s, struct vm_config *cfg)
{
	static const char *const names[] = { "auto", "bzimage", "elf", "flat" };

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			cfg->kernel_format = (enum kernel_format)i;
			return 0;
		}
	}
	return bad("unknown kernel format '%s' (auto, bzimage, elf, flat)", s);
}

/* "name=N" of a disk spec, 0..max, into *out; 1 if opt is not name=. */
static int parse_disk_num(const char *opt, size_t len, const char *name,
			  unsigned int max, int *out, const char *spec)
{
	size_t n = strlen(name);
	char num[16];
	uint64_t v;

	if (len <= n || strncmp(opt, name, n))
		return 1;
	if (len - n >= sizeof(num))
		return bad("-d %s: number too long", spec);
	memcpy(num, opt + n, len - n);
	num[len - n] = 0;
	if (parse_u64(num, &v) || v > max) {
		fprintf(stderr, "minivmm: -d %s: %.*s must be a number from 0 "
			"to %u\n", spec, (int)(n - 1), name, max);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* One ",word" of a disk spec: ro, direct, serial=ID, poll_us=N or
 * iothreads=N. */
static int parse_disk_opt(const char *opt, size_t len, struct vm_disk *d,
			  const char *spec)
{
	static const char serial[] = "serial=";
	int ret;

	ret = parse_disk_num(opt, len, "poll_us=", VIRTIO_BLK_POLL_US_MAX,
			     &d->poll_us, spec);
	if (ret <= 0)
		return ret;
	ret = parse_disk_num(opt, len, "iothreads=", VIRTIO_BLK_IOTHREADS_MAX,
			     &d->iothreads, spec);
	if (ret <= 0)
		return ret;
	if (len == 2 && !strncmp(opt, "ro", 2)) {
		d->ro = true;
	} else if (len == 6 && !strncmp(opt, "direct", 6)) {
		d->direct = true;
	} else if (len > strlen(serial) && !strncmp(opt, serial, strlen(serial))) {
		len -= strlen(serial);
		if (len > VM_DISK_SERIAL_MAX)
			return bad("-d %s: serial longer than 20 bytes", spec);
		memcpy(d->serial, opt + strlen(serial), len);
	} else {
		return bad("-d %s: unknown disk option (ro, direct, serial=ID, "
			   "poll_us=N, iothreads=N)", spec);
	}
	return 0;
}

static int check_disk(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "minivmm: disk %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "minivmm: disk %s is not a regular file or a "
			"block device\n", path);
		return -ENOENT;
	}
	return 0;
}

/* PATH[,ro][,direct][,serial=ID][,poll_us=N][,iothreads=N]; the path
 * cannot hold a comma. */
static int parse_disk(const char *spec, struct vm_config *cfg)
{
	const char *end = strchr(spec, ','), *opt;
	size_t len = end ? (size_t)(end - spec) : strlen(spec);
	struct vm_disk *d;
	int ret;

	if (cfg->nr_disks == VM_MAX_DISKS)
		return bad("-d %s: too many disks (at most 8)", spec);
	if (!len || len >= VM_DISK_PATH_MAX)
		return bad("-d '%s': no image path, or one too long", spec);
	d = &cfg->disks[cfg->nr_disks];
	memset(d, 0, sizeof(*d));
	d->poll_us = d->iothreads = -1;
	memcpy(d->path, spec, len);
	while (end) {
		opt = end + 1;
		end = strchr(opt, ',');
		len = end ? (size_t)(end - opt) : strlen(opt);
		ret = parse_disk_opt(opt, len, d, spec);
		if (ret)
			return ret;
	}
	ret = check_disk(d->path);
	if (!ret)
		cfg->nr_disks++;
	return ret;
}

static int parse_console(const char *s, struct vm_config *cfg)
{
	if (!strcmp(s, "serial"))
		cfg->console = CONSOLE_SERIAL;
	else if (!strcmp(s, "virtio"))
		cfg->console = CONSOLE_VIRTIO;
	else if (!strcmp(s, "sbi") && !strcmp(arch_name, "riscv64"))
		cfg->console = CONSOLE_SBI;
	else if (!strcmp(s, "sbi"))
		return bad("--console %s: the SBI console is riscv64's", s);
	else
		return bad("unsupported console '%s' (serial, virtio, sbi)", s);
	return 0;
}

static int riscv_only(const char *opt)
{
	if (!strcmp(arch_name, "riscv64"))
		return 0;
	return bad("%s is a riscv64 option", opt);
}

static int parse_timebase(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (riscv_only("--timebase-frequency"))
		return -EINVAL;
	if (parse_u64(s, &v) || v < 1000 || v > UINT32_MAX)
		return bad("invalid --timebase-frequency '%s' (Hz, 1000 to "
			   "4294967295)", s);
	cfg->timebase_hz = v;
	return 0;
}

static int arm64_only(const char *opt)
{
	if (!strcmp(arch_name, "arm64"))
		return 0;
	return bad("%s is an arm64 option", opt);
}

/* lkvm's names for the arm64 interrupt controllers. */
static int parse_irqchip(const char *s, struct vm_config *cfg)
{
	if (arm64_only("--irqchip"))
		return -EINVAL;
	if (!strcmp(s, "gicv3"))
		cfg->gic_its = false;
	else if (!strcmp(s, "gicv3-its"))
		cfg->gic_its = true;
	else
		return bad("unsupported --irqchip '%s' (gicv3, gicv3-its)", s);
	return 0;
}

static int parse_sbi_off(int c, struct vm_config *cfg)
{
	unsigned int n = (unsigned int)(c - OPT_SBI_OFF);
	char opt[32];

	if (n >= ARRAY_SIZE(sbi_ext_names))
		return -EINVAL;
	snprintf(opt, sizeof(opt), "--disable-sbi-%s", sbi_ext_names[n]);
	if (riscv_only(opt))
		return -EINVAL;
	cfg->sbi_ext_off |= 1ULL << n;
	return 0;
}

static int parse_transport(const char *s, struct vm_config *cfg)
{
	if (!strcmp(s, "pci"))
		cfg->virtio_transport = VIRTIO_TRANSPORT_PCI;
	else if (!strcmp(s, "mmio"))
		cfg->virtio_transport = VIRTIO_TRANSPORT_MMIO;
	else
		return bad("unknown virtio transport '%s' (pci, mmio)", s);
	return 0;
}

static int check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "minivmm: %s %s: %s\n", what, path,
			strerror(errno));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "minivmm: %s %s is not a regular file\n", what,
			path);
		return -ENOENT;
	}
	return 0;
}

static int parse_clock(const char *s, struct restore_args *ra)
{
	if (!ra)
		return bad("%s: --clock is an option of 'minivmm restore'", s);
	if (!strcmp(s, "catch-up"))
		ra->opts.clock = CLOCK_CATCH_UP;
	else if (!strcmp(s, "freeze"))
		ra->opts.clock = CLOCK_FREEZE;
	else
		return bad("unknown clock mode '%s' (catch-up, freeze)", s);
	return 0;
}

static int parse_name(const char *s, struct vm_config *cfg)
{
	if (!control_name_valid(s))
		return bad("invalid name '%s' (letters, digits, '.', '_', '-'; "
			   "at most 64)", s);
	cfg->name = s;
	return 0;
}

static int parse_network(const char *s, struct vm_config *cfg)
{
	if (cfg->nr_nets == VM_MAX_NETS)
		return bad("-n %s: at most 4 network devices", s);
	return net_config_parse(s, &cfg->nets[cfg->nr_nets++]);
}

static int parse_vsock(const char *s, struct vm_config *cfg)
{
	uint64_t v;

	if (parse_u64(s, &v) || v < VSOCK_CID_MIN || v > VSOCK_CID_MAX)
		return bad("invalid vsock CID '%s' (3 to 4294967294)", s);
	cfg->vsock_cid = v;
	return 0;
}

/* Restore: which device options were given (snapshot_config_merge). */
static void note_given(int c, const char *arg, const struct vm_config *cfg,
		       struct restore_given *g)
{
	switch (c) {
	case 'd': g->opts |= RESTORE_DISKS; break;
	case OPT_RNG: g->opts |= RESTORE_RNG; break;
	case OPT_CONSOLE: g->opts |= RESTORE_CONSOLE; break;
	case OPT_VIRTIO_TRANSPORT: g->opts |= RESTORE_TRANSPORT; break;
	case OPT_VSOCK: g->opts |= RESTORE_VSOCK; break;
	case OPT_IRQCHIP: g->opts |= RESTORE_IRQCHIP; break;
	case OPT_PMU: g->opts |= RESTORE_PMU; break;
	case 'n':
		g->opts |= RESTORE_NETS;
		g->net[cfg->nr_nets - 1] =
			(strstr(arg, "guest_mac=") ? RESTORE_NET_MAC : 0) |
			(strstr(arg, "mq=") ? RESTORE_NET_MQ : 0);
		break;
	}
}

/* Options only `run` takes (they shape the VM; a snapshot fixes them).
 * The device options are accepted by restore too: they replace the
 * recorded back-ends (snapshot_config_merge checks the shape). */
static int run_only(int c, struct restore_args *ra)
{
	static const char *const names[] = {
		['k'] = "-k", ['i'] = "-i", ['p'] = "-p", ['m'] = "-m",
		['c'] = "-c",
	};

	if (!ra)
		return 0;
	if (c == OPT_EXIT_PORT || c == OPT_KERNEL_FORMAT)
		return bad("%s: the snapshot fixes the VM's devices and kernel",
			   c == OPT_EXIT_PORT ? "--exit-port"
					      : "--kernel-format");
	if (c > 0 && c < (int)ARRAY_SIZE(names) && names[c]) {
		fprintf(stderr, "minivmm: %s is an option of 'minivmm run': the "
			"snapshot fixes the kernel, memory and vCPUs\n",
			names[c]);
		return -EINVAL;
	}
	return 0;
}

static int parse_one(int c, const char *arg, struct vm_config *cfg,
		     struct restore_args *ra, int *loglevel)
{
	switch (c) {
	case 'k': cfg->kernel_path = arg; return 0;
	case 'i': cfg->initrd_path = arg; return 0;
	case 'p': cfg->cmdline = arg; return 0;
	case 'm': return parse_mem(arg, cfg);
	case 'c': return parse_cpus(arg, cfg);
	case OPT_NAME: return parse_name(arg, cfg);
	case OPT_API: cfg->api_path = arg; return 0;
	case OPT_CLOCK: return parse_clock(arg, ra);
	case OPT_ALLOW_TSC:
	case OPT_ALLOW_TIMEBASE:
	case OPT_COPY:
		if (!ra)
			return bad("%s is an option of 'minivmm restore'",
				   c == OPT_COPY	  ? "--copy"
				   : c == OPT_ALLOW_TSC ? "--allow-tsc-mismatch"
							: "--allow-timebase-"
							  "mismatch");
		if (c == OPT_COPY)
			ra->opts.copy = true;
		else if (c == OPT_ALLOW_TSC)
			ra->opts.allow_tsc_mismatch = true;
		else
			ra->opts.allow_timebase_mismatch = true;
		return 0;
	case OPT_SERIAL_LOG: cfg->serial_log = arg; return 0;
	case OPT_TIMEOUT: return parse_timeout(arg, cfg);
	case OPT_EXIT_PORT: return parse_port(arg, cfg);
	case OPT_KERNEL_FORMAT: return parse_format(arg, cfg);
	case OPT_DEBUG_IO: cfg->debug_io = true; return 0;
	case OPT_THP: cfg->thp = true; return 0;
	case OPT_KVM: cfg->kvm_path = arg; return 0;
	case OPT_DUMP_DTB: cfg->dump_dtb = arg; return 0;
	case OPT_CONSOLE: return parse_console(arg, cfg);
	case 'd': return parse_disk(arg, cfg);
	case OPT_RNG: cfg->rng = true; return 0;
	case OPT_VIRTIO_TRANSPORT: return parse_transport(arg, cfg);
	case 'n': return parse_network(arg, cfg);
	case OPT_VSOCK: return parse_vsock(arg, cfg);
	case OPT_TIMEBASE: return parse_timebase(arg, cfg);
	case OPT_IRQCHIP: return parse_irqchip(arg, cfg);
	case OPT_PMU:
		if (arm64_only("--pmu"))
			return -EINVAL;
		cfg->pmu = true;
		return 0;
	case OPT_LOGLEVEL:
		*loglevel = log_parse_level(arg);
		if (*loglevel < 0)
			return bad("unknown log level '%s' "
				   "(error, warn, info, debug)", arg);
		return 0;
	default:
		if (c >= OPT_SBI_OFF)
			return parse_sbi_off(c, cfg);
		return -EINVAL;
	}
}

static void config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = CONFIG_DEFAULT_MEM;
	cfg->nr_cpus = 1;
	cfg->exit_port = arch_default_exit_port();
	cfg->kvm_path = "/dev/kvm";
	cfg->cmdline = "";
}

static int config_parse(int argc, char **argv, struct vm_config *cfg,
			struct restore_args *ra, int *loglevel)
{
	int c, ret;

	config_defaults(cfg);
	optind = 0; /* glibc: a full reset, also after a parse that stopped mid-group */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:p:m:c:d:n:h", run_options,
				NULL)) != -1) {
		if (c == 'h') {
			if (ra)
				config_usage_restore();
			else
				config_usage_run();
			return 1;
		}
		if (c == '?')
			return bad("unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return bad("option '%s' needs a value", argv[optind - 1]);
		ret = run_only(c, ra);
		if (!ret)
			ret = parse_one(c, optarg, cfg, ra, loglevel);
		if (ret)
			return ret;
		if (ra)
			note_given(c, optarg, cfg, &ra->given);
	}
	if (ra && optind < argc)
		ra->snapshot = argv[optind++];
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	return 0;
}

int config_parse_run(int argc, char **argv, struct vm_config *cfg,
		     int *loglevel)
{
	int ret = config_parse(argc, argv, cfg, NULL, loglevel);

	if (ret)
		return ret;
	if (!cfg->kernel_path)
		return bad("%sno kernel given: use -k KERNEL", "");
	if (check_file("kernel", cfg->kernel_path) ||
	    (cfg->initrd_path && check_file("initrd", cfg->initrd_path)))
		return -ENOENT;
	return 0;
}

void config_usage_restore(void)
{
	printf("usage: minivmm restore SNAPSHOT [options]\n"
	       "\n"
	       "  --clock catch-up|freeze  catch-up (default): the guest's clocks advance by\n"
	       "                          the time the VM was saved; freeze: they continue\n"
	       "                          from the saved values\n"
	       "  --copy                  read guest memory eagerly instead of mapping it\n"
	       "  --allow-tsc-mismatch    run even if this host cannot give the saved TSC frequency\n"
	       "  --allow-timebase-mismatch  riscv64: run even if this host cannot give the saved\n"
	       "                          timebase (the guest's clock then runs at the host's rate)\n"
	       "  --name, --api, --serial-log, --timeout, --loglevel, --debug-io, --thp,\n"
	       "  --kvm-device            as for 'minivmm run'\n"
	       "\n"
	       "The snapshot records the VM's devices; without device options they are\n"
	       "re-created as recorded (disk images reopened by their recorded paths).\n"
	       "Device options given replace the back-ends and must keep the shape:\n"
	       "  -d, --disk PATH[,ro][,direct][,serial=ID][,poll_us=N][,iothreads=N]\n"
	       "                          one per recorded disk, in\n"
	       "                          order, with the same ro (and serial, if given)\n"
	       "  -n, --network mode=tap[,tapif=NAME][,vhost=0|1][,guest_mac=MAC][,mq=N]\n"
	       "                          one per recorded network, in order (same MAC, mq)\n"
	       "  --console, --virtio-transport, --rng, --vsock   must match the recording\n"
	       "  --irqchip, --pmu        arm64: the recorded ones are re-created; given,\n"
	       "                          they must match the recording\n"
	       "\n"
	       "Exit status: as 'minivmm run'; 66 for a bad or foreign snapshot file or a\n"
	       "missing disk image, 64 for device options that do not match the snapshot.\n");
}

int config_parse_restore(int argc, char **argv, struct vm_config *cfg,
			 struct restore_args *ra, int *loglevel)
{
	int ret;

	memset(ra, 0, sizeof(*ra));
	ret = config_parse(argc, argv, cfg, ra, loglevel);
	if (ret)
		return ret;
	if (!ra->snapshot)
		return bad("%sno snapshot given: minivmm restore FILE", "");
	return check_file("snapshot", ra->snapshot);
}
