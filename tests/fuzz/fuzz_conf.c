/*
 * libFuzzer target: the submit.conf reader.  Errors must come back as
 * "name:line: ..." text, never as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	char *text, err[CONF_ERRLEN];

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return (0);
	memcpy(text, data, size);
	text[size] = '\0';
	/* No passwordeval may run while fuzzing: the reader never runs it. */
	c = conf_parse("fuzz.conf", text, err, sizeof(err));
	if (c == NULL && strncmp(err, "fuzz.conf:", 10) != 0)
		__builtin_trap();
	if (c != NULL) {
		/* No destination: no DNS look-ups from a fuzzer. */
		(void)conf_choose(c, NULL, 0, NULL, err, sizeof(err));
		(void)conf_port(c->acct[0]);
	}
	conf_free(c);
	free(text);
	return (0);
}
