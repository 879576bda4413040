#!/usr/bin/env bash
# t_virtio_mmio_feat.sh: virtio-mmio register semantics from a guest booted
# with acpi=off (devices found through the virtio_mmio.device= entries
# minivmm appends): magic/version/vendor, the four feature words (select >= 4
# reads 0), a driver acking an unoffered bit >= 64 (bit 65) or no VERSION_1
# is refused FEATURES_OK, a 16-bit register write is ignored, reset. Then
# virtio-rng gives two different 64-byte buffers.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vmmio.bzimage

vm feat -k "$G/vmmio.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
	--rng -p "acpi=off vt=feat"
expect_rc 49 "feature test passed"
expect_log "vmmio: device 0 at e0000000 gsi 5: id 4 vendor 4d564d4d"
expect_log "vmmio: feature word 1: 5" # VERSION_1 (32), RING_PACKED (34)
expect_log "vmmio: feature word 2: 0"
expect_log "vmmio: feature word 3: 0"
expect_log "vmmio: bit 65 refused"
expect_log "vmmio: feat ok"
expect_err "FEATURES_OK refused: driver acked bit 65 which was not offered"
expect_err "2-byte write at 0x070 ignored"

vm rng -k "$G/vmmio.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
	--rng -p "acpi=off vt=rng"
expect_rc 49 "rng test passed"
expect_log "vmmio: rng gave 64 and 64 bytes"
expect_log "vmmio: rng ok"

# Without acpi=off nothing is appended: the DSDT lists the devices.
vm noacpi -k "$G/vmmio.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
	--rng -p "vt=feat"
expect_rc $((0x7e * 2 + 1)) "no devices on the command line"
expect_log "vmmio: 0 devices"

# With the default transport (PCI) the device is not on the MMIO window.
vm pcidefault -k "$G/vmmio.bzimage" -m 64M --timeout 30 --rng -p "vt=feat acpi=off"
expect_log "vmmio: 0 devices"
pass "virtio-mmio registers, 128-bit feature words, refused negotiation, rng"
