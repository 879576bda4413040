/* test_arm64_vmcr.c: vGIC CPU interface state to and from ICH_VMCR_EL2 (GICv3, GICv5), CPU_SYSREGS values, attrs and the dump line. */
#include <errno.h>
#include <stdbool.h>

#include "unit.h"
#include "vgic_vmcr.h"

static char err[256];

static struct vgic_cpu_if example(void)
{
	return (struct vgic_cpu_if){.pmr = 0xf0,
				    .bpr0 = 2,
				    .bpr1 = 3,
				    .igrpen0 = 0,
				    .igrpen1 = 1,
				    .ctlr_eoimode = 1,
				    .ctlr_cbpr = 0};
}

static bool same(const struct vgic_cpu_if *a, const struct vgic_cpu_if *b)
{
	return a->pmr == b->pmr && a->bpr0 == b->bpr0 && a->bpr1 == b->bpr1 &&
	       a->igrpen0 == b->igrpen0 && a->igrpen1 == b->igrpen1 &&
	       a->ctlr_eoimode == b->ctlr_eoimode &&
	       a->ctlr_cbpr == b->ctlr_cbpr;
}

/* Hand-computed: VPMR 0xf0<<24, VBPR0 2<<21, VBPR1 3<<18, VEOIM 1<<9,
 * VFIQEn 1<<3 (RES1 with SRE), VENG1 1<<1. */
static void test_v3_pack(void)
{
	struct vgic_cpu_if s = example();
	struct vgic_cpu_if t = {
	    .pmr = 0x80, .bpr0 = 7, .bpr1 = 7, .igrpen0 = 1, .ctlr_cbpr = 1};
	uint64_t v = 0;

	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V3, &s, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0xf0000000ULL | 0x400000 | 0xc0000 | 0x200 | 0x8 | 0x2);
	CHECK_EQ(v, 0xf04c020aULL);
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V3, &t, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0x80fc0019ULL);
}

static void test_v3_unpack(void)
{
	struct vgic_cpu_if want = example(), s;

	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V3, 0xf04c020aULL, &s, err,
				  sizeof(err)),
		 0);
	CHECK(same(&s, &want));
	/* VFIQEn and VAckCtl are not state: either value is accepted. */
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V3, 0xf04c0206ULL, &s, err,
				  sizeof(err)),
		 0);
	CHECK(same(&s, &want));
	/* RES0 bits: 12 (in [17:10]), 5 (in [8:5]), 32. */
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V3, 0xf04c120aULL, &s, err,
				  sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "RES0") != NULL);
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V3, 0x20, &s, err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(
	    vgic_vmcr_unpack(VGIC_LAYOUT_V3, 1ULL << 32, &s, err, sizeof(err)),
	    -EINVAL);
}

static void test_v3_round_trip(void)
{
	unsigned int bad = 0;

	for (unsigned int pmr = 0; pmr < 256; pmr += 15)
		for (unsigned int b = 0; b < 64; b++)
			for (unsigned int f = 0; f < 16; f++) {
				struct vgic_cpu_if
				    s =
					{
					    .pmr = (uint8_t)pmr,
					    .bpr0 = (uint8_t)(b & 7),
					    .bpr1 = (uint8_t)(b >> 3),
					    .igrpen0 = f & 1,
					    .igrpen1 = (f >> 1) & 1,
					    .ctlr_eoimode = (f >> 2) & 1,
					    .ctlr_cbpr = (f >> 3) & 1,
					},
				    t;
				uint64_t v;

				if (vgic_vmcr_pack(VGIC_LAYOUT_V3, &s, &v, err,
						   sizeof(err)) ||
				    vgic_vmcr_unpack(VGIC_LAYOUT_V3, v, &t, err,
						     sizeof(err)) ||
				    !same(&s, &t))
					bad++;
			}
	CHECK_EQ(bad, 0);
}

