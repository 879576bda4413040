/* acpi.c: finds ACPI tables and the FADT's sleep control and reset ports,
 * the registers a HW-reduced ACPI guest powers off and resets with. */
#include "rt.h"

#define FADT_RESET_REG	       116
#define FADT_RESET_VALUE       128
#define FADT_SLEEP_CONTROL_REG 244
#define GAS_SYSTEM_IO	       1

static const u8 *find_rsdp(void)
{
	for (u64 a = 0xe0000; a < 0x100000; a += 16) {
		const u8 *p = (const u8 *)(usize)a;

		if (!memcmp(p, "RSD PTR ", 8) && sum_bytes(p, 20) == 0)
			return p;
	}
	return 0;
}

const u8 *acpi_find_table(const char *sig)
{
	const u8 *rsdp = find_rsdp(), *root;
	unsigned int esz = 4;

	if (!rsdp)
		return 0;
	root = (const u8 *)(usize)rd32(rsdp, 16);
	if (rd8(rsdp, 15) >= 2 && rd64(rsdp, 24)) {
		root = (const u8 *)(usize)rd64(rsdp, 24);
		esz = 8;
	}
	if (!root || sum_bytes(root, rd32(root, 4)) != 0) {
		printf("acpi: bad checksum in the %s\n", esz == 8 ? "XSDT" : "RSDT");
		return 0;
	}
	for (u32 off = 36; off + esz <= rd32(root, 4); off += esz) {
		u64 a = esz == 8 ? rd64(root, off) : rd32(root, off);
		const u8 *t = (const u8 *)(usize)a;

		if (a && !memcmp(t, sig, 4)) {
			if (sum_bytes(t, rd32(t, 4)) != 0) {
				printf("acpi: bad checksum in %s\n", sig);
				return 0;
			}
			return t;
		}
	}
	return 0;
}

/* A Generic Address Structure naming an I/O port, or 0. */
static u16 gas_port(const u8 *fadt, u32 off)
{
	if (!fadt || rd32(fadt, 4) < off + 12 || rd8(fadt, off) != GAS_SYSTEM_IO)
		return 0;
	return (u16)rd64(fadt, off + 4);
}

u16 acpi_sleep_ctl_port(void)
{
	u16 port = gas_port(acpi_find_table("FACP"), FADT_SLEEP_CONTROL_REG);

	return port ? port : ACPI_SLEEP_CTL;
}

u16 acpi_reset_port(u8 *value)
{
	const u8 *fadt = acpi_find_table("FACP");
	u16 port = gas_port(fadt, FADT_RESET_REG);

	*value = port ? rd8(fadt, FADT_RESET_VALUE) : 1;
	return port ? port : ACPI_RESET_REG;
}
