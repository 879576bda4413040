/* isa.c: builds the riscv,isa string, the riscv,isa-extensions list and mmu-type from KVM's ISA registers. */
#include <errno.h>
#include <string.h>

#include "isa.h"
#include "kvm_riscv.h"
#include "util.h"

/* Canonical order of single-letter extensions (ISA manual, naming). */
static const char canonical[] = "imafdqlcbkjtpvh";

/* Multi-letter names by KVM ISA_EXT id; single letters come from CONFIG. */
static const char *const ext_names[KVMR_ISA_EXT_KNOWN] = {
    [KVMR_ISA_EXT_SVPBMT] = "svpbmt",	 [KVMR_ISA_EXT_SSTC] = "sstc",
    [KVMR_ISA_EXT_SVINVAL] = "svinval",	 [KVMR_ISA_EXT_ZIHINTPAUSE] = "zihintpause",
    [KVMR_ISA_EXT_ZICBOM] = "zicbom",	 [KVMR_ISA_EXT_ZICBOZ] = "zicboz",
    [KVMR_ISA_EXT_ZBB] = "zbb",		 [KVMR_ISA_EXT_SSAIA] = "ssaia",
    [KVMR_ISA_EXT_SVNAPOT] = "svnapot",	 [KVMR_ISA_EXT_ZBA] = "zba",
    [KVMR_ISA_EXT_ZBS] = "zbs",		 [KVMR_ISA_EXT_ZICNTR] = "zicntr",
    [KVMR_ISA_EXT_ZICSR] = "zicsr",	 [KVMR_ISA_EXT_ZIFENCEI] = "zifencei",
    [KVMR_ISA_EXT_ZIHPM] = "zihpm",	 [KVMR_ISA_EXT_SMSTATEEN] = "smstateen",
    [KVMR_ISA_EXT_ZICOND] = "zicond",	 [KVMR_ISA_EXT_ZBC] = "zbc",
    [KVMR_ISA_EXT_ZBKB] = "zbkb",	 [KVMR_ISA_EXT_ZBKC] = "zbkc",
    [KVMR_ISA_EXT_ZBKX] = "zbkx",	 [KVMR_ISA_EXT_ZKND] = "zknd",
    [KVMR_ISA_EXT_ZKNE] = "zkne",	 [KVMR_ISA_EXT_ZKNH] = "zknh",
    [KVMR_ISA_EXT_ZKR] = "zkr",		 [KVMR_ISA_EXT_ZKSED] = "zksed",
    [KVMR_ISA_EXT_ZKSH] = "zksh",	 [KVMR_ISA_EXT_ZKT] = "zkt",
    [KVMR_ISA_EXT_ZVBB] = "zvbb",	 [KVMR_ISA_EXT_ZVBC] = "zvbc",
    [KVMR_ISA_EXT_ZVKB] = "zvkb",	 [KVMR_ISA_EXT_ZVKG] = "zvkg",
    [KVMR_ISA_EXT_ZVKNED] = "zvkned",	 [KVMR_ISA_EXT_ZVKNHA] = "zvknha",
    [KVMR_ISA_EXT_ZVKNHB] = "zvknhb",	 [KVMR_ISA_EXT_ZVKSED] = "zvksed",
    [KVMR_ISA_EXT_ZVKSH] = "zvksh",	 [KVMR_ISA_EXT_ZVKT] = "zvkt",
    [KVMR_ISA_EXT_ZFH] = "zfh",		 [KVMR_ISA_EXT_ZFHMIN] = "zfhmin",
    [KVMR_ISA_EXT_ZIHINTNTL] = "zihintntl", [KVMR_ISA_EXT_ZVFH] = "zvfh",
    [KVMR_ISA_EXT_ZVFHMIN] = "zvfhmin",	 [KVMR_ISA_EXT_ZFA] = "zfa",
    [KVMR_ISA_EXT_ZTSO] = "ztso",	 [KVMR_ISA_EXT_ZACAS] = "zacas",
    [KVMR_ISA_EXT_SSCOFPMF] = "sscofpmf", [KVMR_ISA_EXT_ZIMOP] = "zimop",
    [KVMR_ISA_EXT_ZCA] = "zca",		 [KVMR_ISA_EXT_ZCB] = "zcb",
    [KVMR_ISA_EXT_ZCD] = "zcd",		 [KVMR_ISA_EXT_ZCF] = "zcf",
    [KVMR_ISA_EXT_ZCMOP] = "zcmop",	 [KVMR_ISA_EXT_ZAWRS] = "zawrs",
    [KVMR_ISA_EXT_SMNPM] = "smnpm",	 [KVMR_ISA_EXT_SSNPM] = "ssnpm",
    [KVMR_ISA_EXT_SVADE] = "svade",	 [KVMR_ISA_EXT_SVADU] = "svadu",
    [KVMR_ISA_EXT_SVVPTC] = "svvptc",	 [KVMR_ISA_EXT_ZABHA] = "zabha",
    [KVMR_ISA_EXT_ZICCRSE] = "ziccrse",	 [KVMR_ISA_EXT_ZAAMO] = "zaamo",
    [KVMR_ISA_EXT_ZALRSC] = "zalrsc",	 [KVMR_ISA_EXT_ZICBOP] = "zicbop",
};

