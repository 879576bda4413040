# lane-common.sh: shell functions the nested lanes (x86/lane_x86.sh, arm64/lane_arm64.sh,
# riscv64/lane_riscv64.sh) source: one boot of an emulated host that runs every case of $CASES with
# minivmm (lib/host-run.sh), then lib/lane-verdict's table and the lane's verdict.
# Functions (each exits the lane on a failure; exit status 0 pass, 1 fail, 77 skip):
#   lane_skip MSG...           print MSG, exit 77
#   lane_fail MSG...           print "FAIL: MSG", exit 1
#   lane_skip_or_fail MSG...   an artefact or tool that cannot be had: a failure with CI=true, else a skip
#   lane_install_tools PKG...  apt-get install the packages when root and apt-get is there (quietly,
#                              again after apt-get update when the first try fails); none: nothing
#   lane_elapsed T0            seconds since T0 (date +%s.%N), one decimal
#   lane_make_arch ARCH MSG    make ARCH=ARCH (incremental: a stale binary would test old code), log
#                              in $C/make.log; on failure its tail, then lane_skip_or_fail MSG
#   lane_cross_minivmm ARCH PREBUILT WHY
#                              sets minivmm: PREBUILT (the lane's MINIVMM_<ARCH>) when set, else
#                              build/ARCH/minivmm made now (lane_make_arch; WHY: what may be missing);
#                              lane_skip_or_fail when it is not there. Creates $C
#   lane_prepare MSG           run the lane's prepare ($here/prepare, stderr in $C/prepare.log),
#                              source $C/artefacts.env; sets prep_s. On failure lane_skip_or_fail MSG
#   lane_prepare_virtio MSG    the same for the lane's prepare-virtio (stderr in $C/prepare-virtio.log,
#                              then $C/virtio-artefacts.env)
#   lane_build_run_cpio MINIVMM HOST_BASE [--host-run]
#                              $C/last-run, or $C/$LANE_RUN_DIR (= $run): $run/cases and $run/host.cpio, HOST_BASE followed by
#                              an archive with /minivmm, /lane/cases, /lane/config ($GUEST_APPEND,
#                              $GUEST_MEM, $CASE_TIMEOUT, then the lines of $LANE_CONFIG_EXTRA if set)
#                              and with --host-run /lane/run (lib/host-run.sh)
#   lane_boot_host [--hang-note TEXT] -- QEMU...
#                              boot QEMU... -initrd is the caller's ($run/host.cpio) under lib/qemu-run
#                              (ends at LANE-HOST-DONE; $TOTAL, $SILENCE, one retry on a hang,
#                              LANE_VERBOSE=1 echoes the console); sets qrc, wall, log, retried; fails
#                              when the host hung twice or has no /dev/kvm
#   lane_summarise_results     lib/lane-verdict's table of $CASES, then the lane's FAIL or PASS line
# Needs from the lane: here, repo, lib, C, CASES, GUEST_APPEND, GUEST_MEM, CASE_TIMEOUT, TOTAL, SILENCE.
# shellcheck shell=bash
# The lane sets here, repo, lib, C, CASES, ... (SC2154); prep_s, run, qrc, ... are for the lane (SC2034).
# shellcheck disable=SC2154,SC2034

# lane_retry_once WHAT PATTERN SCRIPT ARGS...: for a lane whose emulated host is known to fail now and
# then, runs SCRIPT ARGS (with LANE_INNER=1: the script then runs itself once, as usual) and, when
# that fails (status 1), says so loudly (NOTE: RETRYING, with the first run's lines matching the
# grep -E PATTERN: its failed WHAT) and runs it once more; exits with the last run's status, so a
# second failure fails the lane.
lane_retry_once() {
	local what=$1 pat=$2 out rc
	shift 2
	out=$(mktemp)
	LANE_INNER=1 bash "$@" | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 1 ]; then
		echo "NOTE: RETRYING the lane once; the first run failed these $what:"
		grep -E "$pat" "$out" | sed 's/^/NOTE:   /'
		grep '^FAIL' "$out" | sed 's/^/NOTE:   /'
		LANE_INNER=1 bash "$@"
		rc=$?
	fi
	rm -f "$out"
	exit "$rc"
}

lane_skip() { echo "$*"; exit 77; }
lane_fail() { echo "FAIL: $*"; exit 1; }
lane_skip_or_fail() {
	if [ "${CI:-}" = true ]; then lane_fail "$*"; else lane_skip "$*"; fi
}

