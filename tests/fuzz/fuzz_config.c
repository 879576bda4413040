/* fuzz_config.c: libFuzzer target for the command line of `minivmm run` and `minivmm restore` (every option parser, -d and -n specs included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "config.h"
#include "fuzz.h"
#include "vm.h"

#define MAX_ARGS 64

/*
 * The parsers report bad input on stderr and -h prints the usage on
 * stdout: both go to /dev/null through the stdio streams, while libFuzzer
 * keeps the stream it saved at start-up and the sanitizers write to fd 2.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *null = fopen("/dev/null", "w");

	if (null)
		stdout = stderr = null;
	return 0;
}

/* A string of the config, if set, must be NUL-terminated within reach. */
static void touch(const char *s)
{
	if (s && strlen(s) > (1u << 20))
		abort();
}

/* What a successful parse promises the rest of the VMM. */
static void check(const struct vm_config *cfg, int loglevel)
{
	if (cfg->mem_size < arch_min_mem() || !cfg->nr_cpus ||
	    cfg->nr_cpus > arch_max_cpus() ||
	    cfg->exit_port > (int)arch_exit_port_max() ||
	    cfg->nr_disks > VM_MAX_DISKS || cfg->nr_nets > VM_MAX_NETS)
		abort();
	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		if (!cfg->disks[i].path[0] ||
		    !memchr(cfg->disks[i].path, 0, sizeof(cfg->disks[i].path)))
			abort();
	for (unsigned int i = 0; i < cfg->nr_nets; i++)
		if (!memchr(cfg->nets[i].tapif, 0, sizeof(cfg->nets[i].tapif)) ||
		    !cfg->nets[i].queue_pairs)
			abort();
	touch(cfg->kernel_path);
	touch(cfg->initrd_path);
	touch(cfg->cmdline);
	touch(cfg->name);
	touch(cfg->api_path);
	touch(cfg->serial_log);
	touch(cfg->kvm_path);
	touch(cfg->dump_dtb);
	(void)loglevel;
}

/*
 * Input: one byte (bit 0: restore instead of run), then the arguments
 * separated by NUL bytes. Each argument is its own allocation, so that
 * reading past one is caught.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	struct vm_config cfg;
	struct restore_args ra;
	int argc = 1, loglevel = 0, ret;
	size_t i = 1;

	if (!size)
		return 0;
	argv[0] = strdup(data[0] & 1 ? "restore" : "run");
	while (i < size && argc <= MAX_ARGS) {
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t len = end ? (size_t)(end - (data + i)) : size - i;

		argv[argc] = malloc(len + 1);
		memcpy(argv[argc], data + i, len);
		argv[argc++][len] = 0;
		i += len + 1;
	}
	argv[argc] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	if (data[0] & 1)
		ret = config_parse_restore(argc, argv, &cfg, &ra, &loglevel);
	else
		ret = config_parse_run(argc, argv, &cfg, &loglevel);
	if (!ret)
		check(&cfg, loglevel);
	for (int k = 0; k < argc; k++)
		free(argv[k]);
	return 0;
}
