#!/bin/sh
# /init of an emulated lane host (busybox, any arch): loads the KVM modules named in
# /lib/modules/lane/order (one per line, in load order; none where KVM is built in), checks
# /dev/kvm, runs /lane/run when the per-run archive added one, then powers off. Every line the
# lane reads starts with LANE-.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
up() { cut -d' ' -f1 /proc/uptime; }
echo "LANE-HOST-UP uptime=$(up) kernel=$(uname -r) cpus=$(nproc)"
if [ -e /lib/modules/lane/order ]; then
	while read -r m; do
		[ -n "$m" ] || continue
		insmod /lib/modules/lane/$m.ko || echo "LANE-HOST-ERROR insmod $m.ko failed"
	done </lib/modules/lane/order
fi
if [ -c /dev/kvm ]; then
	echo "LANE-HOST-KVM ok uptime=$(up)"
else
	echo "LANE-HOST-KVM missing"
	dmesg | grep -i -e kvm -e svm -e vhe -e hyp | tail -n 20
fi
if [ -x /lane/run ]; then
	# A heartbeat keeps the console from falling silent while a quiet guest boots, so the outer
	# watchdog's silence limit only fires when the emulated host itself has stopped.
	( while sleep 10; do echo "LANE-HEARTBEAT uptime=$(up)"; done ) &
	hb=$!
	/lane/run
	kill $hb
else
	echo "LANE-HOST-NORUN no /lane/run in the initramfs"
fi
echo "LANE-HOST-DONE uptime=$(up)"
poweroff -f
