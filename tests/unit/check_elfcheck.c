/*
 * Unit tests for wrapper/elfcheck: which programs LD_PRELOAD can reach.
 * Real files (/bin/true, a static binary built here, a setuid copy) and
 * synthetic or damaged images in memory.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcheck.h"
#include "tmpdir.h"
#include "util.h"
#include "run_suite.h"

/* A path inside the temporary directory. */
static char *
tmppath(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, name), 0);
	return (p);
}

static void
write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* The bytes of a file, in a buffer of exactly its size. */
static unsigned char *
slurp(const char *path, size_t *n)
{
	char *text;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(read_all(fd, &text, n, 64UL * 1024 * 1024), 0);
	(void)close(fd);
	return ((unsigned char *)text);
}

static char *
copy_true(const char *name, mode_t mode)
{
	unsigned char *img;
	char *p = tmppath(name);
	size_t n;

	img = slurp("/bin/true", &n);
	write_file(p, img, n, mode);
	free(img);
	return (p);
}

/* ---- real files ---- */

START_TEST(true_is_ok)
{
	char why[256];

	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(elf_check("/bin/true", why, sizeof(why)), ELF_OK);
	ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(script_not_elf)
{
	static const char sh[] = "#!/bin/sh\nexit 0\n";
	char why[256], *p = tmppath("script.sh");

	write_file(p, sh, sizeof(sh) - 1, 0755);
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_NOT_ELF);
	free(p);
}
END_TEST

START_TEST(empty_and_short_files)
{
	char why[256], *p = tmppath("short");

	write_file(p, "", 0, 0755);
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_NOT_ELF);
	write_file(p, ELFMAG, SELFMAG, 0755);
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_NOT_ELF);
	free(p);
}
END_TEST

START_TEST(unreadable_is_ok)
{
	char why[256];

	/* exec reports these itself. */
	ck_assert_int_eq(elf_check("/nonexistent/submitify-test", why,
	    sizeof(why)), ELF_OK);
	ck_assert_int_eq(elf_check("/", why, sizeof(why)), ELF_OK);
}
END_TEST

/* Link a program that does nothing, statically, in the temporary
 * directory; returns its path. */
static char *
build_static(const char *name)
{
	static const char src[] = "int main(void) { return 0; }\n";
	char *c = tmppath("prog.c"), *out = tmppath(name), *cmd, *lib;
	FILE *f;
	char buf[4096];
	size_t got;
	int st;

	/* Say plainly what is missing rather than fail in cc. */
	f = popen("cc -print-file-name=libc.a", "r");
	ck_assert_ptr_nonnull(f);
	lib = fgets(buf, sizeof(buf), f);
	(void)pclose(f);
	ck_assert_msg(lib != NULL && buf[0] == '/',
	    "libc.a not found: static linking needs it; install libc6-dev");
	write_file(c, src, sizeof(src) - 1, 0644);
	ck_assert_int_ge(asprintf(&cmd, "cc -static -o '%s' '%s' 2>&1", out,
	    c), 0);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "\"%s\" failed (is libc6-dev installed?): %s", cmd, buf);
	free(cmd);
	free(c);
	return (out);
}

START_TEST(static_binary)
{
	char why[256], *p = build_static("static");

	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_STATIC);
	ck_assert_ptr_nonnull(strstr(why, p));
	ck_assert_ptr_nonnull(strstr(why, "statically linked"));
	free(p);
}
END_TEST

START_TEST(setuid_copy)
{
	char why[512], *p = copy_true("true-suid", 04755);
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_msg((st.st_mode & S_ISUID) != 0, "could not set the "
	    "set-user-ID bit on %s", p);
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_SETID);
	ck_assert_ptr_nonnull(strstr(why, p));
	ck_assert_ptr_nonnull(strstr(why, "LD_PRELOAD"));
	free(p);
}
END_TEST

START_TEST(setgid_copy)
{
	char why[512], *p = copy_true("true-sgid", 02755);
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_msg((st.st_mode & S_ISGID) != 0, "could not set the "
	    "set-group-ID bit on %s", p);
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_SETID);
	free(p);
}
END_TEST

START_TEST(setgid_without_group_exec)
{
	char why[512], *p = copy_true("true-sgid-nox", 02745);

	/* S_ISGID without group execute means mandatory locking, not
	 * set-group-ID: the program is preloadable. */
	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_OK);
	free(p);
}
END_TEST

START_TEST(plain_copy)
{
	char why[256], *p = copy_true("true-copy", 0755);

	ck_assert_int_eq(elf_check(p, why, sizeof(why)), ELF_OK);
	free(p);
}
END_TEST

