/* rt.h: the tiny runtime shared by the 64-bit test guests: port I/O, MMIO,
 * serial output, a small printf, the exit port, ACPI power-off, an IDT. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long usize;

#define COM1		0x3f8
#define EXIT_PORT	0xf4
#define ACPI_SLEEP_CTL	0x3c0
#define ACPI_RESET_REG	0x3c2
#define BOOT_TIMER_PORT 0x440
#define LAPIC_BASE	0xfee00000UL
#define IOAPIC_BASE	0xfec00000UL

/* Exit-port values the guests use (status = value * 2 + 1). */
#define GX_PASS_BZIMAGE 0x10
#define GX_PASS_ELF64	0x11
#define GX_PASS_PVH	0x12
#define GX_PASS_FLAT	0x13
#define GX_PASS_SERIRQ	0x14
#define GX_PASS_SMP	0x15
#define GX_DONE_WILDIO	0x16
#define GX_DONE_WILDMMIO 0x17
#define GX_EXCEPTION	0x7c
#define GX_FAIL		0x7e

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u8 mmio_read8(usize a) { return *(volatile u8 *)a; }
static inline u16 mmio_read16(usize a) { return *(volatile u16 *)a; }
static inline u32 mmio_read32(usize a) { return *(volatile u32 *)a; }
static inline u64 mmio_read64(usize a) { return *(volatile u64 *)a; }
static inline void mmio_write8(usize a, u8 v) { *(volatile u8 *)a = v; }
static inline void mmio_write16(usize a, u16 v) { *(volatile u16 *)a = v; }
static inline void mmio_write32(usize a, u32 v) { *(volatile u32 *)a = v; }
static inline void mmio_write64(usize a, u64 v) { *(volatile u64 *)a = v; }

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

/* Serial output on COM1 (polled). */
void serial_init(void);
void putc(char c);
void puts(const char *s);		/* no newline added */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Leaving: the exit port, ACPI S5, and "it did not work" fallbacks. */
void exit_port(u16 port, u8 value);
__attribute__((noreturn)) void guest_exit(u8 value); /* port 0xf4, then hang */
__attribute__((noreturn)) void acpi_poweroff(void);
void acpi_reset(void); /* returns when the reset did not happen */

/* ACPI tables (acpi.c): a table by signature through the RSDP and XSDT/RSDT,
 * checksums verified; NULL when missing. */
const u8 *acpi_find_table(const char *sig);
/* The FADT's sleep control and reset registers (system I/O ports), or the
 * documented defaults 0x3c0 / 0x3c2 and 1 without a FADT. */
u16 acpi_sleep_ctl_port(void);
u16 acpi_reset_port(u8 *value);
__attribute__((noreturn)) void halt_forever(void);
void boot_timer_mark(void);

/* Strings and the kernel command line. */
void *memset(void *d, int c, usize n);
void *memcpy(void *d, const void *s, usize n);
int memcmp(const void *a, const void *b, usize n);
usize strlen(const char *s);
/* Value of "key=value" in cmdline (copied to out, at most outlen-1 chars);
 * returns 1 when the key is present. */
int cmdline_get(const char *cmdline, const char *key, char *out, usize outlen);
/* Parses decimal or 0x-hex; returns 0 on success. */
int parse_num(const char *s, u64 *v);
u8 sum_bytes(const void *p, usize n);

/* Exceptions: idt_init() installs handlers for vectors 0-31 that report the
 * fault on the serial port and exit with GX_EXCEPTION. */
void idt_init(void);
void idt_load(void); /* on an AP: the same IDT */
extern void (*irq_handlers[256])(int vector);
extern char isr_stubs[]; /* 256 stubs, 16 bytes apart (isr.S) */

struct irq_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

/* Local APIC / IOAPIC helpers (xAPIC MMIO). */
static inline u32 lapic_read(u32 reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(u32 reg, u32 v) { mmio_write32(LAPIC_BASE + reg, v); }
static inline void ioapic_write(u32 reg, u32 v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}
static inline u32 ioapic_read(u32 reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}

/* A 64-bit boot_params (zero page) as far as the guests read it. */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES	     0x1e8
#define BP_SETUP_SECTS	     0x1f1
#define BP_ROOT_DEV	     0x1fc
#define BP_BOOT_FLAG	     0x1fe
#define BP_HEADER	     0x202
#define BP_VERSION	     0x206
#define BP_TYPE_OF_LOADER    0x210
#define BP_LOADFLAGS	     0x211
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE	     0x21c
#define BP_CMD_LINE_PTR	     0x228
#define BP_XLOADFLAGS	     0x236
#define BP_CMDLINE_SIZE	     0x238
#define BP_E820_TABLE	     0x2d0

static inline u8 rd8(const void *p, usize off) { return *((const volatile u8 *)p + off); }
static inline u16 rd16(const void *p, usize off) { return *(const volatile u16 *)((const u8 *)p + off); }
static inline u32 rd32(const void *p, usize off) { return *(const volatile u32 *)((const u8 *)p + off); }
static inline u64 rd64(const void *p, usize off) { return *(const volatile u64 *)((const u8 *)p + off); }

/* Prints the e820 table of a boot_params and returns how many RAM entries it has. */
int print_e820(const u8 *bp);

#endif
