/* pvh.S: the PVH entry of the ELF guest. The Xen PHYS32_ENTRY note points
 * here; we arrive in 32-bit protected mode, paging off, ebx = hvm_start_info.
 * Builds an identity map of the low 4 GiB, enters long mode and calls
 * pvh_main(start_info). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz */
	.long 4				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start			/* physical 32-bit entry */
	.balign 4

	.section .head, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	movl %ebx, %ebp			/* start_info, kept in ebp */
	movl %cr0, %eax
	movl %eax, %esi			/* cr0 at entry, reported later */
	movl $pvh_stack_top, %esp
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl %esi, pvh_entry_cr0

	/* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages. */
	movl $pvh_pdpt + 3, pvh_pml4
	movl $pvh_pd + 3, %eax
	xorl %ecx, %ecx
1:	movl %eax, pvh_pdpt(,%ecx,8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	movl $0x83, %eax		/* present, writable, 2 MiB page */
	xorl %ecx, %ecx
2:	movl %eax, pvh_pd(,%ecx,8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $pvh_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	lgdt pvh_gdtr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	ljmp $0x08, $pvh_64

	.code64
pvh_64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $pvh_stack_top, %rsp
	movl %ebp, %edi
	call pvh_main
	movb $0x7e, %al
	outb %al, $0xf4
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 8
pvh_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
pvh_gdt_end:
pvh_gdtr:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

	.bss
	.balign 4096
pvh_pml4:	.skip 4096
pvh_pdpt:	.skip 4096
pvh_pd:		.skip 4 * 4096
	.balign 16
	.globl pvh_entry_cr0
pvh_entry_cr0:	.long 0
	.balign 16
pvh_stack:	.skip 16384
pvh_stack_top:
