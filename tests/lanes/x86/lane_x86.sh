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

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
missing() { # an artefact or tool that cannot be had: a failure in CI, a skip elsewhere
	if [ "${CI:-}" = true ]; then fail "$*"; else skip "$*"; fi
}

# --- tools --------------------------------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
		>/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				"${need[@]}" >/dev/null 2>&1; }
fi
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed and cannot be installed (apt-get install qemu-system-x86)"
for t in cpio xz; do command -v $t >/dev/null || missing "$t is not installed"; done

# --- artefacts ----------------------------------------------------------------------------------
minivmm=${MINIVMM_STATIC:-$repo/minivmm.static}
if [ ! -x "$minivmm" ] && [ -z "${MINIVMM_STATIC:-}" ]; then
	echo "building minivmm.static"
	make -s -C "$repo" static >/dev/null 2>&1
fi
[ -x "$minivmm" ] || missing "minivmm.static is not built and 'make static' failed"

t0=$(date +%s.%N)
mkdir -p "$C"
"$here/prepare" >/dev/null 2>"$C/prepare.log" || {
	cat "$C/prepare.log"
	missing "the lane's kernel, modules or initramfs could not be prepared (tests/lanes/x86/prepare)"
}
# shellcheck source=/dev/null
. "$C/artefacts.env"
prep_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# --- the per-run archive: minivmm, the cases and their settings -----------------------------------
run=$C/last-run # kept for a look after the run; replaced by the next one
rm -rf "$run"
mkdir -p "$run/extra/lane"
install -m 0755 "$minivmm" "$run/extra/minivmm"
install -m 0755 "$lib/host-run.sh" "$run/extra/lane/run"
echo "$CASES" >"$run/extra/lane/cases"
cat >"$run/extra/lane/config" <<EOF
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
CASE_TIMEOUT='$CASE_TIMEOUT'
EOF
"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || fail "cannot build the per-run archive"
cat "$LANE_X86_HOST_BASE" "$run/extra.cpio" >"$run/host.cpio" # Linux unpacks both in turn
rm -rf "$run/extra" "$run/extra.cpio"

# --- one boot of the emulated host ----------------------------------------------------------------
echo "kernel: $LANE_X86_KPKG; minivmm: $minivmm; prepare: ${prep_s} s"
echo "guest command line: $GUEST_APPEND"
echo 'host: qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 (kvm-amd, nested SVM)'
verbose=()
[ "${LANE_VERBOSE:-}" = 1 ] && verbose=(--echo)
t0=$(date +%s.%N)
"$lib/qemu-run" --log "$run/console.log" --end LANE-HOST-DONE --timeout "$TOTAL" \
	--silence "$SILENCE" --retries 1 --timeout-fails "${verbose[@]}" -- \
	qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-nic none -kernel "$LANE_X86_VMLINUX" -initrd "$run/host.cpio" -append "$HOST_APPEND" \
	2>"$run/qemu-run.log"
qrc=$?
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rm -f "$run/host.cpio"
cat "$run/qemu-run.log"
tr -d '\r' <"$run/console.log" >"$run/console.txt"
log=$run/console.txt
retried=
grep -q 'qemu-run: RETRIED' "$run/qemu-run.log" && retried=1
[ -n "$retried" ] && echo "NOTE: the emulated host hung once and was booted again (a known fault of nested SVM under TCG, about 1 boot in 25)"

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

# --- the verdict ----------------------------------------------------------------------------------
bad=0
echo "$CASES" >"$run/cases"
"$lib/lane-verdict" "$log" "$run/cases" "$CASE_TIMEOUT" || bad=1
if [ $qrc -ne 0 ]; then
	echo "host console (tail):"
	grep -v -e '^LANE-STDERR' -e '^LANE-GUEST' "$log" | tail -n 25 | sed 's/^/  /'
	fail "the emulated host did not finish its run (logs: $run)"
fi
[ $bad -eq 0 ] || fail "some nested guests did not boot (logs: $run)"
echo "PASS: $(echo "$CASES" | wc -l) nested Linux guests booted${retried:+ (after one retry of the emulated host)}"
