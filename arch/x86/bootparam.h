/* bootparam.h: layouts of the boot data x86 guests receive: Linux boot_params and PVH start_info. */
#ifndef MINIVMM_X86_BOOTPARAM_H
#define MINIVMM_X86_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>
#include "x86.h"

/*
 * The fields follow Documentation/arch/x86/boot.rst and zero-page.rst.
 * Only the fields minivmm reads or writes are named; the rest is padding.
 * The structures are used in host byte order: the x86 backend only runs on
 * little-endian x86-64 hosts (asserted below).
 */

/* Linux setup header, at offset 0x1f1 of the kernel file and of boot_params. */
struct setup_header {
	uint8_t setup_sects;	     /* 0x1f1 */
	uint16_t root_flags;	     /* 0x1f2 */
	uint32_t syssize;	     /* 0x1f4 */
	uint16_t ram_size;	     /* 0x1f8 */
	uint16_t vid_mode;	     /* 0x1fa */
	uint16_t root_dev;	     /* 0x1fc */
	uint16_t boot_flag;	     /* 0x1fe */
	uint16_t jump;		     /* 0x200 */
	uint32_t header;	     /* 0x202 */
	uint16_t version;	     /* 0x206 */
	uint32_t realmode_swtch;     /* 0x208 */
	uint16_t start_sys_seg;	     /* 0x20c */
	uint16_t kernel_version;     /* 0x20e */
	uint8_t type_of_loader;	     /* 0x210 */
	uint8_t loadflags;	     /* 0x211 */
	uint16_t setup_move_size;    /* 0x212 */
	uint32_t code32_start;	     /* 0x214 */
	uint32_t ramdisk_image;	     /* 0x218 */
	uint32_t ramdisk_size;	     /* 0x21c */
	uint32_t bootsect_kludge;    /* 0x220 */
	uint16_t heap_end_ptr;	     /* 0x224 */
	uint8_t ext_loader_ver;	     /* 0x226 */
	uint8_t ext_loader_type;     /* 0x227 */
	uint32_t cmd_line_ptr;	     /* 0x228 */
	uint32_t initrd_addr_max;    /* 0x22c */
	uint32_t kernel_alignment;   /* 0x230 */
	uint8_t relocatable_kernel;  /* 0x234 */
	uint8_t min_alignment;	     /* 0x235 */
	uint16_t xloadflags;	     /* 0x236 */
	uint32_t cmdline_size;	     /* 0x238 */
	uint32_t hardware_subarch;   /* 0x23c */
	uint64_t hardware_subarch_data; /* 0x240 */
	uint32_t payload_offset;     /* 0x248 */
	uint32_t payload_length;     /* 0x24c */
	uint64_t setup_data;	     /* 0x250 */
	uint64_t pref_address;	     /* 0x258 */
	uint32_t init_size;	     /* 0x260 */
	uint32_t handover_offset;    /* 0x264 */
	uint32_t kernel_info_offset; /* 0x268 */
} __attribute__((packed));

/* The "zero page" handed to a 64-bit Linux kernel in rsi. */
struct boot_params {
	uint8_t _pad0[0x0c0];
	uint32_t ext_ramdisk_image; /* 0x0c0 */
	uint32_t ext_ramdisk_size;  /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;  /* 0x0c8 */
	uint8_t _pad1[0x1e8 - 0x0cc];
	uint8_t e820_entries;	    /* 0x1e8 */
	uint8_t _pad2[0x1f1 - 0x1e9];
	struct setup_header hdr;    /* 0x1f1 */
	uint8_t _pad3[0x2d0 - 0x1f1 - sizeof(struct setup_header)];
	struct e820_entry e820_table[E820_MAX]; /* 0x2d0 */
	uint8_t _pad4[0x1000 - 0x2d0 - E820_MAX * sizeof(struct e820_entry)];
} __attribute__((packed));

