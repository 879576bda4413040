/* seed_snapshot.c: writes the seed of fuzz_snapshot_file: a valid snapshot from minivmm's own writer (a CONFIG with a disk and a tap, vCPU and device sections, two RAM banks with page runs and CRCs), behind an all-fix-ups byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sbuf.h"
#include "snapshot.h"
#include "snapshot_file.h"
#include "util.h"

#define PAGE 4096u

static int write_snapshot(const char *path, struct guest_mem *mem)
{
	struct vm_config cfg = {.mem_size = 16u << 20,
				.exit_port = 0xf4,
				.nr_disks = 1,
				.nr_nets = 1};
	struct snap_writer *w;
	struct sbuf b;
	int ret;

	snprintf(cfg.disks[0].path, sizeof(cfg.disks[0].path), "/tmp/d.img");
	snprintf(cfg.nets[0].tapif, sizeof(cfg.nets[0].tapif), "tap0");
	sbuf_init(&b);
	ret = snapshot_config_encode(&cfg, 1, 2, &b);
	if (!ret)
		ret = snap_writer_open(&w, path, SNAP_ARCH_X86_64, "seed",
				       SNAP_FLAG_PAGE_CRC);
	if (ret)
		return ret;
	ret = snap_write_section(w, SNAP_SEC_CONFIG, 0, b.data, b.len);
	if (!ret)
		ret = snap_write_section(w, SNAP_SEC_ARCH_VCPU, 0, "vcpu", 4);
	if (!ret)
		ret = snap_write_section(w, SNAP_SEC_DEVICE, 1, "\1\0\0\0", 4);
	if (!ret)
		ret = snap_write_memory(w, mem);
	sbuf_free(&b);
	if (ret) {
		snap_writer_abort(w);
		return ret;
	}
	return snap_writer_commit(w);
}

int main(int argc, char **argv)
{
	static uint8_t ram[12 * PAGE] __attribute__((aligned(PAGE)));
	struct guest_mem mem = {.nr = 2, .total = sizeof(ram)};
	char tmp[4096];
	FILE *in, *out;
	int c;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SEED\n", argv[0]);
		return 2;
	}
	/* runs: pages 1-2 and 5 of bank 0, page 0 of bank 1 */
	for (unsigned int p = 0; p < 12; p++)
		if (p == 1 || p == 2 || p == 5 || p == 8)
			memset(ram + p * PAGE, 0x40 + p, PAGE);
	mem.regions[0] =
	    (struct mem_region){.gpa = 0, .size = 8 * PAGE, .hva = ram};
	mem.regions[1] =
	    (struct mem_region){.gpa = 1u << 20, .size = 4 * PAGE,
				.hva = ram + 8 * PAGE, .slot = 1};
	snprintf(tmp, sizeof(tmp), "%s.snap", argv[1]);
	if (write_snapshot(tmp, &mem))
		return 1;
	in = fopen(tmp, "rb");
	out = fopen(argv[1], "wb");
	if (!in || !out || fputc(0xff, out) == EOF)
		return 1;
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	unlink(tmp);
	return fclose(out) ? 1 : 0;
}
