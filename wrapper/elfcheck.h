/*
 * elfcheck: can LD_PRELOAD reach this program?  Statically linked programs
 * (no PT_INTERP), Go programs (their own system calls) and programs that
 * gain privileges (setuid, setgid, file capabilities) cannot be preloaded.
 */
#ifndef SUBMITIFY_ELFCHECK_H
#define SUBMITIFY_ELFCHECK_H

#include <stddef.h>

enum elf_verdict {
	ELF_OK,			/* dynamically linked, preloadable */
	ELF_NOT_ELF,		/* a script or other file: not judged */
	ELF_STATIC,
	ELF_GO,
	ELF_SETID,
	ELF_CAPS
};

/*
 * Judge the file at path.  Returns the verdict; ELF_OK when the file
 * cannot be read (exec will report that).  why gets one line of reason.
 */
enum elf_verdict elf_check(const char *path, char *why, size_t len);

/*
 * Judge an ELF image held in memory (the unit tests' entry point).
 * Returns ELF_OK, ELF_NOT_ELF, ELF_STATIC or ELF_GO.
 */
enum elf_verdict elf_check_image(const unsigned char *img, size_t len);

#endif
