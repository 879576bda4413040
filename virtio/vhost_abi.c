/* vhost_abi.c: build-time check of include/virtio/vhost_abi.h against the installed <linux/vhost.h> (no code). */
#include <linux/vhost.h>

#include "virtio/vhost_abi.h"

/* Our ABI against the installed header, wherever the header has it. */
_Static_assert(VH_GET_FEATURES == VHOST_GET_FEATURES, "GET_FEATURES");
_Static_assert(VH_SET_FEATURES == VHOST_SET_FEATURES, "SET_FEATURES");
_Static_assert(VH_SET_OWNER == VHOST_SET_OWNER, "SET_OWNER");
_Static_assert(VH_SET_MEM_TABLE == VHOST_SET_MEM_TABLE, "SET_MEM_TABLE");
_Static_assert(VH_SET_VRING_NUM == VHOST_SET_VRING_NUM, "SET_VRING_NUM");
_Static_assert(VH_SET_VRING_ADDR == VHOST_SET_VRING_ADDR, "SET_VRING_ADDR");
_Static_assert(VH_SET_VRING_BASE == VHOST_SET_VRING_BASE, "SET_VRING_BASE");
_Static_assert(VH_GET_VRING_BASE == VHOST_GET_VRING_BASE, "GET_VRING_BASE");
_Static_assert(VH_SET_VRING_KICK == VHOST_SET_VRING_KICK, "SET_VRING_KICK");
_Static_assert(VH_SET_VRING_CALL == VHOST_SET_VRING_CALL, "SET_VRING_CALL");
_Static_assert(VH_SET_VRING_ERR == VHOST_SET_VRING_ERR, "SET_VRING_ERR");
_Static_assert(VH_NET_SET_BACKEND == VHOST_NET_SET_BACKEND, "NET_SET_BACKEND");
_Static_assert(VH_VSOCK_SET_GUEST_CID == VHOST_VSOCK_SET_GUEST_CID, "CID");
_Static_assert(VH_VSOCK_SET_RUNNING == VHOST_VSOCK_SET_RUNNING, "RUNNING");
_Static_assert(VH_NET_F_VIRTIO_NET_HDR == VHOST_NET_F_VIRTIO_NET_HDR, "HDR");
_Static_assert(VH_F_LOG_ALL == VHOST_F_LOG_ALL, "LOG_ALL");
_Static_assert(VH_GET_FEATURES_ARRAY == 0x8008AF83, "GET_FEATURES_ARRAY");
_Static_assert(VH_SET_FEATURES_ARRAY == 0x4008AF83, "SET_FEATURES_ARRAY");
#ifdef VHOST_GET_FEATURES_ARRAY
_Static_assert(VH_GET_FEATURES_ARRAY == VHOST_GET_FEATURES_ARRAY, "GFA");
_Static_assert(VH_SET_FEATURES_ARRAY == VHOST_SET_FEATURES_ARRAY, "SFA");
#endif
_Static_assert(sizeof(struct vh_vring_addr) == sizeof(struct vhost_vring_addr),
	       "vring_addr");
_Static_assert(sizeof(struct vh_memory_region) ==
		       sizeof(struct vhost_memory_region), "memory_region");
_Static_assert(sizeof(struct vh_memory) == sizeof(struct vhost_memory),
	       "memory");
