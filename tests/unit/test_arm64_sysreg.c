/* test_arm64_sysreg.c: tools/gen-sysreg on good and broken descriptions (exit status, file:line errors), and the generated arm64 header. */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysreg.h"
#include "unit.h"

#ifndef MINIVMM_SRCDIR
#define MINIVMM_SRCDIR "."
#endif
#define GEN	   MINIVMM_SRCDIR "/tools/gen-sysreg"
#define DATA_DIR   MINIVMM_SRCDIR "/tests/unit/data/sysreg"
#define STR_(x)	   #x
#define REG_STR(x) STR_(x)

/* Each broken description, the line the error must name, and a fragment
 * of the message. */
static const struct bad_case {
	const char *file;
	int line;
	const char *msg;
} bad[] = {
    {"bad_missing_bit0.txt", 5, "bits [0:0] not described"},
    {"bad_missing_bit0_prefix.txt", 5, "Prefix P ends with bits [0:0]"},
    {"bad_missing_high.txt", 3, "bits [63:32] are not described"},
    {"bad_overlap.txt", 5, "overlap"},
    {"bad_order.txt", 3, "MSB to LSB"},
    {"bad_gap.txt", 4, "bits [7:6] are not described"},
    {"bad_beyond_bit0.txt", 4, "beyond bit 0"},
    {"bad_prefix_repeat.txt", 6, "Prefix P repeated"},
    {"bad_prefix_after.txt", 4, "Prefix after unprefixed fields"},
    {"bad_prefix_nested.txt", 4, "Prefix inside Prefix"},
    {"bad_prefix_unterminated.txt", 5, "EndSysreg inside Prefix"},
    {"bad_unterminated_sysreg.txt", 2, "not terminated (no EndSysreg)"},
    {"bad_unterminated_enum.txt", 4, "not terminated (no EndEnum)"},
    {"bad_enum_field_inside.txt", 6, "inside an enum"},
    {"bad_enum_wide.txt", 6, "0b100 is wider than the 2-bit field"},
    {"bad_enum_digits.txt", 5, "0b001 is wider than the 2-bit field"},
    {"bad_unknown_keyword.txt", 3, "unknown keyword \"Feild\""},
    {"bad_malformed_field.txt", 3, "malformed Field line"},
    {"bad_malformed_range.txt", 3, "lsb above msb"},
    {"bad_range_64.txt", 3, "beyond bit 63"},
    {"bad_encoding.txt", 2, "op0 \"4\""},
    {"bad_sysreg_args.txt", 2, "malformed Sysreg line"},
    {"bad_duplicate_field.txt", 4, "T_EL1_A is already defined at line 3"},
    {"bad_duplicate_reg.txt", 5, "already described at line 2"},
    {"bad_fields_unknown.txt", 3, "no SysregFields NOPE"},
    {"bad_field_outside.txt", 2, "outside a Sysreg"},
    {"bad_end_mismatch.txt", 4, "closes Sysreg T_EL1"},
    {"bad_mapping_with_fields.txt", 4, "Mapping after fields"},
};

