/* unit.h: a tiny assertion kit for host-only unit tests; one binary per area. */
#ifndef MINIVMM_UNIT_H
#define MINIVMM_UNIT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include <unistd.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond)                                                          \
	do {                                                                 \
		unit_checks++;                                               \
		if (!(cond)) {                                               \
			unit_failures++;                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",         \
				__FILE__, __LINE__, #cond);                  \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);             \
		unit_checks++;                                               \
		if (_a != _b) {                                              \
			unit_failures++;                                     \
			fprintf(stderr,                                      \
				"%s:%d: CHECK_EQ failed: %s == %s "          \
				"(0x%" PRIx64 " != 0x%" PRIx64 ")\n",        \
				__FILE__, __LINE__, #a, #b, _a, _b);         \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

/* Around hundreds of refusals: keeps their messages off the terminal. */
static inline int quiet_begin(void)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY);

	fflush(stderr);
	dup2(null, 2);
	close(null);
	return saved;
}

static inline void quiet_end(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

/* Each test binary ends with: return unit_done("name"); */
static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
