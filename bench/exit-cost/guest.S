/*
 * guest.S: the exit-cost guest, a flat real-mode binary.
 *
 * Loaded at 0x1000:0 and entered in real mode. It writes a byte to port 0x80
 * N times (N is set at assembly time with `as --defsym N=...`), then writes
 * the number of writes left (0) to the debug-exit port 0xf4, so a complete
 * run ends the VMM with exit status (0 << 1) | 1 = 1.
 *
 * Port 0x80 is a port minivmm sinks silently, so every iteration costs one
 * trip guest -> KVM -> VMM userspace -> KVM -> guest and almost nothing else.
 */
	.code16
	.text
	.globl	_start
_start:
	cli
	movl	$N, %ecx
	xorb	%al, %al
	testl	%ecx, %ecx
	jz	2f
1:	outb	%al, $0x80
	decl	%ecx
	jnz	1b
2:	movb	%cl, %al
	outb	%al, $0xf4
3:	hlt
	jmp	3b
