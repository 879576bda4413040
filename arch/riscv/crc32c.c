/* crc32c.c: the riscv backend's hardware CRC32C for snapshot checksums: none (no CRC instructions), so the table-driven version is used. */
#include "snapshot_file.h"

bool crc32c_hw(uint32_t crc, const void *data, size_t len, uint32_t *out)
{
	return false;
}
