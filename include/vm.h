/* vm.h: the one VM object, its configuration and its vCPUs. */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "bus.h"
#include "mem.h"
#include "eventloop.h"
#include "virtio/net.h"

struct device;
struct console;
struct control;
struct pci_host;
struct irq_routing;
struct platform_dev;
struct arch_vm;
struct arch_vcpu;
struct kvm_run;

enum kernel_format { KFMT_AUTO = 0, KFMT_BZIMAGE, KFMT_ELF, KFMT_FLAT };
enum console_kind { CONSOLE_SERIAL = 0, CONSOLE_VIRTIO, CONSOLE_SBI /* riscv */ };
enum virtio_transport_kind { VIRTIO_TRANSPORT_PCI = 0, VIRTIO_TRANSPORT_MMIO };

/* -d/--disk PATH[,ro][,direct][,serial=ID] */
#define VM_MAX_DISKS	   8
#define VM_DISK_PATH_MAX   4096
#define VM_DISK_SERIAL_MAX 20
struct vm_disk {
	char path[VM_DISK_PATH_MAX];
	bool ro;
	bool direct;
	char serial[VM_DISK_SERIAL_MAX + 1]; /* "": the default */
	int poll_us;	/* -1: the default (VIRTIO_BLK_POLL_US_DEFAULT) */
	int iothreads;	/* -1: the default (VIRTIO_BLK_IOTHREADS_DEFAULT) */
};

/* Everything the command line says, validated; nothing else is global. */
struct vm_config {
	const char *kernel_path;
	const char *initrd_path;
	const char *cmdline;
	enum kernel_format kernel_format;
	uint64_t mem_size;
	unsigned int nr_cpus;
	const char *name;
	const char *api_path;	  /* control socket; NULL: none */
	const char *serial_log;
	unsigned int timeout_sec; /* 0: none */
	int exit_port;		  /* -1: off */
	bool debug_io;
	bool thp;		  /* --thp: MADV_HUGEPAGE on guest RAM */
	const char *kvm_path;
	const char *dump_dtb;	  /* --dump-dtb FILE (arm64, riscv64), or NULL */
	/* riscv64: --disable-sbi-NAME (bit n: KVM's SBI extension n) and
	 * --timebase-frequency HZ (0: the host's) */
	uint64_t sbi_ext_off;
	uint64_t timebase_hz;
	/* arm64: --irqchip gicv3-its (an ITS for MSIs) and --pmu */
	bool gic_its;
	bool pmu;
	/* virtio devices (vmm/devices_virtio.c) */
	struct vm_disk disks[VM_MAX_DISKS];
	unsigned int nr_disks;
	enum console_kind console;
	bool rng;
	enum virtio_transport_kind virtio_transport;
	/* -n/--network (virtio/net.c), --vsock CID (virtio/vsock.c) */
#define VM_MAX_NETS 4
	struct net_config nets[VM_MAX_NETS];
	unsigned int nr_nets;
	uint64_t vsock_cid;	  /* 0: no vsock device */
};

/* How a run ended; mapped to the process exit status by vm_exit_status(). */
enum vm_end {
	VM_RUNNING = 0,
	VM_END_POWEROFF,
	VM_END_RESET,
	VM_END_DEBUG_EXIT, /* vm->end_code holds the value written */
	VM_END_TIMEOUT,
	VM_END_CRASH,	   /* triple fault, entry failure, KVM internal error */
	VM_END_STOPPED,	   /* signal, Ctrl-A x, stop command */
	VM_END_ERROR,	   /* VMM-side failure */
};

/* Process exit statuses; odd values belong to the debug-exit port. */
#define EXIT_POWEROFF	0
#define EXIT_RESET	2
#define EXIT_TIMEOUT	4
#define EXIT_CRASH	6
#define EXIT_STOPPED	8
#define EXIT_USAGE	64
#define EXIT_BADINPUT	66
#define EXIT_VMMERR	70

struct image {
	const uint8_t *data;
	uint64_t size;
	const char *path;
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	struct arch_vcpu *arch;
	uint64_t exits; /* exits to userspace, for --loglevel debug */
	uint64_t exits_completed; /* of them, completed before a pause */
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	struct guest_mem mem;
	pthread_t ram_thread;  /* registers mem with KVM (vm_ram_ready) */
	bool ram_pending;      /* ram_thread not joined yet */
	int ram_err;	       /* its result */
	struct bus pio;
	struct bus mmio;
	struct event_loop loop;
	struct console *console;
	struct control *control; /* --name / --api socket, or NULL */
	struct device *devices;
	struct pci_host *pci;	       /* PCI bus 0 (arch_devices_init) */
	struct irq_routing *irq;       /* GSI routes: irqchip pins and MSIs */
	/* An interrupt controller the arch emulates in userspace (riscv's
	 * PLIC) drives lines here; NULL: KVM_IRQ_LINE to the in-kernel one. */
	int (*irq_line)(struct vm *vm, uint32_t irq, int level);
	struct platform_dev *platform; /* MMIO devices the arch describes */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	struct arch_vm *arch;
	struct image kernel;
	struct image initrd;

	uint64_t start_ns;     /* CLOCK_MONOTONIC at process start (boot timer) */
	/* Pause: every vCPU parks out of KVM_RUN (vcpus_pause/vcpus_resume). */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	_Atomic bool pause_req;
	unsigned int parked;
	bool paused;	       /* main thread only: the VM is paused */

	int stop_efd;	       /* written when the VM must end */
	int sig_fd;	       /* signalfd: SIGINT, SIGTERM, SIGHUP, SIGQUIT */
	int timer_fd;	       /* --timeout */
	_Atomic int end;	       /* enum vm_end, first writer wins */
	int end_code;
	char end_detail[160];
};

/* The three steps of a start; each reports its own errors once.
 * vm_create: KVM, RAM, irqchip, devices. vm_load: kernel, initrd, command
 * line (errors here are bad input). vm_boot: vCPUs and the tables that list
 * them. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
int vm_load(struct vm *vm);
int vm_boot(struct vm *vm);
/* Waits until KVM knows every RAM bank (registered on a thread from
 * vm_create on); needed before vCPU state that points into guest memory
 * (kvm-clock, steal time, PV EOI MSRs, the ITS tables) and before the
 * first KVM_RUN. Returns the registration's error, already reported. */
int vm_ram_ready(struct vm *vm);
int vm_run(struct vm *vm); /* until the VM ends; returns the exit status */
void vm_destroy(struct vm *vm);

/* Ask the VM to end. Safe from any thread; the first request wins.
 * 'detail' (printf-style) is reported once when the VM ends. */
void vm_request_end(struct vm *vm, enum vm_end end, int code,
		    const char *detail, ...) __attribute__((format(printf, 4, 5)));
bool vm_ending(struct vm *vm);
int vm_exit_status(enum vm_end end, int code);
const char *vm_end_name(enum vm_end end);

/* Raise/lower a device interrupt line; errors are logged once by the caller. */
int vm_irq_line(struct vm *vm, uint32_t irq, int level);

#endif
