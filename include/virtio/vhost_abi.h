/* vhost_abi.h: the vhost ioctl numbers and structures minivmm uses, independent of the installed kernel headers. */
#ifndef MINIVMM_VIRTIO_VHOST_ABI_H
#define MINIVMM_VIRTIO_VHOST_ABI_H

#include <stdint.h>
#include <linux/ioctl.h>

/*
 * The ABI, defined here (Debian 12's <linux/vhost.h> predates the features
 * array ioctls); virtio/vhost_abi.c checks every number and layout against the
 * installed header where that header has it.
 */
struct vh_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vh_vring_file {
	uint32_t index;
	int32_t fd; /* -1: detach */
};

struct vh_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vh_memory_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t flags_padding;
};

struct vh_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vh_memory_region regions[];
};

struct vh_features_array {
	uint64_t count; /* entries of features[] */
	uint64_t features[];
};

/* The same with room for minivmm's 128 bits (a flexible array may not sit
 * inside another struct in ISO C). */
struct vh_features_128 {
	uint64_t count; /* 2 */
	uint64_t features[2];
};
_Static_assert(sizeof(struct vh_features_array) == 8,
	       "features[] must follow an 8-byte count");

#define VH_VIRTIO 0xAF
#define VH_GET_FEATURES	      _IOR(VH_VIRTIO, 0x00, uint64_t)
#define VH_SET_FEATURES	      _IOW(VH_VIRTIO, 0x00, uint64_t)
#define VH_SET_OWNER	      _IO(VH_VIRTIO, 0x01)
#define VH_SET_MEM_TABLE      _IOW(VH_VIRTIO, 0x03, struct vh_memory)
#define VH_SET_VRING_NUM      _IOW(VH_VIRTIO, 0x10, struct vh_vring_state)
#define VH_SET_VRING_ADDR     _IOW(VH_VIRTIO, 0x11, struct vh_vring_addr)
#define VH_SET_VRING_BASE     _IOW(VH_VIRTIO, 0x12, struct vh_vring_state)
#define VH_GET_VRING_BASE     _IOWR(VH_VIRTIO, 0x12, struct vh_vring_state)
#define VH_SET_VRING_KICK     _IOW(VH_VIRTIO, 0x20, struct vh_vring_file)
#define VH_SET_VRING_CALL     _IOW(VH_VIRTIO, 0x21, struct vh_vring_file)
#define VH_SET_VRING_ERR      _IOW(VH_VIRTIO, 0x22, struct vh_vring_file)
#define VH_NET_SET_BACKEND    _IOW(VH_VIRTIO, 0x30, struct vh_vring_file)
#define VH_VSOCK_SET_GUEST_CID _IOW(VH_VIRTIO, 0x60, uint64_t)
#define VH_VSOCK_SET_RUNNING  _IOW(VH_VIRTIO, 0x61, int)
/* Linux 6.17+: 0x8008AF83 / 0x4008AF83 (the size is the header's u64). */
#define VH_GET_FEATURES_ARRAY _IOR(VH_VIRTIO, 0x83, uint64_t)
#define VH_SET_FEATURES_ARRAY _IOW(VH_VIRTIO, 0x83, uint64_t)

#define VH_F_LOG_ALL		 26 /* vhost's own bit; never acked here */
#define VH_NET_F_VIRTIO_NET_HDR	 27 /* vhost adds the header; unused here */

#endif
