/* control.h: the control socket: a VM serves pause, resume, snapshot, stop, status; subcommands talk to it. */
#ifndef MINIVMM_CONTROL_H
#define MINIVMM_CONTROL_H

#include <stddef.h>

struct vm;

/* Where a VM called name listens: $XDG_RUNTIME_DIR/minivmm/NAME.sock, or
 * /run/minivmm/NAME.sock when XDG_RUNTIME_DIR is unset. */
int control_dir(char *buf, size_t len);
int control_path_for(const char *name, char *buf, size_t len);
/* Only [A-Za-z0-9._-], 1 to 64 characters. */
int control_name_valid(const char *name);

/* Serve the socket at path from the VM's event loop. A stale socket of a
 * dead VM is replaced; a live one is an error (-EADDRINUSE). */
int control_listen(struct vm *vm, const char *path);
void control_close(struct vm *vm);

/* Client side: send one command line, print the reply; returns the process
 * exit status (0 when the VM answered ok). */
int control_request(const char *path, const char *cmd);
/* `minivmm list`: every live VM under control_dir(), stale sockets removed. */
int control_list(void);

#endif
