#!/usr/bin/env bash
# t_thp.sh: guest RAM starts on a 2 MiB boundary (so huge pages can back it
# and KVM can map it with 2 MiB stage-2 pages), and --thp makes it eligible
# for transparent huge pages on a host that gives them only where asked
# ("madvise"); without --thp it is not, there. Read from /proc/PID/smaps
# while a 64 MiB guest sits halted.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest ctl.bzimage
K=$G/ctl.bzimage
THP_MODE=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)

# ram_mapping PID: "START ELIGIBLE" of the 64 MiB mapping (guest RAM).
ram_mapping() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { start = $1; sub(/-.*/, "", start); size = 0; next }
	     /^Size:/ { size = $2 }
	     /^THPeligible:/ { if (size == 65536) { print start, $2; exit } }' \
		"/proc/$1/smaps"
}

# run NAME OPTIONS...: boot the halting guest, note its RAM mapping in
# $start and $eligible, stop it.
run() {
	local name=$1 pid i m
	shift
	"$VMM" run -k "$K" -m 64M --timeout 60 --serial-log "$T/$name.serial" \
		-p "ctl=halt" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	for i in $(seq 300); do
		grep -q "ctl: halting" "$T/$name.serial" 2>/dev/null && break
		sleep 0.1
	done
	m=$(ram_mapping "$pid")
	kill -TERM "$pid"
	wait "$pid"
	[ -n "$m" ] || fail "$name: no 64 MiB mapping in /proc/$pid/smaps"
	[ -s "$T/$name.err" ] && fail "$name: unexpected stderr: $(head -c 300 "$T/$name.err")"
	read -r start eligible <<<"$m"
}

for name in plain thp; do
	opt=()
	[ $name = thp ] && opt=(--thp)
	run $name "${opt[@]}"
	[ $((0x$start % 0x200000)) -eq 0 ] ||
		fail "$name: guest RAM at 0x$start is not 2 MiB-aligned"
	case "$THP_MODE/$name" in
	madvise/thp | always/*) want=1 ;;
	madvise/plain) want=0 ;;
	*) want=$eligible ;; # never, or no THP: nothing to tell
	esac
	[ "$eligible" = "$want" ] ||
		fail "$name: THPeligible $eligible with the host's THP '$THP_MODE', expected $want"
	echo "$name: RAM at 0x$start, THPeligible $eligible (host THP: ${THP_MODE:-none})"
done
pass "guest RAM 2 MiB-aligned; --thp makes it THP-eligible (host THP: ${THP_MODE:-none})"
