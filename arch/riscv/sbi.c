/* sbi.c: the SBI calls KVM hands to userspace, as pure logic over guest RAM and console/reset callbacks. */
#include <stdbool.h>

#include "sbi.h"
#include "util.h"

static void answer(struct kvmr_sbi_exit *e, long error, unsigned long value)
{
	e->ret[0] = (unsigned long)error;
	e->ret[1] = value;
}

/* Legacy v0.1: one value in a0 (putchar 0, getchar the byte or -1). */
static void legacy_putchar(const struct sbi_ctx *c, struct kvmr_sbi_exit *e)
{
	uint8_t ch = (uint8_t)e->args[0];

	if (c->con_write)
		c->con_write(c->opaque, &ch, 1);
	answer(e, 0, 0);
}

static void legacy_getchar(const struct sbi_ctx *c, struct kvmr_sbi_exit *e)
{
	uint8_t ch;

	if (c->con_read && c->con_read(c->opaque, &ch, 1) == 1)
		answer(e, ch, 0);
	else
		answer(e, -1, 0);
}

/*
 * DBCN READ and WRITE: the buffer [addr_lo | addr_hi << 64, + len). On rv64
 * a non-zero addr_hi is an address beyond 2^64. The whole range must be
 * guest RAM in one piece (the spec's "shared memory physical address
 * range"), else INVALID_PARAM; one call then moves at most
 * SBI_DBCN_MAX_CHUNK bytes and reports the count (a partial transfer).
 */
static int dbcn_transfer(const struct sbi_ctx *c, struct kvmr_sbi_exit *e,
			 bool write, unsigned long *count)
{
	uint64_t len = e->args[0], gpa = e->args[1];
	size_t chunk = (size_t)MIN(len, (uint64_t)SBI_DBCN_MAX_CHUNK);
	uint8_t *buf;
	long n;

	if (write ? !c->con_write : !c->con_read)
		return SBI_ERR_DENIED;
	if (e->args[2])
		return SBI_ERR_INVALID_PARAM;
	if (len == 0)
		return SBI_SUCCESS;
	buf = c->mem ? guest_mem_ptr(c->mem, gpa, len) : NULL;
	if (!buf)
		return SBI_ERR_INVALID_PARAM;
	n = write ? c->con_write(c->opaque, buf, chunk)
		  : c->con_read(c->opaque, buf, chunk);
	if (n < 0)
		return SBI_ERR_FAILED;
	*count = (unsigned long)MIN((size_t)n, chunk);
	return SBI_SUCCESS;
}

static int dbcn_write_byte(const struct sbi_ctx *c,
			   const struct kvmr_sbi_exit *e)
{
	uint8_t ch = (uint8_t)e->args[0];

	if (!c->con_write)
		return SBI_ERR_DENIED;
	/* Blocking by the spec: a busy console (0 written) is an I/O error. */
	return c->con_write(c->opaque, &ch, 1) == 1 ? SBI_SUCCESS
						    : SBI_ERR_FAILED;
}

static void dbcn(const struct sbi_ctx *c, struct kvmr_sbi_exit *e)
{
	unsigned long count = 0;
	int err;

	switch (e->function_id) {
	case SBI_DBCN_WRITE:
		err = dbcn_transfer(c, e, true, &count);
		break;
	case SBI_DBCN_READ:
		err = dbcn_transfer(c, e, false, &count);
		break;
	case SBI_DBCN_WRITE_BYTE:
		err = dbcn_write_byte(c, e);
		break;
	default:
		err = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	answer(e, err, count);
}

static bool srst_reason_ok(unsigned long reason)
{
	return reason <= SBI_SRST_REASON_SYSFAIL ||
	       (reason >= SBI_SRST_REASON_IMPL_FIRST &&
		reason <= SBI_SRST_REASON_VENDOR_LAST);
}

/* Normally KVM turns SRST into KVM_EXIT_SYSTEM_EVENT; this covers a kernel
 * that forwards it. Reserved or vendor types and reserved reasons are
 * INVALID_PARAM, as the spec asks for unimplemented ones. */
static enum sbi_action srst(const struct sbi_ctx *c, struct kvmr_sbi_exit *e)
{
	unsigned long type = e->args[0], reason = e->args[1];

	if (e->function_id != SBI_SRST_RESET || !c->system_reset) {
		answer(e, SBI_ERR_NOT_SUPPORTED, 0);
		return SBI_ACTION_RESUME;
	}
	if (type > SBI_SRST_TYPE_WARM_REBOOT || !srst_reason_ok(reason)) {
		answer(e, SBI_ERR_INVALID_PARAM, 0);
		return SBI_ACTION_RESUME;
	}
	/* If the VM resumes after all, the call failed. */
	answer(e, SBI_ERR_FAILED, 0);
	c->system_reset(c->opaque, (uint32_t)type, (uint32_t)reason);
	return SBI_ACTION_RESET;
}

enum sbi_action sbi_handle(const struct sbi_ctx *ctx,
			   struct kvmr_sbi_exit *exit)
{
	switch (exit->extension_id) {
	case SBI_EXT_0_1_CONSOLE_PUTCHAR:
		legacy_putchar(ctx, exit);
		break;
	case SBI_EXT_0_1_CONSOLE_GETCHAR:
		legacy_getchar(ctx, exit);
		break;
	case SBI_EXT_DBCN:
		dbcn(ctx, exit);
		break;
	case SBI_EXT_SRST:
		return srst(ctx, exit);
	default:
		answer(exit, SBI_ERR_NOT_SUPPORTED, 0);
		break;
	}
	return SBI_ACTION_RESUME;
}
