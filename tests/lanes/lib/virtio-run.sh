#!/bin/sh
# /lane/run of the virtio lanes (x86/lane_x86_virtio.sh, arm64/lane_arm64_virtio.sh), inside the
# emulated host. Loads the host's extra modules (/lane/vmods/order: virtio-pci and virtio-blk for
# QEMU's disks, tun, vhost-net where the lane has it),
# makes the tap lanetap0 (10.0.2.1/24), then boots each case of /lane/vcases, one a line:
#   NAME|STATUS|NEEDS|MINIVMM OPTIONS|GUEST PARAMETERS|STDIN
# STATUS: the exit status minivmm should end with; NEEDS: a path the case needs in this host (else it
# is skipped), or -; in the options @vd:SERIAL@ stands for the host's virtio disk with that serial
# (QEMU -device virtio-blk-pci,serial=SERIAL); STDIN: a line fed to minivmm's stdin once the guest's
# console shows "LANE-V hvc0-ready", or empty (stdin is then /dev/null).
# A case with lane.test=net gets two TCP peers on the host: a sink on port 5000 and a 2 MiB random
# source on port 5001 (LANE-VNET NAME host-tx-md5=... / host-rx-md5=... lines); one with
# lane.test=vsock an AF_VSOCK server on port 5100 that answers one line (LANE-VVSOCK NAME ...).
# Where the lane ships /lane/lanetool (lanetool.c) there is also lanetap1 (10.0.3.1/24), a two-queue
# tap for mq=2.
# Every case runs /minivmm run -k GUEST_KERNEL -i /lane/virtio-initrd.cpio -m GUEST_MEM with the
# lane's GUEST_APPEND and --loglevel debug (its exit report then lists every virtio queue's
# notifications, interrupts and ring indexes). Prints for each case the guest's console and the tail
# of minivmm's stderr (LANE-VLOG NAME| ..., LANE-VERR NAME| ...), for a failed case the host's
# dmesg tail (LANE-VDMESG NAME| ...), and then
#   LANE-VRESULT NAME status=S seconds=T        (S=skip when NEEDS is missing)
# Settings (/lane/config): GUEST_APPEND, GUEST_MEM, CASE_TIMEOUT, GUEST_KERNEL (default /guest/vmlinux),
# KVM_TRACE (0; 1: trace this host's KVM, see below).
. /lane/config
GUEST_KERNEL=${GUEST_KERNEL:-/guest/vmlinux}
export PATH=/bin
up() { cut -d' ' -f1 /proc/uptime; }
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lane/vmods/$m.ko" || echo "LANE-VHOST-ERROR insmod $m.ko failed"
done </lane/vmods/order
if [ -c /dev/vhost-net ]; then echo "LANE-VHOST vhost-net=yes"; else echo "LANE-VHOST vhost-net=no"; fi
for s in /sys/block/vd*/serial; do
	[ -e "$s" ] && echo "LANE-VHOST disk $(basename "$(dirname "$s")") serial=$(cat "$s") sectors=$(cat "$(dirname "$s")/size")"
done
tunctl -t lanetap0 >/dev/null || echo "LANE-VHOST-ERROR tunctl -t lanetap0 failed"
ip addr add 10.0.2.1/24 dev lanetap0 && ip link set lanetap0 up ||
	echo "LANE-VHOST-ERROR cannot configure lanetap0"
if [ -x /lane/lanetool ]; then
	# A two-queue tap for mq=2 (busybox's tunctl cannot make one): minivmm attaches to it with
	# IFF_MULTI_QUEUE.
	/lane/lanetool mqtap lanetap1 2 >/dev/null || echo "LANE-VHOST-ERROR lanetool mqtap lanetap1 2 failed"
	ip addr add 10.0.3.1/24 dev lanetap1 && ip link set lanetap1 up ||
		echo "LANE-VHOST-ERROR cannot configure lanetap1"
fi
if [ -c /dev/vhost-vsock ]; then echo "LANE-VHOST vhost-vsock=yes"; else echo "LANE-VHOST vhost-vsock=no"; fi
# KVM_TRACE=1 (/lane/config): this host's KVM records its vCPUs' entries, exits and injected
# interrupts in a small ring; a failed case prints the ring's tail (LANE-VTRACE), for a guest that
# hangs inside the nested stack.
TR=/sys/kernel/tracing
if [ "${KVM_TRACE:-0}" = 1 ]; then
	mount -t tracefs nodev $TR 2>/dev/null
	if [ -d $TR/events/kvm ]; then
		echo 256 >$TR/buffer_size_kb
		for e in kvm_entry kvm_exit kvm_inj_virq kvm_apic_accept_irq kvm_ioapic_set_irq kvm_eoi \
			kvm_page_fault kvm_userspace_exit; do
			echo 1 >$TR/events/kvm/$e/enable 2>/dev/null
		done
		echo 1 >$TR/tracing_on
		echo "LANE-VHOST kvm-trace=on"
	else
		echo "LANE-VHOST kvm-trace=unavailable"
	fi
fi

disk_of() { # disk_of SERIAL: /dev/vdX of the host's virtio disk with that serial
	for s in /sys/block/vd*/serial; do
		[ "$(cat "$s" 2>/dev/null)" = "$1" ] && { echo "/dev/$(basename "$(dirname "$s")")"; return 0; }
	done
	echo "/dev/no-disk-with-serial-$1"
}

