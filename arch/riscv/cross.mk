# arch/riscv/cross.mk: ARCH=riscv64: the cross compiler, the target's libfdt and the static build/riscv64/minivmm (included by the Makefile).
# On an x86-64 host CC defaults to riscv64-linux-gnu-gcc (gcc-riscv64-linux-gnu) and libfdt comes from
# scripts/cross-sysroot riscv64 (built from source and cached outside the repo: Debian 12 has no
# riscv64 packages). On a riscv64 host the system's compiler and libfdt are used.
#
# No libelf: vmm/elf_image.c (the ELF reader) serves only the x86 loaders (vmlinux, PVH); riscv64
# boots Linux Images. It is left out of this build, so the binary needs neither libelf nor the
# zlib/zstd libelf pulls in; a riscv ELF loader would bring it back with a target libelf.
ifneq ($(HOST_ARCH),riscv64)
ifneq ($(filter check unit guest run bench fuzz fuzz-smoke,$(MAKECMDGOALS)),)
$(error make ARCH=riscv64 cross-builds build/riscv64/minivmm only; run 'make check' natively, whose riscv64 lane builds and boots it)
endif
CROSS_COMPILE ?= riscv64-linux-gnu-
ifeq ($(filter clean format,$(MAKECMDGOALS)),)
RISCV64_SYSROOT := $(shell scripts/cross-sysroot riscv64)
ifeq ($(RISCV64_SYSROOT),)
$(error scripts/cross-sysroot riscv64 failed: no libfdt for the target)
endif
endif
CFLAGS  += -isystem $(RISCV64_SYSROOT)/usr/include
RISCV64_LDFLAGS := -L$(RISCV64_SYSROOT)/usr/lib/riscv64-linux-gnu
endif
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif

LIB_SRCS := $(filter-out vmm/elf_image.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
# libatomic: gcc has no inline 1- and 2-byte atomics on riscv64.
RISCV64_LDLIBS := -lfdt -lpthread -latomic

# Always static: the binary is copied into emulated hosts' initramfs images.
RISCV64_BIN := $(B)/minivmm

$(RISCV64_BIN): $(B)/vmm/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ $(RISCV64_LDFLAGS) $(RISCV64_LDLIBS)
