/* rtc.c: the MC146818 CMOS clock: host UTC plus a guest-set offset, and CMOS RAM. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "devices/rtc.h"

#define RTC_SECONDS	 0x00
#define RTC_MINUTES	 0x02
#define RTC_HOURS	 0x04
#define RTC_DAY_OF_WEEK	 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	 0x08
#define RTC_YEAR	 0x09
#define RTC_REG_A	 0x0a
#define RTC_REG_B	 0x0b
#define RTC_REG_C	 0x0c
#define RTC_REG_D	 0x0d
#define RTC_CENTURY	 0x32
#define RTC_CMOS_SIZE	 128

#define REG_A_UIP     0x80
#define REG_A_DEFAULT 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define REG_B_SET     0x80 /* updates halted while the guest sets the time */
#define REG_B_DM      0x04 /* 1: binary, 0: BCD */
#define REG_B_24H     0x02
#define REG_B_DEFAULT REG_B_24H
#define REG_D_VRT     0x80 /* valid RAM and time */
#define HOUR_PM	      0x80 /* 12-hour mode */

struct rtc {
	struct device dev;
	pthread_mutex_t lock;
	rtc_now_fn now;
	void *now_opaque;
	int64_t offset;	 /* guest seconds - host seconds */
	bool frozen;	 /* register B SET: the guest edits 'set_tm' */
	struct tm set_tm;
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE]; /* RAM, alarms, A, B; not the time */
};

static time_t rtc_host_now(void *opaque)
{
	return time(NULL);
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & REG_B_DM;
}

