/* arch.h: the one small interface every arch backend (arch/<arch>/) implements. */
#ifndef MINIVMM_ARCH_H
#define MINIVMM_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include "mem.h"

struct vm;
struct vcpu;
struct vm_config;

/* Returned by arch_handle_exit. */
enum arch_exit_result { ARCH_EXIT_CONTINUE = 0, ARCH_EXIT_UNHANDLED = 1 };

extern const char arch_name[];

/* Where guest RAM of 'ram_size' bytes goes. Fills banks, returns the count
 * or -errno (with a message) when the size cannot be laid out. */
int arch_mem_layout(uint64_t ram_size, struct mem_bank *banks, unsigned int max);
/* Smallest RAM the backend can boot anything in, and the most vCPUs its
 * tables can describe (KVM's own limit is checked separately). */
uint64_t arch_min_mem(void);
unsigned int arch_max_cpus(void);
/* Default exit-port address for this arch (an I/O port on x86, an MMIO
 * address on arm64), and the largest one --exit-port accepts. */
int arch_default_exit_port(void);
uint64_t arch_exit_port_max(void);
/* The KVM_IRQ_LINE number of the interrupt line devices call 'gsi'
 * (x86: the GSI itself; arm64: an SPI, encoded with its type and INTID). */
uint32_t arch_irq_line_number(uint32_t gsi);

/* VM-wide set-up before any vCPU exists (irqchip, timers, reserved pages). */
int arch_vm_init(struct vm *vm);
/* Platform devices at this arch's addresses (console UART, RTC, ...). */
int arch_devices_init(struct vm *vm);
/* Probe vm->kernel, place kernel, initrd and command line in RAM. */
int arch_load_kernel(struct vm *vm);
/* Per-vCPU set-up: CPUID, MSRs, interrupt controller state. */
int arch_vcpu_init(struct vcpu *vcpu);
/* Boot registers: the boot vCPU at the kernel entry, others waiting. */
int arch_vcpu_reset(struct vcpu *vcpu);
/* After all vCPUs exist: tables that list them (MP table, FDT, ...). */
int arch_vm_finalize(struct vm *vm);
/* Exits the core does not decode itself. 'exit' points at the kvm_run union. */
int arch_handle_exit(struct vcpu *vcpu, uint32_t reason, void *exit);
/* Print the vCPU's registers after a crash. */
void arch_vcpu_dump(struct vcpu *vcpu);
/* At exit, for --loglevel debug (vCPUs joined): the interrupt controller's
 * view (lines, pending and in-service interrupts), a stalled device's
 * post-mortem. */
void arch_irq_report(struct vm *vm);
void arch_vcpu_destroy(struct vcpu *vcpu);

/* Platform (MMIO) devices such as virtio-mmio: the arch hands out guest-
 * physical space and an interrupt line (a GSI), and describes each device
 * registered with platform_dev_add() to the guest (ACPI/FDT/command line). */
int arch_platform_alloc(struct vm *vm, uint64_t size, uint64_t *base,
			uint32_t *gsi);

/* Interrupt routing: the irqchip's GSI routes, as KVM installs them by
 * default (x86: GSI 0-23 to IOAPIC pins, 0-15 also to the PICs). KVM_SET_
 * GSI_ROUTING replaces KVM's whole table, so vmm/irq.c always includes
 * these. Fills out[0..n) and returns n, or -ENOSPC when max is too small. */
struct irq_route;
int arch_irq_default_routes(struct vm *vm, struct irq_route *out,
			    unsigned int max);
/* PCI: the memory windows the guest is told about (a size of 0: none), and
 * the GSI that INTx 'pin' (0 = INTA) of bus 0 'slot' raises (level). */
int arch_pci_mmio_window(uint64_t *base32, uint64_t *size32, uint64_t *base64,
			 uint64_t *size64);
uint32_t arch_pci_intx_gsi(unsigned int slot, unsigned int pin);

/* Snapshots. Save runs with every vCPU paused; restore runs after the vCPUs
 * are created and before the first KVM_RUN, in the order the kernel needs. */
struct snap_writer;
struct snap_reader;
enum clock_mode { CLOCK_CATCH_UP = 0, CLOCK_FREEZE };
struct restore_opts {
	enum clock_mode clock;
	bool allow_tsc_mismatch; /* x86: run with a different TSC frequency */
	bool allow_timebase_mismatch; /* riscv64: another timer frequency */
	bool copy;		 /* read memory eagerly instead of mapping it */
};
unsigned int arch_snapshot_id(void); /* enum snap_arch */
int arch_snapshot_save(struct vm *vm, struct snap_writer *w);
int arch_snapshot_restore(struct vm *vm, struct snap_reader *r,
			  const struct restore_opts *o);
/* Called for each vCPU after a pause (x86: KVM_KVMCLOCK_CTRL). */
void arch_vcpu_paused(struct vcpu *vcpu);
void arch_vm_destroy(struct vm *vm);

#endif
