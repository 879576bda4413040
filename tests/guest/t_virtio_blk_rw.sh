#!/usr/bin/env bash
# t_virtio_blk_rw.sh: virtio-blk over virtio-mmio on a 1 MiB raw image. The
# guest writes 4 KiB at sector 2, flushes, reads it back, reads the serial
# (GET_ID), is refused reads past and across the end (IOERR) and an unknown
# request type (UNSUPP), and takes an interrupt on the device's GSI through
# the IOAPIC. The host then checks the bytes in the image file. Last, the
# image's OFD lock: a second minivmm cannot open it while the first runs.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vmmio.bzimage

img=$T/disk.img
python3 -c "open('$img','wb').write(b'\x5a' * (1 << 20))" || fail "image"
vm blk -k "$G/vmmio.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
	-d "$img,serial=vmmio-serial" -p "acpi=off vt=blk"
expect_rc 49 "blk test passed"
expect_log "vmmio: write status 0"
expect_log "vmmio: id 'vmmio-serial' status 0"
expect_log "vmmio: blk ok"
grep -qE "vmmio: interrupts [1-9]" "$LOG" || fail "no interrupt"
python3 - "$img" <<'PY' || fail "image content after the guest's write"
import sys
d = open(sys.argv[1], 'rb').read()
want = bytes((i * 7 + 3) & 0xff for i in range(4096))
assert len(d) == 1 << 20, "size changed"
assert d[1024:1024 + 4096] == want, "written data not in the file"
assert d[:1024] == b'\x5a' * 1024 and d[5120:] == b'\x5a' * (len(d) - 5120), \
    "bytes outside the write changed"
PY

# The same image again while a VM holds it: refused with a clear message.
"$VMM" run -k "$G/vmmio.bzimage" -m 64M --timeout 20 --virtio-transport mmio \
	-d "$img" -p "acpi=off vt=hold" </dev/null >"$T/holder.out" 2>&1 &
holder=$!
for i in $(seq 50); do
	grep -q "vmmio: 1 devices, test hold" "$T/holder.out" && break
	sleep 0.1
done
grep -q "vmmio: 1 devices, test hold" "$T/holder.out" || fail "holder did not start"
vm second -k "$G/vmmio.bzimage" -m 64M --timeout 20 --virtio-transport mmio \
	-d "$img" -p "acpi=off vt=blk"
kill -TERM "$holder"
wait "$holder"
expect_rc 70 "second writer refused"
expect_err "disk.img is in use by another process"
vm second-ro -k "$G/vmmio.bzimage" -m 64M --timeout 2 --virtio-transport mmio \
	-d "$img,ro" -p "acpi=off vt=hold"
expect_rc 4 "ro open once the writer ended (held until the timeout)"
expect_log "vmmio: 1 devices, test hold"
pass "virtio-blk write, flush, read, GET_ID, range checks, IRQ, OFD lock"
