/* plic.c: the userspace PLIC's logic: gateways for level-triggered sources, claim/complete, per-context output lines, snapshot state. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plic.h"
#include "sbuf.h"
#include "util.h"

#define BIT(n) (1ULL << (n))

/* The source a claim would return for context c: highest priority above
 * the threshold, lowest id on a tie; 0 when none. */
static uint32_t best_source(const struct plic *p, const struct plic_ctx *c)
{
	uint64_t cand = p->pending & c->enable;
	uint32_t best = 0, best_prio = c->threshold;

	for (uint32_t s = 1; cand >> s; s++)
		if ((cand & BIT(s)) && p->priority[s] > best_prio) {
			best = s;
			best_prio = p->priority[s];
		}
	return best;
}

static void update(struct plic *p)
{
	for (unsigned int i = 0; i < p->nr_contexts; i++) {
		struct plic_ctx *c = &p->ctx[i];
		bool out = best_source(p, c) != 0;

		if (out != c->out) {
			c->out = out;
			if (p->notify)
				p->notify(p->opaque, i, out);
		}
	}
}

/* A gateway forwards a new request while its line is high and the
 * previous one is neither pending nor in service. */
static void gateway(struct plic *p, uint32_t src)
{
	if ((p->level & BIT(src)) && !(p->active & BIT(src)))
		p->pending |= BIT(src);
}

int plic_init(struct plic *p, unsigned int nr_sources, unsigned int nr_contexts,
	      plic_notify_fn notify, void *opaque)
{
	if (!nr_sources || nr_sources > PLIC_MAX_SOURCES || !nr_contexts ||
	    nr_contexts > PLIC_MAX_CONTEXTS)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->nr_sources = nr_sources;
	p->nr_contexts = nr_contexts;
	p->notify = notify;
	p->opaque = opaque;
	return 0;
}

void plic_destroy(struct plic *p)
{
	pthread_mutex_destroy(&p->lock);
}

