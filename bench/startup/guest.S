/*
 * guest.S: the start-up guest, a flat real-mode binary.
 *
 * Its first instruction writes 123 to port 0x440, which makes minivmm print
 * its boot-timer line (time from start to the guest's first exit); then it
 * writes 0 to the debug-exit port 0xf4 (exit status 1).
 */
	.code16
	.text
	.globl	_start
_start:
	movw	$0x440, %dx
	movb	$123, %al
	outb	%al, %dx
	xorb	%al, %al
	outb	%al, $0xf4
1:	hlt
	jmp	1b
