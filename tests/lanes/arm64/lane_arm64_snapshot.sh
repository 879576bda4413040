#!/usr/bin/env bash
# lane_arm64_snapshot.sh: snapshot and restore of a running arm64 Linux guest on real KVM (in lane_arm64.sh's emulated arm64 host: QEMU TCG, virtualization=on, GICv3); the host's /lane/run is snapshot-run.sh.
# Case ticks: Debian's arm64 kernel on 2 vCPUs printing "tick N TIME" every 0.5 s (the x86 lane's
# ticks-init.sh: busybox only, arch-neutral) is paused, snapshotted, killed with -9, and after a blackout
# of BLACKOUT s restored twice from the file, `--clock catch-up` and `--clock freeze`, each to the
# guest's power-off. Checked: each restore exits 0, and the log at the pause followed by the restore's
# log holds ticks 0..K-1 once each, in order; the guest's date steps across the restore by the
# blackout minivmm logged (catch-up) or by no more than its usual interval (freeze); the vGIC state
# read back right after the restore (before the first KVM_RUN) equals the saved one (minivmm's
# "vGIC state read back" line), and each vCPU's GIC CPU interface (ICH_VMCR_EL2 dump) is the same at
# the save, after the restore, and in a second snapshot taken of the restored VM as soon as it runs.
# Case its: the same kernel with --irqchip gicv3-its --pmu and a virtio-blk disk on virtio-pci (the virtio
# lane's guest modules, tests/lanes/arm64/prepare-virtio), init its-init.sh: a disk block written and read
# back every 0.5 s, each line with the ITS-MSI interrupt count; snapshotted while running (no pause
# before), killed with -9, restored (--irqchip gicv3 refused first). Checked: the guest sees a PMU and
# only ITS-MSI virtio interrupts; the snapshot and the restore succeed; minivmm's read-back of the vGIC,
# the ITS and the PMU registers after the restore equals the saved state; the restored guest carries on
# from a tick after tick 4 to its power-off with every disk I/O correct and the ITS-MSI count rising at
# every tick.
# Exit status: 0 pass, 1 fail, 77 skip (as lane_arm64.sh: only outside CI when qemu-system-aarch64,
# the cross build or the Debian packages cannot be had).
# Environment: CI, MINIVMM_CACHE, MINIVMM_ARM64, LANE_VERBOSE=1, LANE_ARM64_SNAP_BLACKOUT (3),
# LANE_ARM64_SNAP_TIMEOUT (total limit of the host's boot, 300 s), LANE_ARM64_SILENCE (30).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
lib=$(cd "$here/../lib" && pwd)
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/arm64

GUEST_APPEND=quiet
GUEST_MEM=256M
TICKS=12 # the pause comes after tick 3
ITS_TICKS=12 # the snapshot comes after tick 4
TICKS_CPUS=2
BLACKOUT=${LANE_ARM64_SNAP_BLACKOUT:-3}
CASE_TIMEOUT=90
SILENCE=${LANE_ARM64_SILENCE:-30}
TOTAL=${LANE_ARM64_SNAP_TIMEOUT:-300}
HOST_APPEND="console=ttyAMA0 panic=-1 quiet"
QEMU=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on
      -smp 2 -m 1024 -nographic -no-reboot -nic none)

# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$lib/lane-common.sh"

command -v qemu-system-aarch64 >/dev/null ||
	lane_skip_or_fail "qemu-system-aarch64 is not installed (run lane_arm64.sh once, or apt-get install qemu-system-arm)"
command -v cpio >/dev/null || lane_skip_or_fail "cpio is not installed"
lane_cross_minivmm arm64 "${MINIVMM_ARM64:-}" "cross compiler or the target's libraries missing?"
lane_prepare "the lane's kernel, busybox or initramfs could not be prepared (tests/lanes/arm64/prepare)"
lane_prepare_virtio "the guest's virtio modules could not be prepared (tests/lanes/arm64/prepare-virtio)"

