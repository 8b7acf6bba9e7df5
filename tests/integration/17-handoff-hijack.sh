#!/bin/bash
# 17-handoff-hijack: another uid must never get the helper's greeting,
# whatever options the program set on its socket (docs/SECURITY.md case 22).
#
# tests/bin/racer runs as nobody.  It watches sock_diag, as any user may,
# for the program's new handoff listeners and bound sockets, binds the
# program's port itself with SO_REUSEADDR, connects to the listener from it
# and from a port of its own, and counts every 220 it is given.  The
# program (and so its helper) runs as uid VICTIM, which nothing else on the
# machine uses, so no other listener can be taken for a handoff.
#   addr, port  ROUNDS sessions from sockets with SO_REUSEADDR, then with
#               SO_REUSEPORT: no greeting for the racer, every message
#               delivered, the option still set afterwards (case 14), and
#               no SYN of the program's ever dropped.
#   wild        the program bound its socket to 0.0.0.0 with SO_REUSEADDR
#               itself; PROBE_GATE (tests/bin/libprobe_dlsym.c) holds the
#               program's connect() until the racer, bound to 127.0.0.2 on
#               the program's port, is queued first at the listener.  The
#               helper must refuse it (it is not the program's socket, even
#               though its port is the program's) and serve the program.
# time limit: 240
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd setpriv
ROUNDS=${HIJACK_ROUNDS:-25}
tmp=$(mktmp)
ID=hijack-$$-$RANDOM
bad=0
failures=""
failed() { bad=$((bad + 1)); failures="$failures; $*"; echo "  $TEST_NAME: FAILED: $*"; }

# The racer must be runnable by nobody wherever the tree is.
cp "$TESTBIN/racer" "$tmp/racer"
chmod 755 "$tmp/racer"
mkdir -m 1777 "$tmp/out"
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$tmp/racer" ||
    fail "nobody cannot run the racer in $tmp"

# The program's side, as uid VICTIM: its own copies of the probe, the
# shim, the helper and the gate library, its configuration and its log.
VICTIM=${HIJACK_VICTIM_UID:-65533}
if getent passwd "$VICTIM" >/dev/null; then
    fail "uid $VICTIM is in use here; set HIJACK_VICTIM_UID to a free one"
fi
mkdir "$tmp/v"
cp "$TESTBIN/probe" "$TESTBIN/libprobe_dlsym.so" "$SHIM" "$HELPER" "$tmp/v/"
chmod 755 "$tmp/v" "$tmp/v"/*
rig_account logfile "$tmp/v/helper.log" | conf_file "$tmp/v/submit.conf"
: > "$tmp/v/helper.log"
chown "$VICTIM:$VICTIM" "$tmp/v/submit.conf" "$tmp/v/helper.log"
victim() {
    setpriv --reuid="$VICTIM" --regid="$VICTIM" --clear-groups \
        env HOME="$tmp/v" SUBMITIFY_CONF="$tmp/v/submit.conf" \
        SUBMITIFY_HELPER="$tmp/v/submitify-helper" "$@"
}

# start_racer NAME [GATE]: the racer as nobody, against uid VICTIM, for
# 200 s at most; RACER_PID, and $tmp/out/NAME its record once stopped.
start_racer() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$tmp/racer" hijack "$VICTIM" 200 "$tmp/out/$1" ${2:+"$2"} \
        </dev/null >"$tmp/racer-$1.err" 2>&1 &
    RACER_PID=$!
    on_exit "kill $RACER_PID 2>/dev/null"
    # Its first scan marks the listeners already there as servers.
    sleep 0.3
}
stop_racer() {
    kill -TERM "$RACER_PID" 2>/dev/null
    wait "$RACER_PID" 2>/dev/null
    wait_for_file "$tmp/out/$1" 10 || failed "$1: the racer left no record: $(cat "$tmp/racer-$1.err")"
    note "$1: racer: $(cat "$tmp/out/$1" 2>/dev/null)"
}
greeted() { sed -n 's/.* greeted=\([0-9]*\).*/\1/p' "$tmp/out/$1"; }
field() { sed -n "s/.* $2=\\([0-9]*\\).*/\\1/p; s/^$2=\\([0-9]*\\).*/\\1/p" "$tmp/out/$1"; }

for which in addr port; do
    start_racer "$which"
    victim env LD_PRELOAD="${SHIM_SAN:+$SHIM_SAN:}$tmp/v/libsubmitify.so" \
        timeout 150 "$tmp/v/probe" reuseopt 192.0.2.25 "$ID-$which" \
        "$which" "$ROUNDS" >"$tmp/$which.out" 2>&1 ||
        failed "$which: the program's checks failed: $(grep -E 'FAIL|reuse' "$tmp/$which.out" | tail -3)"
    stop_racer "$which"
    [ "$(greeted "$which")" = 0 ] ||
        failed "$which: the racer was greeted by a helper $(greeted "$which") time(s)"
    [ "$(field "$which" listeners)" -ge 1 ] 2>/dev/null ||
        failed "$which: the racer never saw a handoff listener"
    missing=0
    for ((k = 1; k <= ROUNDS; k++)); do
        "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$ID-$which.$k@probe.test" 20 \
            >/dev/null || missing=$((missing + 1))
    done
    [ "$missing" = 0 ] || failed "$which: $missing of $ROUNDS messages not delivered"
done

# wild: the racer is first at the listener, from the program's own port.
start_racer wild "$tmp/out/gate"
victim env LD_PRELOAD="${SHIM_SAN:+$SHIM_SAN:}$tmp/v/libprobe_dlsym.so:$tmp/v/libsubmitify.so" \
    PROBE_GATE="$tmp/out/gate" \
    timeout 60 "$tmp/v/probe" reuseopt 192.0.2.25 "$ID-wild" wild 1 \
    >"$tmp/wild.out" 2>&1 ||
    failed "wild: the program's session failed: $(grep -E 'FAIL|reuse' "$tmp/wild.out" | tail -3)"
stop_racer wild
[ -e "$tmp/out/gate" ] || failed "wild: the racer never reached the listener"
[ "$(greeted wild)" = 0 ] || failed "wild: the racer was greeted by the helper"
[ "$(field wild binds)" -ge 1 ] 2>/dev/null ||
    failed "wild: the racer could not bind the program's port (the case was not played)"
[ "$(field wild refused)" -ge 1 ] 2>/dev/null ||
    failed "wild: the helper did not close the racer's connection unanswered"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "$ID-wild.1@probe.test" 20 >/dev/null ||
    failed "wild: the program's message did not arrive"
grep -q "refused .* at the handoff listener: not the program's socket" \
    "$tmp/v/helper.log" || failed "wild: no \"refused ... not the program's socket\" in the helper's log"

[ "$bad" = 0 ] || fail "$bad failure(s)$failures"
echo "PASS: $TEST_NAME"
