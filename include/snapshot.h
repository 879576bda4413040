/* snapshot.h: saving a paused VM to a snapshot file and building a VM back from one. */
#ifndef MINIVMM_SNAPSHOT_H
#define MINIVMM_SNAPSHOT_H

#include "arch.h"
#include "vm.h"

struct snap_reader;

/* Every vCPU must be paused. Atomic: the file appears whole or not at all. */
int snapshot_save(struct vm *vm, const char *path);

/* Restore: open and validate the file, fill cfg's RAM size and vCPU count
 * from it (the other fields come from the command line). */
int snapshot_open(const char *path, struct vm_config *cfg,
		  struct snap_reader **r);
/* After vm_create(): RAM, vCPUs, device and arch state. */
int snapshot_restore(struct vm *vm, struct snap_reader *r,
		     const struct restore_opts *o);

#endif
