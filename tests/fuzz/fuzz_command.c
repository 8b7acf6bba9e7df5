/*
 * libFuzzer target: what the program sends.  The input is split into a
 * command line and message bytes; the line goes through the verb parser
 * and the MAIL FROM rewrite, the bytes through the DATA stream (both
 * bare-LF modes) and the From: header rewrite, which must give the same
 * bytes fed as they come and fed one byte per call.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smtp_hdrfix hf, hf1;
static char out[2 * 65536], fixed[2 * 65536 + SMTP_HDR_MAX + 300];
static char acc[2 * 65536 + 512], acc1[2 * 65536 + 512];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *arg, *nl;
	struct smtp_data dd;
	char rew[SMTP_LINE_MAX + 512];
	size_t linelen, off, outn, n, f, t, alen, alen1;
	char tail[3];
	long k;
	int end, repair;

	if (size > 65536)
		return (0);
	nl = memchr(in, '\n', size);
	linelen = nl != NULL ? (size_t)(nl - in) : size;
	(void)smtp_verb(in, linelen, &arg);
	if (arg < in || arg > in + linelen)
		__builtin_trap();
	if (smtp_rewrite_mail(in, linelen, "user@example.org", rew,
	    sizeof(rew)) == 0 && strlen(rew) >= sizeof(rew))
		__builtin_trap();

	for (repair = 0; repair <= 1; repair++) {
		smtp_data_init(&dd, repair, (size > 0 && (data[0] & 1)) != 0);
		smtp_hdrfix_init(&hf, 1 + repair, "user@example.org");
		smtp_hdrfix_init(&hf1, 1 + repair, "user@example.org");
		off = alen = alen1 = 0;
		memset(tail, 0, sizeof(tail));
		while (off < size) {
			n = size - off < 977 ? size - off : 977;
			k = smtp_data_feed(&dd, in + off, n, out, &outn, &end);
			if (k < 0)
				break;
			if ((size_t)k > n || outn > 2 * (size_t)k)
				__builtin_trap();
			f = smtp_hdrfix_feed(&hf, out, outn, fixed);
			if (f > outn + SMTP_HDR_MAX + 300 ||
			    f > sizeof(acc) - alen)
				__builtin_trap();
			memcpy(acc + alen, fixed, f);
			alen += f;
			for (t = 0; t < outn; t++) {
				f = smtp_hdrfix_feed(&hf1, out + t, 1, fixed);
				if (f > 1 + SMTP_HDR_MAX + 300 ||
				    f > sizeof(acc1) - alen1)
					__builtin_trap();
				memcpy(acc1 + alen1, fixed, f);
				alen1 += f;
			}
			/* The stream must end with a line holding a dot. */
			for (t = 0; t < outn; t++) {
				tail[0] = tail[1];
				tail[1] = tail[2];
				tail[2] = out[t];
			}
			if (end && memcmp(tail, ".\r\n", 3) != 0)
				__builtin_trap();
			off += (size_t)k;
			if (end)
				break;
		}
		if (alen != alen1 || memcmp(acc, acc1, alen) != 0)
			__builtin_trap();
	}
	return (0);
}
