#!/usr/bin/env bash
# t_snapshot_badfiles.sh: `minivmm restore` of damaged and foreign snapshot
# files, and the control socket's error cases.
#
# A counter guest is paused and saved; its file is parsed per
# docs/snapshot-format.md (a small Perl helper: layout, CRC32C fix-ups) and
# damaged: truncated at 0, 16, the header's end, every section's start,
# header end and end, inside and at the ends of the page data; one bit
# flipped in the header, in each section's header and payload, in the page
# index and in the page data (caught by --copy, which checks page CRCs);
# wrong magic; a future major version, a foreign arch, a foreign page size,
# an unknown incompatible flag (each with the header CRC fixed, so that the
# check itself refuses it); a RAM size or vCPU count in CONFIG that does not
# match the file (section CRC fixed); a missing file, a directory, usage
# errors. Each must end with status 66 (64 for usage), one stderr line that
# starts with "minivmm:" and names the problem (and the section where there
# is one), no crash, and the file left as it was. A new minor version with an
# unknown compatible flag must still restore.
#
# Control socket: a second `run --name X` while X runs fails (70) naming the
# socket; a stale socket left by a killed VM is replaced silently; pause of a
# VM that does not exist fails with a message naming it; `list` shows
# running and paused VMs with their state; a snapshot to an unwritable place
# fails without harming the VM.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest counter.bzimage
command -v perl >/dev/null || skip "perl is needed to parse snapshot files"

