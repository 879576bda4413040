#!/usr/bin/env bash
# lane_x86_snapshot.sh: snapshot and restore of running guests on real KVM, and what the restore does
# to their clocks. Runs in the emulated x86 host of lane_x86.sh (QEMU TCG, kvm-amd, nested SVM); the
# host's /lane/run is snapshot-run.sh. Two cases, each: run with --name, snapshot, kill -9, a
# blackout of BLACKOUT s, then `minivmm restore --clock catch-up` and, from the same file,
# `--clock freeze`, each run to the guest's power-off (status 0):
#   ticks  a Linux guest (the lane's kernel; ticks-init.sh prints "tick N TIME" every 0.5 s) with a
#          virtio-blk disk (PCI) it writes each tick to (sector N, fsynced), paused before the
#          snapshot so that the serial log at the pause is exactly what the saved guest had printed.
#          The disk is copied after the kill and put back before each restore. Checked: the log at
#          the pause followed by each restore's log holds ticks 0..K-1 once each, in order; the disk
#          at the save holds the ticks printed by then, and after each restore all K; across the
#          restore the guest's date steps by the blackout minivmm logged (catch-up) or by no more
#          than its usual interval (freeze).
#   clock  tests/guest/clockguest.c on 2 vCPUs: every vCPU reads kvmclock and the TSC back to back;
#          the BSP times host second boundaries (minivmm's CMOS RTC reads the host's clock), and the
#          two vCPUs measure their TSC and kvmclock against each other. Checked: the jump of the
#          guest's kvmclock and TSC across the restore (the change of their offset from host wall
#          time, plus the wall time since the save) equals minivmm's logged blackout within 50 ms
#          (catch-up: the wall time; freeze: about 0), which itself agrees with the host's clock
#          around the steps; minivmm applied the same TSC offset change to every vCPU; no vCPU saw
#          its clocks go backwards; after the restore every measured skew interval between the vCPUs
#          admits |skew| <= 1 us; every vCPU's status lines continue with no repeat or gap.
# The vCPUs' own steps between reads are not used for the jump: the emulated host deschedules a
# vCPU for up to a second now and then, which such a step cannot tell from the restore.
# Exit status: 0 pass, 1 fail, 77 skip (only when qemu-system-x86_64 cannot be installed, or, outside
# CI, when minivmm.static, the clock guest or the lane's kernel cannot be had; CI=true: those fail).
# Environment: CI, MINIVMM_STATIC, MINIVMM_CACHE, LANE_VERBOSE=1, LANE_X86_SNAP_BLACKOUT (3),
# LANE_X86_SNAP_TIMEOUT (total limit of the host's boot, 420 s), LANE_X86_SILENCE (30),
# LANE_X86_SNAP_HOST_APPEND (the emulated host's command line; see HOST_APPEND below).
set -u
# Nested SVM under TCG is not fully reliable (the emulated host hangs about once in 25 boots, and
# under heavy load no RTC edge may be timed after a restore). One failed run is therefore run once
# more, loudly: the failed checks of the first run are repeated below "RETRYING" so they are never
# hidden, and only a second failure fails the lane.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lane-common.sh
. "$here/../lib/lane-common.sh"
[ -n "${LANE_INNER:-}" ] || lane_retry_once checks '  FAIL  ' "$0" "$@"
lib=$here/../lib
C=${MINIVMM_CACHE:-$HOME/.cache/minivmm}/lanes/x86

# Guest command line as lane_x86.sh's (see there for each item).
GUEST_APPEND="console=ttyS0 quiet panic=-1 pci=noearly"
GUEST_MEM=256M
TICKS=12       # the Linux guest's ticks; the pause comes after tick 3
TICKS_CPUS=2
CLOCK_TICKS=20 # the clock guest's status lines (0.5 s each); the snapshot after its 5th RTC edge
CLOCK_CPUS=2
BLACKOUT=${LANE_X86_SNAP_BLACKOUT:-3}
CASE_TIMEOUT=90
SILENCE=${LANE_X86_SILENCE:-30}
TOTAL=${LANE_X86_SNAP_TIMEOUT:-420}
TOL_S=0.050 # the clock case's tolerance, seconds
EDGE_W_NS=5000000 # RTC edges bracketed more loosely than 5 ms are not used (a tight one is ~0.8 ms)
SKEW_NS=1000
# tsc=reliable: QEMU's TCG CPU has no invariant TSC, and an AMD CPU with several sockets' worth of
# CPUs gets its TSC marked unstable, so the host's clocksource is hpet; KVM then keeps no master clock
# and KVM_GET_CLOCK gives no CLOCK_REALTIME/HOST_TSC, and a catch-up restore falls back to resuming
# the clock from its saved value (minivmm warns). Measured: with tsc=reliable the host runs on tsc
# and minivmm takes the documented KVM_CLOCK_REALTIME + KVM_VCPU_TSC_OFFSET path.
HOST_APPEND=${LANE_X86_SNAP_HOST_APPEND:-console=ttyS0 quiet panic=-1 tsc=reliable}

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
missing() { if [ "${CI:-}" = true ]; then fail "$*"; else skip "$*"; fi; }

