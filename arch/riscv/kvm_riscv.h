/* kvm_riscv.h: our own definitions of the riscv KVM ABI the backend uses (ONE_REG ids, the SBI exit, the AIA device), checked by tests/unit/test_riscv_abi.c. */
#ifndef MINIVMM_KVM_RISCV_H
#define MINIVMM_KVM_RISCV_H

#include <stdint.h>
#include "ioctl_num.h"

/* kvm_run.exit_reason values. */
#define KVMR_EXIT_RISCV_SBI 35
#define KVMR_EXIT_RISCV_CSR 36

/*
 * The kvm_run union member for KVMR_EXIT_RISCV_SBI: a7, a6, a0-a5 of the
 * ecall; ret[0] and ret[1] go to a0 and a1 on the next KVM_RUN (KVM also
 * steps sepc past the ecall). Since about 6.11 KVM pre-fills ret[0] with
 * SBI_ERR_NOT_SUPPORTED and ret[1] with 0; older kernels copy a0/a1.
 * unsigned long, as in the kernel's struct: this backend is rv64 only.
 */
struct kvmr_sbi_exit {
	unsigned long extension_id;
	unsigned long function_id;
	unsigned long args[6];
	unsigned long ret[2];
};

/* KVM_GET_ONE_REG / KVM_SET_ONE_REG and KVM_GET_REG_LIST (vCPU fd). */
struct kvmr_one_reg {
	uint64_t id;
	uint64_t addr; /* user pointer to the value */
};
#define KVMR_GET_ONE_REG  MVM_IOW(MVM_KVMIO, 0xab, sizeof(struct kvmr_one_reg))
#define KVMR_SET_ONE_REG  MVM_IOW(MVM_KVMIO, 0xac, sizeof(struct kvmr_one_reg))
#define KVMR_GET_REG_LIST MVM_IOWR(MVM_KVMIO, 0xb0, sizeof(uint64_t))

/* KVM_GET_REG_LIST (Linux 6.6+ on riscv): n ids follow. A too-small n
 * gives -E2BIG with n set to the count. */
struct kvmr_reg_list {
	uint64_t n;
	uint64_t reg[];
};

/* KVM_GET_MP_STATE / KVM_SET_MP_STATE: on riscv, whether SBI HSM has the
 * hart started (RUNNABLE) or stopped (STOPPED). */
struct kvmr_mp_state {
	uint32_t mp_state;
};
#define KVMR_GET_MP_STATE MVM_IOR(MVM_KVMIO, 0x98, sizeof(struct kvmr_mp_state))
#define KVMR_SET_MP_STATE MVM_IOW(MVM_KVMIO, 0x99, sizeof(struct kvmr_mp_state))
#define KVMR_MP_STATE_RUNNABLE 0
#define KVMR_MP_STATE_STOPPED  5

/*
 * ONE_REG ids: KVM_REG_RISCV | size | type[31:24] | subtype[23:16] | index.
 * "ulong" registers are 64-bit on rv64.
 */
#define KVMR_REG_RISCV		0x8000000000000000ULL
#define KVMR_REG_SIZE_U32	0x0020000000000000ULL
#define KVMR_REG_SIZE_U64	0x0030000000000000ULL
#define KVMR_REG_SIZE_ULONG	KVMR_REG_SIZE_U64
#define KVMR_REG_ARCH_MASK	0xff00000000000000ULL
#define KVMR_REG_SIZE_MASK	0x00f0000000000000ULL
#define KVMR_REG_SIZE_SHIFT	52
#define KVMR_REG_TYPE_MASK	0x00000000ff000000ULL
#define KVMR_REG_SUBTYPE_MASK	0x0000000000ff0000ULL
#define KVMR_REG_TYPE_SHIFT	24
#define KVMR_REG_SUBTYPE_SHIFT	16
#define KVMR_REG_TYPE(t)	((uint64_t)(t) << KVMR_REG_TYPE_SHIFT)
#define KVMR_REG_SUBTYPE(s)	((uint64_t)(s) << KVMR_REG_SUBTYPE_SHIFT)
#define KVMR_REG_ID(size, type, subtype, idx)                                 \
	(KVMR_REG_RISCV | (size) | KVMR_REG_TYPE(type) |                      \
	 KVMR_REG_SUBTYPE(subtype) | (uint64_t)(idx))

