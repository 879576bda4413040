/* fake_snap.h: a fake snapshot file for the arch state unit tests: the sections kept in memory, in place of vmm/snapshot_file.c's writer and reader. */
#ifndef MINIVMM_FAKE_SNAP_H
#define MINIVMM_FAKE_SNAP_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_file.h"

#define MAX_SECS 8

struct sec {
	uint32_t type, inst;
	uint8_t *data;
	size_t len;
};

struct snap_writer {
	struct sec s[MAX_SECS];
	unsigned int n;
};

struct snap_reader {
	const struct snap_writer *w;
};

/* These two take the place of the library's (one test program each). */
int snap_write_section(struct snap_writer *w, uint32_t type, uint32_t instance,
		       const void *data, size_t len)
{
	struct sec *s = &w->s[w->n++];

	s->type = type;
	s->inst = instance;
	s->len = len;
	s->data = malloc(len ? len : 1);
	memcpy(s->data, data, len);
	return 0;
}

int snap_reader_find(struct snap_reader *r, uint32_t type, uint32_t instance,
		     const void **data, size_t *len)
{
	for (unsigned int i = 0; i < r->w->n; i++)
		if (r->w->s[i].type == type && r->w->s[i].inst == instance) {
			*data = r->w->s[i].data;
			*len = r->w->s[i].len;
			return 0;
		}
	return -ENOENT;
}

static inline struct sec *find_sec(struct snap_writer *w, uint32_t type,
				   uint32_t inst)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (w->s[i].type == type && w->s[i].inst == inst)
			return &w->s[i];
	return NULL;
}

static inline void writer_free(struct snap_writer *w)
{
	for (unsigned int i = 0; i < w->n; i++)
		free(w->s[i].data);
	w->n = 0;
}

#endif
