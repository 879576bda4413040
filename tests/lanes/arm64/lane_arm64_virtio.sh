#!/usr/bin/env bash
# lane_arm64_virtio.sh: a disk and a network device of minivmm (aarch64 build) driven by Debian's arm64 kernel and its own virtio modules, over virtio-pci (ECAM host, INTx) and virtio-mmio, inside the emulated arm64 host of lane_arm64.sh.
# One boot of the emulated host (QEMU TCG, virtualization=on, GICv3) runs each case of CASES with
# ../lib/virtio-run.sh as its /lane/run; the nested guest's /init is ../lib/virtio-guest-init.sh with
# lane.test=blk,net (as the x86 virtio lane's cases, see ../x86/lane_x86_virtio.sh):
#   blk   an ext4 image made here (mkfs.ext4 -d, with /seed.txt) is a QEMU virtio disk of the emulated
#         host; minivmm serves that /dev/vdX to the guest with -d ...,serial=...; the guest checks the
#         serial and the seed, writes 2 MiB to /guest-<transport>.bin, prints its md5, unmounts; after
#         the run this script checks the image with e2fsck -fn and reads the file back with debugfs
#   net   a tap in the emulated host (lanetap0, 10.0.2.1/24) and the userspace back-end: the guest
#         checks its MAC, pings the host (also with 4000-byte packets) and moves 2 MiB over TCP each way
# itspmu-pci adds --irqchip gicv3-its and --pmu: the guest's virtio interrupts must all be ITS-MSI
# (MSI-X through the ITS) and its perf driver must find the PMU (armv8_pmuv3).
# Checked by ../lib/virtio-verdict.sh (kind blknet: blk and net; itspmu: also msi and pmu). Each guest boot costs about 12 s of
# emulation, so both devices share one boot per transport.
# Exit status: 0 pass, 1 fail, 77 skip (only outside CI, when qemu-system-aarch64, the cross build,
# e2fsprogs, binutils or the Debian packages cannot be had; with CI=true those fail).
# Environment: CI, MINIVMM_CACHE, MINIVMM_ARM64 (another aarch64 minivmm), LANE_ARM64_VIRTIO_CASES (a
# space-separated subset of the case names), LANE_ARM64_CASE_TIMEOUT (120), LANE_ARM64_TIMEOUT,
# LANE_ARM64_SILENCE (30), LANE_VERBOSE=1 (copy the host's console to stdout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/arm64

# After minivmm's arm64 defaults (console=ttyS0 panic=-1); quiet: every console byte is an MMIO exit.
GUEST_APPEND=quiet
GUEST_MEM=256M
CASE_TIMEOUT=${LANE_ARM64_CASE_TIMEOUT:-120}
SILENCE=${LANE_ARM64_SILENCE:-30}
HOST_APPEND="console=ttyAMA0 panic=-1 quiet"
MAC=02:15:15:00:00:02

# NAME|STATUS|NEEDS|MINIVMM OPTIONS|GUEST PARAMETERS|STDIN (see ../lib/virtio-run.sh)
cases_for() { # cases_for TRANSPORT
	local t=$1
	echo "blknet-$t|0|-|--virtio-transport $t -d @vd:lane-blk-$t@,serial=lane-guest-$t -n mode=tap,tapif=lanetap0,guest_mac=$MAC|lane.test=blk,net lane.tag=$t lane.serial=lane-guest-$t lane.ip=10.0.2.15 lane.peer=10.0.2.1 lane.mac=$MAC|"
}
# itspmu-pci: the same with an ITS (--irqchip gicv3-its: virtio-pci's MSI-X vectors become LPIs,
# every virtio interrupt in the guest's /proc/interrupts must be ITS-MSI) and --pmu (the guest's
# perf driver finds armv8_pmuv3); the disk of blknet-pci, another file on it, opened O_DIRECT (`direct`:
# Linux AIO, lone requests polled through it).
CASES="$(cases_for pci)
$(cases_for mmio)
itspmu-pci|0|-|--irqchip gicv3-its --pmu --virtio-transport pci -d @vd:lane-blk-pci@,serial=lane-guest-its,direct -n mode=tap,tapif=lanetap0,guest_mac=$MAC|lane.test=blk,net,msi,pmu lane.tag=its lane.serial=lane-guest-its lane.ip=10.0.2.15 lane.peer=10.0.2.1 lane.mac=$MAC lane.msi=ITS-MSI|"
if [ -n "${LANE_ARM64_VIRTIO_CASES:-}" ]; then
	CASES=$(echo "$CASES" | awk -F'|' -v want=" $LANE_ARM64_VIRTIO_CASES " 'index(want, " " $1 " ")')
fi
ncases=$(echo "$CASES" | grep -c .)
TOTAL=${LANE_ARM64_TIMEOUT:-$((60 + ncases * (CASE_TIMEOUT + 20)))}
# pauth-impdef=on: QEMU's default pointer-authentication algorithm makes the host about 3.5x slower.
# shellcheck disable=SC2054 # commas inside QEMU option values
QEMU=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
      -smp 2 -m 1024 -nographic -no-reboot -nic none)

# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/virtio-verdict.sh
. "$lib/virtio-verdict.sh"

# --- tools and artefacts ----------------------------------------------------------------------------
need=()
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v cpio >/dev/null || need+=(cpio)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v objcopy >/dev/null || need+=(binutils)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
lane_install_tools "${need[@]}"
command -v qemu-system-aarch64 >/dev/null ||
	lane_skip_or_fail "qemu-system-aarch64 is not installed and cannot be installed (apt-get install qemu-system-arm)"
PATH=$PATH:/sbin:/usr/sbin
for t in cpio mkfs.ext4 debugfs e2fsck objcopy; do
	command -v $t >/dev/null || lane_skip_or_fail "$t is not installed (scripts/setup)"
done
lane_cross_minivmm arm64 "${MINIVMM_ARM64:-}" "cross compiler or the target's libraries missing?"
lane_prepare "the lane's kernel, busybox or initramfs could not be prepared (tests/lanes/arm64/prepare)"
lane_prepare_virtio "the guest's modules could not be prepared (tests/lanes/arm64/prepare-virtio)"

# --- the disks and the per-run archive ---------------------------------------------------------------
run=$C/last-run-virtio # kept for a look after the run; replaced by the next one
virtio_run_cpio "$minivmm" "$LANE_ARM64_HOST_BASE" "$LANE_ARM64_VIRTIO_EXTRA" \
	"GUEST_KERNEL=/guest/Image"

# --- one boot of the emulated host ------------------------------------------------------------------
echo "kernel: $LANE_ARM64_KPKG; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND (+ each case's)"
echo "host: ${QEMU[*]}, two virtio-blk-pci disks"
lane_boot_host -- "${QEMU[@]}" "${drives[@]}" -kernel "$LANE_ARM64_IMAGE" -initrd "$run/host.cpio" \
	-append "$HOST_APPEND"

# --- the verdict ------------------------------------------------------------------------------------
virtio_lane_verdict "an arm64 Linux guest"