/* Runs the generator; its stderr goes to 'err'. Returns the exit status. */
static int run_gen(const char *desc, const char *out, char *err, size_t len)
{
	int pfd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(pfd[1], 2);
		dup2(nul, 1);
		close(pfd[0]);
		execl(GEN, GEN, "-o", out, desc, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], err + n, len - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_bad(const struct bad_case *c, const char *out)
{
	char path[512], err[1024], where[600];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", DATA_DIR, c->file);
	snprintf(where, sizeof(where), "%s:%d: ", path, c->line);
	unlink(out);
	rc = run_gen(path, out, err, sizeof(err));
	CHECK_EQ(rc, 1);
	if (!strstr(err, where) || !strstr(err, c->msg))
		fprintf(stderr, "%s: want \"%s...%s\", got: %s", c->file, where,
			c->msg, err);
	CHECK(strstr(err, where) == err);
	CHECK(strstr(err, c->msg) != NULL);
	CHECK(access(out, F_OK) != 0); /* nothing written on error */
}

/* Every bad_*.txt in the data directory has a row above. */
static void test_all_listed(void)
{
	DIR *d = opendir(DATA_DIR);
	struct dirent *e;
	unsigned int files = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		bool listed = false;

		if (strncmp(e->d_name, "bad_", 4))
			continue;
		files++;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			listed |= !strcmp(bad[i].file, e->d_name);
		if (!listed)
			fprintf(stderr, "%s has no expected error\n",
				e->d_name);
		CHECK(listed);
	}
	if (d)
		closedir(d);
	CHECK_EQ(files, sizeof(bad) / sizeof(bad[0]));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Is "#define NAME VALUE" a line of the generated text? */
static bool has_define(const char *text, const char *name, const char *value)
{
	size_t nlen = strlen(name);

	for (const char *p = text; (p = strstr(p, "#define ")); p++) {
		const char *q = p + 8;

		if (strncmp(q, name, nlen) ||
		    (q[nlen] != ' ' && q[nlen] != '\t'))
			continue;
		q += nlen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncmp(q, value, strlen(value)) &&
		    q[strlen(value)] == '\n')
			return true;
		fprintf(stderr, "%s: value %.*s, want %s\n", name,
			(int)strcspn(q, "\n"), q, value);
		return false;
	}
	fprintf(stderr, "%s: not defined\n", name);
	return false;
}

