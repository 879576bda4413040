/* test_snapshot_file.c: unit tests of the snapshot file: CRC32C, round trips, sparse memory, every refusal, atomic writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit.h"
#include "log.h"
#include "snapshot_file.h"
#include "util.h"

#define PS 4096u
#define HDR_LEN 128u /* the file header, as docs/snapshot-format.md has it */

static char dir[64];
static char logged[512]; /* the last message the writer logged */

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(logged, sizeof(logged), fmt, ap);
	va_end(ap);
}

#define PATH_LEN 128

/* buf = dir/name */
static char *dpath(char *buf, const char *name)
{
	snprintf(buf, PATH_LEN, "%s/%s", dir, name);
	return buf;
}

/* Names in the test directory, "," separated, sorted by readdir order. */
static int dir_entries(char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	out[0] = 0;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		strncat(out, e->d_name, len - strlen(out) - 2);
		strcat(out, ",");
	}
	if (d)
		closedir(d);
	return n;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, len), len);
	close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		*len = 0;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, buf, (size_t)st.st_size);
	close(fd);
	return buf;
}

/* ---- CRC32C ---- */

static void test_crc32c(void)
{
	static const uint8_t zeros[32];
	size_t big = 3 * 8192 * 4 + 999, bad = 0;
	uint8_t *buf = malloc(big + 8);

	CHECK_EQ(crc32c(0, "123456789", 9), 0xe3069283);
	CHECK_EQ(crc32c_sw(0, "123456789", 9), 0xe3069283);
	CHECK_EQ(crc32c(0, zeros, 32), 0x8a9136aa);
	CHECK_EQ(crc32c_sw(0, zeros, 32), 0x8a9136aa);
	CHECK_EQ(crc32c(0, "", 0), 0);
	CHECK_EQ(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
	for (size_t i = 0; i < big + 8; i++)
		buf[i] = (uint8_t)(i * 7919 + (i >> 9));
	/* The hardware path (3 interleaved streams) against the tables, at
	 * odd lengths and alignments around the stream size. */
	for (size_t off = 0; off < 8; off += 3) {
		static const size_t lens[] = { 1, 7, 8, 63, 4096, 24575, 24576,
					       24577, 49152 + 5 };

		for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
			bad += crc32c(0x1234, buf + off, lens[i]) !=
			       crc32c_sw(0x1234, buf + off, lens[i]);
		bad += crc32c(0, buf + off, big) !=
		       crc32c_sw(0, buf + off, big);
	}
	CHECK_EQ(bad, 0);
	free(buf);
}

/* ---- a sparse guest ---- */

/* Three banks, one at 4 GiB; about one page in five is non-zero, plus a
 * long run (mapped on load) and pages with a single non-zero byte at either
 * end. */
static const struct mem_bank layout[] = {
	{ 0, 2 * MiB }, { 16 * MiB, 1 * MiB }, { 4 * GiB, 3 * MiB },
};

static void mem_map(struct guest_mem *m, const struct mem_bank *b,
		    unsigned int nr)
{
	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < nr; i++) {
		void *p = mmap(NULL, b[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHECK(p != MAP_FAILED);
		m->regions[i].gpa = b[i].gpa;
		m->regions[i].size = b[i].size;
		m->regions[i].hva = p;
		m->total += b[i].size;
	}
	m->nr = nr;
}

static void mem_unmap(struct guest_mem *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		munmap(m->regions[i].hva, m->regions[i].size);
}

static uint64_t mem_fill(struct guest_mem *m)
{
	uint64_t nonzero = 0, seed = 42;

	for (unsigned int b = 0; b < m->nr; b++) {
		uint8_t *p = m->regions[b].hva;
		uint64_t pages = m->regions[b].size / PS;

		for (uint64_t pg = 0; pg < pages; pg++) {
			bool run = b == 2 && pg >= 100 && pg < 164;

			seed = seed * 6364136223846793005ULL + 1;
			if ((seed >> 60) < 3 || run) {
				for (unsigned int i = 0; i < PS; i += 64)
					p[pg * PS + i] =
						(uint8_t)(seed >> (i % 56));
				p[pg * PS] |= 1;
				nonzero++;
			}
		}
		p[7 * PS + PS - 1] = 0x5a; /* only the last byte */
		p[9 * PS] = 0xa5;	   /* only the first byte */
		nonzero += 2;
	}
	return nonzero;
}

static bool mem_equal(const struct guest_mem *a, const struct guest_mem *b)
{
	for (unsigned int i = 0; i < a->nr; i++)
		if (memcmp(a->regions[i].hva, b->regions[i].hva,
			   a->regions[i].size))
			return false;
	return true;
}

/* The sections the round trip writes: type, instance, length. */
static const struct {
	uint32_t type, inst, len;
} secs[] = {
	{ SNAP_SEC_CONFIG, 0, 40 },    { SNAP_SEC_CLOCK, 0, 16 },
	{ SNAP_SEC_ARCH_VM, 0, 3000 }, { SNAP_SEC_ARCH_VCPU, 0, 900 },
	{ SNAP_SEC_ARCH_VCPU, 1, 900 }, { SNAP_SEC_DEVICE, 0, 0 },
	{ SNAP_SEC_DEVICE, 1, 77 },
};

static void sec_payload(unsigned int i, uint8_t *buf)
{
	for (uint32_t j = 0; j < secs[i].len; j++)
		buf[j] = (uint8_t)(i * 31 + j);
}

static int save(const char *path, const struct guest_mem *m, uint32_t flags)
{
	struct snap_writer *w;
	uint8_t buf[4096];
	int ret = snap_writer_open(&w, path, SNAP_ARCH_X86_64, "v1.2-test",
				   flags);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < ARRAY_SIZE(secs) && !ret; i++) {
		sec_payload(i, buf);
		ret = snap_write_section(w, secs[i].type, secs[i].inst, buf,
					 secs[i].len);
		if (i == 3 && !ret)
			ret = snap_write_memory(w, m);
	}
	if (ret) {
		snap_writer_abort(w);
		return ret;
	}
	return snap_writer_commit(w);
}

static uint64_t hash_file(const char *path, struct timespec *mtime)
{
	size_t len;
	uint8_t *buf = read_file(path, &len);
	struct stat st;
	uint64_t h = crc32c(0, buf, len) | (uint64_t)len << 32;

	stat(path, &st);
	*mtime = st.st_mtim;
	free(buf);
	return h;
}

static void test_round_trip(void)
{
	struct guest_mem m, m2, m3;
	struct snap_reader *r;
	struct mem_bank banks[8];
	struct timespec t0, t1;
	char err[256], names[256];
	uint8_t buf[4096];
	const void *data;
	size_t len;
	unsigned int nr;
	uint64_t nonzero, h0, h1;
	struct stat st;
	char path[PATH_LEN];

	dpath(path, "vm.snap");
	mem_map(&m, layout, ARRAY_SIZE(layout));
	nonzero = mem_fill(&m);
	CHECK_EQ(save(path, &m, SNAP_FLAG_PAGE_CRC), 0);
	CHECK_EQ(dir_entries(names, sizeof(names)), 1); /* no temporary left */
	CHECK(!strcmp(names, "vm.snap,"));

	/* Sparse: the file holds the non-zero pages plus a little. */
	CHECK_EQ(stat(path, &st), 0);
	CHECK((uint64_t)st.st_size >= nonzero * PS);
	CHECK((uint64_t)st.st_size < nonzero * PS + 5 * PS);
	CHECK(nonzero * PS < m.total / 3);

	h0 = hash_file(path, &t0);
	CHECK_EQ(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err)),
		 0);
	if (!r) {
		fprintf(stderr, "open: %s\n", err);
		return;
	}
	CHECK_EQ(snap_reader_info(r)->major, SNAP_VERSION_MAJOR);
	CHECK_EQ(snap_reader_info(r)->minor, SNAP_VERSION_MINOR);
	CHECK_EQ(snap_reader_info(r)->flags, SNAP_FLAG_PAGE_CRC);
	CHECK_STR(snap_reader_info(r)->vmm_version, "v1.2-test");
	for (unsigned int i = 0; i < ARRAY_SIZE(secs); i++) {
		sec_payload(i, buf);
		CHECK_EQ(snap_reader_find(r, secs[i].type, secs[i].inst, &data,
					  &len), 0);
		CHECK_EQ(len, secs[i].len);
		CHECK(!memcmp(data, buf, secs[i].len));
	}
	CHECK_EQ(snap_reader_find(r, SNAP_SEC_ARCH_VCPU, 2, &data, &len),
		 -ENOENT);
	CHECK(strstr(snap_reader_error(r), "ARCH_VCPU #2"));
	CHECK_EQ(snap_reader_mem_layout(r, banks, 8, &nr), 0);
	CHECK_EQ(nr, 3);
	CHECK(!memcmp(banks, layout, sizeof(layout)));
	CHECK_EQ(snap_reader_mem_layout(r, banks, 2, &nr), -ENOSPC);

	mem_map(&m2, layout, 3);
	mem_map(&m3, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, 0), 0);	    /* mapped */
	CHECK_EQ(snap_reader_load_memory(r, &m3, SNAP_LOAD_COPY), 0); /* read */
	CHECK(mem_equal(&m, &m2));
	CHECK(mem_equal(&m, &m3));
	mem_unmap(&m3);
	mem_map(&m3, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m3, SNAP_LOAD_VERIFY), 0);
	CHECK(mem_equal(&m, &m3));
	/* The mapping is private: guest writes never reach the file. */
	memset(m2.regions[2].hva + 100 * PS, 0xee, 64 * PS);
	memset(m3.regions[0].hva, 0xee, m3.regions[0].size);
	snap_reader_close(r);
	h1 = hash_file(path, &t1);
	CHECK_EQ(h0, h1);
	CHECK(t0.tv_sec == t1.tv_sec && t0.tv_nsec == t1.tv_nsec);
	mem_unmap(&m);
	mem_unmap(&m2);
	mem_unmap(&m3);
	unlink(path);
}

