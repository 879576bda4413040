#!/usr/bin/env bash
# t_boot_bzimage.sh: a bzImage through the 64-bit boot protocol: boot_params
# in rsi with this file's setup header (HdrS, version, xloadflags), the
# command line, an e820 map and an initrd; the guest exits with 0x10 -> 33.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest bootinfo.bzimage

{ printf 'MINIVMM-INITRD-HEAD-%s' "$$"; head -c 100000 /dev/zero | tr '\0' 'x'
  printf 'INITRD-TAIL-%s' "$$"; } >"$T/initrd"

vm bz -k "$G/bootinfo.bzimage" -m 64M --timeout 60 -p "bootinfo.test=bz"
expect_rc 33 "bzImage checks passed"
expect_log "bootinfo: header HdrS version 20f"
expect_log "bootinfo: format bzimage"
expect_log "bootinfo: cmdline at "
expect_log "bootinfo.test=bz'"
expect_log "bootinfo: initrd at 0 size 0"

vm bz-initrd -k "$G/bootinfo.bzimage" -m 64M --timeout 60 -i "$T/initrd"
expect_rc 33 "bzImage with initrd"
expect_log "bootinfo: initrd head 'MINIVMM-INITRD-HEAD-$$"
expect_log "INITRD-TAIL-$$'"
expect_log "size $(stat -c %s "$T/initrd")"

# Forcing the format works too.
vm bz-forced -k "$G/bootinfo.bzimage" -m 64M --timeout 60 --kernel-format bzimage
expect_rc 33 "--kernel-format bzimage"
pass "bzImage: boot_params, command line, e820, initrd"
