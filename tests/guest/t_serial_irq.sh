#!/usr/bin/env bash
# t_serial_irq.sh: interrupt-driven serial input. The guest routes IRQ 4
# through the IOAPIC, enables the UART RX interrupt and sleeps in sti;hlt;
# input goes in through a FIFO on minivmm's stdin once the guest is ready.
# Checks the per-byte echo, the line echo, a non-zero interrupt count and the
# exit 0x14 -> 41 (the byte count includes the newline). A second run sends more than the 16-byte UART FIFO holds.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest serirq.bzimage

# run_with_input NAME LINE: starts the VM with a FIFO as stdin and writes
# LINE once "serirq: ready" is in the serial log.
run_with_input() {
	local name=$1 line=$2 writer i
	rm -f "$T/in" "$T/done"
	mkfifo "$T/in" || fail "mkfifo"
	(
		exec 3>"$T/in"
		for i in $(seq 600); do
			grep -q "serirq: ready" "$T/$name.serial" 2>/dev/null && break
			sleep 0.1
		done
		printf '%s\n' "$line" >&3
		for i in $(seq 900); do
			[ -e "$T/done" ] && break
			sleep 0.1
		done
	) &
	writer=$!
	VM_STDIN=$T/in vm "$name" -k "$G/serirq.bzimage" -m 64M --timeout 60
	touch "$T/done"
	wait "$writer"
}

run_with_input serirq "hello minivmm"
expect_rc 41 "guest saw the line through interrupts"
expect_log "serirq: ready for input"
expect_log "serirq: rx 68 'h'"
expect_log "serirq: rx 20 ' '"
expect_log "serirq: echo: hello minivmm"
grep -qE "serirq: [1-9][0-9]* interrupts, 14 bytes received" "$LOG" ||
	fail "no interrupts counted, or not 14 bytes (13 and a newline) received"

long="abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGHIJ"
run_with_input serirq-long "$long"
expect_rc 41 "long line"
expect_log "serirq: echo: $long"
grep -qE "serirq: [1-9][0-9]* interrupts, $((${#long} + 1)) bytes received" "$LOG" ||
	fail "long line: bytes lost or no interrupts"
pass "serial input through IRQ 4 and the IOAPIC"
