# Shared by the runtime scenarios (tests/integration/2N-*.sh), after
# tests/lib/common.sh: one rig account, unique message ids, and the checks
# that a message really went through submitify into a mailbox.
#
#   rt_setup             needs root and the rig; sets RT_TMP, RT_CONF, RT_TAG
#   rt_msgid NAME        a unique Message-ID (without <>), also a needle
#   rt_message FILE ID SUBJECT [TO]   write a small RFC 5322 message
#   rt_run LOG CMD...    run CMD under submitify (bounded), stderr+stdout to LOG,
#                        stdin from $RT_STDIN (default /dev/null)
#   rt_send LOG WHAT CMD...  rt_run, and fail with a diagnosis unless CMD
#                        exited 0
#   rt_delivered USER NEEDLE [N]      NEEDLE arrived N (1) times for USER
#                                     over AUTH+TLS; prints the first file
#   rt_show FILE...      print files indented (for failure reports)

# shellcheck disable=SC2034 # used by the scenarios
RT_DIR=$ROOT/tests/runtimes
# A TEST-NET-1 address: never routed, so only interception can deliver.
# shellcheck disable=SC2034
RT_DEST=192.0.2.10
RT_FROM=alice@example.test
RT_RCPT=bob@example.test
RT_TIMEOUT=${RT_TIMEOUT:-25}

rt_setup() {
    need_root
    rig_env
    RT_TMP=$(mktmp)
    # mktmp's own on_exit ran in the $(...) subshell and is lost: again here.
    on_exit "rm -rf '$RT_TMP'"
    RT_CONF=$RT_TMP/submit.conf
    rig_account | conf_file "$RT_CONF"
    RT_TAG="$TEST_NAME.$$.$(date +%s%N)"
}

rt_msgid() {
    echo "$1.$RT_TAG@client.test"
}

rt_message() {
    local file=$1 id=$2 subject=$3 to=${4:-$RT_RCPT}
    printf '%s\r\n' \
        "From: Alice <$RT_FROM>" \
        "To: $to" \
        "Subject: $subject" \
        "Date: $(LC_ALL=C date -R)" \
        "Message-ID: <$id>" \
        "MIME-Version: 1.0" \
        "Content-Type: text/plain; charset=us-ascii" \
        "" \
        "Sent by $TEST_NAME through submitify." \
        ".A line that starts with a dot." \
        "" \
        "Needle: $id" > "$file"
}

rt_show() {
    local f
    for f in "$@"; do
        [ -e "$f" ] || continue
        echo "--- $f"
        sed 's/^/    /' "$f" | tail -n 60
    done
}

# rt_run LOG CMD...: the command's exit code is returned; never hangs.
rt_run() {
    local log=$1 rc
    shift
    timeout --kill-after=5 "$RT_TIMEOUT" "$SUBMITIFY" -c "$RT_CONF" -- "$@" \
        < "${RT_STDIN:-/dev/null}" > "$log" 2>&1
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        echo "rt_run: killed after ${RT_TIMEOUT}s" >> "$log"
    fi
    return $rc
}

# rt_send LOG WHAT CMD...: run CMD under submitify; fail unless it exits 0.
# A CMD that was killed without printing a word never got to run, or hung
# before its first reply: the same command started through sh (so that
# submitify inspects sh instead of CMD's binary) tells the two apart.
rt_send() {
    local log=$1 what=$2 rc
    shift 2
    rt_run "$log" "$@" && return 0
    rc=$?
    rt_show "$log"
    if { [ $rc = 124 ] || [ $rc = 137 ]; } &&
        [ "$(grep -vc '^rt_run: killed' "$log")" = 0 ]; then
        rt_run "$log.via-sh" sh -c 'exec "$@"' sh "$@"
        note "the same command as 'submitify -- sh -c \"exec \$@\" $1 ...' exited $?:"
        rt_show "$log.via-sh"
        fail "$what: 'submitify -- $1 ...' printed nothing in ${RT_TIMEOUT}s"
    fi
    fail "$what exited $rc"
}

rt_delivered() {
    local user=$1 needle=$2 want=${3:-1} file n head
    file=$("$RIG" wait-mail "$SUBMITIFY_RIG" "$user" "$needle" 20) || {
        rt_show "$RIG_MAILLOG" >&2
        fail "no message for $user containing $needle"
    }
    # Postfix may still be writing other copies: settle, then count.
    if [ "$want" -gt 1 ]; then
        local i
        for ((i = 0; i < 100; i++)); do
            n=$("$RIG" count-mail "$SUBMITIFY_RIG" "$user" "$needle")
            [ "$n" -ge "$want" ] && break
            sleep 0.1
        done
    fi
    sleep 0.3
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" "$user" "$needle")
    [ "$n" = "$want" ] || fail "$user got $n messages containing $needle, not $want"
    head=$RT_TMP/head.$$.$RANDOM
    sed -e '/^\r\{0,1\}$/q' "$file" > "$head"
    grep -q 'with ESMTPSA' "$head" || {
        rt_show "$file" >&2
        fail "$file: no Received header 'with ESMTPSA' (not submitted over TLS with AUTH)"
    }
    grep -q 'Authenticated sender: alice' "$head" || {
        rt_show "$file" >&2
        fail "$file: not authenticated as alice"
    }
    echo "$file"
}

# rt_line FILE LINE: FILE has LINE as a whole line (e.g. a dot-stuffed line
# must arrive with exactly one leading dot).
rt_line() {
    tr -d '\r' < "$1" | grep -qxF -- "$2" || {
        rt_show "$1" >&2
        fail "$1 has no line: $2"
    }
}