/* Sort key: Z extensions first, by the canonical position of their
 * category letter (unknown categories last); then S, then the rest. */
static unsigned int rank(const char *name)
{
	const char *cat;

	if (name[0] == 'z') {
		cat = name[1] ? strchr(canonical, name[1]) : NULL;
		return cat ? (unsigned int)(cat - canonical) : sizeof(canonical);
	}
	return name[0] == 's' ? sizeof(canonical) + 1 : sizeof(canonical) + 2;
}

static bool before(const char *a, const char *b)
{
	unsigned int ra = rank(a), rb = rank(b);

	return ra != rb ? ra < rb : strcmp(a, b) < 0;
}

/* The enabled multi-letter names in canonical order; returns the count. */
static size_t multi_letter(const uint64_t *isa_ext, const char **out)
{
	size_t n = 0;

	for (size_t id = 0; id < ARRAY_SIZE(ext_names); id++) {
		const char *name = ext_names[id];
		size_t i;

		if (!name || !(isa_ext[id / 64] >> (id % 64) & 1))
			continue;
		for (i = n++; i > 0 && before(name, out[i - 1]); i--)
			out[i] = out[i - 1];
		out[i] = name;
	}
	return n;
}

struct sink {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(struct sink *s, const char *str, size_t n)
{
	if (s->full || n >= s->len - s->pos) {
		s->full = true;
		return;
	}
	memcpy(s->buf + s->pos, str, n);
	s->pos += n;
	s->buf[s->pos] = '\0';
}

/* Every extension once, single letters first; sep follows each token in a
 * list (NUL) or precedes each multi-letter one in a string ('_'). */
static int emit(struct sink *s, uint64_t isa, const uint64_t *isa_ext,
		bool list)
{
	const char *multi[KVMR_ISA_EXT_KNOWN];
	size_t n = multi_letter(isa_ext, multi);

	if (!(isa >> ('i' - 'a') & 1))
		return -EINVAL;
	for (const char *c = canonical; *c; c++) {
		if (!(isa >> (*c - 'a') & 1))
			continue;
		put(s, c, 1);
		if (list)
			put(s, "", 1);
	}
	for (size_t i = 0; i < n; i++) {
		if (!list)
			put(s, "_", 1);
		put(s, multi[i], strlen(multi[i]) + list);
	}
	return s->full ? -ENOSPC : (int)s->pos;
}

int riscv_isa_string(unsigned int xlen, uint64_t isa, const uint64_t *isa_ext,
		     char *buf, size_t len)
{
	struct sink s = {.buf = buf, .len = len};

	if ((xlen != 32 && xlen != 64) || !len)
		return -EINVAL;
	buf[0] = '\0';
	put(&s, xlen == 64 ? "rv64" : "rv32", 4);
	return emit(&s, isa, isa_ext, false);
}

int riscv_isa_ext_list(uint64_t isa, const uint64_t *isa_ext, char *buf,
		       size_t len)
{
	struct sink s = {.buf = buf, .len = len};

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	return emit(&s, isa, isa_ext, true);
}

const char *riscv_mmu_type(unsigned int xlen, uint64_t satp_mode)
{
	if (satp_mode == KVMR_SATP_MODE_BARE)
		return "riscv,none";
	if (xlen == 32)
		return satp_mode == KVMR_SATP_MODE_SV32 ? "riscv,sv32" : NULL;
	switch (satp_mode) {
	case KVMR_SATP_MODE_SV39:
		return "riscv,sv39";
	case KVMR_SATP_MODE_SV48:
		return "riscv,sv48";
	case KVMR_SATP_MODE_SV57:
		return "riscv,sv57";
	default:
		return NULL;
	}
}
