/*
 * The main() of every unit suite: run the suite, exit 0 when no check
 * failed.  Included once, by the suite's own file.
 */
#ifndef SUBMITIFY_TEST_RUN_SUITE_H
#define SUBMITIFY_TEST_RUN_SUITE_H

#include <check.h>

static int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}

#endif