# --- the per-run archive -----------------------------------------------------------------------------
run=$C/last-run-snapshot # kept for a look after the run; replaced by the next one
rm -rf "$run"
mkdir -p "$run/extra/lane" "$run/ticks" "$run/its"
install -m 0755 "$minivmm" "$run/extra/minivmm"
install -m 0755 "$here/snapshot-run.sh" "$run/extra/lane/run"
install -m 0644 "$here/../lib/snap-host.sh" "$run/extra/lane/snap-host.sh"
# The guest's initramfs: the lane's, plus a second archive with /ticks-init (Linux unpacks both).
install -m 0755 "$here/../x86/ticks-init.sh" "$run/ticks/ticks-init"
"$lib/mkcpio" "$run/ticks" "$run/ticks.cpio" || lane_fail "cannot build the ticks archive"
cat "$LANE_ARM64_GUEST_INITRD" "$run/ticks.cpio" >"$run/extra/lane/ticks-initrd.cpio"
# The ITS case's /its-init, appended in the host to the virtio lanes' guest initramfs
# (/lane/virtio-initrd.cpio of $LANE_ARM64_VIRTIO_EXTRA: busybox, /lib/modules/virtio).
install -m 0755 "$here/its-init.sh" "$run/its/its-init"
"$lib/mkcpio" "$run/its" "$run/extra/lane/its-init.cpio" || lane_fail "cannot build the its-init archive"
cat >"$run/extra/lane/config" <<EOT
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
TICKS='$TICKS'
TICKS_CPUS='$TICKS_CPUS'
BLACKOUT='$BLACKOUT'
CASE_TIMEOUT='$CASE_TIMEOUT'
ITS_TICKS='$ITS_TICKS'
EOT
"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || lane_fail "cannot build the per-run archive"
cat "$LANE_ARM64_HOST_BASE" "$LANE_ARM64_VIRTIO_EXTRA" "$run/extra.cpio" >"$run/host.cpio"
rm -rf "$run/extra" "$run/extra.cpio" "$run/ticks" "$run/ticks.cpio" "$run/its"

# --- one boot of the emulated host ------------------------------------------------------------------
echo "kernel: $LANE_ARM64_KPKG; minivmm: $minivmm; prepare: ${prep_s} s; blackout: ${BLACKOUT} s"
lane_boot_host -- "${QEMU[@]}" -kernel "$LANE_ARM64_IMAGE" -initrd "$run/host.cpio" -append "$HOST_APPEND"
echo "emulated host: $(grep -m1 'LANE-SNAP-INFO host' "$log" | cut -d' ' -f3-)"
if ! grep -q LANE-SNAP-DONE "$log"; then
	grep -v '^LANE-SNAP-LOG' "$log" | tail -n 30 | sed 's/^/  /'
	lane_fail "the emulated host did not finish the snapshot case (logs: $run)"
fi
mkdir -p "$run/ticks"
mkdir -p "$run/its"
awk -v d="$run" '$1 == "LANE-SNAP-LOG" && ($2 == "ticks" || $2 == "its") {
	f = $3; sub(/\|$/, "", f); line = $0; sub(/^[^|]*\| ?/, "", line); print line > (d "/" $2 "/" f) }' "$log"
R=$run/ticks

bad=0
check() { # check NAME OK DETAIL: one verdict line
	if [ "$2" = 1 ]; then printf '  ok    %-30s %s\n' "$1" "$3"
	else printf '  FAIL  %-30s %s\n' "$1" "$3"; bad=1; fi
}
tail_of() { echo "  --- $1 (tail):"; tail -n 12 "$R/$1" 2>/dev/null | sed 's/^/    /'; }
rcof() { sed -n "s/^LANE-SNAP-RC ticks $1 rc=\([0-9]*\).*/\1/p" "$log" | head -n 1; }
# vmcrs FILE WHEN: the "WHEN: vCPU N: GIC CPU interface: VMCR 0x..." lines of a log (WHEN is
# snapshot or restore), as "vCPU N VMCR 0x...": what must not change.
vmcrs() { sed -n "s/.*$2: \(vCPU [0-9]*\): GIC CPU interface: \(VMCR [0-9a-fx?]*\).*/\1 \2/p" "$R/$1" 2>/dev/null; }
# span A B: B - A in seconds (0 when either is missing).
span() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { printf "%.3f", (a > 0 && b > 0) ? b - a : 0 }'; }