static void test_v3_errors(void)
{
	struct vgic_cpu_if s = example();
	uint64_t v = 0x1234;

	s.bpr0 = 8;
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V3, &s, &v, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "bpr0 = 8") && strstr(err, "ICH_VMCR_EL2_VBPR0"));
	CHECK_EQ(v, 0x1234); /* untouched on error */
	s = example();
	s.igrpen1 = 2;
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V3, &s, &v, err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(vgic_vmcr_pack((enum vgic_layout)7, &s, &v, err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(vgic_vmcr_unpack((enum vgic_layout)7, 0, &s, err, sizeof(err)),
		 -EINVAL);
}

/* GICv5: VPMR[31:27] holds pmr[7:3], EN[0] holds igrpen1. */
static void test_v5(void)
{
	struct vgic_cpu_if s = {.pmr = 0xf8, .igrpen1 = 1}, t;
	uint64_t v = 0;

	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V5, &s, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0xf8000001ULL); /* VPMR 0x1f << 27 | EN */
	CHECK_EQ((v >> 27) & 0x1f, 0x1f);
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V5, v, &t, err, sizeof(err)), 0);
	CHECK(same(&s, &t));
	s.pmr = 0xff; /* the low 3 bits have no home */
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V5, &s, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0xf8000001ULL);
	s = (struct vgic_cpu_if){.pmr = 0x08};
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V5, &s, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0x08000000ULL);
	/* GICv3-only state is refused, not dropped. */
	s = example();
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V5, &s, &v, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "no field for bpr0") != NULL);
	s = (struct vgic_cpu_if){.pmr = 0xf8, .ctlr_eoimode = 1};
	CHECK_EQ(vgic_vmcr_pack(VGIC_LAYOUT_V5, &s, &v, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "ctlr_eoimode") != NULL);
	/* RES0 [26:1]: a GICv3 image is not a GICv5 one. */
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V5, 0xf04c020aULL, &t, err,
				  sizeof(err)),
		 -EINVAL);
	CHECK_EQ(vgic_vmcr_unpack(VGIC_LAYOUT_V5, 0x2, &t, err, sizeof(err)),
		 -EINVAL);
	for (uint64_t x = 0; x < 64; x++) {
		uint64_t img = (x >> 1) << 27 | (x & 1), back = ~0ULL;

		CHECK_EQ(
		    vgic_vmcr_unpack(VGIC_LAYOUT_V5, img, &t, err, sizeof(err)),
		    0);
		CHECK_EQ(
		    vgic_vmcr_pack(VGIC_LAYOUT_V5, &t, &back, err, sizeof(err)),
		    0);
		CHECK_EQ(back, img);
	}
}

static void test_regs(void)
{
	struct vgic_cpu_if s = example(), t = {0};
	struct vgic_sysreg_val r[VGIC_CPU_IF_NR_REGS];
	/* PRIbits 4 (5 bits), A3V, and CBPR set before the write. */
	uint64_t ctlr_now = 0x8401;
	int n;

	n = vgic_cpu_if_to_regs(&s, ctlr_now, r, err, sizeof(err));
	CHECK_EQ(n, 6);
	CHECK_EQ(r[0].instr, 0xc664);
	CHECK_EQ(r[0].val, 0x8402); /* RO fields kept, EOImode 1, CBPR 0 */
	CHECK_EQ(r[1].instr, 0xc666);
	CHECK_EQ(r[1].val, 0);
	CHECK_EQ(r[2].instr, 0xc667);
	CHECK_EQ(r[2].val, 1);
	CHECK_EQ(r[3].instr, 0xc230);
	CHECK_EQ(r[3].val, 0xf0);
	CHECK_EQ(r[4].instr, 0xc643);
	CHECK_EQ(r[4].val, 2);
	CHECK_EQ(r[5].instr, 0xc663);
	CHECK_EQ(r[5].val, 3);
	for (int i = 0; i < n && i < VGIC_CPU_IF_NR_REGS; i++)
		CHECK_EQ(vgic_cpu_if_from_reg(&t, r[i].instr, r[i].val, err,
					      sizeof(err)),
			 0);
	CHECK(same(&s, &t));
	CHECK_EQ(vgic_cpu_if_from_reg(&t, 0xc665, 7, err, sizeof(err)),
		 -ENOENT);
	CHECK_EQ(vgic_cpu_if_from_reg(&t, 0xc230, 0x1f0, err, sizeof(err)),
		 -EINVAL);
	s.bpr1 = 9;
	CHECK_EQ(vgic_cpu_if_to_regs(&s, ctlr_now, r, err, sizeof(err)),
		 -EINVAL);
}

