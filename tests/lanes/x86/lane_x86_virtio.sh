#!/usr/bin/env bash
# lane_x86_virtio.sh: minivmm's virtio devices driven by a real Linux guest (Debian's amd64 kernel and
# its own virtio modules), over both transports, on real KVM: in the emulated x86 host of lane_x86.sh
# (QEMU TCG, kvm-amd, nested SVM). One boot of that host runs every case of CASES in turn with
# ../lib/virtio-run.sh as its /lane/run; the guest's /init is ../lib/virtio-guest-init.sh. Per transport (pci:
# virtio-pci modern with MSI-X; mmio: virtio-mmio v2 found through the DSDT's LNRO0005 devices):
#   blk      an ext4 image made here (mkfs.ext4 -d, with /seed.txt) is a QEMU virtio disk of the
#            emulated host, whose /dev/vdX minivmm serves with -d ...,serial=...: the guest checks the
#            serial (GET_ID) and the seed, writes 2 MiB to /guest-<transport>.bin, prints its md5,
#            unmounts and powers off; after the run this script checks the image with e2fsck -fn and
#            reads the file back with debugfs: its md5 must be the one the guest printed
#   net      a tap (lanetap0, 10.0.2.1/24 in the emulated host) and the userspace back-end: the
#            guest checks its MAC, pings the host (also with 4000-byte packets, i.e. IP fragments),
#            and moves 2 MiB over TCP each way (busybox nc; the md5s printed on both sides must match)
#   vhost    the same with vhost=1, when the emulated host has /dev/vhost-net (else the case is
#            skipped, and the table says so)
#   console  --console virtio -p console=hvc0: the guest's marker must arrive over hvc0 (it writes it
#            to /dev/hvc0 only), and a line fed to minivmm's stdin must be read back from hvc0
#   rng      --rng: the guest's current hwrng is virtio_rng; it reads 4 KiB from /dev/hwrng
#   all      the four devices in one guest (console first, then blk on blk's disk, net, rng)
#   vsock    --vsock 42 through the emulated host's vhost-vsock (skipped without /dev/vhost-vsock):
#            the guest's local CID must be 42, and it exchanges a request and an answer with a server
#            on the host (CID 2, port 5100) over AF_VSOCK; both sides print what they got
# and over PCI only (per-queue MSI-X vectors show which queue carried what):
#   mq       -c 2 and mq=2 on lanetap1, a two-queue tap (10.0.3.1/24): the net test, then the guest
#            checks that eth0 runs two queue pairs and that both RX queues interrupted after pings
#            from each CPU
#   mqvhost  the same with vhost=1: one vhost-net device per queue pair (skipped without
#            /dev/vhost-net)
# Not covered: acpi=off guests (minivmm then names its virtio-mmio devices on the command line, but
# Debian's kernel is built without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
# Exit status: 0 pass, 1 fail, 77 skip (only when qemu-system-x86_64 cannot be installed, or, outside
# CI, when minivmm.static, e2fsprogs, binutils, gcc or the lane's kernel cannot be had; CI=true: those
# fail).
# Environment: CI, MINIVMM_STATIC, MINIVMM_CACHE, LANE_VERBOSE=1 (the host's console to stdout),
# LANE_X86_VIRTIO_CASES (a space-separated subset of the case names), LANE_X86_VIRTIO_REPEAT (each
# chosen case N times), LANE_KVM_TRACE (1, the default: the emulated host traces its KVM, and a failed
# case shows the trace's tail; 0: off), LANE_X86_VIRTIO_RUN_DIR (the run's directory, default
# $C/last-run-virtio), LANE_X86_CASE_TIMEOUT (60), LANE_X86_TIMEOUT, LANE_X86_SILENCE (30).
set -u
# Two intermittent faults of the emulated host (README.md, Reliability): it hangs now and then (its
# boot is retried, LANE_HANG_RETRIES), and in about one net case in 40 its KVM loses the guest's
# state mid-transfer (a CR3 outside the guest's RAM and an endless nested page fault, or a triple
# fault while delivering an interrupt; the verdict recognises and names both). A failed run is therefore run once more,
# loudly: the first run's failed cases are repeated below "RETRYING" so they are never hidden, and
# only a second failure fails the lane.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$here/../lib
# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"
[ -n "${LANE_INNER:-}" ] || lane_retry_once cases '^[a-z0-9-]+ +[^ ]+ +[^ ]+ +[^ ]+ +FAIL ' "$0" "$@"
# shellcheck source-path=SCRIPTDIR source=../lib/virtio-verdict.sh
. "$lib/virtio-verdict.sh"
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/x86

# Guest command line as lane_x86.sh's (see there for each item).
GUEST_APPEND="console=ttyS0 quiet panic=-1 pci=noearly"
GUEST_MEM=256M
CASE_TIMEOUT=${LANE_X86_CASE_TIMEOUT:-60}
SILENCE=${LANE_X86_SILENCE:-30}
HOST_APPEND="console=ttyS0 quiet panic=-1"
MAC=02:15:15:00:00:02

