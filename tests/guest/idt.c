/* idt.c: a 64-bit IDT whose exception handlers report the fault and exit. */
#include "rt.h"

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
void (*irq_handlers[256])(int vector);

void isr_dispatch(struct irq_frame *f);

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

void isr_dispatch(struct irq_frame *f)
{
	u64 cr2;

	if (irq_handlers[f->vector]) {
		irq_handlers[f->vector]((int)f->vector);
		return;
	}
	if (f->vector >= 32) {
		printf("guest: unexpected interrupt, vector %u\n",
		       (u32)f->vector);
		return;
	}
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printf("guest: exception %s (vector %u) error %llx at rip %llx "
	       "rsp %llx cr2 %llx\n",
	       exc_names[f->vector] ? exc_names[f->vector] : "?",
	       (u32)f->vector, f->error, f->rip, f->rsp, cr2);
	guest_exit(GX_EXCEPTION);
}

void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)(usize)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void idt_init(void)
{
	u16 cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)(usize)(isr_stubs + 16 * v);

		idt[v] = (struct idt_gate){
			.off_lo = (u16)a, .sel = cs, .ist = 0,
			.type = 0x8e, /* present, DPL 0, interrupt gate */
			.off_mid = (u16)(a >> 16), .off_hi = (u32)(a >> 32),
		};
	}
	idt_load();
}
