#!/usr/bin/env bash
# t_reset.sh: ways out of a VM: i8042 reset (0xfe to port 0x64) -> 2; ACPI
# power-off and reset through the registers the FADT names -> 0 and 2.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

vm i8042 -k "$K" -m 64M --timeout 60 -p "ctl=i8042"
expect_rc 2 "i8042 reset"
no_log "FAIL"

vm poweroff -k "$K" -m 64M --timeout 60 -p "ctl=poweroff"
expect_rc 0 "ACPI power-off"
no_log "still running"

vm acpireset -k "$K" -m 64M --timeout 60 -p "ctl=acpireset"
expect_rc 2 "ACPI reset"
no_log "FAIL"
pass "i8042 reset, ACPI power-off, ACPI reset"
