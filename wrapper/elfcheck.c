#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcheck.h"
#include "util.h"

/* Is [off, off+n) inside an image of len bytes? */
static int
inside(size_t len, unsigned long long off, unsigned long long n)
{

	return (off <= len && n <= len - off);
}

/* Does a note of this name and type appear in the segment? */
static int
has_note(const unsigned char *img, size_t len, unsigned long long off,
    unsigned long long size, const char *name, unsigned type)
{
	Elf64_Nhdr nh;		/* the same three words as Elf32_Nhdr */
	unsigned long long p = off, end = off + size, nsz, dsz;
	size_t k = strlen(name), i;
	int match;

	if (!inside(len, off, size))
		return (0);
	while (p + sizeof(nh) <= end) {
		/* Copied out: the image gives no alignment guarantee. */
		memcpy(&nh, img + p, sizeof(nh));
		nsz = (nh.n_namesz + 3ULL) & ~3ULL;
		dsz = (nh.n_descsz + 3ULL) & ~3ULL;
		if (p + sizeof(nh) + nsz + dsz > end)
			return (0);
		/* The name, then NUL padding (Go's linker counts it). */
		match = nh.n_type == type && nh.n_namesz > k &&
		    memcmp(img + p + sizeof(nh), name, k) == 0;
		for (i = k; match && i < nh.n_namesz; i++)
			if (img[p + sizeof(nh) + i] != '\0')
				match = 0;
		if (match)
			return (1);
		p += sizeof(nh) + nsz + dsz;
	}
	return (0);
}

/*
 * The header fields that matter here, of an ELF32 or ELF64 image alike:
 * 32-bit programs are judged as 64-bit ones are.
 */
struct elf_view {
	int is64;
	unsigned type;
	unsigned long long phoff, shoff;
	unsigned phnum, shnum, shstrndx;
};

/* Fill *v from the image's header; -1 if its tables do not fit. */
static int
elf_view(const unsigned char *img, size_t len, struct elf_view *v)
{
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;
	size_t phsz;

	memset(v, 0, sizeof(*v));
	if (img[EI_CLASS] == ELFCLASS64 && len >= sizeof(e64)) {
		memcpy(&e64, img, sizeof(e64));
		if (e64.e_phentsize != sizeof(Elf64_Phdr))
			return (-1);
		*v = (struct elf_view){ 1, e64.e_type, e64.e_phoff, e64.e_shoff,
		    e64.e_phnum, e64.e_shnum, e64.e_shstrndx };
		if (e64.e_shentsize != sizeof(Elf64_Shdr))
			v->shoff = 0;
	} else if (img[EI_CLASS] == ELFCLASS32 && len >= sizeof(e32)) {
		memcpy(&e32, img, sizeof(e32));
		if (e32.e_phentsize != sizeof(Elf32_Phdr))
			return (-1);
		*v = (struct elf_view){ 0, e32.e_type, e32.e_phoff, e32.e_shoff,
		    e32.e_phnum, e32.e_shnum, e32.e_shstrndx };
		if (e32.e_shentsize != sizeof(Elf32_Shdr))
			v->shoff = 0;
	} else
		return (-1);
	phsz = v->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	return (inside(len, v->phoff, (unsigned long long)v->phnum * phsz) ?
	    0 : -1);
}

/* Program header i: its type, file offset and size. */
static void
elf_phdr(const unsigned char *img, const struct elf_view *v, unsigned i,
    unsigned *type, unsigned long long *off, unsigned long long *size)
{
	Elf64_Phdr p64;
	Elf32_Phdr p32;

	if (v->is64) {
		memcpy(&p64, img + v->phoff + (size_t)i * sizeof(p64),
		    sizeof(p64));
		*type = p64.p_type;
		*off = p64.p_offset;
		*size = p64.p_filesz;
	} else {
		memcpy(&p32, img + v->phoff + (size_t)i * sizeof(p32),
		    sizeof(p32));
		*type = p32.p_type;
		*off = p32.p_offset;
		*size = p32.p_filesz;
	}
}

