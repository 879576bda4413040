# tests/fuzz/fuzz.mk: libFuzzer targets (virtqueue walkers, virtio-blk requests, virtio-net data path, snapshot reader, x86 kernel loaders, command line, virtio device state) with their seeds: `make fuzz` (FUZZ_SECONDS each) and `make fuzz-smoke`.
FUZZ_CC		   ?= clang
FUZZ_SECONDS	   ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_FLAGS	   ?=
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -Wall -Wextra -Werror -Wshadow \
	       -Wmissing-prototypes -Wstrict-prototypes \
	       -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -Itests/fuzz
# Only what the walkers need, built with the sanitizers (not libminivmm.a).
FUZZ_DEPS := virtio/queue.c virtio/queue_split.c virtio/queue_packed.c \
	     vmm/memory.c
# fuzz_blk_request also links virtio-blk and the device core it runs under.
FUZZ_BLK_DEPS := virtio/blk.c virtio/blk_aio.c virtio/core.c virtio/core_queue.c \
		 virtio/features.c virtio/worker.c vmm/log.c vmm/sbuf.c \
		 vmm/thread.c
# fuzz_net also links virtio-net, its back-ends and vhost (not driven).
FUZZ_NET_DEPS := virtio/net.c virtio/net_rxtx.c virtio/net_tap.c \
		 virtio/net_vhost.c virtio/vhost.c virtio/vhost_abi.c \
		 virtio/core.c virtio/core_queue.c virtio/features.c \
		 virtio/worker.c vmm/log.c vmm/sbuf.c vmm/thread.c \
		 vmm/eventloop.c
# fuzz_snapshot_file: the snapshot reader and the CONFIG decoder.
FUZZ_SNAP_DEPS := vmm/snapshot_file.c vmm/snapshot_config.c vmm/sbuf.c \
		  vmm/log.c vmm/thread.c arch/$(ARCH_DIR)/crc32c.c \
		  tests/fuzz/arch_bounds.c
# fuzz_config: the command line of run and restore.
FUZZ_CONFIG_DEPS := vmm/config.c vmm/control_path.c virtio/net_opts.c \
		    vmm/util.c vmm/log.c tests/fuzz/arch_bounds.c