lane_install_tools() {
	[ $# -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 0
	echo "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		>/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				"$@" >/dev/null 2>&1; }
	return 0
}

lane_elapsed() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

lane_make_arch() {
	make -s -C "$repo" ARCH="$1" >"$C/make.log" 2>&1 || {
		tail -n 20 "$C/make.log"
		lane_skip_or_fail "$2"
	}
}

lane_cross_minivmm() {
	mkdir -p "$C"
	minivmm=${2:-$repo/build/$1/minivmm}
	[ -n "$2" ] || lane_make_arch "$1" "'make ARCH=$1' failed ($3)"
	[ -x "$minivmm" ] || lane_skip_or_fail "$minivmm is not built"
}

lane_prepare() {
	local t0
	t0=$(date +%s.%N)
	mkdir -p "$C"
	"$here/prepare" >/dev/null 2>"$C/prepare.log" || {
		cat "$C/prepare.log"
		lane_skip_or_fail "$1"
	}
	# shellcheck source=/dev/null
	. "$C/artefacts.env"
	prep_s=$(lane_elapsed "$t0")
}

lane_prepare_virtio() {
	"$here/prepare-virtio" >/dev/null 2>"$C/prepare-virtio.log" || {
		cat "$C/prepare-virtio.log"
		lane_skip_or_fail "$1"
	}
	# shellcheck source=/dev/null
	. "$C/virtio-artefacts.env"
}

lane_build_run_cpio() {
	local minivmm=$1 host_base=$2 host_run=${3:-}
	run=$C/${LANE_RUN_DIR:-last-run} # kept for a look after the run; replaced by the next one
	rm -rf "$run"
	mkdir -p "$run/extra/lane"
	install -m 0755 "$minivmm" "$run/extra/minivmm"
	[ "$host_run" = --host-run ] && install -m 0755 "$lib/host-run.sh" "$run/extra/lane/run"
	echo "$CASES" >"$run/extra/lane/cases"
	echo "$CASES" >"$run/cases"
	cat >"$run/extra/lane/config" <<EOT
GUEST_APPEND='$GUEST_APPEND'
GUEST_MEM='$GUEST_MEM'
CASE_TIMEOUT='$CASE_TIMEOUT'
EOT
	[ -n "${LANE_CONFIG_EXTRA:-}" ] && echo "$LANE_CONFIG_EXTRA" >>"$run/extra/lane/config"
	"$lib/mkcpio" "$run/extra" "$run/extra.cpio" || lane_fail "cannot build the per-run archive"
	cat "$host_base" "$run/extra.cpio" >"$run/host.cpio" # Linux unpacks both in turn
	rm -rf "$run/extra" "$run/extra.cpio"
}

lane_boot_host() {
	local hang_note='' t0 up kvm verbose=()
	if [ "${1:-}" = --hang-note ]; then hang_note=$2; shift 2; fi
	[ "${1:-}" = -- ] && shift
	[ "${LANE_VERBOSE:-}" = 1 ] && verbose=(--echo)
	t0=$(date +%s.%N)
	"$lib/qemu-run" --log "$run/console.log" --end LANE-HOST-DONE --timeout "$TOTAL" \
		--silence "$SILENCE" --retries "${LANE_HANG_RETRIES:-2}" --timeout-fails "${verbose[@]}" -- "$@" \
		2>"$run/qemu-run.log"
	qrc=$?
	wall=$(lane_elapsed "$t0")
	rm -f "$run/host.cpio"
	cat "$run/qemu-run.log"
	tr -d '\r' <"$run/console.log" >"$run/console.txt"
	log=$run/console.txt
	retried=
	grep -q 'qemu-run: RETRIED' "$run/qemu-run.log" && retried=1
	[ -n "$retried" ] && echo "NOTE: the emulated host hung once and was booted again${hang_note:+ $hang_note}"

	if [ $qrc -eq 2 ]; then
		tail -n 30 "$log"
		lane_fail "the emulated host hung on both boots (logs: $run)"
	fi
	up=$(sed -n 's/.*LANE-HOST-UP uptime=\([0-9.]*\).*/\1/p' "$log" | head -n 1)
	kvm=$(sed -n 's/.*LANE-HOST-KVM \([a-z]*\).*/\1/p' "$log" | head -n 1)
	echo "emulated host: shell at ${up:-?} s of its uptime, /dev/kvm ${kvm:-?}, whole boot ${wall} s wall"
	if [ "$kvm" != ok ]; then
		tail -n 40 "$log"
		lane_fail "the emulated host has no /dev/kvm (logs: $run)"
	fi
}

lane_summarise_results() {
	local bad=0
	"$lib/lane-verdict" "$log" "$run/cases" "$CASE_TIMEOUT" || bad=1
	if [ $qrc -ne 0 ]; then
		echo "host console (tail):"
		grep -v -e '^LANE-STDERR' -e '^LANE-GUEST' "$log" | tail -n 25 | sed 's/^/  /'
		lane_fail "the emulated host did not finish its run (logs: $run)"
	fi
	[ $bad -eq 0 ] || lane_fail "some nested guests did not boot (logs: $run)"
	echo "PASS: $(echo "$CASES" | wc -l) nested Linux guests booted${retried:+ (after one retry of the emulated host)}"
}
