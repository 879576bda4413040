# riscv64-common.sh: what the riscv64 lanes (lane_riscv64.sh, lane_riscv64_snapshot.sh) share: tools, the cross-built minivmm, the prepared kernel and initramfs, one boot of the emulated host over $CASES.
# The lane sets here, repo, lib, C, CASES, GUEST_APPEND, GUEST_MEM, CASE_TIMEOUT, TOTAL, SILENCE (and,
# optionally, LANE_CONFIG_EXTRA for lane-init.c's /lane/config), sources this file, calls riscv64_boot,
# then judges the run (lane_summarise_results and its own checks on $log).
# shellcheck shell=bash
# shellcheck disable=SC2154

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
lane_cross_minivmm riscv64 "${MINIVMM_RISCV64:-}" "cross compiler or the target's libfdt missing?"
lane_prepare "the lane's kernel, init or initramfs could not be prepared (tests/lanes/riscv64/prepare)"

# One boot of the emulated host over $CASES: the per-run archive (minivmm, the cases and their
# settings; no lib/host-run.sh: the host's init, lane-init.c, runs the cases itself).
riscv64_boot() {
	lane_build_run_cpio "$minivmm" "$LANE_RISCV64_HOST_BASE"
	echo "kernel: $LANE_RISCV64_KSRC; minivmm: $minivmm; prepare: ${prep_s} s"
	echo "guest command line: $GUEST_APPEND"
	echo "host: ${QEMU[*]}"
	lane_boot_host -- "${QEMU[@]}" -kernel "$LANE_RISCV64_IMAGE" -initrd "$run/host.cpio" \
		-append "$HOST_APPEND"
}
