#!/usr/bin/env bash
# t_boot_pvh.sh: an ELF with a Xen PVH note: 32-bit protected mode entry with
# ebx = hvm_start_info (magic, memory map, command line, modules); the guest
# goes to long mode itself and exits 0x12 -> 37.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest pvh.elf

vm pvh -k "$G/pvh.elf" -m 64M --timeout 60 -p "pvh.test=1"
expect_rc 37 "PVH checks passed"
expect_log "pvh: start_info magic 336ec578"
expect_log "pvh: cmdline 'console=ttyS0"
expect_log "pvh.test=1'"
grep -qE "pvh: memmap entries [1-9][0-9]*, [1-9][0-9]* RAM" "$LOG" ||
	fail "no RAM entries in the PVH memory map"

printf 'MINIVMM-PVH-MODULE-%s' "$$" >"$T/initrd"
vm pvh-initrd -k "$G/pvh.elf" -m 64M --timeout 60 -i "$T/initrd"
expect_rc 37 "PVH with an initrd"
expect_log "nr_modules 1"
expect_log "'MINIVMM-PVH-MODULE-$$'"
pass "PVH: start_info, memory map, command line, module"
