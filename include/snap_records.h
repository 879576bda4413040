/* snap_records.h: a snapshot section built as a version, a record count and tagged, length-prefixed records. */
#ifndef MINIVMM_SNAP_RECORDS_H
#define MINIVMM_SNAP_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct snap_writer;

struct snap_records {
	struct sbuf b; /* u32 version, u32 count, then {u32 tag, u32 len, bytes} */
	uint32_t n;
};

void snap_records_init(struct snap_records *r, uint32_t version);
void snap_records_put(struct snap_records *r, uint32_t tag, const void *p,
		      size_t len);
/* The same from an sbuf, whose error (if any) becomes the section's. */
void snap_records_put_sbuf(struct snap_records *r, uint32_t tag,
			   const struct sbuf *p);
/* Fills in the count and writes the section; reports a failure once. */
int snap_records_write(struct snap_writer *w, uint32_t type, uint32_t inst,
		       struct snap_records *r);

/*
 * Reading one back: checks the version and that the records fill the
 * payload exactly and match the count; calls fn(opaque, tag, bytes, len)
 * for each, in order. A tag above 31 or seen twice is refused; 'have'
 * collects bit 'tag' of each record. -EINVAL after one message naming
 * the section ('sec' #inst) and the problem; fn's own errors (it reports
 * them) are returned as they are.
 */
typedef int (*snap_record_fn)(void *opaque, uint32_t tag, const uint8_t *p,
			      uint32_t len);
int snap_records_walk(const void *data, size_t len, uint32_t version,
		      const char *sec, unsigned int inst, uint32_t *have,
		      snap_record_fn fn, void *opaque);

#endif
