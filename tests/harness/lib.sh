# shellcheck shell=bash
# The harness of the scenarios that play a scripted server
# (tests/scripted/smtpd.py) against the real helper and its weak twins:
# tests/integration/30-39, 43-45, 56 and 68.  Source it after
# tests/lib/common.sh, then call hs_init.
#
# A check passes with the real helper and fails with a twin built without
# the protection it tests (helper/weak/submitify-helper-NAME): twin_verdict
# is that rule, for both ways of running checks.
#
# One session at a time, in bash.  Every case is an assertion function
# CHECK LABEL HELPERBIN [ARGS...] that runs one program session through the
# shim against the scripted server and returns 0 when every protection
# held, or 1 with the reason in HS_WHY.  It never exits, so the same
# function can be run twice:
#
#   real CHECK BASE [ARGS...]        against the real helper: must pass
#   sup CHECK BASE [ARGS...]         the same, with the program under the
#                                    seccomp supervisor instead of the shim
#                                    (HS_VIA=seccomp): must pass
#   weak NAME CHECK BASE [ARGS...]   against the twin NAME: must FAIL (the
#                                    test sees the weakness)
#
#   hs_init                    certificates in $CERTS, $CA; $HS_TMP; a
#                              snapshot of the build (hs_bin, $HS_HELPER,
#                              $HS_PRELOAD), as others may rebuild the tree
#   hs_bin real|NAME           the snapshot's real helper or twin NAME
#   hs_server NAME CASE [ARGS] the scripted server (cert: $HS_CERT, default
#                              server); HS_REC is its record, and the file
#                              beside it with .pid for .record its pid
#   hs_conf NAME [KEY VAL]...  a submit.conf for it (mode 600): the defaults
#                              below, KEY VAL added or replaced, VAL "-" drops
#                              KEY; sets HS_CONF and HS_LOG
#   hs_run LABEL HELPER [ARGS] smtpclient ARGS 192.0.2.30 through the shim (or
#                              the command in HS_PROG, with HS_ENV added to
#                              its environment, and HS_HOOK run once it is
#                              started); leaves LABEL.out, .err, .log, .facts
#                              in $HS_TMP and sets HS_RC, HS_MS (how long
#                              the program ran), HS_TIMED_OUT, HS_HELPER_LEFT,
#                              HS_SUP_LEFT.  With HS_VIA=seccomp the program
#                              runs under `submitify --seccomp` (the
#                              snapshot's wrapper, with the real helper
#                              only) and must show the supervisor's filter
#   fact LABEL KEY             one fact about the server's side of the run
#                              (record.py facts)
#   expect_* LABEL ...         the usual assertions (return 1 and set HS_WHY)
#
# Many sessions at once, in groups (fx.py runs a group's cases in
# parallel against their own server; see its header for the case format):
#
#   hs_spec FILE               start a case list (one JSON object per line)
#   hs_add FILE JSON           append one case
#   hs_group NAME FILE [SERVER-ARGS...]
#                              start the group's server (hs_server), write
#                              the submit.conf files its cases need (hs_conf:
#                              STARTTLS, user alice, "timeout 3" unless the
#                              case says otherwise) and run its cases in the
#                              background
#   hs_finish                  wait for every group, print one line per case,
#                              and fail the scenario if a case's verdict is a
#                              failure
#
# A case of a group with "seccomp": true runs again with the real helper
# and the program under the seccomp supervisor (fx.py's header).
#
# HS_KEEP=DIR keeps a copy of $HS_TMP (every session's and group's files).

HS_DEST=192.0.2.30
HS_PW=Zq8-unique-secret-7731
CASES=$ROOT/tests/scripted/cases
HS_ROOT=$ROOT/tests/harness
# Case files of these tests only.  They are not in tests/scripted/cases,
# whose selftest wants a check of its own for every file there.
HS_CASES=$HS_ROOT/cases
HS_RECORDPY=$HS_ROOT/record.py
HS_SUPERVISE=$ROOT/supervise/submitify-supervise
HS_VIA=shim
HS_LIMIT=${HS_LIMIT:-20}
HS_PROG=()
HS_ENV=()
HS_HOOK=""
HS_TIMED_OUT=0
HS_WHY=""