/* Register types. */
#define KVMR_REG_CONFIG	   1
#define KVMR_REG_CORE	   2
#define KVMR_REG_CSR	   3
#define KVMR_REG_TIMER	   4
#define KVMR_REG_FP_F	   5
#define KVMR_REG_FP_D	   6
#define KVMR_REG_ISA_EXT   7
#define KVMR_REG_SBI_EXT   8
#define KVMR_REG_VECTOR	   9
#define KVMR_REG_SBI_STATE 10

/* CONFIG (ulong; writable only before the first KVM_RUN). */
#define KVMR_CONFIG_ISA		      0 /* bit n = extension 'a' + n */
#define KVMR_CONFIG_ZICBOM_BLOCK_SIZE 1
#define KVMR_CONFIG_MVENDORID	      2
#define KVMR_CONFIG_MARCHID	      3
#define KVMR_CONFIG_MIMPID	      4
#define KVMR_CONFIG_ZICBOZ_BLOCK_SIZE 5
#define KVMR_CONFIG_SATP_MODE	      6 /* satp.MODE: 0 bare, 8 sv39, ... */
#define KVMR_CONFIG_ZICBOP_BLOCK_SIZE 7
#define KVMR_CONFIG_ID(idx)                                                    \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_CONFIG, 0, idx)

/* satp.MODE values as the CONFIG satp_mode register reports them. */
#define KVMR_SATP_MODE_BARE 0
#define KVMR_SATP_MODE_SV32 1
#define KVMR_SATP_MODE_SV39 8
#define KVMR_SATP_MODE_SV48 9
#define KVMR_SATP_MODE_SV57 10

/* CORE (ulong): user_regs_struct (pc, ra, sp, gp, tp, t0-t2, s0, s1,
 * a0-a7, s2-s11, t3-t6), then the privilege mode. */
#define KVMR_CORE_PC   0
#define KVMR_CORE_RA   1
#define KVMR_CORE_SP   2
#define KVMR_CORE_GP   3
#define KVMR_CORE_TP   4
#define KVMR_CORE_S0   8
#define KVMR_CORE_A(n) (10 + (n)) /* a0-a7 */
#define KVMR_CORE_MODE 32
#define KVMR_MODE_U    0
#define KVMR_MODE_S    1
#define KVMR_CORE_ID(idx)                                                      \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_CORE, 0, idx)

/* CSR, general subtype 0 (ulong). */
#define KVMR_CSR_SSTATUS    0
#define KVMR_CSR_SIE	    1
#define KVMR_CSR_STVEC	    2
#define KVMR_CSR_SSCRATCH   3
#define KVMR_CSR_SEPC	    4
#define KVMR_CSR_SCAUSE	    5
#define KVMR_CSR_STVAL	    6
#define KVMR_CSR_SIP	    7
#define KVMR_CSR_SATP	    8
#define KVMR_CSR_SCOUNTEREN 9
#define KVMR_CSR_SENVCFG    10
#define KVMR_CSR_ID(idx) KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_CSR, 0, idx)
/* CSR, AIA subtype 1 (Ssaia): siselect, iprio1, iprio2 on rv64. */
#define KVMR_CSR_AIA	      1
#define KVMR_CSR_AIA_SISELECT 0
#define KVMR_CSR_AIA_IPRIO2   2
#define KVMR_CSR_AIA_ID(idx)                                                   \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_CSR, KVMR_CSR_AIA, idx)

/* FP_F: f0-f31 (u32), then fcsr (u32); FP_D: f0-f31 (u64), then fcsr
 * (u32). The two views share one state: a hart with D uses FP_D. */
#define KVMR_FP_NR   32
#define KVMR_FP_FCSR 32
#define KVMR_FP_F_ID(idx)                                                      \
	KVMR_REG_ID(KVMR_REG_SIZE_U32, KVMR_REG_FP_F, 0, idx)
#define KVMR_FP_D_ID(idx)                                                      \
	KVMR_REG_ID(KVMR_REG_SIZE_U64, KVMR_REG_FP_D, 0, idx)
#define KVMR_FP_D_FCSR_ID                                                      \
	KVMR_REG_ID(KVMR_REG_SIZE_U32, KVMR_REG_FP_D, 0, KVMR_FP_FCSR)

/*
 * TIMER (u64). 'time' is VM-wide: a read gives host cycles + time_delta, a
 * write sets time_delta. 'frequency' is the host timebase and is read-only
 * upstream (a different value: -EINVAL, older kernels -EOPNOTSUPP).
 * Restore order: time, compare, state.
 */
