/* acpi_pm.h: the hardware-reduced ACPI sleep and reset registers (power-off and reboot). */
#ifndef MINIVMM_DEVICES_ACPI_PM_H
#define MINIVMM_DEVICES_ACPI_PM_H

#include <stdint.h>

struct vm;

/* Sleep control register bits (ACPI 6.5, 4.8.3.7). */
#define ACPI_PM_SLP_TYP_SHIFT 2
#define ACPI_PM_SLP_TYP_MASK  0x1c
#define ACPI_PM_SLP_EN	      0x20
/* Sleep status register: wake status. */
#define ACPI_PM_WAK_STS 0x80

/*
 * Three 1-byte port registers on vm->pio. Writing SLP_EN with SLP_TYP equal
 * to s5_slp_typ to the sleep control port ends the VM as powered off;
 * writing reset_value to the reset port ends it as reset. Other sleep
 * types are refused (warned about once) and the guest carries on. All
 * reads return 0. Returns 0 or -errno (ports not distinct, bus overlap).
 */
int acpi_pm_create(struct vm *vm, uint16_t sleep_ctl_port,
		   uint16_t sleep_sts_port, uint16_t reset_port,
		   uint8_t s5_slp_typ, uint8_t reset_value);

#endif
