/* hello.c: the default demo guest (`make run`): a greeting and the command
 * line on the serial port, a boot-timer mark, then ACPI power-off. */
#include "rt.h"

void main64(const u8 *bp);

void main64(const u8 *bp)
{
	serial_init();
	puts("Hello from a minivmm guest!\n");
	if (bp && rd32(bp, BP_HEADER) == 0x53726448) {
		u64 cl = rd32(bp, BP_CMD_LINE_PTR) |
			 ((u64)rd32(bp, BP_EXT_CMD_LINE_PTR) << 32);

		printf("hello: command line: %s\n",
		       cl ? (const char *)(usize)cl : "(none)");
	}
	boot_timer_mark();
	puts("hello: powering off\n");
	acpi_poweroff();
}
