/* console.h: the guest console: output fan-out (stdout, serial log), input and Ctrl-A x. */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct console;

/* A device that takes console input registers one receiver; it returns how
 * many bytes it accepted (the rest stays queued until console_rx_ready()). */
typedef size_t (*console_rx_fn)(void *opaque, const uint8_t *buf, size_t len);

int console_init(struct vm *vm, const char *log_path);
void console_destroy(struct vm *vm);
/* Guest output: to stdout and the serial log; never blocks the guest for long. */
void console_write(struct console *con, const uint8_t *buf, size_t len);
void console_set_receiver(struct console *con, console_rx_fn fn, void *opaque);
/* The receiver calls this when it can take more input (e.g. RX FIFO drained).
 * Safe from a vCPU thread holding the device lock: it only wakes the loop. */
void console_rx_ready(struct console *con);

#endif
