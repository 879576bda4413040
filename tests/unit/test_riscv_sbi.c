/* test_riscv_sbi.c: SBI calls forwarded by KVM: legacy console, DBCN (bounds, partial transfers, errors), SRST, and "not supported" for everything else. */
#include <errno.h>
#include <stdlib.h>

#include "riscv.h"
#include "sbi.h"
#include "unit.h"
#include "util.h"

#define RAM_SIZE 0x10000ULL
#define RAM_END	 (RISCV_RAM_BASE + RAM_SIZE)

struct fake_con {
	uint8_t out[2 * SBI_DBCN_MAX_CHUNK];
	size_t out_len;
	const char *in;	 /* pending input */
	long write_cap;	 /* bytes accepted per write; -1 fails (-EIO) */
	bool read_fails;
	uint32_t reset_type, reset_reason;
	int resets;
};

static long con_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct fake_con *c = opaque;
	size_t n = len;

	if (c->write_cap < 0)
		return -EIO;
	if ((size_t)c->write_cap < n)
		n = (size_t)c->write_cap;
	n = MIN(n, sizeof(c->out) - c->out_len);
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	return (long)n;
}

static long con_read(void *opaque, uint8_t *buf, size_t len)
{
	struct fake_con *c = opaque;
	size_t n = 0;

	if (c->read_fails)
		return -EIO;
	while (n < len && c->in && *c->in)
		buf[n++] = (uint8_t)*c->in++;
	return (long)n;
}

static void system_reset(void *opaque, uint32_t type, uint32_t reason)
{
	struct fake_con *c = opaque;

	c->reset_type = type;
	c->reset_reason = reason;
	c->resets++;
}

static struct guest_mem mem;
static struct fake_con con;
static struct sbi_ctx ctx;

static void setup(void)
{
	memset(&con, 0, sizeof(con));
	con.write_cap = 1 << 30;
	ctx = (struct sbi_ctx){.mem = &mem,
			       .opaque = &con,
			       .con_write = con_write,
			       .con_read = con_read,
			       .system_reset = system_reset};
}

/* One call; KVM's pre-filled ret[] is garbage here to catch missed writes. */
static struct kvmr_sbi_exit call(unsigned long ext, unsigned long fn,
				 unsigned long a0, unsigned long a1,
				 unsigned long a2, enum sbi_action *act)
{
	struct kvmr_sbi_exit e = {.extension_id = ext,
				  .function_id = fn,
				  .args = {a0, a1, a2, 7, 7, 7},
				  .ret = {0xdead, 0xbeef}};
	enum sbi_action a = sbi_handle(&ctx, &e);

	if (act)
		*act = a;
	return e;
}

#define ERR(e) ((long)(e).ret[0])

static void test_legacy(void)
{
	struct kvmr_sbi_exit e;

	setup();
	e = call(SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 'x' | 0x100, 0, 0, NULL);
	CHECK_EQ(ERR(e), 0);
	CHECK_EQ(con.out_len, 1);
	CHECK_EQ(con.out[0], 'x');
	/* No input: -1 in a0. */
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(ERR(e), -1);
	con.in = "ab";
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(e.ret[0], 'a');
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(e.ret[0], 'b');
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(ERR(e), -1);
	con.in = "z";
	con.read_fails = true;
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(ERR(e), -1);
	/* Without a console: putchar drops, getchar has nothing. */
	ctx.con_write = NULL;
	ctx.con_read = NULL;
	e = call(SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 'y', 0, 0, NULL);
	CHECK_EQ(ERR(e), 0);
	e = call(SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, 0, NULL);
	CHECK_EQ(ERR(e), -1);
}