hs_init() {
    need_cmd python3 openssl pgrep
    # The interpreter itself: a pyenv shim costs most of a second per call.
    HS_PY=$(python3 -c 'import sys; print(sys.executable)') ||
        fail "python3 does not run"
    PATH=$(dirname "$HS_PY"):$PATH
    [ -x "$HELPER" ] && [ -f "$SHIM" ] && [ -x "$TESTBIN/smtpclient" ] &&
        [ -x "$SUBMITIFY" ] && [ -x "$HS_SUPERVISE" ] ||
        fail "not built: run make && make weak tests/bin/smtpclient"
    HS_TMP=$(mktmp)
    [ -z "${HS_KEEP:-}" ] || on_exit "mkdir -p '$HS_KEEP' && cp -a '$HS_TMP' '$HS_KEEP/$TEST_NAME'"
    CERTS=$HS_TMP/certs
    "$ROOT/tests/rig/certs.sh" "$CERTS" > /dev/null || fail "tests/rig/certs.sh failed"
    CA=$CERTS/ca.pem
    hs_snapshot
    HS_T0=$(date +%s)
}

# A copy of the shim, the helpers, the wrapper, the supervisor and
# smtpclient in $HS_BIN: others may rebuild the tree while this runs.  A
# half-written file shows (the library preloads with no complaint, the
# helper prints its usage, the wrapper its version), and another copy is
# taken.  $HS_SUP is the snapshot's wrapper, laid out with the real helper
# as in the build tree (hs_tree).
hs_snapshot() {
    local i w san
    HS_BIN=$HS_TMP/bin
    mkdir -p "$HS_BIN"
    for ((i = 0; i < 10; i++)); do
        if ! cp "$SHIM" "$HS_BIN/libsubmitify.so" || ! cp "$HELPER" "$HS_BIN/" ||
            ! cp "$SUBMITIFY" "$HS_SUPERVISE" "$HS_BIN/" ||
            ! cp "$TESTBIN/smtpclient" "$HS_BIN/"; then
            sleep 1
            continue
        fi
        for w in "$ROOT"/helper/weak/submitify-helper-*; do
            [ ! -e "$w" ] || cp "$w" "$HS_BIN/" || continue 2
        done
        # Under `make asan` the sanitizer runtime must come first.
        san=$(ldd "$HS_BIN/libsubmitify.so" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
        HS_PRELOAD=${san:+$san:}$HS_BIN/libsubmitify.so
        if ! LD_PRELOAD=$HS_PRELOAD /bin/true 2>&1 | grep -q . &&
            "$HS_BIN/submitify-helper" 2>&1 | grep -q usage &&
            "$HS_BIN/submitify" --version 2>&1 | grep -q submitify; then
            HS_HELPER=$HS_BIN/submitify-helper
            hs_tree "$HS_BIN/tree" "$HS_HELPER"
            HS_SUP=$HS_BIN/tree/wrapper/submitify
            HS_FILTERS0=$(hs_filters $$)
            return 0
        fi
        sleep 1
    done
    fail "could not take a consistent copy of the build"
}

# hs_tree DIR HELPER: the snapshot's wrapper in DIR/wrapper, which finds
# the shim, HELPER and the supervisor where a build tree has them.  The
# wrapper is a copy, as it looks beside /proc/self/exe; the rest are links
# (it resolves them).
hs_tree() {
    mkdir -p "$1/wrapper" "$1/shim" "$1/helper" "$1/supervise" &&
        cp "$HS_BIN/submitify" "$1/wrapper/submitify" &&
        ln -sfn "$HS_BIN/libsubmitify.so" "$1/shim/libsubmitify.so" &&
        ln -sfn "$2" "$1/helper/submitify-helper" &&
        ln -sfn "$HS_BIN/submitify-supervise" "$1/supervise/submitify-supervise" ||
        fail "cannot lay out the wrapper's tree in $1"
}

# hs_filters PID: how many seccomp filters the process carries.
hs_filters() {
    sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$1/status"
}

# hs_bin real|NAME: the real helper or the twin built without protection NAME.
hs_bin() {
    local bin=$HS_BIN/submitify-helper
    [ "$1" = real ] || bin=$bin-$1
    [ -x "$bin" ] || fail "helper/weak/submitify-helper-$1 missing: run make weak"
    echo "$bin"
}

hs_server() {
    local name=$1 case=$2 cert=${HS_CERT:-server}
    shift 2
    scripted_start "$HS_TMP" "srv-$name" --cert "$CERTS/$cert.pem" \
        --key "$CERTS/$cert.key" --users "alice:$HS_PW" --script "$case" "$@"
    HS_REC=$HS_TMP/srv-$name.record
    echo "$SCRIPTED_PID" > "$HS_TMP/srv-$name.pid"
}

hs_conf() {
    local name=$1 k
    shift
    local -a keys=(account host port tls_trust_file user password timeout
        logfile)
    local -A val=([account]=s [host]=localhost [port]=${SCRIPTED_PORT:-1}
        [tls_trust_file]=$CA [user]=alice [password]=$HS_PW [timeout]=5
        [logfile]=$HS_TMP/$name.logfile)
    while [ $# -ge 2 ]; do
        [ -n "${val[$1]+set}" ] || keys+=("$1")
        val[$1]=$2
        shift 2
    done
    HS_CONF=$HS_TMP/$name.conf
    HS_LOG=${val[logfile]}
    [ "$HS_LOG" != - ] || HS_LOG=""
    for k in "${keys[@]}"; do
        [ "${val[$k]}" = - ] || printf '%s %s\n' "$k" "${val[$k]}"
    done | conf_file "$HS_CONF"
}

# The helper the shim started for the program with this pid, if alive.
hs_helper_of() {
    pgrep -f -- "^submitify-helper .*--dest ${HS_DEST//./\\.}:25 .*--pid $1( |\$)"
}

hs_run() {
    local label=$1 helper=$2 out pid s0 t0 i
    shift 2
    out=$HS_TMP/$label
    if [ -n "${HS_REC:-}" ] && [ -f "${HS_REC%.record}.pid" ]; then
        s0=$("$HS_PY" -S "$HS_RECORDPY" started "$HS_REC" 5 \
            "$(cat "${HS_REC%.record}.pid")")
    else
        s0=$("$HS_PY" -S "$HS_RECORDPY" started "${HS_REC:-/nonexistent}")
    fi
    [ -z "$HS_LOG" ] || rm -f "$HS_LOG"
    if [ ${#HS_PROG[@]} -gt 0 ]; then
        set -- "${HS_PROG[@]}"
    else
        set -- "$TESTBIN/smtpclient" "$@" "$HS_DEST"
    fi
    t0=$(date +%s%N)
    if [ "$HS_VIA" = seccomp ]; then
        [ "$helper" = "$HS_HELPER" ] ||
            fail "$label: only the real helper runs under the supervisor"
        # The filter count is taken where the program is about to be
        # exec'd: a filter stays across exec and cannot be removed.
        rm -f "$out.filters"
        env -u LD_PRELOAD SUBMITIFY_HELPER=/nonexistent \
            HS_SUP_RUN="$out" "${HS_ENV[@]}" \
            "$HS_SUP" --seccomp -c "$HS_CONF" -- \
            sh -c 'sed -n "s/^Seccomp_filters:[[:space:]]*//p" \
                /proc/$$/status > "$0" && exec "$@"' "$out.filters" "$@" \
            > "$out.out" 2> "$out.err" < /dev/null &
    else
        env LD_PRELOAD="$HS_PRELOAD" SUBMITIFY_CONF="$HS_CONF" \
            SUBMITIFY_HELPER="$helper" "${HS_ENV[@]}" "$@" \
            > "$out.out" 2> "$out.err" < /dev/null &
    fi
    pid=$!
    # A hook may act on the live session (HS_HOOK LABEL PID), e.g. take a
    # memory image of the helper; it does its own bounded waiting.
    [ -z "${HS_HOOK:-}" ] || "$HS_HOOK" "$label" "$pid"
    # Every wait is bounded: the program gets HS_LIMIT seconds.
    for ((i = 0; i < HS_LIMIT * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    HS_TIMED_OUT=0
    if kill -0 "$pid" 2>/dev/null; then
        HS_TIMED_OUT=1
        kill "$pid" 2>/dev/null
    fi
    wait "$pid"
    HS_RC=$?
    HS_MS=$((($(date +%s%N) - t0) / 1000000))    # milliseconds
    # The helper must be gone soon after the program (5 s at most).
    HS_HELPER_LEFT=$(hs_left hs_helper_of "$pid")
    [ "$HS_VIA" != seccomp ] || hs_sup_checks "$label" "$out"
    if [ -n "${HS_REC:-}" ]; then
        "$HS_PY" -S "$HS_RECORDPY" facts "$HS_REC" "$s0" 5 \
            "$(cat "${HS_REC%.record}.pid")" > "$out.facts" ||
            note "$label: the record was not rewritten or did not settle in 5 s"
    else
        : > "$out.facts"
    fi
    if [ -n "$HS_LOG" ] && [ -f "$HS_LOG" ]; then
        cp "$HS_LOG" "$out.log"
    else
        : > "$out.log"
    fi
}

# After a run under the supervisor: the program carried one filter more
# than this shell (else the scenario fails: a pass must not come from the
# shim), and the run's supervisor is gone too (5 s at most; HS_SUP_LEFT).
hs_sup_checks() {
    local label=$1 out=$2 n
    n=$(cat "$out.filters" 2>/dev/null)
    [ -n "$n" ] && [ "$n" -gt "${HS_FILTERS0:-0}" ] ||
        fail "$label: the program did not run under the supervisor's filter (Seccomp_filters '$n', this shell's ${HS_FILTERS0:-0}); stderr: $(tail -3 "$out.err")"
    HS_SUP_LEFT=$(hs_left hs_supervisor_of "$out")
}

# hs_left FIND ARG: wait up to 5 s for FIND ARG to find no process; print
# the pids it still finds then, and end them.
hs_left() {
    local i p
    for ((i = 0; i < 50; i++)); do
        p=$("$1" "$2")
        [ -n "$p" ] || return 0
        sleep 0.1
    done
    kill $p 2>/dev/null
    echo "$p"
}

# The supervisor the wrapper started for the run whose files are OUT, if
# alive: the snapshot's, with HS_SUP_RUN=OUT in its environment.
hs_supervisor_of() {
    local p
    for p in $(pgrep -x submitify-super); do
        [ "$(readlink "/proc/$p/exe")" = "$HS_BIN/submitify-supervise" ] &&
            tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null |
            grep -qxF "HS_SUP_RUN=$1" && echo "$p"
    done
}

# For messages: " (killed after N s)" if the program ran out of time.
hs_killed() {
    [ "$HS_TIMED_OUT" = 0 ] || echo " (killed after $HS_LIMIT s)"
}

fact() {
    sed -n "s/^$2=//p" "$HS_TMP/$1.facts"
}

# want LABEL WHAT CMD...: run CMD; if it fails, HS_WHY says WHAT.
want() {
    local label=$1 what=$2
    shift 2
    "$@" && return 0
    HS_WHY="$label: $what"
    return 1
}

# expect_facts LABEL KEY=VALUE...: the server's side of the run.
expect_facts() {
    local label=$1 kv got
    shift
    for kv in "$@"; do
        got=$(fact "$label" "${kv%%=*}")
        [ "$got" = "${kv#*=}" ] || {
            HS_WHY="$label: server record: ${kv%%=*} is '$got', expected '${kv#*=}'"
            return 1
        }
    done
}

# expect_at_least LABEL KEY N: a numeric fact is at least N.
expect_at_least() {
    local got
    got=$(fact "$1" "$2")
    [ "${got:-0}" -ge "$3" ] 2>/dev/null && return 0
    HS_WHY="$1: server record: $2 is '$got', expected at least $3"
    return 1
}

expect_helper_gone() {
    want "$1" "a helper was still running 5 s after the program ended (pid $HS_HELPER_LEFT)" \
        test -z "$HS_HELPER_LEFT" || return 1
    [ "$HS_VIA" = seccomp ] || return 0
    want "$1" "the supervisor was still running 5 s after the program ended (pid $HS_SUP_LEFT)" \
        test -z "$HS_SUP_LEFT"
}

# The first reply the program saw (smtpclient without -q prints "<- ...").
first_reply() {
    grep -m1 '^<- ' "$HS_TMP/$1.out" | sed 's/^<- //'
}

# expect_refused LABEL STATUS CAUSE [log|stderr]
# The program was greeted "421 STATUS submitify: ..." naming CAUSE, never
# 220; it kept its message (exit 1); one log line names the cause (in the
# account's logfile, or on stderr when the refusal came before the account
# was known); the helper is gone.
expect_refused() {
    local l=$1 st=$2 cause=$3 where=${4:-log} f=$HS_TMP/$1 first n
    expect_helper_gone "$l" || return 1
    first=$(first_reply "$l")
    [ -n "$first" ] ||
        first="nothing; stderr: $(tail -3 "$f.err"); log: $(tail -3 "$f.log")"
    want "$l" "the program was not greeted '421 $st submitify: ...$cause...' but '$first' (exit $HS_RC)" \
        eval '[[ $first == "421 $st submitify: "* ]] && [[ $first == *"$cause"* ]]' ||
        return 1
    want "$l" "the program saw a 220: $(grep -m1 '^<- 220' "$f.out")" \
        eval '! grep -q "^<- 220" "$f.out"' || return 1
    want "$l" "smtpclient exit $HS_RC, expected 1 (refused)$(hs_killed)" \
        test "$HS_RC" = 1 || return 1
    if [ "$where" = log ]; then
        n=$(grep -c '' "$f.log")
        want "$l" "the logfile has $n lines, expected 1: $(cat "$f.log")" \
            test "$n" = 1 || return 1
        want "$l" "the log line does not name the cause: $(cat "$f.log")" \
            eval 'grep "error=" "$f.log" | grep -qF -- "$cause"' || return 1
    else
        n=$(grep -c 'error=' "$f.err")
        want "$l" "stderr has $n helper error lines, expected 1: $(cat "$f.err")" \
            test "$n" = 1 || return 1
        want "$l" "the stderr line does not name the cause: $(cat "$f.err")" \
            eval 'grep "error=" "$f.err" | grep -qF -- "$cause"' || return 1
    fi
}

# expect_no_credentials LABEL: the server saw no AUTH and no mail at all.
expect_no_credentials() {
    expect_facts "$1" auth=0 auth_cmds=0 mail=0 data=0 messages=0
}

# refused_with LABEL HELPER STATUS CAUSE [no_credentials] FACT...: one
# message from smtpclient is refused (expect_refused), and the server's
# record shows each FACT (and no credentials, if asked).
refused_with() {
    local l=$1 h=$2 st=$3 cause=$4
    shift 4
    hs_run "$l" "$h" -i "$l@test"
    expect_refused "$l" "$st" "$cause" || return 1
    if [ "${1:-}" = no_credentials ]; then
        shift
        expect_no_credentials "$l" || return 1
    fi
    [ $# = 0 ] || expect_facts "$l" "$@"
}

# expect_delivered LABEL MSGID: a 250 for the message, which the server
# stored after one successful AUTH; no error logged; the helper is gone.
expect_delivered() {
    local l=$1 id=$2 f=$HS_TMP/$1
    expect_helper_gone "$l" || return 1
    want "$l" "smtpclient exit $HS_RC, expected 0$(hs_killed): $(tail -3 "$f.out") $(tail -3 "$f.err")" \
        test "$HS_RC" = 0 || return 1
    expect_facts "$l" messages=1 "message_ids=<$id>" auth_ok=1 || return 1
    want "$l" "an error was logged: $(grep 'error=' "$f.log" "$f.err")" \
        eval '! grep -q "error=" "$f.log" "$f.err"' || return 1
}

# twin_verdict KIND RESULT: the rule of the twins.  KIND real must pass
# (RESULT pass), weak must fail, info (a twin run for information only) may
# do either.  Sets HS_VERDICT to ok, FAIL or info.
twin_verdict() {
    case $1:$2 in
    real:pass | weak:fail) HS_VERDICT=ok ;;
    info:*) HS_VERDICT=info ;;
    *) HS_VERDICT=FAIL ;;
    esac
}

# real CHECK BASE [ARGS...]: the real helper must pass.
real() {
    hs_real shim "$@"
}

# sup CHECK BASE [ARGS...]: so must the real helper with the program under
# the seccomp supervisor.
sup() {
    hs_real seccomp "$@"
}

hs_real() {
    local via=$1 fn=$2 base=$3 label=$3.real how="" r=fail
    shift 3
    [ "$via" = shim ] || { label=$base.sup how=" under the supervisor"; }
    HS_WHY=""
    ! HS_VIA=$via "$fn" "$label" "$HS_HELPER" "$@" || r=pass
    twin_verdict real $r
    [ $HS_VERDICT = ok ] || fail "$base (real helper$how): $HS_WHY"
    note "$base: real helper$how: protected"
}

# weak NAME CHECK BASE [ARGS...]: the helper built without that protection
# must make the same check fail.
weak() {
    local w=$1 fn=$2 base=$3 bin r=fail
    shift 3
    bin=$(hs_bin "$w") || exit 1
    HS_WHY=""
    ! "$fn" "$base.weak-$w" "$bin" "$@" || r=pass
    twin_verdict weak $r
    [ $HS_VERDICT = ok ] ||
        fail "$base: the check also passes with the weak '$w' helper, so it does not detect the missing protection"
    note "$base: weak $w: detected: $HS_WHY"
}

hs_spec() { : > "$1"; }
hs_add() { printf '%s\n' "$2" >> "$1"; }

# Groups run in the background, each against its own server, so that
# their waits overlap; hs_finish collects them.
HS_GROUPS=()
hs_group() {
    local name=$1 spec=$2 dir conf kv pid
    shift 2
    [ -x /usr/bin/time ] || skip "needs /usr/bin/time (GNU time) for the helper's peak memory and exit"
    [ -d "$ROOT/helper/weak" ] || fail "the weak helpers are not built: make weak"
    dir=$HS_TMP/$name
    mkdir -p "$dir"
    "$HS_PY" "$HS_ROOT/fx.py" prepare --spec "$spec" --dir "$dir" \
        --group "$name" > "$dir/confs" || fail "$name: fx.py prepare failed"
    hs_server "$name" "$dir/case.json" --mode starttls --spool "$dir/spool" \
        --stall-max 40 --timeout 40 --quit-linger 0.2 "$@"
    # "NAME KEY VALUE...": no value has a space.
    while read -r conf kv; do
        # shellcheck disable=SC2086
        hs_conf "$conf" $kv
    done < "$dir/confs"
    # Under the supervisor the helper is the one beside the wrapper: here
    # fx.py's helper-wrapper, which it writes before the first case.
    hs_tree "$dir/tree" "$dir/helper-wrapper"
    "$HS_PY" "$HS_ROOT/fx.py" run --spec "$spec" --dir "$dir" --group "$name" \
        --root "$ROOT" --preload "$HS_PRELOAD" --bin "$HS_BIN" \
        --conf-dir "$HS_TMP" --port "$SCRIPTED_PORT" --record "$HS_REC" \
        --server-pid "$SCRIPTED_PID" --wrapper "$dir/tree/wrapper/submitify" \
        > "$dir/report" 2>&1 &
    pid=$!
    on_exit "kill $pid 2>/dev/null"
    HS_GROUPS+=("$name:$pid:$(grep -vc '^#' "$spec")")
}

# hs_verdicts NAME: a group's report (fx.py run) with each case's verdict;
# returns 1 if one is a failure.
hs_verdicts() {
    local g=$1 line kind="" res label detail reasons="" tail="" secs=""
    local bad=0 nreal=0 nweak=0 nsup=0
    while IFS= read -r line; do
        case $line in
        "- "*) reasons+="       $line"$'\n' ;;
        "| log: "*) tail+="       ${line#| }"$'\n' ;;
        "| "*) tail+="       $line"$'\n' ;;
        *)
            hs_verdict_line
            case $line in
            "case "*)
                read -r _ kind res label <<< "${line%%$'\t'*}"
                detail=${line#*$'\t'}
                [ "$kind" != real ] || nreal=$((nreal + 1))
                [[ $label != *" [seccomp]" ]] || nsup=$((nsup + 1))
                [ "$kind" != weak ] || nweak=$((nweak + 1)) ;;
            "problem "*)
                echo "FAIL group $g: ${line#problem }"
                bad=$((bad + 1)) ;;
            "time "*) secs=${line#time } ;;
            *) echo "$line" ;;
            esac ;;
        esac
    done < "$HS_TMP/$g/report"
    hs_verdict_line
    echo "group $g: $nreal cases ($nsup of them under the supervisor), $nweak weak twins, $bad failed"
    if [ -z "$secs" ]; then
        echo "FAIL group $g: fx.py did not finish"
        return 1
    fi
    echo "group $g: $secs s"
    [ $bad = 0 ]
}

