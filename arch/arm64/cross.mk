# arch/arm64/cross.mk: ARCH=arm64: the cross compiler, the target's sysroot and the static build/arm64/minivmm (included by the Makefile).
# On an x86-64 host CC defaults to aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu) and the target's
# libfdt/libelf/zlib/zstd come from scripts/cross-sysroot (unpacked Debian arm64 packages, cached
# outside the repo). On an arm64 host the system's compiler and libraries are used.
ifneq ($(HOST_ARCH),arm64)
ifneq ($(filter check unit guest run bench fuzz fuzz-smoke,$(MAKECMDGOALS)),)
$(error make ARCH=arm64 cross-builds build/arm64/minivmm only; run 'make check' natively, whose arm64 lane builds and boots it)
endif
CROSS_COMPILE ?= aarch64-linux-gnu-
ifeq ($(filter clean format,$(MAKECMDGOALS)),)
ARM64_SYSROOT := $(shell scripts/cross-sysroot arm64)
ifeq ($(ARM64_SYSROOT),)
$(error scripts/cross-sysroot arm64 failed: no libfdt/libelf for the target)
endif
endif
CFLAGS  += -isystem $(ARM64_SYSROOT)/usr/include
ARM64_LDFLAGS := -L$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
endif
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
CFLAGS  += -I$(B)/gen

# Always static: the binary is copied into emulated hosts' initramfs images.
ARM64_BIN := $(B)/minivmm

$(ARM64_BIN): $(B)/vmm/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ $(ARM64_LDFLAGS) $(STATIC_LDLIBS)

# arch/arm64 sources include the generated sysreg definitions.
$(patsubst %.c,$(B)/%.o,$(wildcard arch/arm64/*.c)): | $(B)/gen/sysreg-defs.h
