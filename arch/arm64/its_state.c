/* its_state.c: the ITS's state (its registers, its tables and the LPI pending bits in guest RAM) and the redistributors' LPI registers, for snapshots. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arm64_state.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "sbuf.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"

/*
 * Save (every vCPU paused, before guest RAM is written to the file):
 *  1. the vGIC's CTRL SAVE_PENDING_TABLES: each LPI's pending bit into its
 *     redistributor's pending table in guest RAM;
 *  2. the ITS's CTRL SAVE_TABLES: the device, interrupt translation and
 *     collection tables into guest RAM, where the guest's GITS_BASERn and
 *     device table entries say;
 *  3. the ITS registers (ITS_REGS, a u64 each whatever the width) and each
 *     redistributor's GICR_PROPBASER and GICR_PENDBASER (REDIST_REGS, two
 *     u32 halves each).
 * Restore (Documentation/virt/kvm/devices/arm-vgic-its.rst, after guest
 * RAM; the ITS exists with its address since vm_create):
 *  - PROPBASER and PENDBASER of each redistributor before its GICR_CTLR
 *    (which may enable LPIs, after which KVM ignores them): gic_state.c
 *    calls its_state_restore_lpi() there;
 *  - after every redistributor: the ITS's CTRL_INIT (as on a boot),
 *    GITS_IIDR (it selects the table ABI),
 *    GITS_CBASER (writing it resets CREADR and CWRITER), GITS_CREADR,
 *    GITS_CWRITER, GITS_BASER0-7, then CTRL RESTORE_TABLES (which reads
 *    the pending tables too), then GITS_CTLR last (it may enable the ITS).
 * Encoding: u32 nr_vcpus, per vCPU u64 PROPBASER, u64 PENDBASER; u32 the
 * number of ITS registers, then each as {u32 offset, u64 value} in
 * restore order.
 */

#define GITS_CTLR     0x0000
#define GITS_IIDR     0x0004
#define GITS_CBASER   0x0080
#define GITS_CWRITER  0x0088
#define GITS_CREADR   0x0090
#define GITS_BASER(n) (0x0100 + 8 * (n))
#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078

static const uint32_t its_order[ITS_NR_REGS] = {
    GITS_IIDR,	   GITS_CBASER,	   GITS_CREADR,	   GITS_CWRITER,
    GITS_BASER(0), GITS_BASER(1),  GITS_BASER(2),  GITS_BASER(3),
    GITS_BASER(4), GITS_BASER(5),  GITS_BASER(6),  GITS_BASER(7),
    GITS_CTLR,
};

static const char *its_name(uint32_t off)
{
	static const char *const baser[8] = {
	    "GITS_BASER0", "GITS_BASER1", "GITS_BASER2", "GITS_BASER3",
	    "GITS_BASER4", "GITS_BASER5", "GITS_BASER6", "GITS_BASER7"};

	switch (off) {
	case GITS_CTLR:
		return "GITS_CTLR";
	case GITS_IIDR:
		return "GITS_IIDR";
	case GITS_CBASER:
		return "GITS_CBASER";
	case GITS_CWRITER:
		return "GITS_CWRITER";
	case GITS_CREADR:
		return "GITS_CREADR";
	}
	return off >= GITS_BASER(0) && off < GITS_BASER(8)
		   ? baser[(off - GITS_BASER(0)) / 8]
		   : "?";
}

static int attr_io(int fd, bool set, uint32_t group, uint64_t attr, void *val)
{
	struct kvma_device_attr a = {
	    .group = group, .attr = attr, .addr = (uintptr_t)val};
	long ret = kvm_device_ioctl(fd,
				    set ? KVMA_SET_DEVICE_ATTR
					: KVMA_GET_DEVICE_ATTR,
				    &a);

	return ret < 0 ? (int)ret : 0;
}

static int ctrl(int fd, const char *dev, uint64_t what, const char *name)
{
	int ret = attr_io(fd, true, KVMA_VGIC_GRP_CTRL, what, NULL);

	if (ret)
		pr_err("%s: %s: %s", dev, name, strerror(-ret));
	return ret;
}

