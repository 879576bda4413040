/* elf_image.c: reads ELF kernels through libelf: validated loadable segments, entry point and notes. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#include "elf_image.h"
#include "util.h"

/*
 * libelf gets the caller's buffer (const cast away). It only writes to an
 * image to convert a foreign byte order, and big-endian files are rejected
 * before libelf sees them, so the buffer is only read. Note descriptors are
 * returned as pointers into that same buffer.
 */

/* Magic, class, byte order and a complete ELF header; 0 or -EINVAL. */
static int check_ident(const uint8_t *data, uint64_t size, char *err,
		       size_t errlen)
{
	uint64_t need;

	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "not an ELF file");
		return -EINVAL;
	}
	if (data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errlen, "unknown ELF class %u", data[EI_CLASS]);
		return -EINVAL;
	}
	if (data[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "ELF data encoding %u is not little-endian",
			 data[EI_DATA]);
		return -EINVAL;
	}
	need = data[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr)
					    : sizeof(Elf32_Ehdr);
	if (size < need) {
		snprintf(err, errlen, "ELF header truncated (%llu bytes)",
			 (unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

static Elf *open_elf(const uint8_t *data, uint64_t size, char *err,
		     size_t errlen)
{
	Elf *elf = NULL;

	if (elf_version(EV_CURRENT) != EV_NONE && size <= SIZE_MAX)
		elf = elf_memory((char *)data, (size_t)size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "malformed ELF file: %s", elf_errmsg(-1));
		if (elf)
			elf_end(elf);
		return NULL;
	}
	return elf;
}

/* The program header table lies inside the file. */
static int check_phdrs(const GElf_Ehdr *eh, size_t phnum, uint64_t size,
		       unsigned int cls, char *err, size_t errlen)
{
	uint64_t entsz = cls == ELFCLASS64 ? sizeof(Elf64_Phdr)
					   : sizeof(Elf32_Phdr);

	if (phnum == 0) {
		snprintf(err, errlen, "ELF file has no program headers");
		return -EINVAL;
	}
	if (eh->e_phentsize != entsz ||
	    !range_fits(eh->e_phoff, phnum * entsz, size)) {
		snprintf(err, errlen,
			 "ELF program headers (%zu at 0x%llx) lie outside the file",
			 phnum, (unsigned long long)eh->e_phoff);
		return -EINVAL;
	}
	return 0;
}

static int check_segment(const GElf_Phdr *ph, size_t i, uint64_t size,
			 char *err, size_t errlen)
{
	if (!range_fits(ph->p_offset, ph->p_filesz, size)) {
		snprintf(err, errlen,
			 "ELF segment %zu (0x%llx bytes at offset 0x%llx) lies "
			 "outside the file (%llu bytes)",
			 i, (unsigned long long)ph->p_filesz,
			 (unsigned long long)ph->p_offset,
			 (unsigned long long)size);
		return -EINVAL;
	}
	if (ph->p_filesz > ph->p_memsz) {
		snprintf(err, errlen,
			 "ELF segment %zu: file size 0x%llx exceeds memory size "
			 "0x%llx",
			 i, (unsigned long long)ph->p_filesz,
			 (unsigned long long)ph->p_memsz);
		return -EINVAL;
	}
	if (!range_fits(ph->p_paddr, ph->p_memsz, UINT64_MAX)) {
		snprintf(err, errlen, "ELF segment %zu wraps around at 0x%llx",
			 i, (unsigned long long)ph->p_paddr);
		return -EINVAL;
	}
	return 0;
}

static int check_overlap(const struct elf_info *info, char *err,
			 size_t errlen)
{
	for (unsigned int i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *a = &info->segs[i];

		for (unsigned int j = i + 1; j < info->nr_segs; j++) {
			const struct elf_segment *b = &info->segs[j];

			if (!a->memsz || !b->memsz ||
			    a->paddr >= b->paddr + b->memsz ||
			    b->paddr >= a->paddr + a->memsz)
				continue;
			snprintf(err, errlen,
				 "ELF segments at 0x%llx (0x%llx bytes) and "
				 "0x%llx (0x%llx bytes) overlap",
				 (unsigned long long)a->paddr,
				 (unsigned long long)a->memsz,
				 (unsigned long long)b->paddr,
				 (unsigned long long)b->memsz);
			return -EINVAL;
		}
	}
	return 0;
}

static int add_segment(struct elf_info *info, const GElf_Phdr *ph,
		       char *err, size_t errlen)
{
	struct elf_segment *s;

	if (info->nr_segs == ELF_IMAGE_MAX_SEGS) {
		snprintf(err, errlen, "more than %d loadable ELF segments",
			 ELF_IMAGE_MAX_SEGS);
		return -EINVAL;
	}
	s = &info->segs[info->nr_segs++];
	s->offset = ph->p_offset;
	s->paddr = ph->p_paddr;
	s->vaddr = ph->p_vaddr;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	return 0;
}

static int read_segments(Elf *elf, uint64_t size, struct elf_info *info,
			 char *err, size_t errlen)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t phnum;
	int rc;

	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &phnum)) {
		snprintf(err, errlen, "malformed ELF header: %s",
			 elf_errmsg(-1));
		return -EINVAL;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(err, errlen, "ELF type %u is not an executable",
			 eh.e_type);
		return -EINVAL;
	}
	rc = check_phdrs(&eh, phnum, size, gelf_getclass(elf), err, errlen);
	for (size_t i = 0; !rc && i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph)) {
			snprintf(err, errlen, "ELF program header %zu: %s", i,
				 elf_errmsg(-1));
			return -EINVAL;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		rc = check_segment(&ph, i, size, err, errlen);
		if (!rc)
			rc = add_segment(info, &ph, err, errlen);
	}
	info->machine = eh.e_machine;
	info->entry = eh.e_entry;
	return rc;
}

