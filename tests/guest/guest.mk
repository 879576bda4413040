# guest.mk: freestanding x86-64 guest programs for the guest tests.
# Sources in tests/guest/, artefacts in $(B)/guest/, objects in $(B)/guest/obj/.
GD := tests/guest
GB := $(B)/guest
GO := $(GB)/obj

GUEST_CC      ?= gcc
GUEST_LD      ?= ld
GUEST_OBJCOPY ?= objcopy
GUEST_CFLAGS  := -O2 -std=gnu11 -ffreestanding -fno-builtin -nostdlib \
                 -fno-pic -fno-pie -mno-red-zone -fno-stack-protector \
                 -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                 -fcf-protection=none --param=min-pagesize=0 -Wall -Wextra -Werror -I$(GD) -MMD -MP
GUEST_LDFLAGS := -nostdlib -static --build-id=none -z max-page-size=0x1000 \
                 -z noexecstack --no-warn-rwx-segments

GUEST_BINS := $(GB)/hello.bzimage $(GB)/bootinfo.bzimage \
              $(GB)/bootinfo64.elf $(GB)/pvh.elf $(GB)/flat.bin \
              $(GB)/ctl.bzimage $(GB)/serirq.bzimage $(GB)/smp.bzimage \
              $(GB)/counter.bzimage

# The runtime every 64-bit payload links: entry, serial, printf, IDT.
GUEST_RT := $(GO)/rt.o $(GO)/acpi.o $(GO)/idt.o $(GO)/isr.o

$(GO)/flat.o: $(GD)/flat.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 $(GUEST_CFLAGS) -c -o $@ $<

$(GO)/%.o: $(GD)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 -mcmodel=small $(GUEST_CFLAGS) -c -o $@ $<

$(GO)/%.o: $(GD)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -c -o $@ $<

# 64-bit payloads: linked at 1 MiB with the entry at +0x200 (payload.ld).
$(GO)/hello.elf: $(GO)/hello.o
$(GO)/bootinfo.elf: $(GO)/bootinfo.o
$(GO)/ctl.elf: $(GO)/ctl.o
$(GO)/counter.elf: $(GO)/counter.o
$(GO)/serirq.elf: $(GO)/serirq.o $(GO)/mp.o
$(GO)/smp.elf: $(GO)/smp.o $(GO)/mp.o $(GO)/smp_tramp.o
$(GO)/%.elf: $(GO)/head64.o $(GUEST_RT) $(GD)/payload.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GD)/payload.ld -o $@ $(filter %.o,$^)

$(GO)/%.bin: $(GO)/%.elf
	$(GUEST_OBJCOPY) -O binary $< $@

# bzImage: the setup header of bzhdr.S, then the flat payload.
$(GB)/%.bzimage: $(GO)/%.bin $(GD)/bzhdr.S
	$(GUEST_CC) -c -DPAYLOAD='"$<"' -o $(GO)/$*.bz.o $(GD)/bzhdr.S
	$(GUEST_OBJCOPY) -O binary -j .bzimage $(GO)/$*.bz.o $@

# ELF64 with a 64-bit entry and no PVH note: the linked payload itself.
$(GB)/bootinfo64.elf: $(GO)/bootinfo.elf
	cp $< $@

# ELF with a Xen PVH note: 32-bit entry (pvh.S), then long mode.
$(GB)/pvh.elf: $(GO)/pvh.o $(GO)/pvhinfo.o $(GUEST_RT) $(GD)/pvh.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GD)/pvh.ld -o $@ $(filter %.o,$^)

# Flat real-mode binary, loaded at 0x1000:0.
$(GB)/flat.bin: $(GO)/flat.o $(GD)/flat.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GD)/flat.ld -o $(GO)/flat.elf $<
	$(GUEST_OBJCOPY) -O binary $(GO)/flat.elf $@

.SECONDARY: $(GO)/counter.elf $(GO)/counter.bin $(GO)/hello.elf $(GO)/bootinfo.elf $(GO)/ctl.elf \
            $(GO)/serirq.elf $(GO)/smp.elf $(GO)/hello.bin \
            $(GO)/bootinfo.bin $(GO)/ctl.bin $(GO)/serirq.bin $(GO)/smp.bin

# Snapshot tests: a 4-vCPU guest whose CPUs all count (t_snapshot_smp.sh).
GUEST_BINS += $(GB)/snapsmp.bzimage
$(GO)/snapsmp.elf: $(GO)/snapsmp.o $(GO)/mp.o $(GO)/smp_tramp.o
.SECONDARY: $(GO)/snapsmp.elf $(GO)/snapsmp.bin

# clockguest: TSC and kvmclock readings on every vCPU (snapshot clock checks,
# tests/lanes/x86/lane_x86_snapshot.sh).
GUEST_BINS += $(GB)/clockguest.bzimage
$(GO)/clockguest.elf: $(GO)/clockguest.o $(GO)/mp.o $(GO)/smp_tramp.o
.SECONDARY: $(GO)/clockguest.elf $(GO)/clockguest.bin

# virtio-mmio guest (vmmio.c): t_virtio_mmio_*.sh, t_virtio_blk_*.sh.
GUEST_BINS += $(GB)/vmmio.bzimage
$(GO)/vmmio.elf: $(GO)/vmmio.o $(GO)/blkloop.o
.SECONDARY: $(GO)/vmmio.elf $(GO)/vmmio.bin

# virtio-pci guest (vpci.c, with the virtio_drv.c library): t_virtio_pci_*.sh.
GUEST_BINS += $(GB)/vpci.bzimage
$(GO)/vpci.elf: $(GO)/vpci.o $(GO)/virtio_drv.o $(GO)/blkloop.o
.SECONDARY: $(GO)/vpci.elf $(GO)/vpci.bin

# virtio-net guest over virtio-mmio (vnet.c): t_virtio_net_*.sh.
GUEST_BINS += $(GB)/vnet.bzimage
$(GO)/vnet.elf: $(GO)/vnet.o
.SECONDARY: $(GO)/vnet.elf $(GO)/vnet.bin

# virtio-mmio driver helpers shared by vmmio.c and vhostile.c.
$(GO)/vmmio.elf: $(GO)/virtio_mmio_drv.o

# Hostile virtio driver (vhostile.c) over PCI and MMIO: t_virtio_hostile_*.sh.
GUEST_BINS += $(GB)/vhostile.bzimage
$(GO)/vhostile.elf: $(GO)/vhostile.o $(GO)/virtio_drv.o $(GO)/virtio_mmio_drv.o
.SECONDARY: $(GO)/vhostile.elf $(GO)/vhostile.bin