# --- tools and artefacts --------------------------------------------------------------------------
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

minivmm=${MINIVMM_STATIC:-$repo/minivmm.static}
if [ ! -x "$minivmm" ] && [ -z "${MINIVMM_STATIC:-}" ]; then
	echo "building minivmm.static"
	make -s -C "$repo" static >/dev/null 2>&1
fi
[ -x "$minivmm" ] || missing "minivmm.static is not built and 'make static' failed"
B=${B:-build}
case $B in /*) clockguest=$B/guest/clockguest.bzimage ;; *) clockguest=$repo/$B/guest/clockguest.bzimage ;; esac
make -s -C "$repo" B="$B" "$B/guest/clockguest.bzimage" >/dev/null 2>&1
[ -f "$clockguest" ] || missing "the clock guest ($B/guest/clockguest.bzimage) cannot be built"

mkdir -p "$C"
"$here/prepare" >/dev/null 2>"$C/prepare.log" || {
	cat "$C/prepare.log"
	missing "the lane's kernel, modules or initramfs could not be prepared (tests/lanes/x86/prepare)"
}
# shellcheck source=/dev/null
. "$C/artefacts.env"
# The virtio modules (tests/lanes/x86/prepare-virtio): the ticks guest loads virtio-pci and virtio-blk.
"$here/prepare-virtio" >/dev/null 2>"$C/prepare-virtio-snapshot.log" || {
	cat "$C/prepare-virtio-snapshot.log"
	missing "the nested guest's virtio modules could not be prepared (tests/lanes/x86/prepare-virtio)"
}
vmods=$(dirname "$LANE_X86_VMLINUX")/virtio/guest

# --- the per-run archive -----------------------------------------------------------------------------
run=$C/last-run-snapshot # kept for a look after the run; replaced by the next one
rm -rf "$run"
mkdir -p "$run/extra/lane" "$run/ticks"
install -m 0755 "$minivmm" "$run/extra/minivmm"
install -m 0755 "$here/snapshot-run.sh" "$run/extra/lane/run"
install -m 0644 "$here/../lib/snap-host.sh" "$run/extra/lane/snap-host.sh"
install -m 0644 "$clockguest" "$run/extra/lane/clockguest.bzimage"
# The Linux guest's initramfs: the lane's, plus a second archive with /ticks-init (Linux unpacks both).
install -m 0755 "$here/ticks-init.sh" "$run/ticks/ticks-init"
mkdir -p "$run/ticks/lib/modules/ticks"
grep -E '^virtio(_ring|_pci[a-z_]*|_blk)?$' "$vmods/order" >"$run/ticks/lib/modules/ticks/order" ||
	fail "no virtio modules in $vmods/order"
while read -r m; do cp "$vmods/$m.ko" "$run/ticks/lib/modules/ticks/"; done <"$run/ticks/lib/modules/ticks/order"
"$lib/mkcpio" "$run/ticks" "$run/ticks.cpio" || fail "cannot build the ticks archive"
cat "$LANE_X86_GUEST_INITRD" "$run/ticks.cpio" >"$run/extra/lane/ticks-initrd.cpio"
cat >"$run/extra/lane/config" <<EOF
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
TICKS='$TICKS'
TICKS_CPUS='$TICKS_CPUS'
CLOCK_TICKS='$CLOCK_TICKS'
CLOCK_CPUS='$CLOCK_CPUS'
BLACKOUT='$BLACKOUT'
CASE_TIMEOUT='$CASE_TIMEOUT'
EOF
"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || fail "cannot build the per-run archive"
cat "$LANE_X86_HOST_BASE" "$run/extra.cpio" >"$run/host.cpio"
rm -rf "$run/extra" "$run/extra.cpio" "$run/ticks" "$run/ticks.cpio"

# --- one boot of the emulated host ------------------------------------------------------------------
echo "kernel: $LANE_X86_KPKG; minivmm: $minivmm; blackout: ${BLACKOUT} s"
echo "host: qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048, append: $HOST_APPEND"
verbose=()
[ "${LANE_VERBOSE:-}" = 1 ] && verbose=(--echo)
t0=$(date +%s.%N)
"$lib/qemu-run" --log "$run/console.log" --end LANE-HOST-DONE --timeout "$TOTAL" \
	--silence "$SILENCE" --retries "${LANE_HANG_RETRIES:-2}" --timeout-fails "${verbose[@]}" -- \
	qemu-system-x86_64 -accel tcg -M q35 -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-nic none -kernel "$LANE_X86_VMLINUX" -initrd "$run/host.cpio" -append "$HOST_APPEND" \
	2>"$run/qemu-run.log"
qrc=$?
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rm -f "$run/host.cpio"
cat "$run/qemu-run.log"
tr -d '\r' <"$run/console.log" >"$run/console.txt"
log=$run/console.txt
grep -q 'qemu-run: RETRIED' "$run/qemu-run.log" &&
	echo "NOTE: the emulated host hung once and was booted again (see lane_x86's README, Reliability)"
if [ $qrc -eq 2 ]; then
	tail -n 30 "$log"
	fail "the emulated host hung on both boots (logs: $run)"
fi
kvm=$(sed -n 's/.*LANE-HOST-KVM \([a-z]*\).*/\1/p' "$log" | head -n 1)
echo "emulated host: /dev/kvm ${kvm:-?}, whole boot ${wall} s wall; $(grep -m1 'LANE-SNAP-INFO host' "$log" | cut -d' ' -f3-)"
if [ "$kvm" != ok ]; then
	tail -n 40 "$log"
	fail "the emulated host has no /dev/kvm (logs: $run)"
fi
if ! grep -q LANE-SNAP-DONE "$log"; then
	grep -v '^LANE-SNAP-LOG' "$log" | tail -n 30 | sed 's/^/  /'
	fail "the emulated host did not finish the snapshot cases (logs: $run)"
fi

# Each dumped file back into $run/CASE/FILE.
for c in ticks clock; do
	mkdir -p "$run/$c"
	awk -v c="$c" -v d="$run/$c" '$1 == "LANE-SNAP-LOG" && $2 == c {
		f = $3; sub(/\|$/, "", f); line = $0; sub(/^[^|]*\| ?/, "", line)
		print line > (d "/" f) }' "$log"
done

bad=0
check() { # check NAME OK DETAIL: one verdict line
	if [ "$2" = 1 ]; then printf '  ok    %-34s %s\n' "$1" "$3"
	else printf '  FAIL  %-34s %s\n' "$1" "$3"; bad=1; fi
}
rcof() { sed -n "s/^LANE-SNAP-RC $1 $2 rc=\([0-9]*\).*/\1/p" "$log" | head -n 1; }
infoof() { grep -m1 "^LANE-SNAP-INFO $1 $2" "$log"; }
# blackout CASE TAG: what minivmm logged it accounted ("restore: clock MODE: blackout X s")
blackout() { sed -n 's/.*restore: clock [a-z-]*: blackout \([0-9.-]*\) s.*/\1/p' "$run/$1/$1.$2.err" 2>/dev/null | head -n 1; }
fallback() { grep -h -e 'through IA32_TSC' -e 'downtime not counted' "$run/$1/$1.$2.err" 2>/dev/null | head -n 1; }
# host_wall CASE TAG MODE B: minivmm's logged blackout (catch-up) or wall time since the save (freeze,
# whose blackout must be under 50 ms) against the emulated host's own clock around the steps: at
# least from the end of `minivmm snapshot` to the start of `minivmm restore`, at most from the start
# of the snapshot to 2 s after the start of the restore (the restore sets the clock after loading).
host_wall() {
	local x y z w
	x=$(infoof "$1" snapshot-start | sed -n 's/.* wall=\([0-9.]*\).*/\1/p')
	y=$(infoof "$1" snapshot-end | sed -n 's/.* wall=\([0-9.]*\).*/\1/p')
	z=$(infoof "$1" "$2 start" | sed -n 's/.* wall=\([0-9.]*\).*/\1/p')
	w=$(grep -h -m1 'restore: clock' "$run/$1/$1.$2.err" 2>/dev/null | sed -n 's/.*wall time since the save \([0-9.-]*\) s.*/\1/p')
	awk -v x="${x:-0}" -v y="${y:-0}" -v z="${z:-0}" -v b="${4:-0}" -v w="${w:-}" -v mode="$3" 'BEGIN {
		lo = z - y - 0.05; hi = z - x + 2.0
		v = (mode == "catch-up") ? b : w
		ok = (x > 0 && y > 0 && z > 0 && v != "" && v >= lo && v <= hi)
		if (mode == "freeze") ok = ok && b < 0.05 && b > -0.05
		printf "%d %s host: %.3f..%.3f s\n", ok, (mode == "catch-up" ? "blackout " b : "wall time since the save " (w == "" ? "?" : w) " s, blackout " b), lo, hi }'
}
tail_of() { # tail_of CASE FILE: the end of a dumped file, for a failure
	echo "  --- $2 (tail):"
	tail -n 12 "$run/$1/$2" 2>/dev/null | sed 's/^/    /'
}

