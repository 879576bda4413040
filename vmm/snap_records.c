/* snap_records.c: builds and walks the record-structured snapshot sections the arch backends save. */
#include <errno.h>
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

int snap_records_walk(const void *data, size_t len, uint32_t version,
		      const char *sec, unsigned int inst, uint32_t *have,
		      snap_record_fn fn, void *opaque)
{
	struct sbuf_reader r;
	uint32_t ver, count, seen = 0;

	sbuf_reader_init(&r, data, len);
	ver = sbuf_get_u32(&r);
	count = sbuf_get_u32(&r);
	if (r.err) {
		pr_err("snapshot section %s %u: no header", sec, inst);
		return -EINVAL;
	}
	if (ver != version) {
		pr_err("snapshot section %s %u: version %u (this build reads "
		       "%u)", sec, inst, ver, version);
		return -EINVAL;
	}
	for (; r.pos < r.len; seen++) {
		uint32_t tag = sbuf_get_u32(&r), n = sbuf_get_u32(&r);
		int ret;

		if (r.err || n > r.len - r.pos) {
			pr_err("snapshot section %s %u: truncated record at "
			       "byte %zu", sec, inst, r.pos);
			return -EINVAL;
		}
		if (tag >= 32 || (*have & 1U << tag)) {
			pr_err("snapshot section %s %u: record type %u twice "
			       "or out of range", sec, inst, tag);
			return -EINVAL;
		}
		ret = fn(opaque, tag, r.data + r.pos, n);
		if (ret)
			return ret;
		r.pos += n;
		*have |= 1U << tag;
	}
	if (seen != count) {
		pr_err("snapshot section %s %u: %u records, the header says %u",
		       sec, inst, seen, count);
		return -EINVAL;
	}
	return 0;
}
