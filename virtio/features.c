/* features.c: the out-of-line 128-bit feature set helpers (build from a list, find, format). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "virtio/features.h"

int virtio_feat_from_bits(struct virtio_features *f, const unsigned int *bits,
			  size_t n)
{
	*f = VIRTIO_FEATURES_EMPTY;
	for (size_t i = 0; i < n; i++) {
		if (bits[i] >= VIRTIO_FEAT_BITS) {
			*f = VIRTIO_FEATURES_EMPTY;
			return -EINVAL;
		}
		virtio_feat_set(f, bits[i]);
	}
	return 0;
}

int virtio_feat_first(const struct virtio_features *f)
{
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		if (f->q[i])
			return (int)(64 * i) + __builtin_ctzll(f->q[i]);
	return -1;
}

const char *virtio_feat_format(const struct virtio_features *f, char *buf,
			       size_t len)
{
	snprintf(buf, len, "0x%016" PRIx64 ":%016" PRIx64, f->q[1], f->q[0]);
	return buf;
}
