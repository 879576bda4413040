/* elf_image.h: reading ELF kernels (segments, entry, notes) through libelf, for every backend. */
#ifndef MINIVMM_ELF_IMAGE_H
#define MINIVMM_ELF_IMAGE_H

#include <stdint.h>
#include <stddef.h>

#define ELF_IMAGE_MAX_SEGS 32

struct elf_segment {
	uint64_t offset; /* in the file */
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
};

struct elf_info {
	unsigned int elf_class; /* 32 or 64 */
	unsigned int machine;	/* e_machine */
	uint64_t entry;
	struct elf_segment segs[ELF_IMAGE_MAX_SEGS]; /* PT_LOAD only */
	unsigned int nr_segs;
};

/* Parses and validates (segments inside the file, no overlap in paddr).
 * Returns 0 or -errno with a reason in err. */
int elf_image_parse(const uint8_t *data, uint64_t size, struct elf_info *info,
		    char *err, size_t errlen);
/* Finds the first note with this owner name and type (PT_NOTE segments, then
 * SHT_NOTE sections). Returns 0 and the descriptor, -ENOENT, or -EINVAL. */
int elf_image_find_note(const uint8_t *data, uint64_t size, const char *owner,
			uint32_t type, const uint8_t **desc, size_t *desc_len);

#endif