/* A VM restored by mapping the file and saved again before touching its
 * memory: the untouched pages of the mapped runs are not present, yet hold
 * data, and must be in the second file. */
static void test_resave_mapped(void)
{
	struct guest_mem m, m2, m3;
	struct snap_reader *r;
	char err[256], path[PATH_LEN], path2[PATH_LEN];

	dpath(path, "a.snap");
	dpath(path2, "b.snap");
	mem_map(&m, layout, ARRAY_SIZE(layout));
	mem_fill(&m);
	CHECK_EQ(save(path, &m, SNAP_FLAG_PAGE_CRC), 0);
	CHECK_EQ(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err)),
		 0);
	mem_map(&m2, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, 0), 0); /* mapped; untouched */
	CHECK(m2.regions[2].file_backed); /* the 64-page run */
	CHECK(!m2.regions[0].file_backed); /* its runs are short: copied */
	snap_reader_close(r);
	CHECK_EQ(save(path2, &m2, SNAP_FLAG_PAGE_CRC), 0);
	CHECK_EQ(snap_reader_open(&r, path2, SNAP_ARCH_X86_64, err,
				  sizeof(err)), 0);
	mem_map(&m3, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m3, SNAP_LOAD_COPY), 0);
	CHECK(mem_equal(&m, &m3));
	snap_reader_close(r);
	mem_unmap(&m);
	mem_unmap(&m2);
	mem_unmap(&m3);
	unlink(path);
	unlink(path2);
}