/* Section header i (inside the image): its name index, offset, size. */
static void
elf_shdr(const unsigned char *img, const struct elf_view *v, unsigned i,
    unsigned *name, unsigned long long *off, unsigned long long *size)
{
	Elf64_Shdr s64;
	Elf32_Shdr s32;

	if (v->is64) {
		memcpy(&s64, img + v->shoff + (size_t)i * sizeof(s64),
		    sizeof(s64));
		*name = s64.sh_name;
		*off = s64.sh_offset;
		*size = s64.sh_size;
	} else {
		memcpy(&s32, img + v->shoff + (size_t)i * sizeof(s32),
		    sizeof(s32));
		*name = s32.sh_name;
		*off = s32.sh_offset;
		*size = s32.sh_size;
	}
}

/* Does a section of this name exist? */
static int
has_section(const unsigned char *img, size_t len, const struct elf_view *v,
    const char *name)
{
	unsigned long long stroff, strsize, off, size;
	unsigned i, sname;
	size_t shsz = v->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	if (v->shoff == 0 || !inside(len, v->shoff,
	    (unsigned long long)v->shnum * shsz) || v->shstrndx >= v->shnum)
		return (0);
	elf_shdr(img, v, v->shstrndx, &sname, &stroff, &strsize);
	if (!inside(len, stroff, strsize))
		return (0);
	for (i = 0; i < v->shnum; i++) {
		elf_shdr(img, v, i, &sname, &off, &size);
		if (sname < strsize &&
		    strncmp((const char *)img + stroff + sname, name,
		    strsize - sname) == 0)
			return (1);
	}
	return (0);
}

enum elf_verdict
elf_check_image(const unsigned char *img, size_t len)
{
	struct elf_view v;
	unsigned long long off, size;
	unsigned type, i;
	int interp = 0, go = 0;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0 ||
	    len < (img[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) :
	    sizeof(Elf64_Ehdr)))
		return (ELF_NOT_ELF);
	/* Headers this build cannot read: exec will judge the file. */
	if (img[EI_DATA] != ELFDATA2LSB || elf_view(img, len, &v) != 0)
		return (ELF_OK);
	for (i = 0; i < v.phnum; i++) {
		elf_phdr(img, &v, i, &type, &off, &size);
		if (type == PT_INTERP)
			interp = 1;
		/* Go's build ID note: name "Go", type 4. */
		if (type == PT_NOTE && has_note(img, len, off, size, "Go", 4))
			go = 1;
	}
	if (!go && (has_section(img, len, &v, ".go.buildinfo") ||
	    has_section(img, len, &v, ".note.go.buildid")))
		go = 1;
	if (go)
		return (ELF_GO);
	if (!interp)
		return (v.type == ET_DYN || v.type == ET_EXEC ?
		    ELF_STATIC : ELF_OK);
	return (v.is64 ? ELF_OK : ELF_DYN32);
}

enum elf_verdict
elf_check(const char *path, char *why, size_t len)
{
	struct stat st;
	enum elf_verdict v;
	char *img;
	size_t n;
	int fd;

	why[0] = '\0';
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return (ELF_OK);
	if ((st.st_mode & S_ISUID) || ((st.st_mode & S_ISGID) &&
	    (st.st_mode & S_IXGRP))) {
		(void)snprintf(why, len, "%s is set-user-ID or set-group-ID; "
		    "the dynamic linker ignores LD_PRELOAD for it", path);
		return (ELF_SETID);
	}
	if (getxattr(path, "security.capability", NULL, 0) > 0) {
		(void)snprintf(why, len, "%s has file capabilities; the "
		    "dynamic linker ignores LD_PRELOAD for it", path);
		return (ELF_CAPS);
	}
	if (st.st_size == 0)
		return (ELF_NOT_ELF);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (ELF_OK);
	/* Mapped, not read: only the headers and notes are touched. */
	n = (size_t)st.st_size;
	img = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
	(void)close(fd);
	if (img == MAP_FAILED)
		return (ELF_OK);
	v = elf_check_image((const unsigned char *)img, n);
	(void)munmap(img, n);
	if (v == ELF_STATIC)
		(void)snprintf(why, len, "%s is statically linked; LD_PRELOAD "
		    "cannot reach it", path);
	else if (v == ELF_DYN32)
		(void)snprintf(why, len, "%s is a 32-bit program; only a 32-bit "
		    "libsubmitify.so can reach it", path);
	else if (v == ELF_GO)
		(void)snprintf(why, len, "%s is a Go program; Go makes its own "
		    "system calls, so LD_PRELOAD cannot reach its connect()",
		    path);
	return (v);
}
