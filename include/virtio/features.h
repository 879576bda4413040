/* features.h: the 128-bit virtio feature set and the transport feature bit numbers. */
#ifndef MINIVMM_VIRTIO_FEATURES_H
#define MINIVMM_VIRTIO_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Word names are unambiguous on purpose: the kernel's VIRTIO_FEATURES_DWORDS
 * meant 2 (u64s) in v6.17 and 4 (u32s) later. Here a qword is 64 bits and a
 * dword is 32 bits, always.
 */
#define VIRTIO_FEAT_BITS   128
#define VIRTIO_FEAT_QWORDS 2 /* 64-bit words */
#define VIRTIO_FEAT_DWORDS 4 /* 32-bit words: the transports' select 0..3 */

/* Device-independent bits (virtio 1.x section 6); 28..41 are transport bits. */
#define VIRTIO_F_NOTIFY_ON_EMPTY     24
#define VIRTIO_F_ANY_LAYOUT	     27
#define VIRTIO_F_RING_INDIRECT_DESC  28
#define VIRTIO_F_RING_EVENT_IDX	     29
#define VIRTIO_F_VERSION_1	     32
#define VIRTIO_F_ACCESS_PLATFORM     33
#define VIRTIO_F_RING_PACKED	     34
#define VIRTIO_F_IN_ORDER	     35
#define VIRTIO_F_ORDER_PLATFORM	     36
#define VIRTIO_F_SR_IOV		     37
#define VIRTIO_F_NOTIFICATION_DATA   38
#define VIRTIO_F_NOTIF_CONFIG_DATA   39
#define VIRTIO_F_RING_RESET	     40
#define VIRTIO_F_ADMIN_VQ	     41
#define VIRTIO_TRANSPORT_F_START     28
#define VIRTIO_TRANSPORT_F_END	     42 /* exclusive */

/* Bit b lives in q[b / 64]; bit 0 of q[0] is feature 0. */
struct virtio_features {
	uint64_t q[VIRTIO_FEAT_QWORDS];
};

#define VIRTIO_FEATURES_EMPTY ((struct virtio_features){ { 0, 0 } })

/* Bits >= VIRTIO_FEAT_BITS read as clear; setting or clearing them is a no-op. */
static inline bool virtio_feat_test(const struct virtio_features *f,
				    unsigned int bit)
{
	if (bit >= VIRTIO_FEAT_BITS)
		return false;
	return (f->q[bit / 64] >> (bit % 64)) & 1;
}

static inline void virtio_feat_set(struct virtio_features *f, unsigned int bit)
{
	if (bit < VIRTIO_FEAT_BITS)
		f->q[bit / 64] |= (uint64_t)1 << (bit % 64);
}

static inline void virtio_feat_clear(struct virtio_features *f,
				     unsigned int bit)
{
	if (bit < VIRTIO_FEAT_BITS)
		f->q[bit / 64] &= ~((uint64_t)1 << (bit % 64));
}

static inline bool virtio_feat_is_empty(const struct virtio_features *f)
{
	return !(f->q[0] | f->q[1]);
}

static inline bool virtio_feat_equal(const struct virtio_features *a,
				     const struct virtio_features *b)
{
	return a->q[0] == b->q[0] && a->q[1] == b->q[1];
}

/* dst = a & b; dst may be a or b. */
static inline void virtio_feat_and(struct virtio_features *dst,
				   const struct virtio_features *a,
				   const struct virtio_features *b)
{
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		dst->q[i] = a->q[i] & b->q[i];
}

/* dst = a | b; dst may be a or b. */
static inline void virtio_feat_or(struct virtio_features *dst,
				  const struct virtio_features *a,
				  const struct virtio_features *b)
{
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		dst->q[i] = a->q[i] | b->q[i];
}

/* Is every bit of sub also in super? ("the driver acked only offered bits") */
static inline bool virtio_feat_subset(const struct virtio_features *sub,
				      const struct virtio_features *super)
{
	return !(sub->q[0] & ~super->q[0]) && !(sub->q[1] & ~super->q[1]);
}

/* 32-bit word idx (bits 32*idx .. 32*idx+31); idx >= 4 reads 0. */
static inline uint32_t virtio_feat_get_dword(const struct virtio_features *f,
					     unsigned int idx)
{
	if (idx >= VIRTIO_FEAT_DWORDS)
		return 0;
	return (uint32_t)(f->q[idx / 2] >> (32 * (idx % 2)));
}

/* idx >= 4 is ignored (the transports' "select" past the end). */
static inline void virtio_feat_set_dword(struct virtio_features *f,
					 unsigned int idx, uint32_t val)
{
	unsigned int shift = 32 * (idx % 2);

	if (idx >= VIRTIO_FEAT_DWORDS)
		return;
	f->q[idx / 2] &= ~((uint64_t)UINT32_MAX << shift);
	f->q[idx / 2] |= (uint64_t)val << shift;
}

/* 64-bit word idx; idx >= 2 reads 0. */
static inline uint64_t virtio_feat_get_qword(const struct virtio_features *f,
					     unsigned int idx)
{
	return idx < VIRTIO_FEAT_QWORDS ? f->q[idx] : 0;
}

/* idx >= 2 is ignored. */
static inline void virtio_feat_set_qword(struct virtio_features *f,
					 unsigned int idx, uint64_t val)
{
	if (idx < VIRTIO_FEAT_QWORDS)
		f->q[idx] = val;
}

/* f = exactly the n bits listed. -EINVAL (f left empty) if one is >= 128. */
int virtio_feat_from_bits(struct virtio_features *f, const unsigned int *bits,
			  size_t n);
/* Lowest set bit, or -1 if f is empty (for "bit N was not offered" logs). */
int virtio_feat_first(const struct virtio_features *f);
/* "0x<q1>:<q0>" as 32 hex digits; buf needs VIRTIO_FEAT_STRLEN bytes. */
#define VIRTIO_FEAT_STRLEN 36
const char *virtio_feat_format(const struct virtio_features *f, char *buf,
			       size_t len);

#endif
