/* exit_port.h: the isa-debug-exit compatible port that ends the VM with a status. */
#ifndef MINIVMM_DEVICES_EXIT_PORT_H
#define MINIVMM_DEVICES_EXIT_PORT_H

#include <stdint.h>

struct vm;
struct bus;

/* Bytes claimed from 'addr' on, so a 32-bit write falls inside the range. */
#define EXIT_PORT_LEN 4

/*
 * Registers [addr, addr + EXIT_PORT_LEN) on 'bus': vm->pio (an I/O port,
 * x86) or vm->mmio (arm64, which has no ports). A write of value v (masked
 * to the access size, at most 4 bytes) anywhere there ends the VM with
 * VM_END_DEBUG_EXIT and code (int)v; reads return all-ones. 0 or -errno.
 */
int exit_port_create(struct vm *vm, struct bus *bus, uint64_t addr);

#endif
