/* bus.c: range registry and dispatch shared by port I/O and MMIO. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "bus.h"
#include "log.h"

int bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	if (!bus->name)
		return; /* never initialised */
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end is above addr (binary search). */
static size_t bus_lower_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + r->len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int bus_grow(struct bus *bus)
{
	size_t cap = bus->cap ? bus->cap * 2 : 16;
	struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

	if (!r)
		return -ENOMEM;
	bus->ranges = r;
	bus->cap = cap;
	return 0;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	struct bus_range *r;
	size_t i;
	int ret = 0;

	if (!len || base + len - 1 < base) {
		pr_err("%s bus: invalid range for %s", bus->name, name);
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base <= base + len - 1) {
		r = &bus->ranges[i];
		pr_err("%s bus: %s [0x%" PRIx64 "-0x%" PRIx64
		       "] overlaps %s [0x%" PRIx64 "-0x%" PRIx64 "]",
		       bus->name, name, base, base + len - 1, r->name, r->base,
		       r->base + r->len - 1);
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		ret = bus_grow(bus);
		if (ret)
			goto out;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(*r));
	bus->ranges[i] = (struct bus_range){ base, len, ops, opaque, name };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static void bus_unhandled(struct bus *bus, uint64_t addr, uint8_t *data,
			  uint32_t len, bool is_write)
{
	uint64_t v = 0;

	if (is_write) {
		__atomic_add_fetch(&bus->unhandled_writes, 1, __ATOMIC_RELAXED);
		memcpy(&v, data, len < 8 ? len : 8);
	} else {
		__atomic_add_fetch(&bus->unhandled_reads, 1, __ATOMIC_RELAXED);
		memset(data, 0xff, len);
	}
	if (!bus->debug)
		return;
	if (is_write)
		pr_warn("%s: unhandled write of %u byte(s) at 0x%" PRIx64
			", value 0x%" PRIx64, bus->name, len, addr, v);
	else
		pr_warn("%s: unhandled read of %u byte(s) at 0x%" PRIx64,
			bus->name, len, addr);
}

bool bus_access(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		bool is_write)
{
	const struct bus_range *r;
	struct bus_range hit;
	size_t i;

	pthread_rwlock_rdlock(&bus->lock);
	i = bus_lower_bound(bus, addr);
	r = i < bus->nr ? &bus->ranges[i] : NULL;
	/* The whole access must lie inside one device's range. */
	if (!r || addr < r->base || addr - r->base + len > r->len) {
		pthread_rwlock_unlock(&bus->lock);
		bus_unhandled(bus, addr, data, len, is_write);
		return false;
	}
	hit = *r;
	/* The callback runs unlocked, so it may register or remove ranges
	 * (a PCI config write moving a BAR on the same bus as the ECAM
	 * window); see bus.h for why the opaque stays valid. */
	pthread_rwlock_unlock(&bus->lock);
	if (is_write) {
		if (hit.ops->write)
			hit.ops->write(hit.opaque, addr - hit.base, data, len);
	} else if (hit.ops->read) {
		hit.ops->read(hit.opaque, addr - hit.base, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return true;
}
