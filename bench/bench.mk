# bench.mk: benchmark guests, the raw-KVM reference and `make bench`.
# Benchmarks are run by hand (`make bench`); the test suite does not run them.

# Port-0x80 writes in the two exit-cost guests; the per-exit cost is the
# difference of their run times over the difference of the counts.
BENCH_EXITS_SMALL ?= 20000
BENCH_EXITS_LARGE ?= 220000

BENCH_DIR    := $(B)/bench
BENCH_GUESTS := $(BENCH_DIR)/exit-cost-small.bin \
                $(BENCH_DIR)/exit-cost-large.bin $(BENCH_DIR)/startup.bin
BENCH_BINS   := $(BENCH_GUESTS) $(BENCH_DIR)/rawkvm $(BENCH_DIR)/benchrun

bench: minivmm $(BENCH_BINS)
	BENCH_BUILD=$(BENCH_DIR) bench/exit-cost/run
	BENCH_BUILD=$(BENCH_DIR) bench/startup/run

# Flat real-mode binaries: linked at 0, loaded by the VMM at 0x1000:0.
$(BENCH_DIR)/%.bin: $(BENCH_DIR)/%.elf
	objcopy -O binary $< $@

$(BENCH_DIR)/%.elf: $(BENCH_DIR)/%.o
	$(LD) -m elf_i386 -Ttext=0 -e _start -o $@ $<

$(BENCH_DIR)/exit-cost-small.o: bench/exit-cost/guest.S bench/bench.mk
	@mkdir -p $(dir $@)
	$(AS) --32 --defsym N=$(BENCH_EXITS_SMALL) -o $@ $<

$(BENCH_DIR)/exit-cost-large.o: bench/exit-cost/guest.S bench/bench.mk
	@mkdir -p $(dir $@)
	$(AS) --32 --defsym N=$(BENCH_EXITS_LARGE) -o $@ $<

$(BENCH_DIR)/startup.o: bench/startup/guest.S
	@mkdir -p $(dir $@)
	$(AS) --32 -o $@ $<

$(BENCH_DIR)/rawkvm: bench/exit-cost/rawkvm.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BENCH_DIR)/benchrun: bench/lib/benchrun.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

.SECONDARY: $(BENCH_GUESTS:.bin=.elf) $(BENCH_GUESTS:.bin=.o)

# Snapshot save and restore (bench/snapshot/run): a bzImage guest on the
# guest-test runtime (tests/guest/guest.mk) and the plain-write() reference.
SNAP_BENCH_BINS := $(BENCH_DIR)/snapguest.bzimage $(BENCH_DIR)/rawwrite

.PHONY: bench-snapshot
bench: bench-snapshot
bench-snapshot: minivmm $(BENCH_DIR)/benchrun $(SNAP_BENCH_BINS)
	BENCH_BUILD=$(BENCH_DIR) bench/snapshot/run

$(BENCH_DIR)/snapguest.o: bench/snapshot/guest.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m64 -mcmodel=small $(GUEST_CFLAGS) -c -o $@ $<

$(BENCH_DIR)/snapguest.elf: $(GO)/head64.o $(GUEST_RT) $(BENCH_DIR)/snapguest.o $(GD)/payload.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GD)/payload.ld -o $@ $(filter %.o,$^)

$(BENCH_DIR)/snapguest.bzimage: $(BENCH_DIR)/snapguest.bin $(GD)/bzhdr.S
	$(GUEST_CC) -c -DPAYLOAD='"$<"' -o $(BENCH_DIR)/snapguest.bz.o $(GD)/bzhdr.S
	$(GUEST_OBJCOPY) -O binary -j .bzimage $(BENCH_DIR)/snapguest.bz.o $@

$(BENCH_DIR)/rawwrite: bench/snapshot/rawwrite.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

.SECONDARY: $(BENCH_DIR)/snapguest.elf $(BENCH_DIR)/snapguest.bin $(BENCH_DIR)/snapguest.o

# virtio-blk's device model against pread/pwrite on the host, no KVM
# (bench/virtio-blk/): BLKBENCH_ARGS e.g. "-t 2 -r 5", "-c" (page cache).
BLKBENCH_ARGS ?=
.PHONY: bench-virtio-blk
bench: bench-virtio-blk
bench-virtio-blk: $(BENCH_DIR)/blkbench
	$(BENCH_DIR)/blkbench -f $(BENCH_DIR)/blkbench.img $(BLKBENCH_ARGS)

$(BENCH_DIR)/blkbench: bench/virtio-blk/blkbench.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)
