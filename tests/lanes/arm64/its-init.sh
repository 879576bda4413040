#!/bin/sh
# /its-init: the nested guest's init for the ITS case of the arm64 snapshot lane (lane_arm64_snapshot.sh),
# chosen with rdinit=/its-init in the virtio lanes' guest initramfs (its modules in /lib/modules/virtio/,
# loaded in the order of its file "order"). The VM has --irqchip gicv3-its --pmu and a virtio-blk disk
# on virtio-pci, so every disk interrupt is an MSI-X vector translated by the ITS (an LPI). First
#   MINIVMM-LANE-ITS pmu=NAME virtio_irqs=N not_its=M
# (the PMU the perf driver found; the virtio interrupts in /proc/interrupts and how many of them are not
# ITS-MSI), then every 0.5 s for N = 0 .. K-1 (K from lane_ticks=K, default 12): 4 KiB of random bytes
# written to the disk's block N (fsynced), the page cache dropped, the block read back, and
#   tick N SECONDS.MICROSECONDS io=ok|bad msi=COUNT
# where COUNT is the sum of the ITS-MSI interrupts of the virtio devices so far; then
# MINIVMM-LANE-TICKS-DONE and power-off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/virtio/$m.ko" || echo "MINIVMM-LANE-ITS insmod $m failed"
done </lib/modules/virtio/order
n=50
while [ ! -e /dev/vda ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ticks=12
for a in $(cat /proc/cmdline); do
	case $a in lane_ticks=*) ticks=${a#lane_ticks=} ;; esac
done
pmu=none
for d in /sys/bus/event_source/devices/armv8_pmuv3*; do
	[ -e "$d" ] && { pmu=$(basename "$d"); break; }
done
msi() { # the ITS-MSI interrupts of the virtio devices, summed over the CPUs
	grep -i virtio /proc/interrupts | grep ITS-MSI |
		awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }'
}
echo "MINIVMM-LANE-ITS pmu=$pmu virtio_irqs=$(grep -ci virtio /proc/interrupts) not_its=$(grep -i virtio /proc/interrupts | grep -vc ITS-MSI) disk=$([ -e /dev/vda ] && echo /dev/vda || echo none) kernel=$(uname -r)"
i=0
while [ "$i" -lt "$ticks" ]; do
	io=bad
	if dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null &&
		dd if=/tmp/blk of=/dev/vda bs=4096 seek="$i" count=1 conv=notrunc,fsync 2>/dev/null; then
		echo 3 >/proc/sys/vm/drop_caches
		a=$(md5sum </tmp/blk)
		b=$(dd if=/dev/vda bs=4096 skip="$i" count=1 2>/dev/null | md5sum)
		[ "$a" = "$b" ] && io=ok
	fi
	echo "tick $i $(adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }') io=$io msi=$(msi)"
	i=$((i + 1))
	sleep 0.5
done
echo "MINIVMM-LANE-TICKS-DONE"
poweroff -f
