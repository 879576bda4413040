#!/usr/bin/env bash
# lane_x86.sh: boots real Linux guests with minivmm on real KVM code paths. This machine's /dev/kvm
# is too slow for Linux, so a full-system QEMU (TCG, -cpu max: AMD SVM with nested paging) runs
# Debian's amd64 kernel with kvm-amd as an emulated host, and minivmm runs inside it.
# One boot of that host runs every case in turn (see CASES); the host's init prints one
# LANE-RESULT line per case, read here into the verdict.
# Exit status: 0 pass, 1 fail, 77 skip (the reason is the last line of output).
# Environment: CI=true turns a missing artefact into a failure; MINIVMM_STATIC (default
# ./minivmm.static), MINIVMM_CACHE (see prepare), LANE_X86_GUEST_APPEND, LANE_X86_CASE_TIMEOUT,
# LANE_X86_TIMEOUT, LANE_X86_SILENCE, LANE_VERBOSE=1 (copy the host's console to stdout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$here/../lib
# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"
# The emulated host's KVM now and then loses a guest's state (README.md, Reliability; seen here once
# as a 2-vCPU guest hung in early boot with interrupts off): a failed run is run once more, loudly.
[ -n "${LANE_INNER:-}" ] || lane_retry_once cases '^[a-z0-9-]+ +[0-9]+/[0-9]+ .*FAIL' "$0" "$@"
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/x86

# name, guest kernel (inside the emulated host), vCPUs
CASES="bzimage-1cpu /guest/vmlinuz 1
bzimage-2cpu /guest/vmlinuz 2
vmlinux-1cpu /guest/vmlinux 1
vmlinux-2cpu /guest/vmlinux 2"

# Guest kernel command line (minivmm puts its own defaults before it). Under two levels of
# emulation every port access and console byte costs exits to the VMM, so the guest is kept quiet
# and away from probes it does not need:
#   console=ttyS0   the guest's console is minivmm's 8250 UART on COM1
#   quiet           only warnings reach the (costly) console
#   panic=-1        reboot at once on a panic: minivmm then ends with status 2 instead of timing out
#   pci=noearly     no early PCI scans: on an AMD CPU the GART aperture check looks for an AGP
#                   bridge in config space on all 256 buses, twice (about 16000 port reads: 2.6 s
#                   of a 5.3 s guest boot, measured); PCI proper is still probed later
# Tried and left out: i8042.noaux/i8042.nopnp (with minivmm's ACPI tables the i8042 driver finds no
# PS/2 device and probes nothing; nopnp would force a probe), no_timer_check (no measurable change).
GUEST_APPEND=${LANE_X86_GUEST_APPEND:-console=ttyS0 quiet panic=-1 pci=noearly}
GUEST_MEM=256M
CASE_TIMEOUT=${LANE_X86_CASE_TIMEOUT:-120} # minivmm --timeout for each guest
# Watchdogs on one boot of the emulated host. Its init prints a heartbeat every 10 s, so silence
# means the host itself stopped (retried once); the total limit only bounds a run whose cases all
# ran into their timeouts (a failure, not retried).
SILENCE=${LANE_X86_SILENCE:-30}
TOTAL=${LANE_X86_TIMEOUT:-$((60 + $(echo "$CASES" | wc -l) * (CASE_TIMEOUT + 20)))}
HOST_APPEND="console=ttyS0 quiet panic=-1"

# --- tools --------------------------------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
lane_install_tools "${need[@]}"
command -v qemu-system-x86_64 >/dev/null ||
	lane_skip "qemu-system-x86_64 is not installed and cannot be installed (apt-get install qemu-system-x86)"
for t in cpio xz; do command -v $t >/dev/null || lane_skip_or_fail "$t is not installed"; done

# --- artefacts ----------------------------------------------------------------------------------
minivmm=${MINIVMM_STATIC:-$repo/minivmm.static}
if [ ! -x "$minivmm" ] && [ -z "${MINIVMM_STATIC:-}" ]; then
	echo "building minivmm.static"
	make -s -C "$repo" static >/dev/null 2>&1
fi
[ -x "$minivmm" ] || lane_skip_or_fail "minivmm.static is not built and 'make static' failed"
lane_prepare "the lane's kernel, modules or initramfs could not be prepared (tests/lanes/x86/prepare)"

# --- the per-run archive: minivmm, the cases and their settings; one boot of the emulated host ------
lane_build_run_cpio "$minivmm" "$LANE_X86_HOST_BASE" --host-run
echo "kernel: $LANE_X86_KPKG; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND"
echo 'host: qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 (kvm-amd, nested SVM)'
lane_boot_host --hang-note "(a known fault of nested SVM under TCG, about 1 boot in 25)" -- \
	qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-nic none -kernel "$LANE_X86_VMLINUX" -initrd "$run/host.cpio" -append "$HOST_APPEND"

# --- the verdict ----------------------------------------------------------------------------------
lane_summarise_results
