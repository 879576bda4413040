/* version.c: the one place the build's version string lives. */
#include "version.h"

const char *minivmm_version(void)
{
	return MINIVMM_VERSION;
}
