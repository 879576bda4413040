#!/usr/bin/env bash
# t_snapshot_smp.sh: a 4-vCPU guest (snapsmp.c) in which every CPU increments
# its own counter in a shared page and the BSP prints all four each tick.
# Paused, snapshotted and killed (-9) after a few ticks, then restored in a
# new process: the ticks continue from the next one, every counter starts at
# least where it was, never goes back and rises within every 3 ticks (so all
# four vCPUs run after the restore). The restored VM is then snapshotted again while it
# runs and that second file restored too: the same holds. Exit 0x18 -> 49.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snaplib.sh"
need_kvm
need_guest snapsmp.bzimage

TICKS=40
# ticks FILE: "T C0 C1 C2 C3" for every complete tick line.
ticks() {
	tr -d '\r' <"$1" | sed -n 's/^snapsmp: tick \([0-9]*\): \([0-9]*\) \([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3 \4 \5/p'
}

# check_continues FILE WHAT: in FILE (the logs before and after a restore,
# put together, so that a line cut by the snapshot is whole again) the ticks
# follow one another, no counter ever goes back, and every counter rises
# within any STUCK_TICKS consecutive lines (4 vCPUs share 2 host cores here:
# one vCPU may not run at all during one tick, but never for several).
STUCK_TICKS=3
check_continues() {
	local msg
	msg=$(ticks "$1" | awk -v stuck="$STUCK_TICKS" '
		NR > 1 && $1 != t + 1 { print "tick " $1 " follows tick " t; exit }
		{
			for (i = 2; i <= 5; i++) {
				if (NR > 1 && $i + 0 < c[i] + 0) {
					print "cpu " i - 2 " counter " $i " at tick " $1 " went back from " c[i]; exit
				}
				if (NR == 1 || $i + 0 > c[i] + 0)
					rose[i] = NR
				else if (NR - rose[i] >= stuck) {
					print "cpu " i - 2 " counter stuck at " $i " for " stuck " ticks (tick " $1 ")"; exit
				}
				c[i] = $i
			}
			t = $1
		}')
	[ -z "$msg" ] || fail "$2: $msg"
}

# after_restore FILE: at least 5 whole tick lines printed after the restore.
after_restore() {
	local n
	n=$(ticks "$1" | wc -l)
	[ "$n" -ge 5 ] || fail "$NAME: only $n tick lines after the restore"
}

# 1: run, pause after a few ticks, snapshot, kill -9.
NAME=orig LOG=$T/orig.serial ERR=$T/orig.err
"$VMM" run -k "$G/snapsmp.bzimage" -c 4 -m 64M -p "ticks=$TICKS delay=10000" \
	--name orig --serial-log "$LOG" --timeout 60 </dev/null >/dev/null 2>"$ERR" &
PID=$!
BG+=("$PID")
wait_log "$LOG" "snapsmp: tick 6:" 40
expect_log "snapsmp: 3 APs counting"
ctl pause orig
ctl snapshot orig "$T/s1.snap"
kill -9 "$PID"
wait "$PID" 2>/dev/null
sum=$(sha256sum <"$T/s1.snap")
last=$(ticks "$LOG" | tail -n 1)

# 2: restore with a name; a live snapshot of the restored VM on the way.
NAME=r1 LOG=$T/r1.serial ERR=$T/r1.err
timeout -k 5 120 "$VMM" restore "$T/s1.snap" --name r1 --serial-log "$LOG" \
	--timeout 60 </dev/null >/dev/null 2>"$ERR" &
PID=$!
BG+=("$PID")
wait_log "$LOG" "snapsmp: tick $((${last%% *} + 4)):" 40
ctl status r1
grep -q '^running name=r1 cpus=4 mem=64M' "$T/ctl.out" ||
	fail "status of the restored VM: '$(cat "$T/ctl.out")'"
ctl snapshot r1 "$T/s2.snap"
wait "$PID"
RC=$?
expect_rc 49 "restored guest finishes its ticks"
expect_log "snapsmp: done"
[ -s "$ERR" ] && fail "r1: unexpected stderr: $(head -c 300 "$ERR")"
cat "$T/orig.serial" "$LOG" >"$T/r1.all"
check_continues "$T/r1.all" "restore of the paused snapshot"
after_restore "$LOG"
[ "$(ticks "$T/r1.all" | head -n 1 | cut -d' ' -f1)" = 0 ] &&
	[ "$(ticks "$T/r1.all" | wc -l)" -eq $TICKS ] ||
	fail "before + after the restore: not the $TICKS ticks 0..$((TICKS - 1))"
[ "$(sha256sum <"$T/s1.snap")" = "$sum" ] || fail "restore modified the snapshot file"
echo "paused at: tick $last; restored: $(ticks "$LOG" | head -n 1) ... $(ticks "$LOG" | tail -n 1)"

# 3: the snapshot of the restored VM, restored with --copy.
NAME=r2 LOG=$T/r2.serial ERR=$T/r2.err
timeout -k 5 120 "$VMM" restore "$T/s2.snap" --copy --serial-log "$LOG" --timeout 60 \
	</dev/null >/dev/null 2>"$ERR"
RC=$?
expect_rc 49 "second-generation restore finishes"
expect_log "snapsmp: done"
first=$(ticks "$LOG" | head -n 1)
# Its first whole tick line comes after a tick r1 printed: put r1 up to
# that tick and r2 together.
grep -qx "snapsmp: tick ${first%% *}: .*" <(tr -d '\r' <"$T/r1.serial") ||
	fail "r2 starts at tick ${first%% *}, which r1 never printed"
sed "/^snapsmp: tick $((${first%% *} - 1)):/q" <(tr -d '\r' <"$T/r1.serial") >"$T/r1.head"
grep -q "^snapsmp: tick $((${first%% *} - 1)):" "$T/r1.head" ||
	fail "r2 starts at tick ${first%% *}: no tick before it in r1"
cat "$T/r1.head" "$LOG" >"$T/r2.all"
check_continues "$T/r2.all" "restore of a snapshot of a restored VM"
after_restore "$LOG"
pass "4 vCPUs: all counters keep rising after restore (paused snapshot) and after a live snapshot of the restored VM"
