#!/bin/sh
# /lane/run of the snapshot lane (lane_x86_snapshot.sh), inside the emulated x86 host. Two cases:
#   ticks  a Linux guest (/guest/vmlinux, /lane/ticks-initrd.cpio, rdinit=/ticks-init) printing
#          "tick N TIME" every 0.5 s: run with --name, pause, copy of its serial log, snapshot,
#          kill -9, a blackout, then restore --clock catch-up and (same file) --clock freeze; with a
#          virtio-blk disk ($W/ticks.disk) the guest writes each tick to: a copy taken after the
#          kill is put back before each restore, and each restore's disk is dumped afterwards
#   clock  the freestanding clock guest (/lane/clockguest.bzimage, 2 vCPUs): run with --name,
#          snapshot while it runs (no separate pause, so the guest's last reading and the saved
#          clock are milliseconds apart), kill -9, a blackout, the same two restores
# Nothing is judged here: every log goes to the console as
#   LANE-SNAP-LOG CASE FILE| LINE
# with LANE-SNAP-INFO/LANE-SNAP-RC lines about the steps, and the lane checks them.
# Settings (/lane/config): GUEST_APPEND, GUEST_MEM, TICKS, CLOCK_TICKS, CLOCK_CPUS, BLACKOUT, CASE_TIMEOUT.
. /lane/config
export PATH=/bin
W=/tmp/snap
mkdir -p $W
. /lane/snap-host.sh # up, now, info, wait_for, dump

# restore CASE TAG MODE: one restore of $W/CASE.snap, to completion.
restore() {
	info "$1 $2 start mode=$3 wall=$(now) uptime=$(up)"
	t0=$(up)
	timeout -s KILL $((CASE_TIMEOUT + 15)) /minivmm restore "$W/$1.snap" --clock "$3" \
		--loglevel info --timeout "$CASE_TIMEOUT" --serial-log "$W/$1.$2.serial" \
		</dev/null >"$W/$1.$2.out" 2>"$W/$1.$2.err"
	rc=$?
	echo "LANE-SNAP-RC $1 $2 rc=$rc seconds=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }')"
}

# start CASE PATTERN SECONDS -- minivmm run options: boots in the background, waits for PATTERN.
start() {
	c=$1 pat=$2 secs=$3
	shift 4
	info "$c start uptime=$(up)"
	# No timeout(1) wrapper: $! must be minivmm itself, for kill -9 (its --timeout bounds it).
	/minivmm run --name "$c" --serial-log "$W/$c.run.serial" --timeout "$CASE_TIMEOUT" \
		--loglevel info "$@" </dev/null >"$W/$c.run.out" 2>"$W/$c.run.err" &
	pid=$!
	if wait_for "$W/$c.run.serial" "$pat" "$secs"; then
		info "$c ready uptime=$(up)"
		return 0
	fi
	info "$c never-ready uptime=$(up)"
	kill -9 $pid 2>/dev/null
	wait $pid
	echo "LANE-SNAP-RC $c run rc=$? seconds=0"
	return 1
}

# kill_run CASE: the saved VM's process is killed, as a crash or a migration source would end.
kill_run() {
	kill -9 $pid
	wait $pid
	echo "LANE-SNAP-RC $1 run rc=$? seconds=0"
	info "$1 killed wall=$(now) uptime=$(up)"
}

snapshot() { # snapshot CASE: minivmm snapshot, with its wall time around it
	info "$1 snapshot-start wall=$(now)"
	/minivmm snapshot "$1" "$W/$1.snap" >"$W/$1.snap.out" 2>"$W/$1.snap.err"
	rc=$?
	info "$1 snapshot-end wall=$(now) rc=$rc bytes=$(wc -c <"$W/$1.snap" 2>/dev/null)"
	return $rc
}

cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
info "host clocksource=$cs kernel=$(uname -r) cpus=$(nproc)"

# disk_ticks TAG: the tick records on the ticks guest's disk, one a line, as ticks.TAG.disk.
disk_ticks() {
	tr '\000' '\n' <"$W/ticks.disk" | grep '^disk [0-9]*$' >"$W/ticks.$1.disk"
}

# --- ticks: a Linux guest ------------------------------------------------------------------------
dd if=/dev/zero of="$W/ticks.disk" bs=1024 count=1024 2>/dev/null
if start ticks '^tick 3 ' 90 -- -k /guest/vmlinux -i /lane/ticks-initrd.cpio -m "$GUEST_MEM" \
	-c "$TICKS_CPUS" -d "$W/ticks.disk" -p "$GUEST_APPEND rdinit=/ticks-init lane_ticks=$TICKS"; then
	ok=1
	/minivmm pause ticks >"$W/ticks.pause.out" 2>"$W/ticks.pause.err" || ok=
	info "ticks paused wall=$(now) rc=$ok"
	# Paused: the log holds exactly what the saved guest had printed.
	tr -d '\r' <"$W/ticks.run.serial" >"$W/ticks.atpause"
	info "ticks atpause_lines=$(wc -l <"$W/ticks.atpause") atpause_bytes=$(wc -c <"$W/ticks.atpause")"
	[ -n "$ok" ] && snapshot ticks || ok=
	kill_run ticks
	# The disk as the saved guest left it: each restore starts from it.
	cp "$W/ticks.disk" "$W/ticks.disk.saved"
	disk_ticks saved
	if [ -n "$ok" ]; then
		sleep "$BLACKOUT"
		for t in r1 r2; do
			if [ $t = r1 ]; then mode=catch-up; else mode=freeze; fi
			cp "$W/ticks.disk.saved" "$W/ticks.disk"
			restore ticks $t $mode
			disk_ticks $t
			tr -d '\r' <"$W/ticks.$t.serial" >"$W/ticks.$t.txt" 2>/dev/null
			cat "$W/ticks.atpause" "$W/ticks.$t.txt" >"$W/ticks.$t.joined"
		done
	fi
	dump ticks ticks.run.serial ticks.run.err ticks.pause.err ticks.snap.err ticks.saved.disk \
		ticks.r1.joined ticks.r1.err ticks.r1.disk ticks.r2.joined ticks.r2.err ticks.r2.disk
else
	dump ticks ticks.run.serial ticks.run.err
fi
rm -f "$W"/ticks.snap "$W"/ticks.disk "$W"/ticks.disk.saved

# --- clock: the freestanding clock guest ----------------------------------------------------------
if start clock '^EDGE n=4 ' 60 -- -k /lane/clockguest.bzimage -m 64M -c "$CLOCK_CPUS" \
	-p "ticks=$CLOCK_TICKS period=500"; then
	ok=1
	snapshot clock || ok=
	kill_run clock
	if [ -n "$ok" ]; then
		sleep "$BLACKOUT"
		restore clock r1 catch-up
		restore clock r2 freeze
	fi
	dump clock clock.run.serial clock.run.err clock.snap.err clock.r1.serial clock.r1.err \
		clock.r2.serial clock.r2.err
else
	dump clock clock.run.serial clock.run.err
fi
echo "LANE-SNAP-DONE uptime=$(up)"