/* ---- images in memory ---- */

START_TEST(image_of_true)
{
	unsigned char *img;
	size_t n;

	img = slurp("/bin/true", &n);
	ck_assert_int_eq(elf_check_image(img, n), ELF_OK);
	free(img);
}
END_TEST

static int
valid_verdict(enum elf_verdict v)
{

	return (v == ELF_OK || v == ELF_NOT_ELF || v == ELF_STATIC ||
	    v == ELF_GO || v == ELF_DYN32);
}

START_TEST(image_truncated)
{
	unsigned char *img, *cut;
	enum elf_verdict v;
	size_t n, len, step;

	/* Every prefix of a real program, each in a buffer of exactly its
	 * size: nothing past it is read (ASan builds check that). */
	img = slurp("/bin/true", &n);
	for (len = 0; len < n; len += step) {
		step = len < 4096 ? 1 : 509;
		cut = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(cut);
		memcpy(cut, img, len);
		v = elf_check_image(cut, len);
		ck_assert_msg(valid_verdict(v), "verdict %d at %zu", v, len);
		if (len < sizeof(Elf64_Ehdr))
			ck_assert_int_eq(v, ELF_NOT_ELF);
		free(cut);
	}
	free(img);
}
END_TEST

START_TEST(image_garbage)
{
	unsigned char *buf;
	unsigned x = 4242;
	size_t len, i;
	int round;

	/* Random bytes behind an ELF64 ident, sizes 64 to 4 KB. */
	for (round = 0; round < 3000; round++) {
		x = x * 1103515245 + 12345;
		len = 64 + (x >> 8) % 4032;
		buf = malloc(len);
		ck_assert_ptr_nonnull(buf);
		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (unsigned char)(x >> 16);
		}
		memcpy(buf, ELFMAG, SELFMAG);
		buf[EI_CLASS] = ELFCLASS64;
		buf[EI_DATA] = ELFDATA2LSB;
		if (round % 2 == 0) {
			/* Plausible table offsets and sizes, to get past the
			 * first checks into the note and section walks. */
			((Elf64_Ehdr *)(void *)buf)->e_phoff = 64;
			((Elf64_Ehdr *)(void *)buf)->e_phentsize =
			    sizeof(Elf64_Phdr);
			((Elf64_Ehdr *)(void *)buf)->e_phnum =
			    (Elf64_Half)((len - 64) / sizeof(Elf64_Phdr));
			((Elf64_Ehdr *)(void *)buf)->e_shentsize =
			    sizeof(Elf64_Shdr);
		}
		ck_assert(valid_verdict(elf_check_image(buf, len)));
		free(buf);
	}
	/* Not ELF at all. */
	buf = malloc(100);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x7f, 100);
	ck_assert_int_eq(elf_check_image(buf, 100), ELF_NOT_ELF);
	free(buf);
}
END_TEST

/* A synthetic ELF64 executable: header, program headers, then notes. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	unsigned char notes[64];
};

/*
 * An image with a PT_NOTE holding one note (name of namesz bytes, type),
 * plus a PT_INTERP when interp is set.
 */
static void
make_image(struct image *im, const char *name, unsigned namesz,
    unsigned type, int interp)
{
	Elf64_Nhdr nh;
	size_t o = 0;

	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(Elf64_Ehdr);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph[0].p_type = PT_NOTE;
	im->ph[0].p_offset = offsetof(struct image, notes);
	nh.n_namesz = namesz;
	nh.n_descsz = 8;
	nh.n_type = type;
	memcpy(im->notes, &nh, sizeof(nh));
	o = sizeof(nh);
	memcpy(im->notes + o, name, namesz);
	o += (namesz + 3) & ~3U;
	memcpy(im->notes + o, "buildid!", 8);
	o += 8;
	im->ph[0].p_filesz = o;
	if (interp) {
		im->eh.e_phnum = 2;
		im->ph[1].p_type = PT_INTERP;
	}
}

