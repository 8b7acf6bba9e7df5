#!/bin/bash
# 18-init-signal: a signal handler that calls connect() while the
# process's first connect() is initialising the shim must neither wait
# forever nor crash (docs/SECURITY.md case 26).  `probe siginit` arms a
# real-time interval timer (SIGALRM every 30 us) whose handler calls
# connect() (to port 9, so the handler exercises the initialisation, not a
# handoff); each run is a fresh process, so each one initialises the
# shim under the signals.  RUNS runs, 10 s each at most.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
RUNS=${SIGINIT_RUNS:-30}
[ -x "$TESTBIN/probe" ] || fail "tests/bin/probe is not built"
tmp=$(mktmp)
hung=0
failedruns=0
for ((i = 1; i <= RUNS; i++)); do
    env LD_PRELOAD="$SHIM_PRELOAD" SUBMITIFY_CONF=/dev/null \
        timeout --kill-after=2 10 "$TESTBIN/probe" siginit \
        >"$tmp/run.out" 2>&1
    rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        hung=$((hung + 1))
    elif [ "$rc" != 0 ]; then
        failedruns=$((failedruns + 1))
        sed 's/^/  /' "$tmp/run.out" | tail -3
    fi
done
note "$RUNS runs: $hung hung, $failedruns failed"
[ "$hung" = 0 ] || fail "$hung of $RUNS runs hung in the shim's initialisation"
[ "$failedruns" = 0 ] || fail "$failedruns of $RUNS runs failed"
echo "PASS: $TEST_NAME"
