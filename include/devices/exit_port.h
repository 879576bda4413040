/* exit_port.h: the isa-debug-exit compatible port that ends the VM with a status. */
#ifndef MINIVMM_DEVICES_EXIT_PORT_H
#define MINIVMM_DEVICES_EXIT_PORT_H

#include <stdint.h>

struct vm;

/* Ports claimed from 'port' on, so a 32-bit write falls inside the range. */
#define EXIT_PORT_LEN 4

/*
 * Registers [port, port + EXIT_PORT_LEN) on vm->pio. A write of value v
 * (masked to the access size) anywhere there ends the VM with
 * VM_END_DEBUG_EXIT and code (int)v; reads return all-ones. 0 or -errno.
 */
int exit_port_create(struct vm *vm, uint16_t port);

#endif
