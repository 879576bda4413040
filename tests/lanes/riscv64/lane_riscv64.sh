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
# shellcheck source-path=SCRIPTDIR source=riscv64-common.sh
. "$here/riscv64-common.sh"
riscv64_boot

# --- the verdict --------------------------------------------------------------------------------------
lane_summarise_results
