# snaplib.sh: what the snapshot guest tests share, sourced after lib.sh: a
# private control-socket directory, background VMs killed at exit, waiting
# for log text, control commands, restores, and the counting guest's sequence.
export XDG_RUNTIME_DIR=$T/xdg
mkdir -p "$XDG_RUNTIME_DIR"
declare -a BG=() # background minivmm processes, killed at exit
snap_cleanup() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap snap_cleanup EXIT

# wait_log FILE TEXT SECONDS: fails unless TEXT appears in FILE in time.
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "$NAME: '$2' did not appear in $1 within $3 s"
}

# ctl CMD ARGS...: a control command that must succeed; its answer in
# $T/ctl.out.
ctl() {
	"$VMM" "$@" >"$T/ctl.out" 2>"$T/ctl.err" ||
		fail "minivmm $*: status $?: $(cat "$T/ctl.err")"
}

# restore NAME FILE ARGS...: minivmm restore FILE ARGS --timeout
# RESTORE_TIMEOUT (default 60), as vm() runs a VM.
restore() { vmm_fg "$1" restore "$2" --timeout "${RESTORE_TIMEOUT:-60}" "${@:3}"; }

# counter_expected COUNT: the whole output of counter.c with count=COUNT, as
# $T/expected; upto_done FILE...: input up to the counter's last line.
counter_expected() {
	local i
	for ((i = 0; i < $1; i++)); do printf 'count %d\r\n' "$i"; done >"$T/expected"
	printf 'counter: done\r\n' >>"$T/expected"
}
upto_done() { sed '/^counter: done/q' "$@"; }
