/* test_riscv_fdt.c: builds the riscv guest device tree (PLIC and AIA) and reads it back with libfdt: ISA strings from KVM bitmaps, timebase, phandles, interrupts-extended, devices, the PCI host, chosen, errors. */
#include <errno.h>
#include <stdlib.h>

#include <libfdt.h>

#include "fdt_check.h"
#include "isa.h"
#include "kvm_riscv.h"
#include "riscv.h"
#include "riscv_fdt.h"
#include "unit.h"
#include "util.h"

#define L(c) (1ULL << ((c) - 'a'))
#define IMAFDC (L('i') | L('m') | L('a') | L('f') | L('d') | L('c'))
#define EXT(id) [(id) / 64] = 1ULL << ((id) % 64)

static char err[256];
static uint8_t blob[RISCV_FDT_MAX_SIZE];

static const struct riscv_fdt_mmio mmio[2] = {
    {0x10001000, 0x200, 2}, {0x10002000, 0x200, 3}};

static struct riscv_fdt_cfg config(unsigned int nr, enum riscv_irqchip chip)
{
	struct riscv_fdt_cfg c = {
	    .ram_base = RISCV_RAM_BASE,
	    .ram_size = 256ULL << 20,
	    .nr_cpus = nr,
	    .xlen = 64,
	    .isa = IMAFDC | L('s') | L('u'),
	    .satp_mode = KVMR_SATP_MODE_SV48,
	    .timebase_hz = 10000000,
	    .cbom_block_size = 64,
	    .irqchip = chip,
	    .irqchip_base = RISCV_IRQCHIP_BASE,
	    .irqchip_size = chip == RISCV_IRQCHIP_AIA ? RISCV_APLIC_SIZE
						      : RISCV_PLIC_SIZE(nr),
	    .nr_sources = RISCV_NR_SOURCES,
	    .imsic_base = RISCV_IMSIC_BASE,
	    .imsic_nr_ids = RISCV_IMSIC_NR_IDS,
	    .uart_base = RISCV_UART_BASE,
	    .uart_size = RISCV_UART_SIZE,
	    .uart_irq = RISCV_UART_IRQ,
	    .uart_clock = RISCV_UART_CLOCK,
	    .mmio = mmio,
	    .nr_mmio = 2,
	    .bootargs = "console=ttyS0 earlycon=sbi",
	    .initrd_start = 0x88000000,
	    .initrd_size = 0x123000,
	};

	c.isa_ext[KVMR_ISA_EXT_ZICSR / 64] |= 1ULL << KVMR_ISA_EXT_ZICSR;
	c.isa_ext[0] |= 1ULL << KVMR_ISA_EXT_ZIFENCEI |
			1ULL << KVMR_ISA_EXT_SSTC | 1ULL << KVMR_ISA_EXT_ZBB |
			1ULL << KVMR_ISA_EXT_ZBA | 1ULL << KVMR_ISA_EXT_ZICBOM |
			1ULL << KVMR_ISA_EXT_ZIHINTPAUSE |
			1ULL << KVMR_ISA_EXT_SVPBMT | 1ULL << KVMR_ISA_EXT_ZFH |
			1ULL << KVMR_ISA_EXT_A | 1ULL << KVMR_ISA_EXT_I;
	c.isa_ext[1] |= 1ULL << (KVMR_ISA_EXT_ZICBOP - 64) |
			1ULL << (KVMR_ISA_EXT_KNOWN - 64); /* unknown: skipped */
	return c;
}

static int build(const struct riscv_fdt_cfg *c)
{
	return riscv_fdt_build(c, blob, sizeof(blob), err, sizeof(err));
}

