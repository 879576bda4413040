#!/usr/bin/env bash
# t_virtio_mmio_console.sh: --console virtio over virtio-mmio. The guest
# writes two lines through the transmitq (they reach the serial log through
# the VMM console), then reads a line typed on minivmm's stdin through the
# receiveq and echoes it back.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vmmio.bzimage

rm -f "$T/in" "$T/done"
mkfifo "$T/in" || fail "mkfifo"
(
	exec 3>"$T/in"
	for i in $(seq 300); do
		grep -q "vcon: ready for input" "$T/con.serial" 2>/dev/null && break
		sleep 0.1
	done
	printf 'hello virtio console\n' >&3
	for i in $(seq 300); do
		[ -e "$T/done" ] && break
		sleep 0.1
	done
) &
writer=$!
VM_STDIN=$T/in vm con -k "$G/vmmio.bzimage" -m 64M --timeout 30 \
	--virtio-transport mmio --console virtio -p "acpi=off vt=con"
touch "$T/done"
wait "$writer"
expect_rc 49 "console round trip"
expect_log "vcon: hello from the virtio console"
expect_log "vcon: got 'hello virtio console'"
pass "virtio console output and input over virtio-mmio"