while IFS='|' read -r name _ needs opts params input; do
	[ -n "$name" ] || continue
	echo "LANE-VCASE-START $name uptime=$(up)"
	if [ "$needs" != - ] && [ ! -e "$needs" ]; then
		echo "LANE-VRESULT $name status=skip seconds=0 (no $needs)"
		continue
	fi
	args=
	for o in $opts; do
		case $o in
		*@vd:*@*) pre=${o%%@vd:*}; rest=${o#*@vd:}; o=$pre$(disk_of "${rest%%@*}")${rest#*@} ;;
		esac
		args="$args $o"
	done
	echo "LANE-VCASE-ARGS $name$args"
	case " $params " in
	*" lane.test="*net*) # the guest's TCP peers (virtio-guest-init.sh): a sink and a source
		rm -f /tmp/net-rx /tmp/hold
		dd if=/dev/urandom of=/tmp/net-tx bs=65536 count=32 2>/dev/null
		echo "LANE-VNET $name host-tx-md5=$(md5sum </tmp/net-tx | cut -d' ' -f1)"
		mkfifo /tmp/hold
		exec 8<>/tmp/hold # busybox nc ends at the end of its stdin: this one has none
		timeout $((CASE_TIMEOUT + 15)) nc -l -p 5000 </tmp/hold >/tmp/net-rx &
		nc_rx=$!
		timeout $((CASE_TIMEOUT + 15)) nc -l -p 5001 </tmp/net-tx >/dev/null &
		nc_tx=$!
		;;
	*) nc_rx='' nc_tx='' ;;
	esac
	vs=''
	case " $params " in
	*" lane.test="*vsock*) # the guest's AF_VSOCK peer: one request, one answer (lanetool.c)
		/lane/lanetool vsock-serve 5100 $((CASE_TIMEOUT + 15)) >/tmp/vsock.out 2>&1 &
		vs=$!
		;;
	esac
	t0=$(up)
	# busybox timeout (status 137 after SIGKILL) in case minivmm's own --timeout does not end it
	# shellcheck disable=SC2086
	if [ -n "$input" ]; then
		# The line goes in once the guest has hvc0 open (LANE-V hvc0-ready on its console): a
		# fifo that stays open for writing until then, so minivmm sees no end of its input.
		rm -f /tmp/in.fifo
		mkfifo /tmp/in.fifo
		timeout -s KILL $((CASE_TIMEOUT + 15)) /minivmm run \
			-k "$GUEST_KERNEL" -i /lane/virtio-initrd.cpio -m "$GUEST_MEM" $args \
			-p "$GUEST_APPEND $params" --timeout "$CASE_TIMEOUT" --serial-log "/tmp/$name.serial" --loglevel debug \
			</tmp/in.fifo >/dev/null 2>"/tmp/$name.err" &
		pid=$!
		exec 7>/tmp/in.fifo
		n=$((CASE_TIMEOUT * 5))
		while [ $n -gt 0 ] && kill -0 $pid 2>/dev/null &&
			! grep -q 'LANE-V hvc0-ready' "/tmp/$name.serial" 2>/dev/null; do
			sleep 0.2
			n=$((n - 1))
		done
		echo "LANE-VCASE-INPUT $name uptime=$(up)"
		echo "$input" >&7
		wait $pid
		st=$?
		exec 7>&-
		rm -f /tmp/in.fifo
	else
		timeout -s KILL $((CASE_TIMEOUT + 15)) /minivmm run \
			-k "$GUEST_KERNEL" -i /lane/virtio-initrd.cpio -m "$GUEST_MEM" $args \
			-p "$GUEST_APPEND $params" --timeout "$CASE_TIMEOUT" --serial-log "/tmp/$name.serial" --loglevel debug \
			</dev/null >/dev/null 2>"/tmp/$name.err"
		st=$?
	fi
	secs=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')
	if [ -n "$nc_rx" ]; then
		kill $nc_rx $nc_tx 2>/dev/null
		wait $nc_rx $nc_tx 2>/dev/null
		exec 8>&-
		echo "LANE-VNET $name host-rx-md5=$(md5sum </tmp/net-rx | cut -d' ' -f1) host-rx-bytes=$(wc -c </tmp/net-rx)"
		rm -f /tmp/net-rx /tmp/net-tx /tmp/hold
	fi
	if [ -n "$vs" ]; then
		kill $vs 2>/dev/null
		wait $vs 2>/dev/null
		echo "LANE-VVSOCK $name $(tr '\n' ' ' </tmp/vsock.out)"
		rm -f /tmp/vsock.out
	fi
	sync
	tr -d '\r' <"/tmp/$name.serial" | tail -n 60 | sed "s/^/LANE-VLOG $name| /"
	tail -n 40 "/tmp/$name.err" | sed "s/^/LANE-VERR $name| /"
	# A failed case: the host kernel's last words too (vhost, tun, KVM), for the run archive.
	[ "$st" = 0 ] || dmesg 2>/dev/null | tail -n 20 | sed "s/^/LANE-VDMESG $name| /"
	if [ "$st" != 0 ] && [ -e $TR/trace ] && [ "${KVM_TRACE:-0}" = 1 ]; then
		echo 0 >$TR/tracing_on
		tail -n 120 $TR/trace | sed "s/^/LANE-VTRACE $name| /"
		echo 1 >$TR/tracing_on
	fi
	echo "LANE-VRESULT $name status=$st seconds=$secs"
	rm -f "/tmp/$name.serial" "/tmp/$name.err"
done </lane/vcases
sync
echo "LANE-VDONE uptime=$(up)"
