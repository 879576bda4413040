#!/usr/bin/env bash
# t_virtio_blk_ro.sh: a disk given with ,ro offers VIRTIO_BLK_F_RO, fails the
# guest's write with VIRTIO_BLK_S_IOERR, still reads and flushes, and the
# image file is byte-for-byte unchanged afterwards.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vmmio.bzimage

img=$T/disk.img
python3 -c "open('$img','wb').write(b'\x5a' * (1 << 20))" || fail "image"
before=$(sha256sum <"$img")
vm blkro -k "$G/vmmio.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
	-d "$img,ro,serial=vmmio-serial" -p "acpi=off vt=blkro"
expect_rc 49 "read-only test passed"
expect_log "vmmio: write status 1"
expect_log "ro 1"
expect_log "vmmio: blkro ok"
[ "$(sha256sum <"$img")" = "$before" ] || fail "read-only image changed"
pass "virtio-blk read-only disk"
