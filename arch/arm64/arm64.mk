# arch/arm64/arm64.mk: generates $(B)/gen/sysreg-defs.h and builds the arm64 code and its unit tests on any host (included by the Makefile).
GEN_SYSREG      := tools/gen-sysreg
SYSREG_TXT      := arch/arm64/sysreg.txt
SYSREG_DEFS     := $(B)/gen/sysreg-defs.h
ARM64_SRCS      := $(wildcard arch/arm64/*.c)
# The KVM glue (include/arch.h's arm64 side and the core hooks it defines)
# only builds into the arm64 binary; the host unit tests link the rest
# beside the host's libminivmm.a, whose symbols these would clash with.
ARM64_TARGET_SRCS := arch/arm64/arch.c arch/arm64/cpu.c \
		     arch/arm64/wiring.c arch/arm64/crc32c.c
ARM64_HOST_OBJS := $(patsubst %.c,$(B)/arm64-host/%.o,\
		   $(filter-out $(ARM64_TARGET_SRCS),$(ARM64_SRCS)))
ARM64_UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,\
		   $(wildcard tests/unit/test_arm64_*.c))
# The host's CFLAGS, with arch/arm64 instead of the host arch's headers.
ARM64_CFLAGS     = $(filter-out -Iarch/%,$(CFLAGS)) -Iarch/arm64 -I$(B)/gen
ARM64_CROSS_CC  ?= aarch64-linux-gnu-gcc

$(SYSREG_DEFS): $(SYSREG_TXT) $(GEN_SYSREG)
	@mkdir -p $(dir $@)
	$(GEN_SYSREG) -o $@ $(SYSREG_TXT)

$(ARM64_HOST_OBJS): $(B)/arm64-host/%.o: %.c $(SYSREG_DEFS)
	@mkdir -p $(dir $@)
	$(CC) $(ARM64_CFLAGS) -c -o $@ $<

# A static pattern rule: it overrides the Makefile's implicit test_% rule.
$(ARM64_UNIT_BINS): $(B)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
		    $(SYSREG_DEFS) $(ARM64_HOST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ARM64_CFLAGS) -Itests/unit -DMINIVMM_SRCDIR='"$(CURDIR)"' \
		-o $@ $< $(ARM64_HOST_OBJS) $(LIB) $(LDLIBS)

.PHONY: arm64-unit arm64-cross-check
arm64-unit: $(ARM64_UNIT_BINS)

# Compiles every arch/arm64/*.c and the core code only it and riscv use
# (IMAGE_BOOT_SRCS) for aarch64 (freestanding objects), and the ABI test
# against the target's <asm/kvm.h>. Needs gcc-aarch64-linux-gnu.
arm64-cross-check: $(SYSREG_DEFS)
	@mkdir -p $(B)/arm64-cross
	@for f in $(ARM64_SRCS) $(IMAGE_BOOT_SRCS); do \
		echo "  CROSS $$f"; \
		$(ARM64_CROSS_CC) $(filter-out -MMD -MP,$(ARM64_CFLAGS)) \
			-ffreestanding -c -o $(B)/arm64-cross/$$(basename $$f .c).o \
			$$f || exit 1; \
	done
	$(ARM64_CROSS_CC) $(filter-out -MMD -MP,$(ARM64_CFLAGS)) -Itests/unit \
		-fsyntax-only tests/unit/test_arm64_abi.c
