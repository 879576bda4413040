# snap-host.sh: sourced by the snapshot lanes' /lane/run (x86/ and arm64/snapshot-run.sh) inside the
# emulated host, as /lane/snap-host.sh: the helpers both use. Needs W (the work directory).
# shellcheck shell=sh
up() { cut -d' ' -f1 /proc/uptime; }
now() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d", s, u }'; }
info() { echo "LANE-SNAP-INFO $*"; }

# wait_for FILE PATTERN SECONDS: polls FILE (5 times a second) until PATTERN (grep -E) appears.
wait_for() {
	n=$(($3 * 5))
	while [ $n -gt 0 ]; do
		tr -d '\r' <"$1" 2>/dev/null | grep -Eq "$2" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

dump() { # dump CASE FILE...: the files, line by line, to the console
	c=$1
	shift
	for f; do
		[ -e "$W/$f" ] || { echo "LANE-SNAP-LOG $c $f| (no such file)"; continue; }
		tr -d '\r' <"$W/$f" | sed "s/^/LANE-SNAP-LOG $c $f| /"
		echo
	done
}
