# Shared by the shim-fidelity scenarios (tests/integration/1[0-3]-*.sh):
# the probe and its libraries, the rig account, failure collection, and
# waiting for the helpers a probe run started.  Source after common.sh.
# shellcheck shell=bash
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
rig_account | conf_file "$conf"
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
