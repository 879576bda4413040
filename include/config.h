/* config.h: the command line of `minivmm run` turned into a validated vm_config. */
#ifndef MINIVMM_CONFIG_H
#define MINIVMM_CONFIG_H

#include "vm.h"

#define CONFIG_DEFAULT_MEM   (256ULL << 20)
#define CONFIG_MAX_MEM	     (1ULL << 40)

#include "arch.h"

/* Returns 0 when cfg is ready, 1 when help was printed, -EINVAL after
 * printing one line that names the problem (-ENOENT for a missing file).
 * Log level goes to *loglevel. */
int config_parse_run(int argc, char **argv, struct vm_config *cfg,
		     int *loglevel);
void config_usage_run(void);

/*
 * Which device options `minivmm restore` was given. The snapshot records
 * the VM's devices; options given must match that shape and replace the
 * back-ends (snapshot_config_merge), the others are taken from the file.
 * --irqchip and --pmu must say what the snapshot records
 * (snapshot_config_merge_machine).
 */
#define RESTORE_DISKS	  (1u << 0)
#define RESTORE_NETS	  (1u << 1)
#define RESTORE_RNG	  (1u << 2)
#define RESTORE_CONSOLE	  (1u << 3)
#define RESTORE_TRANSPORT (1u << 4)
#define RESTORE_VSOCK	  (1u << 5)
#define RESTORE_IRQCHIP	  (1u << 6)
#define RESTORE_PMU	  (1u << 7)
#define RESTORE_NET_MAC	  (1u << 0) /* in net[i]: guest_mac= spelled out */
#define RESTORE_NET_MQ	  (1u << 1) /* mq= spelled out */
struct restore_given {
	unsigned int opts; /* RESTORE_DISKS ... */
	unsigned int net[VM_MAX_NETS];
};

/* `minivmm restore FILE [options]`: the snapshot path, clock options, the
 * run options that re-attach the VM to this host (console, log, name) and
 * the device back-ends that replace the recorded ones. */
struct restore_args {
	const char *snapshot;
	struct restore_opts opts;
	struct restore_given given;
};
int config_parse_restore(int argc, char **argv, struct vm_config *cfg,
			 struct restore_args *ra, int *loglevel);
void config_usage_restore(void);

#endif
