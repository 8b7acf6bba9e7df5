/*
 * warmctl: submitify --warm-status and --warm-stop, and the line --check
 * prints about the warm helper (common/warm.h).
 */
#ifndef SUBMITIFY_WARMCTL_H
#define SUBMITIFY_WARMCTL_H

#include <stdio.h>

/*
 * Ask every warm helper of this uid in its directory how it stands
 * (stop: 0) or to exit (stop: 1), one line each on f.  Returns the
 * number that answered, or -1 if the directory is not this uid's own.
 */
int warmctl_all(FILE *f, int stop);

/*
 * One line on f about the warm helper the shim would use with the helper
 * at helper_path.
 */
void warmctl_check(FILE *f, const char *helper_path);

#endif
