# Shared by the integration scenarios: source it from tests/integration/NN-*.sh.
#
#   skip REASON       exit 77 (run.sh reports it; CI counts it as a failure)
#   fail REASON       exit 1 with the reason
#   need_root, need_cmd CMD...
#   mktmp             a private temporary directory, removed on exit
#   on_exit CMD       run CMD (a string) on exit, last registered first
#   conf_file PATH    write stdin to PATH, mode 600
#   rig_env           source the shared Postfix rig (started by run.sh)
#   conf_lines [KEY VALUE]...  a submit.conf line for each pair
#   assert_contains FILE TEXT / assert_not_contains FILE TEXT
#   wait_for_file FILE SECONDS
#   scripted_start, scripted_auths, localhost_account, send_one, expect_421
#                     (described where they are defined)
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUBMITIFY=$ROOT/wrapper/submitify
HELPER=$ROOT/helper/submitify-helper
SHIM=$ROOT/shim/libsubmitify.so
TESTBIN=$ROOT/tests/bin
RIG=$ROOT/tests/rig/mailrig.sh
SCRIPTED=$ROOT/tests/scripted/smtpd.py
TEST_NAME=$(basename "$0" .sh)
# LD_PRELOAD for the shim: a sanitized build (make asan) needs its runtime
# loaded first.
SHIM_SAN=$(ldd "$SHIM" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
SHIM_PRELOAD=${SHIM_SAN:+$SHIM_SAN:}$SHIM
# The sanitizer options, for commands that run with an emptied environment
# (env -i "${SAN_ENV[@]}" ...); empty outside make asan.
SAN_ENV=()
[ -z "${ASAN_OPTIONS:-}" ] || SAN_ENV+=("ASAN_OPTIONS=$ASAN_OPTIONS")
[ -z "${UBSAN_OPTIONS:-}" ] || SAN_ENV+=("UBSAN_OPTIONS=$UBSAN_OPTIONS")

_exit_cmds=()
_run_exit() {
    local i
    for ((i = ${#_exit_cmds[@]} - 1; i >= 0; i--)); do
        eval "${_exit_cmds[$i]}" || true
    done
}
trap _run_exit EXIT
on_exit() { _exit_cmds+=("$1"); }

skip() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }
note() { echo "  $TEST_NAME: $*"; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "needs $c (not installed)"
    done
}

# Every directory mktmp makes lives under one base that this shell (not the
# $(...) subshell mktmp runs in) removes on exit.
TEST_TMPBASE=$(mktemp -d "/tmp/submitify-$TEST_NAME.${SUBMITIFY_RUN_ID:+$SUBMITIFY_RUN_ID.}XXXXXX")
chmod 755 "$TEST_TMPBASE"
on_exit "rm -rf '$TEST_TMPBASE'"
# The AUTH memory (helper/authmem.h) of the scenario's sessions: its own,
# never the home directory of the user who runs the tests.
export XDG_STATE_HOME=$TEST_TMPBASE/state
# The warm helpers (docs/DESIGN.md, "The warm helper") of the scenario's
# programs: their sockets in a directory of the scenario's, and each one
# stopped when the scenario ends.  SUBMITIFY_WARM=0 in the environment runs
# every scenario cold (make check-cold).
export XDG_RUNTIME_DIR=$TEST_TMPBASE/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
on_exit "timeout 20 '$SUBMITIFY' --warm-stop >/dev/null 2>&1"
mktmp() {
    local d
    d=$(mktemp -d "$TEST_TMPBASE/t.XXXXXX")
    chmod 755 "$d"
    echo "$d"
}

conf_file() {
    umask 077
    cat > "$1"
    chmod 600 "$1"
}

rig_env() {
    [ -n "${SUBMITIFY_RIG:-}" ] && [ -f "$SUBMITIFY_RIG/rig.env" ] ||
        skip "the shared Postfix rig is not running (run through tests/integration/run.sh as root)"
    # shellcheck disable=SC1091
    . "$SUBMITIFY_RIG/rig.env"
}

# rig_account [KEY VALUE]...: the rig's submission account (alice, port
# 587 with STARTTLS, the rig's CA) and any further lines, for conf_file.
rig_account() {
    printf 'account rig\nhost localhost\nport %s\ntls_trust_file %s\n' \
        "$RIG_SUB_PORT" "$RIG_CA"
    printf 'user alice\npassword %s\n' "$RIG_ALICE_PASS"
    conf_lines "$@"
}
# conf_lines [KEY VALUE]...: a "KEY VALUE" line for each pair.
conf_lines() {
    while [ $# -ge 2 ]; do
        printf '%s %s\n' "$1" "$2"
        shift 2
    done
}

# summary_line FILE N: the Nth session summary line (the one with
# " warm=") of the log FILE, waiting up to 5 s for it.
summary_line() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(grep -sc ' warm=' "$1")" -ge "$2" ] && break
        sleep 0.05
    done
    grep -s ' warm=' "$1" | sed -n "$2p"
}
# rss_bounded BEFORE AFTER: is AFTER (kB) at most 1 MiB above BEFORE?
# Always so in a sanitized build (make asan): AddressSanitizer keeps freed
# memory in quarantine (256 MB) so that resident size says nothing there;
# the plain build and 42-valgrind look for growth.
rss_bounded() {
    [ -n "$SHIM_SAN" ] || [ "$2" -le $(($1 + 1024)) ]
}
assert_contains() {
    grep -qF -- "$2" "$1" || fail "$1 does not contain: $2"
}
assert_not_contains() {
    ! grep -qF -- "$2" "$1" || fail "$1 contains: $2"
}

wait_for_file() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# Start the scripted server: scripted_start DIR NAME [ARGS...]; sets
# SCRIPTED_PORT and SCRIPTED_PID; DIR/NAME.record is its record file.
scripted_start() {
    local dir=$1 name=$2
    shift 2
    rm -f "$dir/$name.port"
    python3 "$SCRIPTED" --listen 127.0.0.1:0 --ready-file "$dir/$name.port" \
        --record "$dir/$name.record" "$@" > "$dir/$name.out" 2>&1 &
    SCRIPTED_PID=$!
    on_exit "kill $SCRIPTED_PID 2>/dev/null; wait $SCRIPTED_PID 2>/dev/null"
    wait_for_file "$dir/$name.port" 10 || fail "scripted server did not start: $(cat "$dir/$name.out")"
    SCRIPTED_PORT=$(cat "$dir/$name.port")
}

# scripted_auths RECORD N: once N sessions of the scripted server have
# ended, the AUTH attempts of session N as "MECHANISM:CODE ...".
scripted_auths() {
    python3 - "$1" "$2" <<'PY'
import json, sys, time
path, want = sys.argv[1], int(sys.argv[2])
for _ in range(100):
    try:
        rec = json.load(open(path))
        if rec["totals"]["sessions_ended"] >= want:
            break
    except (OSError, ValueError):
        pass
    time.sleep(0.1)
else:
    sys.exit("record: sessions did not end")
print(" ".join("%s:%s" % (e["mechanism"], e["result"])
               for e in rec["sessions"][want - 1]["events"] if e["ev"] == "auth"))
PY
}

# localhost_account DIR NAME PORT [LINE...]: DIR/NAME.conf (mode 600), an
# account NAME for localhost:PORT that trusts the rig's CA, and the lines.
localhost_account() {
    local dir=$1 name=$2 port=$3
    shift 3
    {
        printf 'account %s\nhost localhost\nport %s\ntls_trust_file %s\n' \
            "$name" "$port" "$RIG_CA"
        printf '%s\n' "$@"
    } | conf_file "$dir/$name.conf"
}

# send_one DIR NAME ID EXPECTED-EXIT: one message (Message-ID NAME-ID@test)
# from smtpclient to port 25 through submitify with DIR/NAME.conf; its
# transcript in DIR/NAME.out, its stderr in DIR/NAME.err.
send_one() {
    timeout 60 "$SUBMITIFY" -c "$1/$2.conf" -- "$TESTBIN/smtpclient" \
        -i "$2-$3@test" 192.0.2.46 > "$1/$2.out" 2> "$1/$2.err"
    local rc=$?
    [ $rc = "$4" ] || fail "$2: client exit $rc, expected $4: $(cat "$1/$2.out" "$1/$2.err")"
}

# expect_421 FILE TEXT: the transcript FILE holds a 421 and TEXT, and no
# greeting.
expect_421() {
    assert_contains "$1" "<- 421 "
    assert_contains "$1" "$2"
    assert_not_contains "$1" "<- 220"
}

# The scenario's warm helper (its socket under $XDG_RUNTIME_DIR):
#   warm_pid          its pid, from `submitify --warm-status` and the same
#                     one found by its command line; nothing when none runs;
#                     status 1 (and why, on stderr) when the two disagree
#   warm_stat FIELD   served, running or kept, from its status line
#   warm_settle SECS  wait until it runs no session and has no child left
#   warm_rss PID, warm_fds PID   its resident memory (kB), its descriptors
#   warm_check_done MIN  every session is over: with SUBMITIFY_WARM=0 no
#                     warm helper runs at all; else one does, it served at
#                     least MIN sessions and settles (see warm_settle)
warm_pid() {
    local st pids p
    st=$(timeout 20 "$SUBMITIFY" --warm-status 2>&1 |
        sed -n 's/^warm helper pid \([0-9][0-9]*\) at .*/\1/p')
    # Its session processes have its command line: only the one whose
    # parent is none of them.
    pids=$(pgrep -f -- "--warm-serve $XDG_RUNTIME_DIR/" | sort -n | tr '\n' ' ')
    pids=$(for p in $pids; do
        case " $pids " in
        *" $(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status" 2>/dev/null) "*) ;;
        *) echo "$p" ;;
        esac
    done | tr '\n' ' ')
    # shellcheck disable=SC2086 # one pid a word
    if [ "$(echo $st)" != "$(echo $pids)" ]; then
        echo "FAIL: $TEST_NAME: --warm-status names warm helper(s) '$(echo $st)', running: '$pids'" >&2
        return 1
    elif [ "$(echo $st | wc -w)" -gt 1 ]; then
        echo "FAIL: $TEST_NAME: more than one warm helper: $(echo $st)" >&2
        return 1
    fi
    echo $st
}
warm_stat() {
    local line
    line=$(timeout 20 "$SUBMITIFY" --warm-status 2>&1 | grep '^warm helper pid ')
    case $1 in
    served) echo "$line" | sed -n 's/.*: \([0-9]*\) sessions served,.*/\1/p' ;;
    running) echo "$line" | sed -n 's/.* served, \([0-9]*\) running,.*/\1/p' ;;
    kept) echo "$line" | sed -n 's/.* running, \([0-9]*\) TLS sessions.*/\1/p' ;;
    esac
}
warm_settle() {
    local pid i
    pid=$(warm_pid) && [ -n "$pid" ] || return 1
    for ((i = 0; i < $1 * 10; i++)); do
        [ "$(warm_stat running)" = 0 ] && ! pgrep -P "$pid" > /dev/null &&
            return 0
        sleep 0.1
    done
    return 1
}
warm_rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
warm_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
warm_check_done() {
    local pid served
    pid=$(warm_pid) || exit 1
    if [ "${SUBMITIFY_WARM:-}" = 0 ]; then
        [ -z "$pid" ] || fail "SUBMITIFY_WARM=0, yet a warm helper runs: $("$SUBMITIFY" --warm-status)"
        note "SUBMITIFY_WARM=0: every session cold, no warm helper"
        return 0
    fi
    [ -n "$pid" ] || fail "no warm helper is running"
    served=$(warm_stat served)
    [ "${served:-0}" -ge "$1" ] ||
        fail "the warm helper served ${served:-no} sessions, expected at least $1"
    warm_settle 10 || fail "the warm helper still runs sessions: $("$SUBMITIFY" --warm-status; pgrep -a -P "$pid")"
    note "warm helper $pid served $served sessions, none running, no child left"
}

# load_paused OUT COUNT SECONDS CMD...: run CMD (a loadclient with -P COUNT,
# usually through submitify) in the background, its stdin a FIFO, its
# output in OUT, and wait up to SECONDS until it has sent COUNT messages
# and paused.  load_resume lets it go on and waits for it: its status.
load_paused() {
    local out=$1 count=$2 secs=$3 i
    shift 3
    mkfifo "$out.go"
    "$@" < "$out.go" > "$out" 2>&1 &
    LOAD_PID=$!
    on_exit "kill $LOAD_PID 2>/dev/null"
    exec {LOAD_GO}> "$out.go"
    for ((i = 0; i < secs * 10; i++)); do
        grep -q "^paused after $count\$" "$out" && return 0
        kill -0 "$LOAD_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "^paused after $count\$" "$out" ||
        fail "loadclient did not reach message $count: $(tail -5 "$out")"
}
load_resume() {
    echo go >&"$LOAD_GO"
    exec {LOAD_GO}>&-
    wait "$LOAD_PID"
}
