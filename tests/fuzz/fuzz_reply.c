/*
 * libFuzzer target: the server reply parser, fed in pieces whose sizes come
 * from the input itself, then the capability functions on every reply.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smtp_rparser rp;
static char caps[SMTP_REPLY_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	char mechs[512], name[256], *space;
	size_t off = 0, step, room;
	int k, mode;

	smtp_rp_init(&rp);
	while (off < size) {
		/* The first byte of each piece says how long the piece is. */
		step = 1 + data[off] % 64;
		off++;
		if (step > size - off)
			step = size - off;
		space = smtp_rp_space(&rp, &room);
		if (step > room)
			step = room;
		memcpy(space, data + off, step);
		smtp_rp_commit(&rp, step);
		off += step;
		while ((k = smtp_rp_next(&rp, &r)) == 1) {
			if (r.len < 3 || r.code < 200 || r.code > 599)
				__builtin_trap();
			(void)smtp_has_cap(&r, "STARTTLS");
			(void)smtp_auth_mechs(&r, mechs, sizeof(mechs));
			(void)smtp_mech_in(mechs, "PLAIN");
			smtp_reply_name(&r, name, sizeof(name));
			for (mode = CAPS_KEEP; mode <= CAPS_DROP; mode++)
				if (smtp_caps_filter(&r, (enum caps_mode)mode,
				    caps, sizeof(caps)) > (int)sizeof(caps))
					__builtin_trap();
		}
		if (k < 0)
			break;
		if (step == 0)
			break;
	}
	return (0);
}
