/* rtc.h: the MC146818 CMOS real-time clock at ports 0x70/0x71. */
#ifndef MINIVMM_DEVICES_RTC_H
#define MINIVMM_DEVICES_RTC_H

#include <time.h>

struct vm;
struct device;

#define RTC_INDEX_PORT 0x70 /* bit 7: NMI mask, ignored */
#define RTC_DATA_PORT  0x71

/* Where the RTC reads the host's time; the default is time(NULL). */
typedef time_t (*rtc_now_fn)(void *opaque);

/*
 * Registers ports 0x70-0x71 on vm->pio and adds the device. The time
 * registers show host UTC plus an offset the guest sets by writing them
 * (the host clock is never touched). No interrupt (IRQ 8) is generated.
 * Returns 0 or -errno.
 */
int rtc_create(struct vm *vm);

/* For tests: replace the clock of the device rtc_create() added.
 * Returns -EINVAL if 'dev' is not an RTC. */
int rtc_set_time_source(struct device *dev, rtc_now_fn now, void *opaque);

#endif
