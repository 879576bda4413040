/* main.c: the minivmm command: subcommand dispatch, the `run` and `restore` flows, control clients. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "snapshot.h"
#include "snapshot_file.h"
#include "vcpu.h"
#include "version.h"
#include "vm.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minivmm COMMAND [options]\n"
		"\n"
		"commands:\n"
		"  run -k KERNEL [...]          boot a VM (see 'minivmm run --help')\n"
		"  restore SNAPSHOT [...]       resume a saved VM in this process\n"
		"  pause NAME                   pause a running VM (its vCPUs stop)\n"
		"  resume NAME                  resume a paused VM\n"
		"  snapshot NAME FILE           save a VM to FILE (it keeps running)\n"
		"  stop NAME                    stop a VM (its minivmm exits with status 8)\n"
		"  status NAME                  print whether a VM runs or is paused\n"
		"  list                         list the running VMs and their state\n"
		"  help, version\n"
		"\n"
		"NAME is a VM's --name; '--api PATH' before or after NAME talks to the\n"
		"socket at PATH instead.\n");
}

/* Serve the control socket when the VM has a name or an explicit path. */
static int start_control(struct vm *vm, const struct vm_config *cfg)
{
	char path[PATH_MAX];
	int ret;

	if (cfg->api_path)
		return control_listen(vm, cfg->api_path);
	if (!cfg->name)
		return 0;
	ret = control_path_for(cfg->name, path, sizeof(path));
	if (ret) {
		pr_err("no control socket path for %s", cfg->name);
		return ret;
	}
	return control_listen(vm, path);
}

static int prepare(int loglevel)
{
	int ret;

	log_set_level((enum log_level)loglevel);
	ret = vcpu_signals_init();
	if (ret)
		pr_err("cannot set up signals: %s", strerror(-ret));
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	int loglevel = LOG_WARN, ret, status;

	ret = config_parse_run(argc, argv, &cfg, &loglevel);
	if (ret == 1)
		return 0;
	if (ret)
		return ret == -ENOENT ? EXIT_BADINPUT : EXIT_USAGE;
	if (prepare(loglevel))
		return EXIT_VMMERR;
	ret = vm_create(&vm, &cfg);
	status = EXIT_VMMERR;
	if (!ret) {
		ret = vm_load(&vm);
		status = EXIT_BADINPUT;
	}
	if (!ret) {
		status = EXIT_VMMERR;
		ret = vm_boot(&vm);
	}
	if (!ret)
		ret = start_control(&vm, &cfg);
	if (!ret)
		status = vm_run(&vm);
	vm_destroy(&vm);
	return status;
}

static int cmd_restore(int argc, char **argv)
{
	struct restore_args ra;
	struct snap_reader *r = NULL;
	struct vm_config cfg;
	struct vm vm;
	int loglevel = LOG_WARN, ret, status = EXIT_BADINPUT;

	ret = config_parse_restore(argc, argv, &cfg, &ra, &loglevel);
	if (ret == 1)
		return 0;
	if (ret)
		return ret == -ENOENT ? EXIT_BADINPUT : EXIT_USAGE;
	if (prepare(loglevel))
		return EXIT_VMMERR;
	if (snapshot_open(ra.snapshot, &cfg, &r))
		return EXIT_BADINPUT;
	ret = snapshot_use_devices(r, &cfg, &ra.given);
	if (ret) {
		snap_reader_close(r);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_BADINPUT;
	}
	ret = vm_create(&vm, &cfg);
	if (ret)
		status = EXIT_VMMERR;
	if (!ret)
		ret = snapshot_restore(&vm, r, &ra.opts);
	snap_reader_close(r);
	if (!ret) {
		status = EXIT_VMMERR;
		ret = start_control(&vm, &cfg);
	}
	if (!ret)
		status = vm_run(&vm);
	vm_destroy(&vm);
	return status;
}

/* pause|resume|stop|status NAME, snapshot NAME FILE; --api PATH anywhere. */
static int cmd_control(const char *cmd, int argc, char **argv)
{
	const char *args[3] = { NULL, NULL, NULL }, *api = NULL;
	int nargs = 0, want = strcmp(cmd, "snapshot") ? 1 : 2;
	char path[PATH_MAX], line[PATH_MAX + 16], file[PATH_MAX];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--api") && i + 1 < argc)
			api = argv[++i];
		else if (nargs < 3)
			args[nargs++] = argv[i];
	}
	if (api)
		want--; /* the socket names the VM */
	if (nargs != want) {
		fprintf(stderr, "minivmm: usage: minivmm %s %s%s\n", cmd,
			api ? "" : "NAME", want - !api ? " FILE" : "");
		return EXIT_USAGE;
	}
	if (!api) {
		if (control_path_for(args[0], path, sizeof(path))) {
			fprintf(stderr, "minivmm: invalid VM name '%s'\n", args[0]);
			return EXIT_USAGE;
		}
		api = path;
	}
	snprintf(line, sizeof(line), "%s", cmd);
	if (!strcmp(cmd, "snapshot")) {
		const char *f = args[nargs - 1];

		/* The VM may run elsewhere: hand it an absolute path. */
		if (f[0] != '/') {
			if (!getcwd(file, sizeof(file) - strlen(f) - 2))
				return EXIT_VMMERR;
			strcat(file, "/");
			strcat(file, f);
			f = file;
		}
		snprintf(line, sizeof(line), "snapshot %s", f);
	}
	return control_request(api, line) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const char *const control_cmds[] = { "pause", "resume", "stop",
						    "status", "snapshot" };
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
		printf("minivmm %s (%s)\n", minivmm_version(), arch_name);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return control_list();
	for (unsigned int i = 0; i < sizeof(control_cmds) / sizeof(*control_cmds);
	     i++)
		if (!strcmp(cmd, control_cmds[i]))
			return cmd_control(cmd, argc - 1, argv + 1);
	fprintf(stderr, "minivmm: unknown command '%s' (see 'minivmm --help')\n",
		cmd);
	return EXIT_USAGE;
}
