/* arch.c: the arm64 backend behind include/arch.h: memory map, vGICv3 (ITS), PMU, UART, PCI host (ECAM) and exit register, Image boot with a device tree. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "arm64.h"
#include "arm64_fdt.h"
#include "arm64_state.h"
#include "arm64_vm.h"
#include "devices_virtio.h"
#include "fdt_builder.h"
#include "kimage.h"
#include "kvm.h"
#include "log.h"
#include "onereg_state.h"
#include "platform.h"
#include "snapshot_file.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"
#include "devices/exit_port.h"
#include "devices/pci.h"
#include "devices/uart8250.h"

#define ARM64_MIN_MEM (8 * MiB)

const char arch_name[] = "arm64";

uint64_t arch_min_mem(void)
{
	return ARM64_MIN_MEM;
}

unsigned int arch_max_cpus(void)
{
	return ARM64_MAX_CPUS;
}

int arch_default_exit_port(void)
{
	return (int)ARM64_EXIT_PORT;
}

/* Any MMIO address below RAM. */
uint64_t arch_exit_port_max(void)
{
	return ARM64_RAM_BASE - EXIT_PORT_LEN;
}

uint32_t arch_irq_line_number(uint32_t gsi)
{
	return arm64_irq_line(gsi);
}

/* One bank from 1 GiB up, inside KVM's default 40-bit IPA space. */
int arch_mem_layout(uint64_t ram_size, struct mem_bank *banks, unsigned int max)
{
	if (max < 1)
		return -EINVAL;
	if (ram_size > ARM64_IPA_LIMIT - ARM64_RAM_BASE) {
		pr_err("-m: at most %" PRIu64 " GiB of RAM on arm64 (RAM "
		       "starts at 1 GiB in a 40-bit guest-physical space)",
		       (uint64_t)((ARM64_IPA_LIMIT - ARM64_RAM_BASE) / GiB));
		return -EINVAL;
	}
	banks[0] = (struct mem_bank){ARM64_RAM_BASE, ram_size};
	return 1;
}

int arch_vm_init(struct vm *vm)
{
	long ret;

	vm->arch = calloc(1, sizeof(*vm->arch));
	if (!vm->arch)
		return -ENOMEM;
	vm->arch->gic_fd = -1;
	vm->arch->its_fd = -1;
	vm->arch->platform_next = ARM64_PLATFORM_BASE;
	vm->arch->platform_spi = ARM64_PLATFORM_SPI;
	if (vm->cfg->pmu && kvm_check_cap(vm, KVMA_CAP_ARM_PMU_V3) <= 0) {
		pr_err("--pmu: this host's KVM cannot give guests a PMU "
		       "(no KVM_CAP_ARM_PMU_V3: no PMU on the host, or it is "
		       "not usable by KVM)");
		return -EOPNOTSUPP;
	}
	ret = kvm_vm_ioctl(vm, KVMA_ARM_PREFERRED_TARGET, &vm->arch->init);
	if (ret < 0) {
		pr_err("KVM_ARM_PREFERRED_TARGET failed: %s",
		       strerror((int)-ret));
		return (int)ret;
	}
	return arm64_gic_create(vm);
}

int arch_devices_init(struct vm *vm)
{
	int ret = uart8250_create(vm, &vm->mmio, ARM64_UART_BASE,
				  ARM64_UART_SPI, vm->console, NULL);

	if (ret)
		return ret;
	/* The PCI host only when virtio devices go on PCI: a VM without
	 * them keeps the device list (and snapshots) it had before. */
	ret = virtio_devices_on_pci(vm->cfg)
		  ? pci_host_create_ecam(vm, ARM64_PCI_ECAM_BASE,
					 ARM64_PCI_ECAM_SIZE, &vm->pci)
		  : 0;
	if (ret) {
		if (ret != -EEXIST) /* the bus named the overlap */
			pr_err("cannot create the PCI host (ECAM at 0x%llx): %s",
			       (unsigned long long)ARM64_PCI_ECAM_BASE,
			       strerror(-ret));
		return ret;
	}
	if (vm->cfg->exit_port < 0)
		return 0;
	return exit_port_create(vm, &vm->mmio, (uint64_t)vm->cfg->exit_port);
}

static int load_initrd(struct vm *vm, const struct arm64_boot *b)
{
	if (!b->initrd_size ||
	    !guest_mem_write(&vm->mem, b->initrd_start, vm->initrd.data,
			     vm->initrd.size))
		return 0;
	pr_err("cannot copy the initrd to 0x%" PRIx64, b->initrd_start);
	return -EFAULT;
}

/* An Image at its 2 MiB-aligned base + text_offset, the initrd at the top
 * of RAM, room for the device tree (written by arch_vm_finalize) below it. */
int arch_load_kernel(struct vm *vm)
{
	struct arm64_boot *b = &vm->arch->boot;
	char err[256] = "";
	int ret;

	if (vm->cfg->kernel_format != KFMT_AUTO) {
		pr_err("--kernel-format: arm64 boots a Linux Image only "
		       "(leave it at auto)");
		return -EINVAL;
	}
	ret = arm64_image_parse(&vm->kernel, &b->img, err, sizeof(err));
	if (!ret)
		ret = arm64_boot_place(
		    b, vm->mem.regions[0].gpa, vm->mem.regions[0].size,
		    vm->initrd.data ? vm->initrd.size : 0, err, sizeof(err));
	if (!ret)
		ret = kimage_load(&vm->mem, &vm->kernel, b->img.load,
				  b->img.image_size, err, sizeof(err));
	if (ret) {
		pr_err("cannot load %s: %s", vm->kernel.path,
		       err[0] ? err : strerror(-ret));
		return ret;
	}
	pr_debug("kernel at 0x%" PRIx64 "-0x%" PRIx64
		 ", device tree at 0x%" PRIx64 ", initrd at 0x%" PRIx64
		 " (%" PRIu64 " bytes)",
		 b->img.load, b->img.end, b->fdt_addr, b->initrd_start,
		 b->initrd_size);
	return load_initrd(vm, b);
}

