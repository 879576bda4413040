/* control_path.c: where control sockets live and which names a VM may have. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "control.h"

#define CONTROL_NAME_MAX 64

int control_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CONTROL_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-") == n;
}

int control_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n = xdg && *xdg ? snprintf(buf, len, "%s/minivmm", xdg)
			    : snprintf(buf, len, "/run/minivmm");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int control_path_for(const char *name, char *buf, size_t len)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n;

	if (!control_name_valid(name))
		return -EINVAL;
	if (control_dir(dir, sizeof(dir)))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s.sock", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
