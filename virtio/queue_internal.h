/* queue_internal.h: what the split and packed walkers share with the virtqueue front end (queue.c). */
#ifndef MINIVMM_VIRTIO_QUEUE_INTERNAL_H
#define MINIVMM_VIRTIO_QUEUE_INTERNAL_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/queue.h"

/*
 * Guest-shared ring fields are read and written with __atomic builtins on
 * naturally aligned 16-bit fields (virtq_setup checks ring alignment), so a
 * racing guest can never make us see a torn index. Descriptors are copied
 * out once (memcpy: indirect tables need not be aligned) and only the copy
 * is validated and used.
 */
static inline uint16_t vq_load16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline uint16_t vq_load16_acquire(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static inline void vq_store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static inline void vq_store16_release(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
}

static inline void vq_store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, htole32(v), __ATOMIC_RELAXED);
}

/* A chain being collected into the caller's array. */
struct vq_walk {
	struct virtq_chain *chain;
	struct virtq_buf *bufs;
	unsigned int max_bufs;
	uint64_t total;
	bool seen_writable;
};

void vq_walk_start(struct vq_walk *w, struct virtq_chain *chain,
		   struct virtq_buf *bufs, unsigned int max_bufs);
/* Translate and append one buffer; checks RAM, zero length, 32-bit total. */
int vq_walk_add(const struct virtq *vq, struct vq_walk *w, uint64_t addr,
		uint32_t len, bool writable);
/* Translate an indirect table: *n entries of 16 bytes, or -errno. */
int vq_indirect_table(const struct virtq *vq, uint64_t addr, uint32_t len,
		      const uint8_t **table, uint32_t *n);
/* Host pointer for a ring area of len bytes aligned to align, or NULL. */
void *vq_ring_area(const struct virtq *vq, uint64_t gpa, uint64_t len,
		   uint64_t align);

int vq_split_setup(struct virtq *vq, const struct virtq_config *cfg);
int vq_split_pop(struct virtq *vq, struct vq_walk *w);
void vq_split_push(struct virtq *vq, const struct virtq_chain *chain,
		   uint32_t written);
bool vq_split_need_interrupt(struct virtq *vq);
void vq_split_set_notify(struct virtq *vq, bool enable);
bool vq_split_has_avail(struct virtq *vq);
int vq_split_describe(const struct virtq *vq, char *buf, size_t len);

int vq_packed_setup(struct virtq *vq, const struct virtq_config *cfg);
int vq_packed_pop(struct virtq *vq, struct vq_walk *w);
void vq_packed_push(struct virtq *vq, const struct virtq_chain *chain,
		    uint32_t written);
bool vq_packed_need_interrupt(struct virtq *vq);
void vq_packed_set_notify(struct virtq *vq, bool enable);
bool vq_packed_has_avail(struct virtq *vq);
int vq_packed_describe(const struct virtq *vq, char *buf, size_t len);

#endif
