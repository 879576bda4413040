#!/usr/bin/env bash
# lane_arm64.sh: boots Debian's arm64 kernel as a nested guest under minivmm (aarch64 build) inside an emulated arm64 host (QEMU TCG, virtualization=on, GICv3), with 1 and 2 vCPUs.
# Exit status: 0 pass, 1 fail, 77 skip (only when qemu-system-aarch64, the cross compiler or the
# Debian archive cannot be had outside CI; with CI=true a missing artefact is a failure).
# Environment: MINIVMM_CACHE, MINIVMM_ARM64 (another aarch64 minivmm binary), LANE_ARM64_KPKG,
# LANE_ARM64_GUEST_APPEND, LANE_ARM64_CASE_TIMEOUT, LANE_ARM64_TIMEOUT, LANE_ARM64_SILENCE,
# LANE_VERBOSE=1 (copy the host's console to stdout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/arm64

# name, guest kernel (inside the emulated host), vCPUs, expected exit status, extra kernel parameters.
# exit-register: the guest's init writes 21 to minivmm's MMIO exit register (--exit-port, 0x09010000
# on arm64) after its marker: minivmm must end with (21 << 1) | 1 = 43, as with isa-debug-exit.
CASES="image-1cpu /guest/Image 1
image-2cpu /guest/Image 2
exit-register /guest/Image 1 43 lane.exit=0x09010000:21"

# Guest command line after minivmm's arm64 defaults (console=ttyS0 panic=-1: the 8250 UART at
# 0x09000000, reboot at once on a panic so minivmm ends with status 2 rather than its timeout).
# quiet: every console byte is an MMIO exit, which costs 150-300 us under this emulation.
GUEST_APPEND=${LANE_ARM64_GUEST_APPEND:-quiet}
GUEST_MEM=256M
CASE_TIMEOUT=${LANE_ARM64_CASE_TIMEOUT:-90} # minivmm --timeout for each guest
# Watchdogs on one boot of the emulated host: its init prints a heartbeat every 10 s, so silence
# means the host itself stopped (retried once); the total limit bounds a run whose cases all ran
# into their timeouts (a failure, not retried).
SILENCE=${LANE_ARM64_SILENCE:-30}
TOTAL=${LANE_ARM64_TIMEOUT:-$((60 + $(echo "$CASES" | wc -l) * (CASE_TIMEOUT + 20)))}
HOST_APPEND="console=ttyAMA0 panic=-1 quiet"
# pauth-impdef=on: QEMU's default pointer-authentication algorithm makes the host about 3.5x slower.
QEMU=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
      -smp 2 -m 1024 -nographic -no-reboot -nic none)

# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"

# --- tools ------------------------------------------------------------------------------------------
need=()
command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
command -v cpio >/dev/null || need+=(cpio)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
lane_install_tools "${need[@]}"
command -v qemu-system-aarch64 >/dev/null ||
	lane_skip_or_fail "qemu-system-aarch64 is not installed and cannot be installed (apt-get install qemu-system-arm)"
command -v cpio >/dev/null || lane_skip_or_fail "cpio is not installed"

# --- artefacts --------------------------------------------------------------------------------------
lane_cross_minivmm arm64 "${MINIVMM_ARM64:-}" "cross compiler or the target's libraries missing?"
lane_prepare "the lane's kernel, busybox or initramfs could not be prepared (tests/lanes/arm64/prepare)"

# --- the per-run archive: minivmm, the cases and their settings; one boot of the emulated host --------
lane_build_run_cpio "$minivmm" "$LANE_ARM64_HOST_BASE" --host-run
echo "kernel: $LANE_ARM64_KPKG; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND"
echo "host: ${QEMU[*]}"
lane_boot_host -- "${QEMU[@]}" -kernel "$LANE_ARM64_IMAGE" -initrd "$run/host.cpio" -append "$HOST_APPEND"

# --- the verdict --------------------------------------------------------------------------------------
lane_summarise_results
