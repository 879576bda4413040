/* main.c: the minivmm command: subcommand dispatch and the `run` flow. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "config.h"
#include "log.h"
#include "vcpu.h"
#include "vm.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: minivmm COMMAND [options]\n"
		   "\n"
		   "commands:\n"
		   "  run -k KERNEL [...]   boot a VM (see 'minivmm run --help')\n"
		   "  help                  this text\n"
		   "  version               print the version\n"
		   "\n"
		   "options: -h/--help, -v/--version\n");
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	int loglevel = LOG_WARN, ret, status;

	ret = config_parse_run(argc, argv, &cfg, &loglevel);
	if (ret == 1)
		return 0;
	if (ret == -ENOENT)
		return EXIT_BADINPUT;
	if (ret)
		return EXIT_USAGE;
	log_set_level((enum log_level)loglevel);
	ret = vcpu_signals_init();
	if (ret) {
		pr_err("cannot set up signals: %s", strerror(-ret));
		return EXIT_VMMERR;
	}
	ret = vm_create(&vm, &cfg);
	status = EXIT_VMMERR;
	if (!ret) {
		ret = vm_load(&vm);
		status = EXIT_BADINPUT;
	}
	if (!ret) {
		ret = vm_boot(&vm);
		status = EXIT_VMMERR;
	}
	if (!ret)
		status = vm_run(&vm);
	vm_destroy(&vm);
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-v") || !strcmp(cmd, "--version") ||
	    !strcmp(cmd, "version")) {
		printf("minivmm %s (%s)\n", MINIVMM_VERSION, arch_name);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	fprintf(stderr, "minivmm: unknown command '%s' (see 'minivmm --help')\n",
		cmd);
	return EXIT_USAGE;
}