export XDG_RUNTIME_DIR=$T/xdg
mkdir -p "$XDG_RUNTIME_DIR"
declare -a BG=()
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- the helper: snaptool layout|flip|put|fixhdr|fixsec FILE ... ---
cat >"$T/snaptool.pl" <<'PERL'
use strict; use warnings; no warnings 'portable';
my @tab;
for my $i (0..255) { my $c = $i; for (1..8) { $c = ($c & 1) ? (($c >> 1) ^ 0x82F63B78) : ($c >> 1); } $tab[$i] = $c; }
sub crc32c { my ($crc, $s) = @_; $crc ^= 0xFFFFFFFF; $crc = $tab[($crc ^ $_) & 0xff] ^ ($crc >> 8) for unpack('C*', $s); return $crc ^ 0xFFFFFFFF; }
sub slurp { my $f = shift; open(my $h, '<:raw', $f) or die "$f: $!"; local $/; my $d = <$h>; close $h; return $d; }
sub spit { my ($f, $d) = @_; open(my $h, '>:raw', $f) or die "$f: $!"; print $h $d; close $h; }
my %names = (1 => 'CONFIG', 2 => 'CLOCK', 3 => 'ARCH_VM', 4 => 'ARCH_VCPU', 5 => 'DEVICE', 6 => 'MEMORY', 255 => 'END');
my ($cmd, $f, @a) = @ARGV;
die "crc32c self-test\n" unless crc32c(0, '123456789') == 0xE3069283;
my $d = slurp($f);
if ($cmd eq 'layout') {
	# header HSIZE; then per section: sec NAME INST OFF PAYLOAD_OFF END;
	# for MEMORY also: index OFF LEN (the run table), data OFF LEN.
	my $hs = unpack('V', substr($d, 20, 4));
	print "header $hs\n";
	my $off = $hs; my $ps = unpack('V', substr($d, 28, 4));
	while ($off + 24 <= length $d) {
		my ($type, $inst, $len) = unpack('V V Q<', substr($d, $off, 16));
		my $name = $names{$type} // "type$type";
		my $pend = $off + 24 + $len;
		print "sec $name $inst $off ", $off + 24, " $pend\n";
		if ($type == 6) {
			my ($nb, undef, $nr, $doff, $dlen) = unpack('V V Q< Q< Q<', substr($d, $off + 24, 32));
			print "index ", $off + 24 + 32 + 16 * $nb, " ", 32 * $nr, "\n";
			print "data $doff $dlen\n";
			$pend = $doff + $dlen;
		}
		last if $type == 255;
		$off = $pend;
	}
} elsif ($cmd eq 'flip') {          # flip FILE OFFSET [BIT]
	my ($o, $bit) = ($a[0], $a[1] // 0);
	substr($d, $o, 1) = chr(ord(substr($d, $o, 1)) ^ (1 << $bit));
	spit($f, $d);
} elsif ($cmd eq 'put') {           # put FILE OFFSET V|v|Q VALUE (le32, le16, le64)
	my ($o, $fmt, $v) = @a; $v = oct($v) if $v =~ /^0/;
	my $b = pack($fmt eq 'Q' ? 'Q<' : $fmt, $v);
	substr($d, $o, length $b) = $b;
	spit($f, $d);
} elsif ($cmd eq 'fixhdr') {        # the header CRC over [0, hsize - 4)
	my $hs = unpack('V', substr($d, 20, 4));
	substr($d, $hs - 4, 4) = pack('V', crc32c(0, substr($d, 0, $hs - 4)));
	spit($f, $d);
} elsif ($cmd eq 'fixsec') {        # fixsec FILE OFF: the CRC of the section at OFF
	my $o = $a[0];
	my $len = unpack('Q<', substr($d, $o + 8, 8));
	my $c = crc32c(0, substr($d, $o, 20) . substr($d, $o + 24, $len));
	substr($d, $o + 20, 4) = pack('V', $c);
	spit($f, $d);
} elsif ($cmd eq 'rec') {           # rec FILE SECOFF TAG: "OFF LEN" of record TAG's data
	my ($o, $tag) = @a;
	my $len = unpack('Q<', substr($d, $o + 8, 8));
	my ($p, $end) = ($o + 24 + 8, $o + 24 + $len);
	while ($p + 8 <= $end) {
		my ($t, $l) = unpack('V V', substr($d, $p, 8));
		if ($t == $tag) { print $p + 8, " $l\n"; exit 0; }
		$p += 8 + $l;
	}
	die "snaptool: no record $tag in the section at $o\n";
} else { die "snaptool: unknown command $cmd\n"; }
PERL
st() { perl "$T/snaptool.pl" "$@" || fail "snaptool $* failed"; }

# --- a snapshot to damage: the counter, paused part-way ---
NAME=orig LOG=$T/orig.serial ERR=$T/orig.err
"$VMM" run -k "$G/counter.bzimage" -m 64M -p "count=60 delay=3000" --name orig \
	--serial-log "$LOG" --timeout 60 </dev/null >/dev/null 2>"$ERR" &
PID=$!
BG+=("$PID")
for ((i = 0; i < 600; i++)); do
	grep -q "count 10" "$LOG" 2>/dev/null && break
	sleep 0.05
done
expect_log "count 10"
"$VMM" pause orig >/dev/null || fail "pause failed"
"$VMM" snapshot orig "$T/good.snap" >/dev/null || fail "snapshot failed"
kill -9 "$PID"
wait "$PID" 2>/dev/null
GOOD=$T/good.snap
SIZE=$(stat -c %s "$GOOD")
st layout "$GOOD" >"$T/layout"
echo "snapshot: $SIZE bytes"
sed 's/^/  /' "$T/layout"
grep -q '^sec END ' "$T/layout" || fail "layout: no END section found"
for s in CONFIG ARCH_VM ARCH_VCPU DEVICE MEMORY; do
	grep -q "^sec $s " "$T/layout" || fail "layout: no $s section"
done
read -r _ DATA_OFF DATA_LEN < <(grep '^data ' "$T/layout")
read -r _ IDX_OFF IDX_LEN < <(grep '^index ' "$T/layout")
[ "$DATA_LEN" -gt 0 ] || fail "layout: no page data"
[ "$IDX_LEN" -gt 0 ] || fail "layout: empty page index"

# refuse CASE STATUS REGEX FILE [ARGS...]: restore must fail with STATUS and
# one line on stderr matching REGEX; the file must not change.
n_refused=0
refuse() {
	local name=$1 want=$2 re=$3 file=$4 sum="" line
	shift 4
	NAME=$name LOG=$T/$name.serial OUT=$T/$name.out ERR=$T/$name.err
	[ -f "$file" ] && sum=$(sha256sum <"$file")
	(ulimit -c 0 && exec timeout -k 5 60 "$VMM" restore "$file" \
		--serial-log "$LOG" --timeout 20 "$@") </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	[ $RC -ge 128 ] && fail "$name: minivmm died (status $RC)"
	expect_rc "$want" "$name"
	[ "$(wc -l <"$ERR")" -eq 1 ] ||
		fail "$name: $(wc -l <"$ERR") lines on stderr, expected 1: $(cat "$ERR")"
	line=$(cat "$ERR")
	case $line in minivmm:*) ;; *) fail "$name: stderr does not start with 'minivmm:': $line" ;; esac
	grep -qE -- "$re" "$ERR" || fail "$name: stderr does not match /$re/: $line"
	[ -s "$OUT" ] && fail "$name: unexpected stdout: $(head -c 200 "$OUT")"
	[ -s "$LOG" ] && fail "$name: the guest ran: $(head -c 200 "$LOG")"
	[ -z "$sum" ] || [ "$(sha256sum <"$file")" = "$sum" ] || fail "$name: the file was modified"
	n_refused=$((n_refused + 1))
	[ -n "${VERBOSE:-}" ] && echo "ok: $name -> $RC: $line"
	return 0
}

# bad CASE: a fresh copy of the good file in $T/CASE.snap, in F.
bad() { F=$T/$1.snap; cp "$GOOD" "$F"; }

# --- truncation ---
offs=(0 1 15 16 19 20 24 64 127 128 129 $((SIZE - 1)) $((SIZE - 24)) $((SIZE - 40)))
while read -r kind _ _ off pay end; do
	[ "$kind" = sec ] || continue
	offs+=("$off" $((off + 1)) $((off + 20)) "$pay" $(((off + end) / 2)) "$end")
done <"$T/layout"
offs+=("$IDX_OFF" $((IDX_OFF + IDX_LEN / 2)) "$DATA_OFF" $((DATA_OFF + 1)) $((DATA_OFF + 4096))
	$((DATA_OFF + DATA_LEN / 2)) $((DATA_OFF + DATA_LEN - 1)) $((DATA_OFF + DATA_LEN)))
for o in $(printf '%s\n' "${offs[@]}" | sort -nu); do
	[ "$o" -lt "$SIZE" ] || continue
	bad trunc-$o
	truncate -s "$o" "$F"
	if [ "$o" -lt 16 ]; then re="bad magic"
	elif [ "$o" -lt 128 ]; then re="file header: truncated"
	else re="truncated|no end marker|past the end|records a [0-9]+-byte file"; fi
	refuse "trunc-$o" 66 "$re" "$F"
done
echo "ok: truncated at ${#offs[@]} offsets (every section boundary, inside the page data): all refused"

# --- bit flips in the header ---
flip_hdr() { # flip_hdr OFFSET BIT REGEX
	bad flip-hdr-$1-$2
	st flip "$F" "$1" "$2"
	refuse "flip-hdr-$1-$2" 66 "$3" "$F"
}
flip_hdr 0 0 "file header: bad magic"
flip_hdr 15 7 "file header: bad magic"
flip_hdr 16 1 "file header: format version 3\.0 is not supported"
flip_hdr 18 0 "file header: checksum mismatch"
flip_hdr 20 0 "file header: bad header size 129"
flip_hdr 20 3 "file header: checksum mismatch"
flip_hdr 21 0 "file header: (bad header size|checksum mismatch|truncated)"
flip_hdr 24 1 "file header: checksum mismatch"
flip_hdr 28 4 "file header: checksum mismatch"
flip_hdr 32 0 "file header: checksum mismatch"
flip_hdr 40 2 "file header: checksum mismatch"
flip_hdr 110 5 "file header: checksum mismatch"
flip_hdr 124 0 "file header: checksum mismatch"
flip_hdr 127 7 "file header: checksum mismatch"
echo "ok: bit flips in the header: refused, naming the field"

# --- bit flips in every section: header fields and payload ---
while read -r kind sname inst off pay end; do
	[ "$kind" = sec ] || continue
	hex=$(printf '0x%x' "$off")
	where="section $sname #$inst \\(offset $hex\\)"
	# type, instance, CRC: the CRC catches them (a flipped type or instance
	# may name another section, but at the same offset)
	for rel in 0 4 5 16 20 23; do
		bad flip-$sname$inst-h$rel
		st flip "$F" $((off + rel)) 1
		if [ "$rel" -lt 8 ]; then
			re="section [A-Za-z_0-9 ]+ #[0-9]+ \\(offset $hex\\): checksum mismatch"
		else
			re="$where: checksum mismatch"
		fi
		refuse "flip-$sname$inst-h$rel" 66 "$re" "$F"
	done
	# length: too long, or a CRC over the wrong bytes
	bad flip-$sname$inst-len
	st flip "$F" $((off + 8)) 0
	refuse "flip-$sname$inst-len" 66 "section .*\\(offset $hex\\)|truncated|end marker" "$F"
	bad flip-$sname$inst-len-hi
	st flip "$F" $((off + 13)) 0
	refuse "flip-$sname$inst-len-hi" 66 "$where: length [0-9]+ (runs past the end|is too large)" "$F"
	# payload: first, middle and last byte
	plen=$((end - pay))
	[ "$sname" = MEMORY ] && plen=$((IDX_OFF + IDX_LEN - pay))
	for p in 0 $((plen / 2)) $((plen - 1)); do
		[ "$plen" -gt 0 ] || continue
		bad flip-$sname$inst-p$p
		st flip "$F" $((pay + p)) 6
		refuse "flip-$sname$inst-p$p" 66 "$where: checksum mismatch" "$F"
	done
done <"$T/layout"
# the page index: each field of the first run, and the last run's offset
for rel in 0 4 8 16 24 $((IDX_LEN - 8)); do
	bad flip-index-$rel
	st flip "$F" $((IDX_OFF + rel)) 0
	refuse "flip-index-$rel" 66 "section MEMORY #0 \\(offset 0x[0-9a-f]+\\): checksum mismatch" "$F"
done
echo "ok: bit flips in each section's header and payload and in the page index: refused, naming the section"

# --- page data: --copy checks the run CRCs ---
for rel in 0 4095 $((DATA_LEN / 2)) $((DATA_LEN - 1)); do
	bad flip-data-$rel
	st flip "$F" $((DATA_OFF + rel)) 3
	refuse "flip-data-$rel" 66 "page data: run [0-9]+ .*checksum mismatch" "$F" --copy
done
echo "ok: bit flips in the page data: refused by restore --copy, naming the run"

# --- the checks themselves, with the header CRC made right ---
hdr_case() { # hdr_case NAME REGEX PUT-ARGS...
	local name=$1 re=$2
	shift 2
	bad "$name"
	st put "$F" "$@"
	st fixhdr "$F"
	refuse "$name" 66 "$re" "$F"
}
bad magic
printf 'MINIVMM\0SNAPSHOX' | dd of="$F" bs=1 conv=notrunc status=none
refuse magic 66 "file header: bad magic: not a minivmm snapshot" "$F"
bad magic-elf
printf '\x7fELF' | dd of="$F" bs=1 conv=notrunc status=none
refuse magic-elf 66 "bad magic" "$F"
hdr_case major2 "file header: format version 2\.0 is not supported \(this minivmm reads 1\.x\)" 16 v 2
hdr_case major0 "file header: format version 0\.0 is not supported" 16 v 0
hdr_case major-ffff "file header: format version 65535\.0 is not supported" 16 v 65535
hdr_case arch-arm64 "file header: arch: the snapshot is for arm64, this VM is x86_64" 24 V 2
hdr_case arch-riscv "file header: arch: the snapshot is for riscv64" 24 V 3
hdr_case arch-unknown "file header: arch: the snapshot is for an unknown arch" 24 V 77
hdr_case pagesize "file header: page size 8192, the host uses 4096" 28 V 8192
hdr_case incompat "file header: unknown incompatible flags 0x10000" 32 V 0x10001
hdr_case hsize-odd "file header: bad header size 132" 20 V 132
hdr_case hsize-big "file header: bad header size 8192" 20 V 8192
bad vers-unterminated
perl -e 'print "x" x 64' | dd of="$F" bs=1 seek=40 conv=notrunc status=none
st fixhdr "$F"
refuse vers-unterminated 66 "file header: vmm version is not terminated" "$F"
# major 2 with a broken CRC: the version is checked first (it never moves)
bad major2-badcrc
st put "$F" 16 v 2
refuse major2-badcrc 66 "format version 2\.0 is not supported" "$F"
echo "ok: magic, future/old major version, foreign arch, page size, incompatible flag, header size: refused, naming the field"

# --- CONFIG that disagrees with the file (section CRC made right) ---
read -r _ _ _ COFF CPAY _ < <(grep '^sec CONFIG ' "$T/layout")
bad memsize
st put "$F" $((CPAY + 4)) Q $((128 << 20))
st fixsec "$F" "$COFF"
refuse memsize 66 "memory layout mismatch" "$F"
# RAM sizes no VM can have are refused as a bad file, before KVM sees them
for m in 12345 4096 0xfffffffff000; do
	bad memsize-$m
	st put "$F" $((CPAY + 4)) Q $m
	st fixsec "$F" "$COFF"
	refuse memsize-$m 66 "configuration section is malformed" "$F"
done
bad ncpus-huge
st put "$F" $((CPAY + 12)) V 0x7fffffff
st fixsec "$F" "$COFF"
refuse ncpus-huge 66 "configuration section is malformed" "$F"
bad ncpus
st put "$F" $((CPAY + 12)) V 2
st fixsec "$F" "$COFF"
refuse ncpus 66 "ARCH_VCPU|vCPU|cpu" "$F"
bad ncpus0
st put "$F" $((CPAY + 12)) V 0
st fixsec "$F" "$COFF"
refuse ncpus0 66 "configuration section is malformed" "$F"
echo "ok: RAM size and vCPU count that do not match the file: refused"

# --- the guest TSC's frequency (x86: vCPU record 12, TSC_KHZ, a le32 kHz) ---
read -r _ _ _ VOFF _ _ < <(grep '^sec ARCH_VCPU 0 ' "$T/layout")
read -r KOFF KLEN < <(st rec "$GOOD" "$VOFF" 12)
[ "$KLEN" = 4 ] || fail "TSC_KHZ record of $KLEN bytes"
KHZ=$(od -An -tu4 -j "$KOFF" -N 4 "$GOOD" | tr -d ' ')
[ "$KHZ" -gt 0 ] || fail "saved TSC frequency $KHZ kHz"
bad tsc-near # 100 ppm off: within KVM's 250 ppm, restored as it is
st put "$F" "$KOFF" V $((KHZ + KHZ / 10000))
st fixsec "$F" "$VOFF"
restore_tsc() { # restore_tsc NAME FILE ARGS...: to the guest's power-off
	NAME=$1 LOG=$T/$1.serial OUT=$T/$1.out ERR=$T/$1.err
	timeout -k 5 60 "$VMM" restore "$2" --serial-log "$LOG" --timeout 30 "${@:3}" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	expect_rc 0 "$1: the restored counter powers off"
	grep -q '^counter: done' "$LOG" || fail "$1: the counter did not finish"
}
restore_tsc tsc-near "$F"
[ -s "$ERR" ] && fail "tsc-near: unexpected stderr: $(cat "$ERR")"
bad tsc-far # twice the frequency: KVM must scale it, or the restore is refused
st put "$F" "$KOFF" V $((KHZ * 2))
st fixsec "$F" "$VOFF"
NAME=tsc-far-try ERR=$T/tsc-far-try.err
"$VMM" restore "$F" --serial-log "$T/tsc-far-try.serial" --timeout 30 --loglevel info </dev/null \
	>/dev/null 2>"$ERR"
RC=$?
if [ $RC = 0 ]; then
	grep -q "TSC scaled to the saved $((KHZ * 2)) kHz" "$ERR" ||
		fail "tsc-far: restored at twice the TSC frequency without saying it scaled: $(cat "$ERR")"
	echo "ok: TSC frequency 2x: this KVM scales the guest TSC (logged)"
else
	refuse tsc-far 66 "the snapshot's TSC runs at $((KHZ * 2)) kHz, this host's at [0-9]+ kHz .*allow a TSC mismatch" "$F"
	restore_tsc tsc-far-allowed "$F" --allow-tsc-mismatch
	grep -q "the guest TSC was $((KHZ * 2)) kHz and is now" "$ERR" ||
		fail "tsc-far-allowed: no warning: $(cat "$ERR")"
	echo "ok: TSC frequency 2x: refused, naming both frequencies; runs with --allow-tsc-mismatch, with a warning"
fi
echo "ok: TSC frequency 100 ppm off: restored silently"

# --- files that are not snapshots, and usage ---
refuse missing 66 "snapshot .*/nosuch\.snap: No such file or directory" "$T/nosuch.snap"
mkdir "$T/dir.snap"
refuse directory 66 "snapshot .*/dir\.snap is not a regular file" "$T/dir.snap"
: >"$T/empty.snap"
refuse empty 66 "bad magic|truncated|empty" "$T/empty.snap"
refuse restore-m 64 "the snapshot fixes the kernel, memory and vCPUs" "$GOOD" -m 128M
refuse restore-c 64 "the snapshot fixes" "$GOOD" -c 2
refuse restore-k 64 "the snapshot fixes" "$GOOD" -k "$G/counter.bzimage"
refuse clock 64 "unknown clock mode 'bogus'" "$GOOD" --clock bogus
refuse unknown-opt 64 "unknown option '--bogus'" "$GOOD" --bogus
NAME=noarg OUT=$T/noarg.out ERR=$T/noarg.err
"$VMM" restore </dev/null >"$OUT" 2>"$ERR"
RC=$?
expect_rc 64 "restore without a file"
grep -q "no snapshot given" "$ERR" || fail "restore without a file: $(cat "$ERR")"
echo "ok: missing file, directory, empty file, usage errors: 66 / 64"

