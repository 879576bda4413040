#!/usr/bin/env bash
# t_triple_fault.sh: a guest that loads a zero-limit IDT and raises #UD: a
# triple fault ends the VM with status 6, a reason and a register dump.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage

vm triple -k "$G/ctl.bzimage" -m 64M --timeout 60 -p "ctl=triple"
expect_rc 6 "guest crash"
expect_log "ctl: loading a zero-limit IDT and raising #UD"
no_log "survived a triple fault"
expect_err "triple fault"
expect_err "rip [0-9a-f]{16}"
expect_err "cr0 [0-9a-f]+ cr3"
[ "$ELAPSED_MS" -lt 30000 ] || fail "took ${ELAPSED_MS} ms"
pass "triple fault -> 6 with a register dump"
