/* plic.h: a small userspace PLIC (RISC-V Platform-Level Interrupt Controller): level-triggered sources, priorities, per-context enables, thresholds, claim/complete. */
#ifndef MINIVMM_RISCV_PLIC_H
#define MINIVMM_RISCV_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf;

/*
 * Sources 1..nr_sources (at most PLIC_MAX_SOURCES; 0 means "none"), one
 * context per hart (its S-mode external interrupt, as the device tree's
 * interrupts-extended lists them). The register map is the PLIC
 * specification's: priorities from 0, pending bits at 0x1000, enables at
 * 0x2000 + 0x80 * ctx, threshold and claim/complete at 0x200000 +
 * 0x1000 * ctx. Only aligned 32-bit accesses do anything; others read 0.
 *
 * A context's output is high while some source enabled for it is pending
 * with a priority above its threshold; 'notify' is called (under the
 * PLIC's lock, from whichever thread changed it) each time it changes.
 */
#define PLIC_MAX_SOURCES    63U
#define PLIC_MAX_CONTEXTS   64U
#define PLIC_PRIO_MASK	    0x7U /* priorities 0 (never) .. 7 */
#define PLIC_PRIORITY_BASE  0x0U
#define PLIC_PENDING_BASE   0x1000U
#define PLIC_ENABLE_BASE    0x2000U
#define PLIC_ENABLE_STRIDE  0x80U
#define PLIC_CONTEXT_BASE   0x200000U
#define PLIC_CONTEXT_STRIDE 0x1000U
#define PLIC_CTX_THRESHOLD  0x0U
#define PLIC_CTX_CLAIM	    0x4U

typedef void (*plic_notify_fn)(void *opaque, unsigned int ctx, bool level);

struct plic_ctx {
	uint64_t enable; /* bit n: source n */
	uint32_t threshold;
	bool out;	 /* the level last notified */
};

struct plic {
	pthread_mutex_t lock;
	unsigned int nr_sources, nr_contexts;
	uint32_t priority[PLIC_MAX_SOURCES + 1];
	uint64_t level;	  /* input lines as the devices drive them */
	uint64_t pending; /* gateways that forwarded a request */
	uint64_t active;  /* claimed and not yet completed */
	struct plic_ctx ctx[PLIC_MAX_CONTEXTS];
	plic_notify_fn notify;
	void *opaque;
};

/* -EINVAL for 0 or too many sources or contexts. */
int plic_init(struct plic *p, unsigned int nr_sources, unsigned int nr_contexts,
	      plic_notify_fn notify, void *opaque);
void plic_destroy(struct plic *p);
/* A device drives source 'src' to 'level'. -EINVAL for a bad source. */
int plic_set_level(struct plic *p, uint32_t src, bool level);
/* MMIO at 'offset' in the PLIC's range; little-endian data. */
void plic_read(struct plic *p, uint64_t offset, uint8_t *data, uint32_t len);
void plic_write(struct plic *p, uint64_t offset, const uint8_t *data,
		uint32_t len);

/*
 * Snapshots: u32 sources, u32 contexts, u32 priority of sources 1..n,
 * u64 level, pending, active, then per context u64 enable, u32 threshold
 * (little-endian). plic_restore checks everything against this PLIC's
 * shape first (-EINVAL, the reason in err), then takes the state and
 * notifies every context's output, changed or not, so that each hart's
 * external interrupt line matches it.
 */
void plic_save(struct plic *p, struct sbuf *b);
/* --loglevel debug: the input lines, pending and claimed sources, and each
 * context that enables any: its sources, threshold and output. */
void plic_report(struct plic *p);
int plic_restore(struct plic *p, const void *data, size_t len, char *err,
		 size_t errlen);

#endif