echo "case ticks: Linux guest, $TICKS_CPUS vCPUs, $TICKS ticks; pause, snapshot, kill -9, ${BLACKOUT} s, restore x2"
if ! grep -q '^LANE-SNAP-INFO ticks ready' "$log"; then
	check ticks-boot 0 "the guest never printed tick 3"
	tail_of ticks.run.serial
	tail_of ticks.run.err
	lane_fail "the arm64 guest did not boot (logs: $run)"
fi
echo "  guest: $(grep -m1 MINIVMM-LANE-TICKS "$R/ticks.run.serial")"
nl=$(sed -n 's/.*ticks atpause_lines=\([0-9]*\).*/\1/p' "$log" | head -n 1)
snaprc=$(sed -n 's/^LANE-SNAP-INFO ticks snapshot-end file=ticks .* rc=\([0-9]*\).*/\1/p' "$log" | head -n 1)
check ticks-snapshot "$([ "$snaprc" = 0 ] && echo 1)" \
	"pause + snapshot: status ${snaprc:-none}; $(grep -h -m1 'snapshot saved' "$R/ticks.run.err" | sed 's/^minivmm: [a-z]*: //')"
[ "$snaprc" = 0 ] || { tail_of ticks.run.err; tail_of ticks.snap.err; }
saved_vmcr=$(vmcrs ticks.run.err snapshot | head -n "$TICKS_CPUS" | tr '\n' ';')
# The guest's counter runs on while it is paused: from the pause to the save's counter read (at the
# end of the snapshot) it advances in both modes; the second snapshot pauses the catch-up guest again.
paused=$(sed -n 's/^LANE-SNAP-INFO ticks paused wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)
pre=$(span "$paused" "$(sed -n 's/^LANE-SNAP-INFO ticks snapshot-end file=ticks wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)")
again_s=$(span "$(sed -n 's/^LANE-SNAP-INFO again snapshot-start file=again wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)" \
	"$(sed -n 's/^LANE-SNAP-INFO again snapshot-end file=again wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)")
echo "  pause to the end of the snapshot: ${pre} s; the second snapshot paused the catch-up guest ${again_s} s"
for t in r1 r2; do
	if [ $t = r1 ]; then mode=catch-up; else mode=freeze; fi
	rc=$(rcof $t)
	check "$mode-exit" "$([ "$rc" = 0 ] && echo 1)" "restore exit status ${rc:-none}"
	[ "$rc" = 0 ] || { tail_of ticks.$t.err; tail_of ticks.$t.joined; }
	cl=$(grep -h -m1 'restore: clock' "$R/ticks.$t.err" 2>/dev/null)
	bo=$(echo "$cl" | sed -n 's/.*restore: clock [a-z-]*: blackout \([0-9.-]*\) s.*/\1/p')
	cl=${cl#minivmm: }
	check "$mode-blackout-logged" "$([ -n "$bo" ] && echo 1)" "${cl:-no 'restore: clock' line}"
	rb=$(grep -h -m1 'vGIC state read back' "$R/ticks.$t.err" 2>/dev/null | sed 's/^minivmm: [a-z]*: //')
	check "$mode-vgic-read-back" "$(echo "$rb" | grep -q 'equal the saved state' && echo 1)" \
		"${rb:-no read-back line}"
	grep -h 'vGIC read-back:' "$R/ticks.$t.err" 2>/dev/null | head -n 8 | sed 's/^/    /'
	got=$(vmcrs ticks.$t.err restore | tr '\n' ';')
	check "$mode-gic-cpu-if" "$([ -n "$saved_vmcr" ] && [ "$got" = "$saved_vmcr" ] && echo 1)" \
		"saved: ${saved_vmcr:-none}  after restore: ${got:-none}"
	extra=0
	[ $t = r1 ] && extra=$again_s
	res=$(awk -v K="$TICKS" -v nl="${nl:-0}" -v B="${bo:-0}" -v mode=$mode -v P="$pre" -v X="$extra" '
		{ line = NR - 1 }
		/^tick [0-9]+ [0-9]+\.[0-9]+$/ { n++; num[n] = $2; tm[n] = $3; at[n] = line; next }
		/^tick / { broken++ }
		/MINIVMM-LANE-TICKS-DONE/ { done = 1 }
		END {
			seq = (n == K); for (i = 1; i <= n; i++) if (num[i] != i - 1) seq = 0
			for (i = 2; i <= n; i++) {
				st = tm[i] - tm[i - 1]
				if (at[i] < nl) { if (st > mx) mx = st; np++ }
				else if (!first) first = i
			}
			J = (first >= 2) ? tm[first] - tm[first - 1] : 0
			other = 0
			for (i = first + 1; first >= 2 && i <= n; i++)
				if (tm[i] - tm[i - 1] > other) other = tm[i] - tm[i - 1]
			if (mode == "catch-up") ok = (J >= B - 0.05 && J <= B + P + mx + 1.0)
			else ok = (J <= P + mx + 1.0)
			ok = ok && other <= mx + X + 1.0 && np >= 2 && first >= 2
			printf "%d %d %d %d %.3f %.3f %.3f %d %d\n", seq, done, n, broken, J, mx, other, ok,
				(first ? num[first] : -1)
		}' "$R/ticks.$t.joined" 2>/dev/null)
	read -r seq done n broken J mx other ok ft <<<"${res:-0 0 0 0 0 0 0 0 -1}"
	check "$mode-sequence" "$([ "$seq" = 1 ] && [ "$done" = 1 ] && echo 1)" \
		"ticks 0..$((TICKS - 1)) once each in order: $n tick lines (${broken:-0} broken), first after the pause: tick $ft, done marker: $done"
	if [ $mode = catch-up ]; then want="in [blackout ${bo:-?} - 0.05, blackout + pause-to-save $pre + max interval $mx + 1.0] s"
	else want="at most pause-to-save $pre + max interval $mx + 1.0 s"; fi
	check "$mode-date-step" "$ok" \
		"guest date step across the restore (into tick $ft): $J s, $want; largest later step $other s"
	[ "$seq" = 1 ] && [ "$ok" = 1 ] || tail_of ticks.$t.joined
done
# The second snapshot, of the restored (catch-up) VM once it printed a tick.
again=$(vmcrs ticks.r1.err snapshot | tr '\n' ';')
arc=$(sed -n 's/^LANE-SNAP-INFO again snapshot-end file=again .* rc=\([0-9]*\).*/\1/p' "$log" | head -n 1)
check resnapshot-gic-cpu-if "$([ "$arc" = 0 ] && echo 1)" \
	"snapshot of the restored VM: status ${arc:-none}; its GIC CPU interfaces: ${again:-none} ($([ "$again" = "$saved_vmcr" ] && echo "same as the first snapshot" || echo "the guest moved on: informational"))"

# --- case its ---------------------------------------------------------------------------------------
I=$run/its
itail() { echo "  --- $1 (tail):"; tail -n 12 "$I/$1" 2>/dev/null | sed 's/^/    /'; }
echo "case its: --irqchip gicv3-its --pmu, virtio-blk on virtio-pci, $TICKS_CPUS vCPUs, $ITS_TICKS ticks; snapshot while running, kill -9, restore"
boot=$(grep -h -m1 '^MINIVMM-LANE-ITS' "$I/its.run.serial" 2>/dev/null)
check its-boot "$(echo "$boot" | grep -q 'pmu=armv8_pmuv3.* virtio_irqs=[1-9][0-9]* not_its=0 ' && echo 1)" \
	"guest: ${boot:-no MINIVMM-LANE-ITS line} (a PMU, every virtio interrupt ITS-MSI)"
[ -n "$boot" ] || { itail its.run.serial; itail its.run.err; }
src=$(sed -n 's/^LANE-SNAP-INFO its snapshot-end file=its .* rc=\([0-9]*\).*/\1/p' "$log" | head -n 1)
ss=$(span "$(sed -n 's/^LANE-SNAP-INFO its snapshot-start file=its wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)" \
	"$(sed -n 's/^LANE-SNAP-INFO its snapshot-end file=its wall=\([0-9.]*\).*/\1/p' "$log" | head -n 1)")
check its-snapshot "$([ "$src" = 0 ] && echo 1)" \
	"snapshot of the running VM: status ${src:-none}, ${ss} s; $(grep -h -m1 'snapshot: ITS' "$I/its.run.err" 2>/dev/null | sed 's/^minivmm: [a-z]*: //')"
[ "$src" = 0 ] || { itail its.run.err; itail its.snap.err; }
wrc=$(sed -n 's/^LANE-SNAP-RC its wrong-irqchip rc=\([0-9]*\).*/\1/p' "$log" | head -n 1)
check its-restore-wrong-irqchip "$([ "$wrc" = 64 ] && grep -q -- '--irqchip gicv3' "$I/its.bad.err" 2>/dev/null && echo 1)" \
	"restore --irqchip gicv3: status ${wrc:-none}: $(head -n 1 "$I/its.bad.err" 2>/dev/null)"
irc=$(sed -n 's/^LANE-SNAP-RC its r1 rc=\([0-9]*\).*/\1/p' "$log" | head -n 1)
check its-restore-exit "$([ "$irc" = 0 ] && echo 1)" "restore exit status ${irc:-none}"
# An irqfd KVM refuses (or any other error) would leave MSIs on a slower path or lose them.
errs=$(grep -c -e 'error:' -e 'warning:' "$I/its.r1.err" 2>/dev/null)
check its-restore-clean "$([ "${errs:-x}" = 0 ] && echo 1)" \
	"the restore logged ${errs:-?} errors or warnings$([ "${errs:-0}" != 0 ] && echo ": $(grep -m1 -e 'error:' -e 'warning:' "$I/its.r1.err")")"
[ "$irc" = 0 ] || { itail its.r1.err; itail its.r1.serial; }
for what in vGIC ITS PMU; do
	case $what in
	vGIC) pat='vGIC state read back' ;;
	ITS) pat='ITS state read back' ;;
	PMU) pat='PMU registers read back' ;;
	esac
	rb=$(grep -h -m1 "$pat" "$I/its.r1.err" 2>/dev/null | sed 's/^minivmm: [a-z]*: //')
	check "its-$what-read-back" "$(echo "$rb" | grep -q 'equal the saved' && echo 1)" "${rb:-no read-back line}"
