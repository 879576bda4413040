/* boot_timer.h: the Firecracker-style boot timer port the guest pokes when it is up. */
#ifndef MINIVMM_DEVICES_BOOT_TIMER_H
#define MINIVMM_DEVICES_BOOT_TIMER_H

struct vm;

#define MINIVMM_BOOT_TIMER_PORT	 0x440
#define MINIVMM_BOOT_TIMER_MAGIC 123

/*
 * Registers port 0x440 on vm->pio. A byte write of 123 logs the time since
 * vm->start_ns (wall) and the process CPU time, and always prints
 * "minivmm: boot-timer wall_us=N cpu_us=M" to stderr. Other writes are
 * ignored, reads return 0xff. Returns 0 or -errno.
 */
int boot_timer_create(struct vm *vm);

#endif
