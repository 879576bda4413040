/* flat.S: the flat-binary guest. Loaded at 0x10000 and entered in real mode
 * at 0x1000:0000 with ss:sp = 0x1000:0x8000. Checks cs, sp and that the whole
 * file was loaded, prints the command line from 0x20000 and exits through the
 * exit port (0x13 on success, 0x7e on failure). */
#define COM1 0x3f8

	.code16
	.text
	.globl _start
_start:
	cli
	movw %sp, %bx			/* sp at entry */
	movw %cs, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %bx, entry_sp
	movw %ax, entry_cs
	call serial_init

	movw $msg_hello, %si
	call puts
	movw $msg_cs, %si
	call puts
	movw entry_cs, %ax
	call puthex16
	movw $msg_sp, %si
	call puts
	movw entry_sp, %ax
	call puthex16
	call newline

	cmpw $0x1000, entry_cs
	jne bad_cs
	cmpw $0x8000, entry_sp
	jne bad_sp
	/* The signature at the end of the file must have been loaded too. */
	movw $tail_sig, %si
	movw $head_sig, %di
	movw $8, %cx
	repe cmpsb
	jne bad_tail

	/* The command line at 0x20000 (written when the binary ends below it). */
	movw $msg_cmdline, %si
	call puts
	pushw %ds
	movw $0x2000, %ax
	movw %ax, %ds
	xorw %si, %si
	movw $200, %cx
1:	lodsb
	testb %al, %al
	jz 2f
	call putc
	loop 1b
2:	popw %ds
	movb $0x27, %al			/* ' */
	call putc
	call newline

	movw $msg_ok, %si
	call puts
	movb $0x13, %al
	outb %al, $0xf4
	jmp hang

bad_cs:	movw $msg_bad_cs, %si
	jmp fail
bad_sp:	movw $msg_bad_sp, %si
	jmp fail
bad_tail:
	movw $msg_bad_tail, %si
fail:	call puts
	movb $0x7e, %al
	outb %al, $0xf4
hang:	cli
	hlt
	jmp hang

serial_init:
	movw $COM1 + 1, %dx
	xorb %al, %al
	outb %al, %dx			/* no interrupts */
	movw $COM1 + 3, %dx
	movb $0x03, %al
	outb %al, %dx			/* 8N1 */
	ret

/* putc: al; waits (bounded) for THRE. */
putc:
	pushw %cx
	pushw %dx
	pushw %ax
	movw $COM1 + 5, %dx
	movw $1000, %cx
1:	inb %dx, %al
	testb $0x20, %al
	jnz 2f
	loop 1b
2:	popw %ax
	movw $COM1, %dx
	outb %al, %dx
	popw %dx
	popw %cx
	ret

/* puts: ds:si, NUL-terminated. */
puts:
	pushw %ax
1:	lodsb
	testb %al, %al
	jz 2f
	call putc
	jmp 1b
2:	popw %ax
	ret

newline:
	movb $0x0d, %al
	call putc
	movb $0x0a, %al
	jmp putc

/* puthex16: ax as 4 hex digits. */
puthex16:
	pushw %cx
	pushw %bx
	movw %ax, %bx
	movw $4, %cx
1:	rolw $4, %bx
	movb %bl, %al
	andb $0x0f, %al
	addb $0x30, %al			/* '0' */
	cmpb $0x39, %al			/* '9' */
	jbe 2f
	addb $0x27, %al			/* to 'a'..'f' */
2:	call putc
	loop 1b
	popw %bx
	popw %cx
	ret

entry_sp:	.word 0
entry_cs:	.word 0
head_sig:	.ascii "FLATEND!"
msg_hello:	.asciz "flat: hello from real mode\r\n"
msg_cs:		.asciz "flat: cs="
msg_sp:		.asciz " sp="
msg_cmdline:	.asciz "flat: cmdline '"
msg_ok:		.asciz "flat: all checks passed\r\n"
msg_bad_cs:	.asciz "flat: FAIL: cs is not 0x1000\r\n"
msg_bad_sp:	.asciz "flat: FAIL: sp is not 0x8000\r\n"
msg_bad_tail:	.asciz "flat: FAIL: the end of the file was not loaded\r\n"

	/* Pad past two pages so the load covers more than one page. */
	.org 0x2ff8
tail_sig:	.ascii "FLATEND!"