START_TEST(image_go_note)
{
	struct image im;

	/* "Go" with its NUL, type 4 (NT_GO_BUILDID). */
	make_image(&im, "Go", 3, 4, 0);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	/* A dynamically linked Go program is still Go. */
	make_image(&im, "Go", 3, 4, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
}
END_TEST

START_TEST(image_go_note_as_go_links_it)
{
	struct image im;

	/*
	 * Go's linker (cmd/link/internal/ld/elf.go) writes the build-ID
	 * note's name as ELF_NOTE_GO_NAME, "Go\x00\x00", with n_namesz 4.
	 * A Go binary whose section headers are stripped has only this
	 * note to show.
	 */
	make_image(&im, "Go\0\0", 4, 4, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
}
END_TEST

START_TEST(image_other_notes)
{
	struct image im;

	/* GNU type 4 is NT_GNU_GOLD_VERSION, GNU type 3 the build ID. */
	make_image(&im, "GNU", 4, 4, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	make_image(&im, "GNU", 4, 3, 0);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_STATIC);
	/* "Gopher" is not "Go". */
	make_image(&im, "Gopher", 7, 4, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	make_image(&im, "G", 2, 4, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
}
END_TEST

START_TEST(image_types)
{
	struct image im;

	make_image(&im, "GNU", 4, 3, 1);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	make_image(&im, "GNU", 4, 3, 0);
	im.eh.e_type = ET_DYN;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_STATIC);
	/* An object file is not a program. */
	im.eh.e_type = ET_REL;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	/* Marked 32-bit, but its headers are 64-bit ones: not judged. */
	make_image(&im, "GNU", 4, 3, 0);
	im.eh.e_ident[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
}
END_TEST

/* A synthetic ELF32 executable, laid out as struct image is. */
struct image32 {
	Elf32_Ehdr eh;
	Elf32_Phdr ph[2];
	Elf32_Shdr sh[2];
	unsigned char notes[32];
	char strtab[32];
};

/* An i386 image with a PT_NOTE holding one note (name, namesz, type), a
 * PT_INTERP when interp is set, and a section named section if given. */
static void
make_image32(struct image32 *im, const char *name, unsigned namesz,
    unsigned type, int interp, const char *section)
{
	Elf32_Nhdr nh;

	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS32;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_ident[EI_VERSION] = EV_CURRENT;
	im->eh.e_type = ET_DYN;
	im->eh.e_machine = EM_386;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_phoff = offsetof(struct image32, ph);
	im->eh.e_ehsize = sizeof(Elf32_Ehdr);
	im->eh.e_phentsize = sizeof(Elf32_Phdr);
	im->eh.e_phnum = interp ? 2 : 1;
	im->ph[0].p_type = PT_NOTE;
	im->ph[0].p_offset = offsetof(struct image32, notes);
	nh.n_namesz = namesz;
	nh.n_descsz = 4;
	nh.n_type = type;
	memcpy(im->notes, &nh, sizeof(nh));
	memcpy(im->notes + sizeof(nh), name, namesz);
	im->ph[0].p_filesz = sizeof(nh) + ((namesz + 3) & ~3U) + 4;
	im->ph[1].p_type = PT_INTERP;
	if (section != NULL) {
		im->eh.e_shoff = offsetof(struct image32, sh);
		im->eh.e_shentsize = sizeof(Elf32_Shdr);
		im->eh.e_shnum = 2;
		im->eh.e_shstrndx = 1;
		im->sh[0].sh_name = 1;
		im->sh[1].sh_offset = offsetof(struct image32, strtab);
		im->sh[1].sh_size = sizeof(im->strtab);
		(void)snprintf(im->strtab + 1, sizeof(im->strtab) - 1, "%s",
		    section);
	}
}

START_TEST(image32_judged)
{
	struct image32 im;

	/* Dynamic: reachable by a 32-bit shim only. */
	make_image32(&im, "GNU", 4, 3, 1, NULL);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_DYN32);
	make_image32(&im, "GNU", 4, 3, 1, ".text");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_DYN32);
	/* Static, as an executable or as a static PIE. */
	make_image32(&im, "GNU", 4, 3, 0, NULL);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_STATIC);
	im.eh.e_type = ET_EXEC;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_STATIC);
	/* Go, by its note or by its sections, static or not. */
	make_image32(&im, "Go", 3, 4, 1, NULL);
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	make_image32(&im, "GNU", 4, 3, 1, ".go.buildinfo");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	make_image32(&im, "GNU", 4, 3, 0, ".note.go.buildid");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	/* Shorter than its own header: not an ELF program. */
	ck_assert_int_eq(elf_check_image((unsigned char *)&im,
	    sizeof(Elf32_Ehdr) - 1), ELF_NOT_ELF);
	/* Program headers outside the image: not judged. */
	make_image32(&im, "GNU", 4, 3, 0, NULL);
	im.eh.e_phoff = 0xfffffff0;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	/* Big-endian: not judged. */
	make_image32(&im, "GNU", 4, 3, 0, NULL);
	im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
}
END_TEST