static void test_encodings(void)
{
	CHECK_EQ(arm64_sysreg_instr(3, 0, 4, 6, 0), 0xc230);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 12, 8, 3), 0xc643);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 12, 8, 7), 0xc647); /* AP0R3 */
	CHECK_EQ(arm64_sysreg_instr(3, 0, 12, 9, 0), 0xc648); /* AP1R0 */
	CHECK_EQ(arm64_sysreg_instr(3, 0, 12, 12, 3), 0xc663);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 12, 12, 7), 0xc667);
	CHECK_EQ(arm64_sysreg_instr(3, 4, 12, 11, 7), 0xe65f);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 0, 0, 5), 0xc005); /* MPIDR_EL1 */
	CHECK_EQ(arm64_sysreg_instr(4, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(arm64_sysreg_instr(3, 8, 0, 0, 0), -EINVAL);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 16, 0, 0), -EINVAL);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 0, 16, 0), -EINVAL);
	CHECK_EQ(arm64_sysreg_instr(3, 0, 0, 0, 8), -EINVAL);
}

static void test_attrs(void)
{
	uint64_t mpidr = 0x000000ab80cdef12ULL; /* Aff3 ab, U/MT 0 */

	CHECK_EQ(vgic_attr_from_mpidr(mpidr), 0xabcdef1200000000ULL);
	CHECK_EQ(vgic_cpu_sysreg_attr(mpidr, 0xc230), 0xabcdef120000c230ULL);
	/* U, MT and RES1 bit 31 do not leak into the attr. */
	CHECK_EQ(vgic_attr_from_mpidr(0xc1000003ULL), 0x0000000300000000ULL);
	CHECK_EQ(vgic_cpu_sysreg_attr(0x80000001ULL, 0xc667),
		 0x000000010000c667ULL);
	CHECK_EQ(arm64_kvm_default_mpidr(0), 0x80000000ULL);
	CHECK_EQ(arm64_kvm_default_mpidr(15), 0x8000000fULL);
	CHECK_EQ(arm64_kvm_default_mpidr(17), 0x80000101ULL);
	CHECK_EQ(arm64_kvm_default_mpidr(4096 + 16 * 3 + 5), 0x80010305ULL);
}

static void test_format(void)
{
	struct vgic_cpu_if s = example(), v5 = {.pmr = 0xf8, .igrpen1 = 1};
	char buf[160];
	int n;

	n = vgic_cpu_if_format(VGIC_LAYOUT_V3, 0x80000001ULL, &s, buf,
			       sizeof(buf));
	CHECK_STR(buf, "gic-cpu 0.0.0.1 v3: pmr=0xf0 bpr0=2 bpr1=3 grpen0=0 "
		       "grpen1=1 eoimode=1 cbpr=0 vmcr=0x00000000f04c020a");
	CHECK_EQ(n, strlen(buf));
	vgic_cpu_if_format(VGIC_LAYOUT_V5, 0x0000000180020304ULL, &v5, buf,
			   sizeof(buf));
	CHECK_STR(buf, "gic-cpu 1.2.3.4 v5: pmr=0xf8 en=1 "
		       "vmcr=0x00000000f8000001");
	vgic_cpu_if_format(VGIC_LAYOUT_V5, 0, &s, buf, sizeof(buf));
	CHECK(strstr(buf, "vmcr=? (") != NULL);
	n = vgic_cpu_if_format(VGIC_LAYOUT_V3, 0, &s, buf, 10);
	CHECK_EQ(strlen(buf), 9);
	CHECK(n > 9);
}

int main(void)
{
	test_v3_pack();
	test_v3_unpack();
	test_v3_round_trip();
	test_v3_errors();
	test_v5();
	test_regs();
	test_encodings();
	test_attrs();
	test_format();
	return unit_done("arm64_vmcr");
}
