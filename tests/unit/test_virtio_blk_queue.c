/* test_virtio_blk_queue.c: virtio-blk through a real split queue, its worker, I/O threads and AIO: FLUSH ordering, pause and reset with requests out, concurrent O_DIRECT batches, lone O_DIRECT requests polled through AIO. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "unit.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"
#include "../../virtio/blk_internal.h"

/*
 * A driver in this thread: guest RAM is anonymous memory, one 16-entry
 * split queue, requests of three descriptors (header, data, status). A
 * hook on the threads that run requests holds writes at a gate, so the
 * tests can look at the device while writes are out, deterministically.
 */
#define RAM	  (1u << 20)
#define QSIZE	  32
#define GPA_DESC  0x0
#define GPA_AVAIL 0x1000
#define GPA_USED  0x2000
#define GPA_HDR	  0x3000 /* 16 bytes per slot */
#define GPA_STAT  0x3800 /* 1 byte per slot */
#define GPA_DATA  0x10000 /* 4 KiB per slot */
#define SECTORS	  64
#define HOLD_MS	  100

static char path[] = "build/tests/unit/blkq-XXXXXX";

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
	unsigned int writes_in, flushes_in; /* requests the hook saw */
};

struct rig {
	struct guest_mem mem;
	uint8_t *ram;
	struct virtio_blk *b;
	struct virtio_device *vdev;
	struct gate gate;
	uint16_t aidx;
};

static void hook(void *opaque, uint32_t type)
{
	struct gate *g = opaque;

	pthread_mutex_lock(&g->lock);
	if (type == VIRTIO_BLK_T_FLUSH)
		g->flushes_in++;
	if (type == VIRTIO_BLK_T_OUT) {
		g->writes_in++;
		pthread_cond_broadcast(&g->cond);
		while (!g->open)
			pthread_cond_wait(&g->cond, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
}

static void gate_set(struct gate *g, bool open)
{
	pthread_mutex_lock(&g->lock);
	g->open = open;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static unsigned int gate_writes(struct gate *g)
{
	unsigned int n;

	pthread_mutex_lock(&g->lock);
	n = g->writes_in;
	pthread_mutex_unlock(&g->lock);
	return n;
}

static unsigned int gate_flushes(struct gate *g)
{
	unsigned int n;

	pthread_mutex_lock(&g->lock);
	n = g->flushes_in;
	pthread_mutex_unlock(&g->lock);
	return n;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static uint16_t used_idx(struct rig *r)
{
	return le16toh(__atomic_load_n((uint16_t *)(r->ram + GPA_USED + 2),
				       __ATOMIC_ACQUIRE));
}

/* Wait (at most 5 s) for the used index to reach n. */
static bool wait_used(struct rig *r, uint16_t n)
{
	for (int i = 0; i < 5000 && used_idx(r) != n; i++)
		sleep_ms(1);
	return used_idx(r) == n;
}

static bool wait_writes(struct rig *r, unsigned int n)
{
	for (int i = 0; i < 5000 && gate_writes(&r->gate) < n; i++)
		sleep_ms(1);
	return gate_writes(&r->gate) == n;
}

/* The head descriptor of used entry i. */
static unsigned int used_slot(struct rig *r, uint16_t i)
{
	struct virtq_used_elem *e = (struct virtq_used_elem *)
		(r->ram + GPA_USED + 4 + 8 * (i % QSIZE));

	return le32toh(e->id) / 3;
}

static void put_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags)
{
	struct virtq_desc d = { htole64(addr), htole32(len), htole16(flags),
				htole16((uint16_t)(i + 1)) };

	memcpy(r->ram + GPA_DESC + 16 * i, &d, sizeof(d));
}

/* Request in slot s (descriptors 3s..3s+2): a 4 KiB write of byte 's+1'
 * at sector 8s, a 4 KiB read of sector 8s into slot s's (cleared) buffer,
 * or a FLUSH. Made available, not notified. */
static void post(struct rig *r, unsigned int s, uint32_t type)
{
	uint8_t *h = r->ram + GPA_HDR + 16 * s;
	uint16_t d = (uint16_t)(3 * s);
	bool data = type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_IN;

	put_le32(h, type);
	put_le32(h + 4, 0);
	put_le64(h + 8, data ? 8 * s : 0);
	r->ram[GPA_STAT + s] = 0xee;
	memset(r->ram + GPA_DATA + 4096 * s,
	       type == VIRTIO_BLK_T_OUT ? (int)s + 1 : 0, 4096);
	put_desc(r, d, GPA_HDR + 16 * s, 16, VIRTQ_DESC_F_NEXT);
	if (data) {
		put_desc(r, d + 1, GPA_DATA + 4096 * s, 4096,
			 VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ?
					      VIRTQ_DESC_F_WRITE : 0));
		put_desc(r, d + 2, GPA_STAT + s, 1, VIRTQ_DESC_F_WRITE);
	} else {
		put_desc(r, d + 1, GPA_STAT + s, 1, VIRTQ_DESC_F_WRITE);
	}
	((uint16_t *)(r->ram + GPA_AVAIL + 4))[r->aidx % QSIZE] = htole16(d);
	r->aidx++;
}

/* Publish what was posted, all at once as a driver's batch, and notify:
 * a worker polling the ring sees the whole batch, never its first
 * request alone (which it would rightly run by itself). */
static void kick(struct rig *r)
{
	__atomic_store_n((uint16_t *)(r->ram + GPA_AVAIL + 2),
			 htole16(r->aidx), __ATOMIC_RELEASE);
	virtio_queue_notify(r->vdev, 0);
}

static void notify_used(struct virtio_device *vdev, unsigned int q)
{
}

static void notify_config(struct virtio_device *vdev)
{
}

static const struct virtio_transport_ops tops = {
	.notify_used = notify_used,
	.notify_config = notify_config,
};

/* Driver initialisation, as a driver does it; true when DRIVER_OK stuck. */
static bool driver_start(struct rig *r)
{
	uint8_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		     VIRTIO_STATUS_FEATURES_OK;

	memset(r->ram, 0, GPA_HDR);
	r->aidx = 0;
	virtio_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					   VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(r->vdev, 1, 1); /* VERSION_1 */
	virtio_set_status(r->vdev, ok);
	if (virtio_queue_set_size(r->vdev, 0, QSIZE) ||
	    virtio_queue_set_area(r->vdev, 0, VIRTIO_AREA_DESC, GPA_DESC) ||
	    virtio_queue_set_area(r->vdev, 0, VIRTIO_AREA_DRIVER, GPA_AVAIL) ||
	    virtio_queue_set_area(r->vdev, 0, VIRTIO_AREA_DEVICE, GPA_USED) ||
	    virtio_queue_enable(r->vdev, 0))
		return false;
	virtio_set_status(r->vdev, ok | VIRTIO_STATUS_DRIVER_OK);
	return virtio_get_status(r->vdev) == (ok | VIRTIO_STATUS_DRIVER_OK);
}

static bool rig_open_opts(struct rig *r, bool direct, int poll_us)
{
	struct virtio_blk_opts o = { .path = path, .direct = direct,
				     .poll_us = poll_us, .iothreads = 8 };

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->gate.lock, NULL);
	pthread_cond_init(&r->gate.cond, NULL);
	r->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->ram == MAP_FAILED)
		return false;
	r->mem.nr = 1;
	r->mem.total = RAM;
	r->mem.regions[0] = (struct mem_region){ .gpa = 0, .size = RAM,
						 .hva = r->ram };
	if (virtio_blk_open(&o, &r->mem, &r->b))
		return false;
	r->vdev = virtio_blk_vdev(r->b);
	virtio_blk_set_run_hook(r->b, hook, &r->gate);
	virtio_dev_attach(r->vdev, &tops, NULL);
	return driver_start(r);
}

