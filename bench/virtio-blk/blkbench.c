/*
 * blkbench.c: virtio-blk's device model against raw pread/pwrite and Linux
 * AIO, on the host, without KVM.
 *
 * usage: blkbench [-f FILE] [-s MIB] [-t SECONDS] [-r ROUNDS] [-S SLICES]
 *                 [-q QD,...] [-w WORKLOAD,...] [-c] [-p] [-k] [-P POLL_US]
 *                 [-T IOTHREADS] [-H HALT_POLL_US]
 *
 * The virtio side is the device from virtio/blk.c (virtio_blk_open with
 * 'direct', and minivmm's defaults for poll_us and iothreads unless -P, -T)
 * on "guest RAM" that is plain anonymous memory described by a struct
 * guest_mem, driven through the core's driver-facing calls as Linux's
 * driver would: ACKNOWLEDGE, DRIVER, VERSION_1 and EVENT_IDX, FEATURES_OK,
 * one 256-entry split queue, DRIVER_OK. Requests (header, data, status:
 * three descriptors) go in the avail ring; a notify (virtio_queue_notify,
 * what an ioeventfd delivers) is sent when the device's avail_event asks
 * for it; the device does the I/O and pushes used entries, and its
 * used-buffer notification (the transport's notify_used hook, which would
 * raise the guest's interrupt) wakes the driver through an eventfd; the
 * driver sets used_event before it sleeps. Before that it watches the used
 * index for a while, yielding the CPU every turn, as KVM polls a halted
 * vCPU before it puts the vCPU's thread to sleep: the window adapts as
 * KVM's halt_poll_ns does with its default parameters (from 0, doubling
 * from 10 us while halts are shorter than the limit, back to 0 after a
 * longer one), up to HALT_POLL_US (default 200, KVM's default on x86;
 * -H 0: a host with halt polling off, the driver sleeps at once). With -p
 * the driver polls the used index and never sleeps.
 *
 * The raw side is what a good program would do on the same file, also
 * O_DIRECT (or both through the page cache with -c), with the same request
 * sizes, the same offsets and the same number of requests in flight, run
 * two ways: QD threads each doing one synchronous pread/pwrite at a time,
 * and (O_DIRECT only) one thread keeping QD requests in flight with Linux
 * AIO (io_getevents, and one io_submit per request as soon as its slot is
 * free, as fio's libaio engine by default). The one with the higher
 * median rate is "raw".
 *
 * Workloads: randread/randwrite (4 KiB at random 4 KiB-aligned offsets),
 * seqread/seqwrite (128 KiB, consecutive). Request i of a side has the same
 * offset on every side. Each round runs every workload at every QD for
 * SECONDS on each side, in SLICES slices (10) that interleave the raw
 * programs and virtio (the order flips every slice), so that all of them
 * sample the disk's rate as it drifts through the round; the ratio is
 * virtio's rate over the rate of the raw program with the higher median,
 * per round (picking the faster of two noisy rates in each round would
 * bias raw upwards: at QD 1 both do the same), and the median over the
 * rounds is the figure reported; the median of virtio over plain
 * pread/pwrite (the threads) alone, the issue's own reference, follows
 * it, each with its verdict against the 0.9 target. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "log.h"
#include "mem.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"

#define QSIZE	  256
#define MAX_QD	  64
#define MAX_ROUNDS 32 /* -r */
#define MIN_SLICE_S 0.01 /* -t over -S */
#define RAM_SIZE  (16u << 20)
#define GPA_DESC  0x0
#define GPA_AVAIL 0x1000
#define GPA_USED  0x2000
#define GPA_HDRS  0x4000 /* 16-byte headers, then status bytes at +0x1000 */
#define GPA_DATA  0x100000
#define DATA_SLOT (128u << 10)

enum workload { RANDREAD, RANDWRITE, SEQREAD, SEQWRITE, NR_WORKLOADS };

static const struct {
	const char *name;
	uint32_t bs;
	int write, seq;
} wl[NR_WORKLOADS] = {
	[RANDREAD] = { "randread", 4096, 0, 0 },
	[RANDWRITE] = { "randwrite", 4096, 1, 0 },
	[SEQREAD] = { "seqread", 128 << 10, 0, 1 },
	[SEQWRITE] = { "seqwrite", 128 << 10, 1, 1 },
};

