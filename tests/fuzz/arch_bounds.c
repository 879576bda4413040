/* arch_bounds.c: x86-64's VM bounds and names for the fuzz builds of the snapshot CONFIG decoder and the command line, which link no arch backend. */
#include <stdint.h>

#include "arch.h"

uint64_t arch_min_mem(void)
{
	return 2u << 20;
}

unsigned int arch_max_cpus(void)
{
	return 254;
}

uint64_t arch_exit_port_max(void)
{
	return 0xffff;
}

const char arch_name[] = "x86_64";

int arch_default_exit_port(void)
{
	return 0xf4;
}
