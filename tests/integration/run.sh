#!/bin/bash
# Runs every tests/integration/NN-*.sh scenario with a time limit, around one
# shared Postfix + Dovecot rig, and prints "N passed, N failed, N skipped".
# TESTS="01 05" runs only those numbers.  In CI (CI=true) a skipped scenario
# counts as a failure: the point of the suite is that these tests ran.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
limit=${TEST_TIMEOUT:-300}
pass=0 failed=0 skipped=0
failures=""

rig=""
if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null 2>&1; then
    rig=$(mktemp -d /tmp/submitify-rig.XXXXXX)
    chmod 755 "$rig"
    # Ports base+25, base+587, base+465; another base if those are taken.
    base=${RIG_BASE:-11000}
    for try in 1 2 3 4 5; do
        if RIG_SMTP_PORT=$((base + 25)) RIG_SUB_PORT=$((base + 587)) \
            RIG_SUBS_PORT=$((base + 465)) \
            timeout 120 "$root/tests/rig/mailrig.sh" start "$rig" > "$rig.log" 2>&1; then
            export SUBMITIFY_RIG=$rig
            break
        fi
        grep -q -e "already listens" -e "also took port" "$rig.log" || break
        base=$((base + 1000))
    done
    if [ -z "${SUBMITIFY_RIG:-}" ]; then
        echo "run.sh: the shared Postfix rig did not start:"
        cat "$rig.log"
    fi
fi
cleanup() {
    if [ -n "$rig" ]; then
        timeout 60 "$root/tests/rig/mailrig.sh" stop "$rig" >/dev/null 2>&1
        rm -rf "$rig" "$rig.log"
    fi
}
trap cleanup EXIT

# Each scenario's temporary directory is /tmp/submitify-NAME.RUN.XXXXXX
# (tests/lib/common.sh): RUN tells this run's processes from those of
# another run of the same scenario on the machine.
export SUBMITIFY_RUN_ID=$$
for t in "$here"/[0-9][0-9]-*.sh; do
    name=$(basename "$t" .sh)
    if [ -n "${TESTS:-}" ]; then
        case " $TESTS " in *" ${name%%-*} "*) ;; *) continue ;; esac
    fi
    log=$(mktemp /tmp/submitify-test.XXXXXX)
    start=$(date +%s)
    # A scenario may ask for more time: a "# time limit: N" line.
    tl=$(sed -n 's/^# time limit: \([0-9][0-9]*\)$/\1/p' "$t" | head -1)
    tl=${tl:-$limit}
    timeout --kill-after=10 "$tl" bash "$t" > "$log" 2>&1
    rc=$?
    # A warm helper outlives the program by design; one of this tree's
    # that the scenario did not stop (its programs ran without the
    # scenario's XDG_RUNTIME_DIR) is stopped here, by pid, before the
    # next scenario could be served by it.
    for pid in $(pgrep -f -- '--warm-serve '); do
        case $(readlink "/proc/$pid/exe" 2>/dev/null) in
        "$root"/*) kill "$pid" 2>/dev/null ;;
        esac
    done
    # Nothing a scenario started may outlive it: a process whose command
    # line names the scenario's temporary directory is a leak.  It fails
    # the scenario and is ended, by pid.
    # (Two seconds of grace, for one that was signalled but is still on
    # its way out.)
    for _ in $(seq 20); do
        left=$(pgrep -f "/tmp/submitify-$name\\.$SUBMITIFY_RUN_ID\\." | tr '\n' ' ')
        [ -n "$left" ] || break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        {
            echo "FAIL: $name: left running after it ended:"
            ps -o pid=,args= -p "$(echo $left | tr ' ' ',')" | cut -c1-200
        } >> "$log"
        # shellcheck disable=SC2086 # one pid a word
        kill $left 2>/dev/null
        [ $rc != 0 ] || rc=1
    fi
    secs=$(($(date +%s) - start))
    if [ $rc = 0 ]; then
        pass=$((pass + 1))
        echo "PASS $name (${secs}s)"
    elif [ $rc = 77 ] && [ "${CI:-}" != true ]; then
        skipped=$((skipped + 1))
        echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: [^:]*: //')"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        if [ $rc = 77 ]; then
            echo "FAIL $name: skipped in CI, where it must run"
        elif [ $rc = 124 ] || [ $rc = 137 ]; then
            echo "FAIL $name (timed out after ${tl}s)"
        else
            echo "FAIL $name (exit $rc)"
        fi
        sed 's/^/    /' "$log" | tail -40
    fi
    rm -f "$log"
done
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