done
grep -h -e 'ITS read-back:' -e 'PMU read-back:' -e 'vGIC read-back:' "$I/its.r1.err" 2>/dev/null |
	head -n 8 | sed 's/^/    /'
res=$(tr -d '\r' <"$I/its.r1.serial" 2>/dev/null | awk -v K="$ITS_TICKS" '
	/^tick [0-9]+ [0-9.]+ io=[a-z]+ msi=[0-9]+$/ {
		n++; t = $2 + 0; io = $4; m = $5; sub(/msi=/, "", m); m += 0
		if (n == 1) first = t
		else if (t != prev + 1) seq = 1
		if (io != "io=ok") badio++
		if (n > 1 && m <= pm) flat++
		if (n == 1) m0 = m
		prev = t; pm = m; next }
	/^tick / { broken++ }
	/MINIVMM-LANE-TICKS-DONE/ { done = 1 }
	END { printf "%d %d %d %d %d %d %d %d %d\n", n, first, prev, seq, badio, flat, broken, done, (n ? pm - m0 : 0) }')
read -r n first last seqbad badio flat broken fin rise <<<"${res:-0 0 0 1 0 0 0 0 0}"
check its-guest-carries-on "$([ "$n" -ge 2 ] && [ "$first" -ge 5 ] && [ "$last" = $((ITS_TICKS - 1)) ] &&
	[ "$seqbad" = 0 ] && [ "$broken" = 0 ] && [ "$fin" = 1 ] && echo 1)" \
	"after the restore: ticks $first..$last in order ($n lines, $broken broken), done marker: $fin"
check its-msi-after-restore "$([ "$n" -ge 2 ] && [ "$badio" = 0 ] && [ "$flat" = 0 ] && echo 1)" \
	"disk write+read-back ok on every tick after the restore ($badio bad); ITS-MSI count rose at each of them (by $rise in all; $flat ticks without a new one)"
[ "$n" -ge 2 ] && [ "$badio" = 0 ] && [ "$flat" = 0 ] || itail its.r1.serial

if [ $qrc -ne 0 ]; then
	grep -v -e '^LANE-SNAP-LOG' "$log" | tail -n 25 | sed 's/^/  /'
	lane_fail "the emulated host did not finish its run (logs: $run)"
fi
[ $bad -eq 0 ] || lane_fail "arm64 snapshot/restore checks failed (logs: $run)"
echo "PASS: an arm64 Linux guest snapshotted, killed and restored (catch-up and freeze); with an ITS and a PMU, snapshotted while running and restored, its virtio-pci disk still taking ITS-MSI interrupts"
