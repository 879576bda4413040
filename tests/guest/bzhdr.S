/* bzhdr.S: wraps a flat 64-bit payload (PAYLOAD: a file linked at 1 MiB with
 * its entry at +0x200, see payload.ld) into a bzImage: a boot sector and one
 * setup sector holding a boot protocol 2.15 setup header, then the payload.
 * Only the 64-bit entry is usable: there is no real-mode setup code. */
#define SETUP_SECTS 1

	.section .bzimage, "a"
bz_start:
	.org 0x1f1
hdr_setup_sects:	.byte SETUP_SECTS
hdr_root_flags:		.word 0
hdr_syssize:		.long (payload_end - payload_start + 15) / 16
hdr_ram_size:		.word 0
hdr_vid_mode:		.word 0xffff
hdr_root_dev:		.word 0x4d56	/* "VM": marks the minivmm test bzImage */
hdr_boot_flag:		.word 0xaa55
	/* 0x200: a short jump over the header; its displacement also says
	 * where the header ends. */
hdr_jump:		.byte 0xeb, hdr_end - hdr_magic
hdr_magic:		.ascii "HdrS"
hdr_version:		.word 0x020f
hdr_realmode_swtch:	.long 0
hdr_start_sys_seg:	.word 0
hdr_kernel_version:	.word 0
hdr_type_of_loader:	.byte 0
hdr_loadflags:		.byte 0x01	/* LOADED_HIGH */
hdr_setup_move_size:	.word 0
hdr_code32_start:	.long 0x100000
hdr_ramdisk_image:	.long 0
hdr_ramdisk_size:	.long 0
hdr_bootsect_kludge:	.long 0
hdr_heap_end_ptr:	.word 0
hdr_ext_loader_ver:	.byte 0
hdr_ext_loader_type:	.byte 0
hdr_cmd_line_ptr:	.long 0
hdr_initrd_addr_max:	.long 0x7fffffff
hdr_kernel_alignment:	.long 0x200000
hdr_relocatable:	.byte 0
hdr_min_alignment:	.byte 0
hdr_xloadflags:		.word 0x0001	/* XLF_KERNEL_64 */
hdr_cmdline_size:	.long 2047
hdr_hardware_subarch:	.long 0
hdr_hardware_subarch_data: .quad 0
hdr_payload_offset:	.long 0
hdr_payload_length:	.long 0
hdr_setup_data:		.quad 0
hdr_pref_address:	.quad 0x100000
hdr_init_size:		.long 0x100000	/* payload.ld asserts the image fits */
hdr_handover_offset:	.long 0
hdr_kernel_info_offset:	.long 0
hdr_end:

	/* The offsets Documentation/arch/x86/boot.rst gives. */
	.if (hdr_magic - bz_start) != 0x202 || (hdr_cmd_line_ptr - bz_start) != 0x228
	.error "setup header layout is wrong"
	.endif
	.if (hdr_xloadflags - bz_start) != 0x236 || (hdr_init_size - bz_start) != 0x260
	.error "setup header layout is wrong"
	.endif

	.org (SETUP_SECTS + 1) * 512
payload_start:
	.incbin PAYLOAD
payload_end:
