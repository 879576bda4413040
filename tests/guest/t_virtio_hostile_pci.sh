#!/usr/bin/env bash
# t_virtio_hostile_pci.sh (and t_virtio_hostile_mmio.sh, which sources it):
# a hostile driver (vhostile.c) against virtio-blk and virtio-rng, over the
# transport in this script's name. One VM per case and target, each with
# --rng and two disks: the guest breaks the target (descriptor loops, chains
# longer than the queue, buffers and rings outside RAM or in the MMIO hole,
# zero and 4 GiB lengths, bad indirect tables, a queue size of 6, kicks
# before DRIVER_OK, feature words out of order or after FEATURES_OK, acked
# bits 64-127, DRIVER_OK without FEATURES_OK, a queue that does not exist
# programmed and enabled, avail idx jumping past the queue size), checks
# the reaction (NEEDS_RESET with a configuration interrupt, or the request
# ignored), uses the other devices, resets the target and uses it again.
# Here: the exit status says all four checks passed, and stderr holds
# exactly the expected warning(s) for the case, however often the guest
# kicked the broken queue.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vhostile.bzimage

tp=${0##*_}
tp=${tp%.sh}
case $tp in
pci) tpargs=(--virtio-transport pci) cl="" ;;
mmio) tpargs=(--virtio-transport mmio) cl="acpi=off " ;;
*) fail "transport '$tp' (from the script's name)" ;;
esac

img0=$T/disk0.img img1=$T/disk1.img
head -c $((1 << 20)) /dev/zero >"$img0" || fail "image"
cp "$img0" "$img1" || fail "image"

W='minivmm: warning: virtio-(blk0|rng): '
NR="${W}device needs reset: queue 0: malformed ring: "
# case  targets  lines  what stderr must say
cases=(
	"loop2     blk,rng 1 ${NR}Too many levels of symbolic links"
	"loopall   blk,rng 1 ${NR}Too many levels of symbolic links"
	"nextoob   blk,rng 1 ${NR}Invalid argument"
	"headoob   blk,rng 1 ${NR}Invalid argument"
	"availjump blk,rng 1 ${NR}Protocol error"
	"ramend    blk,rng 1 ${NR}Bad address"
	"far       blk,rng 1 ${NR}Bad address"
	"ioapic    blk,rng 1 ${NR}Bad address"
	"bar       blk,rng 1 ${NR}Bad address"
	"zerolen   blk,rng 1 ${NR}Invalid argument"
	"hugelen   blk,rng 1 ${NR}(Bad address|Value too large for defined data type)"
	"ringhole  blk,rng 1 ${W}device needs reset: queue 0: size 8 desc 0x[0-9a-f]+ driver 0x[0-9a-f]+ device 0xfec00000: Bad address"
	"npow2     blk,rng 2 ${W}queue 0: size 6 rejected \(max [0-9]+, split rings need a power of two\)"
	"early     blk,rng 0 -"
	"featorder blk,rng 1 ${W}driver features written after FEATURES_OK; ignored"
	"unoffered blk,rng 1 ${W}FEATURES_OK refused: driver acked bit 64 which was not offered"
	"drvok     blk,rng 1 ${W}DRIVER_OK without FEATURES_OK; ignored"
	"indnoneg  blk,rng 1 ${NR}Invalid argument"
	"noqueue   blk,rng 0 -"
	"indlong   blk     1 ${NR}No buffer space available"
	"indloop   blk     1 ${NR}Too many levels of symbolic links"
	"indlen    blk     1 ${NR}Invalid argument"
	"indzero   blk     1 ${NR}Invalid argument"
	"indnest   blk     1 ${NR}Invalid argument"
	"indhole   blk     1 ${NR}Bad address"
)

n=0
for c in "${cases[@]}"; do
	read -r hc tgts lines re <<<"$c"
	for tgt in ${tgts//,/ }; do
		vm "$tp-$hc-$tgt" -k "$G/vhostile.bzimage" -m 64M --timeout 20 \
			"${tpargs[@]}" --rng -d "$img0" -d "$img1" \
			-p "${cl}hc=$hc tgt=$tgt"
		# 0x60 | detect 1 | other 2 | recover 4 | clean 8, as (V << 1) | 1
		[ "$RC" -eq $(((0x6f << 1) | 1)) ] || {
			v=$(((RC - 1) / 2))
			[ $((RC & 1)) -eq 1 ] && [ $((v & 0x70)) -eq $((0x60)) ] ||
				fail "$hc on $tgt: exit status $RC: no result from the guest (minivmm crashed or the guest failed)"
			fail "$hc on $tgt: exit status $RC (detect $((v & 1)) other $((v >> 1 & 1)) recover $((v >> 2 & 1)) clean $((v >> 3 & 1)))"
		}
		expect_log "vhostile: case $hc on $tgt: detect 1"
		got=$(wc -l <"$ERR")
		[ "$got" -eq "$lines" ] ||
			fail "$hc on $tgt: $got line(s) on stderr, expected $lines"
		[ "$re" = - ] || expect_err "$re"
		[ "$hc" = npow2 ] && expect_err "${NR%malformed ring: }size 0 .*: Invalid argument"
		dev=virtio-$tgt
		[ "$tgt" = blk ] && dev=virtio-blk0
		[ "$(grep -c "^minivmm: warning: $dev: " "$ERR")" -eq "$lines" ] ||
			fail "$hc on $tgt: not every warning names $dev"
		n=$((n + 1))
	done
done
pass "virtio hostile driver over $tp: $n cases, VMM up, NEEDS_RESET or ignored, others fine, reset recovers"