static int read_mpidrs(struct vm *vm, uint64_t *mpidr)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		int ret = onereg_get_u64(&vm->vcpus[i],
					 KVMA_REG_ARM64_SYSREG | SYS_MPIDR_EL1,
					 &mpidr[i]);

		if (ret) {
			pr_err("vCPU %u: reading MPIDR_EL1: %s", i,
			       strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The platform devices registered so far (all virtio-mmio today). */
static struct arm64_fdt_mmio *platform_nodes(struct vm *vm, unsigned int *nr)
{
	struct arm64_fdt_mmio *m =
	    calloc(platform_dev_count(vm) + 1, sizeof(*m));
	unsigned int n = 0;

	if (!m)
		return NULL;
	for (struct platform_dev *p = vm->platform; p; p = p->next)
		if (!strcmp(p->kind, PLATFORM_VIRTIO_MMIO))
			m[n++] = (struct arm64_fdt_mmio){p->base, p->size,
							 p->gsi};
	*nr = n;
	return m;
}

static int write_fdt(struct vm *vm, const uint64_t *mpidr, void *fdt)
{
	const struct arm64_boot *b = &vm->arch->boot;
	struct arm64_fdt_cfg cfg;
	char err[256] = "";
	char *bootargs = arm64_cmdline(vm->cfg->cmdline);
	unsigned int nr_mmio = 0;
	struct arm64_fdt_mmio *mmio = platform_nodes(vm, &nr_mmio);
	int ret;

	if (!bootargs || !mmio) {
		free(bootargs);
		free(mmio);
		return -ENOMEM;
	}
	arm64_boot_fdt_cfg(b, vm->nr_vcpus, mpidr, bootargs, &cfg);
	cfg.virtio_mmio = mmio;
	cfg.nr_virtio_mmio = nr_mmio;
	cfg.pci = vm->pci != NULL;
	cfg.its = vm->arch->its_fd >= 0;
	cfg.pmu = vm->cfg->pmu;
	ret = arm64_fdt_build(&cfg, fdt, ARM64_FDT_MAX_SIZE, err, sizeof(err));
	free(bootargs);
	free(mmio);
	if (!ret && vm->cfg->dump_dtb)
		ret = fdtb_write_file(fdt, vm->cfg->dump_dtb, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	ret = guest_mem_write(&vm->mem, b->fdt_addr, fdt, ARM64_FDT_MAX_SIZE);
	if (ret)
		pr_err("cannot copy the device tree to 0x%" PRIx64,
		       b->fdt_addr);
	return ret;
}

/* Once every vCPU exists: the vGIC's redistributors (and the ITS), the
 * vCPUs' PMUs, then the device tree with each vCPU's MPIDR as KVM reports
 * it. */
int arch_vm_finalize(struct vm *vm)
{
	uint64_t *mpidr;
	void *fdt;
	int ret = arm64_gic_init(vm);

	if (!ret && vm->cfg->pmu)
		ret = arm64_pmu_init(vm);
	if (ret)
		return ret;
	mpidr = calloc(vm->nr_vcpus, sizeof(*mpidr));
	fdt = calloc(1, ARM64_FDT_MAX_SIZE);
	if (!mpidr || !fdt)
		ret = -ENOMEM;
	if (!ret)
		ret = read_mpidrs(vm, mpidr);
	if (!ret)
		ret = write_fdt(vm, mpidr, fdt);
	free(mpidr);
	free(fdt);
	return ret;
}

/* PSCI SYSTEM_OFF/RESET arrive as system events, which the core decodes. */
int arch_handle_exit(struct vcpu *vcpu, uint32_t reason, void *exit)
{
	return ARCH_EXIT_UNHANDLED;
}

unsigned int arch_snapshot_id(void)
{
	return SNAP_ARCH_ARM64;
}

static uint64_t host_realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* CNTFRQ_EL0: the counter's frequency (readable at EL0 under Linux). */
static uint64_t host_counter_hz(void)
{
	uint64_t hz = 0;

#ifdef __aarch64__
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
#endif
	return hz;
}

int arch_snapshot_save(struct vm *vm, struct snap_writer *w)
{
	const struct arm64_host h = {host_realtime_ns, host_counter_hz()};

	return arm64_state_save(vm, w, &h);
}

int arch_snapshot_restore(struct vm *vm, struct snap_reader *r,
			  const struct restore_opts *o)
{
	const struct arm64_host h = {host_realtime_ns, host_counter_hz()};

	return arm64_state_restore(vm, r, o, &h);
}

void arch_vm_destroy(struct vm *vm)
{
	if (vm->arch->its_fd >= 0)
		close(vm->arch->its_fd);
	if (vm->arch->gic_fd >= 0)
		close(vm->arch->gic_fd);
	free(vm->arch);
	vm->arch = NULL;
}