# fuzz_x86_kernel: the x86-64 probe and loaders (built on x86-64 hosts).
FUZZ_X86_DEPS := arch/x86/bzimage.c arch/x86/elf_boot.c arch/x86/flat.c \
		 arch/x86/e820.c arch/x86/mptable.c vmm/elf_image.c vmm/log.c
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
ifneq ($(HOST_ARCH),x86_64)
FUZZ_SRCS := $(filter-out tests/fuzz/fuzz_x86_kernel.c,$(FUZZ_SRCS))
endif
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_RUN   = $(B)/fuzz/$(1) -max_total_time=$(2) -timeout=10 \
	     -rss_limit_mb=2048 -print_final_stats=1 \
	     -artifact_prefix=$(B)/fuzz/$(1)- $(FUZZ_FLAGS) \
	     $(B)/fuzz/corpus/$(1)

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BINS)

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_ram.h $(FUZZ_DEPS) \
		  $(wildcard include/virtio/*.h virtio/*.h) include/mem.h
	@mkdir -p $(B)/fuzz/corpus/$(notdir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_DEPS) $(FUZZ_EXTRA)

$(B)/fuzz/fuzz_blk_request: FUZZ_EXTRA := $(FUZZ_BLK_DEPS)
$(B)/fuzz/fuzz_blk_request: $(FUZZ_BLK_DEPS) $(wildcard include/*.h)
# fuzz_virtio_state: the same device, through the core's snapshot state.
$(B)/fuzz/fuzz_virtio_state: FUZZ_EXTRA := $(FUZZ_BLK_DEPS) virtio/state.c
$(B)/fuzz/fuzz_virtio_state: $(FUZZ_BLK_DEPS) virtio/state.c \
			     $(wildcard include/*.h)
$(B)/fuzz/fuzz_net: FUZZ_EXTRA := $(FUZZ_NET_DEPS) -lpthread
$(B)/fuzz/fuzz_net: $(FUZZ_NET_DEPS) $(wildcard include/*.h)
$(B)/fuzz/fuzz_snapshot_file: FUZZ_EXTRA := $(FUZZ_SNAP_DEPS)
$(B)/fuzz/fuzz_snapshot_file: $(FUZZ_SNAP_DEPS) $(wildcard include/*.h)

$(B)/fuzz/fuzz_config: FUZZ_EXTRA := $(FUZZ_CONFIG_DEPS)
$(B)/fuzz/fuzz_config: $(FUZZ_CONFIG_DEPS) $(wildcard include/*.h)

# fuzz_config's seeds: a full run command line and a restore one (mode
# byte, then NUL-separated arguments; the files named exist in the tree,
# where the fuzzers run).
FUZZ_CONFIG_SEEDS := $(B)/fuzz/corpus/fuzz_config/seed-run \
		     $(B)/fuzz/corpus/fuzz_config/seed-restore
$(B)/fuzz/corpus/fuzz_config/seed-run:
	@mkdir -p $(dir $@)
	{ printf '\0'; printf '%s\0' -k Makefile -i README.md -p console=ttyS0 \
	  -m 256M -c 2 -d Makefile,ro,direct,serial=a1,poll_us=8,iothreads=4 \
	  -n mode=tap,tapif=t0,vhost=1,guest_mac=02:00:00:00:00:01,mq=2 \
	  --name vm1 --timeout 30 --exit-port 0x501 --virtio-transport mmio \
	  --console virtio --rng --vsock 3 --loglevel debug; } >$@
$(B)/fuzz/corpus/fuzz_config/seed-restore:
	@mkdir -p $(dir $@)
	{ printf '\1'; printf '%s\0' Makefile --clock freeze --copy \
	  -d README.md --api /tmp/x.sock --allow-tsc-mismatch; } >$@
fuzz-build: $(FUZZ_CONFIG_SEEDS)

# fuzz_virtio_state's seeds: a running device with a split and with a
# packed ring, its positions put in the state (header only: RAM is zeros).
FUZZ_STATE_SEEDS := $(B)/fuzz/corpus/fuzz_virtio_state/seed-split \
		    $(B)/fuzz/corpus/fuzz_virtio_state/seed-packed
$(B)/fuzz/corpus/fuzz_virtio_state/seed-split:
	@mkdir -p $(dir $@)
	printf '\003\056\000\000\000\000\000\000' >$@
$(B)/fuzz/corpus/fuzz_virtio_state/seed-packed:
	@mkdir -p $(dir $@)
	printf '\003\057\000\000\000\000\000\000' >$@
fuzz-build: $(FUZZ_STATE_SEEDS)

$(B)/fuzz/fuzz_x86_kernel: FUZZ_EXTRA := $(FUZZ_X86_DEPS) -Iarch/x86 -lelf
$(B)/fuzz/fuzz_x86_kernel: $(FUZZ_X86_DEPS) $(wildcard include/*.h arch/x86/*.h)

# The guest tests' kernels seed it, one of each format (behind an option
# byte of 0x10: the probe picks the loader, 16 MiB of RAM).
FUZZ_X86_SEEDS := $(addprefix $(B)/fuzz/corpus/fuzz_x86_kernel/seed-, \
		    hello.bzimage bootinfo64.elf pvh.elf flat.bin)
$(B)/fuzz/corpus/fuzz_x86_kernel/seed-%: $(GB)/%
	@mkdir -p $(dir $@)
	printf '\020' >$@ && cat $< >>$@
ifeq ($(HOST_ARCH),x86_64)
fuzz-build: $(FUZZ_X86_SEEDS)
endif

# fuzz_snapshot_file's seed, in its corpus: a valid snapshot from minivmm's
# own writer.
FUZZ_SNAP_SEED := $(B)/fuzz/corpus/fuzz_snapshot_file/seed
$(B)/fuzz/seed_snapshot: tests/fuzz/seed_snapshot.c $(FUZZ_SNAP_DEPS) \
			 $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -fsanitize=fuzzer%,$(FUZZ_CFLAGS)) \
		-fsanitize=address,undefined -o $@ $< $(FUZZ_SNAP_DEPS)
$(FUZZ_SNAP_SEED): $(B)/fuzz/seed_snapshot
	@mkdir -p $(dir $@)
	$< $@
fuzz-build: $(FUZZ_SNAP_SEED)

# Each target in turn; the corpus under build/fuzz/corpus grows across runs.
fuzz: fuzz-build
	@set -e; for f in $(notdir $(FUZZ_BINS)); do \
		echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
		$(call FUZZ_RUN,$$f,$(FUZZ_SECONDS)); \
	done

fuzz-smoke: fuzz-build
	@set -e; for f in $(notdir $(FUZZ_BINS)); do \
		echo "fuzz-smoke: $$f for $(FUZZ_SMOKE_SECONDS)s"; \
		$(call FUZZ_RUN,$$f,$(FUZZ_SMOKE_SECONDS)) 2>$(B)/fuzz/$$f.log \
			|| { tail -n 60 $(B)/fuzz/$$f.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
			$(B)/fuzz/$$f.log; \
	done
