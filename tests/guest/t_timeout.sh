#!/usr/bin/env bash
# t_timeout.sh: --timeout 2 stops a guest that spins with interrupts off, and
# one halted with interrupts off, with status 4 after about 2 s, printing
# where each vCPU was; SIGTERM stops a running VM with status 8.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage

for a in spin halt; do
	vm "$a" -k "$K" -m 64M --timeout 2 -p "ctl=$a"
	expect_rc 4 "timeout"
	expect_log "ctl: ${a}"
	expect_err "time(d )?out"
	expect_err "vCPU 0: rip [0-9a-f]{16} rsp" # where the hung guest was
	[ "$ELAPSED_MS" -ge 1800 ] && [ "$ELAPSED_MS" -le 10000 ] ||
		fail "$a: --timeout 2 ended after ${ELAPSED_MS} ms"
done

# A signal: status 8.
NAME=sigterm LOG=$T/sigterm.serial ERR=$T/sigterm.err OUT=$T/sigterm.out
"$VMM" run -k "$K" -m 64M --timeout 60 --serial-log "$LOG" -p "ctl=halt" \
	</dev/null >"$OUT" 2>"$ERR" &
pid=$!
for i in $(seq 300); do
	grep -q "ctl: halting" "$LOG" 2>/dev/null && break
	sleep 0.1
done
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "SIGTERM did not stop minivmm within 10 s"; }
wait "$pid"
RC=$?
expect_rc 8 "stopped by SIGTERM"
pass "timeout -> 4 in ~2 s (spinning and halted), SIGTERM -> 8"