static void test_dbcn_write(void)
{
	uint8_t *ram = mem.regions[0].hva;
	struct kvmr_sbi_exit e;

	setup();
	memcpy(ram + 0x100, "hello", 5);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, RISCV_RAM_BASE + 0x100, 0,
		 NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 5);
	CHECK(con.out_len == 5 && !memcmp(con.out, "hello", 5));
	/* len 0: nothing to access, success with 0 bytes, any address. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0, 0x1000, 0, NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 0);
	/* addr_hi set: beyond 2^64 on rv64. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, RISCV_RAM_BASE, 1, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	CHECK_EQ(e.ret[1], 0);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0, RISCV_RAM_BASE, 1, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	/* Below RAM, straddling its end, just past it, wrapping. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 4, RISCV_RAM_BASE - 2, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 16, RAM_END - 8, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 1, RAM_END, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0x20, UINT64_MAX - 0xf, 0,
		 NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	/* The last bytes of RAM are fine. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 8, RAM_END - 8, 0, NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 8);
	/* Huge len from a valid address: the range is not RAM. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, UINT64_MAX, RISCV_RAM_BASE, 0,
		 NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	CHECK_EQ(con.out_len, 13);
	CHECK_EQ(con.resets, 0);
}

static void test_dbcn_partial(void)
{
	struct kvmr_sbi_exit e;

	setup();
	/* All of RAM in one call: one chunk is moved, the guest retries. */
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, RAM_SIZE, RISCV_RAM_BASE, 0,
		 NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], SBI_DBCN_MAX_CHUNK);
	/* A busy console takes 3 bytes. */
	setup();
	con.write_cap = 3;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 10, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 3);
	con.write_cap = 0;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 10, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 0);
	con.write_cap = -1;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 10, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_FAILED);
	CHECK_EQ(e.ret[1], 0);
	/* No console: denied. */
	setup();
	ctx.con_write = NULL;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 1, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_DENIED);
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'a', 0, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_DENIED);
	/* No guest memory at all. */
	setup();
	ctx.mem = NULL;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 1, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
}

static void test_dbcn_read(void)
{
	uint8_t *ram = mem.regions[0].hva;
	struct kvmr_sbi_exit e;

	setup();
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 8, RISCV_RAM_BASE + 0x200, 0,
		 NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 0); /* no input */
	con.in = "input";
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 3, RISCV_RAM_BASE + 0x200, 0,
		 NULL);
	CHECK_EQ(e.ret[1], 3);
	CHECK(!memcmp(ram + 0x200, "inp", 3));
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 100, RISCV_RAM_BASE + 0x200, 0,
		 NULL);
	CHECK_EQ(e.ret[1], 2);
	CHECK(!memcmp(ram + 0x200, "ut", 2));
	con.in = "xyz";
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 16, RAM_END - 8, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 1, RISCV_RAM_BASE, 2, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	CHECK_EQ(*con.in, 'x'); /* nothing consumed by refused calls */
	con.read_fails = true;
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 1, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_FAILED);
	ctx.con_read = NULL;
	e = call(SBI_EXT_DBCN, SBI_DBCN_READ, 1, RISCV_RAM_BASE, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_DENIED);
}

static void test_dbcn_write_byte(void)
{
	struct kvmr_sbi_exit e;

	setup();
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 0x341, 0, 0, NULL);
	CHECK_EQ(ERR(e), SBI_SUCCESS);
	CHECK_EQ(e.ret[1], 0);
	CHECK(con.out_len == 1 && con.out[0] == 'A');
	con.write_cap = 0;
	e = call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'B', 0, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_FAILED);
	e = call(SBI_EXT_DBCN, 3, 0, 0, 0, NULL);
	CHECK_EQ(ERR(e), SBI_ERR_NOT_SUPPORTED);
	CHECK_EQ(e.ret[1], 0);
}

