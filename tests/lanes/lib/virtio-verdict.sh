# virtio-verdict.sh: sourced by the virtio lanes (x86/lane_x86_virtio.sh, arm64/lane_arm64_virtio.sh):
# reads what virtio-run.sh and virtio-guest-init.sh printed on the emulated host's console and
# checks each case by the kind its name starts with:
#   blk-T      the disk image $run/blk-T.img after the run: e2fsck -fn clean, and the file the guest
#              wrote (read back with debugfs) has the md5 the guest printed
#   net-T, vhost-T   ping, and 2 MiB over TCP each way with matching md5s on both sides
#   console-T  the marker and the stdin line over hvc0;  rng-T  4 KiB from virtio_rng
#   all-T      console, blk, net and rng in one guest;  blknet-T  blk and net in one guest
#   itspmu-T   blk, net, msi (every virtio interrupt through the arm64 ITS) and pmu in one guest
#   mq-T, mqvhost-T   the net checks, eth0 with two queue pairs, both RX queues' interrupts fired
#   vsock-T    the guest's CID is 42; the host's server got "lane-vsock-T" from CID 42 and the guest
#              got the server's "pong lane-vsock-T from-cid 42"
# A case repeated (NAME-r1 .. NAME-rN, N in VIRTIO_REPEAT) is checked as NAME; its disk image only
# after the last repetition.
# virtio_verdict prints one table row per case of $CASES and, for a failed one, the guest's console
# and minivmm's stderr; returns 1 when a case failed or has no result. Sets skipped (case names).
# Needs: run, log (the console without carriage returns), CASES, CASE_TIMEOUT, GUEST_MEM.
# Also the virtio lanes' shared steps (they use lane-common.sh's lane_fail; the lane sources it):
#   virtio_run_cpio MINIVMM HOST_BASE VIRTIO_EXTRA [CONFIG_LINE...]
#       empties $run, makes the two disks blk-pci.img and blk-mmio.img (32 MiB ext4, /seed.txt) and
#       sets drives (QEMU's options for them: virtio-blk-pci, serial lane-blk-T), then $run/host.cpio:
#       HOST_BASE, VIRTIO_EXTRA and an archive with /minivmm, /lane/run (virtio-run.sh), /lane/vcases
#       ($CASES), /lane/config ($GUEST_APPEND, $GUEST_MEM, $CASE_TIMEOUT, then each CONFIG_LINE)
#   virtio_lane_verdict WHAT
#       virtio_verdict, then the lane's FAIL line (a failed case, or the host did not finish: $qrc,
#       its console's tail) or its PASS line ("N virtio cases with WHAT", the skipped ones, $retried)
# shellcheck shell=bash
# shellcheck disable=SC2154 # run, log, CASES, CASE_TIMEOUT, qrc, ... are the lane's

