# shellcheck shell=bash disable=SC2034
# common.sh: helpers shared by the benchmark scripts (sourced, not run).
# Expects the working directory to be the top of the source tree.

BENCH_BUILD=${BENCH_BUILD:-build/bench}
MINIVMM=${MINIVMM:-./minivmm}
BENCHRUN=$BENCH_BUILD/benchrun
RAWKVM=$BENCH_BUILD/rawkvm

# need FILE...: stop with a hint when a file is missing.
need() {
	local f
	for f in "$@"; do
		if [ ! -x "$f" ] && [ ! -f "$f" ]; then
			echo "bench: $f is missing: run 'make bench' (or 'make minivmm \$(BENCH_BINS)') first" >&2
			exit 2
		fi
	done
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "bench: /dev/kvm is not usable here" >&2
		exit 2
	fi
}

# median: the median of the numbers on standard input, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan"; exit }
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# field KEY LINE: the value of KEY=VALUE in LINE (empty when absent).
field() {
	local kv
	for kv in $2; do
		case $kv in
		"$1"=*) echo "${kv#*=}"; return ;;
		esac
	done
}

# calc EXPR: floating-point arithmetic through awk, e.g. calc "1 / 3".
calc() {
	awk "BEGIN { printf \"%.6g\n\", $1 }"
}

# fmt PRECISION NUMBER
fmt() {
	awk -v p="$1" -v x="$2" 'BEGIN { if (x == "nan") print x; else printf "%.*f\n", p, x }'
}

# verdict OK: PASS or FAIL, for information only.
verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi
}
