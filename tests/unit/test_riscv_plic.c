/* test_riscv_plic.c: the userspace PLIC: priorities, enables, thresholds per context, claim/complete with level-triggered gateways, output notifications, bad accesses. */
#include <errno.h>

#include "plic.h"
#include "unit.h"
#include "util.h"

struct lines {
	bool out[4];
	int changes;
};

static void notify(void *opaque, unsigned int ctx, bool level)
{
	struct lines *l = opaque;

	l->out[ctx] = level;
	l->changes++;
}

static uint32_t rd(struct plic *p, uint64_t off)
{
	uint8_t b[4];

	plic_read(p, off, b, 4);
	return get_le32(b);
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	plic_write(p, off, b, 4);
}

#define PRIO(s)	      (PLIC_PRIORITY_BASE + 4 * (s))
#define ENABLE(c)     (PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * (c))
#define THRESHOLD(c)  (PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * (c))
#define CLAIM(c)      (THRESHOLD(c) + PLIC_CTX_CLAIM)

static void test_init(void)
{
	struct plic p;

	CHECK_EQ(plic_init(&p, 0, 1, NULL, NULL), -EINVAL);
	CHECK_EQ(plic_init(&p, PLIC_MAX_SOURCES + 1, 1, NULL, NULL), -EINVAL);
	CHECK_EQ(plic_init(&p, 8, 0, NULL, NULL), -EINVAL);
	CHECK_EQ(plic_init(&p, 8, PLIC_MAX_CONTEXTS + 1, NULL, NULL), -EINVAL);
	CHECK_EQ(plic_init(&p, 8, 2, NULL, NULL), 0);
	CHECK_EQ(plic_set_level(&p, 0, true), -EINVAL);
	CHECK_EQ(plic_set_level(&p, 9, true), -EINVAL);
	plic_destroy(&p);
}

static void test_registers(void)
{
	struct plic p;
	uint8_t b[8] = {0};

	plic_init(&p, 40, 2, NULL, NULL);
	wr(&p, PRIO(1), 0xff);
	CHECK_EQ(rd(&p, PRIO(1)), PLIC_PRIO_MASK);
	wr(&p, PRIO(0), 3); /* source 0 does not exist */
	CHECK_EQ(rd(&p, PRIO(0)), 0);
	wr(&p, PRIO(41), 3);
	CHECK_EQ(rd(&p, PRIO(41)), 0);
	/* Enables: bit 0 and sources beyond 40 stay clear. */
	wr(&p, ENABLE(1), 0xffffffff);
	wr(&p, ENABLE(1) + 4, 0xffffffff);
	CHECK_EQ(rd(&p, ENABLE(1)), 0xfffffffe);
	CHECK_EQ(rd(&p, ENABLE(1) + 4), 0x1ff);
	CHECK_EQ(rd(&p, ENABLE(0)), 0);
	CHECK_EQ(rd(&p, ENABLE(2)), 0); /* no third context */
	wr(&p, THRESHOLD(1), 5);
	CHECK_EQ(rd(&p, THRESHOLD(1)), 5);
	CHECK_EQ(rd(&p, THRESHOLD(2)), 0);
	/* Only aligned 32-bit accesses. */
	b[0] = 2;
	plic_write(&p, PRIO(2), b, 1);
	CHECK_EQ(rd(&p, PRIO(2)), 0);
	plic_write(&p, PRIO(2) + 2, b, 4);
	CHECK_EQ(rd(&p, PRIO(2)), 0);
	memset(b, 0xaa, sizeof(b));
	plic_read(&p, PRIO(1), b, 8);
	CHECK_EQ(get_le64(b), 0);
	plic_destroy(&p);
}

static void test_claim_complete(void)
{
	struct lines l = {0};
	struct plic p;

	plic_init(&p, 10, 2, notify, &l);
	wr(&p, PRIO(3), 1);
	wr(&p, PRIO(5), 2);
	plic_set_level(&p, 3, true);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 1U << 3);
	CHECK(!l.out[0]); /* not enabled yet */
	wr(&p, ENABLE(0), 1U << 3 | 1U << 5);
	CHECK(l.out[0]);
	CHECK(!l.out[1]);
	plic_set_level(&p, 5, true);
	/* Highest priority first; the claim clears its pending bit. */
	CHECK_EQ(rd(&p, CLAIM(0)), 5);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 1U << 3);
	CHECK(l.out[0]);
	CHECK_EQ(rd(&p, CLAIM(0)), 3);
	CHECK(!l.out[0]);
	CHECK_EQ(rd(&p, CLAIM(0)), 0);
	/* Level still high: completing re-arms the gateway. */
	wr(&p, CLAIM(0), 5);
	CHECK(l.out[0]);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 1U << 5);
	plic_set_level(&p, 5, false);
	/* A pending request stays pending after the line drops (gateway). */
	CHECK_EQ(rd(&p, CLAIM(0)), 5);
	wr(&p, CLAIM(0), 5);
	CHECK(!l.out[0]);
	/* While in service, a line going high again is not forwarded. */
	plic_set_level(&p, 3, false);
	plic_set_level(&p, 3, true);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 0);
	wr(&p, CLAIM(0), 3);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 1U << 3);
	CHECK(l.out[0]);
	plic_destroy(&p);
}

static void test_threshold_and_contexts(void)
{
	struct lines l = {0};
	struct plic p;

	plic_init(&p, 10, 2, notify, &l);
	wr(&p, PRIO(2), 2);
	wr(&p, ENABLE(0), 1U << 2);
	wr(&p, ENABLE(1), 1U << 2);
	wr(&p, THRESHOLD(0), 2); /* priority must exceed the threshold */
	plic_set_level(&p, 2, true);
	CHECK(!l.out[0]);
	CHECK(l.out[1]);
	CHECK_EQ(rd(&p, CLAIM(0)), 0);
	wr(&p, THRESHOLD(0), 1);
	CHECK(l.out[0]);
	/* One claim takes the source from every context. */
	CHECK_EQ(rd(&p, CLAIM(1)), 2);
	CHECK(!l.out[0]);
	CHECK(!l.out[1]);
	/* Completion through a context without the source enabled: ignored. */
	wr(&p, ENABLE(0), 0);
	wr(&p, CLAIM(0), 2);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 0);
	wr(&p, CLAIM(1), 2);
	CHECK_EQ(rd(&p, PLIC_PENDING_BASE), 1U << 2);
	CHECK(l.out[1]);
	/* Priority 0 never interrupts. */
	wr(&p, PRIO(2), 0);
	CHECK(!l.out[1]);
	CHECK_EQ(rd(&p, CLAIM(1)), 0);
	/* Ties go to the lowest source id. */
	wr(&p, PRIO(2), 1);
	wr(&p, PRIO(7), 1);
	wr(&p, ENABLE(1), 1U << 2 | 1U << 7);
	plic_set_level(&p, 7, true);
	CHECK_EQ(rd(&p, CLAIM(1)), 2);
	CHECK_EQ(rd(&p, CLAIM(1)), 7);
	plic_destroy(&p);
}

static void test_notify_edges(void)
{
	struct lines l = {0};
	struct plic p;

	plic_init(&p, 4, 1, notify, &l);
	wr(&p, PRIO(1), 1);
	wr(&p, PRIO(2), 1);
	wr(&p, ENABLE(0), 0x6);
	plic_set_level(&p, 1, true);
	plic_set_level(&p, 2, true);
	plic_set_level(&p, 1, true);
	CHECK_EQ(l.changes, 1); /* only changes are notified */
	plic_destroy(&p);
}

int main(void)
{
	test_init();
	test_registers();
	test_claim_complete();
	test_threshold_and_contexts();
	test_notify_edges();
	return unit_done("riscv_plic");
}