static void test_isa_strings(void)
{
	struct riscv_fdt_cfg c = config(1, RISCV_IRQCHIP_PLIC);
	uint64_t none[RISCV_ISA_EXT_WORDS] = {0};
	uint64_t all[RISCV_ISA_EXT_WORDS] = {~0ULL, ~0ULL};
	char s[1024];

	CHECK_EQ(riscv_isa_string(64, IMAFDC, none, s, sizeof(s)), 10);
	CHECK_STR(s, "rv64imafdc");
	CHECK_EQ(riscv_isa_string(64, c.isa, c.isa_ext, s, sizeof(s)), 75);
	CHECK_STR(s, "rv64imafdc_zicbom_zicbop_zicsr_zifencei_zihintpause_"
		     "zfh_zba_zbb_sstc_svpbmt");
	CHECK(riscv_isa_string(32, L('i') | L('v') | L('h') | L('c'), none, s,
			       sizeof(s)) > 0);
	CHECK_STR(s, "rv32icvh");
	CHECK_EQ(riscv_isa_string(64, L('m'), none, s, sizeof(s)), -EINVAL);
	CHECK_EQ(riscv_isa_string(128, IMAFDC, none, s, sizeof(s)), -EINVAL);
	CHECK_EQ(riscv_isa_string(64, IMAFDC, none, s, 10), -ENOSPC);
	CHECK_EQ(riscv_isa_string(64, IMAFDC, none, s, 11), 10);
	/* Every known extension fits the builder's buffer. */
	CHECK(riscv_isa_string(64, ~0ULL, all, s, sizeof(s)) > 0);
	CHECK(strstr(s, "rv64imafdqlcbkjtpvh_zicbom") == s);
	CHECK(strstr(s, "_zvkt_") && strstr(s, "_zicboz_") &&
	      strstr(s, "_smstateen_") && strstr(s, "_svvptc"));
	CHECK(strstr(s, "_zaamo") < strstr(s, "_zfa") &&
	      strstr(s, "_zfa") < strstr(s, "_zca") &&
	      strstr(s, "_zca") < strstr(s, "_zba") &&
	      strstr(s, "_zkr") < strstr(s, "_ztso") &&
	      strstr(s, "_ztso") < strstr(s, "_zvbb") &&
	      strstr(s, "_zvbb") < strstr(s, "_smnpm"));
	CHECK_EQ(riscv_isa_ext_list(IMAFDC, none, s, sizeof(s)), 12);
	CHECK(!memcmp(s, "i\0m\0a\0f\0d\0c\0", 12));
	CHECK_STR(riscv_mmu_type(64, 8), "riscv,sv39");
	CHECK_STR(riscv_mmu_type(64, 10), "riscv,sv57");
	CHECK_STR(riscv_mmu_type(64, 0), "riscv,none");
	CHECK_STR(riscv_mmu_type(32, 1), "riscv,sv32");
	CHECK(riscv_mmu_type(64, 1) == NULL);
	CHECK(riscv_mmu_type(64, 11) == NULL);
	CHECK(riscv_mmu_type(32, 8) == NULL);
	CHECK_EQ(riscv_imsic_hart_bits(1), 0);
	CHECK_EQ(riscv_imsic_hart_bits(2), 1);
	CHECK_EQ(riscv_imsic_hart_bits(3), 2);
	CHECK_EQ(riscv_imsic_hart_bits(4), 2);
	CHECK_EQ(riscv_imsic_hart_bits(5), 3);
	CHECK_EQ(riscv_imsic_hart_bits(64), 6);
}

/* The hart-local controller that a phandle names must be hart n's. */
static void check_s_ext(const char *path, unsigned int nr)
{
	char want[64];

	CHECK_EQ(prop_len(path, "interrupts-extended"), 8 * nr);
	for (unsigned int i = 0; i < nr; i++) {
		uint32_t ph = cell(path, "interrupts-extended", 2 * i);
		int off = fdt_node_offset_by_phandle(blob, ph);

		snprintf(want, sizeof(want), "/cpus/cpu@%x/interrupt-controller",
			 i);
		CHECK_EQ(off, node(want));
		CHECK_EQ(cell(path, "interrupts-extended", 2 * i + 1), 9);
	}
}