# clock_lost_state ERRFILE: the clock guest runs identity-mapped below 16 MiB on the page tables
# minivmm built for it, so a vCPU that minivmm's --timeout dump shows at a rip in the upper half
# holds the emulated host's state, not the guest's (minivmm writes registers only at boot and at a
# restore): says so (tests/lanes/x86/README.md, Reliability).
clock_lost_state() {
	awk '/minivmm: error: vCPU [0-9]+: rip / { v = $4; sub(":", "", v); rip[v] = $6 }
	/minivmm: error: vCPU [0-9]+: cs / { v = $4; sub(":", "", v)
		for (i = 1; i < NF; i++) if ($i == "cr3") cr3[v] = $(i + 1) }
	END { for (v in rip) if (length(rip[v]) == 16 && substr(rip[v], 1, 1) == "f")
		printf "  (the emulated host'"'"'s fault, not minivmm'"'"'s: vCPU %s of the clock guest stood at rip 0x%s, CR3 0x%s, in the emulated host'"'"'s kernel; see tests/lanes/x86/README.md, Reliability)\n", v, rip[v], cr3[v] }' "$1" 2>/dev/null
}

# --- ticks ---------------------------------------------------------------------------------------------
echo "case ticks: Linux guest, $TICKS_CPUS vCPUs, $TICKS ticks; pause, snapshot, kill -9, ${BLACKOUT} s, restore x2"
if [ -z "$(infoof ticks ready)" ]; then
	check ticks-boot 0 "the guest never printed tick 3"
	tail_of ticks ticks.run.serial
	tail_of ticks ticks.run.err