static const char *path;
static uint64_t file_size;
static double seconds = 1.0;
static int cached, poll_used;
static double halt_poll_s = 200e-6; /* -H: KVM's x86 default; 0: off */
static double halt_window_s; /* the driver's poll window now, <= halt_poll_s */
static unsigned int dev_poll_us = VIRTIO_BLK_POLL_US_DEFAULT;
static unsigned int dev_iothreads = VIRTIO_BLK_IOTHREADS_DEFAULT;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Offset of request i: the same on both sides. */
static uint64_t req_off(enum workload w, uint64_t i)
{
	uint64_t n = file_size / wl[w].bs;

	return (wl[w].seq ? i % n : splitmix(i) % n) * wl[w].bs;
}

static int open_file(void)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | (cached ? 0 : O_DIRECT));

	if (fd < 0) {
		fprintf(stderr, "blkbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* ---- raw: QD threads of synchronous pread/pwrite ---- */

struct raw_run {
	enum workload w;
	int fd;
	pthread_barrier_t start; /* the QD threads and the timer */
	bool stop;		 /* __atomic: the slice is over */
	uint64_t next;		 /* __atomic: request index */
	uint64_t done;		 /* __atomic */
	int err;
};

static void *raw_thread(void *arg)
{
	struct raw_run *r = arg;
	uint32_t bs = wl[r->w].bs;
	uint64_t i, n = 0;
	void *buf = NULL;
	ssize_t got;

	if (posix_memalign(&buf, 4096, bs))
		r->err = 1;
	else
		memset(buf, 0xa5, bs);
	pthread_barrier_wait(&r->start);
	while (buf && !__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
		got = wl[r->w].write ? pwrite(r->fd, buf, bs, req_off(r->w, i))
				     : pread(r->fd, buf, bs, req_off(r->w, i));
		if (got != (ssize_t)bs) {
			r->err = 1;
			break;
		}
		n++;
	}
	__atomic_fetch_add(&r->done, n, __ATOMIC_RELAXED);
	free(buf);
	return NULL;
}

/* The clock runs from the moment every thread is ready (thread start-up
 * is not timed) until the last one has finished the request it had in
 * flight when the slice ended. */
static uint64_t run_raw(enum workload w, unsigned int qd, uint64_t first,
			double secs, double *elapsed)
{
	struct raw_run r = { .w = w, .fd = open_file(), .next = first };
	pthread_t th[MAX_QD];
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (double)(time_t)secs) * 1e9) };
	double t0;

	pthread_barrier_init(&r.start, NULL, qd + 1);
	for (unsigned int k = 0; k < qd; k++)
		if (pthread_create(&th[k], NULL, raw_thread, &r)) {
			fprintf(stderr, "blkbench: cannot start threads\n");
			exit(1);
		}
	pthread_barrier_wait(&r.start);
	t0 = now();
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	for (unsigned int k = 0; k < qd; k++)
		pthread_join(th[k], NULL);
	*elapsed = now() - t0;
	pthread_barrier_destroy(&r.start);
	close(r.fd);
	if (r.err) {
		fprintf(stderr, "blkbench: raw %s failed\n", wl[w].name);
		exit(1);
	}
	return r.done;
}

/* ---- raw: Linux AIO keeping QD requests in flight (O_DIRECT only) ---- */

static long aio_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static void raw_aio_prep(struct iocb *cb, enum workload w, int fd, void *buf,
			 uint64_t i)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_data = i;
	cb->aio_lio_opcode = wl[w].write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = wl[w].bs;
	cb->aio_offset = (int64_t)req_off(w, i);
}

/* One request to the kernel by itself, as soon as it is ready (fio's
 * libaio engine with its default iodepth_batch_submit=1): a batch of
 * more than two is plugged, and reaches the disk only when the call
 * ends. 0, or -1 with errno set. */
static int aio_submit_one(aio_context_t ctx, struct iocb *cb)
{
	long r;

	do
		r = syscall(SYS_io_submit, ctx, 1L, &cb);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = EAGAIN;
	return r == 1 ? 0 : -1;
}

