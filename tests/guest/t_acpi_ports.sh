#!/usr/bin/env bash
# t_acpi_ports.sh: the documented fixed ACPI ports: a byte (5<<2)|(1<<5) to
# port 0x3c0 powers off (-> 0), 1 to port 0x3c2 resets (-> 2), and the FADT
# names the same ports.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

vm fadt -k "$K" -m 64M --timeout 60 -p "ctl=poweroff"
expect_rc 0 "ACPI power-off through the FADT's port"
expect_log "sleep control port 3c0"

# The ctl guest's exit action writes any byte to any port; when the write
# does not end the VM it powers off through the FADT, so the status is 0 too.
vm s5-3c0 -k "$K" -m 64M --timeout 60 -p "ctl=exit val=0x34 port=0x3c0"
expect_rc 0 "S5 to port 0x3c0"
no_log "still running after the exit-port write"

vm reset-3c2 -k "$K" -m 64M --timeout 60 -p "ctl=exit val=1 port=0x3c2"
expect_rc 2 "1 to port 0x3c2"
pass "ACPI sleep control 0x3c0 and reset 0x3c2"