static uint8_t rtc_encode(const struct rtc *r, int v)
{
	if (rtc_binary(r))
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static int rtc_decode(const struct rtc *r, uint8_t v)
{
	if (rtc_binary(r))
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_encode_hour(const struct rtc *r, int hour)
{
	int h12;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_encode(r, hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return rtc_encode(r, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static int rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_decode(r, v);
	return rtc_decode(r, v & (uint8_t)~HOUR_PM) % 12 +
	       (v & HOUR_PM ? 12 : 0);
}

/* The guest's current time, broken down. */
static void rtc_get_tm(struct rtc *r, struct tm *tm)
{
	time_t t;

	if (r->frozen) {
		*tm = r->set_tm;
		return;
	}
	t = (time_t)(r->now(r->now_opaque) + r->offset);
	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/* Make 'tm' the guest's time from now on. */
static void rtc_set_tm(struct rtc *r, struct tm *tm)
{
	time_t t;

	tm->tm_isdst = 0;
	t = timegm(tm);
	r->offset = (int64_t)t - (int64_t)r->now(r->now_opaque);
}

static bool rtc_is_time_reg(unsigned int reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

static uint8_t rtc_read_time(struct rtc *r, unsigned int reg)
{
	struct tm tm;
	int year;

	rtc_get_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (reg) {
	case RTC_SECONDS:
		return rtc_encode(r, tm.tm_sec);
	case RTC_MINUTES:
		return rtc_encode(r, tm.tm_min);
	case RTC_HOURS:
		return rtc_encode_hour(r, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return rtc_encode(r, tm.tm_wday + 1); /* Sunday = 1 */
	case RTC_DAY_OF_MONTH:
		return rtc_encode(r, tm.tm_mday);
	case RTC_MONTH:
		return rtc_encode(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(r, year % 100);
	default:
		return rtc_encode(r, year / 100);
	}
}

/* Replaces one field of the guest's time. The day of the week follows
 * from the date, so writes to it are dropped. */
static void rtc_write_time(struct rtc *r, unsigned int reg, uint8_t v)
{
	struct tm tm;
	int year;

	rtc_get_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (reg) {
	case RTC_SECONDS:
		tm.tm_sec = rtc_decode(r, v);
		break;
	case RTC_MINUTES:
		tm.tm_min = rtc_decode(r, v);
		break;
	case RTC_HOURS:
		tm.tm_hour = rtc_decode_hour(r, v);
		break;
	case RTC_DAY_OF_MONTH:
		tm.tm_mday = rtc_decode(r, v);
		break;
	case RTC_MONTH:
		tm.tm_mon = rtc_decode(r, v) - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = year / 100 * 100 + rtc_decode(r, v) - 1900;
		break;
	case RTC_CENTURY:
		tm.tm_year = rtc_decode(r, v) * 100 + year % 100 - 1900;
		break;
	default:
		return;
	}
	/* While SET is held fields may be inconsistent (day 31, then the
	 * month): keep them raw and normalise when SET is released. */
	if (r->frozen)
		r->set_tm = tm;
	else
		rtc_set_tm(r, &tm);
}

static void rtc_write_reg_b(struct rtc *r, uint8_t v)
{
	bool set = v & REG_B_SET;

	if (set && !r->frozen) {
		rtc_get_tm(r, &r->set_tm);
		r->frozen = true;
	} else if (!set && r->frozen) {
		r->frozen = false;
		rtc_set_tm(r, &r->set_tm);
	}
	r->cmos[RTC_REG_B] = v;
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned int reg)
{
	if (rtc_is_time_reg(reg))
		return rtc_read_time(r, reg);
	switch (reg) {
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] & (uint8_t)~REG_A_UIP;
	case RTC_REG_C:
		return 0; /* no interrupt flags ever; reading clears them */
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void rtc_write_reg(struct rtc *r, unsigned int reg, uint8_t v)
{
	if (rtc_is_time_reg(reg)) {
		rtc_write_time(r, reg, v);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		r->cmos[RTC_REG_A] = v & (uint8_t)~REG_A_UIP;
		break;
	case RTC_REG_B:
		rtc_write_reg_b(r, v);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

static void rtc_read(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len)
{
	struct rtc *r = opaque;

	memset(data, 0xff, len); /* the index port is write-only */
	if (offset > 1 || len < 2 - offset)
		return;
	pthread_mutex_lock(&r->lock);
	data[1 - offset] = rtc_read_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
}

/* Wider writes are split into byte cycles: index first, then data. */
static void rtc_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct rtc *r = opaque;
	uint32_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < len && offset + i < 2; i++) {
		if (offset + i == 0)
			r->index = data[i] & 0x7f; /* bit 7: NMI mask */
		else
			rtc_write_reg(r, r->index, data[i]);
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

static void rtc_destroy(struct device *dev)
{
	struct rtc *r = container_of(dev, struct rtc, dev);

	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Snapshot: CMOS RAM, the index and the guest's offset from host time (so
 * a restored guest's wall clock keeps its offset, not the saved instant). */
static int rtc_save(struct device *dev, struct sbuf *b)
{
	struct rtc *r = container_of(dev, struct rtc, dev);

	pthread_mutex_lock(&r->lock);
	sbuf_put_u8(b, r->index);
	sbuf_put_u64(b, (uint64_t)r->offset);
	sbuf_put_bytes(b, r->cmos, sizeof(r->cmos));
	sbuf_put_u8(b, r->frozen);
	sbuf_put_bytes(b, &(int32_t[]){ r->set_tm.tm_sec, r->set_tm.tm_min,
					r->set_tm.tm_hour, r->set_tm.tm_mday,
					r->set_tm.tm_mon, r->set_tm.tm_year },
		       6 * sizeof(int32_t));
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int rtc_restore(struct device *dev, struct sbuf_reader *in)
{
	struct rtc *r = container_of(dev, struct rtc, dev);
	int32_t tm[6];

	pthread_mutex_lock(&r->lock);
	r->index = sbuf_get_u8(in) & 0x7f;
	r->offset = (int64_t)sbuf_get_u64(in);
	sbuf_get_bytes(in, r->cmos, sizeof(r->cmos));
	r->frozen = sbuf_get_u8(in) != 0;
	sbuf_get_bytes(in, tm, sizeof(tm));
	memset(&r->set_tm, 0, sizeof(r->set_tm));
	r->set_tm.tm_sec = tm[0];
	r->set_tm.tm_min = tm[1];
	r->set_tm.tm_hour = tm[2];
	r->set_tm.tm_mday = tm[3];
	r->set_tm.tm_mon = tm[4];
	r->set_tm.tm_year = tm[5];
	pthread_mutex_unlock(&r->lock);
	return in->err;
}

/* CMOS is battery-backed: a guest reset keeps RAM, time and offset. */
static const struct device_ops rtc_dev_ops = {
	.destroy = rtc_destroy,
	.save = rtc_save,
	.restore = rtc_restore,
};

int rtc_set_time_source(struct device *dev, rtc_now_fn now, void *opaque)
{
	struct rtc *r;

	if (!dev || dev->ops != &rtc_dev_ops || !now)
		return -EINVAL;
	r = container_of(dev, struct rtc, dev);
	pthread_mutex_lock(&r->lock);
	r->now = now;
	r->now_opaque = opaque;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rtc_create(struct vm *vm)
{
	struct rtc *r;
	int err;

	if (!vm)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = pthread_mutex_init(&r->lock, NULL);
	if (err) {
		free(r);
		return -err;
	}
	r->dev.name = "rtc";
	r->dev.ops = &rtc_dev_ops;
	r->now = rtc_host_now;
	r->cmos[RTC_REG_A] = REG_A_DEFAULT;
	r->cmos[RTC_REG_B] = REG_B_DEFAULT;

	err = bus_register(&vm->pio, RTC_INDEX_PORT, 2, &rtc_ops, r, "rtc");
	if (err < 0) {
		rtc_destroy(&r->dev);
		return err;
	}
	vm_add_device(vm, &r->dev);
	return 0;
}
