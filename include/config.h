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

/* `minivmm restore FILE [options]`: the snapshot path, clock options and the
 * run options that re-attach the VM to this host (console, log, name). */
struct restore_args {
	const char *snapshot;
	struct restore_opts opts;
};
int config_parse_restore(int argc, char **argv, struct vm_config *cfg,
			 struct restore_args *ra, int *loglevel);
void config_usage_restore(void);

#endif