/* ---- refusals ---- */

struct pos {
	uint32_t type, inst;
	uint64_t off, len; /* section header offset, payload length */
};

/* Walks the file as docs/snapshot-format.md describes it. */
static unsigned int walk(const uint8_t *f, size_t size, struct pos *p,
			 unsigned int max, uint64_t *data_off)
{
	uint64_t off = get_le32(f + 20);
	unsigned int n = 0;

	while (off + 24 <= size && n < max) {
		p[n].type = get_le32(f + off);
		p[n].inst = get_le32(f + off + 4);
		p[n].len = get_le64(f + off + 8);
		p[n].off = off;
		off += 24 + p[n].len;
		if (p[n].type == SNAP_SEC_MEMORY) {
			*data_off = get_le64(f + p[n].off + 24 + 16);
			off = *data_off + get_le64(f + p[n].off + 24 + 24);
		}
		if (p[n++].type == SNAP_SEC_END)
			break;
	}
	return n;
}

/* Opens buf written as a file; expects a refusal whose message has want
 * (and want2, if given). */
static void refused_(const uint8_t *buf, size_t len, const char *want,
		     const char *want2, int line)
{
	struct snap_reader *r;
	char err[256] = "";
	char path[PATH_LEN];
	int ret;

	dpath(path, "bad.snap");
	write_file(path, buf, len);
	ret = snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err));
	CHECK(ret < 0 && r == NULL);
	if (ret >= 0)
		snap_reader_close(r);
	if (!strstr(err, want) || (want2 && !strstr(err, want2))) {
		unit_failures++;
		fprintf(stderr, "line %d: refusal \"%s\" lacks \"%s\"%s%s\n",
			line, err, want, want2 ? " or " : "",
			want2 ? want2 : "");
	}
	unit_checks++;
	unlink(path);
}
#define refused(b, l, w, w2) refused_(b, l, w, w2, __LINE__)

