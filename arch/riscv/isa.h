/* isa.h: the guest's ISA description for the device tree, from KVM's CONFIG isa bitmap and ISA_EXT registers. */
#ifndef MINIVMM_RISCV_ISA_H
#define MINIVMM_RISCV_ISA_H

#include <stddef.h>
#include <stdint.h>

#define RISCV_ISA_EXT_WORDS 2 /* ISA_EXT ids 0..127 as a bitmap */

/*
 * The ISA string "rv64imafdc_zicsr_zifencei..." for riscv,isa: single
 * letters from the CONFIG isa bitmap in canonical order (IMAFDQLCBKJTPVH;
 * other bits, such as S and U, are not extensions and are left out), then
 * the multi-letter ISA_EXT extensions: Z* by category letter then name,
 * then S*. Unknown ISA_EXT ids are skipped. Returns the length, -EINVAL
 * without the base I or for an xlen other than 32/64, -ENOSPC if buf is
 * too small.
 */
int riscv_isa_string(unsigned int xlen, uint64_t isa, const uint64_t *isa_ext,
		     char *buf, size_t len);
/* The same extensions as the string list riscv,isa-extensions ("i\0m\0...");
 * returns its length counting every NUL. */
int riscv_isa_ext_list(uint64_t isa, const uint64_t *isa_ext, char *buf,
		       size_t len);
/* "riscv,sv39" and so on for mmu-type; NULL for a mode this xlen lacks. */
const char *riscv_mmu_type(unsigned int xlen, uint64_t satp_mode);

#endif