static void test_srst(void)
{
	enum sbi_action act;
	struct kvmr_sbi_exit e;

	setup();
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
		 SBI_SRST_REASON_NONE, 0, &act);
	CHECK_EQ(act, SBI_ACTION_RESET);
	CHECK_EQ(con.resets, 1);
	CHECK_EQ(con.reset_type, SBI_SRST_TYPE_SHUTDOWN);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_WARM_REBOOT,
		 SBI_SRST_REASON_SYSFAIL, 0, &act);
	CHECK_EQ(act, SBI_ACTION_RESET);
	CHECK_EQ(con.reset_type, SBI_SRST_TYPE_WARM_REBOOT);
	CHECK_EQ(con.reset_reason, SBI_SRST_REASON_SYSFAIL);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_COLD_REBOOT,
		 0xF0000001UL, 0, &act); /* vendor reason: passed on */
	CHECK_EQ(act, SBI_ACTION_RESET);
	CHECK_EQ(con.reset_reason, 0xF0000001U);
	/* Reserved and vendor types, reserved reasons, 64-bit junk. */
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 3, 0, 0, &act);
	CHECK_EQ(act, SBI_ACTION_RESUME);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 0xF0000000UL, 0, 0, &act);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 0, 2, 0, &act);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 1UL << 32, 0, 0, &act);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 0, 1UL << 32, 0, &act);
	CHECK_EQ(ERR(e), SBI_ERR_INVALID_PARAM);
	e = call(SBI_EXT_SRST, 1, 0, 0, 0, &act);
	CHECK_EQ(ERR(e), SBI_ERR_NOT_SUPPORTED);
	CHECK_EQ(con.resets, 3);
	ctx.system_reset = NULL;
	e = call(SBI_EXT_SRST, SBI_SRST_RESET, 0, 0, 0, &act);
	CHECK_EQ(act, SBI_ACTION_RESUME);
	CHECK_EQ(ERR(e), SBI_ERR_NOT_SUPPORTED);
}

/* Whatever else reaches userspace is answered, never fatal. */
static void test_unsupported(void)
{
	static const unsigned long exts[] = {
	    0x0 /* legacy set_timer */, 0x8 /* legacy shutdown */, 0xf,
	    SBI_EXT_BASE, 0x54494D45 /* TIME */, 0x08000000, 0x08FFFFFF,
	    0x09000000 /* vendor */, 0x4D505859 /* MPXY */, UINT64_MAX};
	enum sbi_action act;

	setup();
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		struct kvmr_sbi_exit e = call(exts[i], i, 1, 2, 3, &act);

		CHECK_EQ(act, SBI_ACTION_RESUME);
		CHECK_EQ(ERR(e), SBI_ERR_NOT_SUPPORTED);
		CHECK_EQ(e.ret[1], 0);
	}
	CHECK_EQ(con.out_len, 0);
	CHECK_EQ(con.resets, 0);
}

static void test_error_codes(void)
{
	CHECK_EQ(SBI_ERR_FAILED, -1);
	CHECK_EQ(SBI_ERR_NOT_SUPPORTED, -2);
	CHECK_EQ(SBI_ERR_INVALID_PARAM, -3);
	CHECK_EQ(SBI_ERR_DENIED, -4);
	CHECK_EQ(SBI_ERR_INVALID_ADDRESS, -5);
	CHECK_EQ(SBI_ERR_NO_SHMEM, -9);
	CHECK_EQ(SBI_ERR_DENIED_LOCKED, -14);
	CHECK_EQ(SBI_EXT_DBCN, 0x4442434E);
	CHECK_EQ(SBI_EXT_SRST, 0x53525354);
}

int main(void)
{
	mem.nr = 1;
	mem.total = RAM_SIZE;
	mem.regions[0] = (struct mem_region){
	    .gpa = RISCV_RAM_BASE, .size = RAM_SIZE, .hva = calloc(1, RAM_SIZE)};
	if (!mem.regions[0].hva)
		return 1;
	test_legacy();
	test_dbcn_write();
	test_dbcn_partial();
	test_dbcn_read();
	test_dbcn_write_byte();
	test_srst();
	test_unsupported();
	test_error_codes();
	free(mem.regions[0].hva);
	return unit_done("riscv_sbi");
}
