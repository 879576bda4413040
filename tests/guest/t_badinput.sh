#!/usr/bin/env bash
# t_badinput.sh: bad command lines and bad kernel/initrd files. Each must end
# with the documented status (64 usage, 66 bad kernel/initrd, 70 host error),
# exactly one line on stderr that starts with "minivmm:" and names the
# problem, nothing on stdout, and no crash.
. "$(dirname "$0")/lib.sh"
[ -x "$VMM" ] || fail "./minivmm is not built (make minivmm)"
need_guest hello.bzimage bootinfo64.elf
H=$PWD/$G/hello.bzimage
vmm=$PWD/$VMM
kvm=1
[ -r /dev/kvm ] && [ -w /dev/kvm ] || kvm=0
skipped=()

# bad NAME STATUS KEYWORD-REGEX ARGS...: one bad invocation.
bad() {
	local name=$1 st=$2 key=$3 line
	shift 3
	NAME=$name LOG=/dev/null OUT=$T/$name.out ERR=$T/$name.err
	(cd "$T" && ulimit -c 0 && exec timeout -k 5 60 "$vmm" run "$@") \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	[ $RC -gt 128 ] && fail "$name: minivmm died of signal $((RC - 128))"
	expect_rc "$st" "$name"
	[ "$(wc -l <"$ERR")" -eq 1 ] || fail "$name: $(wc -l <"$ERR") lines on stderr, expected 1: $(cat "$ERR")"
	line=$(cat "$ERR")
	case $line in minivmm:*) ;; *) fail "$name: stderr does not start with 'minivmm:': $line" ;; esac
	echo "$line" | grep -qiE -- "$key" || fail "$name: stderr does not mention /$key/: $line"
	[ -s "$OUT" ] && fail "$name: unexpected stdout: $(head -c 200 "$OUT")"
	echo "ok: $name -> $RC: $line"
}

# bad_kvm: the same for cases that get as far as opening /dev/kvm.
bad_kvm() {
	if [ $kvm -eq 1 ]; then bad "$@"; else skipped+=("$1"); fi
}

# Files.
: >"$T/empty"
head -c 2048 "$H" >"$T/trunc.bz"
printf '\x3c' | dd of="$T/trunc.bz" bs=1 seek=$((0x1f1)) conv=notrunc status=none # setup_sects 60
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/garbage"
printf '\0\0\0\0' | dd of="$T/garbage" bs=1 seek=0 conv=notrunc status=none
printf '\0\0\0\0' | dd of="$T/garbage" bs=1 seek=$((0x1fe)) conv=notrunc status=none
printf '\0\0\0\0' | dd of="$T/garbage" bs=1 seek=$((0x202)) conv=notrunc status=none
# ELF whose first program header's file range runs far past the end.
cp "$PWD/$G/bootinfo64.elf" "$T/beyond.k"
phoff=$(od -An -tu8 -j 32 -N 8 "$T/beyond.k" | tr -d ' ')
printf '\0\0\0\x10\0\0\0\0' | dd of="$T/beyond.k" bs=1 seek=$((phoff + 32)) conv=notrunc status=none # p_filesz
printf '\0\0\0\x10\0\0\0\0' | dd of="$T/beyond.k" bs=1 seek=$((phoff + 40)) conv=notrunc status=none # p_memsz
head -c $((8 * 1024 * 1024)) /dev/zero >"$T/big.initrd"

bad missing-kernel 66 "no-such-kernel|no such file" -k "$T/no-such-kernel"
bad no-kernel 64 "kernel" -m 64M
bad kernel-is-dir 66 "regular file|directory" -k "$T"
bad_kvm empty-kernel 66 "empty" -k "$T/empty"
bad_kvm truncated-bzimage 66 "truncat|past the end|setup_sects" -k "$T/trunc.bz"
bad_kvm garbage-2m 66 "flat|too large|format" -k "$T/garbage"
bad_kvm elf-beyond-file 66 "segment|beyond|past|truncat|offset|size" -k "$T/beyond.k"
bad_kvm initrd-too-big 66 "initrd" -k "$H" -m 4M -i "$T/big.initrd"
bad missing-initrd 66 "no-such-initrd" -k "$H" -i "$T/no-such-initrd"
bad_kvm wrong-format 66 "elf" -k "$H" --kernel-format elf
bad mem-1m 64 "small|-m|memory" -k "$H" -m 1M
bad mem-garbage 64 "garbage|memory size" -k "$H" -m garbage
bad cpus-0 64 "vcpu|cpu" -k "$H" -c 0
bad cpus-9999 64 "9999" -k "$H" -c 9999
bad unknown-option 64 "unknown option.*--frobnicate" -k "$H" --frobnicate
bad missing-value 64 "needs a value|-m" -k "$H" -m
bad bad-timeout 64 "timeout" -k "$H" --timeout 0
bad bad-exit-port 64 "exit port|0x10000" -k "$H" --exit-port 0x10000
bad bad-format 64 "format|pe" -k "$H" --kernel-format pe
bad kvm-device 70 "/nonexistent" -k "$H" --kvm-device /nonexistent
[ -e "$T/core" ] && fail "a core file appeared"
[ ${#skipped[@]} -gt 0 ] && echo "not run without /dev/kvm: ${skipped[*]}"
pass "bad input: documented statuses and one-line messages"