static void fix_header_crc(uint8_t *f)
{
	put_le32(f + 124, crc32c(0, f, 124));
}

static void test_refusals(void)
{
	struct guest_mem m;
	struct pos p[32];
	char where[128], name[16];
	size_t size;
	uint64_t data_off = 0;
	uint8_t *f, *g;
	unsigned int n;
	char path[PATH_LEN];

	dpath(path, "good.snap");
	mem_map(&m, layout, 3);
	mem_fill(&m);
	CHECK_EQ(save(path, &m, SNAP_FLAG_PAGE_CRC), 0);
	mem_unmap(&m);
	f = read_file(path, &size);
	g = malloc(size);
	n = walk(f, size, p, ARRAY_SIZE(p), &data_off);
	CHECK_EQ(n, ARRAY_SIZE(secs) + 2); /* + MEMORY + END */
	CHECK_EQ(p[n - 1].type, SNAP_SEC_END);
	CHECK_EQ(p[4].type, SNAP_SEC_MEMORY);
	CHECK(IS_ALIGNED(data_off, PS));

	/* Truncation at every section boundary and inside each part. */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t cuts[] = { p[i].off, p[i].off + 10,
				    p[i].off + 24 + p[i].len / 2 };

		for (unsigned int c = 0; c < 3; c++)
			if (cuts[c] < size)
				refused(f, cuts[c], "truncated", NULL);
	}
	refused(f, data_off + 1, "truncated", NULL);	      /* in the pages */
	refused(f, data_off + 5 * PS + 17, "truncated", NULL);
	refused(f, size - 1, "truncated", NULL);
	refused(f, 100, "file header: truncated", NULL);
	refused(f, 10, "file header: bad magic", NULL);
	refused(f, 0, "file header: bad magic", NULL);

	/* A bit flip in every byte of the file header. */
	for (unsigned int i = 0; i < 128; i++) {
		memcpy(g, f, size);
		g[i] ^= 1 << (i % 8);
		refused(g, size, "file header", NULL);
	}
	/* A bit flip in each field of each section header, and in each
	 * payload (the MEMORY payload is the page index). */
	for (unsigned int i = 0; i < n; i++) {
		static const unsigned int fields[] = { 0, 5, 9, 14, 17, 22 };

		snprintf(where, sizeof(where), "(offset 0x%" PRIx64 ")",
			 p[i].off);
		for (unsigned int k = 0; k < ARRAY_SIZE(fields); k++) {
			memcpy(g, f, size);
			g[p[i].off + fields[k]] ^= 0x40;
			refused(g, size, where, NULL);
		}
		if (!p[i].len)
			continue;
		snprintf(where, sizeof(where),
			 "section %s #%u (offset 0x%" PRIx64
			 "): checksum mismatch",
			 snap_section_name(p[i].type, name, sizeof(name)),
			 p[i].inst, p[i].off);
		memcpy(g, f, size);
		g[p[i].off + 24 + p[i].len - 1] ^= 0x08;
		refused(g, size, where, NULL);
		if (p[i].type == SNAP_SEC_MEMORY) { /* the last page run */
			memcpy(g, f, size);
			g[p[i].off + 24 + p[i].len - 20] ^= 0x01;
			refused(g, size, where, NULL);
		}
	}
	CHECK(strstr(where, "section END #0"));

	/* Wrong magic, future major version, newer minor, foreign flags,
	 * page size. */
	memcpy(g, f, size);
	memcpy(g, "MINIVMM\0SNAPSHOX", 16);
	fix_header_crc(g);
	refused(g, size, "bad magic", NULL);
	memcpy(g, f, size);
	put_le16(g + 16, 2);
	fix_header_crc(g);
	refused(g, size, "format version 2.0 is not supported", NULL);
	memcpy(g, f, size);
	put_le32(g + 32, get_le32(g + 32) | 1u << 20);
	fix_header_crc(g);
	refused(g, size, "unknown incompatible flags", NULL);
	memcpy(g, f, size);
	put_le32(g + 28, 65536);
	fix_header_crc(g);
	refused(g, size, "page size 65536", NULL);
	memcpy(g, f, size);
	put_le32(g + 24, SNAP_ARCH_ARM64);
	fix_header_crc(g);
	refused(g, size, "file header: arch: the snapshot is for arm64", NULL);
	/* Something appended after the end marker. */
	memcpy(g, f, size);
	g = realloc(g, size + 8);
	memset(g + size, 0, 8);
	refused(g, size + 8, "section END #0", "records a");

	/* An end marker with a valid CRC but the wrong section count. */
	memcpy(g, f, size);
	put_le32(g + p[n - 1].off + 24 + 8, n);
	put_le32(g + p[n - 1].off + 20,
		 crc32c(crc32c(0, g + p[n - 1].off, 20), g + p[n - 1].off + 24,
			16));
	snprintf(where, sizeof(where), "records %u sections, found %u", n,
		 n - 1);
	refused(g, size, "section END #0", where);

	/* A newer minor version and compatible flags are fine. */
	memcpy(g, f, size);
	put_le16(g + 18, 7);
	put_le32(g + 32, get_le32(g + 32) | 1u << 9);
	fix_header_crc(g);
	{
		struct snap_reader *r;
		char err[256] = "", minor[PATH_LEN];

		write_file(dpath(minor, "minor.snap"), g, size);
		CHECK_EQ(snap_reader_open(&r, minor, SNAP_ARCH_X86_64, err,
					  sizeof(err)),
			 0);
		if (r) {
			CHECK_EQ(snap_reader_info(r)->minor, 7);
			snap_reader_close(r);
		}
		unlink(minor);
		/* A foreign architecture. */
		CHECK(snap_reader_open(&r, path, SNAP_ARCH_ARM64, err,
				       sizeof(err)) < 0);
		CHECK(strstr(err, "snapshot is for x86_64, this VM is arm64"));
		dpath(minor, "missing");
		CHECK(snap_reader_open(&r, minor, SNAP_ARCH_X86_64, err,
				       sizeof(err)) == -ENOENT);
	}
	free(f);
	free(g);
	unlink(path);
}

