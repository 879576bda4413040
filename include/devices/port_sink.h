/* port_sink.h: ports the guest pokes only as delays (0x80 POST, 0xed), silently absorbed. */
#ifndef MINIVMM_DEVICES_PORT_SINK_H
#define MINIVMM_DEVICES_PORT_SINK_H

#include <stdint.h>

struct vm;

/* Registers [base, base + len) on vm->pio under 'name' (copied): writes are
 * dropped, reads return all-ones, neither counts as unhandled. 0 or -errno. */
int port_sink_create(struct vm *vm, uint16_t base, uint16_t len,
		     const char *name);

#endif