static bool rig_open(struct rig *r)
{
	return rig_open_opts(r, false, 50);
}

static void rig_close(struct rig *r)
{
	gate_set(&r->gate, true);
	virtio_set_status(r->vdev, 0);
	virtio_dev_destroy(r->vdev);
	virtio_blk_close(r->b);
	munmap(r->ram, RAM);
}

/* Sector 8s of the image holds slot s's byte (4 KiB of it). */
static bool file_has(unsigned int s)
{
	uint8_t buf[4096];
	int fd = open(path, O_RDONLY);
	bool ok;

	ok = fd >= 0 && pread(fd, buf, sizeof(buf), 8 * 512 * s) == 4096;
	for (unsigned int i = 0; ok && i < sizeof(buf); i++)
		ok = buf[i] == s + 1;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Four writes, a FLUSH, a write: the writes run at once on I/O threads;
 * the FLUSH neither runs nor completes while any is out, and the write
 * after it is not started before it; at the end the FLUSH's used entry
 * follows the four writes'.
 */
static void test_flush_waits(void)
{
	struct rig r;
	int pos_flush = -1, before = 0;

	if (!rig_open(&r)) {
		CHECK(!"device set-up");
		return;
	}
	for (unsigned int s = 0; s < 4; s++)
		post(&r, s, VIRTIO_BLK_T_OUT);
	post(&r, 4, VIRTIO_BLK_T_FLUSH);
	post(&r, 5, VIRTIO_BLK_T_OUT);
	kick(&r);
	CHECK(wait_writes(&r, 4)); /* all four out at once */
	sleep_ms(HOLD_MS);
	CHECK_EQ(used_idx(&r), 0);
	CHECK_EQ(gate_flushes(&r.gate), 0);
	CHECK_EQ(gate_writes(&r.gate), 4);
	gate_set(&r.gate, true);
	CHECK(wait_used(&r, 6));
	for (uint16_t i = 0; i < 6; i++) {
		unsigned int s = used_slot(&r, i);

		if (s == 4)
			pos_flush = i;
		else if (s < 4 && pos_flush < 0)
			before++;
		CHECK_EQ(r.ram[GPA_STAT + s], VIRTIO_BLK_S_OK);
	}
	CHECK_EQ(before, 4);
	CHECK_EQ(gate_flushes(&r.gate), 1);
	for (unsigned int s = 0; s < 6; s++)
		if (s != 4)
			CHECK(file_has(s));
	rig_close(&r);
}

struct async {
	pthread_t thread;
	struct rig *r;
	bool returned;		/* __atomic */
	uint16_t used_then;	/* used index when the call returned */
};

static void *pause_thread(void *opaque)
{
	struct async *a = opaque;

	virtio_worker_pause(virtio_blk_worker(a->r->b));
	a->used_then = used_idx(a->r);
	__atomic_store_n(&a->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *reset_thread(void *opaque)
{
	struct async *a = opaque;

	virtio_set_status(a->r->vdev, 0);
	__atomic_store_n(&a->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Four writes held on the I/O threads, then CALL on its own thread: it must
 * not return while they are held, and does once they are let go. */
static void hold_writes_around(struct rig *r, struct async *a,
			       void *(*call)(void *))
{
	a->r = r;
	for (unsigned int s = 0; s < 4; s++)
		post(r, s, VIRTIO_BLK_T_OUT);
	kick(r);
	CHECK(wait_writes(r, 4));
	pthread_create(&a->thread, NULL, call, a);
	sleep_ms(HOLD_MS);
	CHECK(!__atomic_load_n(&a->returned, __ATOMIC_ACQUIRE));
	gate_set(&r->gate, true);
	pthread_join(a->thread, NULL);
}

/* A pause (what snapshots do) with writes out returns only once they are
 * done and pushed; the worker then takes nothing until it is resumed. */
static void test_pause_waits(void)
{
	struct async a = { 0 };
	struct rig r;

	if (!rig_open(&r)) {
		CHECK(!"device set-up");
		return;
	}
	hold_writes_around(&r, &a, pause_thread);
	CHECK_EQ(a.used_then, 4);
	post(&r, 5, VIRTIO_BLK_T_OUT);
	kick(&r);
	sleep_ms(HOLD_MS);
	CHECK_EQ(used_idx(&r), 4); /* held */
	virtio_worker_resume(virtio_blk_worker(r.b));
	CHECK(wait_used(&r, 5));
	CHECK(file_has(5));
	rig_close(&r);
}

/* A reset with writes out returns only once they are done (nothing runs
 * on guest RAM after it); the device then works again. */
static void test_reset_waits(void)
{
	struct async a = { 0 };
	struct rig r;

	if (!rig_open(&r)) {
		CHECK(!"device set-up");
		return;
	}
	hold_writes_around(&r, &a, reset_thread);
	CHECK_EQ(virtio_get_status(r.vdev), 0);
	for (unsigned int s = 0; s < 4; s++)
		CHECK(file_has(s));
	CHECK(driver_start(&r));
	post(&r, 6, VIRTIO_BLK_T_OUT);
	kick(&r);
	CHECK(wait_used(&r, 1));
	CHECK_EQ(r.ram[GPA_STAT + 6], VIRTIO_BLK_S_OK);
	CHECK(file_has(6));
	rig_close(&r);
}

/* O_DIRECT with aligned buffers: eight writes, then eight reads, all at
 * once (Linux AIO where the host has it, I/O threads otherwise); each
 * completes with its data in the file or in guest RAM. AIO gets them two
 * per io_submit (a longer batch is plugged until the call returns). */
static void test_direct_batch(void)
{
	uint64_t calls, most;
	struct rig r;

	if (!rig_open_opts(&r, true, 50)) {
		CHECK(!"device set-up (O_DIRECT)");
		return;
	}
	gate_set(&r.gate, true);
	for (unsigned int s = 0; s < 8; s++)
		post(&r, s, VIRTIO_BLK_T_OUT);
	kick(&r);
	CHECK(wait_used(&r, 8));
	for (unsigned int s = 0; s < 8; s++) {
		CHECK_EQ(r.ram[GPA_STAT + s], VIRTIO_BLK_S_OK);
		CHECK(file_has(s));
	}
	for (unsigned int s = 0; s < 8; s++)
		post(&r, s, VIRTIO_BLK_T_IN);
	kick(&r);
	CHECK(wait_used(&r, 16));
	for (uint16_t i = 8; i < 16; i++) {
		unsigned int s = used_slot(&r, i);
		struct virtq_used_elem *e = (struct virtq_used_elem *)
			(r.ram + GPA_USED + 4 + 8 * (i % QSIZE));

		CHECK_EQ(le32toh(e->len), 4097); /* data and status */
		CHECK_EQ(r.ram[GPA_STAT + s], VIRTIO_BLK_S_OK);
		CHECK_EQ(r.ram[GPA_DATA + 4096 * s], s + 1);
		CHECK_EQ(r.ram[GPA_DATA + 4096 * s + 4095], s + 1);
	}
	virtio_blk_aio_counts(r.b, &calls, &most);
	CHECK(most <= 2); /* 0: no AIO on this host */
	CHECK(!calls == !most);
	rig_close(&r);
}

/* Wait (at most 5 s) for the used index to reach n without sleeping: the
 * next request follows at once, as from a guest at queue depth 1. */
static bool spin_used(struct rig *r, uint16_t n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (used_idx(r) == n)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 5);
	return used_idx(r) == n;
}

/* 'n' requests of 'type' in slot 0, one at a time; the AIO calls they
 * made, or -1 when one failed. */
static long one_at_a_time(struct rig *r, uint32_t type, unsigned int n)
{
	uint64_t before, after, most;

	virtio_blk_aio_counts(r->b, &before, &most);
	for (unsigned int i = 0; i < n; i++) {
		post(r, 0, type);
		kick(r);
		if (!spin_used(r, r->aidx) ||
		    r->ram[GPA_STAT] != VIRTIO_BLK_S_OK ||
		    (type == VIRTIO_BLK_T_IN && (r->ram[GPA_DATA] != 1 ||
						 r->ram[GPA_DATA + 4095] != 1)))
			return -1;
	}
	virtio_blk_aio_counts(r->b, &after, &most);
	return (long)(after - before);
}

/* O_DIRECT, one request at a time: reads and writes go to AIO while the
 * worker polls (it then watches the completion ring instead of sleeping
 * in the system call); with polling off (poll_us=0), or once requests
 * come seldom, they run on the worker. Each completes, a read with the
 * right data. */
static void test_direct_alone(void)
{
	uint64_t calls, most;
	struct rig r;

	if (!rig_open_opts(&r, true, 1000)) {
		CHECK(!"device set-up (O_DIRECT)");
		return;
	}
	gate_set(&r.gate, true);
	post(&r, 0, VIRTIO_BLK_T_OUT);
	post(&r, 1, VIRTIO_BLK_T_OUT); /* two at once: AIO, if the host has it */
	kick(&r);
	CHECK(wait_used(&r, 2));
	virtio_blk_aio_counts(r.b, &calls, &most);
	if (calls) { /* the host has AIO */
		CHECK(one_at_a_time(&r, VIRTIO_BLK_T_OUT, 200) > 0);
		CHECK(file_has(0));
		CHECK(one_at_a_time(&r, VIRTIO_BLK_T_IN, 200) > 0);
	} else {
		CHECK_EQ(one_at_a_time(&r, VIRTIO_BLK_T_OUT, 50), 0);
		CHECK_EQ(one_at_a_time(&r, VIRTIO_BLK_T_IN, 50), 0);
	}

	/* Requests 20 ms apart: the poll window halves at each gap and ends
	 * at 0, so lone requests run on the worker again. (AIO signals the
	 * worker's eventfd for completions the poll already took; that
	 * wake-up must not count as a short gap, which would grow it back.) */
	if (calls) {
		long sparse = 0;

		for (unsigned int i = 0; i < 15; i++) {
			CHECK(one_at_a_time(&r, VIRTIO_BLK_T_IN, 1) >= 0);
			sleep_ms(20);
		}
		for (unsigned int i = 0; i < 5; i++) {
			sparse += one_at_a_time(&r, VIRTIO_BLK_T_IN, 1);
			sleep_ms(20);
		}
		CHECK_EQ(sparse, 0);
	}
	rig_close(&r);

	if (!rig_open_opts(&r, true, 0)) {
		CHECK(!"device set-up (O_DIRECT, poll_us=0)");
		return;
	}
	gate_set(&r.gate, true);
	CHECK_EQ(one_at_a_time(&r, VIRTIO_BLK_T_OUT, 50), 0);
	CHECK_EQ(one_at_a_time(&r, VIRTIO_BLK_T_IN, 50), 0);
	rig_close(&r);
}

int main(void)
{
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, SECTORS * 512), 0);
	close(fd);
	test_flush_waits();
	test_pause_waits();
	test_reset_waits();
	test_direct_batch();
	test_direct_alone();
	unlink(path);
	return unit_done("virtio_blk_queue");
}
