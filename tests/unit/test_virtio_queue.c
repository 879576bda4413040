/* test_virtio_queue.c: unit tests of the split and packed virtqueue walkers on hand-built rings, hostile ones included. */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"
#include "mem.h"
#include "util.h"
#include "virtio/queue.h"

/* Guest RAM: one 2 MiB region at 1 MiB, so gpa 0 is not RAM. */
#define RAM_GPA	  0x100000ull
#define RAM_SIZE  (2 * MiB)
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x10000)
#define USED_GPA  (RAM_GPA + 0x20000)
#define TABLE_GPA (RAM_GPA + 0x40000) /* indirect tables */
#define BUF_GPA	  (RAM_GPA + 0x100000)
#define MAXB	  8192

static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain ch;
static struct virtq_buf bufs[MAXB];

static void *hva(uint64_t gpa)
{
	return guest_mem_ptr(&mem, gpa, 1);
}

static void ram_init(void)
{
	uint8_t *ram = calloc(1, RAM_SIZE);

	mem.regions[0] =
	    (struct mem_region){.gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram};
	mem.nr = 1;
	mem.total = RAM_SIZE;
}

static int setup(uint16_t size, unsigned int opts)
{
	struct virtq_config cfg = {size, opts, DESC_GPA, AVAIL_GPA, USED_GPA};

	memset(mem.regions[0].hva, 0, RAM_SIZE);
	return virtq_setup(&vq, &mem, &cfg);
}

static int pop(void)
{
	return virtq_pop(&vq, &ch, bufs, MAXB);
}

/* ---- split ring driver side ---- */

static void sdesc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = hva(table + 16ull * i);

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

static void sdesc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		  uint16_t next)
{
	sdesc_at(DESC_GPA, i, addr, len, flags, next);
}

static uint16_t avail_idx(void)
{
	return get_le16(hva(AVAIL_GPA + 2));
}

static void set_avail_idx(uint16_t idx)
{
	put_le16(hva(AVAIL_GPA + 2), idx);
}

static void sadd(uint16_t head)
{
	uint16_t idx = avail_idx();

	put_le16(hva(AVAIL_GPA + 4 + 2 * (idx & (vq.size - 1))), head);
	set_avail_idx(idx + 1);
}

static uint16_t used_idx(void)
{
	return get_le16(hva(USED_GPA + 2));
}

static uint32_t used_elem(uint16_t idx, unsigned int field)
{
	return get_le32(
	    hva(USED_GPA + 4 + 8 * (idx & (vq.size - 1)) + 4 * field));
}

static void test_split_simple(void)
{
	CHECK_EQ(setup(8, 0), 0);
	CHECK_EQ(pop(), 0);
	sdesc(3, BUF_GPA, 100, VIRTQ_DESC_F_NEXT, 5);
	sdesc(5, BUF_GPA + 0x1000, 200, VIRTQ_DESC_F_WRITE, 0);
	sadd(3);
	CHECK(virtq_has_avail(&vq));
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 3);
	CHECK_EQ(ch.nbufs, 2);
	CHECK(bufs[0].addr == hva(BUF_GPA) && bufs[0].len == 100);
	CHECK(!bufs[0].writable && bufs[1].writable);
	CHECK(bufs[1].addr == hva(BUF_GPA + 0x1000) && bufs[1].len == 200);
	CHECK_EQ(ch.readable_len, 100);
	CHECK_EQ(ch.writable_len, 200);
	CHECK(!ch.misordered);
	CHECK_EQ(pop(), 0);
	CHECK_EQ(virtq_push(&vq, &ch, 50), 0);
	CHECK_EQ(used_idx(), 1);
	CHECK_EQ(used_elem(0, 0), 3);
	CHECK_EQ(used_elem(0, 1), 50);
	CHECK_EQ(virtq_push(&vq, &ch, 50), -EINVAL); /* nothing in flight */
	CHECK(virtq_need_interrupt(&vq));

	/* Written length clamps to the writable total; order is reported. */
	sdesc(0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	sdesc(1, BUF_GPA, 8, 0, 0);
	sadd(0);
	CHECK_EQ(pop(), 1);
	CHECK(ch.misordered);
	CHECK_EQ(virtq_push(&vq, &ch, 1000), 0);
	CHECK_EQ(used_elem(1, 1), 8);

	/* Too small a buffer array; zero-length buffers only if allowed. */
	sdesc(2, BUF_GPA, 0, 0, 0);
	sadd(0);
	CHECK_EQ(virtq_pop(&vq, &ch, bufs, 1), -ENOBUFS);
	CHECK_EQ(pop(), -EIO); /* broken until set up again */
	CHECK_EQ(setup(8, 0), 0);
	sdesc(2, BUF_GPA, 0, 0, 0);
	sadd(2);
	CHECK_EQ(pop(), -EINVAL);
	CHECK_EQ(setup(8, VIRTQ_OPT_ZERO_LEN), 0);
	sdesc(2, BUF_GPA, 0, 0, 0);
	sadd(2);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(bufs[0].len, 0);
}

static void test_split_indirect(void)
{
	CHECK_EQ(setup(4, VIRTQ_OPT_INDIRECT), 0);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
	sdesc_at(TABLE_GPA, 2, BUF_GPA + 10, 20, VIRTQ_DESC_F_NEXT, 1);
	sdesc_at(TABLE_GPA, 1, BUF_GPA + 30, 30, VIRTQ_DESC_F_WRITE, 7);
	/* A direct descriptor, then the indirect one. */
	sdesc(1, BUF_GPA + 100, 5, VIRTQ_DESC_F_NEXT, 2);
	sdesc(2, TABLE_GPA, 16 * 3, VIRTQ_DESC_F_INDIRECT, 0);
	sadd(1);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 1);
	CHECK_EQ(ch.nbufs, 4);
	CHECK_EQ(bufs[1].len, 10);
	CHECK_EQ(bufs[2].len, 20);
	CHECK(bufs[3].writable && bufs[3].len == 30);
	CHECK_EQ(ch.readable_len, 35);

	/* Without the feature the same chain is an error. */
	CHECK_EQ(setup(4, 0), 0);
	sdesc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
	sadd(0);
	CHECK_EQ(pop(), -EINVAL);
}

static void test_split_wrap(void)
{
	uint16_t start = 65533;

	CHECK_EQ(setup(4, 0), 0);
	vq.s.last_avail = vq.s.used_idx = start;
	set_avail_idx(start);
	put_le16(hva(USED_GPA + 2), start);
	for (uint16_t i = 0; i < 4; i++) {
		sdesc(i, BUF_GPA + 64 * i, 64, VIRTQ_DESC_F_WRITE, 0);
		sadd(3 - i);
	}
	CHECK_EQ(avail_idx(), 1); /* 65533 + 4 */
	for (uint16_t i = 0; i < 4; i++) {
		CHECK_EQ(pop(), 1);
		CHECK_EQ(ch.id, 3 - i);
		CHECK(bufs[0].addr == hva(BUF_GPA + 64 * (3 - i)));
		CHECK_EQ(virtq_push(&vq, &ch, i), 0);
		CHECK_EQ(used_idx(), (uint16_t)(start + i + 1));
		CHECK_EQ(used_elem(start + i, 0), 3 - i);
		CHECK_EQ(used_elem(start + i, 1), i);
	}
	CHECK_EQ(pop(), 0);
	/* A full ring more across the wrap is still legal... */
	for (uint16_t i = 0; i < 4; i++)
		sadd(i);
	for (uint16_t i = 0; i < 4; i++)
		CHECK_EQ(pop(), 1);
	/* ...one more than the ring holds is not. */
	set_avail_idx(vq.s.last_avail + 5);
	CHECK_EQ(pop(), -EPROTO);
}

static void set_used_event(uint16_t v)
{
	put_le16(hva(AVAIL_GPA + 4 + 2 * vq.size), v);
}

static void push_one(void)
{
	sdesc(0, BUF_GPA, 16, VIRTQ_DESC_F_WRITE, 0);
	sadd(0);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(virtq_push(&vq, &ch, 16), 0);
}

static void test_split_event_idx(void)
{
	uint16_t avail_event;

	CHECK_EQ(setup(8, VIRTQ_OPT_EVENT_IDX), 0);
	push_one();
	CHECK(virtq_need_interrupt(&vq)); /* first time: always */
	set_used_event(3);		  /* "interrupt me when idx passes 3" */
	push_one();			  /* used idx 2 */
	CHECK(!virtq_need_interrupt(&vq));
	push_one(); /* 3 */
	CHECK(!virtq_need_interrupt(&vq));
	push_one(); /* 4: crossed 3 */
	CHECK(virtq_need_interrupt(&vq));
	CHECK(!virtq_need_interrupt(&vq)); /* nothing new */
	push_one();
	push_one(); /* 6: event 3 is behind us */
	CHECK(!virtq_need_interrupt(&vq));
	set_used_event(6);
	push_one();
	push_one(); /* batch 6..8 crosses 6 */
	CHECK(virtq_need_interrupt(&vq));
	/* Event index across the 16-bit wrap. */
	vq.s.used_idx = vq.s.signalled = 65534;
	set_used_event(65535);
	push_one(); /* 65535 */
	CHECK(!virtq_need_interrupt(&vq));
	push_one(); /* 0 */
	CHECK(virtq_need_interrupt(&vq));

	/* avail_event follows last_avail when notifications are enabled. */
	CHECK(!virtq_enable_notify(&vq));
	avail_event = get_le16(hva(USED_GPA + 4 + 8 * vq.size));
	CHECK_EQ(avail_event, vq.s.last_avail);
	sadd(0);
	CHECK(virtq_enable_notify(&vq));

	/* The exit report's line: the guest's indexes and the device's. */
	{
		char d[320];

		CHECK(virtq_describe(&vq, d, sizeof(d)) > 0);
		CHECK(strstr(d, "split: avail idx ") == d);
		CHECK(strstr(d, "used_event 65535;") != NULL);
		CHECK(strstr(d, "used idx 0 (ring 0)") != NULL);
		CHECK(strstr(d, "signalled 0") != NULL);
		vq.ready = false;
		virtq_describe(&vq, d, sizeof(d));
		CHECK_STR(d, "not set up");
		vq.ready = true;
	}

	CHECK(virtq_need_event(5, 6, 4));
	CHECK(!virtq_need_event(6, 6, 4));
	CHECK(virtq_need_event(65535, 1, 65534));
	CHECK(!virtq_need_event(3, 3, 3));
}

static void test_split_flags(void)
{
	CHECK_EQ(setup(8, 0), 0);
	push_one();
	CHECK(virtq_need_interrupt(&vq));
	put_le16(hva(AVAIL_GPA), VIRTQ_AVAIL_F_NO_INTERRUPT);
	push_one();
	CHECK(!virtq_need_interrupt(&vq));
	virtq_disable_notify(&vq);
	CHECK_EQ(get_le16(hva(USED_GPA)), VIRTQ_USED_F_NO_NOTIFY);
	CHECK(!virtq_enable_notify(&vq));
	CHECK_EQ(get_le16(hva(USED_GPA)), 0);

	/* NOTIFY_ON_EMPTY overrides NO_INTERRUPT once the ring runs dry. */
	CHECK_EQ(setup(8, VIRTQ_OPT_NOTIFY_ON_EMPTY), 0);
	put_le16(hva(AVAIL_GPA), VIRTQ_AVAIL_F_NO_INTERRUPT);
	sdesc(0, BUF_GPA, 16, 0, 0);
	sadd(0);
	sadd(0);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(virtq_push(&vq, &ch, 0), 0);
	CHECK(!virtq_need_interrupt(&vq)); /* one still available */
	CHECK_EQ(pop(), 1);
	CHECK(!virtq_need_interrupt(&vq)); /* one still in flight */
	CHECK_EQ(virtq_push(&vq, &ch, 0), 0);
	CHECK(virtq_need_interrupt(&vq));
}

/* One hostile chain at head 0 on a fresh size-8 queue: the pop's result. */
static int split_hostile(unsigned int opts, void (*build)(void))
{
	int ret;

	CHECK_EQ(setup(8, opts | VIRTQ_OPT_INDIRECT), 0);
	build();
	sadd(0);
	ret = pop();
	CHECK(ret >= 0 || vq.broken);
	CHECK(ret >= 0 || pop() == -EIO);
	return ret;
}

static void h_loop(void)
{
	sdesc(0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	sdesc(1, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
}

static void h_self(void)
{
	sdesc(0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
}

static void h_long(void)
{
	for (uint16_t i = 0; i < 8; i++)
		sdesc(i, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, (i + 1) % 8);
}

static void h_next_range(void)
{
	sdesc(0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 8);
}

static void h_addr_zero(void)
{
	sdesc(0, 0, 16, 0, 0);
}

static void h_addr_end(void)
{
	sdesc(0, RAM_GPA + RAM_SIZE - 8, 16, 0, 0);
}

static void h_addr_wrap(void)
{
	sdesc(0, ~0ull - 4, 16, 0, 0);
}

static void h_ind_nested(void)
{
	sdesc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA, 0, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA + 0x100, 0, BUF_GPA, 16, 0, 0);
}

static void h_ind_next(void)
{
	sdesc(0, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 16, 0, 0);
	sdesc(1, BUF_GPA, 16, 0, 0);
}

static void h_ind_len0(void)
{
	sdesc(0, TABLE_GPA, 0, VIRTQ_DESC_F_INDIRECT, 0);
}

static void h_ind_len24(void)
{
	sdesc(0, TABLE_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 16, 0, 0);
}

static void h_ind_huge(void)
{
	sdesc(0, TABLE_GPA, 16 * (VIRTQ_MAX_SIZE + 1), VIRTQ_DESC_F_INDIRECT,
	      0);
}

static void h_ind_outside(void)
{
	sdesc(0, RAM_GPA + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
}

static void h_ind_loop(void)
{
	sdesc(0, TABLE_GPA, 16 * 3, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
	sdesc_at(TABLE_GPA, 1, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 2);
	sdesc_at(TABLE_GPA, 2, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
}

static void h_ind_next_range(void)
{
	sdesc(0, TABLE_GPA, 16 * 2, VIRTQ_DESC_F_INDIRECT, 0);
	sdesc_at(TABLE_GPA, 0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, 2);
}

/* 4097 buffers of 1 MiB each: more than 4 GiB in total. */
static void h_overflow(void)
{
	sdesc(0, TABLE_GPA, 16 * 4097, VIRTQ_DESC_F_INDIRECT, 0);
	for (uint16_t i = 0; i < 4097; i++)
		sdesc_at(TABLE_GPA, i, BUF_GPA, MiB,
			 i < 4096 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
}

static void test_split_hostile(void)
{
	CHECK_EQ(split_hostile(0, h_loop), -ELOOP);
	CHECK_EQ(split_hostile(0, h_self), -ELOOP);
	CHECK_EQ(split_hostile(0, h_long), -ELOOP);
	CHECK_EQ(split_hostile(0, h_next_range), -EINVAL);
	CHECK_EQ(split_hostile(0, h_addr_zero), -EFAULT);
	CHECK_EQ(split_hostile(0, h_addr_end), -EFAULT);
	CHECK_EQ(split_hostile(0, h_addr_wrap), -EFAULT);
	CHECK_EQ(split_hostile(0, h_ind_nested), -EINVAL);
	CHECK_EQ(split_hostile(0, h_ind_next), -EINVAL);
	CHECK_EQ(split_hostile(0, h_ind_len0), -EINVAL);
	CHECK_EQ(split_hostile(0, h_ind_len24), -EINVAL);
	CHECK_EQ(split_hostile(0, h_ind_huge), -EINVAL);
	CHECK_EQ(split_hostile(0, h_ind_outside), -EFAULT);
	CHECK_EQ(split_hostile(0, h_ind_loop), -ELOOP);
	CHECK_EQ(split_hostile(0, h_ind_next_range), -EINVAL);
	CHECK_EQ(split_hostile(0, h_overflow), -EOVERFLOW);

	/* Head index out of range. */
	CHECK_EQ(setup(8, 0), 0);
	put_le16(hva(AVAIL_GPA + 4), 8);
	set_avail_idx(1);
	CHECK_EQ(pop(), -EINVAL);
}

static void test_split_setup(void)
{
	struct virtq_config cfg = {8, 0, DESC_GPA, AVAIL_GPA, USED_GPA};

	CHECK_EQ(setup(6, 0), -EINVAL); /* not a power of two */
	CHECK(!vq.ready);
	CHECK_EQ(pop(), -EIO);
	CHECK_EQ(setup(0, 0), -EINVAL);
	CHECK_EQ(setup(32768, 0), 0);
	CHECK_EQ(setup(6, VIRTQ_OPT_PACKED), 0); /* packed: any size */
	cfg.desc = DESC_GPA + 8;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EINVAL);
	cfg.desc = DESC_GPA;
	cfg.driver = AVAIL_GPA + 1;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EINVAL);
	cfg.driver = AVAIL_GPA;
	cfg.device = USED_GPA + 2;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EINVAL);
	cfg.device = RAM_GPA + RAM_SIZE - 64; /* used ring runs off RAM */
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EFAULT);
	cfg.device = 0x1000;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EFAULT);
	/* The event field counts: 4 + 8 * 8 + 2 bytes. */
	cfg.device = RAM_GPA + RAM_SIZE - 68;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), 0);
	cfg.opts = VIRTQ_OPT_EVENT_IDX;
	CHECK_EQ(virtq_setup(&vq, &mem, &cfg), -EFAULT);
}

/* ---- packed ring driver side ---- */

static uint16_t drv_slot;
static bool drv_wrap;

static void pdesc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t id, uint16_t flags)
{
	uint8_t *d = hva(table + 16ull * i);

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, id);
	put_le16(d + 14, flags);
}

static uint16_t pflags_avail(bool wrap)
{
	return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/* Make the next ring slot available (driver's wrap counter). */
static void padd(uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	pdesc_at(DESC_GPA, drv_slot, addr, len, id,
		 flags | pflags_avail(drv_wrap));
	if (++drv_slot == vq.size) {
		drv_slot = 0;
		drv_wrap = !drv_wrap;
	}
}

static int psetup(uint16_t size, unsigned int opts)
{
	drv_slot = 0;
	drv_wrap = true;
	return setup(size, opts | VIRTQ_OPT_PACKED);
}

static uint16_t pslot_flags(uint16_t i)
{
	return get_le16(hva(DESC_GPA + 16ull * i + 14));
}

static uint16_t pslot_id(uint16_t i)
{
	return get_le16(hva(DESC_GPA + 16ull * i + 12));
}

static void test_packed_simple(void)
{
	const uint16_t used1 = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;

	CHECK_EQ(psetup(4, 0), 0);
	CHECK_EQ(pop(), 0);
	padd(BUF_GPA, 10, 0, VIRTQ_DESC_F_NEXT);
	padd(BUF_GPA + 10, 20, 7, VIRTQ_DESC_F_WRITE);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 7);
	CHECK_EQ(ch.ndesc, 2);
	CHECK_EQ(ch.nbufs, 2);
	CHECK(!bufs[0].writable && bufs[1].writable);
	CHECK_EQ(pop(), 0);
	CHECK_EQ(virtq_push(&vq, &ch, 5), 0);
	CHECK_EQ(pslot_flags(0), used1);
	CHECK_EQ(pslot_id(0), 7);
	CHECK_EQ(get_le32(hva(DESC_GPA + 8)), 5);
	CHECK_EQ(vq.p.next_used, 2);
	CHECK(virtq_need_interrupt(&vq));

	/* Wrap: slot 2, then a chain over slots 3 and 0 (driver wrap 0). */
	padd(BUF_GPA, 1, 1, 0);
	padd(BUF_GPA, 2, 0, VIRTQ_DESC_F_NEXT);
	padd(BUF_GPA, 3, 2, 0);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 1);
	CHECK_EQ(virtq_push(&vq, &ch, 0), 0);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 2);
	CHECK_EQ(ch.ndesc, 2);
	CHECK(!vq.p.avail_wrap);
	CHECK_EQ(vq.p.next_avail, 1);
	CHECK_EQ(virtq_push(&vq, &ch, 0), 0);
	CHECK_EQ(pslot_flags(3), used1); /* still lap 1 for the device */
	CHECK_EQ(pslot_id(3), 2);
	CHECK(!vq.p.used_wrap);
	CHECK_EQ(vq.p.next_used, 1);
	CHECK_EQ(pop(), 0); /* slot 1 still shows lap 1's flags */
	padd(BUF_GPA, 4, 3, 0);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(virtq_push(&vq, &ch, 0), 0);
	CHECK_EQ(pslot_flags(1), 0); /* lap 2: AVAIL = USED = 0 */
}

