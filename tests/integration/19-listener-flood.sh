#!/bin/bash
# 19-listener-flood: another uid that floods each new handoff listener
# with connections must cost the program nothing: not the message, not
# the session, and not a dropped SYN (docs/SECURITY.md case 23).
# tests/bin/racer, as nobody, watches sock_diag for the program's (root's)
# new listeners and opens up to 2000 connections to each; the program
# runs ROUNDS sessions, and for each one TCP_INFO must show that its SYN
# was never sent twice (a full listen queue drops it, and the kernel
# sends it again a second later).
# time limit: 200
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd setpriv
ROUNDS=${FLOOD_ROUNDS:-20}
tmp=$(mktmp)
ID=flood-$$-$RANDOM
cp "$TESTBIN/racer" "$tmp/racer"
chmod 755 "$tmp/racer"
mkdir -m 1777 "$tmp/out"
rig_account | conf_file "$tmp/submit.conf"

setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$tmp/racer" flood 0 150 "$tmp/out/flood" </dev/null >"$tmp/racer.err" 2>&1 &
racer=$!
on_exit "kill $racer 2>/dev/null"
sleep 0.3
env LD_PRELOAD="$SHIM_PRELOAD" SUBMITIFY_CONF="$tmp/submit.conf" \
    timeout 150 "$TESTBIN/probe" reuseopt 192.0.2.25 "$ID" none "$ROUNDS" \
    >"$tmp/probe.out" 2>&1
rc=$?
kill -TERM "$racer" 2>/dev/null
wait "$racer" 2>/dev/null
wait_for_file "$tmp/out/flood" 10 || fail "the racer left no record: $(cat "$tmp/racer.err")"
note "racer: $(cat "$tmp/out/flood")"
grep -E '^(FAIL|ok   - reusenone:)' "$tmp/probe.out" | sed 's/^/  /'
[ "$rc" = 0 ] || fail "the program's sessions were not all clean (see above)"
n=$(sed -n 's/^listeners=\([0-9]*\).*/\1/p' "$tmp/out/flood")
c=$(sed -n 's/.* connections=\([0-9]*\).*/\1/p' "$tmp/out/flood")
[ "${n:-0}" -ge 1 ] && [ "${c:-0}" -ge 1 ] ||
    fail "the racer never flooded a listener (the case was not played)"
missing=0
for ((k = 1; k <= ROUNDS; k++)); do
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$ID.$k@probe.test" 20 >/dev/null ||
        missing=$((missing + 1))
done
[ "$missing" = 0 ] || fail "$missing of $ROUNDS messages not delivered"
echo "PASS: $TEST_NAME"
