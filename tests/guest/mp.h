/* mp.h: finding the CPUs and ISA interrupt routing in the MP table and MADT. */
#ifndef GUEST_MP_H
#define GUEST_MP_H
#include "rt.h"

#define MP_MAX_CPUS 64

struct cpu_list {
	unsigned int n;
	u8 apic_id[MP_MAX_CPUS];
	int bsp_index; /* MP table: the entry flagged BSP; -1 if none */
	u64 table;     /* where the table was found */
};

/* 0 and a filled list when an MP table with valid checksums is found. */
int mp_find_cpus(struct cpu_list *l);
/* IOAPIC input for an ISA IRQ per the MP table's interrupt entries, or -1. */
int mp_isa_irq_pin(unsigned int irq);
/* 0 and a filled list when the ACPI MADT is found (RSDP, RSDT/XSDT). */
int madt_find_cpus(struct cpu_list *l);

#endif