/* Sections of valid length and checksum, but more than
 * SNAP_SECTIONS_TOTAL_MAX together: refused at the one that goes over,
 * before it is read; and a MEMORY section too long for its file. The files
 * are sparse: the payloads are holes (zeros). */
static void test_sections_total(void)
{
	const uint64_t len = 60u << 20; /* 4 fit in 256 MiB, 5 do not */
	uint8_t hdr[HDR_LEN], sh[24], *zeros = calloc(1, len);
	uint32_t zcrc;
	struct snap_reader *r;
	char path[PATH_LEN], err[256] = "", want[96];
	uint64_t off = HDR_LEN;
	int fd;

	CHECK(zeros != NULL);
	if (!zeros)
		return;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, SNAP_MAGIC, 16);
	put_le16(hdr + 16, SNAP_VERSION_MAJOR);
	put_le16(hdr + 18, SNAP_VERSION_MINOR);
	put_le32(hdr + 20, HDR_LEN);
	put_le32(hdr + 24, SNAP_ARCH_X86_64);
	put_le32(hdr + 28, PS);
	fix_header_crc(hdr);
	fd = open(dpath(path, "big.snap"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && pwrite(fd, hdr, sizeof(hdr), 0) == sizeof(hdr));
	for (uint32_t i = 0; i < 5; i++, off += 24 + len) {
		memset(sh, 0, sizeof(sh));
		put_le32(sh, SNAP_SEC_DEVICE);
		put_le32(sh + 4, i);
		put_le64(sh + 8, len);
		zcrc = crc32c(crc32c(0, sh, 20), zeros, len);
		put_le32(sh + 20, zcrc);
		CHECK(pwrite(fd, sh, sizeof(sh), (off_t)off) == sizeof(sh));
	}
	CHECK_EQ(ftruncate(fd, (off_t)off), 0);
	close(fd);
	free(zeros);
	CHECK(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err,
			       sizeof(err)) < 0);
	snprintf(want, sizeof(want),
		 "section DEVICE #4 (offset 0x%" PRIx64 "): length %" PRIu64
		 " is too large", HDR_LEN + 4 * (24 + len), len);
	CHECK(strstr(err, want) != NULL);
	if (!strstr(err, want))
		fprintf(stderr, "refusal: %s\n", err);

	/* A MEMORY section of 100 MiB in a (sparse) file of that size: an
	 * index of the pages the rest of the file can hold is far shorter,
	 * so it is refused before it is read. */
	fd = open(path, O_RDWR | O_TRUNC);
	memset(sh, 0, sizeof(sh));
	put_le32(sh, SNAP_SEC_MEMORY);
	put_le64(sh + 8, 100u << 20);
	CHECK(fd >= 0 && pwrite(fd, hdr, sizeof(hdr), 0) == sizeof(hdr) &&
	      pwrite(fd, sh, sizeof(sh), HDR_LEN) == sizeof(sh));
	CHECK_EQ(ftruncate(fd, HDR_LEN + 24 + (100 << 20)), 0);
	close(fd);
	CHECK(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err,
			       sizeof(err)) < 0);
	CHECK(strstr(err, "section MEMORY #0 (offset 0x80): length 104857600 "
			  "is more than an index of the pages") != NULL);
	unlink(path);
}

