/*
 * seccomp: run the rest of this process, and the program it execs, under
 * a filter whose connect() and getpeername() calls submitify-supervise
 * answers (see supervise/).
 */
#ifndef SUBMITIFY_SECCOMP_H
#define SUBMITIFY_SECCOMP_H

#include <stddef.h>

/*
 * Start the supervisor at path (a grandchild, re-parented to init at
 * once), with the intercept ports and the helper's path, then set
 * no_new_privs and install the filter, whose listener the supervisor
 * takes.  The environment at this point is what every helper gets.
 * Returns 0; or -1 with one line of reason in why.
 */
int seccomp_supervise(const char *path, const char *ports,
    const char *helper, char *why, size_t len);

#endif