static void test_packed_indirect(void)
{
	CHECK_EQ(psetup(4, VIRTQ_OPT_INDIRECT), 0);
	pdesc_at(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
	pdesc_at(TABLE_GPA, 1, BUF_GPA, 20, 0, VIRTQ_DESC_F_NEXT); /* ignored */
	pdesc_at(TABLE_GPA, 2, BUF_GPA, 30, 0, VIRTQ_DESC_F_WRITE);
	padd(TABLE_GPA, 48, 9, VIRTQ_DESC_F_INDIRECT);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(ch.id, 9);
	CHECK_EQ(ch.ndesc, 1);
	CHECK_EQ(ch.nbufs, 3);
	CHECK(bufs[2].writable);
	CHECK_EQ(ch.readable_len, 30);
}

static int packed_hostile(void (*build)(void))
{
	int ret;

	CHECK_EQ(psetup(4, VIRTQ_OPT_INDIRECT), 0);
	build();
	ret = pop();
	CHECK(ret >= 0 || pop() == -EIO);
	return ret;
}

static void ph_loop(void)
{
	for (int i = 0; i < 4; i++)
		padd(BUF_GPA, 1, 0, VIRTQ_DESC_F_NEXT);
}

static void ph_nested(void)
{
	pdesc_at(TABLE_GPA, 0, TABLE_GPA, 16, 0, VIRTQ_DESC_F_INDIRECT);
	padd(TABLE_GPA, 16, 0, VIRTQ_DESC_F_INDIRECT);
}

static void ph_ind_next(void)
{
	pdesc_at(TABLE_GPA, 0, BUF_GPA, 16, 0, 0);
	padd(TABLE_GPA, 16, 0, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT);
	padd(BUF_GPA, 16, 0, 0);
}

static void ph_ind_len(void)
{
	padd(TABLE_GPA, 40, 0, VIRTQ_DESC_F_INDIRECT);
}

static void ph_outside(void)
{
	padd(RAM_GPA - 1, 2, 0, 0);
}

static void ph_not_avail(void)
{
	/* USED == AVAIL: a used descriptor, not an available one. */
	pdesc_at(DESC_GPA, 0, BUF_GPA, 16, 0,
		 VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
}

static void test_packed_hostile(void)
{
	CHECK_EQ(packed_hostile(ph_loop), -ELOOP);
	CHECK_EQ(packed_hostile(ph_nested), -EINVAL);
	CHECK_EQ(packed_hostile(ph_ind_next), -EINVAL);
	CHECK_EQ(packed_hostile(ph_ind_len), -EINVAL);
	CHECK_EQ(packed_hostile(ph_outside), -EFAULT);
	CHECK_EQ(packed_hostile(ph_not_avail), 0);
	CHECK_EQ(psetup(3, 0), 0);
	CHECK_EQ(psetup(32768, 0), 0);
}

static void set_driver_event(uint16_t off_wrap, uint16_t flags)
{
	put_le16(hva(AVAIL_GPA), off_wrap);
	put_le16(hva(AVAIL_GPA + 2), flags);
}

static void ppush_one(void)
{
	padd(BUF_GPA, 16, 0, VIRTQ_DESC_F_WRITE);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(virtq_push(&vq, &ch, 16), 0);
}

static void test_packed_events(void)
{
	CHECK_EQ(psetup(4, VIRTQ_OPT_EVENT_IDX), 0);
	set_driver_event(0, VIRTQ_EVENT_F_DISABLE);
	ppush_one();
	CHECK(!virtq_need_interrupt(&vq));
	set_driver_event(0, VIRTQ_EVENT_F_ENABLE);
	ppush_one(); /* next_used 2 */
	CHECK(virtq_need_interrupt(&vq));
	/* Interrupt when the used descriptor at slot 3 (wrap 1) is written. */
	set_driver_event(3 | VIRTQ_EVENT_WRAP, VIRTQ_EVENT_F_DESC);
	ppush_one(); /* slot 2 */
	CHECK(!virtq_need_interrupt(&vq));
	ppush_one(); /* slot 3 */
	CHECK(virtq_need_interrupt(&vq));
	/* Slot 1 of the next lap (wrap 0). */
	set_driver_event(1, VIRTQ_EVENT_F_DESC);
	ppush_one(); /* slot 0, wrap 0 */
	CHECK(!virtq_need_interrupt(&vq));
	ppush_one(); /* slot 1 */
	CHECK(virtq_need_interrupt(&vq));
	/* Slot 1 of the lap after: not reached by slots 2, 3 of wrap 0. */
	set_driver_event(1 | VIRTQ_EVENT_WRAP, VIRTQ_EVENT_F_DESC);
	ppush_one();
	ppush_one();
	CHECK(!virtq_need_interrupt(&vq));
	/* Nonsense offset: interrupt rather than risk a hang. */
	set_driver_event(9, VIRTQ_EVENT_F_DESC);
	ppush_one();
	CHECK(virtq_need_interrupt(&vq));
	{
		char d[320];

		virtq_describe(&vq, d, sizeof(d));
		CHECK(strstr(d, "packed: next avail ") == d);
		CHECK(strstr(d, "driver event flags 2 off_wrap 0x9") != NULL);
	}

	/* Device event suppression written for the driver. */
	virtq_disable_notify(&vq);
	CHECK_EQ(get_le16(hva(USED_GPA + 2)), VIRTQ_EVENT_F_DISABLE);
	CHECK(!virtq_enable_notify(&vq));
	CHECK_EQ(get_le16(hva(USED_GPA + 2)), VIRTQ_EVENT_F_DESC);
	CHECK_EQ(get_le16(hva(USED_GPA)),
		 vq.p.next_avail | (vq.p.avail_wrap ? VIRTQ_EVENT_WRAP : 0));
	padd(BUF_GPA, 1, 0, 0);
	CHECK(virtq_enable_notify(&vq));
	CHECK_EQ(psetup(4, 0), 0);
	CHECK(!virtq_enable_notify(&vq));
	CHECK_EQ(get_le16(hva(USED_GPA + 2)), VIRTQ_EVENT_F_ENABLE);
}

/* Restored positions: a packed ring's must be slots of the ring; a split
 * ring's are free-running, the avail one at most the size ahead. */
static void test_positions(void)
{
	CHECK_EQ(setup(6, VIRTQ_OPT_PACKED), 0);
	CHECK(virtq_positions_ok(&vq));
	vq.p.next_avail = 5;
	vq.p.next_used = 5;
	CHECK(virtq_positions_ok(&vq));
	vq.p.next_used = 6;
	CHECK(!virtq_positions_ok(&vq));
	vq.p.next_used = 0;
	vq.p.next_avail = 0xffff;
	CHECK(!virtq_positions_ok(&vq));
	CHECK_EQ(setup(8, 0), 0);
	vq.s.last_avail = 0x0003; /* 8 in flight, across the wrap */
	vq.s.used_idx = 0xfffb;
	CHECK(virtq_positions_ok(&vq));
	vq.s.used_idx = 0xfffa; /* 9 */
	CHECK(!virtq_positions_ok(&vq));
	vq.s.used_idx = 0x0004; /* used ahead of avail */
	CHECK(!virtq_positions_ok(&vq));
}

int main(void)
{
	ram_init();
	test_positions();
	test_split_simple();
	test_split_indirect();
	test_split_wrap();
	test_split_event_idx();
	test_split_flags();
	test_split_hostile();
	test_split_setup();
	test_packed_simple();
	test_packed_indirect();
	test_packed_hostile();
	test_packed_events();
	free(mem.regions[0].hva);
	return unit_done("virtio_queue");
}