/* Page data: not checked at open; checked by copy and verify loads. */
static void test_page_data(void)
{
	struct guest_mem m, m2;
	struct snap_reader *r;
	struct pos p[32];
	char err[256];
	size_t size;
	uint64_t data_off = 0;
	uint8_t *f;
	char path[PATH_LEN];
	struct mem_bank small[3] = { layout[0], layout[1], layout[2] };

	dpath(path, "pages.snap");
	mem_map(&m, layout, 3);
	mem_fill(&m);
	CHECK_EQ(save(path, &m, SNAP_FLAG_PAGE_CRC), 0);
	f = read_file(path, &size);
	walk(f, size, p, ARRAY_SIZE(p), &data_off);
	f[data_off + 3 * PS + 77] ^= 0x10;
	write_file(path, f, size);
	CHECK_EQ(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err)),
		 0);
	if (!r)
		return;
	mem_map(&m2, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, SNAP_LOAD_COPY), -EINVAL);
	CHECK(strstr(snap_reader_error(r), "page data: run "));
	CHECK(strstr(snap_reader_error(r), "checksum mismatch"));
	mem_unmap(&m2);
	mem_map(&m2, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, SNAP_LOAD_VERIFY), -EINVAL);
	CHECK(strstr(snap_reader_error(r), "checksum mismatch"));
	mem_unmap(&m2);
	/* The documented trade-off: a plain mapped load cannot see it. */
	mem_map(&m2, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, 0), 0);
	CHECK(!mem_equal(&m, &m2));
	mem_unmap(&m2);

	/* Layout mismatches. */
	small[2].size -= PS;
	mem_map(&m2, small, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, 0), -EINVAL);
	CHECK(strstr(snap_reader_error(r),
		     "memory layout mismatch: bank 2 is 0x100000000+0x300000 "
		     "in the file, 0x100000000+0x2ff000 in the VM"));
	mem_unmap(&m2);
	mem_map(&m2, layout, 2);
	CHECK_EQ(snap_reader_load_memory(r, &m2, SNAP_LOAD_COPY), -EINVAL);
	CHECK(strstr(snap_reader_error(r), "memory layout mismatch: 3 banks"));
	mem_unmap(&m2);
	snap_reader_close(r);
	mem_unmap(&m);
	free(f);

	/* Without page CRCs: copy loads fine, verify is refused. */
	mem_map(&m, layout, 1);
	mem_fill(&m);
	CHECK_EQ(save(path, &m, 0), 0);
	CHECK_EQ(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err)),
		 0);
	mem_map(&m2, layout, 1);
	CHECK_EQ(snap_reader_load_memory(r, &m2, SNAP_LOAD_COPY), 0);
	CHECK(mem_equal(&m, &m2));
	CHECK_EQ(snap_reader_load_memory(r, &m2, SNAP_LOAD_VERIFY), -EINVAL);
	CHECK(strstr(snap_reader_error(r), "no checksums"));
	snap_reader_close(r);
	mem_unmap(&m2);
	mem_unmap(&m);
	unlink(path);
}

