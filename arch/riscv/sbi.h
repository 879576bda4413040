/* sbi.h: answers the SBI calls KVM forwards to userspace (KVM_EXIT_RISCV_SBI): legacy console, DBCN, SRST; everything else is "not supported". */
#ifndef MINIVMM_RISCV_SBI_H
#define MINIVMM_RISCV_SBI_H

#include <stddef.h>
#include <stdint.h>

#include "kvm_riscv.h"
#include "mem.h"

/* SBI error codes (sbiret.error), SBI specification 2.0. */
#define SBI_SUCCESS		   0
#define SBI_ERR_FAILED		   (-1)
#define SBI_ERR_NOT_SUPPORTED	   (-2)
#define SBI_ERR_INVALID_PARAM	   (-3)
#define SBI_ERR_DENIED		   (-4)
#define SBI_ERR_INVALID_ADDRESS	   (-5)
#define SBI_ERR_ALREADY_AVAILABLE  (-6)
#define SBI_ERR_ALREADY_STARTED	   (-7)
#define SBI_ERR_ALREADY_STOPPED	   (-8)
#define SBI_ERR_NO_SHMEM	   (-9)
#define SBI_ERR_INVALID_STATE	   (-10)
#define SBI_ERR_BAD_RANGE	   (-11)
#define SBI_ERR_TIMEOUT		   (-12)
#define SBI_ERR_IO		   (-13)
#define SBI_ERR_DENIED_LOCKED	   (-14)

/* Extension ids (a7). The legacy v0.1 calls are one extension each. */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR 0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR 0x2
#define SBI_EXT_BASE		    0x10
#define SBI_EXT_DBCN		    0x4442434E /* "DBCN" */
#define SBI_EXT_SRST		    0x53525354 /* "SRST" */

/* DBCN functions (a6). */
#define SBI_DBCN_WRITE	    0 /* a0 len, a1 addr_lo, a2 addr_hi */
#define SBI_DBCN_READ	    1 /* same arguments */
#define SBI_DBCN_WRITE_BYTE 2 /* a0 byte */
/* Bytes moved by one DBCN read or write: the rest is a partial transfer
 * the guest retries, so one exit never copies more than this. */
#define SBI_DBCN_MAX_CHUNK  4096U

/* SRST function 0, SYSTEM_RESET: a0 type, a1 reason. */
#define SBI_SRST_RESET		     0
#define SBI_SRST_TYPE_SHUTDOWN	     0
#define SBI_SRST_TYPE_COLD_REBOOT    1
#define SBI_SRST_TYPE_WARM_REBOOT    2
#define SBI_SRST_REASON_NONE	     0
#define SBI_SRST_REASON_SYSFAIL	     1
#define SBI_SRST_REASON_IMPL_FIRST   0xE0000000U /* SBI-implementation and */
#define SBI_SRST_REASON_VENDOR_LAST  0xFFFFFFFFU /* vendor reasons: passed on */

/*
 * What a handler needs from the VM: guest RAM (the core's own guest_mem
 * translation) and three callbacks. Any callback may be NULL: the console
 * is then absent (DBCN reads and writes answer SBI_ERR_DENIED, putchar
 * drops the byte, getchar reports no input) and SRST is not supported.
 */
struct sbi_ctx {
	const struct guest_mem *mem;
	void *opaque; /* passed to every callback */
	/* Write up to len bytes; the count written (may be short), or -errno. */
	long (*con_write)(void *opaque, const uint8_t *buf, size_t len);
	/* Read up to len bytes without blocking: the count, 0 when there is
	 * no input, or -errno. */
	long (*con_read)(void *opaque, uint8_t *buf, size_t len);
	/* The guest asked for shutdown or reboot (SBI_SRST_TYPE_*). */
	void (*system_reset)(void *opaque, uint32_t type, uint32_t reason);
};

enum sbi_action {
	SBI_ACTION_RESUME = 0,	/* ret[] is filled: run the vCPU again */
	SBI_ACTION_RESET = 1,	/* system_reset was called: stop the VM */
};

/* Handle one KVM_EXIT_RISCV_SBI: fills exit->ret[0] (error) and ret[1]
 * (value). Never fails: an unknown call is answered NOT_SUPPORTED. */
enum sbi_action sbi_handle(const struct sbi_ctx *ctx,
			   struct kvmr_sbi_exit *exit);

#endif
