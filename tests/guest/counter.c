/* counter.c: counts and prints "count N" lines (for snapshot tests), then powers off. */
#include "rt.h"

void main64(const u8 *bp);

static u64 arg(const char *cl, const char *key, u64 def)
{
	char buf[24];
	u64 v;

	if (cl && cmdline_get(cl, key, buf, sizeof(buf)) &&
	    parse_num(buf, &v) == 0)
		return v;
	return def;
}

void main64(const u8 *bp)
{
	const char *cl = 0;
	u64 count, delay;

	serial_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	count = arg(cl, "count", 200);
	delay = arg(cl, "delay", 2000);
	for (u64 i = 0; i < count; i++) {
		printf("count %llu\n", (unsigned long long)i);
		for (volatile u64 d = 0; d < delay; d++)
			;
	}
	puts("counter: done\n");
	acpi_poweroff();
}
