#!/usr/bin/env bash
# t_wild_mmio.sh: a hostile guest reading and writing (1/2/4/8 bytes, and
# across a page boundary) unmapped guest-physical addresses: beyond RAM, in
# the MMIO hole, around the IOAPIC/LAPIC, below 4 GiB. Reads must return
# all-ones, writes must vanish; minivmm must survive and report.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

vm wildmmio -k "$K" -m 64M --timeout 60 --loglevel info -p "ctl=wildmmio"
expect_rc 47 "wild MMIO, then the exit port"
expect_log "ctl: wildmmio done: 56 reads, 0 not all-ones"
expect_err "unhandled accesses: .*mmio [1-9][0-9]* reads, [1-9][0-9]* writes"

vm wildmmio-debug -k "$K" -m 64M --timeout 60 --debug-io -p "ctl=wildmmio"
expect_rc 47 "wild MMIO with --debug-io"
expect_log "ctl: wildmmio done: 56 reads, 0 not all-ones"
expect_err "mmio: unhandled write of 8 byte\(s\) at 0xd0000018, value 0x5a5a5a5a5a5a5a5a"
grep -E "mmio: unhandled read of 4 byte\(s\) at 0xd0000004" "$ERR" | grep -qE "0xd0000004([^0-9a-fA-F]|$)" ||
	fail "--debug-io read line for 0xd0000004 is garbled: $(grep -m1 'read of 4 byte(s) at 0xd0000004' "$ERR")"
pass "wild MMIO, with and without --debug-io"
