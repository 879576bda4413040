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

#endif
