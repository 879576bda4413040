#!/bin/sh
# /init of the virtio lanes' nested guest (x86/lane_x86_virtio.sh, arm64/lane_arm64_virtio.sh): loads
# the virtio modules listed in /lib/modules/virtio/order, runs the tests that lane.test=T[,T...] names on the kernel command line
# (in that order, in one boot), prints what it found as "LANE-V KEY=VALUE" lines and, last,
# "LANE-V-END test=T result=ok|fail", then powers the guest off. Tests (the other lane.* parameters
# are their settings):
#   blk      /dev/vda (GET_ID serial lane.serial) holds an ext4 file system made on the build machine
#            with /seed.txt = "minivmm-virtio-lane-seed": mount, check the seed, write
#            /guest-<lane.tag>.bin (2 MiB from /dev/urandom), print its md5, sync, unmount
#   net      eth0 (MAC lane.mac) gets lane.ip/24 and pings lane.peer (the emulated host's tap), also
#            with 4000-byte packets; sends 2 MiB over TCP to lane.peer:5000 and receives 2 MiB from
#            lane.peer:5001, printing the md5 of both
#   console  the console is hvc0: everything from here on goes to /dev/hvc0 only; a line the host
#            fed to minivmm's stdin is read back from hvc0 and printed
#   rng      reads 4 KiB from /dev/hwrng (the virtio-rng driver must be the current hwrng)
#   msi      every virtio interrupt in /proc/interrupts comes from the MSI controller lane.msi names
#            (e.g. ITS-MSI on arm64 with an ITS) and at least one of them has fired
#   pmu      the kernel found the PMU: /sys/bus/event_source/devices/ has armv8_pmuv3* (arm64)
#   mq       (after net) eth0 must have two queue pairs (the driver asked for them over the control
#            queue); pings from CPU 1 and CPU 0 (virtio_net's XPS maps CPU i to TX queue i, the tap
#            answers a flow on the queue it came from), then each RX and TX queue's MSI-X interrupt
#            count from /proc/interrupts: both RX queues must have interrupted
#   vsock    the local CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock) must be lane.cid; one
#            request and its answer with the emulated host's server (CID 2, port 5100) over AF_VSOCK
#            (/bin/lanetool, lanetool.c built static: busybox has no vsock)
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
test='' tag='' serial='' mac='' ip='' peer='' msi='' cid=''
for a in $(cat /proc/cmdline); do
	case $a in
	lane.test=*) test=${a#*=} ;;
	lane.tag=*) tag=${a#*=} ;;
	lane.serial=*) serial=${a#*=} ;;
	lane.mac=*) mac=${a#*=} ;;
	lane.ip=*) ip=${a#*=} ;;
	lane.peer=*) peer=${a#*=} ;;
	lane.msi=*) msi=${a#*=} ;;
	lane.cid=*) cid=${a#*=} ;;
	esac
done
# With console=hvc0 the kernel had no console to open for init (hvc0 appears with virtio_console):
# until the test switches to hvc0, write to the UART.
[ -e /proc/self/fd/1 ] || exec >/dev/ttyS0 2>&1
echo "LANE-V start test=$test uptime=$(up)"
res=ok
bad() { echo "LANE-V error: $*"; res=fail; }
# The virtio interrupt lines, their counts and trigger modes (edge or fasteoi), on one line.
virtio_irqs() { grep -E 'virtio' /proc/interrupts | tr -s ' ' | tr '\n' ';'; }
finish() {
	echo "LANE-V-END test=$test result=$res uptime=$(up)"
	sync
	poweroff -f
	sleep 5
	echo "LANE-V still running after poweroff -f"
}
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/virtio/$m.ko" || bad "insmod $m.ko failed"
done </lib/modules/virtio/order
echo "LANE-V modules-loaded uptime=$(up)"
# Where each module sits: a hang's instruction pointer (minivmm's --timeout report) is then
# module+offset.
echo "LANE-V module-bases $(awk '{ printf "%s=%s ", $1, $6 }' /proc/modules)"
# The devices each transport found (virtio-pci: PCI vendor 0x1af4; virtio-mmio: platform devices).
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d/device" ] || continue
	# packed: bit 34 (VIRTIO_F_RING_PACKED) of what the driver negotiated
	echo "LANE-V virtio-device $(basename "$d") id=$(cat "$d/device") driver=$(basename "$(readlink "$d/driver" 2>/dev/null)") parent=$(basename "$(dirname "$(readlink -f "$d")")") packed=$(cut -c35 "$d/features" 2>/dev/null)"
done

# wait_for PATH SECONDS: polls for PATH to exist.
wait_for() {
	n=$(($2 * 10))
	while [ ! -e "$1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ -e "$1" ]
}

for t in $(echo "$test" | tr , " "); do
	case $t in
	blk)
		wait_for /dev/vda 10 || { bad "no /dev/vda"; finish; }
		got=$(cat /sys/block/vda/serial 2>/dev/null)
		echo "LANE-V blk-serial=$got size_sectors=$(cat /sys/block/vda/size)"
		[ -z "$serial" ] || [ "$got" = "$serial" ] || bad "serial '$got', want '$serial'"
		mkdir -p /mnt
		if mount -t ext4 /dev/vda /mnt; then
			seed=$(cat /mnt/seed.txt 2>/dev/null)
			[ "$seed" = minivmm-virtio-lane-seed ] || bad "seed.txt holds '$seed'"
			f=/mnt/guest-$tag.bin
			dd if=/dev/urandom of="$f" bs=65536 count=32 2>/dev/null || bad "writing $f failed"
			sync
			echo "LANE-V blk-md5=$(md5sum <"$f" | cut -d' ' -f1) file=/guest-$tag.bin"
			echo "written by the nested guest over $tag" >/mnt/note-$tag.txt
			sync
			umount /mnt || bad "umount failed"
			echo "LANE-V blk-unmounted uptime=$(up)"
		else
			bad "mount -t ext4 /dev/vda failed"
		fi
		;;
	net)
		wait_for /sys/class/net/eth0 10 || { bad "no eth0"; finish; }
		got=$(cat /sys/class/net/eth0/address)
		echo "LANE-V net-mac=$got"
		[ -z "$mac" ] || [ "$got" = "$mac" ] || bad "MAC $got, want $mac"
		ip addr add "$ip/24" dev eth0 && ip link set eth0 up || bad "cannot configure eth0"
		if ping -c 3 -W 5 "$peer" >/tmp/ping 2>&1; then
			echo "LANE-V net-ping=ok $(grep -E 'packets|round-trip' /tmp/ping | tr '\n' ' ')"
		else
			bad "ping $peer failed: $(tr '\n' ' ' </tmp/ping)"
		fi
		# Large packets: IP fragments in both directions.
		if ping -c 2 -W 5 -s 4000 "$peer" >/tmp/ping 2>&1; then
			echo "LANE-V net-ping-4000=ok"
		else
			bad "ping -s 4000 $peer failed: $(tr '\n' ' ' </tmp/ping)"
		fi
		# TCP both ways (checksum and segmentation offloads, mergeable receive buffers): 2 MiB to the
		# host's listener on port 5000, then the host's 2 MiB from port 5001. busybox nc ends at the
		# first end of input on either side, so its stdin is a fifo held open here.
		mkfifo /tmp/hold
		exec 8<>/tmp/hold
		dd if=/dev/urandom of=/tmp/tx bs=65536 count=32 2>/dev/null
		echo "LANE-V net-tx-md5=$(md5sum </tmp/tx | cut -d' ' -f1)"
		t0=$(up)
		# 30 s: a healthy transfer takes a few seconds, and the guest must report a stall
		# before minivmm's --timeout (the case's, 60 s) ends it.
		if ! timeout 30 nc "$peer" 5000 </tmp/tx; then
			# A stalled send: what the guest's side holds, then off at once so that minivmm's
			# exit report (--loglevel debug) shows the rings as they stalled.
			bad "nc $peer 5000 (sending) failed"
			echo "LANE-V net-stall irqs $(virtio_irqs)"
			echo "LANE-V net-stall tx-inflight $(cat /sys/class/net/eth0/queues/tx-0/byte_queue_limits/inflight 2>&1) tx_timeout $(cat /sys/class/net/eth0/queues/tx-0/tx_timeout 2>&1) stats $(cat /sys/class/net/eth0/statistics/tx_packets) tx $(cat /sys/class/net/eth0/statistics/rx_packets) rx"
			finish
		fi
		t1=$(up)
		timeout 30 nc "$peer" 5001 </tmp/hold >/tmp/rx || bad "nc $peer 5001 (receiving) failed"
		t2=$(up)
		echo "LANE-V net-rx-md5=$(md5sum </tmp/rx | cut -d' ' -f1) rx_bytes=$(wc -c </tmp/rx) tx_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') rx_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')"
		exec 8>&-
		echo "LANE-V net-stats $(cat /sys/class/net/eth0/statistics/rx_packets) rx, $(cat /sys/class/net/eth0/statistics/tx_packets) tx"
		# For a stall's post-mortem, as above.
		echo "LANE-V net-irqs $(virtio_irqs)"
		;;
	console)
		wait_for /dev/hvc0 10 || { bad "no /dev/hvc0"; finish; }
		exec </dev/hvc0 >/dev/hvc0 2>&1
		stty -echo 2>/dev/null
		echo "LANE-V hvc0-marker MINIVMM-LANE-GUEST-OK over hvc0"
		grep -q '^hvc0' /proc/consoles && echo "LANE-V hvc0-console=yes" || bad "hvc0 is not a console: $(tr '\n' ' ' </proc/consoles)"
		echo "LANE-V hvc0-ready"
		# shellcheck disable=SC3045 # busybox ash has read -t
		if read -t 20 -r line; then
			echo "LANE-V hvc0-input=$line"
		else
			bad "no input line on hvc0"
		fi
		;;
	rng)
		cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
		echo "LANE-V rng-current=$cur available=$(cat /sys/class/misc/hw_random/rng_available 2>/dev/null)"
		case $cur in virtio_rng*) ;; *) bad "the current hwrng is '$cur', not virtio_rng" ;; esac
		n=$(dd if=/dev/hwrng bs=4096 count=1 2>/dev/null | wc -c)
		d=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
		e=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | md5sum | cut -d' ' -f1)
		echo "LANE-V rng-bytes=$n md5a=$d md5b=$e"
		[ "$n" = 4096 ] || bad "read $n bytes from /dev/hwrng, want 4096"
		[ "$d" != "$e" ] || bad "two reads of /dev/hwrng gave the same bytes"
		;;
	msi)
		grep -i virtio /proc/interrupts | tr -s ' ' | sed 's/^/LANE-V irq /'
		n=$(grep -ci virtio /proc/interrupts)
		other=$(grep -i virtio /proc/interrupts | grep -vc -- "$msi")
		fired=$(grep -i virtio /proc/interrupts | grep -- "$msi" |
			awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }')
		echo "LANE-V msi-irqs=$n via=$msi other=$other fired=$fired"
		[ "$n" -gt 0 ] && [ "$other" = 0 ] || bad "virtio interrupts not all from $msi"
		[ "$fired" -gt 0 ] || bad "no $msi interrupt of a virtio device fired"
		;;
	pmu)
		p=''
		for d in /sys/bus/event_source/devices/armv8_pmuv3*; do
			[ -e "$d" ] && { p=$(basename "$d"); break; }
		done
		echo "LANE-V pmu=${p:-none} $(dmesg | grep -m1 'hw perfevents' | sed 's/^\[[^]]*\] //')"
		[ -n "$p" ] || bad "no armv8_pmuv3 PMU in /sys/bus/event_source/devices"
		;;
	mq)
		q=$(ls /sys/class/net/eth0/queues 2>/dev/null | tr '\n' ' ')
		echo "LANE-V mq-queues=$q"
		case " $q " in *" rx-1 "*" tx-1 "*) ;; *) bad "eth0 has one queue pair: $q" ;; esac
		for c in 2 1; do # CPU masks: CPU 1, then CPU 0
			taskset $c ping -c 3 -W 5 "$peer" >/tmp/ping 2>&1 ||
				bad "ping $peer on CPU mask $c failed: $(tr '\n' ' ' </tmp/ping)"
		done
		irq() { # irq NAME: the interrupt count of virtioN-NAME, summed over the CPUs
			awk -v n="$1" '$NF ~ "^virtio[0-9]+-" n "$" { for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' /proc/interrupts
		}
		i0=$(irq input.0) i1=$(irq input.1) o0=$(irq output.0) o1=$(irq output.1)
		echo "LANE-V mq-irqs input.0=$i0 input.1=$i1 output.0=$o0 output.1=$o1"
		[ "$i0" -gt 0 ] && [ "$i1" -gt 0 ] || bad "not both RX queues interrupted: input.0=$i0 input.1=$i1"
		;;
	vsock)
		command -v lanetool >/dev/null || { bad "no /bin/lanetool in this initramfs"; finish; }
		wait_for /dev/vsock 10 || { bad "no /dev/vsock"; finish; }
		got=$(lanetool vsock-cid 2>&1)
		echo "LANE-V vsock-cid=$got"
		[ -z "$cid" ] || [ "$got" = "$cid" ] || bad "local CID '$got', want $cid"
		if r=$(lanetool vsock-ping 2 5100 "lane-vsock-$tag" 2>&1); then
			echo "LANE-V vsock-reply=$r"
		else
			bad "AF_VSOCK exchange with the host (CID 2 port 5100) failed: $r"
		fi
		;;
	*) bad "unknown test '$t' in lane.test=$test" ;;
	esac
done
finish
