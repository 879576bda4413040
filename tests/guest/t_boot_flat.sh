#!/usr/bin/env bash
# t_boot_flat.sh: a flat binary: loaded at 0x10000, real mode at 1000:0000 with
# sp 0x8000; prints through the UART, reads the command line at 0x20000 and
# exits 0x13 -> 39.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest flat.bin

vm flat -k "$G/flat.bin" -m 64M --timeout 60 -p "flat.test=1"
expect_rc 39 "flat checks passed"
expect_log "flat: hello from real mode"
expect_log "flat: cs=1000 sp=8000"
expect_log "flat.test=1'"

vm flat-forced -k "$G/flat.bin" -m 16M --timeout 60 --kernel-format flat
expect_rc 39 "--kernel-format flat"
pass "flat binary in real mode"
