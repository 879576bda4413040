/* blkloop.c: the block-loop test shared by the virtio test guests (see blkloop.h). */
#include "blkloop.h"

#define BLK_T_IN    0
#define BLK_T_OUT   1
#define BLK_T_FLUSH 4

static u8 wbuf[BLKLOOP_BLOCK] __attribute__((aligned(4096)));
static u8 rbuf[BLKLOOP_BLOCK] __attribute__((aligned(4096)));

static u64 arg(const char *cl, const char *key, u64 def)
{
	char buf[24];
	u64 v;

	if (cl && cmdline_get(cl, key, buf, sizeof(buf)) &&
	    parse_num(buf, &v) == 0)
		return v;
	return def;
}

static void blkloop_fail(const char *what, u64 block, u8 status)
{
	printf("blkloop: FAIL: %s at block %llu (status %u)\n", what, block,
	       status);
	guest_exit(GX_FAIL);
}

static void pattern(u8 *p, u64 block)
{
	for (u32 j = 0; j < BLKLOOP_BLOCK; j++)
		p[j] = (u8)(7 * j + 13 * block + 1);
}

static void one_block(blkloop_req_fn req, u64 n)
{
	u8 st;

	pattern(wbuf, n);
	st = req(BLK_T_OUT, 8 * n, wbuf, BLKLOOP_BLOCK, 0);
	if (st)
		blkloop_fail("write", n, st);
	memset(rbuf, 0, BLKLOOP_BLOCK);
	st = req(BLK_T_IN, 8 * n, rbuf, BLKLOOP_BLOCK, 1);
	if (st)
		blkloop_fail("read", n, st);
	if (memcmp(wbuf, rbuf, BLKLOOP_BLOCK))
		blkloop_fail("read back differs", n, 0);
}

void blkloop_run(const char *cmdline, blkloop_req_fn req)
{
	u64 blocks = arg(cmdline, "blocks", 256);
	u64 delay = arg(cmdline, "delay", 0);
	u8 st;

	for (u64 n = 0; n < blocks; n++) {
		one_block(req, n);
		printf("blkloop: block %llu ok\n", n);
		for (volatile u64 d = 0; d < delay; d++)
			;
	}
	st = req(BLK_T_FLUSH, 0, 0, 0, 0);
	if (st)
		blkloop_fail("flush", blocks, st);
	puts("blkloop: done\n");
}