static void test_plic(void)
{
	struct riscv_fdt_cfg c = config(4, RISCV_IRQCHIP_PLIC);
	const char *plic = "/plic@c000000";
	int off;

	CHECK_EQ(build(&c), 0);
	CHECK_EQ(fdt_check_header(blob), 0);
	CHECK_EQ(cell64("/memory@80000000", "reg", 0), RISCV_RAM_BASE);
	CHECK_EQ(cell64("/memory@80000000", "reg", 1), 256ULL << 20);
	CHECK_EQ(cell("/cpus", "timebase-frequency", 0), 10000000);
	CHECK_EQ(cell("/cpus", "#address-cells", 0), 1);
	CHECK_EQ(cell("/cpus/cpu@3", "reg", 0), 3);
	CHECK(str_is("/cpus/cpu@2", "riscv,isa",
		     "rv64imafdc_zicbom_zicbop_zicsr_zifencei_zihintpause_zfh_"
		     "zba_zbb_sstc_svpbmt"));
	CHECK(str_is("/cpus/cpu@2", "riscv,isa-base", "rv64i"));
	CHECK(str_is("/cpus/cpu@0", "mmu-type", "riscv,sv48"));
	CHECK(str_is("/cpus/cpu@0", "compatible", "riscv"));
	CHECK_EQ(cell("/cpus/cpu@0", "riscv,cbom-block-size", 0), 64);
	CHECK_EQ(prop_len("/cpus/cpu@0", "riscv,cboz-block-size"), -1);
	off = node("/cpus/cpu@1");
	CHECK_EQ(fdt_stringlist_count(blob, off, "riscv,isa-extensions"), 16);
	CHECK(!strcmp(fdt_stringlist_get(blob, off, "riscv,isa-extensions", 0,
					 NULL), "i"));
	CHECK(!strcmp(fdt_stringlist_get(blob, off, "riscv,isa-extensions", 6,
					 NULL), "zicbom"));
	CHECK_EQ(fdt_stringlist_search(blob, off, "riscv,isa-extensions",
				       "svpbmt"), 15);
	CHECK(str_is("/cpus/cpu@1/interrupt-controller", "compatible",
		     "riscv,cpu-intc"));
	CHECK_EQ(cell("/cpus/cpu@1/interrupt-controller", "#interrupt-cells",
		      0), 1);
	CHECK_EQ(prop_len("/cpus/cpu@1/interrupt-controller",
			  "interrupt-controller"), 0);
	CHECK_EQ(fdt_node_check_compatible(blob, node(plic),
					   "sifive,plic-1.0.0"), 0);
	CHECK_EQ(fdt_node_check_compatible(blob, node(plic), "riscv,plic0"),
		 0);
	CHECK_EQ(cell(plic, "riscv,ndev", 0), 63);
	CHECK_EQ(cell(plic, "#interrupt-cells", 0), 1);
	CHECK_EQ(cell64(plic, "reg", 1), 0x204000);
	check_s_ext(plic, 4);
	/* Devices name the PLIC; nothing is inherited from the root (the
	 * harts' cpu-intc nodes must have no parent). */
	CHECK_EQ(prop_len("/", "interrupt-parent"), -1);
	CHECK_EQ(fdt_node_offset_by_phandle(
		     blob, cell("/serial@10000000", "interrupt-parent", 0)),
		 node(plic));
	CHECK_EQ(fdt_node_offset_by_phandle(
		     blob, cell("/virtio_mmio@10001000", "interrupt-parent", 0)),
		 node(plic));
	CHECK_EQ(prop_len("/serial@10000000", "interrupts"), 4);
	CHECK_EQ(cell("/serial@10000000", "interrupts", 0), 1);
	CHECK_EQ(cell("/serial@10000000", "clock-frequency", 0), 1843200);
	CHECK(str_is("/virtio_mmio@10002000", "compatible", "virtio,mmio"));
	CHECK_EQ(cell64("/virtio_mmio@10002000", "reg", 0), 0x10002000);
	CHECK_EQ(cell("/virtio_mmio@10002000", "interrupts", 0), 3);
	CHECK_EQ(cell("/virtio_mmio@10001000", "interrupts", 0), 2);
	CHECK(str_is("/chosen", "stdout-path", "/serial@10000000"));
	CHECK(str_is("/chosen", "bootargs", "console=ttyS0 earlycon=sbi"));
	CHECK_EQ(cell64("/chosen", "linux,initrd-start", 0), 0x88000000);
	CHECK_EQ(cell64("/chosen", "linux,initrd-end", 0), 0x88123000);
}