START_TEST(image_hostile_headers)
{
	struct image im;
	size_t cut;

	/* Program headers far outside the image. */
	make_image(&im, "Go", 3, 4, 0);
	im.eh.e_phoff = ~(Elf64_Off)0 - 8;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	make_image(&im, "Go", 3, 4, 0);
	im.eh.e_phnum = 0xffff;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	/* A note segment beyond the end, or wrapping around. */
	make_image(&im, "Go", 3, 4, 0);
	im.ph[0].p_offset = ~(Elf64_Off)0 - 4;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	make_image(&im, "Go", 3, 4, 0);
	im.ph[0].p_filesz = ~(Elf64_Xword)0;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	/* A note whose name and desc sizes overrun the segment. */
	make_image(&im, "Go", 3, 4, 0);
	((Elf64_Nhdr *)(void *)im.notes)->n_namesz = 0xffffffffU;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	make_image(&im, "Go", 3, 4, 0);
	((Elf64_Nhdr *)(void *)im.notes)->n_descsz = 0xfffffff0U;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	/* Section headers far away, an out-of-range string table. */
	make_image(&im, "GNU", 4, 3, 1);
	im.eh.e_shoff = ~(Elf64_Off)0 - 16;
	im.eh.e_shnum = 0xffff;
	im.eh.e_shentsize = sizeof(Elf64_Shdr);
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	/* Offsets that are inside the image but not aligned for the
	 * structures found there (a UBSan build reports a misaligned read). */
	make_image(&im, "Go", 3, 4, 0);
	im.eh.e_phoff = 65;
	im.eh.e_phnum = 1;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	make_image(&im, "Go", 3, 4, 0);
	im.ph[0].p_offset += 1;
	ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
	    sizeof(im))));
	/* The image cut inside the notes. */
	make_image(&im, "Go", 3, 4, 0);
	for (cut = sizeof(Elf64_Ehdr); cut < sizeof(im); cut++)
		ck_assert(valid_verdict(elf_check_image((unsigned char *)&im,
		    cut)));
}
END_TEST

/* An image with section headers only: a string table and one section. */
struct shimage {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh[3];
	char strtab[64];
};

static void
make_shimage(struct shimage *im, const char *secname)
{
	size_t o;

	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_type = ET_EXEC;
	im->eh.e_phoff = offsetof(struct shimage, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph.p_type = PT_INTERP;
	im->eh.e_shoff = offsetof(struct shimage, sh);
	im->eh.e_shentsize = sizeof(Elf64_Shdr);
	im->eh.e_shnum = 3;
	im->eh.e_shstrndx = 1;
	/* "\0.shstrtab\0NAME\0" */
	o = 1;
	memcpy(im->strtab + o, ".shstrtab", 10);
	im->sh[1].sh_name = (Elf64_Word)o;
	o += 10;
	im->sh[2].sh_name = (Elf64_Word)o;
	memcpy(im->strtab + o, secname, strlen(secname) + 1);
	o += strlen(secname) + 1;
	im->sh[1].sh_type = SHT_STRTAB;
	im->sh[1].sh_offset = offsetof(struct shimage, strtab);
	im->sh[1].sh_size = o;
}

START_TEST(image_go_sections)
{
	struct shimage im;

	make_shimage(&im, ".go.buildinfo");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	make_shimage(&im, ".note.go.buildid");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_GO);
	make_shimage(&im, ".go.buildinfo.old");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	make_shimage(&im, ".data");
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
	/* A name index past the string table. */
	make_shimage(&im, ".go.buildinfo");
	im.sh[2].sh_name = 1000;
	ck_assert_int_eq(elf_check_image((unsigned char *)&im, sizeof(im)),
	    ELF_OK);
}
END_TEST

static Suite *
elfcheck_suite(void)
{
	Suite *s = suite_create("elfcheck");
	TCase *tc;

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, true_is_ok);
	tcase_add_test(tc, script_not_elf);
	tcase_add_test(tc, empty_and_short_files);
	tcase_add_test(tc, unreadable_is_ok);
	tcase_add_test(tc, static_binary);
	tcase_add_test(tc, setuid_copy);
	tcase_add_test(tc, setgid_copy);
	tcase_add_test(tc, setgid_without_group_exec);
	tcase_add_test(tc, plain_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("images");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, image_of_true);
	tcase_add_test(tc, image_truncated);
	tcase_add_test(tc, image_garbage);
	tcase_add_test(tc, image_go_note);
	tcase_add_test(tc, image_go_note_as_go_links_it);
	tcase_add_test(tc, image_other_notes);
	tcase_add_test(tc, image_types);
	tcase_add_test(tc, image_hostile_headers);
	tcase_add_test(tc, image_go_sections);
	tcase_add_test(tc, image32_judged);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(elfcheck_suite()));
}