static int its_reg(struct vm *vm, bool set, uint32_t off, uint64_t *val)
{
	int ret = attr_io(vm->arch->its_fd, set, KVMA_VGIC_GRP_ITS_REGS, off,
			  val);

	if (ret)
		pr_err("ITS: %s %s: %s", set ? "writing" : "reading",
		       its_name(off), strerror(-ret));
	return ret;
}

/* A 64-bit redistributor register as two u32 halves, low first. */
static int rd64(struct vm *vm, bool set, uint64_t mpidr, uint32_t off,
		uint64_t *val)
{
	uint64_t aff = vgic_attr_from_mpidr(mpidr);
	uint32_t half[2] = {(uint32_t)*val, (uint32_t)(*val >> 32)};
	int ret = 0;

	for (unsigned int k = 0; k < 2 && !ret; k++)
		ret = attr_io(vm->arch->gic_fd, set, KVMA_VGIC_GRP_REDIST_REGS,
			      aff | FIELD_PREP(KVM_VGIC_V3_ATTR_OFFSET,
					       off + 4 * k),
			      &half[k]);
	if (ret)
		pr_err("vGIC: %s %s of MPIDR 0x%" PRIx64 ": %s",
		       set ? "writing" : "reading",
		       off == GICR_PROPBASER ? "GICR_PROPBASER"
					     : "GICR_PENDBASER",
		       mpidr, strerror(-ret));
	else if (!set)
		*val = (uint64_t)half[1] << 32 | half[0];
	return ret;
}

static int its_alloc(struct its_state *s, unsigned int nr_vcpus)
{
	memset(s, 0, sizeof(*s));
	s->nr_vcpus = nr_vcpus;
	s->lpi = calloc(nr_vcpus ? nr_vcpus : 1, sizeof(*s->lpi));
	return s->lpi ? 0 : -ENOMEM;
}

void its_state_free(struct its_state *s)
{
	free(s->lpi);
	s->lpi = NULL;
}

static int its_read(struct vm *vm, const uint64_t *mpidr, struct its_state *s)
{
	int ret = its_alloc(s, vm->nr_vcpus);

	for (unsigned int i = 0; i < s->nr_vcpus && !ret; i++) {
		ret = rd64(vm, false, mpidr[i], GICR_PROPBASER,
			   &s->lpi[i].propbaser);
		if (!ret)
			ret = rd64(vm, false, mpidr[i], GICR_PENDBASER,
				   &s->lpi[i].pendbaser);
	}
	for (unsigned int k = 0; k < ITS_NR_REGS && !ret; k++)
		ret = its_reg(vm, false, its_order[k], &s->regs[k]);
	if (ret)
		its_state_free(s);
	return ret;
}

int its_state_save(struct vm *vm, const uint64_t *mpidr, struct its_state *s)
{
	int ret = ctrl(vm->arch->gic_fd, "vGIC", KVMA_VGIC_CTRL_SAVE_PENDING_TABLES,
		       "SAVE_PENDING_TABLES");

	if (!ret)
		ret = ctrl(vm->arch->its_fd, "ITS", KVMA_ITS_CTRL_SAVE_TABLES,
			   "SAVE_TABLES");
	return ret ? ret : its_read(vm, mpidr, s);
}

void its_state_encode(const struct its_state *s, struct sbuf *b)
{
	sbuf_put_u32(b, s->nr_vcpus);
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		sbuf_put_u64(b, s->lpi[i].propbaser);
		sbuf_put_u64(b, s->lpi[i].pendbaser);
	}
	sbuf_put_u32(b, ITS_NR_REGS);
	for (unsigned int k = 0; k < ITS_NR_REGS; k++) {
		sbuf_put_u32(b, its_order[k]);
		sbuf_put_u64(b, s->regs[k]);
	}
}