# --- the format's compatibility rule: a new minor and an unknown compatible
# flag are accepted; the guest finishes its count ---
bad minor
st put "$F" 18 v 7
st put "$F" 32 V 0x8001
st fixhdr "$F"
NAME=minor LOG=$T/minor.serial ERR=$T/minor.err
timeout -k 5 60 "$VMM" restore "$F" --serial-log "$LOG" --timeout 40 </dev/null >/dev/null 2>"$ERR"
RC=$?
expect_rc 0 "minor version 1.7 with a compatible flag restores"
cat "$T/orig.serial" "$LOG" | tr -d '\r' | sed '/^counter: done/q' >"$T/minor.all"
seq -f 'count %g' 0 59 >"$T/minor.exp"
echo "counter: done" >>"$T/minor.exp"
cmp -s "$T/minor.all" "$T/minor.exp" || fail "minor: the restored count is not the rest of the sequence"
echo "ok: minor version 1.7 with an unknown compatible flag restores and finishes"
echo "ok: $n_refused bad files / command lines refused"

# --- the control socket ---
SOCKDIR=$XDG_RUNTIME_DIR/minivmm
NAME=vm1 LOG=$T/vm1.serial ERR=$T/vm1.err
"$VMM" run -k "$G/counter.bzimage" -m 64M -p "count=100000 delay=100000" --name vm1 \
	--serial-log "$LOG" --timeout 60 </dev/null >/dev/null 2>"$ERR" &
P1=$!
BG+=("$P1")
for ((i = 0; i < 200; i++)); do
	[ -S "$SOCKDIR/vm1.sock" ] && "$VMM" status vm1 >/dev/null 2>&1 && break
	sleep 0.05
done
[ -S "$SOCKDIR/vm1.sock" ] || fail "vm1: no socket at $SOCKDIR/vm1.sock"
# a second VM with the same name
NAME=dup LOG=$T/dup.serial ERR=$T/dup.err
timeout -k 5 60 "$VMM" run -k "$G/counter.bzimage" -m 64M -p "count=5" --name vm1 \
	--serial-log "$LOG" --timeout 20 </dev/null >/dev/null 2>"$ERR"
RC=$?
expect_rc 70 "second VM with a name in use"
expect_err "^minivmm: .*$SOCKDIR/vm1\.sock"
expect_err "already"
[ "$(wc -l <"$ERR")" -eq 1 ] || fail "dup: $(wc -l <"$ERR") lines on stderr"
kill -0 "$P1" 2>/dev/null || fail "the first VM died when a second took its name"
"$VMM" status vm1 >"$T/st.out" 2>&1 || fail "vm1 does not answer after the clash: $(cat "$T/st.out")"
# a restore with a name in use: the same
NAME=dup-restore LOG=$T/dup-restore.serial ERR=$T/dup-restore.err
timeout -k 5 60 "$VMM" restore "$GOOD" --name vm1 --serial-log "$LOG" --timeout 20 \
	</dev/null >/dev/null 2>"$ERR"
RC=$?
expect_rc 70 "restore with a name in use"
expect_err "$SOCKDIR/vm1\.sock"
echo "ok: a second run/restore --name vm1 -> 70 naming the socket; vm1 unharmed"

# list: one running, one paused
NAME=vm2 LOG=$T/vm2.serial ERR=$T/vm2.err
"$VMM" run -k "$G/counter.bzimage" -m 64M -p "count=100000 delay=100000" --name vm2 \
	--serial-log "$LOG" --timeout 60 </dev/null >/dev/null 2>"$ERR" &
P2=$!
BG+=("$P2")
for ((i = 0; i < 200; i++)); do
	"$VMM" status vm2 >/dev/null 2>&1 && break
	sleep 0.05
