#!/usr/bin/env bash
# t_snapshot_virtio.sh: virtio devices in snapshots, over both transports. A
# guest loops over the blocks of a virtio-blk disk (write, read back,
# compare, print "blkloop: block N ok"; blkloop.c), polled, next to a
# virtio-rng; it is paused mid-run, snapshotted and killed (-9). Restored
# once with the recorded devices (the image reopened by its recorded path)
# and once with -d onto a copy of the image, each restore finishes the loop:
# the original's log and the restored one together are exactly the whole
# sequence, and each image holds every block's pattern afterwards. Then the
# restore command line against the recorded devices: a changed shape is one
# line and status 64, a missing recorded image one line naming it and 66.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snaplib.sh"
need_kvm
need_guest vmmio.bzimage vpci.bzimage

BLOCKS=120
RESTORE_TIMEOUT=90

for ((i = 0; i < BLOCKS; i++)); do printf 'blkloop: block %d ok\r\n' "$i"; done >"$T/expected"
printf 'blkloop: done\r\n' >>"$T/expected"
loop_lines() { grep -a '^blkloop: ' "$@"; }

# check_image FILE: every block of the loop holds its pattern, the rest 0.
check_image() {
	python3 - "$1" "$BLOCKS" <<'PY' || fail "$NAME: image $1 does not hold the loop's blocks"
import sys
d = open(sys.argv[1], 'rb').read()
n = int(sys.argv[2])
for b in range(n):
    want = bytes((7 * j + 13 * b + 1) & 0xff for j in range(4096))
    assert d[4096 * b:4096 * (b + 1)] == want, "block %d" % b
assert d[4096 * n:] == bytes(len(d) - 4096 * n), "bytes past the loop"
PY
}

# run_case TRANSPORT KERNEL PARAMS STATUS
run_case() {
	local tr=$1 kernel=$2 params=$3 status=$4 img=$T/$1.img pid first
	truncate -s 1M "$img"
	NAME=$tr-orig LOG=$T/$tr-orig.serial ERR=$T/$tr-orig.err
	"$VMM" run -k "$G/$kernel" -m 64M --virtio-transport "$tr" --rng \
		-d "$img" -p "$params blocks=$BLOCKS" --name "$tr" \
		--serial-log "$LOG" --timeout 90 </dev/null >"$T/$tr-orig.out" 2>"$ERR" &
	pid=$!
	BG+=("$pid")
	wait_log "$LOG" "block 25 ok" 60
	ctl pause "$tr"
	ctl snapshot "$tr" "$T/$tr.snap"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	cp "$img" "$T/$tr-copy.img"

	# With the recorded devices: the image reopened by its recorded path.
	restore "$tr-rec" "$T/$tr.snap"
	expect_rc "$status" "restored loop finishes"
	[ -s "$ERR" ] && fail "$NAME: unexpected stderr: $(head -c 300 "$ERR")"
	cat "$T/$tr-orig.serial" "$T/$tr-rec.serial" | loop_lines |
		cmp -s - "$T/expected" ||
		fail "$NAME: original + restored output is not the whole sequence: $(cat "$T/$tr-orig.serial" "$LOG" | loop_lines | diff - "$T/expected" | head -n 6)"
	check_image "$img"
	first=$(head -n 1 "$LOG" | tr -d '\r')

	# With -d: a copy of the image as it was at the snapshot.
	restore "$tr-copy" "$T/$tr.snap" -d "$T/$tr-copy.img"
	expect_rc "$status" "restored loop on the copy finishes"
	cmp -s "$T/$tr-rec.serial" "$LOG" || fail "$NAME: differs from the restore onto the recorded image"
	check_image "$T/$tr-copy.img"
	pass "$tr: paused snapshot mid-loop, kill -9; restored with the recorded disk and with -d a copy: continues at '$first', both images complete"
}

run_case mmio vmmio.bzimage "acpi=off vt=blkloop" 49
run_case pci vpci.bzimage "vt=blkloop" 97

# The command line against the recorded devices (the pci snapshot: rng +
# one disk on virtio-pci, serial console).
snap=$T/pci.snap
bad() { # WANT_STATUS REGEX ARGS...
	local want=$1 re=$2
	shift 2
	restore bad "$snap" "$@"
	expect_rc "$want" "restore $*"
	[ "$(wc -l <"$ERR")" -eq 1 ] || fail "restore $*: not one line: $(cat "$ERR")"
	expect_err "$re"
}
bad 64 "read-only, but disk 0 of the snapshot .* was writable" -d "$T/pci-copy.img,ro"
bad 64 "2 -d options given, the snapshot's VM has 1 disk" -d "$T/pci-copy.img" -d "$T/mmio.img"
bad 64 "--virtio-transport mmio: the snapshot's virtio devices are on pci" --virtio-transport mmio
bad 64 "--console virtio: the snapshot's VM has a serial console" --console virtio
bad 64 "1 -n option given, the snapshot's VM has 0 network devices" -n mode=tap
bad 64 "--vsock 7: the snapshot's VM has no vsock device" --vsock 7
bad 64 "serial 'other', but disk 0 of the snapshot had the default" -d "$T/pci-copy.img,serial=other"
bad 66 "disk $T/nonexistent.img: No such file" -d "$T/nonexistent.img"
mv "$T/pci.img" "$T/pci.moved"
bad 66 "disk 0 of the snapshot, $T/pci.img: No such file or directory \(give -d" 
mv "$T/pci.moved" "$T/pci.img"
# Matching options are accepted (and change nothing).
restore ok "$snap" --virtio-transport pci --console serial --rng -d "$T/pci-copy.img"
expect_rc 97 "restore with matching device options"
pass "restore device options: shape mismatches refused with status 64, missing images with 66, matching ones accepted"
