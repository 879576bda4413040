#!/usr/bin/env bash
# t_smp.sh: SMP bring-up with -c 4: the BSP finds the CPUs in the MP table and
# the MADT, starts each AP with INIT-SIPI-SIPI; every AP reports its APIC id
# (CPUID and local APIC). Exit 0x15 -> 43. Also -c 1 (no APs).
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest smp.bzimage

vm smp4 -k "$G/smp.bzimage" -m 64M -c 4 --timeout 60
expect_rc 43 "all APs came up"
expect_log "smp: bsp apic_id 0 (local APIC id 0)"
expect_log "lists 4 cpus: 0(bsp) 1 2 3"
expect_log "smp: MADT at"
for id in 1 2 3; do
	expect_log "smp: cpu online: apic_id $id (local APIC id $id)"
done
expect_log "smp: 3 of 3 APs online, 4 cpus in all"

vm smp1 -k "$G/smp.bzimage" -m 64M -c 1 --timeout 60
expect_rc 43 "uniprocessor"
expect_log "lists 1 cpus: 0(bsp)"
expect_log "smp: 0 of 0 APs online, 1 cpus in all"
pass "SMP: 4 CPUs with APIC ids 0..3"
