/* test_virtio_blk.c: virtio-blk request parsing and file I/O on a temporary image, and its OFD lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"

#define SECTORS 64 /* a 32 KiB image */

static char path[] = "build/tests/unit/blk-XXXXXX";
static struct guest_mem mem; /* requests here carry host pointers */
static uint8_t hdr[16], status[1], data[8192], file[SECTORS * 512];

static void read_file(void)
{
	int fd = open(path, O_RDONLY);

	CHECK_EQ(pread(fd, file, sizeof(file), 0), sizeof(file));
	close(fd);
}

static void set_hdr(uint32_t type, uint64_t sector)
{
	put_le32(hdr, type);
	put_le32(hdr + 4, 0);
	put_le64(hdr + 8, sector);
}

/* header, data (device-writable or not), status */
static int req(struct virtio_blk *b, uint32_t type, uint64_t sector,
	       void *buf, uint32_t len, bool dev_writes, uint32_t *written)
{
	struct virtq_buf bufs[3];
	unsigned int n = 0;

	set_hdr(type, sector);
	status[0] = 0xee;
	bufs[n++] = (struct virtq_buf){hdr, 16, false};
	if (len)
		bufs[n++] = (struct virtq_buf){buf, len, dev_writes};
	bufs[n++] = (struct virtq_buf){status, 1, true};
	return virtio_blk_request(b, bufs, n, written);
}

static struct virtio_blk *open_disk(bool ro, const char *serial, int *err)
{
	struct virtio_blk_opts o = {path, ro, false, serial, 0, 0, 0};
	struct virtio_blk *b = NULL;

	*err = virtio_blk_open(&o, &mem, &b);
	return b;
}

static void test_rw(struct virtio_blk *b)
{
	uint32_t w;

	for (unsigned int i = 0; i < 4096; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	CHECK_EQ(req(b, VIRTIO_BLK_T_OUT, 1, data, 4096, false, &w), 0);
	CHECK_EQ(status[0], 0);
	CHECK_EQ(w, 1);
	read_file();
	CHECK(!memcmp(file + 512, data, 4096));
	CHECK_EQ(file[511], 0);
	CHECK_EQ(file[512 + 4096], 0);
	memset(data + 4096, 0, 4096);
	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, 1, data + 4096, 4096, true, &w), 0);
	CHECK_EQ(w, 4097);
	CHECK(!memcmp(data, data + 4096, 4096));
	CHECK_EQ(req(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, &w), 0);
	CHECK_EQ(w, 1);
	/* The last sector, exactly. */
	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, SECTORS - 1, data, 512, true, &w), 0);
}

static void test_layouts(struct virtio_blk *b)
{
	uint8_t one[513];
	struct virtq_buf bufs[4];
	uint32_t w;

	/* Header split in two, data and status sharing one buffer: the
	 * status is the last byte of the last buffer. */
	set_hdr(VIRTIO_BLK_T_IN, 1);
	memset(one, 0xee, sizeof(one));
	bufs[0] = (struct virtq_buf){hdr, 5, false};
	bufs[1] = (struct virtq_buf){hdr + 5, 11, false};
	bufs[2] = (struct virtq_buf){one, 513, true};
	CHECK_EQ(virtio_blk_request(b, bufs, 3, &w), 0);
	CHECK_EQ(w, 513);
	CHECK_EQ(one[512], 0);
	read_file();
	CHECK(!memcmp(one, file + 512, 512));
	/* Header too short: IOERR still lands in the status byte. */
	bufs[0] = (struct virtq_buf){hdr, 15, false};
	bufs[1] = (struct virtq_buf){status, 1, true};
	status[0] = 0xee;
	CHECK_EQ(virtio_blk_request(b, bufs, 2, &w), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(status[0], VIRTIO_BLK_S_IOERR);
	CHECK_EQ(w, 1);
	/* No device-writable byte at the end: nothing to report into. */
	bufs[0] = (struct virtq_buf){hdr, 16, false};
	CHECK_EQ(virtio_blk_request(b, bufs, 1, &w), -EINVAL);
	CHECK_EQ(w, 0);
	CHECK_EQ(virtio_blk_request(b, bufs, 0, &w), -EINVAL);
	bufs[1] = (struct virtq_buf){status, 1, true};
	bufs[2] = (struct virtq_buf){data, 512, false}; /* readable last */
	CHECK_EQ(virtio_blk_request(b, bufs, 3, &w), -EINVAL);
}

static void test_ranges(struct virtio_blk *b)
{
	uint32_t w;

	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, SECTORS, data, 512, true, &w),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(w, 1); /* no data on error, just the status */
	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, SECTORS - 1, data, 1024, true, &w),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(b, VIRTIO_BLK_T_OUT, UINT64_MAX, data, 512, false, &w),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(b, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, data, 512,
		     false, &w), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, 0, data, 100, true, &w),
		 VIRTIO_BLK_S_IOERR); /* not whole sectors */
	CHECK_EQ(req(b, 99, 0, NULL, 0, false, &w), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(w, 1);
	CHECK_EQ(req(b, 10 /* GET_LIFETIME */, 0, data, 16, true, &w),
		 VIRTIO_BLK_S_UNSUPP);
}

static void test_get_id(struct virtio_blk *b)
{
	uint32_t w;

	memset(data, 0xff, 32);
	CHECK_EQ(req(b, VIRTIO_BLK_T_GET_ID, 0, data, 20, true, &w), 0);
	CHECK_EQ(w, 21);
	CHECK(!memcmp(data, "serial-0123456789abc", 20)); /* all 20 bytes */
	CHECK_EQ(data[20], 0xff);
}