#define BP_SETUP_HDR	     0x1f1  /* setup header start */
#define BP_JUMP_LEN	     0x201  /* byte: header ends at 0x202 + this */
#define BP_HDR_MAGIC_OFF     0x202
#define BP_HDR_END_MAX	     0x290  /* edd_mbr_sig_buffer starts here */
#define BP_BOOT_FLAG	     0xaa55
#define BP_HDRS_MAGIC	     0x53726448 /* "HdrS" */
#define BP_PROTO_64BIT	     0x020c	/* 2.12: first with xloadflags */
#define BP_SECTOR	     512
#define BP_DEFAULT_SECTS     4		/* setup_sects == 0 means 4 */
#define BP_LOADER_UNDEFINED  0xff	/* type_of_loader */
#define BP_HEAP_END	     0xfe00
#define BP_ENTRY64_OFFSET    0x200	/* startup_64 from the load address */
#define BP_INITRD_MAX_OLD    0x37ffffff /* initrd_addr_max before 2.03 */

/* loadflags */
#define LOADED_HIGH	     0x01
#define CAN_USE_HEAP	     0x80
/* xloadflags */
#define XLF_KERNEL_64		   (1 << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1 << 1)

/* PVH boot: the start-info ABI (Xen public/arch-x86/hvm/start_info.h). */
#define XEN_HVM_START_MAGIC	  0x336ec578
#define XEN_ELFNOTE_PHYS32_ENTRY  18

struct hvm_start_info {
	uint32_t magic;		  /* XEN_HVM_START_MAGIC */
	uint32_t version;	  /* 1: has the memmap fields */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;	  /* struct hvm_modlist_entry[nr_modules] */
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;	  /* struct hvm_memmap_table_entry[] */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820_RAM, E820_RESERVED */
	uint32_t reserved;
};

#define HDR_OFF(f) (BP_SETUP_HDR + offsetof(struct setup_header, f))

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "boot structures are used in host byte order");
_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "setup_header");
_Static_assert(sizeof(struct boot_params) == 0x1000, "boot_params");
_Static_assert(HDR_OFF(setup_sects) == 0x1f1, "setup_sects");
_Static_assert(HDR_OFF(boot_flag) == 0x1fe, "boot_flag");
_Static_assert(HDR_OFF(jump) == 0x200, "jump");
_Static_assert(HDR_OFF(header) == 0x202, "header");
_Static_assert(HDR_OFF(version) == 0x206, "version");
_Static_assert(HDR_OFF(type_of_loader) == 0x210, "type_of_loader");
_Static_assert(HDR_OFF(loadflags) == 0x211, "loadflags");
_Static_assert(HDR_OFF(code32_start) == 0x214, "code32_start");
_Static_assert(HDR_OFF(ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(HDR_OFF(ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(HDR_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(HDR_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(HDR_OFF(initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(HDR_OFF(kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(HDR_OFF(relocatable_kernel) == 0x234, "relocatable_kernel");
_Static_assert(HDR_OFF(xloadflags) == 0x236, "xloadflags");
_Static_assert(HDR_OFF(cmdline_size) == 0x238, "cmdline_size");
_Static_assert(HDR_OFF(pref_address) == 0x258, "pref_address");
_Static_assert(HDR_OFF(init_size) == 0x260, "init_size");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0,
	       "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_size) == 0x0c4,
	       "ext_ramdisk_size");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0x0c8,
	       "ext_cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8,
	       "e820_entries");
_Static_assert(offsetof(struct boot_params, hdr) == 0x1f1, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0,
	       "e820_table");
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40,
	       "memmap_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48,
	       "memmap_entries");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24,
	       "hvm_memmap_table_entry");

/*
 * Fills the loader-owned fields of a Linux boot_params whose setup header is
 * already in place (bzImage: copied from the file; vmlinux: built), writes
 * the command line (at most cmdline_max bytes), places the initrd above
 * kernel_end and below initrd_limit, adds the e820 map and copies bp to
 * X86_ZERO_PAGE_ADDR. Implemented in bzimage.c.
 */
int x86_linux_boot_params(const struct x86_load_args *a, struct boot_params *bp,
			  uint64_t kernel_end, uint64_t initrd_limit,
			  uint64_t cmdline_max, char *err, size_t errlen);

#endif
