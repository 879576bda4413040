/* arm64.h: the arm64 backend's guest-physical memory map and interrupt numbers (QEMU virt-like; the backend step may revise them). */
#ifndef MINIVMM_ARM64_H
#define MINIVMM_ARM64_H

#include <stdint.h>

/*
 * Below 1 GiB: the GICv3 distributor and redistributors at QEMU virt's
 * addresses (the nested arm64 lane boots guests with this layout), then
 * the 8250 UART. RAM starts at 1 GiB.
 */
#define ARM64_GICD_BASE	    0x08000000ULL
#define ARM64_GICD_SIZE	    0x10000ULL /* 64 KiB */
/* The ITS (--irqchip gicv3-its): its control and translation frames. */
#define ARM64_GITS_BASE	    0x08080000ULL
#define ARM64_GITS_SIZE	    0x20000ULL /* to the redistributors */
#define ARM64_GICR_BASE	    0x080a0000ULL
#define ARM64_GICR_STRIDE   0x20000ULL	/* RD + SGI frames per vCPU */
#define ARM64_GICR_MAX_SIZE 0xf60000ULL /* up to 0x09000000: 123 vCPUs */
#define ARM64_UART_BASE	    0x09000000ULL
#define ARM64_UART_SIZE	    0x1000ULL
#define ARM64_UART_CLOCK    1843200U
/* The debug-exit register (--exit-port): 4 bytes of MMIO, no I/O ports. */
#define ARM64_EXIT_PORT	    0x09010000ULL
/* Guest-physical space handed out to platform (virtio-mmio) devices. */
#define ARM64_PLATFORM_BASE 0x0a000000ULL
#define ARM64_PLATFORM_END  0x0c000000ULL
/* PCI: a 32-bit memory window (PCI address = CPU address), then the ECAM
 * configuration window for bus 0 only (1 MiB). */
#define ARM64_PCI_MMIO_BASE 0x10000000ULL
#define ARM64_PCI_MMIO_SIZE 0x20000000ULL /* to 0x2fffffff */
#define ARM64_PCI_ECAM_BASE 0x30000000ULL
#define ARM64_PCI_ECAM_SIZE 0x100000ULL
#define ARM64_RAM_BASE	    0x40000000ULL
/* KVM's default IPA space is 40 bits: RAM ends at 1 TiB at the latest. */
#define ARM64_IPA_LIMIT	    (1ULL << 40)

/* One redistributor (RD + SGI frames) per vCPU, below the UART. */
#define ARM64_MAX_CPUS ((unsigned int)(ARM64_GICR_MAX_SIZE / ARM64_GICR_STRIDE))

/* Interrupt numbers as the device tree writes them (GIC binding). */
#define ARM64_FDT_IRQ_SPI    0U
#define ARM64_FDT_IRQ_PPI    1U
#define ARM64_FDT_LEVEL_HIGH 4U
#define ARM64_UART_SPI	     1U /* INTID 33 */
/* PCI INTx: INTA-INTD of slot s on SPIs 4-7, swizzled as through a bridge
 * (slot s pin p on SPI 4 + (s + p) % 4), so the map tells 4 slots apart. */
#define ARM64_PCI_INTX_SPI   4U
#define ARM64_PCI_INTX_LINES 4U
/* Platform devices get SPIs from here on; the vGIC has ARM64_NR_IRQS. */
#define ARM64_PLATFORM_SPI   16U
#define ARM64_NR_IRQS	     128U /* 32 private + 96 SPIs */
#define ARM64_NR_SPIS	     (ARM64_NR_IRQS - ARM64_SPI_BASE)
#define ARM64_SPI_BASE	     32U /* INTID of SPI 0 */
/* Architected timer PPIs: secure and non-secure physical, virtual, EL2. */
#define ARM64_TIMER_PPI_SEC  13U
#define ARM64_TIMER_PPI_PHYS 14U
#define ARM64_TIMER_PPI_VIRT 11U
#define ARM64_TIMER_PPI_HYP  10U
/* The PMU's overflow interrupt (--pmu): PPI 7, INTID 23. */
#define ARM64_PMU_PPI	     7U
#define ARM64_PPI_BASE	     16U /* INTID of PPI 0 */


/*
 * Devices name their interrupt line by SPI number (the core's "GSI"; also
 * what KVM's default routing uses for irqfds). KVM_IRQ_LINE on arm64 takes
 * irq_type[31:24] | vcpu_index[23:16] | irq_id[15:0]; an SPI is type 1
 * with the INTID (SPI + 32) and no vCPU.
 */
#define ARM64_IRQ_TYPE_SHIFT 24
#define ARM64_IRQ_TYPE_SPI   1U
#define ARM64_IRQ_NUM_MASK   0xffffU

/* pin: 0 = INTA ... 3 = INTD. */
static inline uint32_t arm64_pci_intx_spi(unsigned int slot, unsigned int pin)
{
	return ARM64_PCI_INTX_SPI + (slot + pin) % ARM64_PCI_INTX_LINES;
}

static inline uint32_t arm64_irq_line(uint32_t spi)
{
	return ARM64_IRQ_TYPE_SPI << ARM64_IRQ_TYPE_SHIFT |
	       ((spi + ARM64_SPI_BASE) & ARM64_IRQ_NUM_MASK);
}

#endif
