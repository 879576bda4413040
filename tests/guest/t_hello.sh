#!/usr/bin/env bash
# t_hello.sh: the default demo guest (make run): greeting and command line on
# the serial port and stdout, boot timer on stderr, ACPI power-off -> 0.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest hello.bzimage

vm hello -k "$G/hello.bzimage" -m 64M --timeout 60 -p "hello.test=1"
expect_rc 0 "ACPI power-off"
expect_log "Hello from a minivmm guest!"
expect_log "hello: command line: console=ttyS0"
expect_log "hello.test=1"
grep -qF "Hello from a minivmm guest!" "$OUT" || fail "greeting not on stdout"
expect_err "^minivmm: boot-timer wall_us=[0-9]+ cpu_us=[0-9]+"
pass "hello: greeting, command line, boot timer, power-off"
