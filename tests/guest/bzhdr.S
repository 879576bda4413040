/* bzhdr.S: wraps a flat 64-bit payload (PAYLOAD: a file linked at 1 MiB with
 * its entry at +0x200, see payload.ld) into a bzImage: a boot sector and one
 * setup sector holding a boot protocol 2.15 setup header, then the payload.
 * Only the 64-bit entry is usable: there is no real-mode setup code. */
#define SETUP_SECTS 1

	.section .bzimage, "a"
bz_start:
	/* Each field at the offset Documentation/arch/x86/boot.rst gives;
	 * .org refuses to move backwards, so an overlap does not assemble. */
	.org 0x1f1;	.byte SETUP_SECTS			/* setup_sects */
	.org 0x1f2;	.word 0					/* root_flags */
	.org 0x1f4;	.long (payload_end - payload_start + 15) / 16	/* syssize */
	.org 0x1fa;	.word 0xffff				/* vid_mode */
	.org 0x1fc;	.word 0x4d56	/* root_dev: "VM" marks this test bzImage */
	.org 0x1fe;	.word 0xaa55				/* boot_flag */
	/* 0x200: a short jump over the header; its displacement also says
	 * where the header ends (0x202 + 0x6a = 0x26c). */
	.org 0x200;	.byte 0xeb, 0x6a
	.org 0x202;	.ascii "HdrS"				/* header */
	.org 0x206;	.word 0x020f				/* version 2.15 */
	.org 0x211;	.byte 0x01		/* loadflags: LOADED_HIGH */
	.org 0x214;	.long 0x100000				/* code32_start */
	.org 0x22c;	.long 0x7fffffff			/* initrd_addr_max */
	.org 0x230;	.long 0x200000				/* kernel_alignment */
	.org 0x236;	.word 0x0001		/* xloadflags: XLF_KERNEL_64 */
	.org 0x238;	.long 2047				/* cmdline_size */
	.org 0x258;	.quad 0x100000				/* pref_address */
	.org 0x260;	.long 0x100000	/* init_size: payload.ld checks the fit */
	.org 0x264;	.long 0					/* handover_offset */
	.org 0x268;	.long 0					/* kernel_info_offset */

	.org (SETUP_SECTS + 1) * 512
payload_start:
	.incbin PAYLOAD
payload_end:
