/* snapshot.h: saving a paused VM to a snapshot file and building a VM back from one. */
#ifndef MINIVMM_SNAPSHOT_H
#define MINIVMM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"
#include "vm.h"

struct snap_reader;
struct sbuf;
struct restore_given;

/* Every vCPU must be paused. Atomic: the file appears whole or not at all. */
int snapshot_save(struct vm *vm, const char *path);

/* Restore: open and validate the file, fill cfg's RAM size, vCPU count and
 * exit port from it. Errors (reported): a bad or foreign file. */
int snapshot_open(const char *path, struct vm_config *cfg,
		  struct snap_reader **r);
/* Then the interrupt controller and PMU (recorded from version 3 of the
 * CONFIG section on), and the devices: the recorded ones (from version 2
 * on), with the back-ends the command line gave (see
 * snapshot_config_merge). -ENOENT: a recorded disk image is missing;
 * -EINVAL: the command line does not match the recorded devices. */
int snapshot_use_devices(struct snap_reader *r, struct vm_config *cfg,
			 const struct restore_given *given);

/*
 * The CONFIG section: RAM size, vCPUs, exit port, the device count and the
 * device-shaping options (disks, console, rng, transport, networks, vsock).
 * Encode records disk paths made absolute. Decode fills rec (zeroed first)
 * and tells whether the file recorded the devices (version 1 did not);
 * -EINVAL when malformed.
 */
int snapshot_config_encode(const struct vm_config *cfg, unsigned int nr_vcpus,
			   unsigned int nr_devices, struct sbuf *out);
int snapshot_config_decode(const void *data, size_t len, struct vm_config *rec,
			   bool *has_devices);
/*
 * cfg holds the command line's device options, given says which were
 * given, rec the recorded ones. Afterwards cfg's device options are the
 * restored VM's: recorded shape, given back-ends (disk paths and direct,
 * tap names and vhost). Given options must keep the shape: the same number
 * of disks with the same read-only-ness (and serial, if spelled out), the
 * same console kind, rng, transport and vsock CID, the same number of
 * networks with the same queue pairs and MAC (when spelled out). One line
 * names the first difference (-EINVAL); a recorded disk image that is not
 * there is -ENOENT.
 */
/* The interrupt controller (gic_its) and PMU: the recorded ones (files
 * before version 3: none); a given --irqchip or --pmu that says otherwise
 * is -EINVAL with one line. */
int snapshot_config_merge_machine(struct vm_config *cfg,
				  const struct vm_config *rec,
				  const struct restore_given *given);
int snapshot_config_merge(struct vm_config *cfg, const struct vm_config *rec,
			  const struct restore_given *given);
/* After vm_create(): RAM, vCPUs, device and arch state. */
int snapshot_restore(struct vm *vm, struct snap_reader *r,
		     const struct restore_opts *o);

#endif
