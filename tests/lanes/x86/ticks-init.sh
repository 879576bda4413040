#!/bin/sh
# /ticks-init: the nested guest's init for the snapshot lane (lane_x86_snapshot.sh), chosen with
# rdinit=/ticks-init; the lane appends it to the guest's initramfs as a second archive. A clock loop
# that a snapshot and restore must carry on: every 0.5 s
#   tick N SECONDS.MICROSECONDS
# (the guest's CLOCK_REALTIME: busybox date has no %N, its adjtimex prints microseconds), for
# N = 0 .. K-1 with K from lane_ticks=K (default 12), then MINIVMM-LANE-TICKS-DONE and power-off.
# With a virtio-blk disk (the modules in /lib/modules/ticks/, loaded in the order of its file
# "order"), tick N is also written to the disk's sector N ("disk N", zero-padded, fsynced) before
# its line is printed, so the disk must hold every tick of the run and its restores.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
disk=
if [ -e /lib/modules/ticks/order ]; then
	while read -r m; do
		insmod "/lib/modules/ticks/$m.ko" || echo "MINIVMM-LANE-TICKS insmod $m failed"
	done </lib/modules/ticks/order
	n=50
	while [ ! -e /dev/vda ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -e /dev/vda ] && disk=/dev/vda
	echo "MINIVMM-LANE-TICKS disk=${disk:-none}"
fi
ticks=12
for a in $(cat /proc/cmdline); do
	case $a in lane_ticks=*) ticks=${a#lane_ticks=} ;; esac
done
cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
echo "MINIVMM-LANE-TICKS cpus=$(nproc) ticks=$ticks clocksource=$cs kernel=$(uname -r)"
i=0
while [ "$i" -lt "$ticks" ]; do
	if [ -n "$disk" ]; then
		echo "disk $i" | dd of=$disk bs=512 seek=$i count=1 conv=sync,notrunc,fsync 2>/dev/null ||
			echo "MINIVMM-LANE-TICKS disk write $i failed"
	fi
	echo "tick $i $(adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }')"
	i=$((i + 1))
	sleep 0.5
done
echo "MINIVMM-LANE-TICKS-DONE"
poweroff -f