# NAME|STATUS|NEEDS|MINIVMM OPTIONS|GUEST PARAMETERS|STDIN (see ../lib/virtio-run.sh)
cases_for() { # cases_for TRANSPORT
	local t=$1 tr="--virtio-transport $1"
	local net="-n mode=tap,tapif=lanetap0,guest_mac=$MAC"
	local gnet="lane.ip=10.0.2.15 lane.peer=10.0.2.1 lane.mac=$MAC"
	echo "blk-$t|0|-|$tr -d @vd:lane-blk-$t@,serial=lane-guest-$t|lane.test=blk lane.tag=$t lane.serial=lane-guest-$t|"
	echo "net-$t|0|-|$tr $net|lane.test=net $gnet|"
	echo "vhost-$t|0|/dev/vhost-net|$tr $net,vhost=1|lane.test=net $gnet|"
	echo "console-$t|0|-|$tr --console virtio|console=hvc0 lane.test=console|lane-input-console-$t"
	echo "rng-$t|0|-|$tr --rng|lane.test=rng|"
	# All four devices in one guest (the same disk as blk-$t, another file on it, opened O_DIRECT:
	# Linux AIO, lone requests polled through it).
	echo "all-$t|0|-|$tr --console virtio --rng -d @vd:lane-blk-$t@,serial=lane-guest-all-$t,direct $net|console=hvc0 lane.test=console,blk,net,rng lane.tag=all-$t lane.serial=lane-guest-all-$t $gnet|lane-input-all-$t"
	echo "vsock-$t|0|/dev/vhost-vsock|$tr --vsock 42|lane.test=vsock lane.cid=42 lane.tag=$t|"
}
CASES="$(cases_for pci)
$(cases_for mmio)
mq-pci|0|-|--virtio-transport pci -c 2 -n mode=tap,tapif=lanetap1,guest_mac=$MAC,mq=2|lane.test=net,mq lane.ip=10.0.3.15 lane.peer=10.0.3.1 lane.mac=$MAC|
mqvhost-pci|0|/dev/vhost-net|--virtio-transport pci -c 2 -n mode=tap,tapif=lanetap1,guest_mac=$MAC,mq=2,vhost=1|lane.test=net,mq lane.ip=10.0.3.15 lane.peer=10.0.3.1 lane.mac=$MAC|"
if [ -n "${LANE_X86_VIRTIO_CASES:-}" ]; then
	CASES=$(echo "$CASES" | awk -F'|' -v want=" $LANE_X86_VIRTIO_CASES " 'index(want, " " $1 " ")')
fi
# LANE_X86_VIRTIO_REPEAT=N runs each chosen case N times (NAME-r1 ... NAME-rN), for intermittent faults.
VIRTIO_REPEAT=${LANE_X86_VIRTIO_REPEAT:-1}
if [ "$VIRTIO_REPEAT" -gt 1 ]; then
	CASES=$(for r in $(seq "$VIRTIO_REPEAT"); do
		echo "$CASES" | awk -F'|' -v OFS='|' -v r="$r" 'NF { $1 = $1 "-r" r; print }'
	done)
fi
ncases=$(echo "$CASES" | grep -c .)
TOTAL=${LANE_X86_TIMEOUT:-$((60 + ncases * (CASE_TIMEOUT + 20)))}

# --- tools and artefacts --------------------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v objcopy >/dev/null || need+=(binutils)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
lane_install_tools "${need[@]}"
command -v qemu-system-x86_64 >/dev/null ||
	lane_skip "qemu-system-x86_64 is not installed and cannot be installed (apt-get install qemu-system-x86)"
PATH=$PATH:/sbin:/usr/sbin
for t in cpio xz mkfs.ext4 debugfs e2fsck objcopy gcc; do
	command -v $t >/dev/null || lane_skip_or_fail "$t is not installed (scripts/setup)"
done

minivmm=${MINIVMM_STATIC:-$repo/minivmm.static}
if [ ! -x "$minivmm" ] && [ -z "${MINIVMM_STATIC:-}" ]; then
	echo "building minivmm.static"
	make -s -C "$repo" static >/dev/null 2>&1
fi
[ -x "$minivmm" ] || lane_skip_or_fail "minivmm.static is not built and 'make static' failed"

t0=$(date +%s.%N)
mkdir -p "$C"
{ "$here/prepare" && "$here/prepare-virtio"; } >/dev/null 2>"$C/prepare-virtio.log" || {
	cat "$C/prepare-virtio.log"
	lane_skip_or_fail "the lane's kernel, modules or initramfs could not be prepared (tests/lanes/x86/prepare, prepare-virtio)"
}
# shellcheck source=/dev/null
. "$C/artefacts.env"
# shellcheck source=/dev/null
. "$C/virtio-artefacts.env"
prep_s=$(lane_elapsed "$t0")

# --- the disks and the per-run archive ---------------------------------------------------------------
# Kept for a look after the run; replaced by the next one with the same directory (two lanes running
# at once on one cache each need their own: LANE_X86_VIRTIO_RUN_DIR).
run=${LANE_X86_VIRTIO_RUN_DIR:-$C/last-run-virtio}
virtio_run_cpio "$minivmm" "$LANE_X86_HOST_BASE" "$LANE_X86_VIRTIO_EXTRA" "KVM_TRACE=${LANE_KVM_TRACE:-1}"

# --- one boot of the emulated host ------------------------------------------------------------------
echo "kernel: $LANE_X86_KPKG; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND (+ each case's)"
echo 'host: qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 (kvm-amd, nested SVM), two virtio disks'
lane_boot_host --hang-note "(see lane_x86's README, Reliability)" -- \
	qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-nic none "${drives[@]}" -kernel "$LANE_X86_VMLINUX" -initrd "$run/host.cpio" \
	-append "$HOST_APPEND"
vhn=$(sed -n 's/^LANE-VHOST vhost-net=\([a-z]*\).*/\1/p' "$log" | head -n 1)
vhv=$(sed -n 's/^LANE-VHOST vhost-vsock=\([a-z]*\).*/\1/p' "$log" | head -n 1)
echo "emulated host: /dev/vhost-net ${vhn:-?}, /dev/vhost-vsock ${vhv:-?}"
grep '^LANE-VHOST' "$log" | sed 's/^/  /'

# --- the verdict ----------------------------------------------------------------------------------
virtio_lane_verdict "a Linux guest"
