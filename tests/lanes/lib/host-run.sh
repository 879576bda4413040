#!/bin/sh
# /lane/run inside an emulated lane host (any arch): boots each case of /lane/cases
# ("NAME KERNEL CPUS [STATUS [PARAM...]]": the exit status minivmm should end with, default 0, and
# kernel parameters added for this case) with minivmm and prints one line per case:
#   LANE-RESULT NAME status=S marker=yes|no guest_cpus=N seconds=T
# after the tails of minivmm's stderr (LANE-STDERR NAME| ...) and of the guest's console
# (LANE-GUEST NAME| ...): long ones when the case did not pass (minivmm runs with --loglevel debug:
# its exit report, interrupt controller included, is then in the tail). Settings come from
# /lane/config.
. /lane/config
up() { cut -d' ' -f1 /proc/uptime; }
ls -l /dev/kvm /minivmm
while read -r name kernel cpus want extra; do
	[ -n "$name" ] || continue
	want=${want:-0}
	echo "LANE-CASE-START $name uptime=$(up)"
	t0=$(up)
	# busybox timeout (status 137 after SIGKILL) in case minivmm's own --timeout does not end it
	timeout -s KILL $((CASE_TIMEOUT + 15)) /minivmm run -k "$kernel" -i /guest/initrd.cpio \
		-m "$GUEST_MEM" -c "$cpus" -p "$GUEST_APPEND${extra:+ $extra}" \
		--timeout "$CASE_TIMEOUT" --serial-log "/tmp/$name.serial" --loglevel debug \
		</dev/null >"/tmp/$name.out" 2>"/tmp/$name.err"
	st=$?
	t1=$(up)
	# The guest's console: the serial log, or minivmm's stdout when that log stayed empty.
	src=/tmp/$name.serial
	[ -s "$src" ] || src=/tmp/$name.out
	tr -d '\r' <"$src" >"/tmp/$name.console" 2>/dev/null
	ok=$(grep -m1 'MINIVMM-LANE-GUEST-OK cpus=' "/tmp/$name.console")
	if [ -n "$ok" ]; then marker=yes; else marker=no; fi
	gc=$(echo "$ok" | sed -n 's/.*GUEST-OK cpus=\([0-9]*\).*/\1/p')
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ "$st" != "$want" ] || [ "$marker" != yes ] || [ "$gc" != "$cpus" ]; then
		tail -n 40 "/tmp/$name.err" | sed "s/^/LANE-STDERR $name| /"
		tail -n 40 "/tmp/$name.console" | sed "s/^/LANE-GUEST $name| /"
	else
		tail -n 3 "/tmp/$name.err" | sed "s/^/LANE-STDERR $name| /"
		tail -n 5 "/tmp/$name.console" | sed "s/^/LANE-GUEST $name| /"
	fi
	echo "LANE-RESULT $name status=$st marker=$marker guest_cpus=${gc:-none} seconds=$secs"
done </lane/cases