static void test_aia(void)
{
	struct riscv_fdt_cfg c = config(3, RISCV_IRQCHIP_AIA);
	const char *imsic = "/imsics@28000000", *aplic = "/aplic@c000000";

	c.initrd_size = 0;
	c.bootargs = NULL;
	CHECK_EQ(build(&c), 0);
	CHECK(str_is(imsic, "compatible", "riscv,imsics"));
	CHECK_EQ(prop_len(imsic, "msi-controller"), 0);
	CHECK_EQ(cell(imsic, "#interrupt-cells", 0), 0);
	CHECK_EQ(cell(imsic, "riscv,num-ids", 0), 255);
	CHECK_EQ(cell(imsic, "riscv,hart-index-bits", 0), 2);
	CHECK_EQ(cell64(imsic, "reg", 1), 3 * 0x1000);
	check_s_ext(imsic, 3);
	CHECK(str_is(aplic, "compatible", "riscv,aplic"));
	CHECK_EQ(cell(aplic, "#interrupt-cells", 0), 2);
	CHECK_EQ(cell(aplic, "riscv,num-sources", 0), 63);
	CHECK_EQ(cell64(aplic, "reg", 1), 0x4000);
	CHECK_EQ(fdt_node_offset_by_phandle(blob, cell(aplic, "msi-parent", 0)),
		 node(imsic));
	CHECK_EQ(prop_len(aplic, "interrupts-extended"), -1);
	CHECK_EQ(prop_len("/", "interrupt-parent"), -1);
	CHECK_EQ(fdt_node_offset_by_phandle(
		     blob, cell("/serial@10000000", "interrupt-parent", 0)),
		 node(aplic));
	CHECK_EQ(prop_len("/serial@10000000", "interrupts"), 8);
	CHECK_EQ(cell("/serial@10000000", "interrupts", 1), 4);
	CHECK_EQ(cell("/virtio_mmio@10001000", "interrupts", 0), 2);
	CHECK_EQ(prop_len("/chosen", "bootargs"), -1);
	CHECK_EQ(prop_len("/chosen", "linux,initrd-start"), -1);
	CHECK(fdt_path_offset(blob, "/plic@c000000") < 0);
}

/* The largest tree: every hart, every extension, fits the fixed size. */
static void test_max(void)
{
	struct riscv_fdt_cfg c = config(RISCV_MAX_CPUS, RISCV_IRQCHIP_PLIC);

	c.isa = ~0ULL;
	c.isa_ext[0] = c.isa_ext[1] = ~0ULL;
	CHECK_EQ(build(&c), 0);
	check_s_ext("/plic@c000000", RISCV_MAX_CPUS);
	c.irqchip = RISCV_IRQCHIP_AIA;
	CHECK_EQ(build(&c), 0);
	CHECK_EQ(cell("/imsics@28000000", "riscv,hart-index-bits", 0), 6);
}

static void expect_einval(const struct riscv_fdt_cfg *c, const char *needle)
{
	CHECK_EQ(build(c), -EINVAL);
	if (!strstr(err, needle))
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, needle);
	CHECK(strstr(err, needle) != NULL);
}

/*
 * The PCI host (--virtio-transport pci): ECAM for bus 0, the 32-bit window
 * up to RAM, INTx of 4 slots x 4 pins to wired sources 60-63 as wiring.c
 * raises them, with the PLIC's one cell or the APLIC's two; no MSI.
 */
