/*
 * rawkvm.c: the smallest VMM that can run the benchmark guests; the
 * reference that minivmm's exit cost and start-up are compared with.
 *
 * usage: rawkvm BINARY [MEM_MIB]
 *
 * It sets the VM up the way minivmm does where that can change the cost of
 * an exit (in-kernel irqchip and PIT, TSS and identity-map addresses), maps
 * MEM_MIB (default 64) of anonymous RAM at guest address 0, copies BINARY to
 * 0x10000 and runs one vCPU in real mode at 0x1000:0 with sp 0x8000, as
 * minivmm does with `--kernel-format flat`. Port I/O exits:
 *   0x80   ignored (as minivmm's "post" port sink);
 *   0x440  a byte of 123 prints "rawkvm: boot-timer wall_us=N cpu_us=M";
 *   0xf4   a write of V ends rawkvm with status (V << 1) | 1.
 * Any other exit ends it with status 70.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LOAD_SEG	0x1000
#define LOAD_ADDR	(LOAD_SEG << 4)
#define LOAD_SP		0x8000
#define TSS_ADDR	0xfeffd000UL
#define IDMAP_ADDR	0xfeffc000ULL
#define PORT_POST	0x80
#define PORT_EXIT	0xf4
#define PORT_TIMER	0x440
#define TIMER_MAGIC	123
#define EXIT_ERR	70

static uint64_t start_ns;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rawkvm: %s: %s\n", what, strerror(errno));
	exit(EXIT_ERR);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret = ioctl(fd, req, arg);

	if (ret < 0)
		die(what);
	return ret;
}

static void load(const char *path, uint8_t *ram, size_t ram_size)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	if (st.st_size <= 0 || (size_t)st.st_size > ram_size - LOAD_ADDR ||
	    LOAD_ADDR + (size_t)st.st_size > 0xa0000) {
		fprintf(stderr, "rawkvm: %s does not fit in real-mode memory\n",
			path);
		exit(EXIT_ERR);
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, ram + LOAD_ADDR + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(path);
		done += (size_t)n;
	}
	close(fd);
}

static void real_mode(int vcpu)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es,
				       &s.fs, &s.gs, &s.ss };

	xioctl(vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		segs[i]->selector = LOAD_SEG;
		segs[i]->base = LOAD_ADDR;
	}
	xioctl(vcpu, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = 0;
	r.rsp = LOAD_SP;
	xioctl(vcpu, KVM_SET_REGS, &r, "KVM_SET_REGS");
}

static void boot_timer(void)
{
	uint64_t wall = clock_ns(CLOCK_MONOTONIC) - start_ns;
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	fprintf(stderr, "rawkvm: boot-timer wall_us=%llu cpu_us=%llu\n",
		(unsigned long long)(wall / 1000),
		(unsigned long long)(cpu / 1000));
}

/* Returns -1 to go on running, else the exit status. */
static int handle_io(struct kvm_run *run)
{
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;

	if (run->io.direction != KVM_EXIT_IO_OUT) {
		/* Reads of unknown ports see all ones, as on a PC. */
		memset((uint8_t *)run + run->io.data_offset, 0xff,
		       (size_t)run->io.size * run->io.count);
		return -1;
	}
	switch (run->io.port) {
	case PORT_POST:
		return -1;
	case PORT_EXIT:
		return (data[0] << 1) | 1;
	case PORT_TIMER:
		if (run->io.size == 1 && data[0] == TIMER_MAGIC)
			boot_timer();
		return -1;
	default:
		fprintf(stderr, "rawkvm: unexpected write to port 0x%x\n",
			run->io.port);
		return EXIT_ERR;
	}
}

int main(int argc, char **argv)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_userspace_memory_region region;
	uint64_t idmap = IDMAP_ADDR;
	size_t ram_size = 64UL << 20, run_size;
	struct kvm_run *run;
	int kvm, vm, vcpu, status;
	uint8_t *ram;
	long v;

	start_ns = clock_ns(CLOCK_MONOTONIC);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: rawkvm BINARY [MEM_MIB]\n");
		return 64;
	}
	if (argc == 3) {
		v = strtol(argv[2], NULL, 0);
		if (v < 1 || v > 3072) {
			fprintf(stderr, "rawkvm: MEM_MIB must be 1..3072\n");
			return 64;
		}
		ram_size = (size_t)v << 20;
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = xioctl(kvm, KVM_CREATE_VM, NULL, "KVM_CREATE_VM");

	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_size,
		.userspace_addr = (uintptr_t)ram,
	};
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, &region,
	       "KVM_SET_USER_MEMORY_REGION");
	load(argv[1], ram, ram_size);

	/*
	 * The irqchip after the memory slot, as minivmm does: a slot added
	 * once the irqchip's I/O devices exist waits for an SRCU grace
	 * period (milliseconds here).
	 */
	xioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &idmap,
	       "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
		die("KVM_SET_TSS_ADDR");
	xioctl(vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	xioctl(vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");

	vcpu = xioctl(vm, KVM_CREATE_VCPU, NULL, "KVM_CREATE_VCPU");
	run_size = (size_t)xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL,
				  "KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	real_mode(vcpu);

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, NULL) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			status = handle_io(run);
			break;
		case KVM_EXIT_HLT:
			status = 0;
			break;
		default:
			fprintf(stderr, "rawkvm: unexpected exit reason %u\n",
				run->exit_reason);
			status = EXIT_ERR;
			break;
		}
		if (status >= 0)
			return status;
	}
}
