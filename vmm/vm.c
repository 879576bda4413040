/* vm.c: the VM's lifecycle: create, run until it ends, tear down. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <inttypes.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "console.h"
#include "control.h"
#include "device.h"
#include "devices_virtio.h"
#include "kvm.h"
#include "log.h"
#include "platform.h"
#include "term.h"
#include "thread.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#define KVM_API_VERSION_EXPECTED 12
#define RAM_ALIGN (2 * MiB) /* a huge page; every bank starts at a multiple */

void vm_add_device(struct vm *vm, struct device *dev)
{
	dev->next = vm->devices;
	vm->devices = dev;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	if (vm->irq_line)
		return vm->irq_line(vm, irq, level);
	return kvm_irq_line(vm, arch_irq_line_number(irq), level);
}

bool vm_ending(struct vm *vm)
{
	return atomic_load(&vm->end) != VM_RUNNING;
}

void vm_request_end(struct vm *vm, enum vm_end end, int code,
		    const char *detail, ...)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;
	va_list ap;

	/* Claim the end first so only one reason is ever reported. */
	if (!atomic_compare_exchange_strong(&vm->end, &expected, VM_END_ERROR))
		return;
	vm->end_code = code;
	va_start(ap, detail);
	vsnprintf(vm->end_detail, sizeof(vm->end_detail), detail, ap);
	va_end(ap);
	atomic_store(&vm->end, end);
	vcpus_wake(vm);
	if (vm->stop_efd >= 0 && write(vm->stop_efd, &one, sizeof(one)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
	vcpus_kick(vm);
}

const char *vm_end_name(enum vm_end end)
{
	static const char *const names[] = {
		[VM_RUNNING] = "running",	 [VM_END_POWEROFF] = "power-off",
		[VM_END_RESET] = "reset",	 [VM_END_DEBUG_EXIT] = "debug-exit",
		[VM_END_TIMEOUT] = "timeout",	 [VM_END_CRASH] = "guest crash",
		[VM_END_STOPPED] = "stopped",	 [VM_END_ERROR] = "VMM error",
	};
	return (unsigned int)end < ARRAY_SIZE(names) ? names[end] : "?";
}

int vm_exit_status(enum vm_end end, int code)
{
	switch (end) {
	case VM_END_POWEROFF:
		return EXIT_POWEROFF;
	case VM_END_RESET:
		return EXIT_RESET;
	case VM_END_DEBUG_EXIT:
		return ((code << 1) | 1) & 0xff;
	case VM_END_TIMEOUT:
		return EXIT_TIMEOUT;
	case VM_END_CRASH:
		return EXIT_CRASH;
	case VM_END_STOPPED:
		return EXIT_STOPPED;
	default:
		return EXIT_VMMERR;
	}
}

static int vm_open_kvm(struct vm *vm)
{
	const char *path = vm->cfg->kvm_path;
	long ver;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = errno;

		if (err == ENOENT)
			pr_err("%s does not exist: KVM is not available on this "
			       "host (is the kvm module loaded?)", path);
		else if (err == EACCES || err == EPERM)
			pr_err("no permission to open %s (run as root or join "
			       "the group that owns it)", path);
		else
			pr_err("cannot open %s: %s", path, strerror(err));
		return -err;
	}
	ver = kvm_sys_ioctl(vm, KVM_GET_API_VERSION, NULL);
	if (ver != KVM_API_VERSION_EXPECTED) {
		pr_err("%s: KVM API version %ld, expected %d", path, ver,
		       KVM_API_VERSION_EXPECTED);
		return -ENOTSUP;
	}
	return 0;
}