static uint64_t run_raw_aio(enum workload w, unsigned int qd, uint64_t first,
			    double secs, double *elapsed)
{
	struct iocb cbs[MAX_QD];
	struct io_event ev[MAX_QD];
	aio_context_t ctx = 0;
	int fd = open_file();
	unsigned int inflight = 0;
	uint64_t next = first, done = 0;
	double t0, deadline;
	uint8_t *bufs;

	if (aio_setup(qd, &ctx) < 0 ||
	    posix_memalign((void **)&bufs, 4096, (size_t)qd * wl[w].bs)) {
		fprintf(stderr, "blkbench: raw AIO: %s\n", strerror(errno));
		exit(1);
	}
	memset(bufs, 0xa5, (size_t)qd * wl[w].bs);
	t0 = now();
	deadline = t0 + secs;
	for (unsigned int k = 0; k < qd; k++) {
		raw_aio_prep(&cbs[k], w, fd, bufs + (size_t)k * wl[w].bs,
			     next++);
		if (aio_submit_one(ctx, &cbs[k]))
			goto fail;
		inflight++;
	}
	while (inflight) {
		long n = syscall(SYS_io_getevents, ctx, 1L, (long)qd, ev, NULL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		for (long k = 0; k < n; k++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[k].obj;

			if (ev[k].res != (int64_t)wl[w].bs)
				goto fail;
			done++;
			inflight--;
			if (now() >= deadline)
				continue;
			raw_aio_prep(cb, w, fd, (void *)(uintptr_t)cb->aio_buf,
				     next++);
			if (aio_submit_one(ctx, cb))
				goto fail;
			inflight++;
		}
	}
	*elapsed = now() - t0;
	syscall(SYS_io_destroy, ctx);
	free(bufs);
	close(fd);
	return done;
fail:
	fprintf(stderr, "blkbench: raw AIO %s failed: %s\n", wl[w].name,
		strerror(errno));
	exit(1);
}

/* The AIO program's run; nothing (not run) through the page cache. */
static uint64_t raw_aio(enum workload w, unsigned int qd, uint64_t first,
			double secs, double *elapsed)
{
	if (cached) {
		*elapsed = 0;
		return 0;
	}
	return run_raw_aio(w, qd, first, secs, elapsed);
}

/* ---- virtio: the device model on anonymous "guest RAM" ---- */

static struct guest_mem mem;
static uint8_t *ram;
static int used_efd;

static void hook_notify_used(struct virtio_device *vdev, unsigned int q)
{
	uint64_t one = 1;

	if (write(used_efd, &one, sizeof(one)) < 0)
		perror("blkbench: eventfd");
}

static void hook_notify_config(struct virtio_device *vdev)
{
	fprintf(stderr, "blkbench: configuration change (NEEDS_RESET?)\n");
}

static const struct virtio_transport_ops hooks = {
	.notify_used = hook_notify_used,
	.notify_config = hook_notify_config,
};

static void *gpa(uint64_t a)
{
	return ram + a;
}

static void put_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct virtq_desc d = { htole64(addr), htole32(len), htole16(flags),
				htole16(next) };

	memcpy(gpa(GPA_DESC + 16 * (uint64_t)i), &d, sizeof(d));
}

static struct virtio_device *dev_start(struct virtio_blk **bp)
{
	struct virtio_blk_opts o = { .path = path, .direct = !cached,
				     .poll_us = dev_poll_us,
				     .iothreads = dev_iothreads };
	struct virtio_device *vdev;
	uint8_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;

	if (virtio_blk_open(&o, &mem, bp))
		exit(1);
	vdev = virtio_blk_vdev(*bp);
	virtio_dev_attach(vdev, &hooks, NULL);
	memset(ram, 0, GPA_HDRS);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(vdev, 1, 1); /* VERSION_1 */
	/* EVENT_IDX, as Linux's driver acks it */
	virtio_set_driver_features(vdev, 0, 1u << VIRTIO_F_RING_EVENT_IDX);
	virtio_set_status(vdev, want & ~VIRTIO_STATUS_DRIVER_OK);
	if (virtio_queue_set_size(vdev, 0, QSIZE) ||
	    virtio_queue_set_area(vdev, 0, VIRTIO_AREA_DESC, GPA_DESC) ||
	    virtio_queue_set_area(vdev, 0, VIRTIO_AREA_DRIVER, GPA_AVAIL) ||
	    virtio_queue_set_area(vdev, 0, VIRTIO_AREA_DEVICE, GPA_USED) ||
	    virtio_queue_enable(vdev, 0)) {
		fprintf(stderr, "blkbench: queue setup failed\n");
		exit(1);
	}
	virtio_set_status(vdev, want);
	if (virtio_get_status(vdev) != want) {
		fprintf(stderr, "blkbench: status %#x\n",
			virtio_get_status(vdev));
		exit(1);
	}
	return vdev;
}

