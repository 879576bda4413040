#!/bin/sh
# /init of the nested guest's initramfs (busybox, any arch): prints the lane's marker with the number of
# online CPUs, then powers the guest off at once; with lane.exit=ADDR:VALUE on the kernel command line
# it first writes VALUE (32 bits) to the MMIO exit register at ADDR (minivmm's --exit-port on arm64).
export PATH=/bin
mount -t proc proc /proc
echo "MINIVMM-LANE-GUEST-OK cpus=$(nproc) kernel=$(uname -r)"
for a in $(cat /proc/cmdline); do
	case $a in
	lane.exit=*:*)
		v=${a#lane.exit=}
		mount -t devtmpfs devtmpfs /dev 2>/dev/null # for /dev/mem
		devmem "${v%%:*}" 32 "${v#*:}"
		echo "MINIVMM-LANE-GUEST still running after the exit-register write" ;;
	esac
done
poweroff -f
