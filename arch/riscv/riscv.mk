# arch/riscv/riscv.mk: builds the riscv code and its unit tests on any host, and `make riscv-cross-check` (included by the Makefile).
RISCV_SRCS      := $(wildcard arch/riscv/*.c)
# The KVM glue (include/arch.h's riscv side and the core hooks it defines)
# only builds into the riscv64 binary (arch/riscv/cross.mk); the host unit
# tests link the rest beside the host's libminivmm.a, whose symbols these
# would clash with.
RISCV_TARGET_SRCS := arch/riscv/arch.c arch/riscv/cpu.c arch/riscv/crc32c.c \
		     arch/riscv/irqchip.c arch/riscv/sbi_vm.c arch/riscv/wiring.c
RISCV_HOST_OBJS := $(patsubst %.c,$(B)/riscv-host/%.o,\
		   $(filter-out $(RISCV_TARGET_SRCS),$(RISCV_SRCS)))
RISCV_UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,\
		   $(wildcard tests/unit/test_riscv_*.c))
# The host's CFLAGS, with arch/riscv instead of the host arch's headers.
RISCV_CFLAGS     = $(filter-out -Iarch/%,$(CFLAGS)) -Iarch/riscv
RISCV_CROSS_CC  ?= riscv64-linux-gnu-gcc
# libfdt's headers are arch-independent: the cross compiler sees only them.
RISCV_FDT_INC   := $(B)/riscv-cross/libfdt-inc

$(RISCV_HOST_OBJS): $(B)/riscv-host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(RISCV_CFLAGS) -c -o $@ $<

# A static pattern rule: it overrides the Makefile's implicit test_% rule.
$(RISCV_UNIT_BINS): $(B)/tests/unit/%: tests/unit/%.c tests/unit/unit.h \
		    $(RISCV_HOST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RISCV_CFLAGS) -Itests/unit -o $@ $< $(RISCV_HOST_OBJS) \
		$(LIB) $(LDLIBS)

.PHONY: riscv-unit riscv-cross-check
riscv-unit: $(RISCV_UNIT_BINS)

# Compiles every arch/riscv/*.c and the core code only it and arm64 use
# (IMAGE_BOOT_SRCS) for riscv64 (freestanding objects), and the ABI test
# against the target's <asm/kvm.h>. Needs gcc-riscv64-linux-gnu (and
# linux-libc-dev-riscv64-cross, which it pulls in).
riscv-cross-check:
	@mkdir -p $(B)/riscv-cross $(RISCV_FDT_INC)
	@ln -sf /usr/include/libfdt.h /usr/include/libfdt_env.h \
		/usr/include/fdt.h $(RISCV_FDT_INC)/
	@for f in $(RISCV_SRCS) $(IMAGE_BOOT_SRCS); do \
		echo "  CROSS $$f"; \
		$(RISCV_CROSS_CC) $(filter-out -MMD -MP,$(RISCV_CFLAGS)) \
			-idirafter $(RISCV_FDT_INC) -ffreestanding -c \
			-o $(B)/riscv-cross/$$(basename $$f .c).o $$f || exit 1; \
	done
	$(RISCV_CROSS_CC) $(filter-out -MMD -MP,$(RISCV_CFLAGS)) -Itests/unit \
		-fsyntax-only tests/unit/test_riscv_abi.c
