#!/bin/bash
# 10-shim-sockets: the program's socket stays the socket it asked for
# (design.md decision 2, security.md items 14 and 17).  tests/bin/probe
# plays the host against the shared Postfix rig:
#   options        blocking connect(); errno untouched on success; same fd,
#                  inode, status and fd flags; TCP_NODELAY, SO_KEEPALIVE,
#                  TCP_KEEPIDLE, SO_RCVTIMEO, SO_SNDTIMEO set before and
#                  after connect(); an idle recv() times out by SO_RCVTIMEO;
#                  getpeername() is the original destination (also into a
#                  short buffer); getsockname() a real local address.
#                  IPv4, IPv6, v4-mapped, and wildcard-bound sockets.
#   nonblock       -1/EINPROGRESS or 0; writable for poll, select and epoll;
#                  SO_ERROR 0; connect() again answers as on a plain socket
#                  and starts no second helper; O_NONBLOCK, FD_CLOEXEC kept.
#   nonblock-stall an account whose server never speaks: connect() still
#                  returns at once and the host is not blocked.
#   reuse          close() and reuse of the fd number, dup(), dup2() both ways.
# Every message the probe sends must arrive in bob's mailbox exactly once.
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

# --- options: IPv4, IPv6, v4-mapped; then wildcard-bound sockets.
probe_run options-v4 "${W[@]}" -c "$conf" -- "$P" options 192.0.2.25 "$ID-o4"
probe_run options-v6 "${W[@]}" -c "$conf" -- "$P" options 2001:db8::25 "$ID-o6"
probe_run options-mapped "${W[@]}" -c "$conf" -- "$P" options ::ffff:192.0.2.25 "$ID-om"
probe_run options-v4-bound "${W[@]}" -c "$conf" -- "$P" options 192.0.2.25 "$ID-ob4" bind
probe_run options-v6-bound "${W[@]}" -c "$conf" -- "$P" options 2001:db8::25 "$ID-ob6" bind
expect_mail "$ID-o4@probe.test" "$ID-o6@probe.test" "$ID-om@probe.test" \
    "$ID-ob4@probe.test" "$ID-ob6@probe.test"

# --- nonblock: poll, select, epoll; IPv4 and IPv6.
probe_run nonblock-v4 "${W[@]}" -c "$conf" -- "$P" nonblock 192.0.2.25 "$ID-nb4"
probe_run nonblock-v6 "${W[@]}" -c "$conf" -- "$P" nonblock 2001:db8::25 "$ID-nb6"
for api in poll select epoll; do
    expect_mail "$ID-nb4.$api@probe.test" "$ID-nb6.$api@probe.test"
done

# --- nonblock-stall: the account's server accepts TCP and never speaks.
"$P" listen-silent "$tmp/silent.port" 60 >"$tmp/silent.out" 2>&1 &
silent=$!
on_exit "kill $silent 2>/dev/null; wait $silent 2>/dev/null"
wait_for_file "$tmp/silent.port" 10 || fail "the silent server did not start"
conf_file "$tmp/stall.conf" <<EOF
account stall
host 127.0.0.1
port $(cat "$tmp/silent.port")
tls_trust_file $RIG_CA
user alice
password $RIG_ALICE_PASS
timeout 5
EOF
probe_run nonblock-stall "${W[@]}" -c "$tmp/stall.conf" -- "$P" nonblock-stall 192.0.2.25

# --- reuse: close() and fd reuse, dup(), dup2().
probe_run reuse "${W[@]}" -c "$conf" -- "$P" reuse 192.0.2.25 "$ID-re"
expect_mail "$ID-re.first@probe.test" "$ID-re.second@probe.test" "$ID-re.dup@probe.test"

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
