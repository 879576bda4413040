#!/usr/bin/env bash
# lane_riscv64.sh: boots a KVM-enabled riscv64 Linux 6.1 (built from linux-source-6.1) as a nested guest under minivmm (riscv64 build) inside an emulated riscv64 host (QEMU TCG, rv64 with the H extension), with the SBI console and the UART, 1 and 2 vCPUs.
# Exit status: 0 pass, 1 fail, 77 skip (only when qemu-system-riscv64, the cross compiler or the
# kernel source cannot be had outside CI; with CI=true a missing artefact is a failure).
# The first run builds the kernel (about 5 minutes, cached; see prepare).
# Environment: MINIVMM_CACHE, MINIVMM_RISCV64 (another riscv64 minivmm binary),
# LANE_RISCV64_GUEST_APPEND, LANE_RISCV64_CASE_TIMEOUT, LANE_RISCV64_TIMEOUT, LANE_RISCV64_SILENCE,
# LANE_VERBOSE=1 (copy the host's console to stdout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/riscv64

# name, guest kernel (inside the emulated host), vCPUs, expected exit status, then words for this case:
# "--..." are minivmm options, the rest kernel parameters (tests/lanes/riscv64/lane-init.c runs them).
# Every guest powers off through SBI system reset (KVM's SRST, a system event): status 0.
# sbi-*: the guest's console is hvc0 on the SBI console (legacy putchar calls KVM forwards to minivmm);
# uart-*: the 8250 UART at 0x10000000 behind the userspace PLIC (the 6.1 host has no in-kernel AIA).
# exit-register: the guest's init writes 21 to minivmm's MMIO exit register (--exit-port, 0x00100000
# on riscv64) after its marker: minivmm must end with (21 << 1) | 1 = 43, as with isa-debug-exit.
CASES="sbi-1cpu /guest/Image 1 0 --console=sbi
sbi-2cpu /guest/Image 2 0 --console=sbi
uart-1cpu /guest/Image 1
uart-2cpu /guest/Image 2
exit-register /guest/Image 1 43 lane.exit=0x100000:21"

# Guest command line after minivmm's riscv64 defaults (console=ttyS0 or, with --console sbi,
# console=hvc0; panic=-1). quiet: every console byte is an exit to minivmm.
GUEST_APPEND=${LANE_RISCV64_GUEST_APPEND:-quiet}
GUEST_MEM=256M
CASE_TIMEOUT=${LANE_RISCV64_CASE_TIMEOUT:-60} # minivmm --timeout for each guest
# Watchdogs on one boot of the emulated host: its init prints a heartbeat every 10 s, so silence
# means the host itself stopped (retried once); the total limit bounds a run whose cases all ran
# into their timeouts (a failure, not retried).
SILENCE=${LANE_RISCV64_SILENCE:-30}
TOTAL=${LANE_RISCV64_TIMEOUT:-$((60 + $(echo "$CASES" | wc -l) * (CASE_TIMEOUT + 20)))}
HOST_APPEND="console=ttyS0 earlycon=sbi panic=-1 quiet"
# -bios default: QEMU's OpenSBI (fw_dynamic, from qemu-system-data).
QEMU=(qemu-system-riscv64 -M virt -cpu rv64,h=true -smp 2 -m 1024 -nographic -no-reboot
      -bios default -nic none)

# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"

# --- tools ------------------------------------------------------------------------------------------
need=()
command -v qemu-system-riscv64 >/dev/null || need+=(qemu-system-misc)
command -v cpio >/dev/null || need+=(cpio)
command -v riscv64-linux-gnu-gcc >/dev/null || need+=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)
for t in flex bison bc; do command -v $t >/dev/null || need+=($t); done
ls /usr/src/linux-source-6.1.tar.* >/dev/null 2>&1 || need+=(linux-source-6.1)
lane_install_tools "${need[@]}"
command -v qemu-system-riscv64 >/dev/null ||
	lane_skip_or_fail "qemu-system-riscv64 is not installed and cannot be installed (apt-get install qemu-system-misc)"
command -v cpio >/dev/null || lane_skip_or_fail "cpio is not installed"

# --- artefacts --------------------------------------------------------------------------------------
mkdir -p "$C"
minivmm=${MINIVMM_RISCV64:-$repo/build/riscv64/minivmm}
if [ -z "${MINIVMM_RISCV64:-}" ]; then
	lane_make_arch riscv64 "'make ARCH=riscv64' failed (cross compiler or the target's libfdt missing?)"
fi
[ -x "$minivmm" ] || lane_skip_or_fail "$minivmm is not built"
lane_prepare "the lane's kernel, init or initramfs could not be prepared (tests/lanes/riscv64/prepare)"

# --- the per-run archive: minivmm, the cases and their settings; one boot of the emulated host --------
# No lib/host-run.sh here: the host's init (lane-init.c) runs the cases itself.
lane_build_run_cpio "$minivmm" "$LANE_RISCV64_HOST_BASE"
echo "kernel: $LANE_RISCV64_KSRC; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND"
echo "host: ${QEMU[*]}"
lane_boot_host -- "${QEMU[@]}" -kernel "$LANE_RISCV64_IMAGE" -initrd "$run/host.cpio" -append "$HOST_APPEND"

# --- the verdict --------------------------------------------------------------------------------------
lane_summarise_results