/* An all-zero RAM and no other sections: only the index is written. */
static void test_empty(void)
{
	struct guest_mem m, m2;
	struct snap_reader *r;
	struct snap_writer *w;
	char err[256];
	struct stat st;
	char path[PATH_LEN];

	dpath(path, "zero.snap");
	mem_map(&m, layout, 3);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_write_memory(w, &m), 0);
	CHECK_EQ(snap_writer_commit(w), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK(st.st_size < 2 * PS);
	CHECK_EQ(snap_reader_open(&r, path, SNAP_ARCH_X86_64, err, sizeof(err)),
		 0);
	mem_map(&m2, layout, 3);
	CHECK_EQ(snap_reader_load_memory(r, &m2, 0), 0);
	CHECK(mem_equal(&m, &m2));
	snap_reader_close(r);
	mem_unmap(&m2);
	mem_unmap(&m);
	unlink(path);
}

/* ---- the writer: misuse and atomicity ---- */

static void test_writer_rules(void)
{
	struct guest_mem m;
	struct snap_writer *w;
	char names[256];
	char path[PATH_LEN];

	dpath(path, "rules.snap");
	mem_map(&m, layout, 1);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 1u << 30),
		 -EINVAL);
	CHECK(w == NULL);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_write_section(w, SNAP_SEC_MEMORY, 0, "a", 1), -EINVAL);
	snap_writer_abort(w);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_write_section(w, SNAP_SEC_END, 0, "a", 1), -EINVAL);
	snap_writer_abort(w);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_write_section(w, SNAP_SEC_DEVICE, 3, "a", 1), 0);
	CHECK_EQ(snap_write_section(w, SNAP_SEC_DEVICE, 3, "b", 1), -EEXIST);
	CHECK(strstr(logged, "rules.snap: duplicate section"));
	/* The writer is now failed for good: commit refuses. */
	CHECK_EQ(snap_write_section(w, SNAP_SEC_DEVICE, 4, "b", 1), -EEXIST);
	CHECK_EQ(snap_writer_commit(w), -EEXIST);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_write_memory(w, &m), 0);
	CHECK_EQ(snap_write_memory(w, &m), -EEXIST);
	snap_writer_abort(w);
	CHECK_EQ(dir_entries(names, sizeof(names)), 0);
	mem_unmap(&m);
}

