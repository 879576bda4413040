/* bus.h: one I/O bus type for port I/O and MMIO, sorted non-overlapping ranges. */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>

/*
 * A device callback sees the offset inside its own range, the access size
 * (1, 2, 4 or 8 bytes) and little-endian data. A read fills data[0..len).
 * Callbacks run on vCPU threads; each device does its own locking.
 *
 * A callback runs without the bus lock, so it may register or unregister
 * ranges on any bus. The price: an access that found a range may still be
 * in its callback after the range was removed, so a device unregisters a
 * range only while its opaque stays valid (a BAR moving, set-up failing
 * before the vCPUs run) and frees the opaque only after the vCPU threads
 * are joined (VM teardown).
 */
struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base */
	size_t nr, cap;
	bool debug;		/* --debug-io: log every unhandled access */
	uint64_t unhandled_reads;	/* atomics */
	uint64_t unhandled_writes;
};

int bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* -EEXIST on overlap (the message names both ranges), -EINVAL on len 0 or wrap. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name);
int bus_unregister(struct bus *bus, uint64_t base);
/* Returns true if a device handled it; otherwise reads give all-ones,
 * writes are dropped and the access is counted (and logged with --debug-io). */
bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		bool is_write);

#endif