#define bad(fmt, ...)                                                          \
	(pr_err("snapshot section ARCH_VM: ITS state: " fmt, ##__VA_ARGS__),   \
	 -EINVAL)

static int decode_body(struct sbuf_reader *r, struct its_state *s)
{
	uint32_t n;

	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		s->lpi[i].propbaser = sbuf_get_u64(r);
		s->lpi[i].pendbaser = sbuf_get_u64(r);
	}
	n = sbuf_get_u32(r);
	if (r->err)
		return bad("truncated");
	if (n != ITS_NR_REGS)
		return bad("%u registers, this build saves %u", n,
			   ITS_NR_REGS);
	for (unsigned int k = 0; k < ITS_NR_REGS; k++) {
		uint32_t off = sbuf_get_u32(r);

		s->regs[k] = sbuf_get_u64(r);
		if (r->err)
			return bad("truncated");
		if (off != its_order[k])
			return bad("register %u is at offset 0x%x, not %s", k,
				   off, its_name(its_order[k]));
	}
	return sbuf_reader_done(r) ? bad("%zu bytes left over", r->len - r->pos)
				   : 0;
}

int its_state_decode(const void *data, size_t len, unsigned int nr_vcpus,
		     struct its_state *s)
{
	struct sbuf_reader r;
	uint32_t n;
	int ret;

	memset(s, 0, sizeof(*s));
	sbuf_reader_init(&r, data, len);
	n = sbuf_get_u32(&r);
	if (r.err)
		return bad("truncated");
	if (n != nr_vcpus)
		return bad("%u vCPUs, this VM has %u", n, nr_vcpus);
	if (n > (len - r.pos) / 16)
		return bad("truncated redistributor registers");
	ret = its_alloc(s, n);
	if (!ret)
		ret = decode_body(&r, s);
	if (ret)
		its_state_free(s);
	return ret;
}

int its_state_restore_lpi(struct vm *vm, const struct its_state *s,
			  unsigned int i, uint64_t mpidr)
{
	uint64_t prop = s->lpi[i].propbaser, pend = s->lpi[i].pendbaser;
	int ret = rd64(vm, true, mpidr, GICR_PROPBASER, &prop);

	return ret ? ret : rd64(vm, true, mpidr, GICR_PENDBASER, &pend);
}

int its_state_restore(struct vm *vm, const struct its_state *s)
{
	int ret = ctrl(vm->arch->its_fd, "ITS", KVMA_VGIC_CTRL_INIT,
		       "CTRL_INIT");

	for (unsigned int k = 0; k + 1 < ITS_NR_REGS && !ret; k++) {
		uint64_t v = s->regs[k];

		ret = its_reg(vm, true, its_order[k], &v);
	}
	if (!ret)
		ret = ctrl(vm->arch->its_fd, "ITS", KVMA_ITS_CTRL_RESTORE_TABLES,
			   "RESTORE_TABLES");
	if (!ret) {
		uint64_t v = s->regs[ITS_NR_REGS - 1];

		ret = its_reg(vm, true, GITS_CTLR, &v);
	}
	return ret;
}

int its_state_verify(struct vm *vm, const uint64_t *mpidr,
		     const struct its_state *s)
{
	struct its_state now;
	unsigned int bad = 0;
	int ret = its_read(vm, mpidr, &now);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < s->nr_vcpus; i++)
		if (memcmp(&now.lpi[i], &s->lpi[i], sizeof(now.lpi[i]))) {
			pr_warn("ITS read-back: vCPU %u GICR_PROPBASER "
				"0x%" PRIx64 " PENDBASER 0x%" PRIx64
				", saved 0x%" PRIx64 " 0x%" PRIx64,
				i, now.lpi[i].propbaser, now.lpi[i].pendbaser,
				s->lpi[i].propbaser, s->lpi[i].pendbaser);
			bad++;
		}
	for (unsigned int k = 0; k < ITS_NR_REGS; k++)
		if (now.regs[k] != s->regs[k]) {
			pr_warn("ITS read-back: %s 0x%" PRIx64
				", saved 0x%" PRIx64,
				its_name(its_order[k]), now.regs[k],
				s->regs[k]);
			bad++;
		}
	its_state_free(&now);
	return (int)bad;
}

bool its_state_enabled(const struct its_state *s)
{
	return s->regs[ITS_NR_REGS - 1] & 1;
}