#define KVMR_TIMER_FREQUENCY 0
#define KVMR_TIMER_TIME	     1
#define KVMR_TIMER_COMPARE   2
#define KVMR_TIMER_STATE     3
#define KVMR_TIMER_STATE_OFF 0
#define KVMR_TIMER_STATE_ON  1
#define KVMR_TIMER_ID(idx) KVMR_REG_ID(KVMR_REG_SIZE_U64, KVMR_REG_TIMER, 0, idx)

/* ISA_EXT (ulong, 0 or 1): KVM's own extension numbering. */
enum kvmr_isa_ext {
	KVMR_ISA_EXT_A = 0,
	KVMR_ISA_EXT_C,
	KVMR_ISA_EXT_D,
	KVMR_ISA_EXT_F,
	KVMR_ISA_EXT_H,
	KVMR_ISA_EXT_I,
	KVMR_ISA_EXT_M,
	KVMR_ISA_EXT_SVPBMT,
	KVMR_ISA_EXT_SSTC,
	KVMR_ISA_EXT_SVINVAL,
	KVMR_ISA_EXT_ZIHINTPAUSE, /* 10 */
	KVMR_ISA_EXT_ZICBOM,
	KVMR_ISA_EXT_ZICBOZ,
	KVMR_ISA_EXT_ZBB,
	KVMR_ISA_EXT_SSAIA,
	KVMR_ISA_EXT_V,
	KVMR_ISA_EXT_SVNAPOT,
	KVMR_ISA_EXT_ZBA,
	KVMR_ISA_EXT_ZBS,
	KVMR_ISA_EXT_ZICNTR,
	KVMR_ISA_EXT_ZICSR, /* 20 */
	KVMR_ISA_EXT_ZIFENCEI,
	KVMR_ISA_EXT_ZIHPM,
	KVMR_ISA_EXT_SMSTATEEN,
	KVMR_ISA_EXT_ZICOND,
	KVMR_ISA_EXT_ZBC,
	KVMR_ISA_EXT_ZBKB,
	KVMR_ISA_EXT_ZBKC,
	KVMR_ISA_EXT_ZBKX,
	KVMR_ISA_EXT_ZKND,
	KVMR_ISA_EXT_ZKNE, /* 30 */
	KVMR_ISA_EXT_ZKNH,
	KVMR_ISA_EXT_ZKR,
	KVMR_ISA_EXT_ZKSED,
	KVMR_ISA_EXT_ZKSH,
	KVMR_ISA_EXT_ZKT,
	KVMR_ISA_EXT_ZVBB,
	KVMR_ISA_EXT_ZVBC,
	KVMR_ISA_EXT_ZVKB,
	KVMR_ISA_EXT_ZVKG,
	KVMR_ISA_EXT_ZVKNED, /* 40 */
	KVMR_ISA_EXT_ZVKNHA,
	KVMR_ISA_EXT_ZVKNHB,
	KVMR_ISA_EXT_ZVKSED,
	KVMR_ISA_EXT_ZVKSH,
	KVMR_ISA_EXT_ZVKT,
	KVMR_ISA_EXT_ZFH,
	KVMR_ISA_EXT_ZFHMIN,
	KVMR_ISA_EXT_ZIHINTNTL,
	KVMR_ISA_EXT_ZVFH,
	KVMR_ISA_EXT_ZVFHMIN, /* 50 */
	KVMR_ISA_EXT_ZFA,
	KVMR_ISA_EXT_ZTSO,
	KVMR_ISA_EXT_ZACAS,
	KVMR_ISA_EXT_SSCOFPMF,
	KVMR_ISA_EXT_ZIMOP,
	KVMR_ISA_EXT_ZCA,
	KVMR_ISA_EXT_ZCB,
	KVMR_ISA_EXT_ZCD,
	KVMR_ISA_EXT_ZCF,
	KVMR_ISA_EXT_ZCMOP, /* 60 */
	KVMR_ISA_EXT_ZAWRS,
	KVMR_ISA_EXT_SMNPM,
	KVMR_ISA_EXT_SSNPM,
	KVMR_ISA_EXT_SVADE,
	KVMR_ISA_EXT_SVADU,
	KVMR_ISA_EXT_SVVPTC,
	KVMR_ISA_EXT_ZABHA,
	KVMR_ISA_EXT_ZICCRSE,
	KVMR_ISA_EXT_ZAAMO,
	KVMR_ISA_EXT_ZALRSC, /* 70 */
	KVMR_ISA_EXT_ZICBOP,
	KVMR_ISA_EXT_KNOWN /* ids at and above this are skipped */
};
#define KVMR_ISA_EXT_ID(ext)                                                   \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_ISA_EXT, 0, ext)