static void seg(uint8_t *p, uint64_t sector, uint32_t n, uint32_t flags)
{
	put_le64(p, sector);
	put_le32(p + 8, n);
	put_le32(p + 12, flags);
}

static void test_discard_zeroes(struct virtio_blk *b)
{
	const struct virtio_device *v = virtio_blk_vdev(b);
	bool disc = virtio_feat_test(&v->offered, VIRTIO_BLK_F_DISCARD);
	bool zero = virtio_feat_test(&v->offered, VIRTIO_BLK_F_WRITE_ZEROES);
	uint8_t segs[32];
	uint32_t w;

	printf("blk: discard %d, write-zeroes %d on this file system\n", disc,
	       zero);
	seg(segs, 1, 2, 0);
	seg(segs + 16, 5, 1, 0);
	CHECK_EQ(req(b, VIRTIO_BLK_T_WRITE_ZEROES, 0, segs, 32, false, &w),
		 zero ? 0 : VIRTIO_BLK_S_UNSUPP);
	read_file();
	if (zero) {
		for (unsigned int i = 512; i < 3 * 512; i++)
			CHECK_EQ(file[i], 0);
		CHECK_EQ(file[3 * 512], (uint8_t)(1024 * 13 + 1));
	}
	CHECK_EQ(req(b, VIRTIO_BLK_T_DISCARD, 0, segs, 16, false, &w),
		 disc ? 0 : VIRTIO_BLK_S_UNSUPP);
	if (!disc && !zero)
		return;
	seg(segs, SECTORS - 1, 2, 0); /* past the end */
	CHECK_EQ(req(b, zero ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD,
		     0, segs, 16, false, &w), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(b, zero ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD,
		     0, segs, 15, false, &w), VIRTIO_BLK_S_IOERR);
	seg(segs, 0, 1, 2); /* unknown flag */
	CHECK_EQ(req(b, zero ? VIRTIO_BLK_T_WRITE_ZEROES : VIRTIO_BLK_T_DISCARD,
		     0, segs, 16, false, &w), VIRTIO_BLK_S_UNSUPP);
	if (disc) {
		seg(segs, 0, 1, VIRTIO_BLK_WZ_F_UNMAP); /* not for discard */
		CHECK_EQ(req(b, VIRTIO_BLK_T_DISCARD, 0, segs, 16, false, &w),
			 VIRTIO_BLK_S_UNSUPP);
	}
}

static void test_ro(void)
{
	struct virtio_blk *b;
	uint32_t w;
	int err;

	b = open_disk(true, NULL, &err);
	CHECK_EQ(err, 0);
	if (!b)
		return;
	CHECK(virtio_feat_test(&virtio_blk_vdev(b)->offered, VIRTIO_BLK_F_RO));
	CHECK(!virtio_feat_test(&virtio_blk_vdev(b)->offered,
				VIRTIO_BLK_F_DISCARD));
	read_file();
	memset(data, 0x77, 512);
	CHECK_EQ(req(b, VIRTIO_BLK_T_OUT, 0, data, 512, false, &w),
		 VIRTIO_BLK_S_IOERR);
	memcpy(data + 512, file, 512);
	read_file();
	CHECK(!memcmp(data + 512, file, 512)); /* unchanged */
	CHECK_EQ(req(b, VIRTIO_BLK_T_IN, 0, data, 512, true, &w), 0);
	CHECK_EQ(req(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, &w), 0);
	memset(data, 0, 32);
	CHECK_EQ(req(b, VIRTIO_BLK_T_GET_ID, 0, data, 32, true, &w), 0);
	CHECK_EQ(w, 21);
	CHECK(!strcmp((char *)data, "minivmm-disk0"));
	/* Readers share; a writer is refused. */
	{
		struct virtio_blk *r2 = open_disk(true, NULL, &err);

		CHECK_EQ(err, 0);
		CHECK(open_disk(false, NULL, &err) == NULL);
		CHECK_EQ(err, -EBUSY);
		if (r2)
			virtio_blk_close(r2);
	}
	virtio_blk_close(b);
}

int main(void)
{
	struct virtio_blk *b, *b2;
	int fd = mkstemp(path), err;

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, SECTORS * 512), 0);
	close(fd);
	b = open_disk(false, "serial-0123456789abcdef", &err);
	CHECK_EQ(err, 0);
	if (!b)
		return unit_done("virtio_blk");
	CHECK(!virtio_feat_test(&virtio_blk_vdev(b)->offered, VIRTIO_BLK_F_RO));
	CHECK(virtio_feat_test(&virtio_blk_vdev(b)->offered,
			       VIRTIO_BLK_F_FLUSH));
	/* The OFD write lock refuses a second opener, writer or reader. */
	b2 = open_disk(false, NULL, &err);
	CHECK(b2 == NULL);
	CHECK_EQ(err, -EBUSY);
	CHECK(open_disk(true, NULL, &err) == NULL);
	CHECK_EQ(err, -EBUSY);
	test_rw(b);
	test_layouts(b);
	test_ranges(b);
	test_get_id(b);
	test_discard_zeroes(b);
	virtio_blk_close(b);
	test_ro();
	unlink(path);
	return unit_done("virtio_blk");
}
