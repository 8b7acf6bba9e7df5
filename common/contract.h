/*
 * contract: how the shim starts submitify-helper, written once for both
 * sides.  The shim (shim/handoff.c) builds the command line below; the
 * helper (helper/main.c) reads it.  No other argument exists.
 *
 *   fd 0, 1     /dev/null
 *   fd 2        the host's stderr while it is still the one the host
 *               started with, else /dev/null
 *   fd 3        the one-shot listener (HELPER_LISTEN_FD); nothing above it
 *   argv        submitify-helper --peer ADDR --dest ADDR --cookie N
 *               --prog NAME --pid N --warm PATH [--secure]
 *
 * --peer    the program socket's local address ("ADDR:PORT",
 *           "[ADDR]:PORT"), for the log
 * --dest    the destination the program asked for
 * --cookie  the program socket's SO_COOKIE (decimal): the helper serves
 *           only the connection whose other end is that very socket
 * --prog, --pid  the program, for the log
 * --warm    the uid's warm socket (common/warm.h), where the helper may
 *           start a warm helper when the account allows it; "" for none
 * --secure  the host runs with AT_SECURE (setuid, setgid, capabilities):
 *           nothing of the caller's environment or files may be used.
 *           The helper also finds this out by itself; the flag only adds.
 *
 * The argument vector has a fixed shape: each slot has its index below,
 * so its size is known when compiling and no count can run past it.
 */
#ifndef SUBMITIFY_CONTRACT_H
#define SUBMITIFY_CONTRACT_H

#define HELPER_LISTEN_FD	3

#define HELPER_OPT_PEER		"--peer"
#define HELPER_OPT_DEST		"--dest"
#define HELPER_OPT_COOKIE	"--cookie"
#define HELPER_OPT_PROG		"--prog"
#define HELPER_OPT_PID		"--pid"
#define HELPER_OPT_WARM		"--warm"
#define HELPER_OPT_SECURE	"--secure"

/* Room for each value, terminating NUL included. */
#define HELPER_ADDR_MAX		64	/* "[v6 address]:65535" fits */
#define HELPER_NUM_MAX		24	/* a 64-bit number in decimal */
#define HELPER_PROG_MAX		64	/* longer names are cut */

enum helper_arg {
	HA_NAME,
	HA_PEER_OPT, HA_PEER,
	HA_DEST_OPT, HA_DEST,
	HA_COOKIE_OPT, HA_COOKIE,
	HA_PROG_OPT, HA_PROG,
	HA_PID_OPT, HA_PID,
	HA_WARM_OPT, HA_WARM,
	HA_SECURE,		/* "--secure", or the terminating NULL */
	HA_END,			/* always NULL */
	HA_SLOTS
};

#endif
