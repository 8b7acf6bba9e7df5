#!/bin/bash
# 11-shim-loading: the shim's lazy start and symbol lookup (security.md
# item 15), with tests/bin/probe against the shared Postfix rig:
#   threads  16 threads whose first call is connect() to port 25, released
#            together, so the shim initialises under contention.
#   ctor     connect() from another preloaded library's constructor
#            (tests/bin/libprobe_ctor.so, after libsubmitify.so in
#            LD_PRELOAD, so it runs before the shim's own constructor):
#            set by hand, and through the wrapper with the library
#            already in the user's LD_PRELOAD.
#   dlsym    tests/bin/libprobe_dlsym.so, preloaded before the shim, makes
#            dlsym(RTLD_NEXT, "connect") return the shim's own connect(); the
#            shim must notice, make the system call itself, not recurse.
# Every message must arrive in bob's mailbox exactly once.
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

# --- threads: directly preloaded, so nothing but the probe runs first.
probe_run threads env LD_PRELOAD="$(preload "$SHIM")" SUBMITIFY_CONF="$conf" \
    "$P" threads 16 192.0.2.25 "$ID-th"
for i in $(seq 0 15); do
    expect_mail "$ID-th.t$i@probe.test"
done

# --- ctor: libprobe_ctor.so after the shim, set by hand ...
probe_run ctor env LD_PRELOAD="$(preload "$SHIM:$TESTBIN/libprobe_ctor.so")" \
    SUBMITIFY_CONF="$conf" PROBE_CTOR_DEST=192.0.2.25 \
    "$P" ctor 192.0.2.25 "$ID-ctor"
# ... and with the library in the user's LD_PRELOAD, which the wrapper
# keeps after the shim (the constructor acts only in the probe).
probe_run ctor-wrapper env LD_PRELOAD="$(preload "$TESTBIN/libprobe_ctor.so")" \
    PROBE_CTOR_DEST=2001:db8::25 \
    "$SUBMITIFY" -c "$conf" -- "$P" ctor 2001:db8::25 "$ID-ctorw"
expect_mail "$ID-ctor@probe.test" "$ID-ctorw@probe.test"

# --- dlsym(RTLD_NEXT) returning the hook itself.  A recursing shim dies of
# SIGSEGV (exit 139 here); the probe also checks that the fake took effect.
probe_run dlsym env LD_PRELOAD="$(preload "$TESTBIN/libprobe_dlsym.so:$SHIM")" \
    SUBMITIFY_CONF="$conf" "$P" dlsym 192.0.2.25 "$ID-dl"
expect_mail "$ID-dl@probe.test"

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