/* A full disk, simulated with RLIMIT_FSIZE (works as root too): the
 * old file under the name stays intact and the temporary goes away. */
static void test_full_disk(void)
{
	struct guest_mem m;
	struct snap_writer *w;
	struct rlimit old, lim;
	char names[256];
	size_t len;
	uint8_t *buf;
	char path[PATH_LEN];

	dpath(path, "full.snap");
	mem_map(&m, layout, 3);
	mem_fill(&m);
	write_file(path, "old contents", 12);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 256 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_EQ(snap_writer_open(&w, path, SNAP_ARCH_X86_64, "x",
				  SNAP_FLAG_PAGE_CRC), 0);
	CHECK_EQ(snap_write_section(w, SNAP_SEC_CONFIG, 0, "cfg", 3), 0);
	CHECK_EQ(snap_write_memory(w, &m), -EFBIG);
	CHECK(strstr(logged, "full.snap: cannot write the guest RAM"));
	CHECK_EQ(dir_entries(names, sizeof(names)), 2); /* old + temporary */
	CHECK_EQ(snap_writer_commit(w), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_EQ(dir_entries(names, sizeof(names)), 1);
	CHECK(!strcmp(names, "full.snap,"));
	buf = read_file(path, &len);
	CHECK(len == 12 && !memcmp(buf, "old contents", 12));
	free(buf);

	/* The same save without the limit replaces it. */
	CHECK_EQ(save(path, &m, SNAP_FLAG_PAGE_CRC), 0);
	CHECK_EQ(dir_entries(names, sizeof(names)), 1);
	buf = read_file(path, &len);
	CHECK(len > 12 && !memcmp(buf, SNAP_MAGIC, 16));
	free(buf);
	unlink(path);
	mem_unmap(&m);
}

/* A writer that dies before commit leaves nothing under the final name. */
static void test_crash(void)
{
	struct snap_writer *w;
	struct stat st;
	char names[256], stale[64];
	char path[PATH_LEN];
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (snap_writer_open(&w, dpath(path, "crash.snap"),
				     SNAP_ARCH_X86_64, "x", 0) == 0)
			snap_write_section(w, SNAP_SEC_CONFIG, 0, "c", 1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK_EQ(status, 0);
	CHECK(stat(dpath(path, "crash.snap"), &st) < 0 && errno == ENOENT);
	CHECK_EQ(dir_entries(names, sizeof(names)), 1); /* the temporary */
	CHECK(!strncmp(names, "crash.snap.tmp-", 15));
	/* A stale temporary, also one under a name this process might have
	 * picked (pid-based: a crashed save of an earlier pid 1), does not
	 * stop the next save. */
	snprintf(stale, sizeof(stale), "crash.snap.tmp-%ld", (long)getpid());
	write_file(dpath(path, stale), "stale", 5);
	CHECK_EQ(snap_writer_open(&w, dpath(path, "crash.snap"),
				  SNAP_ARCH_X86_64, "x", 0), 0);
	CHECK_EQ(snap_writer_commit(w), 0);
	CHECK(stat(dpath(path, "crash.snap"), &st) == 0);
	unlink(dpath(path, "crash.snap"));
	unlink(dpath(path, stale));
	names[strlen(names) - 1] = 0;
	unlink(dpath(path, names));
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/minivmm-snap-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_crc32c();
	test_round_trip();
	test_resave_mapped();
	test_sections_total();
	test_refusals();
	test_page_data();
	test_empty();
	test_writer_rules();
	test_full_disk();
	test_crash();
	CHECK_EQ(rmdir(dir), 0); /* every test cleaned up after itself */
	return unit_done("snapshot_file");
}