else
	nl=$(sed -n 's/.*ticks atpause_lines=\([0-9]*\).*/\1/p' "$log" | head -n 1)
	src=$(grep -m1 MINIVMM-LANE-TICKS "$run/ticks/ticks.run.serial" 2>/dev/null)
	echo "  guest: ${src:-?}"
	snaprc=$(infoof ticks snapshot-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
	check ticks-snapshot "$([ "$snaprc" = 0 ] && echo 1)" "minivmm pause + snapshot: status ${snaprc:-none}"
	for t in r1 r2; do
		if [ $t = r1 ]; then mode=catch-up; else mode=freeze; fi
		rc=$(rcof ticks $t)
		bo=$(blackout ticks $t)
		fb=$(fallback ticks $t)
		check "ticks-$mode-exit" "$([ "$rc" = 0 ] && echo 1)" \
			"restore exit status ${rc:-none}${fb:+; $fb}"
		[ "$rc" = 0 ] || { tail_of ticks ticks.$t.err; tail_of ticks ticks.$t.joined; }
		check "ticks-$mode-blackout-logged" "$([ -n "$bo" ] && [ -z "$fb" ] && echo 1)" \
			"minivmm: blackout ${bo:-(no line)} s$(grep -h -m1 'restore: clock' "$run/ticks/ticks.$t.err" | sed -n 's/.*(kvmclock [0-9]* -> [0-9]* ns; \(.*\))$/; \1/p')"
		read -r hok hdesc <<<"$(host_wall ticks $t $mode "$bo")"
		check "ticks-$mode-blackout-vs-host" "$hok" "$hdesc"
		# The log at the pause + this restore's log: ticks 0..K-1 once each, and the steps.
		res=$(awk -v K="$TICKS" -v nl="${nl:-0}" -v B="${bo:-0}" -v mode=$mode '
			function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0 }
			{ line = NR - 1 }
			/^tick [0-9]+ [0-9]+\.[0-9]+$/ { n++; num[n] = $2; tm[n] = $3; at[n] = line; next }
			/^tick / { broken++ }
			/MINIVMM-LANE-TICKS-DONE/ { done = 1 }
			END {
				seq = (n == K); for (i = 1; i <= n; i++) if (num[i] != i - 1) seq = 0
				# steps before the pause; the boundary: the first two ticks printed after it
				for (i = 2; i <= n; i++) {
					st = tm[i] - tm[i - 1]
					if (at[i] < nl) { pre[++np] = st; if (st > mx) mx = st }
					else if (!first) { first = i }
				}
				J = 0; Ji = 0
				for (i = first; i >= 2 && i <= first + 1 && i <= n; i++)
					if (tm[i] - tm[i - 1] > J) { J = tm[i] - tm[i - 1]; Ji = i }
				other = 0
				for (i = first; i >= 2 && i <= n; i++)
					if (i != Ji && tm[i] - tm[i - 1] > other) other = tm[i] - tm[i - 1]
				m = med(pre, np)
				if (mode == "catch-up") ok = (J >= B - 0.05 && J <= B + mx + 1.0)
				else ok = (J <= mx + 1.0)
				ok = ok && other <= mx + 1.0 && np >= 2 && first >= 2
				printf "%d %d %d %d %.3f %.3f %.3f %.3f %d %d %d\n", seq, done, n, broken, J, m, mx,
					other, ok, (Ji ? num[Ji] : -1), (first ? num[first] : -1)
			}' "$run/ticks/ticks.$t.joined" 2>/dev/null)
		read -r seq done n broken J m mx other ok jt ft <<<"${res:-0 0 0 0 0 0 0 0 0 -1 -1}"
		check "ticks-$mode-sequence" "$([ "$seq" = 1 ] && [ "$done" = 1 ] && echo 1)" \
			"ticks 0..$((TICKS - 1)) once each in order: $n tick lines (${broken:-0} broken), first after the pause: tick $ft, done marker: $done"
		if [ $mode = catch-up ]; then
			want="in [blackout ${bo:-?} - 0.05, blackout + max interval ${mx} + 1.0] s"
		else
			want="at most max interval ${mx} + 1.0 s"
		fi
		check "ticks-$mode-date-step" "$ok" \
			"guest date step across the restore (into tick $jt): ${J} s, $want; usual interval ${m} s, jump $(awk -v a="$J" -v b="$m" 'BEGIN { printf "%.3f", a - b }') s; largest other step ${other} s"
		[ "$seq" = 1 ] && [ "$ok" = 1 ] || tail_of ticks ticks.$t.joined
		# The disk after this restore: every tick once, in order.
		dn=$(wc -l <"$run/ticks/ticks.$t.disk" 2>/dev/null)
		dok=$(awk -v K="$TICKS" '{ if ($0 != "disk " NR - 1) bad = 1 } END { print (NR == K && !bad) ? 1 : 0 }' \
			"$run/ticks/ticks.$t.disk" 2>/dev/null)
		check "ticks-$mode-disk" "${dok:-0}" \
			"virtio-blk disk after the restore: ${dn:-0} tick records, want disk 0..$((TICKS - 1)) in sectors 0..$((TICKS - 1))"
	done
	# The disk at the save: the ticks printed before the pause (the write of the next one may
	# have completed too: it is written before its line is printed).
	sn=$(wc -l <"$run/ticks/ticks.saved.disk" 2>/dev/null)
	pt=$(tr -d '\r' <"$run/ticks/ticks.run.serial" 2>/dev/null | grep -c '^tick [0-9]')
	sok=$(awk -v P="${pt:-0}" '{ if ($0 != "disk " NR - 1) bad = 1 } END { print (!bad && P >= 4 && NR >= P && NR <= P + 1) ? 1 : 0 }' \
		"$run/ticks/ticks.saved.disk" 2>/dev/null)
	check "ticks-disk-at-save" "${sok:-0}" \
		"virtio-blk disk at the save: ${sn:-0} tick records in order; the guest had printed ${pt:-0} ticks (the disk may hold one more)"
fi

# --- clock ---------------------------------------------------------------------------------------------
echo "case clock: clockguest, $CLOCK_CPUS vCPUs; snapshot while running, kill -9, ${BLACKOUT} s, restore x2"
# clk_fields FILE: "cpu seq kvm tsc gap_kvm gap_tsc work_kvm work_tsc back skewlo skewhi kskewlo kskewhi"
clk_fields() {
	awk '/^CLK cpu=[0-9]+ seq=[0-9]+ kvm=[0-9]+ tsc=[0-9]+ gap_kvm=[0-9]+ gap_tsc=-?[0-9]+ work_kvm=[0-9]+ work_tsc=-?[0-9]+ back=[0-9]+( skew_tsc=-?[0-9]+\.\.-?[0-9]+ skew_kvm=-?[0-9]+\.\.-?[0-9]+| skew=timeout)?$/ {
		for (i = 2; i <= 10; i++) { v[i] = $i; sub(/^[a-z_]*=/, "", v[i]) }
		lo = hi = klo = khi = "-"
		if ($11 ~ /^skew_tsc=/) { s = $11; sub(/^skew_tsc=/, "", s); split(s, p, /\.\./); lo = p[1]; hi = p[2]
			s = $12; sub(/^skew_kvm=/, "", s); split(s, p, /\.\./); klo = p[1]; khi = p[2] }
		else if ($11 == "skew=timeout") lo = hi = klo = khi = "timeout"
		print v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], lo, hi, klo, khi }' "$1" 2>/dev/null
}
if [ -z "$(infoof clock ready)" ]; then
	check clock-boot 0 "the clock guest never printed its fifth RTC edge"
	tail_of clock clock.run.serial
	tail_of clock clock.run.err
