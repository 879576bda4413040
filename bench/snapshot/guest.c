/* guest.c: the snapshot benchmark guest (a bzImage payload on the guest-test
 * runtime). Its RAM content is the initrd the benchmark passes (the touched
 * set); the guest itself only loops on writing 123 to the boot-timer port
 * 0x440. Whenever it is paused, it is between two of those writes, so the
 * first thing a restored copy does is a boot-timer write, and minivmm's
 * "boot-timer" line marks the first guest instruction after a restore. */
#include "rt.h"

void main64(const u8 *bp);

void main64(const u8 *bp)
{
	(void)bp;
	for (;;)
		__asm__ volatile("1: outb %%al, %%dx\n\tjmp 1b"
				 : : "a"(123), "d"(BOOT_TIMER_PORT));
}
