/* log.c: leveled messages to stderr, prefixed with the program name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Configuration set once by main before threads start (read-only after):
 * the design's documented exception to "no global mutable state". */
static enum log_level log_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_parse_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i]))
			return (int)i;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = { "error: ", "warning: ", "", "debug: " };
	char buf[1024];
	va_list ap;
	int saved_errno = errno;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line so messages from several threads never interleave. */
	fprintf(stderr, "minivmm: %s%s\n", tags[level], buf);
	/* Callers often log strerror(errno) and then return -errno. */
	errno = saved_errno;
}
