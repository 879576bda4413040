#!/usr/bin/env bash
# lane_riscv64_virtio.sh: minivmm's virtio-blk and virtio-net over virtio-mmio and virtio-pci driven by a riscv64 Linux guest (6.1, drivers built in) on real KVM, in lane_riscv64.sh's emulated riscv64 host.
# Each case (run by lane-init.c; see its comment) boots one guest with both devices: a 4 MiB raw image
# the host's init makes (-d /tmp/NAME.img) and a tap (lanetap0, 10.0.2.1/24 in the emulated host,
# made persistent so minivmm attaches to it by name). The guest (lane.blk=SEED) writes a 64 KiB
# pattern at 1 MiB into /dev/vda, fsyncs and reads it back, and (lane.net=IP:PEER) gives eth0 IP/24
# and pings PEER 3 times (raw ICMP). Checked: minivmm exits 0 after the guest's power-off with the
# marker; after the power-off the host finds exactly the pattern in the image (and zeros before
# it), all 3 pings were answered, the guest found /dev/vda on the bus --lane-bus names (its
# sysfs path under pci0000:00, or a virtio_mmio node) and its virtio interrupts (/proc/interrupts)
# fired on that transport's wired sources (PCI INTx 60-63, virtio-mmio 2-59). Cases, per transport (mmio; pci: the ECAM
# host, INTx through the userspace PLIC): 1 vCPU on the UART, 2 vCPUs on the SBI console.
# Not covered: MSI on riscv64 (the PCI host has no msi-parent), vhost-net, multi-queue.
# Exit status: 0 pass, 1 fail, 77 skip (as lane_riscv64.sh).
# Environment: as lane_riscv64.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/riscv64

MAC=02:15:15:00:00:02
dev="--lane-disk=4 --lane-tap=lanetap0:10.0.2.1 --network=mode=tap,tapif=lanetap0,guest_mac=$MAC"
mmio="--virtio-transport=mmio --lane-bus=mmio $dev"
pci="--virtio-transport=pci --lane-bus=pci $dev"
CASES="virtio-1cpu /guest/Image 1 0 $mmio lane.blk=4660 lane.net=10.0.2.15:10.0.2.1
virtio-2cpu-sbi /guest/Image 2 0 --console=sbi $mmio lane.blk=22136 lane.net=10.0.2.15:10.0.2.1
virtio-pci-1cpu /guest/Image 1 0 $pci lane.blk=13330 lane.net=10.0.2.15:10.0.2.1
virtio-pci-2cpu-sbi /guest/Image 2 0 --console=sbi $pci lane.blk=39321 lane.net=10.0.2.15:10.0.2.1"
GUEST_APPEND=${LANE_RISCV64_GUEST_APPEND:-quiet}
GUEST_MEM=128M
CASE_TIMEOUT=${LANE_RISCV64_CASE_TIMEOUT:-60}
SILENCE=${LANE_RISCV64_SILENCE:-30}
TOTAL=${LANE_RISCV64_TIMEOUT:-$((60 + $(echo "$CASES" | wc -l) * (CASE_TIMEOUT + 20)))}
LANE_RUN_DIR=last-run-virtio

# shellcheck source-path=SCRIPTDIR source=riscv64-common.sh
. "$here/riscv64-common.sh"
riscv64_boot

# --- the checks beyond lane-verdict's (status and marker) ---------------------------------------------
bad=0
while read -r name _; do
	for what in blk net bus; do
		line=$(grep -m1 "^LANE-VIRTIO $name $what=" "$log")
		line=${line#LANE-VIRTIO }
		echo "${line:-$name: no $what result}"
		case $line in *" $what=ok"*) ;; *) bad=1 ;; esac
	done
	grep "^LANE-VIRTIO $name cannot" "$log" | sed 's/^LANE-VIRTIO /  /'
done <<<"$CASES"
[ $bad -eq 0 ] || { lane_summarise_results; lane_fail "a guest's disk data or ping did not arrive, or its disk or interrupts were on the wrong bus (logs: $run)"; }
lane_summarise_results
