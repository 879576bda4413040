/* i8042.h: the PS/2 controller stub Linux probes and resets through. */
#ifndef MINIVMM_DEVICES_I8042_H
#define MINIVMM_DEVICES_I8042_H

struct vm;

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64 /* status on read */
#define I8042_KBD_IRQ	   1
#define I8042_AUX_IRQ	   12

/*
 * Registers ports 0x60 and 0x64 on vm->pio and adds the device. Every
 * command is answered at once. Interrupts follow the hardware's output
 * buffer full line: IRQ1 (keyboard byte) or IRQ12 (aux byte) is high while
 * the byte waits and the command byte enables that interrupt; each read of
 * port 0x60 lowers it and raises it again if another byte is queued, so an
 * edge-triggered pin sees one edge per byte. Returns 0 or -errno.
 */
int i8042_create(struct vm *vm);

#endif