static void test_pci(enum riscv_irqchip chip)
{
	struct riscv_fdt_cfg c = config(2, chip);
	const char *pci = "/pcie@30000000";
	const char *ic = chip == RISCV_IRQCHIP_AIA ? "/aplic@c000000"
						   : "/plic@c000000";
	int cells = chip == RISCV_IRQCHIP_AIA ? 2 : 1, len = 5 + cells;

	CHECK_EQ(build(&c), 0);
	CHECK(fdt_path_offset(blob, pci) < 0); /* only when asked for */
	c.pci = true;
	CHECK_EQ(build(&c), 0);
	check_pci_ecam(pci, 0x30000000, 0x40000000, 0x40000000);
	CHECK_EQ(prop_len(pci, "msi-parent"), -1);
	CHECK_EQ(prop_len(pci, "interrupt-parent"), -1);
	CHECK_EQ(prop_len(pci, "interrupt-map"), 16 * len * 4);
	for (unsigned int slot = 0; slot < 4; slot++)
		for (unsigned int pin = 1; pin <= 4; pin++) {
			int e = (int)(slot * 4 + pin - 1) * len;
			uint32_t src = cell(pci, "interrupt-map", e + 5);

			CHECK_EQ(cell(pci, "interrupt-map", e), slot << 11);
			CHECK_EQ(cell(pci, "interrupt-map", e + 1), 0);
			CHECK_EQ(cell(pci, "interrupt-map", e + 2), 0);
			CHECK_EQ(cell(pci, "interrupt-map", e + 3), pin);
			CHECK_EQ(fdt_node_offset_by_phandle(
				     blob, cell(pci, "interrupt-map", e + 4)),
				 node(ic));
			CHECK_EQ(src, 60 + (slot + pin - 1) % 4);
			CHECK_EQ(src, riscv_pci_intx_irq(slot + 4, pin - 1));
			if (cells == 2)
				CHECK_EQ(cell(pci, "interrupt-map", e + 6), 4);
		}
	/* The PLIC routes those sources; nothing else uses them. */
	CHECK_EQ(cell(ic, "#address-cells", 0), 0);
	CHECK_EQ(cell(ic, "#interrupt-cells", 0), (uint32_t)cells);
	CHECK(RISCV_PCI_INTX_IRQ + RISCV_PCI_INTX_LINES - 1 <= RISCV_NR_SOURCES);
	CHECK(RISCV_PCI_INTX_IRQ > RISCV_PLATFORM_IRQ_LAST);
	CHECK(RISCV_PCI_INTX_IRQ > RISCV_UART_IRQ);
	/* The memory map: IMSIC files, ECAM, window, RAM, in that order. */
	CHECK(RISCV_PCI_ECAM_BASE >= RISCV_MMIO_END);
	CHECK(RISCV_PCI_ECAM_BASE >=
	      RISCV_IMSIC_BASE + RISCV_MAX_CPUS * RISCV_IMSIC_STRIDE);
	CHECK(RISCV_PCI_MMIO_BASE >= RISCV_PCI_ECAM_BASE + RISCV_PCI_ECAM_SIZE);
	CHECK(RISCV_PCI_MMIO_BASE + RISCV_PCI_MMIO_SIZE <= RISCV_RAM_BASE);
	CHECK(RISCV_IRQCHIP_BASE + RISCV_PLIC_MAX_SIZE <= RISCV_UART_BASE);
	/* Too few sources for the INTx lines. */
	c.nr_sources = RISCV_NR_SOURCES - 1;
	expect_einval(&c, "PCI INTx");
	c.pci = false;
	CHECK_EQ(build(&c), 0);
}

static void test_errors(void)
{
	struct riscv_fdt_cfg c = config(1, RISCV_IRQCHIP_PLIC);
	uint8_t small[512];

	CHECK_EQ(riscv_fdt_build(&c, small, sizeof(small), err, sizeof(err)),
		 -ENOSPC);
	CHECK(strstr(err, "does not fit in 512 bytes") != NULL);
	c.isa = L('m');
	expect_einval(&c, "ISA string");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.satp_mode = 3;
	expect_einval(&c, "satp");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.timebase_hz = 5000000000ULL;
	expect_einval(&c, "timebase-frequency");
	c.timebase_hz = 0;
	expect_einval(&c, "timebase-frequency");
	c = config(0, RISCV_IRQCHIP_PLIC);
	expect_einval(&c, "hart count");
	c = config(RISCV_MAX_CPUS + 1, RISCV_IRQCHIP_PLIC);
	expect_einval(&c, "hart count");
	c = config(1, RISCV_IRQCHIP_AIA);
	c.imsic_nr_ids = 100;
	expect_einval(&c, "IMSIC");
	c.imsic_nr_ids = 2047;
	CHECK_EQ(build(&c), 0);
	c.imsic_nr_ids = 4095;
	expect_einval(&c, "IMSIC");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.nr_sources = 1024;
	expect_einval(&c, "sources");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.uart_irq = 0;
	expect_einval(&c, "UART");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.nr_sources = 2;
	expect_einval(&c, "virtio-mmio");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.initrd_start = RISCV_RAM_BASE + (256ULL << 20) - 0x1000;
	expect_einval(&c, "initrd");
	c = config(1, RISCV_IRQCHIP_PLIC);
	c.ram_size = 0;
	expect_einval(&c, "RAM");
}

int main(void)
{
	check_fdt = blob;
	test_isa_strings();
	test_plic();
	test_aia();
	test_pci(RISCV_IRQCHIP_PLIC);
	test_pci(RISCV_IRQCHIP_AIA);
	test_max();
	test_errors();
	return unit_done("riscv_fdt");
}
