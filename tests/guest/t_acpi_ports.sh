#!/usr/bin/env bash
# t_acpi_ports.sh: the documented fixed ACPI ports: a byte (5<<2)|(1<<5) to
# port 0x600 powers off (-> 0), 1 to port 0x602 resets (-> 2), and the FADT
# names those ports. (t_reset.sh covers the ports the FADT names, whatever
# they are.) Reports every mismatch, not only the first.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage
problems=()

# The ctl guest's exit action writes any byte to any port; if the write does
# not end the VM it says so and powers off through the FADT's port (-> 0).
vm s5-600 -k "$K" -m 64M --timeout 60 -p "ctl=exit val=0x34 port=0x600"
if [ "$RC" -ne 0 ] || grep -q "still running after the exit-port write" "$LOG"; then
	problems+=("S5 written to port 0x600 did not power off (status $RC, guest kept running)")
fi

vm reset-602 -k "$K" -m 64M --timeout 60 -p "ctl=exit val=1 port=0x602"
[ "$RC" -eq 2 ] || problems+=("1 written to port 0x602: status $RC, expected 2 (reset)")

vm fadt -k "$K" -m 64M --timeout 60 -p "ctl=poweroff"
expect_rc 0 "ACPI power-off through the FADT's port"
grep -q "sleep control port 600" "$LOG" ||
	problems+=("FADT sleep control register: $(grep -o 'port [0-9a-f]*' "$LOG" | head -1), expected port 600")

if [ ${#problems[@]} -gt 0 ]; then
	NAME=""
	fail "$(printf '%s; ' "${problems[@]}")"
fi
pass "ACPI sleep control 0x600 and reset 0x602"