/* Capabilities the core itself relies on. */
static int vm_check_caps(struct vm *vm)
{
	static const struct {
		unsigned int cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(caps); i++) {
		if (kvm_check_cap(vm, caps[i].cap) <= 0) {
			pr_err("KVM lacks %s, which minivmm needs", caps[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* The in-kernel irqchip, unless the arch emulates its own (vm->irq_line). */
static int vm_check_irqchip(struct vm *vm)
{
	if (vm->irq_line || kvm_check_cap(vm, KVM_CAP_IRQCHIP) > 0)
		return 0;
	pr_err("KVM lacks KVM_CAP_IRQCHIP, which minivmm needs");
	return -ENOTSUP;
}

static int vm_check_cpus(struct vm *vm)
{
	long max = kvm_check_cap(vm, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = kvm_check_cap(vm, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4; /* the documented default when neither is reported */
	if (vm->cfg->nr_cpus > (unsigned long)max) {
		pr_err("-c %u exceeds KVM's limit of %ld vCPUs",
		       vm->cfg->nr_cpus, max);
		return -EINVAL;
	}
	return 0;
}

/* Registers every RAM bank with KVM. The cost grows with the size of a
 * slot where KVM keeps per-page metadata (shadow paging), so it runs on its
 * own thread while the main thread goes on loading the kernel or the
 * snapshot; vm_ram_ready() waits for it before anything needs the slots. */
static int vm_register_ram(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		const struct mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
			.slot = r->slot,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};
		long ret = kvm_vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &kr);

		if (ret < 0) {
			pr_err("KVM_SET_USER_MEMORY_REGION (slot %u, %" PRIu64
			       " MiB at 0x%" PRIx64 "): %s",
			       r->slot, r->size / MiB, r->gpa,
			       strerror((int)-ret));
			return (int)ret;
		}
	}
	return 0;
}

static void *vm_ram_thread(void *opaque)
{
	struct vm *vm = opaque;

	vm->ram_err = vm_register_ram(vm);
	return NULL;
}

/* Starts the registration; without a thread, registers here and now. */
static int vm_register_ram_async(struct vm *vm)
{
	int err = thread_start_quiet(&vm->ram_thread, "ram slots", 0,
				     vm_ram_thread, vm);

	if (err) {
		pr_debug("no thread for the memory slots (%s): registering "
			 "them in line", strerror(-err));
		return vm_register_ram(vm);
	}
	vm->ram_pending = true;
	return 0;
}

int vm_ram_ready(struct vm *vm)
{
	if (vm->ram_pending) {
		pthread_join(vm->ram_thread, NULL);
		vm->ram_pending = false;
	}
	return vm->ram_err;
}

/*
 * One bank of guest RAM: anonymous, reserved lazily, and 2 MiB-aligned (bank
 * addresses are), so that host huge pages can back it and KVM can map it
 * with 2 MiB stage-2 pages wherever the host's THP setting allows. With
 * --thp also MADV_HUGEPAGE, for hosts that use THP only where asked
 * ("madvise", as Ubuntu's kernels; Debian's use "always"): faster guests on
 * hardware KVM, at the price of a 2 MiB clear (and maybe compaction) at
 * each first touch, hence not the default. *advise_err: madvise's errno.
 */
static void *vm_map_bank(uint64_t size, bool thp, int *advise_err)
{
	size_t len = (size_t)size + RAM_ALIGN;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return p;
	a = (uint8_t *)ALIGN_UP((uintptr_t)p, RAM_ALIGN);
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len > a + size)
		munmap(a + size, (size_t)(p + len - (a + size)));
	if (thp && madvise(a, (size_t)size, MADV_HUGEPAGE))
		*advise_err = errno;
	return a;
}

static int vm_map_ram(struct vm *vm)
{
	struct mem_bank banks[MEM_MAX_BANKS];
	int nr = arch_mem_layout(vm->cfg->mem_size, banks, MEM_MAX_BANKS);
	int advise_err = 0;

	if (nr < 0)
		return nr;
	for (int i = 0; i < nr; i++) {
		void *p = vm_map_bank(banks[i].size, vm->cfg->thp, &advise_err);

		if (p == MAP_FAILED) {
			int err = errno;

			pr_err("cannot reserve %" PRIu64
			       " MiB of guest RAM: %s",
			       banks[i].size / MiB, strerror(err));
			return -err;
		}
		vm->mem.regions[i] = (struct mem_region){
			.gpa = banks[i].gpa, .size = banks[i].size, .hva = p,
			.slot = (uint32_t)i
		};
		vm->mem.nr++;
		vm->mem.total += banks[i].size;
	}
	if (advise_err) /* a warning: the VM runs on small pages */
		pr_warn("--thp: this host gives no transparent huge pages "
			"(madvise: %s)",
			strerror(advise_err));
	return vm_register_ram_async(vm);
}

static int vm_map_file(const char *what, const char *path, struct image *img)
{
	struct stat st;
	int fd, err;

	img->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("cannot open %s %s: %s", what, path, strerror(errno));
		return -EBADF; /* bad input: reported, exit status 66 */
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pr_err("%s %s is not a regular file", what, path);
		err = -EBADF;
		goto out;
	}
	if (st.st_size == 0) {
		pr_err("%s %s is empty", what, path);
		err = -EBADF;
		goto out;
	}
	img->data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
	if (img->data == MAP_FAILED) {
		img->data = NULL;
		pr_err("cannot map %s %s: %s", what, path, strerror(errno));
		err = -EBADF;
		goto out;
	}
	img->size = (uint64_t)st.st_size;
	err = 0;
out:
	close(fd);
	return err;
}

static void vm_unmap_file(struct image *img)
{
	if (img->data)
		munmap((void *)img->data, img->size);
	img->data = NULL;
}

int vm_load(struct vm *vm)
{
	int ret = vm_map_file("kernel", vm->cfg->kernel_path, &vm->kernel);

	if (ret)
		return ret;
	if (vm->cfg->initrd_path) {
		ret = vm_map_file("initrd", vm->cfg->initrd_path, &vm->initrd);
		if (ret)
			return ret;
	}
	ret = arch_load_kernel(vm);
	/* Images are copied into guest RAM; the mappings are not needed. */
	vm_unmap_file(&vm->kernel);
	vm_unmap_file(&vm->initrd);
	return ret;
}

static void vm_zero(struct vm *vm, const struct vm_config *cfg)
{
	struct timespec ts;

	memset(vm, 0, sizeof(*vm));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	vm->start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->sig_fd = vm->timer_fd = -1;
	vm->loop.epfd = -1;
	atomic_init(&vm->end, VM_RUNNING);
	atomic_init(&vm->pause_req, false);
	pthread_mutex_init(&vm->park_lock, NULL);
	pthread_cond_init(&vm->park_cond, NULL);
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	long fd;
	int ret;

	vm_zero(vm, cfg);
	ret = vm_open_kvm(vm);
	if (ret)
		return ret;
	fd = kvm_sys_ioctl(vm, KVM_CREATE_VM, NULL);
	if (fd < 0) {
		pr_err("KVM_CREATE_VM failed: %s", strerror((int)-fd));
		return (int)fd;
	}
	vm->vm_fd = (int)fd;
	if ((ret = vm_check_caps(vm)) || (ret = vm_check_cpus(vm)))
		return ret;
	if ((ret = bus_init(&vm->pio, "pio")) ||
	    (ret = bus_init(&vm->mmio, "mmio")) ||
	    (ret = loop_init(&vm->loop))) {
		pr_err("cannot set up the VM's buses and event loop: %s",
		       strerror(-ret));
		return ret;
	}
	vm->pio.debug = vm->mmio.debug = cfg->debug_io;
	vm->stop_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->stop_efd < 0) {
		ret = -errno;
		pr_err("cannot create the VM's stop eventfd: %s",
		       strerror(-ret));
		return ret;
	}
	if ((ret = vm_map_ram(vm)) || (ret = console_init(vm, cfg->serial_log)) ||
	    (ret = arch_vm_init(vm)) || (ret = vm_check_irqchip(vm)))
		return ret;
	ret = arch_devices_init(vm);
	return ret ? ret : virtio_devices_create(vm);
}

int vm_boot(struct vm *vm)
{
	int ret = vcpus_create(vm);

	if (!ret)
		ret = vm_ram_ready(vm);
	return ret ? ret : arch_vm_finalize(vm);
}

static int vm_on_stop(void *opaque, uint32_t events)
{
	return 0; /* vm_run's loop checks vm->end */
}

static int vm_on_timeout(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;

	vm_request_end(vm, VM_END_TIMEOUT, 0, "timed out after %u s",
		       vm->cfg->timeout_sec);
	return 1;
}

static int vm_on_signal(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(vm->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		vm_request_end(vm, VM_END_STOPPED, 0, "stopped by signal %s",
			       sigabbrev_np((int)si.ssi_signo));
	return 0;
}

/* SIGINT/SIGTERM/SIGHUP/SIGQUIT end the VM cleanly; --timeout arms a timer. */
static int vm_add_timers(struct vm *vm)
{
	struct itimerspec its = { .it_value.tv_sec = vm->cfg->timeout_sec };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	vm->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (vm->sig_fd < 0)
		return -errno;
	ret = loop_add(&vm->loop, vm->sig_fd, EPOLLIN, vm_on_signal, vm);
	if (ret || !vm->cfg->timeout_sec)
		return ret;
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (vm->timer_fd < 0 || timerfd_settime(vm->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return loop_add(&vm->loop, vm->timer_fd, EPOLLIN, vm_on_timeout, vm);
}

static void vm_report(struct vm *vm, int status)
{
	enum vm_end end = atomic_load(&vm->end);
	enum log_level lvl = LOG_INFO;

	if (end == VM_END_CRASH || end == VM_END_ERROR || end == VM_END_TIMEOUT)
		lvl = LOG_ERROR;
	log_msg(lvl, "%s: %s (exit status %d)", vm_end_name(end),
		vm->end_detail, status);
	if (end == VM_END_TIMEOUT) /* where a hung guest was */
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			arch_vcpu_dump(&vm->vcpus[i]);
	if (vm->pio.unhandled_reads || vm->pio.unhandled_writes ||
	    vm->mmio.unhandled_reads || vm->mmio.unhandled_writes)
		pr_info("unhandled accesses: pio %" PRIu64 " reads, %" PRIu64
			" writes; mmio %" PRIu64 " reads, %" PRIu64
			" writes (--debug-io lists them)",
			vm->pio.unhandled_reads, vm->pio.unhandled_writes,
			vm->mmio.unhandled_reads, vm->mmio.unhandled_writes);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		pr_debug("vCPU %u: %" PRIu64 " exits to userspace, %" PRIu64
			 " completed before a pause",
			 i, vm->vcpus[i].exits, vm->vcpus[i].exits_completed);
	if (log_get_level() >= LOG_DEBUG)
		arch_irq_report(vm);
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->ops && d->ops->report)
			d->ops->report(d);
}

int vm_run(struct vm *vm)
{
	int ret, status;

	ret = loop_add(&vm->loop, vm->stop_efd, EPOLLIN, vm_on_stop, vm);
	if (!ret)
		ret = vm_add_timers(vm);
	if (!ret)
		ret = vcpus_start(vm);
	if (ret)
		vm_request_end(vm, VM_END_ERROR, 0, "cannot start: %s",
			       strerror(-ret));
	while (!vm_ending(vm)) {
		ret = loop_run_once(&vm->loop, -1);
		if (ret < 0)
			vm_request_end(vm, VM_END_ERROR, 0, "event loop: %s",
				       strerror(-ret));
	}
	vcpus_kick(vm);
	vcpus_join(vm);
	status = vm_exit_status(atomic_load(&vm->end), vm->end_code);
	term_restore();
	vm_report(vm, status);
	return status;
}

void vm_destroy(struct vm *vm)
{
	vm_ram_ready(vm);
	vcpus_kick(vm);
	vcpus_join(vm);
	control_close(vm);
	/* Devices first: a device's back-end thread may still be writing to
	 * the console until its transport resets it. */
	while (vm->devices) {
		struct device *d = vm->devices;

		vm->devices = d->next;
		if (d->ops && d->ops->destroy)
			d->ops->destroy(d);
	}
	platform_devs_free(vm);
	console_destroy(vm);
	if (vm->vcpus)
		vcpus_destroy(vm);
	if (vm->arch)
		arch_vm_destroy(vm);
	for (unsigned int i = 0; i < vm->mem.nr; i++)
		munmap(vm->mem.regions[i].hva, vm->mem.regions[i].size);
	vm->mem.nr = 0;
	loop_destroy(&vm->loop);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->sig_fd >= 0)
		close(vm->sig_fd);
	if (vm->timer_fd >= 0)
		close(vm->timer_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
