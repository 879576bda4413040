/* snap_records.c: builds the record-structured snapshot sections the arch backends save. */
#include <string.h>

#include "log.h"
#include "snap_records.h"
#include "snapshot_file.h"
#include "util.h"

void snap_records_init(struct snap_records *r, uint32_t version)
{
	sbuf_init(&r->b);
	r->n = 0;
	sbuf_put_u32(&r->b, version);
	sbuf_put_u32(&r->b, 0); /* record count, set by snap_records_write */
}

void snap_records_put(struct snap_records *r, uint32_t tag, const void *p,
		      size_t len)
{
	sbuf_put_u32(&r->b, tag);
	sbuf_put_u32(&r->b, (uint32_t)len);
	sbuf_put_bytes(&r->b, p, len);
	r->n++;
}

void snap_records_put_sbuf(struct snap_records *r, uint32_t tag,
			   const struct sbuf *p)
{
	snap_records_put(r, tag, p->data, p->len);
	if (p->err && !r->b.err)
		r->b.err = p->err;
}

int snap_records_write(struct snap_writer *w, uint32_t type, uint32_t inst,
		       struct snap_records *r)
{
	int ret = r->b.err;

	if (!ret) {
		put_le32(r->b.data + 4, r->n);
		ret = snap_write_section(w, type, inst, r->b.data, r->b.len);
	}
	if (ret)
		pr_err("cannot write snapshot section %u/%u: %s", type, inst,
		       strerror(-ret));
	return ret;
}
