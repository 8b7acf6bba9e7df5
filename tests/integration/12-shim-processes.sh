#!/bin/bash
# 12-shim-processes: the host never sees a stray child, and the helper takes
# nothing of the host along (docs/DESIGN.md decisions 3 and 8,
# docs/SECURITY.md case 16).  tests/bin/probe plays each host against the
# shared Postfix rig:
#   nochild      wait() and waitpid(-1, WNOHANG) give ECHILD (or 0 beside
#                a child of the host's own) as without submitify; a SIGCHLD
#                handler is never called for submitify; a thread blocked in
#                waitpid(-1) gets the host's own child and nothing else.
#   sigchld-ign  SIGCHLD ignored: connect() works and the disposition stays.
#   atfork       pthread_atfork handlers do not run for the helper's start.
#   fds          the helper holds no pipe, file or socket of the host's (fds
#                0 and 1 are /dev/null); a pipe's reader sees EOF when the
#                host closes the write end, while the helper lives; no
#                libsubmitify in /proc/HELPER/maps.
#   signals      ignored, blocked and caught signals of the host are not the
#                helper's: a host that ignores SIGTERM, and the helper still
#                dies of SIGTERM; the host then reads EOF/ECONNRESET.
#   helper-kill  the helper SIGKILLed during DATA: EOF or ECONNRESET, no
#                SIGPIPE, the half-sent message never delivered, and the
#                next connection works.
#   fork         parent, child and a thread connect at once around fork().
#   fork-lock    a child forked while another thread is inside the shim may
#                call connect()/getpeername() (async-signal-safe): first
#                deterministic (libprobe_dlsym.so holds a thread inside the
#                shim's lock across the fork), then by chance.
#   stderr-moved fd 2 closed and reused for the SMTP socket, then for a
#                file: the helper writes into neither (SUBMITIFY_DEBUG=1);
#                with fd 2 intact, its transcript does reach stderr.
#   subreaper    a host that is a child subreaper.  Cannot be identical: the
#                helper's starter exits at once and the kernel hands the
#                orphaned helper to the nearest subreaper, this host, which
#                then gets its SIGCHLD and may reap it.  Only the mail is
#                asserted; the probe prints what happened as notes.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"

# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/probe.sh"
run() { probe_run "$1" "${W[@]}" -c "$conf" -- "$P" "$1" 192.0.2.25 "$ID-$1"; }

run nochild
expect_mail "$ID-nochild.a@probe.test" "$ID-nochild.b@probe.test"

run sigchld-ign
expect_mail "$ID-sigchld-ign@probe.test"

run atfork
expect_mail "$ID-atfork@probe.test"

run fds
expect_mail "$ID-fds@probe.test"

run signals
expect_mail "$ID-signals@probe.test"

run helper-kill
expect_mail "$ID-helper-kill.after@probe.test"
# The message cut off in DATA arrives never: the later one is in, so it
# would be by now too.
sleep 1
n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$ID-helper-kill.killed@probe.test")
[ "$n" = 0 ] || failed "the message cut off by the helper's death was delivered ($n)"

run fork
for who in pre parent child thread; do
    expect_mail "$ID-fork.$who@probe.test"
done

probe_run fork-lock env LD_PRELOAD="$(preload "$TESTBIN/libprobe_dlsym.so:$SHIM")" \
    PROBE_DLSYM_MODE=lock SUBMITIFY_CONF="$conf" \
    "$P" fork-lock 192.0.2.25 "$ID-fork-lock"
expect_mail "$ID-fork-lock@probe.test"

moved=$tmp/moved-stderr
probe_run stderr-moved "${W[@]}" -c "$conf" -- "$P" stderr-moved 192.0.2.25 \
    "$ID-stderr" "$moved"
expect_mail "$ID-stderr.control@probe.test" "$ID-stderr.socket@probe.test" \
    "$ID-stderr.file@probe.test"
# The control: with fd 2 intact, the debug transcript reached it.
grep -q '^submitify\[probe:' "$tmp/stderr-moved.err" ||
    failed "stderr-moved: no helper transcript on the intact stderr (the control)"
if [ ! -e "$moved" ] || [ -s "$moved" ]; then
    failed "stderr-moved: the file that took fd 2 is missing or not empty"
fi

# Not identical by nature (see the top): only the mail is asserted.
run subreaper
expect_mail "$ID-subreaper@probe.test"

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