/* Slot s: descriptors 3s..3s+2, header, data buffer, status byte. */
static void post(enum workload w, unsigned int s, uint64_t i, uint16_t *aidx)
{
	uint64_t hdr = GPA_HDRS + 16 * (uint64_t)s;
	uint64_t st = GPA_HDRS + 0x1000 + s;
	uint64_t data = GPA_DATA + (uint64_t)s * DATA_SLOT;
	uint8_t *h = gpa(hdr);
	uint16_t d = (uint16_t)(3 * s);
	uint16_t *ring = gpa(GPA_AVAIL + 4);

	put_le32(h, wl[w].write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN);
	put_le32(h + 4, 0);
	put_le64(h + 8, req_off(w, i) / VIRTIO_BLK_SECTOR);
	*(uint8_t *)gpa(st) = 0xff;
	put_desc(d, hdr, 16, VIRTQ_DESC_F_NEXT, d + 1);
	put_desc(d + 1, data, wl[w].bs,
		 VIRTQ_DESC_F_NEXT | (wl[w].write ? 0 : VIRTQ_DESC_F_WRITE),
		 d + 2);
	put_desc(d + 2, st, 1, VIRTQ_DESC_F_WRITE, 0);
	ring[*aidx % QSIZE] = htole16(d);
	(*aidx)++;
}

/* Publish avail entries old..aidx; notify if the device's avail_event
 * asks for it (EVENT_IDX). */