else
	echo "  guest: $(grep -m1 '^clockguest:' "$run/clock/clock.run.serial")"
	snaprc=$(infoof clock snapshot-end | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
	saved=$(grep -h -m1 'snapshot saved to' "$run/clock/clock.run.err" | sed 's/^minivmm: [a-z]*: //')
	check clock-snapshot "$([ "$snaprc" = 0 ] && echo 1)" "minivmm snapshot: status ${snaprc:-none} (${saved:-no 'snapshot saved' line})"
	clk_fields "$run/clock/clock.run.serial" >"$run/clock/run.fields"
	for t in r1 r2; do
		if [ $t = r1 ]; then mode=catch-up; else mode=freeze; fi
		rc=$(rcof clock $t)
		bo=$(blackout clock $t)
		fb=$(fallback clock $t)
		done=$(grep -c '^clockguest: done' "$run/clock/clock.$t.serial" 2>/dev/null)
		check "clock-$mode-exit" "$([ "$rc" = 0 ] && [ "${done:-0}" -ge 1 ] && echo 1)" \
			"restore exit status ${rc:-none}, 'clockguest: done' ${done:-0}x${fb:+; $fb}"
		[ "$rc" = 0 ] || { tail_of clock clock.$t.err; tail_of clock clock.$t.serial
			clock_lost_state "$run/clock/clock.$t.err"; }
		check "clock-$mode-blackout-logged" "$([ -n "$bo" ] && [ -z "$fb" ] && echo 1)" \
			"minivmm: blackout ${bo:-(no line)} s$(grep -h -m1 'restore: clock' "$run/clock/clock.$t.err" | sed -n 's/.*(kvmclock [0-9]* -> [0-9]* ns; \(.*\))$/; \1/p')"
		read -r hok hdesc <<<"$(host_wall clock $t $mode "$bo")"
		check "clock-$mode-blackout-vs-host" "$hok" "$hdesc"
		# The TSC offsets minivmm set: the same change on every vCPU (64-bit arithmetic in bash,
		# modulo 2^64 as the hardware's), and the guest TSC's jump it logged.
		nofs=0 same=1 ident=1 tok=1 tdesc='' d0='' o0=''
		while read -r cpu ofs sav jmp; do
			d=$((ofs - sav))
			[ -n "$d0" ] || { d0=$d o0=$ofs; }
			[ "$d" = "$d0" ] || same=0
			[ "$ofs" = "$o0" ] || ident=0
			# Both modes: the TSC moves by exactly the logged blackout (freeze: only
			# the kvm-clock's own advance between setting and reading it back, so
			# TSC and kvm-clock stay in step; it must stay tiny).
			awk -v j="$jmp" -v b="${bo:-0}" 'BEGIN { exit !(j - b <= 0.001 && b - j <= 0.001) }' || tok=0
			[ $mode = catch-up ] ||
				awk -v j="$jmp" 'BEGIN { exit !(j <= 0.01 && j >= -0.000001) }' || tok=0
			tdesc="$tdesc vCPU$cpu $ofs (guest TSC $jmp s)"
			nofs=$((nofs + 1))
		done < <(sed -n 's/.*restore: vCPU \([0-9]*\): TSC offset \(0x[0-9a-f]*\|0\) (saved \(0x[0-9a-f]*\|0\)), guest TSC [-+0-9]* cycles = \([-+0-9.]*\) s.*/\1 \2 \3 \4/p' \
			"$run/clock/clock.$t.err" 2>/dev/null)
		check "clock-$mode-tsc-offsets" "$([ "$nofs" = "$CLOCK_CPUS" ] && [ "$same" = 1 ] && [ "$tok" = 1 ] && echo 1)" \
			"$nofs offsets set, the same change on every vCPU: $same, identical: $ident;$tdesc"
		clk_fields "$run/clock/clock.$t.serial" >"$run/clock/$t.fields"
		# Per vCPU: continuity and backwards steps; the largest step between two reads after the
		# restore (for information: it also holds any time the host did not run the vCPU).
		for cpu in $(seq 0 $((CLOCK_CPUS - 1))); do
			res=$(awk -v cpu="$cpu" -v K="$CLOCK_TICKS" '
				$1 != cpu { next }
				FILENAME == ARGV[1] { have[$2] = 1; if ($9 > 0) back += $9; next }
				{ nr++; if (nr == 1) first = $2; else if ($2 != last + 1) cont = 1; last = $2
				  if ($9 > 0) back += $9; if ($5 > G) G = $5 }
				END {
					lossless = (nr > 0 && (first == 0 || have[first - 1]))
					fin = (cpu != 0 || last == K - 1)
					printf "%d %d %d %d %d %d %.3f\n", nr, first, last, !cont && lossless, fin, back, G / 1e9
				}' "$run/clock/run.fields" "$run/clock/$t.fields")
			read -r nr first last cont fin back G <<<"${res:-0 -1 -1 0 0 0 0}"
			check "clock-$mode-cpu$cpu-continuity" "$([ "$cont" = 1 ] && [ "$fin" = 1 ] && echo 1)" \
				"status lines seq $first..$last after the restore ($nr), seq $((first - 1)) in the saved run's log: $([ "$cont" = 1 ] && echo yes || echo no); largest step between reads ${G} s"
			check "clock-$mode-cpu$cpu-monotonic" "$([ "$back" = 0 ] && echo 1)" \
				"kvmclock or TSC went backwards $back times (run and restore)"
		done
		# The jump, from the BSP's RTC edges: the guest clock's offset from host wall time after the
		# restore minus before it, plus the wall time since the save (minivmm's, from KVM_GET_CLOCK),
		# is the jump the guest saw; it must be minivmm's logged blackout (catch-up: the wall time;
		# freeze: about 0). Edges with a bracket over EDGE_W_NS are left out (the vCPU was not running).
		W=$(grep -h -m1 'restore: clock' "$run/clock/clock.$t.err" 2>/dev/null | sed -n 's/.*wall time since the save \([0-9.-]*\) s.*/\1/p')
		res=$(awk -v B="${bo:-0}" -v W="${W:-0}" -v tol="$TOL_S" -v maxw="$EDGE_W_NS" '
			function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0 }
			function wrap(x) { while (x - ref > 43200e9) x -= 86400e9; while (ref - x > 43200e9) x += 86400e9; return x }
			FNR == 1 { f++ }
			/^EDGE n=[0-9]+ sod=[0-9]+ kvm=[0-9]+ kvm_w=[0-9]+ tsc=[0-9]+ tsc_w=[0-9]+$/ {
				for (i = 2; i <= 7; i++) { v[i] = $i; sub(/^[a-z_]*=/, "", v[i]) }
				all[f]++
				if (v[5] + 0 > maxw || v[7] + 0 > maxw) next
				k = v[4] - v[3] * 1e9; t = v[6] - v[3] * 1e9
				if (!nref++) { ref = k; reft = t }
				k = wrap(k); x = ref; ref = reft; t = wrap(t); ref = x
				if (f == 1) { bk[++nb] = k; bt[nb] = t } else { ak[++na] = k; at[na] = t }
			}
			END {
				if (!nb || !na) { printf "0 %d %d %d %d 0 0 0 0\n", nb, all[1], na, all[2]; exit }
				jk = (med(ak, na) - med(bk, nb)) / 1e9 + W; jt = (med(at, na) - med(bt, nb)) / 1e9 + W
				for (i = 1; i <= nb; i++) { d = (bk[i] - bk[1]) / 1e9; if (d < 0) d = -d; if (d > sp) sp = d }
				for (i = 1; i <= na; i++) { d = (ak[i] - ak[1]) / 1e9; if (d < 0) d = -d; if (d > sp) sp = d }
				ok = (jk - B <= tol && B - jk <= tol && jt - B <= tol && B - jt <= tol)
				printf "%d %d %d %d %d %.6f %.6f %.6f %.6f\n", ok, nb, all[1], na, all[2], jk, jt, sp, jk - B
			}' "$run/clock/clock.run.serial" "$run/clock/clock.$t.serial" 2>/dev/null)
		read -r ok nb ab na aa jk jt sp err <<<"${res:-0 0 0 0 0 0 0 0 0}"
		if [ $mode = catch-up ]; then want="the blackout ${bo:-?} s"; else want="the blackout ${bo:-?} s (about 0)"; fi
		check "clock-$mode-jump" "$ok" \
			"guest jump across the restore (BSP, from $nb of $ab RTC edges before and $na of $aa after): kvmclock ${jk} s, TSC ${jt} s; want $want +- ${TOL_S} s (off by ${err} s; wall time since the save ${W:-?} s; spread of the offsets ${sp} s)"
		# Cross-vCPU: the BSP's skew intervals [LO, HI] (ns) after the restore.
		if [ "$CLOCK_CPUS" -gt 1 ]; then
			res=$(awk -v lim="$SKEW_NS" '$1 == 0 && $10 != "-" {
				n++; if ($10 == "timeout") { to++; next }
				if ($10 + 0 > $11 + 0) inv++
				if ($10 + 0 > lim || $11 + 0 < -lim) out++
				if (n == 1 || $10 + 0 > LO) LO = $10 + 0; if (n == 1 || $11 + 0 < HI) HI = $11 + 0
				w = $11 - $10; if (n == 1 || w < bw) bw = w
				if ($12 + 0 > $13 + 0) kinv++
				if ($12 + 0 > lim || $13 + 0 < -lim) kout++
				if (n == 1 || $12 + 0 > KLO) KLO = $12 + 0; if (n == 1 || $13 + 0 < KHI) KHI = $13 + 0 }
				END { printf "%d %d %d %d %d %d %d %d %d %d %d\n", n, to, inv, out, LO, HI, bw, kinv, kout, KLO, KHI }' \
				"$run/clock/$t.fields")
			read -r n to inv out LO HI bw kinv kout KLO KHI <<<"${res:-0 0 0 0 0 0 0 0 0 0 0}"
			check "clock-$mode-cross-vcpu" "$([ "$n" -gt 0 ] && [ "$to" = 0 ] && [ "$inv" = 0 ] && [ "$kinv" = 0 ] && [ "$out" = 0 ] && [ "$kout" = 0 ] && echo 1)" \
				"$n bursts, each interval admits |skew| <= ${SKEW_NS} ns (outside: $out/$kout, inverted: $inv/$kinv, timeouts: $to); all together TSC [$LO, $HI] ns (tightest ${bw} ns wide), kvmclock [$KLO, $KHI] ns"
		fi
	done
	# The same measurement before the snapshot, for comparison.
	pre=$(awk '$1 == 0 && $10 != "-" && $10 != "timeout" { n++; if (n == 1 || $10 + 0 > LO) LO = $10 + 0
		if (n == 1 || $11 + 0 < HI) HI = $11 + 0 } END { if (n) printf "[%d, %d] ns over %d bursts", LO, HI, n }' \
		"$run/clock/run.fields")
	[ -n "$pre" ] && echo "  (before the snapshot the skew intervals gave $pre)"
fi

if [ $qrc -ne 0 ]; then
	grep -v -e '^LANE-SNAP-LOG' "$log" | tail -n 25 | sed 's/^/  /'
	fail "the emulated host did not finish its run (logs: $run)"
fi
[ $bad -eq 0 ] || fail "snapshot/restore checks failed (logs: $run)"
echo "PASS: Linux and clock guests snapshotted, killed and restored (catch-up and freeze)"
