#!/usr/bin/env bash
# t_exit_port.sh: the debug-exit port: value V -> status (V<<1)|1; --exit-port
# off ignores the write (the guest then powers off -> 0); a custom port.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

for pair in 0:1 1:3 42:85 127:255; do
	v=${pair%%:*} st=${pair#*:}
	vm "exit$v" -k "$K" -m 64M --timeout 60 -p "ctl=exit val=$v"
	expect_rc "$st" "exit-port value $v"
	expect_log "ctl: writing $v to exit port f4"
	no_log "still running after the exit-port write"
done

vm exit-off -k "$K" -m 64M --timeout 60 --exit-port off -p "ctl=exit val=42"
expect_rc 0 "--exit-port off: the write is ignored, then power-off"
expect_log "ctl: still running after the exit-port write"

vm exit-custom -k "$K" -m 64M --timeout 60 --exit-port 0x501 -p "ctl=exit val=7 port=0x501"
expect_rc 15 "--exit-port 0x501"

vm exit-custom-old -k "$K" -m 64M --timeout 60 --exit-port 0x501 -p "ctl=exit val=7"
expect_rc 0 "--exit-port 0x501: 0xf4 is just an unhandled port"
expect_log "ctl: still running after the exit-port write"
pass "exit port: values, off, custom port"