static void kick(struct virtio_device *vdev, uint16_t old, uint16_t aidx)
{
	uint16_t *idx = gpa(GPA_AVAIL + 2);
	uint16_t *avail_event = gpa(GPA_USED + 4 + 8 * QSIZE);

	__atomic_store_n(idx, htole16(aidx), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (virtq_need_event(le16toh(__atomic_load_n(avail_event,
						     __ATOMIC_ACQUIRE)),
			     aidx, old))
		virtio_queue_notify(vdev, 0);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* A halting vCPU under KVM's halt polling: has a used entry come within
 * the window? KVM stops polling when another task wants the CPU; here the
 * spin yields it every turn instead. */
static bool halt_poll(const uint16_t *used_idx, uint16_t seen)
{
	double end;

	if (halt_window_s <= 0)
		return false;
	end = now() + halt_window_s;
	do {
		for (int i = 0; i < 64; i++) {
			if (le16toh(__atomic_load_n(used_idx,
						    __ATOMIC_ACQUIRE)) != seen)
				return true;
			cpu_relax();
		}
		sched_yield();
	} while (now() < end);
	return false;
}

/* After a halt that polling did not end (it lasted 'halted' seconds),
 * the window changes as KVM changes a vCPU's halt_poll_ns with its
 * default parameters: it doubles (from 10 us, up to the -H limit) when
 * the halt was shorter than the limit, so that polling would have caught
 * the wake-up; it drops to 0 when the halt was longer than the limit. */
static void halt_adapt(double halted)
{
	if (halted <= halt_window_s)
		return;
	if (halt_window_s > 0 && halted > halt_poll_s)
		halt_window_s = 0;
	else if (halt_window_s < halt_poll_s && halted < halt_poll_s)
		halt_window_s = halt_window_s * 2 < 10e-6 ? 10e-6
			      : halt_window_s * 2 > halt_poll_s ? halt_poll_s
			      : halt_window_s * 2;
}

/* CPU seconds the virtio driver's thread used in the last run: the
 * guest's share, apart from the device's. */
static double driver_cpu_s;

static double thread_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The device of the current workload and QD: it lives through all their
 * rounds and slices, as a VM's disk does (a new worker thread every slice
 * would be placed afresh by the scheduler each time); so does its ring. */
static struct {
	struct virtio_blk *b;
	struct virtio_device *vdev;
	uint16_t aidx, seen; /* the driver's avail and used positions */
} dev;

static void dev_open(void)
{
	dev.vdev = dev_start(&dev.b);
	dev.aidx = dev.seen = 0;
}

static void dev_close(void)
{
	if (virtio_get_status(dev.vdev) & VIRTIO_STATUS_NEEDS_RESET) {
		fprintf(stderr, "blkbench: device needs reset\n");
		exit(1);
	}
	virtio_set_status(dev.vdev, 0); /* stops the worker */
	virtio_dev_destroy(dev.vdev);
	virtio_blk_close(dev.b);
}

/* One slice on the open device; it ends with nothing in flight. */
static uint64_t run_virtio(enum workload w, unsigned int qd, uint64_t first,
			   double secs, double *elapsed)
{
	struct virtio_device *vdev = dev.vdev;
	uint16_t aidx = dev.aidx, seen = dev.seen, uidx, old;
	uint16_t *used_idx = gpa(GPA_USED + 2);
	uint16_t *used_event = gpa(GPA_AVAIL + 4 + 2 * QSIZE);
	unsigned int free_slots[MAX_QD], nfree = 0, inflight = 0;
	uint64_t next = first, done = 0, v;
	double t0, deadline, c0 = thread_cpu_now();

	for (unsigned int s = 0; s < qd; s++) {
		free_slots[nfree++] = qd - 1 - s;
		memset(gpa(GPA_DATA + (uint64_t)s * DATA_SLOT), 0xa5,
		       DATA_SLOT);
	}
	t0 = now();
	deadline = t0 + secs;
	for (;;) {
		if (now() < deadline && nfree) {
			old = aidx;
			while (nfree) {
				post(w, free_slots[--nfree], next++, &aidx);
				inflight++;
			}
			kick(vdev, old, aidx);
		}
		if (!inflight)
			break;
		uidx = le16toh(__atomic_load_n(used_idx, __ATOMIC_ACQUIRE));
		if (uidx == seen) {
			double halted = now();

			if (poll_used || halt_poll(used_idx, seen))
				continue;
			/* interrupt me at the next used entry, then look
			 * again before sleeping (as Linux's driver) */
			__atomic_store_n(used_event, htole16(seen),
					 __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			uidx = le16toh(__atomic_load_n(used_idx,
						       __ATOMIC_ACQUIRE));
			if (uidx == seen && read(used_efd, &v, sizeof(v)) < 0)
				perror("blkbench: eventfd");
			halt_adapt(now() - halted);
			continue;
		}
		for (; seen != uidx; seen++) {
			struct virtq_used_elem *e =
				gpa(GPA_USED + 4 + 8 * (uint64_t)(seen % QSIZE));
			unsigned int s = le32toh(e->id) / 3;

			if (*(uint8_t *)gpa(GPA_HDRS + 0x1000 + s) !=
			    VIRTIO_BLK_S_OK) {
				fprintf(stderr, "blkbench: virtio %s: status "
					"%u\n", wl[w].name,
					*(uint8_t *)gpa(GPA_HDRS + 0x1000 + s));
				exit(1);
			}
			free_slots[nfree++] = s;
			inflight--;
			done++;
		}
	}
	*elapsed = now() - t0;
	driver_cpu_s = thread_cpu_now() - c0;
	dev.aidx = aidx;
	dev.seen = seen;
	return done;
}

/* ---- setup and report ---- */

static const char *verdict(double ratio)
{
	return ratio >= 0.9 ? "PASS" : "FAIL";
}

/* The process's CPU time so far (every thread, user and system), s. */
static double cpu_now(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* What one program did in one round, summed over its slices. */
struct tally {
	uint64_t done;	/* requests */
	double t;	/* seconds timed */
	double cpu;	/* CPU seconds, the whole process */
	double drv_cpu; /* of which the virtio driver's thread (the guest) */
};

typedef uint64_t run_fn(enum workload w, unsigned int qd, uint64_t first,
			double secs, double *elapsed);

/* One slice of one program: its requests continue the indices of its
 * earlier slices (the same offsets on every side), its CPU (what a side
 * costs apart from waiting for the disk) is the process's over the slice,
 * set-up included; for virtio the driver thread's share is kept apart. */
static void slice(run_fn *run, enum workload w, unsigned int qd, double secs,
		  struct tally *a)
{
	double c0 = cpu_now(), t;

	driver_cpu_s = 0;
	a->done += run(w, qd, a->done, secs, &t);
	a->t += t;
	a->cpu += cpu_now() - c0;
	a->drv_cpu += driver_cpu_s;
}

static double rate_of(const struct tally *a)
{
	return a->t > 0 ? (double)a->done / a->t : 0;
}

/* CPU microseconds per request; 'drv' the driver thread's only. */
static double cpu_us(const struct tally *a, bool drv)
{
	return a->done ? (drv ? a->drv_cpu : a->cpu) / (double)a->done * 1e6
		       : 0;
}

/* One round: every program runs 'slices' slices of seconds/slices each,
 * interleaved (raw threads, raw AIO, virtio; the order reversed every
 * other slice), so that all three see the disk's rate as it drifts
 * within the round instead of each its own second of it. */
static void round_run(enum workload w, unsigned int qd, int slices,
		      struct tally *thr, struct tally *aio, struct tally *vio)
{
	double secs = seconds / slices;

	*thr = *aio = *vio = (struct tally){ 0 };
	for (int k = 0; k < slices; k++) {
		if (k % 2) {
			slice(run_virtio, w, qd, secs, vio);
			slice(raw_aio, w, qd, secs, aio);
			slice(run_raw, w, qd, secs, thr);
		} else {
			slice(run_raw, w, qd, secs, thr);
			slice(raw_aio, w, qd, secs, aio);
			slice(run_virtio, w, qd, secs, vio);
		}
	}
}

static void make_file(uint64_t mib)
{
	struct stat st;
	size_t chunk = 1 << 20;
	uint8_t *buf;
	int fd;

	file_size = mib << 20;
	if (!stat(path, &st) && (uint64_t)st.st_size == file_size)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	buf = malloc(chunk);
	if (fd < 0 || !buf) {
		fprintf(stderr, "blkbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/* Real data, not a hole or an unwritten extent: what is read and
	 * overwritten is allocated on both sides alike. */
	for (uint64_t off = 0; off < file_size; off += chunk) {
		for (size_t k = 0; k < chunk; k += 8)
			put_le64(buf + k, splitmix(off + k));
		if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk) {
			fprintf(stderr, "blkbench: writing %s: %s\n", path,
				strerror(errno));
			exit(1);
		}
	}
	fsync(fd);
	close(fd);
	free(buf);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n), n <= MAX_ROUNDS; v keeps its order (round r of
 * one program stays paired with round r of the others). */
static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int parse_list(const char *s, unsigned int *out, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || !v || v > MAX_QD)
			return -1;
		out[n++] = (unsigned int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: blkbench [-f FILE] [-s MIB] [-t SECONDS] "
		"[-r ROUNDS] [-S SLICES] [-q QD,...] [-w randread,randwrite,seqread,"
		"seqwrite] [-c] [-p] [-k] [-P POLL_US] [-T IOTHREADS] "
		"[-H HALT_POLL_US]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int qds[8] = { 1, 32 }, nqd = 2;
	int rounds = 3, slices = 10, keep = 0, opt, nw = 0, wsel[NR_WORKLOADS];
	uint64_t mib = 256;
	double ratio[MAX_ROUNDS], vs_thr[MAX_ROUNDS], thr_r[MAX_ROUNDS];
	double aio_r[MAX_ROUNDS], vio_r[MAX_ROUNDS], *raw_r;
	double thr_c[MAX_ROUNDS], aio_c[MAX_ROUNDS], vio_c[MAX_ROUNDS];
	double dev_c[MAX_ROUNDS];

	path = "/tmp/minivmm-blkbench.img";
	for (int k = 0; k < NR_WORKLOADS; k++)
		wsel[k] = 1;
	while ((opt = getopt(argc, argv, "f:s:t:r:S:q:w:cpkP:T:H:")) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 's': mib = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'r': rounds = atoi(optarg); break;
		case 'S': slices = atoi(optarg); break;
		case 'q':
			nqd = (unsigned int)parse_list(optarg, qds, 8);
			if ((int)nqd <= 0)
				usage();
			break;
		case 'w':
			for (int k = 0; k < NR_WORKLOADS; k++)
				wsel[k] = strstr(optarg, wl[k].name) != NULL;
			break;
		case 'c': cached = 1; break;
		case 'p': poll_used = 1; break;
		case 'k': keep = 1; break;
		case 'P': dev_poll_us = (unsigned int)atoi(optarg); break;
		case 'T': dev_iothreads = (unsigned int)atoi(optarg); break;
		case 'H': halt_poll_s = strtod(optarg, NULL) * 1e-6; break;
		default: usage();
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || mib < 16 || seconds <= 0 ||
	    slices < 1 || seconds / slices < MIN_SLICE_S)
		usage();
	for (int k = 0; k < NR_WORKLOADS; k++)
		nw += wsel[k];
	if (!nw)
		usage();
	log_set_level(LOG_WARN);
	make_file(mib);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	used_efd = eventfd(0, EFD_CLOEXEC);
	if (ram == MAP_FAILED || used_efd < 0) {
		perror("blkbench");
		return 1;
	}
	mem.nr = 1;
	mem.total = RAM_SIZE;
	mem.regions[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE,
					      .hva = ram };

	printf("blkbench: %s, %" PRIu64 " MiB, %s, %.2f s per program "
	       "per round in %d interleaved slices, %d rounds, completions "
	       "by %s\n", path, mib,
	       cached ? "page cache (warmed) on both sides"
		      : "O_DIRECT on both sides",
	       seconds, slices, rounds,
	       poll_used ? "polling the used index" : "the notify_used hook");
	if (!poll_used && halt_poll_s > 0)
		printf("driver: watches the used index before it sleeps for "
		       "an adaptive window of up to %.0f us (KVM's halt "
		       "polling; -H 0: off)\n", halt_poll_s * 1e6);
	else if (!poll_used)
		printf("driver: sleeps at once (no halt polling)\n");
	printf("device: poll_us=%u iothreads=%u; raw: thr = %s, aio = one "
	       "thread keeping QD requests in flight with Linux AIO, one "
	       "io_submit each%s; ratios are against the one with the "
	       "higher median\n", dev_poll_us, dev_iothreads,
	       "QD threads each with one pread/pwrite at a time",
	       cached ? " (not run: AIO needs O_DIRECT)" : "");
	if (cached) { /* warm the page cache: read the whole file once */
		int fd = open_file();
		char *buf = malloc(1 << 20);

		for (uint64_t off = 0; off < file_size; off += 1 << 20)
			if (pread(fd, buf, 1 << 20, (off_t)off) < 0)
				break;
		free(buf);
		close(fd);
	}
	printf("%-10s %3s  %10s %10s %12s  %s\n", "workload", "QD",
	       "thr MB/s", "aio MB/s", "virtio MB/s",
	       "virtio/raw per round -> median, then over pread/pwrite "
	       "alone (target 0.9)");
	for (int k = 0; k < NR_WORKLOADS; k++) {
		if (!wsel[k])
			continue;
		for (unsigned int qi = 0; qi < nqd; qi++) {
			unsigned int qd = qds[qi];
			double mb = wl[k].bs / 1e6;

			halt_window_s = 0; /* a new vCPU: KVM starts at 0 */
			dev_open();
			for (int r = 0; r < rounds; r++) {
				struct tally thr, aio, vio;

				round_run(k, qd, slices, &thr, &aio, &vio);
				thr_r[r] = rate_of(&thr);
				aio_r[r] = rate_of(&aio);
				vio_r[r] = rate_of(&vio);
				thr_c[r] = cpu_us(&thr, false);
				aio_c[r] = cpu_us(&aio, false);
				vio_c[r] = cpu_us(&vio, false);
				dev_c[r] = vio_c[r] - cpu_us(&vio, true);
				vs_thr[r] = vio_r[r] / thr_r[r];
			}
			dev_close();
			raw_r = median(aio_r, rounds) > median(thr_r, rounds) ?
					aio_r : thr_r;
			for (int r = 0; r < rounds; r++)
				ratio[r] = vio_r[r] / raw_r[r];
			printf("%-10s %3u  %10.1f ", wl[k].name, qd,
			       median(thr_r, rounds) * mb);
			if (cached)
				printf("%10s ", "-");
			else
				printf("%10.1f ", median(aio_r, rounds) * mb);
			printf("%12.1f ", median(vio_r, rounds) * mb);
			for (int r = 0; r < rounds; r++)
				printf(" %.3f", ratio[r]);
			printf("  -> %.3f %s (pread/pwrite %.3f %s)",
			       median(ratio, rounds),
			       verdict(median(ratio, rounds)),
			       median(vs_thr, rounds),
			       verdict(median(vs_thr, rounds)));
			printf("  cpu us/req thr %.1f aio %.1f virtio %.1f "
			       "(device %.1f)\n", median(thr_c, rounds),
			       cached ? 0.0 : median(aio_c, rounds),
			       median(vio_c, rounds), median(dev_c, rounds));
			fflush(stdout);
		}
	}
	if (!keep)
		unlink(path);
	return 0;
}
