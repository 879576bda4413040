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

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
missing() { # an artefact or tool that cannot be had: a failure in CI, a skip elsewhere
	if [ "${CI:-}" = true ]; then fail "$*"; else skip "$*"; fi
}

# --- tools ------------------------------------------------------------------------------------------
need=()
command -v qemu-system-riscv64 >/dev/null || need+=(qemu-system-misc)
command -v cpio >/dev/null || need+=(cpio)
command -v riscv64-linux-gnu-gcc >/dev/null || need+=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)
for t in flex bison bc; do command -v $t >/dev/null || need+=($t); done
ls /usr/src/linux-source-6.1.tar.* >/dev/null 2>&1 || need+=(linux-source-6.1)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
		>/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				"${need[@]}" >/dev/null 2>&1; }
fi
command -v qemu-system-riscv64 >/dev/null ||
	missing "qemu-system-riscv64 is not installed and cannot be installed (apt-get install qemu-system-misc)"
command -v cpio >/dev/null || missing "cpio is not installed"

# --- artefacts --------------------------------------------------------------------------------------
mkdir -p "$C"
minivmm=${MINIVMM_RISCV64:-$repo/build/riscv64/minivmm}
if [ -z "${MINIVMM_RISCV64:-}" ]; then
	# Incremental: a stale binary would test old code.
	make -s -C "$repo" ARCH=riscv64 >"$C/make.log" 2>&1 || {
		tail -n 20 "$C/make.log"
		missing "'make ARCH=riscv64' failed (cross compiler or the target's libfdt missing?)"
	}
fi
[ -x "$minivmm" ] || missing "$minivmm is not built"

t0=$(date +%s.%N)
"$here/prepare" >/dev/null 2>"$C/prepare.log" || {
	cat "$C/prepare.log"
	missing "the lane's kernel, init or initramfs could not be prepared (tests/lanes/riscv64/prepare)"
}
# shellcheck source=/dev/null
. "$C/artefacts.env"
prep_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# --- the per-run archive: minivmm, the cases and their settings ---------------------------------------
run=$C/last-run # kept for a look after the run; replaced by the next one
rm -rf "$run"
mkdir -p "$run/extra/lane"
install -m 0755 "$minivmm" "$run/extra/minivmm"
echo "$CASES" >"$run/extra/lane/cases"
echo "$CASES" >"$run/cases"
cat >"$run/extra/lane/config" <<EOT
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
CASE_TIMEOUT='$CASE_TIMEOUT'
EOT
"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || fail "cannot build the per-run archive"
cat "$LANE_RISCV64_HOST_BASE" "$run/extra.cpio" >"$run/host.cpio" # Linux unpacks both in turn
rm -rf "$run/extra" "$run/extra.cpio"

# --- one boot of the emulated host --------------------------------------------------------------------
echo "kernel: $LANE_RISCV64_KSRC; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND"
echo "host: ${QEMU[*]}"
verbose=()
[ "${LANE_VERBOSE:-}" = 1 ] && verbose=(--echo)
t0=$(date +%s.%N)
"$lib/qemu-run" --log "$run/console.log" --end LANE-HOST-DONE --timeout "$TOTAL" \
	--silence "$SILENCE" --retries 1 --timeout-fails "${verbose[@]}" -- \
	"${QEMU[@]}" -kernel "$LANE_RISCV64_IMAGE" -initrd "$run/host.cpio" -append "$HOST_APPEND" \
	2>"$run/qemu-run.log"
qrc=$?
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rm -f "$run/host.cpio"
cat "$run/qemu-run.log"
tr -d '\r' <"$run/console.log" >"$run/console.txt"
log=$run/console.txt
retried=
grep -q 'qemu-run: RETRIED' "$run/qemu-run.log" && retried=1
[ -n "$retried" ] && echo "NOTE: the emulated host hung once and was booted again"

if [ $qrc -eq 2 ]; then
	tail -n 30 "$log"
	fail "the emulated host hung on both boots (logs: $run)"
fi
up=$(sed -n 's/.*LANE-HOST-UP uptime=\([0-9.]*\).*/\1/p' "$log" | head -n 1)
kvm=$(sed -n 's/.*LANE-HOST-KVM \([a-z]*\).*/\1/p' "$log" | head -n 1)
echo "emulated host: shell at ${up:-?} s of its uptime, /dev/kvm ${kvm:-?}, whole boot ${wall} s wall"
if [ "$kvm" != ok ]; then
	tail -n 40 "$log"
	fail "the emulated host has no /dev/kvm (logs: $run)"
fi

# --- the verdict --------------------------------------------------------------------------------------
bad=0
"$lib/lane-verdict" "$log" "$run/cases" "$CASE_TIMEOUT" || bad=1
if [ $qrc -ne 0 ]; then
	echo "host console (tail):"
	grep -v -e '^LANE-STDERR' -e '^LANE-GUEST' "$log" | tail -n 25 | sed 's/^/  /'
	fail "the emulated host did not finish its run (logs: $run)"
fi
[ $bad -eq 0 ] || fail "some nested guests did not boot (logs: $run)"
echo "PASS: $(echo "$CASES" | wc -l) nested Linux guests booted${retried:+ (after one retry of the emulated host)}"
