# lib.sh: helpers the guest test scripts source. Runs from the repository
# root; every minivmm run gets --serial-log and --timeout, a host-side watchdog
# and its own files in a temporary directory removed at exit.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
G=${B:-build}/guest
VMM=./minivmm
T=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-guest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
NAME="" RC=0 ELAPSED_MS=0 LOG="" OUT="" ERR=""

# fail REASON: print what the last run left, then the reason (last, so the
# runner's tail shows it), exit 1.
fail() {
	if [ -n "$NAME" ]; then
		echo "--- last run: $NAME, exit status $RC, ${ELAPSED_MS} ms"
		echo "--- stderr (tail):"; tail -n 12 "$ERR" 2>/dev/null
		echo "--- serial log (tail):"; tail -n 20 "$LOG" 2>/dev/null
	fi
	echo "FAIL: $*"
	exit 1
}

skip() { echo "SKIP: $*"; exit 77; }

# need_kvm: skip (77) without a usable /dev/kvm; fail without the binary.
need_kvm() {
	[ -x "$VMM" ] || fail "./minivmm is not built (make minivmm)"
	[ -e /dev/kvm ] || skip "no /dev/kvm on this machine"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not accessible to $(id -un)"
}

# need_guest FILE...: the artefacts must have been built.
need_guest() {
	local f
	for f; do
		[ -f "$G/$f" ] || fail "missing $G/$f (make guest)"
	done
}

# vmm_fg NAME SUBCOMMAND ARGS...: ./minivmm SUBCOMMAND ARGS with --serial-log
# in the foreground under a host watchdog; stdin from $VM_STDIN (default
# /dev/null). Sets RC, ELAPSED_MS, LOG, OUT, ERR.
vmm_fg() {
	local t0 sub=$2
	NAME=$1
	shift 2
	LOG=$T/$NAME.serial OUT=$T/$NAME.out ERR=$T/$NAME.err
	t0=$(date +%s%N)
	timeout -k 5 "${HOST_TIMEOUT:-120}" "$VMM" "$sub" --serial-log "$LOG" "$@" \
		<"${VM_STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	[ $RC -eq 124 ] || [ $RC -eq 137 ] &&
		fail "$NAME: minivmm $sub did not end by itself (host watchdog)"
	return 0
}

# vm NAME ARGS...: minivmm run ARGS (see vmm_fg).
vm() { vmm_fg "$1" run "${@:2}"; }

# expect_rc N [WHAT]: the last run's exit status.
expect_rc() {
	local hint=""
	# Odd statuses up to 255 belong to the exit port, so a death by signal
	# (128 + n) only shows as a wrong status.
	[ "$RC" -gt 128 ] && hint=" (or minivmm killed by signal $((RC - 128))?)"
	[ "$RC" -eq "$1" ] || fail "$NAME: exit status $RC$hint, expected $1${2:+ ($2)}"
}

# expect_log TEXT: a fixed string in the serial log.
expect_log() {
	grep -qF -- "$1" "$LOG" 2>/dev/null || fail "$NAME: serial log lacks '$1'"
}

# expect_err REGEX: an extended regex on stderr.
expect_err() {
	grep -qE -- "$1" "$ERR" || fail "$NAME: stderr lacks /$1/"
}

no_log() {
	! grep -qF -- "$1" "$LOG" 2>/dev/null || fail "$NAME: serial log has '$1'"
}

pass() { echo "ok: $*"; }

# tap_netns NAME IF: a network namespace minivmm-NAME-PID (NS) holding a tap IF with vnet headers,
# up, IPv6 off (no router solicitations in the way); in_ns runs a command in it. Skips without
# tun/tap, root, ip(8) or python3 (the tests' host side); the namespace goes at exit, after
# whatever the EXIT trap did before.
tap_netns() {
	[ -c /dev/net/tun ] || skip "no /dev/net/tun (tun/tap) on this host"
	[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace and a tap"
	command -v ip >/dev/null || skip "no ip(8) (iproute2)"
	command -v python3 >/dev/null || skip "no python3 for the host side"
	NS=minivmm-$1-$$
	ip netns add "$NS" 2>"$T/ns.err" || skip "cannot create a network namespace: $(cat "$T/ns.err")"
	# shellcheck disable=SC2064 # the trap as it is now, then the namespace
	trap "$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT\$/\1/p"); ip netns del '$NS' 2>/dev/null" EXIT
	in_ns ip tuntap add dev "$2" mode tap vnet_hdr || fail "ip tuntap add in $NS"
	in_ns sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null
	in_ns ip link set "$2" up || fail "ip link set $2 up"
}
in_ns() { ip netns exec "$NS" "$@"; }
