#!/bin/sh
# /lane/run of the arm64 snapshot lane (lane_arm64_snapshot.sh), inside the emulated arm64 host. Two cases:
#   ticks  Debian's arm64 kernel as a guest (/guest/Image, /lane/ticks-initrd.cpio, rdinit=/ticks-init,
#          the x86 lane's ticks-init.sh) printing "tick N TIME" every 0.5 s on 2 vCPUs: run with
#          --name, pause, copy of its serial log, snapshot, kill -9, a blackout, then restore
#          --clock catch-up (with --name: once it prints a tick, a second snapshot of the restored VM,
#          whose vGIC dump is compared with the first) and, from the same file, --clock freeze.
#   its    the same kernel with --irqchip gicv3-its --pmu and a virtio-blk disk on virtio-pci (an 8 MiB
#          image here), its init /its-init (its-init.sh) in the virtio lanes' guest initramfs: writes and
#          reads back a disk block every 0.5 s (every disk interrupt an ITS-translated MSI); snapshotted
#          while it runs (minivmm snapshot pauses, saves, resumes), killed with -9; a restore with
#          --irqchip gicv3 (must be refused), then the restore that runs to the guest's power-off.
# Nothing is judged here: every log goes to the console as
#   LANE-SNAP-LOG CASE FILE| LINE
# with LANE-SNAP-INFO/LANE-SNAP-RC lines about the steps, and the lane checks them.
# Settings (/lane/config): GUEST_APPEND, GUEST_MEM, TICKS, TICKS_CPUS, BLACKOUT, CASE_TIMEOUT, ITS_TICKS.
. /lane/config
export PATH=/bin
W=/tmp/snap
mkdir -p $W
. /lane/snap-host.sh # up, now, info, wait_for, dump

snapshot() { # snapshot NAME FILE: minivmm snapshot, with its wall time around it
	info "$1 snapshot-start file=$2 wall=$(now)"
	/minivmm snapshot "$1" "$W/$2.snap" >"$W/$2.snap.out" 2>"$W/$2.snap.err"
	rc=$?
	info "$1 snapshot-end file=$2 wall=$(now) rc=$rc bytes=$(wc -c <"$W/$2.snap" 2>/dev/null)"
	return $rc
}

# restore TAG MODE [--name NAME]: one restore of $W/ticks.snap, in the background.
restore_bg() {
	t=$1 mode=$2
	shift 2
	info "ticks $t start mode=$mode wall=$(now) uptime=$(up)"
	t0=$(up)
	/minivmm restore "$W/ticks.snap" --clock "$mode" "$@" --loglevel info \
		--timeout "$CASE_TIMEOUT" --serial-log "$W/ticks.$t.serial" \
		</dev/null >"$W/ticks.$t.out" 2>"$W/ticks.$t.err" &
	rpid=$!
}

restore_end() { # restore_end TAG
	wait $rpid
	echo "LANE-SNAP-RC ticks $1 rc=$? seconds=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }')"
}

info "host kernel=$(uname -r) cpus=$(nproc)"
# The default exit register (MMIO 0x09010000) is part of the snapshot.
/minivmm run --name ticks --serial-log "$W/ticks.run.serial" --timeout "$CASE_TIMEOUT" \
	--loglevel info -k /guest/Image -i /lane/ticks-initrd.cpio -m "$GUEST_MEM" -c "$TICKS_CPUS" \
	-p "$GUEST_APPEND rdinit=/ticks-init lane_ticks=$TICKS" \
	</dev/null >"$W/ticks.run.out" 2>"$W/ticks.run.err" &
pid=$!
if ! wait_for "$W/ticks.run.serial" '^tick 3 ' 90; then
	info "ticks never-ready uptime=$(up)"
	kill -9 $pid 2>/dev/null
	wait $pid
	dump ticks ticks.run.serial ticks.run.err
	echo "LANE-SNAP-DONE uptime=$(up)"
	exit 0
fi
info "ticks ready uptime=$(up)"
ok=1
/minivmm pause ticks >"$W/ticks.pause.out" 2>"$W/ticks.pause.err" || ok=
info "ticks paused wall=$(now) rc=$ok"
# Paused: the log holds exactly what the saved guest had printed.
tr -d '\r' <"$W/ticks.run.serial" >"$W/ticks.atpause"
info "ticks atpause_lines=$(wc -l <"$W/ticks.atpause")"
[ -n "$ok" ] && { snapshot ticks ticks || ok=; }
kill -9 $pid
wait $pid
echo "LANE-SNAP-RC ticks run rc=$? seconds=0"
info "ticks killed wall=$(now) uptime=$(up)"
if [ -n "$ok" ]; then
	sleep "$BLACKOUT"
	restore_bg r1 catch-up --name again
	# The restored VM, snapshotted again as soon as it prints: its vGIC dump against the first.
	if wait_for "$W/ticks.r1.serial" '^tick ' 60; then
		snapshot again again
		rm -f "$W/again.snap"
	fi
	restore_end r1
	restore_bg r2 freeze
	restore_end r2
	for t in r1 r2; do
		tr -d '\r' <"$W/ticks.$t.serial" >"$W/ticks.$t.txt" 2>/dev/null
		cat "$W/ticks.atpause" "$W/ticks.$t.txt" >"$W/ticks.$t.joined"
	done
fi
dump ticks ticks.run.serial ticks.run.err ticks.pause.err ticks.snap.err again.snap.err \
	ticks.r1.joined ticks.r1.err ticks.r2.joined ticks.r2.err
rm -f "$W"/ticks.snap

# --- case its: an ITS, a PMU, a virtio-pci disk -------------------------------------------------------
cat /lane/virtio-initrd.cpio /lane/its-init.cpio >"$W/its-initrd.cpio"
dd if=/dev/zero of="$W/its.img" bs=1M count=8 2>/dev/null
/minivmm run --name its --irqchip gicv3-its --pmu --virtio-transport pci -d "$W/its.img" \
	--serial-log "$W/its.run.serial" --timeout "$CASE_TIMEOUT" --loglevel info \
	-k /guest/Image -i "$W/its-initrd.cpio" -m "$GUEST_MEM" -c "$TICKS_CPUS" \
	-p "$GUEST_APPEND rdinit=/its-init lane_ticks=$ITS_TICKS" \
	</dev/null >"$W/its.run.out" 2>"$W/its.run.err" &
pid=$!
if wait_for "$W/its.run.serial" '^tick 4 ' 120; then
	info "its ready uptime=$(up)"
	ok=1
	snapshot its its || ok=
	kill -9 $pid
	wait $pid
	echo "LANE-SNAP-RC its run rc=$? seconds=0"
	if [ -n "$ok" ]; then
		/minivmm restore "$W/its.snap" --irqchip gicv3 </dev/null >/dev/null 2>"$W/its.bad.err"
		echo "LANE-SNAP-RC its wrong-irqchip rc=$? seconds=0"
		t0=$(up)
		/minivmm restore "$W/its.snap" --loglevel info --timeout "$CASE_TIMEOUT" \
			--serial-log "$W/its.r1.serial" </dev/null >"$W/its.r1.out" 2>"$W/its.r1.err"
		echo "LANE-SNAP-RC its r1 rc=$? seconds=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }')"
	fi
else
	info "its never-ready uptime=$(up)"
	kill -9 $pid 2>/dev/null
	wait $pid
fi
dump its its.run.serial its.run.err its.snap.err its.bad.err its.r1.serial its.r1.err
rm -f "$W"/its.snap "$W"/its.img "$W"/its-initrd.cpio
echo "LANE-SNAP-DONE uptime=$(up)"