int plic_set_level(struct plic *p, uint32_t src, bool level)
{
	if (!src || src > p->nr_sources)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (level)
		p->level |= BIT(src);
	else
		p->level &= ~BIT(src);
	gateway(p, src);
	update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static uint32_t claim(struct plic *p, struct plic_ctx *c)
{
	uint32_t s = best_source(p, c);

	if (s) {
		p->pending &= ~BIT(s);
		p->active |= BIT(s);
		update(p);
	}
	return s;
}

/* Completing a source not enabled for the context is ignored (spec). */
static void complete(struct plic *p, struct plic_ctx *c, uint32_t src)
{
	if (!src || src > p->nr_sources || !(c->enable & BIT(src)))
		return;
	p->active &= ~BIT(src);
	gateway(p, src);
	update(p);
}

/* The 32-bit register at offset 'off'; a claim read takes the source. */
static uint32_t read_word(struct plic *p, uint64_t off)
{
	uint64_t n;

	if (off < PLIC_PENDING_BASE) {
		n = off / 4;
		return n && n <= p->nr_sources ? p->priority[n] : 0;
	}
	if (off < PLIC_PENDING_BASE + 8)
		return (uint32_t)(p->pending >> (off - PLIC_PENDING_BASE) * 8);
	if (off >= PLIC_ENABLE_BASE && off < PLIC_CONTEXT_BASE) {
		n = (off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
		off = (off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE;
		if (n >= p->nr_contexts || off >= 8)
			return 0;
		return (uint32_t)(p->ctx[n].enable >> off * 8);
	}
	if (off < PLIC_CONTEXT_BASE)
		return 0;
	n = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
	off = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
	if (n >= p->nr_contexts)
		return 0;
	if (off == PLIC_CTX_THRESHOLD)
		return p->ctx[n].threshold;
	return off == PLIC_CTX_CLAIM ? claim(p, &p->ctx[n]) : 0;
}

/* Enable bits of sources that exist (source 0 is never enabled). */
static uint64_t valid_mask(const struct plic *p)
{
	return (BIT(p->nr_sources) - 1) << 1;
}

static void write_enable(struct plic *p, unsigned int n, uint64_t word,
			 uint32_t v)
{
	uint64_t shift = word * 32, e = p->ctx[n].enable;

	e &= ~(0xffffffffULL << shift);
	e |= (uint64_t)v << shift;
	p->ctx[n].enable = e & valid_mask(p);
	update(p);
}

static void write_word(struct plic *p, uint64_t off, uint32_t v)
{
	uint64_t n;

	if (off < PLIC_PENDING_BASE) {
		n = off / 4;
		if (n && n <= p->nr_sources) {
			p->priority[n] = v & PLIC_PRIO_MASK;
			update(p);
		}
		return;
	}
	if (off >= PLIC_ENABLE_BASE && off < PLIC_CONTEXT_BASE) {
		n = (off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE;
		off = (off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE;
		if (n < p->nr_contexts && off < 8)
			write_enable(p, (unsigned int)n, off / 4, v);
		return;
	}
	if (off < PLIC_CONTEXT_BASE)
		return; /* pending bits are read-only */
	n = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
	off = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
	if (n >= p->nr_contexts)
		return;
	if (off == PLIC_CTX_THRESHOLD) {
		p->ctx[n].threshold = v & PLIC_PRIO_MASK;
		update(p);
	} else if (off == PLIC_CTX_CLAIM) {
		complete(p, &p->ctx[n], v);
	}
}

void plic_read(struct plic *p, uint64_t offset, uint8_t *data, uint32_t len)
{
	uint32_t v = 0;

	if (len == 4 && IS_ALIGNED(offset, 4)) {
		pthread_mutex_lock(&p->lock);
		v = read_word(p, offset);
		pthread_mutex_unlock(&p->lock);
	}
	memset(data, 0, len);
	if (len == 4)
		put_le32(data, v);
}

void plic_write(struct plic *p, uint64_t offset, const uint8_t *data,
		uint32_t len)
{
	if (len != 4 || !IS_ALIGNED(offset, 4))
		return;
	pthread_mutex_lock(&p->lock);
	write_word(p, offset, get_le32(data));
	pthread_mutex_unlock(&p->lock);
}

void plic_save(struct plic *p, struct sbuf *b)
{
	pthread_mutex_lock(&p->lock);
	sbuf_put_u32(b, p->nr_sources);
	sbuf_put_u32(b, p->nr_contexts);
	for (unsigned int s = 1; s <= p->nr_sources; s++)
		sbuf_put_u32(b, p->priority[s]);
	sbuf_put_u64(b, p->level);
	sbuf_put_u64(b, p->pending);
	sbuf_put_u64(b, p->active);
	for (unsigned int i = 0; i < p->nr_contexts; i++) {
		sbuf_put_u64(b, p->ctx[i].enable);
		sbuf_put_u32(b, p->ctx[i].threshold);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Decodes into 'out' (a copy of p's shape) and checks every value. */
static int decode(const struct plic *p, struct sbuf_reader *r,
		  struct plic *out, char *err, size_t errlen)
{
	uint64_t valid = valid_mask(p);
	uint32_t ns = sbuf_get_u32(r), nc = sbuf_get_u32(r);

	if (r->err || ns != p->nr_sources || nc != p->nr_contexts) {
		snprintf(err, errlen, "PLIC: %u sources and %u contexts saved, "
			 "this VM's has %u and %u", ns, nc, p->nr_sources,
			 p->nr_contexts);
		return -EINVAL;
	}
	for (unsigned int s = 1; s <= ns; s++)
		out->priority[s] = sbuf_get_u32(r);
	out->level = sbuf_get_u64(r);
	out->pending = sbuf_get_u64(r);
	out->active = sbuf_get_u64(r);
	for (unsigned int i = 0; i < nc; i++) {
		out->ctx[i].enable = sbuf_get_u64(r);
		out->ctx[i].threshold = sbuf_get_u32(r);
	}
	if (sbuf_reader_done(r)) {
		snprintf(err, errlen, "PLIC: the record is truncated or too "
			 "long");
		return -EINVAL;
	}
	for (unsigned int s = 1; s <= ns; s++)
		if (out->priority[s] > PLIC_PRIO_MASK) {
			snprintf(err, errlen, "PLIC: source %u has priority "
				 "%u (at most %u)", s, out->priority[s],
				 PLIC_PRIO_MASK);
			return -EINVAL;
		}
	if ((out->level | out->pending | out->active) & ~valid) {
		snprintf(err, errlen, "PLIC: a line, pending or active bit "
			 "names a source that does not exist");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < nc; i++)
		if ((out->ctx[i].enable & ~valid) ||
		    out->ctx[i].threshold > PLIC_PRIO_MASK) {
			snprintf(err, errlen, "PLIC: context %u: enable bits "
				 "0x%" PRIx64 " or threshold %u out of range",
				 i, out->ctx[i].enable, out->ctx[i].threshold);
			return -EINVAL;
		}
	return 0;
}

int plic_restore(struct plic *p, const void *data, size_t len, char *err,
		 size_t errlen)
{
	struct plic *in = calloc(1, sizeof(*in));
	struct sbuf_reader r;
	int ret;

	if (!in)
		return -ENOMEM;
	sbuf_reader_init(&r, data, len);
	ret = decode(p, &r, in, err, errlen);
	if (ret) {
		free(in);
		return ret;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(p->priority, in->priority, sizeof(p->priority));
	p->level = in->level;
	p->pending = in->pending;
	p->active = in->active;
	for (unsigned int i = 0; i < p->nr_contexts; i++) {
		struct plic_ctx *c = &p->ctx[i];

		c->enable = in->ctx[i].enable;
		c->threshold = in->ctx[i].threshold;
		c->out = best_source(p, c) != 0;
		if (p->notify)
			p->notify(p->opaque, i, c->out);
	}
	pthread_mutex_unlock(&p->lock);
	free(in);
	return 0;
}

void plic_report(struct plic *p)
{
	pthread_mutex_lock(&p->lock);
	pr_debug("PLIC: lines 0x%" PRIx64 ", pending 0x%" PRIx64
		 ", claimed 0x%" PRIx64, p->level, p->pending, p->active);
	for (unsigned int c = 0; c < p->nr_contexts; c++)
		if (p->ctx[c].enable)
			pr_debug("PLIC context %u: enabled 0x%" PRIx64
				 ", threshold %u, output %s", c,
				 p->ctx[c].enable, p->ctx[c].threshold,
				 p->ctx[c].out ? "high" : "low");
	pthread_mutex_unlock(&p->lock);
}
