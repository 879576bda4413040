/* arm64.h: the arm64 backend's guest-physical memory map and interrupt numbers (QEMU virt-like; the backend step may revise them). */
#ifndef MINIVMM_ARM64_H
#define MINIVMM_ARM64_H

/*
 * Below 1 GiB: the GICv3 distributor and redistributors at QEMU virt's
 * addresses (the nested arm64 lane boots guests with this layout), then
 * the 8250 UART. RAM starts at 1 GiB.
 */
#define ARM64_GICD_BASE	    0x08000000ULL
#define ARM64_GICD_SIZE	    0x10000ULL /* 64 KiB */
#define ARM64_GICR_BASE	    0x080a0000ULL
#define ARM64_GICR_STRIDE   0x20000ULL	/* RD + SGI frames per vCPU */
#define ARM64_GICR_MAX_SIZE 0xf60000ULL /* up to 0x09000000: 123 vCPUs */
#define ARM64_UART_BASE	    0x09000000ULL
#define ARM64_UART_SIZE	    0x1000ULL
#define ARM64_UART_CLOCK    1843200U
#define ARM64_RAM_BASE	    0x40000000ULL

/* Interrupt numbers as the device tree writes them (GIC binding). */
#define ARM64_FDT_IRQ_SPI    0U
#define ARM64_FDT_IRQ_PPI    1U
#define ARM64_FDT_LEVEL_HIGH 4U
#define ARM64_UART_SPI	     1U /* INTID 33 */
/* Architected timer PPIs: secure and non-secure physical, virtual, EL2. */
#define ARM64_TIMER_PPI_SEC  13U
#define ARM64_TIMER_PPI_PHYS 14U
#define ARM64_TIMER_PPI_VIRT 11U
#define ARM64_TIMER_PPI_HYP  10U

#endif
