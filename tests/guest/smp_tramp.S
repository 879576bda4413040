/* smp_tramp.S: the AP trampoline. The BSP copies [tramp_start, tramp_end) to
 * TRAMP_BASE and sends INIT-SIPI-SIPI with vector TRAMP_BASE >> 12; the AP
 * starts here in real mode at TRAMP_BASE >> 4 : 0, goes through 32-bit
 * protected mode to long mode on the BSP's page tables (tramp_cr3) and calls
 * tramp_entry on tramp_stack. Addresses are computed for the copy. */
#define TRAMP_BASE 0x3000
#define REL(x) (TRAMP_BASE + ((x) - tramp_start))

	.section .rodata
	.balign 16
	.globl tramp_start, tramp_end, tramp_cr3, tramp_stack, tramp_entry
	.code16
tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdtr - tramp_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $REL(tramp_32)

	.code32
tramp_32:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl REL(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	ljmp $0x10, $REL(tramp_64)

	.code64
tramp_64:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq REL(tramp_stack), %rsp
	movq REL(tramp_entry), %rax
	call *%rax
1:	cli
	hlt
	jmp 1b

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x18: data */
tramp_gdt_end:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long REL(tramp_gdt)
	.balign 8
tramp_cr3:	.quad 0
tramp_stack:	.quad 0
tramp_entry:	.quad 0
tramp_end:
