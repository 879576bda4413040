#!/usr/bin/env bash
# t_boot_elf64.sh: an x86-64 ELF without a PVH note: entered in 64-bit mode at
# e_entry with rsi = boot_params (command line, e820, initrd); exits 0x11 -> 35.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest bootinfo64.elf

printf 'MINIVMM-ELF-INITRD-%s' "$$" >"$T/initrd"
vm elf64 -k "$G/bootinfo64.elf" -m 64M --timeout 60 -p "bootinfo.test=elf" -i "$T/initrd"
expect_rc 35 "ELF64 checks passed"
expect_log "bootinfo: 64-bit entry, rsi=0x"
expect_log "bootinfo: format elf64"
expect_log "bootinfo.test=elf'"
expect_log "bootinfo: initrd head 'MINIVMM-ELF-INITRD-$$'"

vm elf64-forced -k "$G/bootinfo64.elf" -m 64M --timeout 60 --kernel-format elf
expect_rc 35 "--kernel-format elf"
pass "ELF64: 64-bit entry with boot_params"
