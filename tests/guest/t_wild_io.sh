#!/usr/bin/env bash
# t_wild_io.sh: a hostile guest doing byte/word/dword port I/O every 97th port
# of the 16-bit space (skipping devices whose writes end the VM). Unhandled
# reads must return all-ones; minivmm must survive, count the accesses
# (--loglevel info) and with --debug-io log each one legibly.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

vm wildio -k "$K" -m 64M --timeout 60 --loglevel info -p "ctl=wildio"
expect_rc 45 "wild port I/O, then the exit port"
summary=$(grep -oE "wildio done: [0-9]+ accesses, [0-9]+ reads not all-ones \(0 at ports >= 0x1000\)" "$LOG") ||
	fail "guest summary missing, or non-all-ones reads at ports >= 0x1000"
n=$(echo "$summary" | grep -oE "[0-9]+ accesses" | grep -oE "[0-9]+")
counts=$(grep -oE "unhandled accesses: pio [0-9]+ reads, [0-9]+ writes" "$ERR") ||
	fail "no unhandled-access summary on stderr at --loglevel info"
r=$(echo "$counts" | sed -E 's/.*pio ([0-9]+) reads, ([0-9]+) writes/\1/')
w=$(echo "$counts" | sed -E 's/.*pio ([0-9]+) reads, ([0-9]+) writes/\2/')
[ $((r + w)) -ge "$n" ] || fail "minivmm counted $r+$w unhandled accesses, the guest made $n"
! grep -q "unhandled read of" "$ERR" || fail "per-access lines without --debug-io"

vm wildio-debug -k "$K" -m 64M --timeout 60 --debug-io -p "ctl=wildio"
expect_rc 45 "wild port I/O with --debug-io"
lines=$(grep -c "unhandled" "$ERR")
[ "$lines" -ge "$n" ] || fail "--debug-io logged $lines accesses, the guest made $n"
# 97 * 100 = 0x25e4 is read 2 bytes wide, then written.
expect_err "unhandled write of 2 byte\(s\) at 0x25e4, value 0xa5a5$"
grep -E "unhandled read of 2 byte\(s\) at 0x25e4" "$ERR" | grep -qE "0x25e4([^0-9a-fA-F]|$)" ||
	fail "--debug-io read line for port 0x25e4 is garbled: $(grep -m1 'read of 2 byte(s) at 0x25e4' "$ERR")"
pass "wild port I/O, with and without --debug-io"
