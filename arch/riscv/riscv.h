/* riscv.h: the riscv backend's guest-physical memory map, interrupt numbers and limits. */
#ifndef MINIVMM_RISCV_H
#define MINIVMM_RISCV_H

/*
 * Below 2 GiB: the wired interrupt controller (a userspace PLIC, or the
 * in-kernel APLIC in the same slot), the 8250 UART and virtio-mmio slots,
 * the IMSIC S-level files (in-kernel AIA only), the PCI host's ECAM and its
 * 32-bit memory window (only when virtio devices use PCI; QEMU virt's
 * addresses); RAM starts at 2 GiB.
 */
/* The debug-exit register (--exit-port): 4 bytes of MMIO where QEMU virt
 * has its test device. */
#define RISCV_EXIT_PORT		0x00100000ULL
#define RISCV_IRQCHIP_BASE	0x0c000000ULL
#define RISCV_PLIC_MAX_SIZE	0x04000000ULL /* the PLIC's whole 64 MiB */
/* PLIC: priorities, pending, enables below 2 MiB, then 4 KiB per context. */
#define RISCV_PLIC_SIZE(ctx)	(0x200000ULL + (unsigned long long)(ctx) * 0x1000)
#define RISCV_APLIC_SIZE	0x4000ULL     /* KVM's APLIC, MSI mode */
#define RISCV_UART_BASE		0x10000000ULL
#define RISCV_UART_SIZE		0x1000ULL
#define RISCV_UART_CLOCK	1843200U
#define RISCV_MMIO_BASE		0x10001000ULL /* virtio-mmio slots */
#define RISCV_MMIO_END		0x20000000ULL
#define RISCV_IMSIC_BASE	0x28000000ULL
#define RISCV_IMSIC_STRIDE	0x1000ULL     /* one S-level file per hart */
#define RISCV_PCI_ECAM_BASE	0x30000000ULL
#define RISCV_PCI_ECAM_SIZE	0x100000ULL   /* bus 0 only */
#define RISCV_PCI_MMIO_BASE	0x40000000ULL /* PCI address = CPU address */
#define RISCV_PCI_MMIO_SIZE	0x40000000ULL /* up to RAM */
#define RISCV_RAM_BASE		0x80000000ULL

/* Wired interrupt sources (0 means "none" on both PLIC and APLIC). */
#define RISCV_UART_IRQ		1U
#define RISCV_PLATFORM_IRQ_FIRST 2U
#define RISCV_PLATFORM_IRQ_LAST	59U
/* PCI INTx: INTA-INTD of slot s on sources 60-63, swizzled as through a
 * bridge (as arm64's SPIs), so neighbouring slots spread over the four. */
#define RISCV_PCI_INTX_IRQ	60U
#define RISCV_PCI_INTX_LINES	4U
#define RISCV_NR_SOURCES	63U /* sources 1..63: riscv,ndev, riscv,num-sources */
#define RISCV_IMSIC_NR_IDS	255U /* MSI identities per file: 64n - 1 */

/* Hart-local interrupt numbers (the riscv,cpu-intc cell). */
#define RISCV_IRQ_S_SOFT	1U
#define RISCV_IRQ_S_TIMER	5U
#define RISCV_IRQ_S_EXT		9U

#define RISCV_MAX_CPUS		64U

/* The wired source of INTx 'pin' (0 = INTA) of bus 0's 'slot'. */
static inline unsigned int riscv_pci_intx_irq(unsigned int slot,
					      unsigned int pin)
{
	return RISCV_PCI_INTX_IRQ + (slot + pin) % RISCV_PCI_INTX_LINES;
}

#endif