done
"$VMM" pause vm2 >/dev/null || fail "pause vm2"
"$VMM" list >"$T/list.out" 2>"$T/list.err" || fail "list: status $?"
grep -qP '^vm1\trunning name=vm1 cpus=1 mem=64M' "$T/list.out" || fail "list lacks vm1 running: $(cat "$T/list.out")"
grep -qP '^vm2\tpaused name=vm2 cpus=1 mem=64M' "$T/list.out" || fail "list lacks vm2 paused: $(cat "$T/list.out")"
[ "$(wc -l <"$T/list.out")" -eq 2 ] || fail "list: $(cat "$T/list.out")"
"$VMM" resume vm2 >/dev/null || fail "resume vm2"
"$VMM" status vm2 | grep -q '^running' || fail "vm2 not running after resume"
echo "ok: list shows vm1 running and vm2 paused"

# a snapshot that cannot be written: an error reply, the VM goes on running
NAME=vm2 ERR=$T/snapfail.err
"$VMM" snapshot vm2 "$T/nodir/x.snap" >/dev/null 2>"$ERR"
RC=$?
[ $RC -ne 0 ] || fail "snapshot into a missing directory succeeded"
expect_err "^minivmm: error: snapshot to $T/nodir/x\.snap failed"
"$VMM" status vm2 | grep -q '^running' || fail "vm2 not running after a failed snapshot"
# a relative path is the client's
VMM_ABS=$PWD/$VMM
(cd "$T" && "$VMM_ABS" snapshot vm2 rel.snap >/dev/null 2>"$T/rel.err") || fail "snapshot to a relative path: $(cat "$T/rel.err")"
[ -f "$T/rel.snap" ] || fail "snapshot to a relative path did not land in the client's directory"
echo "ok: failed snapshot reported, VM unharmed; relative path resolved by the client"

# stale socket: kill -9 leaves the socket file; the next VM of that name
# replaces it without a word
kill -9 "$P2"
wait "$P2" 2>/dev/null
[ -S "$SOCKDIR/vm2.sock" ] || fail "expected a stale socket after kill -9"
NAME=vm2b LOG=$T/vm2b.serial ERR=$T/vm2b.err
"$VMM" run -k "$G/counter.bzimage" -m 64M -p "count=100000 delay=100000" --name vm2 \
	--serial-log "$LOG" --timeout 60 </dev/null >/dev/null 2>"$ERR" &
P3=$!
BG+=("$P3")
for ((i = 0; i < 200; i++)); do
	"$VMM" status vm2 >"$T/st.out" 2>&1 && break
	sleep 0.05
done
grep -q '^running name=vm2' "$T/st.out" || fail "the new vm2 does not answer: $(cat "$T/st.out")"
kill -0 "$P3" 2>/dev/null || fail "the new vm2 died"
[ -s "$ERR" ] && fail "replacing a stale socket was not silent: $(cat "$ERR")"
echo "ok: stale socket replaced silently"

# no such VM
NAME=nosuch ERR=$T/nosuch.err
"$VMM" pause NOSUCH >/dev/null 2>"$ERR"
RC=$?
[ $RC -ne 0 ] && [ $RC -lt 128 ] || fail "pause NOSUCH: status $RC"
[ "$(wc -l <"$ERR")" -eq 1 ] || fail "pause NOSUCH: $(cat "$ERR")"
expect_err "^minivmm: .*NOSUCH"
nosuch_msg=$(cat "$ERR")
"$VMM" pause 'bad/name' >/dev/null 2>"$ERR"
RC=$?
[ $RC -eq 64 ] || fail "pause bad/name: status $RC"
expect_err "invalid VM name"
"$VMM" pause >/dev/null 2>"$ERR"
RC=$?
[ $RC -eq 64 ] || fail "pause without a name: status $RC"
echo "ok: pause NOSUCH -> non-zero: $nosuch_msg"
"$VMM" stop vm1 >/dev/null || fail "stop vm1"
"$VMM" stop vm2 >/dev/null || fail "stop vm2"
wait "$P1"; RC=$?; NAME=vm1; expect_rc 8 "stopped through the socket"
wait "$P3"; RC=$?; NAME=vm2b; expect_rc 8 "stopped through the socket"
[ -e "$SOCKDIR/vm1.sock" ] && fail "vm1's socket remains after a clean stop"
"$VMM" list >"$T/list.out" || fail "list"
[ -s "$T/list.out" ] && fail "list after every VM stopped: $(cat "$T/list.out")"
pass "bad snapshot files refused; control socket errors"
