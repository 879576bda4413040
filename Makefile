# Makefile: builds minivmm, its tests and benchmarks; `make check` runs every test kind.
# ARCH=x86_64 (the default on an x86-64 host) builds ./minivmm and everything
# else; ARCH=arm64 cross-builds one static aarch64 binary, build/arm64/minivmm,
# against a cached sysroot of the target's libraries (scripts/cross-sysroot);
# ARCH=riscv64 (or riscv) likewise build/riscv64/minivmm (arch/riscv/cross.mk).
HOST_ARCH := $(patsubst aarch64,arm64,$(patsubst amd64,x86_64,$(shell uname -m)))
ARCH ?= $(HOST_ARCH)
override ARCH := $(patsubst riscv,riscv64,$(patsubst aarch64,arm64,$(patsubst amd64,x86_64,$(ARCH))))
ifeq ($(ARCH),x86_64)
ARCH_DIR := x86
B        := build
else ifeq ($(ARCH),arm64)
ARCH_DIR := arm64
B        := build/arm64
else ifeq ($(ARCH),riscv64)
ARCH_DIR := riscv
B        := build/riscv64
else
$(error ARCH=$(ARCH) is not supported (x86_64, arm64, riscv64))
endif

CC      ?= gcc
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
           -Wmissing-prototypes -Wstrict-prototypes -fno-strict-aliasing \
           -D_GNU_SOURCE -Iinclude -Iarch/$(ARCH_DIR) -MMD -MP
LDLIBS  := -lfdt -lelf -lpthread
STATIC_LDLIBS := -lfdt -lelf -lz -lzstd -lpthread

CORE_SRCS := $(wildcard vmm/*.c) $(wildcard devices/*.c) \
             $(wildcard arch/$(ARCH_DIR)/*.c) $(wildcard virtio/*.c)
LIB_SRCS  := $(filter-out vmm/main.c,$(CORE_SRCS))
# Core code only the Image-booting backends (arm64, riscv64) call: their
# cross checks compile it too. x86 links it in libminivmm.a but never uses it.
IMAGE_BOOT_SRCS := vmm/fdt_builder.c vmm/fdt_pci.c vmm/kimage.c vmm/onereg_state.c
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
LIB       := $(B)/libminivmm.a

ifeq ($(ARCH),arm64)
include arch/arm64/cross.mk
endif
ifeq ($(ARCH),riscv64)
include arch/riscv/cross.mk
endif

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)

.PHONY: all static check unit guest lanes run bench clean setup format
ifeq ($(ARCH),arm64)
all static: $(ARM64_BIN)
else ifeq ($(ARCH),riscv64)
all static: $(RISCV64_BIN)
else
all: minivmm

minivmm: $(B)/vmm/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

static: minivmm.static
minivmm.static: $(B)/vmm/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ $(STATIC_LDLIBS)
endif

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

# Only version.c carries the version, so a new commit rebuilds one file.
$(B)/vmm/version.o: CFLAGS += -DMINIVMM_VERSION='"$(VERSION)"'
$(B)/vmm/version.o: $(wildcard .git/HEAD .git/refs/heads/*)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS)

include tests/guest/guest.mk
include bench/bench.mk
include arch/arm64/arm64.mk
include arch/riscv/riscv.mk
include tests/fuzz/fuzz.mk

unit: $(UNIT_BINS)
guest: minivmm $(GUEST_BINS)

# The whole suite: unit tests, guest tests on this machine's /dev/kvm, lanes.
check: setup minivmm minivmm.static $(UNIT_BINS) $(GUEST_BINS) fuzz-build
	tests/run

setup:
	scripts/setup --check

# Boots the default demo guest: a greeting on the serial port, then power-off.
run: setup minivmm $(B)/guest/hello.bzimage
	./minivmm run -k $(B)/guest/hello.bzimage -m 64M --timeout 30

format:
	clang-format -i $(CORE_SRCS) include/*.h arch/*/*.h

clean:
	rm -rf $(B) $(if $(filter arm64 riscv64,$(ARCH)),,minivmm minivmm.static)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