glog() { grep "^LANE-VLOG $1| " "$log" | sed "s/^LANE-VLOG $1| //"; }
# check_blk CASE TRANSPORT: the image after the run: a clean file system holding the guest's file
check_blk() {
	local img=$run/blk-$2.img md5 got f pk
	md5=$(glog "$1" | sed -n 's/^LANE-V blk-md5=\([0-9a-f]*\).*/\1/p' | head -n 1)
	f=$(glog "$1" | sed -n 's/^LANE-V blk-md5=.* file=\/\([^ ]*\).*/\1/p' | head -n 1)
	[ -n "$md5" ] && [ -n "$f" ] || { echo "the guest printed no md5"; return 1; }
	# minivmm's virtio-blk offers packed rings; Linux's driver takes them
	pk=$(glog "$1" | sed -n 's/^LANE-V virtio-device .* driver=virtio_blk .*packed=\([01]\).*/\1/p' | head -n 1)
	[ "$pk" = 1 ] || { echo "virtio_blk did not negotiate packed rings (feature bit 34: ${pk:-not printed})"; return 1; }
	# Repeated cases (NAME-rN) rewrite one file: the image holds the last repetition's.
	case $1 in *-r[0-9]*) [ "${1##*-r}" = "${VIRTIO_REPEAT:-1}" ] ||
		{ echo "md5 printed; the image is checked after the last repetition"; return 0; } ;;
	esac
	e2fsck -fn "$img" >"$run/e2fsck-$1.log" 2>&1 || { echo "e2fsck -fn: not clean (see e2fsck-$1.log)"; return 1; }
	debugfs -R "dump /$f $run/$f" "$img" >/dev/null 2>&1
	got=$(md5sum <"$run/$f" 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$md5" ] || { echo "/$f in the image: md5 ${got:-none}, the guest wrote $md5"; return 1; }
	echo "image clean, /$f (2 MiB) md5 matches; packed ring"
}
check_console() {
	glog "$1" | grep -q '^LANE-V hvc0-marker MINIVMM-LANE-GUEST-OK' ||
		{ echo "no marker from hvc0"; return 1; }
	glog "$1" | grep -q "^LANE-V hvc0-input=lane-input-${base:-$1}\$" ||
		{ echo "stdin line not read back over hvc0"; return 1; }
	echo "marker and stdin line over hvc0"
}
check_net() { # check_net CASE: ping, and TCP both ways with matching md5s
	local n=$1 l gtx grx htx hrx
	l=$(glog "$n" | sed -n 's/^LANE-V net-ping=ok \(.*\)/\1/p' | head -n 1)
	[ -n "$l" ] || { echo "no ping"; return 1; }
	gtx=$(glog "$n" | sed -n 's/^LANE-V net-tx-md5=\([0-9a-f]*\).*/\1/p' | head -n 1)
	grx=$(glog "$n" | sed -n 's/^LANE-V net-rx-md5=\([0-9a-f]*\).*/\1/p' | head -n 1)
	htx=$(sed -n "s/^LANE-VNET $n host-tx-md5=\([0-9a-f]*\).*/\1/p" "$log" | head -n 1)
	hrx=$(sed -n "s/^LANE-VNET $n host-rx-md5=\([0-9a-f]*\).*/\1/p" "$log" | head -n 1)
	[ -n "$gtx" ] && [ "$gtx" = "$hrx" ] || { echo "TCP guest->host: the host got md5 ${hrx:-none}, the guest sent ${gtx:-none}"; return 1; }
	[ -n "$htx" ] && [ "$htx" = "$grx" ] || { echo "TCP host->guest: the guest got md5 ${grx:-none}, the host sent ${htx:-none}"; return 1; }
	echo "ping $(echo "$l" | sed -n 's/.*round-trip min\/avg\/max = \([^ ]*\).*/rtt \1 ms/p'); TCP 2 MiB each way:$(glog "$n" | sed -n 's/^LANE-V net-rx-md5=.* tx_s=\([0-9.]*\) rx_s=\([0-9.]*\).*/ tx \1 s, rx \2 s/p' | head -n 1)"
}
check_rng() {
	glog "$1" | grep -q '^LANE-V rng-bytes=4096 ' || { echo "no 4 KiB from /dev/hwrng"; return 1; }
	glog "$1" | sed -n 's/^LANE-V \(rng-current=[^ ]*\).*/\1, 4 KiB read/p' | head -n 1
}
check_msi() {
	glog "$1" | grep -q '^LANE-V msi-irqs=[1-9][0-9]* via=[^ ]* other=0 fired=[1-9]' ||
		{ echo "virtio interrupts not all through the MSI controller"; return 1; }
	glog "$1" | sed -n 's/^LANE-V msi-irqs=\([0-9]*\) via=\([^ ]*\) other=0 fired=\([0-9]*\).*/\1 vectors via \2, \3 interrupts/p' | head -n 1
}
check_pmu() {
	glog "$1" | grep -q '^LANE-V pmu=armv8_pmuv3' || { echo "the guest has no PMU"; return 1; }
	glog "$1" | sed -n 's/^LANE-V pmu=\([^ ]*\).*/\1/p' | head -n 1
}
check_mq() { # check_mq CASE: the net checks, two queue pairs, both RX queues used
	local d q
	d=$(check_net "$1") || { echo "$d"; return 1; }
	q=$(glog "$1" | sed -n 's/^LANE-V mq-queues=//p' | head -n 1)
	case " $q " in *" rx-1 "*" tx-1 "*) ;; *) echo "eth0 queues: ${q:-none}"; return 1 ;; esac
	echo "$d; queues: $q; $(glog "$1" | sed -n 's/^LANE-V mq-irqs //p' | head -n 1)"
}
check_vsock() { # check_vsock CASE TRANSPORT: the guest's CID, the request and the answer
	local want="lane-vsock-$2" r h
	glog "$1" | grep -q '^LANE-V vsock-cid=42$' ||
		{ echo "guest CID: $(glog "$1" | sed -n 's/^LANE-V vsock-cid=//p')"; return 1; }
	r=$(glog "$1" | sed -n 's/^LANE-V vsock-reply=//p' | head -n 1)
	h=$(sed -n "s/^LANE-VVSOCK $1 //p" "$log" | head -n 1)
	[ "$r" = "pong $want from-cid 42" ] || { echo "the guest got '${r:-nothing}'"; return 1; }
	case $h in *"got '$want' from cid 42 "*) ;; *) echo "the host: '${h:-nothing}'"; return 1 ;; esac
	echo "guest CID 42; host got '$want' from CID 42, guest got '$r'"
}
check_all() { # check_all CASE TRANSPORT [KINDS]: every device's check (default console blk net rng)
	local r=0 k d
	for k in ${3:-console blk net rng}; do
		if [ $k = blk ]; then d=$(check_blk "$1" "$2") || r=1; else d=$("check_$k" "$1") || r=1; fi
		printf '%s: %s; ' "$k" "$d"
	done
	return $r
}


# nested_fault_note CASE: for a case that timed out or triple-faulted, recognises the emulated host's
# own faults seen in the x86 lane (about one net case in 40, over either transport), from minivmm's
# --timeout dump and the host's KVM trace (KVM_TRACE=1):
#   - the guest vCPU's CR3 points outside the guest's RAM, and the host's KVM keeps re-entering it at
#     one rip on a nested page fault: the guest hangs;
#   - the host's KVM reports a shutdown (triple fault) in the middle of delivering an event
#     (exit_int_info valid) to a Linux guest that was running normally.
# minivmm never writes a vCPU's registers after boot, so the guest's state was lost below it (the
# host's KVM or QEMU's SVM emulation); says so, with the numbers.
nested_fault_note() {
	local cr3 mem npf rip sd
	cr3=$(grep -a "^LANE-VERR $1| minivmm: error: vCPU 0: cs " "$log" | sed -n 's/.* cr3 \([0-9a-f]*\) .*/\1/p' | head -n 1)
	mem=$(echo "$GUEST_MEM" | awk '/[Mm]$/ { print $0 * 1048576; next } /[Gg]$/ { print $0 * 1073741824; next } { print $0 }')
	if [ -n "$cr3" ] && [ $((0x$cr3)) -ge "$mem" ]; then
		rip=$(grep -a "^LANE-VTRACE $1| .* kvm_exit: .* reason npf " "$log" | tail -n 1 | sed -n 's/.* rip \(0x[0-9a-f]*\) .*/\1/p')
		npf=$(grep -a "^LANE-VTRACE $1| .* kvm_exit: .* reason npf rip $rip " "$log" | grep -c .)
		echo "  (the emulated host's fault, not minivmm's: the guest's CR3 0x$cr3 lies outside its $GUEST_MEM of RAM${rip:+, and the host's KVM re-entered it $npf times in its trace's tail on one nested page fault at rip $rip}; see tests/lanes/x86/README.md, Reliability)"
		return 0
	fi
	sd=$(grep -a "^LANE-VTRACE $1| .* kvm_exit: .* reason shutdown .* intr_info 0x8" "$log" | tail -n 1 | sed -n 's/.* rip \(0x[0-9a-f]*\) .* intr_info \(0x[0-9a-f]*\) .*/rip \1, intr_info \2/p')
	[ -n "$sd" ] && echo "  (most likely the emulated host's fault: its KVM saw the guest triple-fault while delivering an event ($sd) to a guest that was running normally; see tests/lanes/x86/README.md, Reliability)"
	return 0
}

