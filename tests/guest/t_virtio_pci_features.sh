#!/usr/bin/env bash
# t_virtio_pci_features.sh: the virtio-pci modern transport from a bare guest
# (vpci.c) with --rng: finds 1af4:1044 on bus 0, walks the capabilities
# (common, notify, ISR, PCI_CFG, MSI-X), moves BAR0 with decoding off, reads
# all four device feature words (select 4 reads 0), checks that acking an
# unoffered bit >= 64 leaves FEATURES_OK clear, negotiates VERSION_1, reads
# num_queues through the PCI_CFG window, has the device fill a buffer with
# MSI-X off (INTx: the used ring is polled, the ISR reads 1 then 0), then
# again with queue 0 on an MSI-X vector delivered to the LAPIC.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vpci.bzimage

vm vpci -k "$G/vpci.bzimage" -m 64M --rng --virtio-transport pci --timeout 30
grep -q "virtio-pci transport is not built yet" "$ERR" &&
	skip "--virtio-transport pci is not wired to virtio_pci_attach() yet"
expect_rc 97 "vpci guest passed (exit port 0x30)"
expect_log "vpci: 00:01.0 1af4:1044 rev 1"
expect_log "notify multiplier 4, pci_cfg yes, msix yes"
expect_log "vpci: BAR0 moved to"
expect_log "vpci: device features 00000000 00000005 00000000 00000000, select 4: 00000000" # VERSION_1, RING_PACKED
expect_log "vpci: unoffered bit 64 refused: status 03"
expect_log "vpci: FEATURES_OK with 00000000 00000001 00000000 00000000"
expect_log "vpci: num_queues through pci_cfg: 1"
expect_log "used id 0 len 64"
expect_log "vpci: ISR 1, then 0"
expect_log "vpci: MSI-X: 1 interrupt(s) on vector 41, used idx 1 len 64, ISR 0"
expect_log "vpci: PASS"
expect_err "FEATURES_OK refused: driver acked bit 64 which was not offered"
pass "virtio-pci: capabilities, BAR move, 128-bit features, INTx and MSI-X"
