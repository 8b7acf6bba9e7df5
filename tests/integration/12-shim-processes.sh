#!/bin/bash
# 12-shim-processes: the host never sees a stray child, and the helper takes
# nothing of the host along (design.md decisions 3 and 8, security.md item
# 16).  tests/bin/probe plays each host against the shared Postfix rig:
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

rig_env
for f in probe libprobe_ctor.so libprobe_dlsym.so; do
    [ -e "$TESTBIN/$f" ] || fail "$TESTBIN/$f is not built (make tests/bin/probe" \
        "tests/bin/libprobe_ctor.so tests/bin/libprobe_dlsym.so)"
done
if [ ! -x "$SUBMITIFY" ] || [ ! -x "$HELPER" ] || [ ! -e "$SHIM" ]; then
    fail "submitify is not built (make)"
fi

# Under `make asan` a sanitizer runtime must come first in LD_PRELOAD.
san=$(ldd "$SHIM" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
# preload LIBS: the LD_PRELOAD value for LIBS (colon-separated).
preload() { echo "${san:+$san:}$1"; }
# The wrapper as a command prefix, the sanitizer runtime (if any) preloaded.
W=("$SUBMITIFY")
[ -z "$san" ] || W=(env "LD_PRELOAD=$san" "$SUBMITIFY")

tmp=$(mktmp)
conf=$tmp/submit.conf
conf_file "$conf" <<EOF
account rig
host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA
user alice
password $RIG_ALICE_PASS
EOF
ID=$TEST_NAME-$$-$RANDOM
bad=0
failures=""
failed() {
    echo "FAIL: $TEST_NAME: $*"
    bad=$((bad + 1))
    failures="$failures
  - $*"
}

# The live helpers started for host pid $1 (argv "... --pid $1 ...").
helpers_of() {
    local f a
    while IFS= read -r f; do
        a=$({ tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
        case $a in
            *submitify-helper*" --pid $1 "*)
                f=${f#/proc/}
                echo "${f%/cmdline}"
                ;;
        esac
    done < <(grep -laF submitify-helper /proc/[0-9]*/cmdline 2>/dev/null)
}

# Wait up to $2 s for the helpers of host pid $1 to finish; KILL the rest
# (they were started for our probe, by the shim).
wait_helpers() {
    local i left
    for ((i = 0; i < $2 * 10; i++)); do
        left=$(helpers_of "$1")
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    echo "  $TEST_NAME: killing helpers still running for pid $1: $left"
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $left 2>/dev/null
    return 1
}

# probe_run NAME COMMAND...: run one probe scenario, bounded; show its
# output; count a failure unless it exits 0.
probe_run() {
    local name=$1 rc pid
    shift
    local t0=$SECONDS
    timeout --kill-after=5 180 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    echo "  == $name: exit $rc, $((SECONDS - t0)) s"
    sed "s/^/  $name: /" "$tmp/$name.out"
    if [ -s "$tmp/$name.err" ]; then
        head -n 20 "$tmp/$name.err" | sed "s/^/  $name (stderr): /"
    fi
    pid=$(sed -n 's/^probe [a-z-]*: pid \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -n 1)
    [ -n "$pid" ] && wait_helpers "$pid" 20
    if [ "$rc" != 0 ]; then
        local line found=""
        while IFS= read -r line; do
            failed "$name: ${line#FAIL - }"
            found=1
        done < <(grep '^FAIL - ' "$tmp/$name.out")
        [ -n "$found" ] || failed "$name: probe exited $rc"
    fi
    return "$rc"
}

# expect_mail MSGID...: each arrived in bob's mailbox, exactly once.
expect_mail() {
    local m n
    for m in "$@"; do
        if ! "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$m" 20 >/dev/null; then
            failed "message $m did not arrive"
            continue
        fi
        n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$m")
        [ "$n" = 1 ] || failed "message $m arrived $n times"
    done
}

P=$TESTBIN/probe
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
