#!/usr/bin/env bash
# lane_riscv64_snapshot.sh: snapshot and restore of a running riscv64 Linux guest on real KVM (in lane_riscv64.sh's emulated riscv64 host), both clock modes, and a restore refused for a faked different timebase.
# Cases (lane-init.c runs them; see its comment): the guest (Linux 6.1, the UART behind the userspace
# PLIC, 2 harts started by SBI HSM) prints "tick N mono=T" every 0.5 s; after tick 3 it is paused and
# snapshotted through the control socket, its minivmm is killed (SIGKILL), and after a blackout of
# BLACKOUT s the file is restored in a new minivmm, `--clock catch-up` and `--clock freeze`, each to
# the guest's power-off. Checked: each restore exits 0 with the marker; the console at the pause
# followed by the restored guest's holds ticks 0..N-1 once each, in order; the guest's CLOCK_MONOTONIC
# steps across the restore by at least the blackout minivmm logged and at most 2 s more (catch-up),
# or by less than 2.5 s while the blackout was at least BLACKOUT s (freeze). snap-timebase: the saved
# timebase in a copy of the file is doubled (CRC32C recomputed); KVM 6.1 cannot set it, so the
# restore must end with status 66 (as a refused TSC frequency on x86) and the message naming both
# frequencies.
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
snap-timebase /guest/Image 1 66 --lane-snapshot=timebase lane.ticks=8"
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
check() { # NAME CONDITION-TEXT: an awk condition on continuous, step, blackout
	local line
	line=$(grep -m1 "^LANE-SNAP $1 ticks_before=" "$log")
	if [ -z "$line" ]; then
		echo "$1: no tick summary (the restore did not run)"
		grep "^LANE-SNAP $1 " "$log" | sed 's/^/  /'
		bad=1
		return
	fi
	echo "${line#LANE-SNAP }"
	echo "$line" | awk -v want="$2" -v min_blackout="$BLACKOUT" '
		{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END {
			c = v["continuous"] == "yes"; s = v["step"] + 0; b = v["blackout"] + 0
			if (want == "catch-up") ok = c && b >= min_blackout && s >= b - 0.05 && s <= b + 2
			else ok = c && b < 0.001 && s < 2.5
			if (!ok) { print "  FAIL: " want ": ticks continuous, guest time step vs blackout"; exit 1 }
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
[ $bad -eq 0 ] || { lane_summarise_results; lane_fail "a restore did not keep the guest's ticks or time as its clock mode says (logs: $run)"; }
lane_summarise_results