static void test_good(const char *out)
{
	char err[1024];
	char *text;

	CHECK_EQ(run_gen(DATA_DIR "/good.txt", out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	text = slurp(out);
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(has_define(text, "REG_TEST_B_EL2", "S3_4_C12_C11_7"));
	CHECK(has_define(text, "SYS_TEST_B_EL2", "0xe65f"));
	CHECK(has_define(text, "SYS_TEST_A_EL1_Op2", "4"));
	CHECK(has_define(text, "SYS_TEST_B_EL2_CRn", "12"));
	CHECK(has_define(text, "TEST_B_EL2_VPMR_SHIFT", "24"));
	CHECK(has_define(text, "FEAT_X_TEST_B_EL2_VPMR_SHIFT", "27"));
	CHECK(has_define(text, "FEAT_X_TEST_B_EL2_VPMR_WIDTH", "5"));
	CHECK(has_define(text, "FEAT_X_TEST_B_EL2_RES0",
			 "0xffffffff07fffffeULL"));
	CHECK(has_define(text, "FEAT_Y_TEST_B_EL2_ALL_MASK",
			 "0xffffffffffffffffULL"));
	CHECK(has_define(text, "TEST_B_EL2_RES0", "0x00000000000001ffULL"));
	CHECK(has_define(text, "TEST_B_EL2_RES1", "0xffffffff00000000ULL"));
	CHECK(has_define(text, "TEST_B_EL2_UNKN", "0x00000000001c0000ULL"));
	CHECK(has_define(text, "TEST_B_EL2_MODE_SIGNED", "0"));
	CHECK(has_define(text, "TEST_B_EL2_MODE_ON", "0x5ULL"));
	CHECK(has_define(text, "TEST_B_EL2_BIT_SET", "0x1ULL"));
	CHECK(has_define(text, "SHARED_FIELDS_LO_SIGNED", "1"));
	CHECK(has_define(text, "SHARED_FIELDS_LO_MINUS1", "0xfULL"));
	CHECK(
	    has_define(text, "SHARED_FIELDS_HI_MASK", "0x00000000000000f0ULL"));
	CHECK(strstr(text, "TEST_B_EL2_BIT_SIGNED") == NULL); /* plain Enum */
	CHECK(strstr(text, "/* For TEST_A_EL1 fields see SHARED_FIELDS */"));
	free(text);
}

/* The header built from arch/arm64/sysreg.txt, as the code uses it. */
static void test_real_header(void)
{
	CHECK_EQ(ICH_VMCR_EL2_VPMR_SHIFT, 24);
	CHECK_EQ(ICH_VMCR_EL2_VPMR_WIDTH, 8);
	CHECK_EQ(FEAT_GCIE_ICH_VMCR_EL2_VPMR_SHIFT, 27);
	CHECK_EQ(FEAT_GCIE_ICH_VMCR_EL2_VPMR_WIDTH, 5);
	CHECK_EQ(FEAT_GCIE_ICH_VMCR_EL2_EN_MASK, 1);
	CHECK_EQ(FEAT_GCIE_ICH_VMCR_EL2_RES0, 0xffffffff07fffffeULL);
	CHECK_EQ(ICH_VMCR_EL2_RES0, 0xffffffff0003fde0ULL);
	CHECK_EQ(ICH_VMCR_EL2_VBPR0_MASK, 0x00e00000);
	CHECK_EQ(ICH_VMCR_EL2_VBPR1_MASK, 0x001c0000);
	CHECK_EQ(ICH_VMCR_EL2_VEOIM_SHIFT, 9);
	CHECK_EQ(ICH_VMCR_EL2_VCBPR_SHIFT, 4);
	CHECK_EQ(ICH_VMCR_EL2_VFIQEn_SHIFT, 3);
	CHECK_EQ(ICH_VMCR_EL2_VAckCtl_SHIFT, 2);
	CHECK_EQ(ICH_VMCR_EL2_VENG1_SHIFT, 1);
	CHECK_EQ(ICH_VMCR_EL2_VENG0_SHIFT, 0);
	CHECK_STR(REG_STR(REG_ICH_VMCR_EL2), "S3_4_C12_C11_7");
	CHECK_EQ(SYS_ICH_VMCR_EL2, 0xe65f);
	CHECK_EQ(SYS_ICH_VMCR_EL2_Op1, 4);
	/* The CPU_SYSREGS encodings of the uAPI digest. */
	CHECK_EQ(SYS_ICC_PMR_EL1, 0xc230);
	CHECK_EQ(SYS_ICC_BPR0_EL1, 0xc643);
	CHECK_EQ(SYS_ICC_BPR1_EL1, 0xc663);
	CHECK_EQ(SYS_ICC_CTLR_EL1, 0xc664);
	CHECK_EQ(SYS_ICC_SRE_EL1, 0xc665);
	CHECK_EQ(SYS_ICC_IGRPEN0_EL1, 0xc666);
	CHECK_EQ(SYS_ICC_IGRPEN1_EL1, 0xc667);
	CHECK_EQ(SYS_MPIDR_EL1, 0xc005);
	CHECK_EQ(ICC_CTLR_EL1_EOImode_MASK, 2);
	CHECK_EQ(ICC_CTLR_EL1_CBPR_MASK, 1);
	CHECK_EQ(ICC_CTLR_EL1_RES0, 0xfffffffffff300bcULL);
	CHECK_EQ(ICC_PMR_EL1_RES0, 0xffffffffffffff00ULL);
	CHECK_EQ(MPIDR_EL1_RES1, 0x80000000);
	CHECK_EQ(MPIDR_EL1_Aff3_SHIFT, 32);
	CHECK_EQ(KVM_VGIC_V3_ATTR_Aff3_SHIFT, 56);
	CHECK_EQ(KVM_VGIC_V3_ATTR_Aff0_SHIFT, 32);
	CHECK_EQ(CPU_SYSREGS_KVM_VGIC_V3_ATTR_INSTR_MASK, 0xffff);
	CHECK_EQ(LEVEL_INFO_KVM_VGIC_V3_ATTR_INFO_SHIFT, 10);
	CHECK_EQ(ARM64_IMAGE_FLAGS_PAGE_SIZE_SHIFT, 1);
}

int main(void)
{
	char out[] = "/tmp/test_arm64_sysreg.XXXXXX";
	int fd = mkstemp(out);

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	test_all_listed();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_bad(&bad[i], out);
	test_good(out);
	unlink(out);
	test_real_header();
	return unit_done("arm64_sysreg");
}
