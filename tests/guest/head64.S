/* head64.S: the 64-bit entry of the bzImage and ELF64 guests. Linked at
 * 1 MiB; the 64-bit boot protocol enters at load address + 0x200 with rsi =
 * boot_params. Sets up a stack, clears .bss, calls main64(boot_params). */
	.section .head, "ax"
	.code64
	.org 0x200
	.globl _start
_start:
	cli
	cld
	movq %rsi, %r12
	leaq boot_stack_top(%rip), %rsp
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	movq %r12, %rdi
	call main64
	/* main64 returned: report a failure through the exit port. */
	movb $0x7e, %al
	outb %al, $0xf4
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 16
boot_stack:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:
