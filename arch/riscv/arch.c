/* arch.c: the riscv64 backend behind include/arch.h: memory map, irqchip (in-kernel AIA or userspace PLIC), UART, PCI host (ECAM) and exit register, Image boot with a device tree, SBI exits, snapshots (state.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "devices_virtio.h"
#include "fdt_builder.h"
#include "kvm_riscv.h"
#include "log.h"
#include "platform.h"
#include "riscv.h"
#include "riscv_fdt.h"
#include "riscv_state.h"
#include "riscv_vm.h"
#include "snapshot_file.h"
#include "util.h"
#include "vm.h"
#include "devices/exit_port.h"
#include "devices/pci.h"
#include "devices/uart8250.h"

#define RISCV_MIN_MEM	 (16 * MiB)
/* G-stage translation is at least Sv39x4: 41-bit guest-physical addresses. */
#define RISCV_GPA_LIMIT	 (1ULL << 41)
#define RISCV_PAGE	 0x1000ULL
/* Guest command line defaults; --console sbi puts the console on hvc0. */
#define RISCV_CMDLINE_SERIAL "console=ttyS0 panic=-1"
#define RISCV_CMDLINE_SBI    "console=hvc0 panic=-1"

const char arch_name[] = "riscv64";

uint64_t arch_min_mem(void)
{
	return RISCV_MIN_MEM;
}

unsigned int arch_max_cpus(void)
{
	return RISCV_MAX_CPUS;
}

int arch_default_exit_port(void)
{
	return (int)RISCV_EXIT_PORT;
}

/* Any MMIO address below RAM. */
uint64_t arch_exit_port_max(void)
{
	return RISCV_RAM_BASE - EXIT_PORT_LEN;
}

/* Wired sources are their own KVM_IRQ_LINE numbers (in-kernel AIA). */
uint32_t arch_irq_line_number(uint32_t gsi)
{
	return gsi;
}

/* One bank from 2 GiB up. */
int arch_mem_layout(uint64_t ram_size, struct mem_bank *banks, unsigned int max)
{
	if (max < 1)
		return -EINVAL;
	if (ram_size > RISCV_GPA_LIMIT - RISCV_RAM_BASE) {
		pr_err("-m: at most %" PRIu64 " GiB of RAM on riscv64 (RAM "
		       "starts at 2 GiB in a 41-bit guest-physical space)",
		       (uint64_t)((RISCV_GPA_LIMIT - RISCV_RAM_BASE) / GiB));
		return -EINVAL;
	}
	banks[0] = (struct mem_bank){RISCV_RAM_BASE, ram_size};
	return 1;
}

int arch_vm_init(struct vm *vm)
{
	vm->arch = calloc(1, sizeof(*vm->arch));
	if (!vm->arch)
		return -ENOMEM;
	vm->arch->aia_fd = -1;
	vm->arch->platform_next = RISCV_MMIO_BASE;
	vm->arch->platform_irq = RISCV_PLATFORM_IRQ_FIRST;
	pthread_mutex_init(&vm->arch->in_lock, NULL);
	return riscv_irqchip_create(vm);
}

/* The UART feeds the console; --console sbi then takes its input over.
 * The PCI host only when virtio devices go on PCI: a VM without them keeps
 * the device list, device tree and snapshots it had before. */
int arch_devices_init(struct vm *vm)
{
	int ret = uart8250_create(vm, &vm->mmio, RISCV_UART_BASE,
				  RISCV_UART_IRQ, vm->console, NULL);

	if (ret)
		return ret;
	riscv_sbi_console_init(vm);
	if (virtio_devices_on_pci(vm->cfg)) {
		ret = pci_host_create_ecam(vm, RISCV_PCI_ECAM_BASE,
					   RISCV_PCI_ECAM_SIZE, &vm->pci);
		if (ret) {
			if (ret != -EEXIST) /* the bus named the overlap */
				pr_err("cannot create the PCI host (ECAM at "
				       "0x%llx): %s",
				       (unsigned long long)RISCV_PCI_ECAM_BASE,
				       strerror(-ret));
			return ret;
		}
	}
	if (vm->cfg->exit_port < 0)
		return 0;
	return exit_port_create(vm, &vm->mmio, (uint64_t)vm->cfg->exit_port);
}

/* The initrd at the top of RAM, the device tree below it: both above the
 * kernel. */
static int place_boot_data(struct vm *vm, char *err, size_t errlen)
{
	struct arch_vm *a = vm->arch;
	uint64_t ram_end = vm->mem.regions[0].gpa + vm->mem.regions[0].size;
	uint64_t top = ram_end;

	a->initrd_size = vm->initrd.data ? vm->initrd.size : 0;
	if (a->initrd_size) {
		if (a->initrd_size > top - a->img.end) {
			snprintf(err, errlen, "the initrd (%" PRIu64 " bytes) "
				 "does not fit in RAM above the kernel",
				 a->initrd_size);
			return -ENOSPC;
		}
		a->initrd_start = ALIGN_DOWN(top - a->initrd_size, RISCV_PAGE);
		top = a->initrd_start;
	}
	if (top - a->img.end < RISCV_FDT_MAX_SIZE + RISCV_PAGE) {
		snprintf(err, errlen, "no room for the device tree above the "
			 "kernel (use more -m)");
		return -ENOSPC;
	}
	a->fdt_addr = ALIGN_DOWN(top - RISCV_FDT_MAX_SIZE, RISCV_PAGE);
	return 0;
}

int arch_load_kernel(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	const struct mem_region *r = &vm->mem.regions[0];
	char err[256] = "";
	int ret;

	if (vm->cfg->kernel_format != KFMT_AUTO) {
		pr_err("--kernel-format: riscv64 boots a Linux Image only "
		       "(leave it at auto)");
		return -EINVAL;
	}
	ret = riscv_image_parse(&vm->kernel, &a->img, err, sizeof(err));
	if (!ret)
		ret = riscv_image_place(&a->img, r->gpa, r->size, err,
					sizeof(err));
	if (!ret)
		ret = place_boot_data(vm, err, sizeof(err));
	if (!ret)
		ret = riscv_image_load(&vm->mem, &vm->kernel, &a->img, err,
				       sizeof(err));
	if (!ret && a->initrd_size &&
	    guest_mem_write(&vm->mem, a->initrd_start, vm->initrd.data,
			    vm->initrd.size)) {
		snprintf(err, sizeof(err),
			 "cannot copy the initrd to 0x%" PRIx64, a->initrd_start);
		ret = -EFAULT;
	}
	if (ret) {
		pr_err("cannot load %s: %s", vm->kernel.path,
		       err[0] ? err : strerror(-ret));
		return ret;
	}
	pr_debug("kernel at 0x%" PRIx64 "-0x%" PRIx64 ", device tree at "
		 "0x%" PRIx64 ", initrd at 0x%" PRIx64 " (%" PRIu64 " bytes)",
		 a->img.load, a->img.end, a->fdt_addr, a->initrd_start,
		 a->initrd_size);
	return 0;
}

static char *cmdline(const struct vm_config *cfg)
{
	const char *def = cfg->console == CONSOLE_SBI ? RISCV_CMDLINE_SBI
						      : RISCV_CMDLINE_SERIAL;
	size_t len = strlen(def) + 1 + strlen(cfg->cmdline) + 1;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s%s%s", def, *cfg->cmdline ? " " : "",
			 cfg->cmdline);
	return s;
}

/* The platform devices registered so far (all virtio-mmio today). */
static struct riscv_fdt_mmio *platform_nodes(struct vm *vm, unsigned int *nr)
{
	struct riscv_fdt_mmio *m =
	    calloc(platform_dev_count(vm) + 1, sizeof(*m));
	unsigned int n = 0;

	if (!m)
		return NULL;
	for (struct platform_dev *p = vm->platform; p; p = p->next)
		if (!strcmp(p->kind, PLATFORM_VIRTIO_MMIO))
			m[n++] = (struct riscv_fdt_mmio){p->base, p->size,
							 p->gsi};
	*nr = n;
	return m;
}

static void fdt_cfg(struct vm *vm, struct riscv_fdt_cfg *c)
{
	const struct arch_vm *a = vm->arch;
	const struct riscv_hart_info *h = &a->hart;

	*c = (struct riscv_fdt_cfg){
	    .ram_base = vm->mem.regions[0].gpa,
	    .ram_size = vm->mem.regions[0].size,
	    .nr_cpus = vm->nr_vcpus,
	    .xlen = 64,
	    .isa = h->isa,
	    .satp_mode = h->satp_mode,
	    .timebase_hz = h->timebase_hz,
	    .cbom_block_size = h->cbom_block_size,
	    .cboz_block_size = h->cboz_block_size,
	    .irqchip = a->irqchip,
	    .irqchip_base = RISCV_IRQCHIP_BASE,
	    .irqchip_size = a->irqchip == RISCV_IRQCHIP_AIA
				? RISCV_APLIC_SIZE
				: RISCV_PLIC_SIZE(vm->nr_vcpus),
	    .nr_sources = RISCV_NR_SOURCES,
	    .imsic_base = RISCV_IMSIC_BASE,
	    .imsic_nr_ids = RISCV_IMSIC_NR_IDS,
	    .uart_base = RISCV_UART_BASE,
	    .uart_size = RISCV_UART_SIZE,
	    .uart_irq = RISCV_UART_IRQ,
	    .uart_clock = RISCV_UART_CLOCK,
	    .pci = vm->pci != NULL,
	    .initrd_start = a->initrd_start,
	    .initrd_size = a->initrd_size,
	};
	memcpy(c->isa_ext, h->isa_ext, sizeof(c->isa_ext));
}

static int write_fdt(struct vm *vm, void *fdt)
{
	struct riscv_fdt_cfg cfg;
	char err[256] = "";
	char *bootargs = cmdline(vm->cfg);
	unsigned int nr_mmio = 0;
	struct riscv_fdt_mmio *mmio = platform_nodes(vm, &nr_mmio);
	int ret = -ENOMEM;

	if (bootargs && mmio) {
		fdt_cfg(vm, &cfg);
		cfg.bootargs = bootargs;
		cfg.mmio = mmio;
		cfg.nr_mmio = nr_mmio;
		ret = riscv_fdt_build(&cfg, fdt, RISCV_FDT_MAX_SIZE, err,
				      sizeof(err));
		if (!ret && vm->cfg->dump_dtb)
			ret = fdtb_write_file(fdt, vm->cfg->dump_dtb, err,
					      sizeof(err));
		if (ret)
			pr_err("%s", err[0] ? err : strerror(-ret));
	}
	free(bootargs);
	free(mmio);
	if (!ret && guest_mem_write(&vm->mem, vm->arch->fdt_addr, fdt,
				    RISCV_FDT_MAX_SIZE)) {
		pr_err("cannot copy the device tree to 0x%" PRIx64,
		       vm->arch->fdt_addr);
		ret = -EFAULT;
	}
	return ret;
}

/* Once every vCPU exists: AIA's IMSIC files, then the device tree with
 * the harts as the boot vCPU describes them. */
int arch_vm_finalize(struct vm *vm)
{
	void *fdt;
	int ret = riscv_irqchip_finalize(vm);

	if (ret)
		return ret;
	fdt = calloc(1, RISCV_FDT_MAX_SIZE);
	if (!fdt)
		return -ENOMEM;
	ret = write_fdt(vm, fdt);
	free(fdt);
	return ret;
}

/* SRST arrives as a system event, which the core decodes; the SBI calls
 * KVM forwards come here. */
int arch_handle_exit(struct vcpu *vcpu, uint32_t reason, void *exit)
{
	if (reason == KVMR_EXIT_RISCV_SBI)
		return riscv_sbi_exit(vcpu, exit);
	return ARCH_EXIT_UNHANDLED;
}

unsigned int arch_snapshot_id(void)
{
	return SNAP_ARCH_RISCV64;
}

static uint64_t host_realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static const struct riscv_host host = {host_realtime_ns};

int arch_snapshot_save(struct vm *vm, struct snap_writer *w)
{
	return riscv_state_save(vm, w, &host);
}

int arch_snapshot_restore(struct vm *vm, struct snap_reader *r,
			  const struct restore_opts *o)
{
	return riscv_state_restore(vm, r, o, &host);
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch)
		return;
	riscv_irqchip_destroy(vm);
	pthread_mutex_destroy(&vm->arch->in_lock);
	free(vm->arch);
	vm->arch = NULL;
}