/* SBI_EXT: KVM's numbering of the SBI extensions it implements or forwards. */
enum kvmr_sbi_ext {
	KVMR_SBI_EXT_V01 = 0,
	KVMR_SBI_EXT_TIME,
	KVMR_SBI_EXT_IPI,
	KVMR_SBI_EXT_RFENCE,
	KVMR_SBI_EXT_SRST,
	KVMR_SBI_EXT_HSM,
	KVMR_SBI_EXT_PMU,
	KVMR_SBI_EXT_EXPERIMENTAL,
	KVMR_SBI_EXT_VENDOR,
	KVMR_SBI_EXT_DBCN, /* forwarded to userspace, off by default */
	KVMR_SBI_EXT_STA,
	KVMR_SBI_EXT_SUSP,
	KVMR_SBI_EXT_FWFT,
	KVMR_SBI_EXT_MPXY,
};
#define KVMR_SBI_SINGLE	   0 /* subtypes */
#define KVMR_SBI_MULTI_EN  1
#define KVMR_SBI_MULTI_DIS 2
/* One extension: value 0 or 1. */
#define KVMR_SBI_EXT_SINGLE_ID(ext)                                            \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_SBI_EXT, KVMR_SBI_SINGLE, ext)
/* A bitmap of 64 extensions (ext / 64), bit ext % 64: set bits enable
 * (MULTI_EN) or disable (MULTI_DIS) those extensions. */
#define KVMR_SBI_EXT_MULTI_ID(subtype, ext)                                    \
	KVMR_REG_ID(KVMR_REG_SIZE_ULONG, KVMR_REG_SBI_EXT, subtype, (ext) / 64)
#define KVMR_SBI_EXT_MULTI_MASK(ext) (1ULL << ((ext) % 64))

/* The in-kernel AIA (APLIC + IMSIC) device, KVM_CREATE_DEVICE type 11. */
#define KVMR_DEV_TYPE_RISCV_AIA		  11
#define KVMR_AIA_GRP_CONFIG		  0
#define KVMR_AIA_CONFIG_MODE		  0
#define KVMR_AIA_CONFIG_IDS		  1
#define KVMR_AIA_CONFIG_SRCS		  2
#define KVMR_AIA_CONFIG_GROUP_BITS	  3
#define KVMR_AIA_CONFIG_GROUP_SHIFT	  4
#define KVMR_AIA_CONFIG_HART_BITS	  5
#define KVMR_AIA_CONFIG_GUEST_BITS	  6
#define KVMR_AIA_MODE_EMUL		  0
#define KVMR_AIA_MODE_HWACCEL		  1
#define KVMR_AIA_MODE_AUTO		  2
#define KVMR_AIA_GRP_ADDR		  1
#define KVMR_AIA_ADDR_APLIC		  0
#define KVMR_AIA_ADDR_IMSIC(vcpu)	  (1 + (vcpu))
#define KVMR_AIA_GRP_CTRL		  2
#define KVMR_AIA_CTRL_INIT		  0
#define KVMR_AIA_APLIC_SIZE		  0x4000U
#define KVMR_AIA_IMSIC_SIZE		  0x1000U
#define KVMR_AIA_IDS_MIN		  63
#define KVMR_AIA_IDS_MAX		  2048
#define KVMR_AIA_SRCS_MAX		  1024

/* KVM_CREATE_DEVICE and KVM_SET_DEVICE_ATTR (the AIA device), and
 * KVM_INTERRUPT: riscv raises (SET) or lowers (UNSET) the vCPU's external
 * interrupt with it, for a userspace interrupt controller. */
struct kvmr_create_device {
	uint32_t type;
	uint32_t fd;
	uint32_t flags;
};
struct kvmr_device_attr {
	uint32_t flags;
	uint32_t group;
	uint64_t attr;
	uint64_t addr;
};
struct kvmr_interrupt {
	uint32_t irq;
};
#define KVMR_CREATE_DEVICE                                                     \
	MVM_IOWR(MVM_KVMIO, 0xe0, sizeof(struct kvmr_create_device))
#define KVMR_SET_DEVICE_ATTR                                                   \
	MVM_IOW(MVM_KVMIO, 0xe1, sizeof(struct kvmr_device_attr))
#define KVMR_INTERRUPT	    MVM_IOW(MVM_KVMIO, 0x86, sizeof(struct kvmr_interrupt))
#define KVMR_INTERRUPT_SET   (-1U)
#define KVMR_INTERRUPT_UNSET (-2U)

#endif
