#!/usr/bin/env bash
# t_snapshot_counter.sh: the counting guest saved mid-run and restored in a
# new process. (1) pause -> snapshot through the control socket -> kill -9;
# restored, the serial output continues from the next number: the logs of the
# two processes put together are exactly the full sequence, nothing lost or
# repeated. The same file restored twice more (once mapped, once --copy)
# gives byte-identical continuations, and no restore modifies the file
# (sha256 before/after). (2) A snapshot taken while the VM runs (minivmm
# pauses and resumes it itself): the VM goes on to the end, and the restored
# copy continues from a point between the log sizes seen just before and just
# after the snapshot command, and also finishes the sequence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snaplib.sh"
need_kvm
need_guest counter.bzimage

COUNT=300
PARAMS="count=$COUNT delay=3000" # about 20 ms a line here
counter_expected "$COUNT"

# start NAME: the counter in the background, serving the socket NAME.
start() {
	NAME=$1 LOG=$T/$1.serial OUT=$T/$1.out ERR=$T/$1.err
	"$VMM" run -k "$G/counter.bzimage" -p "$PARAMS" --name "$1" \
		--serial-log "$LOG" --timeout 60 </dev/null >"$OUT" 2>"$ERR" &
	PID=$!
	BG+=("$PID")
}

# --- 1: pause, snapshot, kill -9, restore ---
start orig
wait_log "$T/orig.serial" "count 40" 30
ctl pause orig
grep -qx paused "$T/ctl.out" || fail "pause replied '$(cat "$T/ctl.out")'"
ctl status orig
grep -q '^paused name=orig cpus=1 mem=256M' "$T/ctl.out" ||
	fail "status while paused: '$(cat "$T/ctl.out")'"
ctl snapshot orig "$T/s1.snap"
grep -qF "snapshot saved to $T/s1.snap" "$T/ctl.out" ||
	fail "snapshot replied '$(cat "$T/ctl.out")'"
[ -f "$T/s1.snap" ] || fail "no snapshot file"
ls "$T"/s1.snap.tmp-* >/dev/null 2>&1 && fail "temporary file left behind"
# The paused guest prints nothing more.
before=$(stat -c %s "$T/orig.serial")
sleep 0.3
[ "$(stat -c %s "$T/orig.serial")" -eq "$before" ] || fail "the paused guest still prints"
kill -9 "$PID"
wait "$PID" 2>/dev/null
sum=$(sha256sum <"$T/s1.snap")

# Three restores of the one file at once: mapped, mapped again, --copy.
for r in r1 r2 r3; do
	extra=()
	[ $r = r3 ] && extra=(--copy)
	(restore $r "$T/s1.snap" "${extra[@]}"; echo "$RC" >"$T/$r.rc") &
	BG+=("$!")
done
wait "${BG[@]:1}" 2>/dev/null
for r in r1 r2 r3; do
	NAME=$r LOG=$T/$r.serial ERR=$T/$r.err RC=$(cat "$T/$r.rc" 2>/dev/null || echo 255)
	expect_rc 0 "restored counter powers off"
	[ -s "$ERR" ] && fail "$r: unexpected stderr: $(head -c 300 "$ERR")"
done
NAME=r1 LOG=$T/r1.serial ERR=$T/r1.err RC=0
first=$(head -n 1 "$T/r1.serial" | tr -d '\r')
last=$(tail -n 1 "$T/orig.serial" | tr -d '\r')
echo "before the snapshot: ... '$last'; restored: '$first' ..."
cat "$T/orig.serial" "$T/r1.serial" | upto_done | cmp -s - "$T/expected" ||
	fail "original + restored output is not the full sequence: $(cat "$T/orig.serial" "$T/r1.serial" | upto_done | diff - "$T/expected" | head -n 8)"
cat "$T/orig.serial" "$T/r1.serial" | grep -q '^counter: done' || fail "no end line"
cmp -s "$T/r1.serial" "$T/r2.serial" || fail "two restores of one snapshot differ"
cmp -s "$T/r1.serial" "$T/r3.serial" || fail "restore --copy differs from the mapped restore"
[ "$(sha256sum <"$T/s1.snap")" = "$sum" ] || fail "restore modified the snapshot file"
pass "paused snapshot, kill -9, restore: sequence continues at '$first'; mapped x2 and --copy identical; file unchanged"

# --- 2: snapshot of a running VM ---
start live
wait_log "$T/live.serial" "count 40" 30
ctl status live
grep -q '^running name=live' "$T/ctl.out" || fail "status while running: '$(cat "$T/ctl.out")'"
lo=$(stat -c %s "$T/live.serial")
ctl snapshot live "$T/s2.snap"
hi=$(stat -c %s "$T/live.serial")
ctl status live
grep -q '^running name=live' "$T/ctl.out" ||
	fail "the VM did not resume after the snapshot: '$(cat "$T/ctl.out")'"
sum=$(sha256sum <"$T/s2.snap")
restore r4 "$T/s2.snap"
expect_rc 0 "restored running snapshot powers off"
wait "$PID" 2>/dev/null
RC=$?
NAME=live LOG=$T/live.serial ERR=$T/live.err
expect_rc 0 "the snapshotted VM finishes by itself"
upto_done "$T/live.serial" | cmp -s - "$T/expected" ||
	fail "the VM's own output is not the full sequence after a live snapshot"
NAME=r4 LOG=$T/r4.serial ERR=$T/r4.err RC=0
# The restored copy continues the sequence from the snapshot's point.
exp=$(stat -c %s "$T/expected")
got=$(upto_done "$T/r4.serial" | wc -c)
cut=$((exp - got))
[ "$cut" -ge "$lo" ] && [ "$cut" -le "$hi" ] ||
	fail "restored output starts at byte $cut of the sequence, the snapshot was taken between $lo and $hi"
{ head -c "$cut" "$T/expected"; upto_done "$T/r4.serial"; } | cmp -s - "$T/expected" ||
	fail "restored output is not the rest of the sequence"
[ "$(sha256sum <"$T/s2.snap")" = "$sum" ] || fail "restore modified the snapshot file"
pass "running snapshot: VM resumed and finished; restored copy continues at byte $cut (log was $lo..$hi bytes)"
