/* config.h: the command line of `minivmm run` turned into a validated vm_config. */
#ifndef MINIVMM_CONFIG_H
#define MINIVMM_CONFIG_H

#include "vm.h"

#define CONFIG_DEFAULT_MEM   (256ULL << 20)
#define CONFIG_MAX_MEM	     (1ULL << 40)

/* Returns 0 when cfg is ready, 1 when help was printed, -EINVAL after
 * printing one line that names the problem. Log level goes to *loglevel. */
int config_parse_run(int argc, char **argv, struct vm_config *cfg,
		     int *loglevel);
void config_usage_run(void);

#endif
