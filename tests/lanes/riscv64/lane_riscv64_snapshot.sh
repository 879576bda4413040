#!/usr/bin/env bash
# lane_riscv64_snapshot.sh: snapshot and restore of a running riscv64 Linux guest on real KVM (in lane_riscv64.sh's emulated riscv64 host), both clock modes, and a restore refused for a faked different timebase.
# Cases (lane-init.c runs them; see its comment): the guest (Linux 6.1, the UART behind the userspace
# PLIC, 2 harts started by SBI HSM) prints "tick N mono=T" every 0.5 s; after tick 3 it is paused and
# snapshotted through the control socket, its minivmm is killed (SIGKILL), and after a blackout of
# BLACKOUT s the file is restored in a new minivmm, `--clock catch-up` and `--clock freeze`, each to
# the guest's power-off. Checked: each restore exits 0 with the marker; the console at the pause
# followed by the restored guest's holds ticks 0..N-1 once each, in order; the guest's time CSR (each
# tick also prints it, read with rdtime) jumps across the restore by the blackout minivmm logged, the
# wall time since the save (catch-up), or not at all (freeze), and the guest's CLOCK_MONOTONIC step
# across the restore equals its time CSR's (the time from the last tick to the save, the jump, and
# the time from the restored time to the first tick, each of the last two under 3 s). snap-timebase: the saved
# timebase in a copy of the file is doubled (CRC32C recomputed); KVM 6.1 cannot set it, so the
# restore must end with status 66 (as a refused TSC frequency on x86) and the message naming both
# frequencies. snap-tb-allowed: the same copy restored with --allow-timebase-mismatch must run on
# (ticks continue, exit 0) after a warning naming both frequencies.
# Exit status: 0 pass, 1 fail, 77 skip (as lane_riscv64.sh).
# Environment: as lane_riscv64.sh; LANE_RISCV64_SNAP_BLACKOUT (4).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/riscv64

BLACKOUT=${LANE_RISCV64_SNAP_BLACKOUT:-4}
CASES="snap-catchup /guest/Image 2 0 --lane-snapshot=catch-up lane.ticks=10
snap-freeze /guest/Image 2 0 --lane-snapshot=freeze lane.ticks=10
snap-timebase /guest/Image 1 66 --lane-snapshot=timebase lane.ticks=8
snap-tb-allowed /guest/Image 1 0 --lane-snapshot=timebase-allowed lane.ticks=8"
GUEST_APPEND=${LANE_RISCV64_GUEST_APPEND:-quiet}
GUEST_MEM=128M
CASE_TIMEOUT=${LANE_RISCV64_CASE_TIMEOUT:-60}
SILENCE=${LANE_RISCV64_SILENCE:-30}
TOTAL=${LANE_RISCV64_TIMEOUT:-$((60 + $(echo "$CASES" | wc -l) * (2 * CASE_TIMEOUT + BLACKOUT + 30)))}
LANE_CONFIG_EXTRA="BLACKOUT='$BLACKOUT'"
LANE_RUN_DIR=last-run-snapshot

# shellcheck source-path=SCRIPTDIR source=riscv64-common.sh
. "$here/riscv64-common.sh"
echo "blackout: ${BLACKOUT} s"
riscv64_boot

# --- the checks beyond lane-verdict's (status and marker) ---------------------------------------------
bad=0
# check NAME MODE: the LANE-SNAP summary of lane-init.c (seconds): step (the guest's CLOCK_MONOTONIC
# across the restore), to_save (its time CSR from the last tick to the save), jump (restored minus
# saved time CSR), to_tick (restored time to the first tick), blackout and wall (minivmm's log).
check() {
	local line
	line=$(grep -m1 "^LANE-SNAP $1 ticks_before=" "$log")
	if [ -z "$line" ]; then
		echo "$1: no tick summary (the restore did not run)"
		grep "^LANE-SNAP $1 " "$log" | sed 's/^/  /'
		bad=1
		return
	fi
	echo "${line#LANE-SNAP }"
	echo "$line" | awk -v mode="$2" -v min_blackout="$BLACKOUT" '
		function abs(x) { return x < 0 ? -x : x }
		function no(why) { print "  FAIL: " mode ": " why; bad = 1 }
		{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END {
			if (v["continuous"] != "yes") no("the ticks are not 0..N-1 once each")
			if (v["to_save"] < 0 || v["to_save"] > 3 || v["to_tick"] < 0 || v["to_tick"] > 3)
				no("the guest was off its time line around the save or the restore")
			if (abs(v["step"] - (v["to_save"] + v["jump"] + v["to_tick"])) > 0.2)
				no("the guest'"'"'s CLOCK_MONOTONIC did not follow its time CSR")
			if (v["wall"] < min_blackout) no("the blackout was shorter than " min_blackout " s")
			if (mode == "catch-up" && abs(v["jump"] - v["blackout"]) > 0.001)
				no("the guest'"'"'s time did not advance by the logged blackout")
			if (mode == "catch-up" && abs(v["blackout"] - v["wall"]) > 0.01)
				no("the logged blackout is not the wall time since the save")
			if (mode == "freeze" && (abs(v["jump"]) > 0.001 || v["blackout"] > 0.001))
				no("the guest'"'"'s time moved across the restore")
			exit bad
		}' || bad=1
}
check snap-catchup catch-up
check snap-freeze freeze
grep "^LANE-SNAP snap-timebase " "$log" | sed 's/^LANE-SNAP //'
old_hz=$(sed -n 's/^LANE-SNAP snap-timebase timebase \([0-9]*\) Hz rewritten to \([0-9]*\) Hz$/\1/p' "$log")
new_hz=$(sed -n 's/^LANE-SNAP snap-timebase timebase \([0-9]*\) Hz rewritten to \([0-9]*\) Hz$/\2/p' "$log")
if [ -z "$old_hz" ] || [ -z "$new_hz" ]; then
	echo "snap-timebase: the timebase was not rewritten"
	bad=1
else
	want="the snapshot's timebase is $new_hz Hz, this host's is $old_hz Hz"
	if grep -q "^LANE-STDERR snap-timebase| .*$want.*--allow-timebase-mismatch" "$log"; then
		echo "snap-timebase: refused: $want"
	else
		echo "snap-timebase: no refusal naming both frequencies ('$want')"
		bad=1
	fi
fi
# Allowed: the guest runs on (its ticks continue) after minivmm's warning naming both frequencies.
line=$(grep -m1 "^LANE-SNAP snap-tb-allowed ticks_before=" "$log")
echo "${line#LANE-SNAP }"
case $line in *continuous=yes*) ;; *) echo "snap-tb-allowed: the ticks did not continue"; bad=1 ;; esac
if grep -q "^LANE-SNAP snap-tb-allowed log: .*timebase is [0-9]* Hz, this host's [0-9]* Hz.*restoring anyway" "$log"; then
	echo "snap-tb-allowed: $(sed -n 's/^LANE-SNAP snap-tb-allowed log: //p' "$log" | head -n 1)"
else
	echo "snap-tb-allowed: no warning naming both frequencies"
	bad=1
fi
[ $bad -eq 0 ] || { lane_summarise_results; lane_fail "a restore did not keep the guest's ticks or time as its clock mode says (logs: $run)"; }
lane_summarise_results
