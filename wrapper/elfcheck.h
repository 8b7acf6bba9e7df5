/*
 * elfcheck: can LD_PRELOAD reach this program?  Statically linked programs
 * (no PT_INTERP), Go programs (their own system calls) and programs that
 * gain privileges (setuid, setgid, file capabilities) cannot be preloaded;
 * a 32-bit dynamic program only with a 32-bit shim.  ELF32 and ELF64
 * images are judged alike.
 */
#ifndef SUBMITIFY_ELFCHECK_H
#define SUBMITIFY_ELFCHECK_H

#include <stddef.h>

enum elf_verdict {
	ELF_OK,			/* dynamically linked, preloadable */
	ELF_DYN32,		/* 32-bit, dynamically linked: preloadable
				   with the 32-bit shim */
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
 * Returns ELF_OK, ELF_DYN32, ELF_NOT_ELF, ELF_STATIC or ELF_GO.
 */
enum elf_verdict elf_check_image(const unsigned char *img, size_t len);

#endif