int elf_image_parse(const uint8_t *data, uint64_t size, struct elf_info *info,
		    char *err, size_t errlen)
{
	Elf *elf;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = check_ident(data, size, err, errlen);
	if (rc)
		return rc;
	elf = open_elf(data, size, err, errlen);
	if (!elf)
		return -EINVAL;
	info->elf_class = gelf_getclass(elf) == ELFCLASS64 ? 64 : 32;
	rc = read_segments(elf, size, info, err, errlen);
	elf_end(elf);
	if (!rc && !info->nr_segs) {
		snprintf(err, errlen, "ELF file has no loadable segments");
		rc = -EINVAL;
	}
	return rc ? rc : check_overlap(info, err, errlen);
}

struct note_query {
	const char *owner;
	uint32_t type;
	const uint8_t *desc;
	size_t desc_len;
};

static bool name_matches(const uint8_t *name, uint32_t namesz,
			 const char *owner)
{
	size_t len = strlen(owner);

	if (namesz == len + 1)
		return !memcmp(name, owner, len) && name[len] == '\0';
	return namesz == len && !memcmp(name, owner, len);
}

/*
 * Walks the notes in buf[0, len): 12-byte header (namesz, descsz, type),
 * then name and descriptor, each padded to 'align' (4, or 8 for segments
 * aligned so) relative to the start of buf. 0 when found, -ENOENT, or
 * -EINVAL when a size runs past the end.
 */
static int scan_notes(const uint8_t *buf, uint64_t len, uint64_t align,
		      struct note_query *q)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = get_le32(buf + off);
		uint32_t descsz = get_le32(buf + off + 4);
		uint32_t type = get_le32(buf + off + 8);
		uint64_t name = off + 12, desc;

		if (namesz > len - name)
			return -EINVAL;
		desc = ALIGN_UP(name + namesz, align);
		if (desc > len || descsz > len - desc)
			return -EINVAL;
		if (type == q->type && name_matches(buf + name, namesz, q->owner)) {
			q->desc = buf + desc;
			q->desc_len = descsz;
			return 0;
		}
		off = ALIGN_UP(desc + descsz, align);
		if (off >= len)
			break;
	}
	return -ENOENT;
}

static int scan_region(const uint8_t *data, uint64_t size, uint64_t offset,
		       uint64_t len, uint64_t align, struct note_query *q)
{
	if (!range_fits(offset, len, size))
		return -EINVAL;
	return scan_notes(data + offset, len, align == 8 ? 8 : 4, q);
}

static int notes_in_segments(Elf *elf, const uint8_t *data, uint64_t size,
			     struct note_query *q)
{
	GElf_Phdr ph;
	size_t phnum;
	int rc = -ENOENT;

	if (elf_getphdrnum(elf, &phnum))
		return -EINVAL;
	for (size_t i = 0; rc == -ENOENT && i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			return -EINVAL;
		if (ph.p_type == PT_NOTE)
			rc = scan_region(data, size, ph.p_offset, ph.p_filesz,
					 ph.p_align, q);
	}
	return rc;
}

static int notes_in_sections(Elf *elf, const uint8_t *data, uint64_t size,
			     struct note_query *q)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int rc = -ENOENT;

	while (rc == -ENOENT && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type == SHT_NOTE)
			rc = scan_region(data, size, sh.sh_offset, sh.sh_size,
					 sh.sh_addralign, q);
	}
	return rc;
}

int elf_image_find_note(const uint8_t *data, uint64_t size, const char *owner,
			uint32_t type, const uint8_t **desc, size_t *desc_len)
{
	struct note_query q = { .owner = owner, .type = type };
	char err[8];
	Elf *elf;
	int rc;

	if (check_ident(data, size, err, sizeof(err)))
		return -EINVAL;
	elf = open_elf(data, size, err, sizeof(err));
	if (!elf)
		return -EINVAL;
	rc = notes_in_segments(elf, data, size, &q);
	if (rc == -ENOENT)
		rc = notes_in_sections(elf, data, size, &q);
	elf_end(elf);
	if (!rc) {
		*desc = q.desc;
		*desc_len = q.desc_len;
	}
	return rc;
}
