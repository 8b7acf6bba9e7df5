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
	Elf64_Nhdr nh;
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

/* Does a section of this name exist? */
static int
has_section(const unsigned char *img, size_t len, const Elf64_Ehdr *eh,
    const char *name)
{
	Elf64_Shdr sh, str;
	unsigned i;

	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !inside(len, eh->e_shoff, (unsigned long long)eh->e_shnum *
	    sizeof(Elf64_Shdr)) || eh->e_shstrndx >= eh->e_shnum)
		return (0);
	memcpy(&str, img + eh->e_shoff + (size_t)eh->e_shstrndx * sizeof(sh),
	    sizeof(str));
	if (!inside(len, str.sh_offset, str.sh_size))
		return (0);
	for (i = 0; i < eh->e_shnum; i++) {
		memcpy(&sh, img + eh->e_shoff + (size_t)i * sizeof(sh),
		    sizeof(sh));
		if (sh.sh_name < str.sh_size &&
		    strncmp((const char *)img + str.sh_offset + sh.sh_name,
		    name, str.sh_size - sh.sh_name) == 0)
			return (1);
	}
	return (0);
}

enum elf_verdict
elf_check_image(const unsigned char *img, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int interp = 0, go = 0;
	unsigned i;

	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) != 0)
		return (ELF_NOT_ELF);
	memcpy(&eh, img, sizeof(eh));
	/* 64-bit little-endian is what this build can judge. */
	if (img[EI_CLASS] != ELFCLASS64 || eh.e_phentsize !=
	    sizeof(Elf64_Phdr) || !inside(len, eh.e_phoff,
	    (unsigned long long)eh.e_phnum * sizeof(Elf64_Phdr)))
		return (ELF_OK);
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, img + eh.e_phoff + (size_t)i * sizeof(ph),
		    sizeof(ph));
		if (ph.p_type == PT_INTERP)
			interp = 1;
		/* Go's build ID note: name "Go", type 4. */
		if (ph.p_type == PT_NOTE && has_note(img, len, ph.p_offset,
		    ph.p_filesz, "Go", 4))
			go = 1;
	}
	if (!go && (has_section(img, len, &eh, ".go.buildinfo") ||
	    has_section(img, len, &eh, ".note.go.buildid")))
		go = 1;
	if (go)
		return (ELF_GO);
	if (!interp)
		return (eh.e_type == ET_DYN || eh.e_type == ET_EXEC ?
		    ELF_STATIC : ELF_OK);
	return (ELF_OK);
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
	else if (v == ELF_GO)
		(void)snprintf(why, len, "%s is a Go program; Go makes its own "
		    "system calls, so LD_PRELOAD cannot reach its connect()",
		    path);
	return (v);
}