# The verdict line of the case hs_verdicts has read (its locals), then its
# reasons, and the end of its transcript if it failed.
hs_verdict_line() {
    local what=""
    [ -n "$kind" ] || return 0
    twin_verdict "$kind" "$res"
    if [ "$kind" = weak ]; then
        what="fails as required "
        [ "$res" = fail ] || what="PASSES: the weak helper is not caught "
    fi
    case $HS_VERDICT in
    ok) printf 'ok   %s: %s%s\n' "$label" "$what" "$detail" ;;
    info) printf 'info (%s) %s: %s\n' "${res/%ss/sse}s" "$label" "$detail" ;;
    *) printf 'FAIL %s: %s%s\n' "$label" "$what" "$detail"
        bad=$((bad + 1)) ;;
    esac
    printf '%s' "$reasons"
    [ "$HS_VERDICT" != FAIL ] || printf '%s' "$tail"
    kind="" reasons="" tail=""
}

hs_finish() {
    local g name pid n failed=""
    for g in "${HS_GROUPS[@]}"; do
        IFS=: read -r name pid n <<< "$g"
        wait "$pid"
        echo "== $name ($n cases)"
        hs_verdicts "$name" > "$HS_TMP/$name/verdicts" || failed="$failed $name"
        sed 's/^/  /' "$HS_TMP/$name/verdicts"
    done
    note "run time $(($(date +%s) - HS_T0)) s"
    if [ -n "$failed" ]; then
        # run.sh shows the end of the log: the failing cases, once more.
        echo "failing cases:"
        for g in $failed; do
            grep -h '^FAIL' "$HS_TMP/$g/verdicts" | cut -c1-160 | sed "s/^/  $g: /"
        done
        fail "failed groups:$failed"
    fi
    echo "PASS: $TEST_NAME"
}