virtio_verdict() {
	local bad=0 name want line st secs res base kind tport detail crc verdict
	skipped=()
	printf '%-13s %-9s %-6s %-7s %-7s %s\n' case status guest seconds verdict detail
	printf '%s\n' "$CASES" >"$run/cases"
	while IFS='|' read -r name want _; do
		[ -n "$name" ] || continue
		line=$(grep -m1 "^LANE-VRESULT $name " "$log")
		if [ -z "$line" ]; then
			printf '%-13s %s\n' "$name" "no result (the host did not get to it)"
			bad=1
			continue
		fi
		st=$(echo "$line" | sed -n 's/.* status=\([0-9a-z]*\).*/\1/p')
		secs=$(echo "$line" | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')
		if [ "$st" = skip ]; then
			printf '%-13s %-9s %-6s %-7s %-7s %s\n' "$name" - - - SKIP "${line#*seconds=0 }"
			skipped+=("$name")
			continue
		fi
		res=$(glog "$name" | sed -n 's/^LANE-V-END test=[^ ]* result=\([a-z]*\).*/\1/p' | head -n 1)
		base=${name%-r[0-9]*} # a repeated case (NAME-rN) is checked as NAME
		kind=${base%-*} tport=${base##*-}
		detail=$(case $kind in
			blk) check_blk "$name" "$tport" ;;
			console | rng) "check_$kind" "$name" ;;
			net | vhost) check_net "$name" ;;
			mq | mqvhost) check_mq "$name" ;;
			vsock) check_vsock "$name" "$tport" ;;
			all) check_all "$name" "$tport" ;;
			blknet) check_all "$name" "$tport" "blk net" ;;
			itspmu) check_all "$name" "$tport" "blk net msi pmu" ;;
			esac)
		crc=$?
		verdict=ok
		if [ "$st" != "$want" ] || [ "$res" != ok ] || [ $crc -ne 0 ]; then verdict=FAIL bad=1; fi
		printf '%-13s %-9s %-6s %-7s %-7s %s\n' "$name" "$st/$want" "${res:-none}" "$secs" "$verdict" "$detail"
		if [ $verdict = FAIL ]; then
			[ "$st" = 4 ] && echo "  (minivmm stopped the guest at its --timeout of ${CASE_TIMEOUT} s)"
			case $st in 4 | 6) nested_fault_note "$name" ;; esac
			[ "$st" = 137 ] && echo "  (minivmm outlived its --timeout by 15 s and was killed)"
			[ "$st" = 2 ] && echo "  (the guest reset itself: with panic=-1 a guest panic ends this way)"
			grep -m1 "^LANE-VCASE-ARGS $name " "$log" | sed 's/^LANE-VCASE-ARGS [^ ]* /  minivmm options: /'
			echo "  minivmm stderr (tail):"
			grep "^LANE-VERR $name| " "$log" | sed "s/^LANE-VERR $name| /    /" | tail -n 30
			echo "  guest console (tail):"
			glog "$name" | tail -n 25 | sed 's/^/    /'
		fi
	done <"$run/cases"
	return $bad
}

virtio_run_cpio() {
	local minivmm=$1 host_base=$2 virtio_extra=$3 t
	shift 3
	rm -rf "$run"
	mkdir -p "$run/extra/lane" "$run/seed"
	echo minivmm-virtio-lane-seed >"$run/seed/seed.txt"
	drives=()
	for t in pci mmio; do
		truncate -s 32M "$run/blk-$t.img"
		mkfs.ext4 -q -F -L "lane-$t" -d "$run/seed" "$run/blk-$t.img" >"$run/mkfs-$t.log" 2>&1 ||
			{ cat "$run/mkfs-$t.log"; lane_fail "mkfs.ext4 -d failed"; }
		drives+=(-drive "file=$run/blk-$t.img,if=none,format=raw,id=d$t"
			-device "virtio-blk-pci,drive=d$t,serial=lane-blk-$t")
	done
	install -m 0755 "$minivmm" "$run/extra/minivmm"
	install -m 0755 "$lib/virtio-run.sh" "$run/extra/lane/run"
	echo "$CASES" >"$run/extra/lane/vcases"
	cat >"$run/extra/lane/config" <<EOT
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
CASE_TIMEOUT='$CASE_TIMEOUT'
EOT
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$run/extra/lane/config"
	"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || lane_fail "cannot build the per-run archive"
	cat "$host_base" "$virtio_extra" "$run/extra.cpio" >"$run/host.cpio"
	rm -rf "$run/extra" "$run/extra.cpio"
}

virtio_lane_verdict() {
	local bad=0
	skipped=() # virtio_verdict's list of skipped cases
	virtio_verdict || bad=1
	if [ "$qrc" -ne 0 ]; then
		echo "host console (tail):"
		grep -v -e '^LANE-VLOG' -e '^LANE-VERR' -e '^LANE-VTRACE' "$log" | tail -n 25 | sed 's/^/  /'
		lane_fail "the emulated host did not finish its run (logs: $run)"
	fi
	[ $bad -eq 0 ] || lane_fail "some virtio cases failed (logs: $run)"
	echo "PASS: $((ncases - ${#skipped[@]})) virtio cases with $1${skipped[*]:+ (skipped: ${skipped[*]})}${retried:+ (after one retry of the emulated host)}"
}
