#!/usr/bin/env bash
# t_virtio_hostile_mmio.sh: t_virtio_hostile_pci.sh over virtio-mmio (the
# transport comes from the script name).
. "$(dirname "$0")/t_virtio_hostile_pci.sh"
