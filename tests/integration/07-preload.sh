#!/bin/bash
# Without the wrapper: LD_PRELOAD and SUBMITIFY_CONF, as the README shows.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
rig_account | conf_file "$tmp/submit.conf"
id=$$.$RANDOM
env -u SUBMITIFY_HELPER LD_PRELOAD="$SHIM_PRELOAD" SUBMITIFY_CONF="$tmp/submit.conf" \
    timeout 30 "$TESTBIN/smtpclient" -q -i "pre-$id@test" 192.0.2.10 ||
    fail "not served through LD_PRELOAD alone"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "pre-$id@test" 20 >/dev/null ||
    fail "not delivered"
# SUBMITIFY_PORTS moves the interception to another port; 25 is then left alone.
LD_PRELOAD="$SHIM_PRELOAD" SUBMITIFY_CONF="$tmp/submit.conf" SUBMITIFY_PORTS=2525 \
    timeout 30 "$TESTBIN/smtpclient" -q -p 2525 -i "p2525-$id@test" 192.0.2.10 ||
    fail "port 2525 not intercepted"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "p2525-$id@test" 20 >/dev/null ||
    fail "2525: not delivered"
LD_PRELOAD="$SHIM_PRELOAD" SUBMITIFY_CONF="$tmp/submit.conf" SUBMITIFY_PORTS=2525 \
    timeout 30 "$TESTBIN/smtpclient" -q -p 25 127.0.0.1 > "$tmp/out" 2>&1
[ $? = 2 ] || fail "port 25 was intercepted with SUBMITIFY_PORTS=2525: $(cat "$tmp/out")"
# intercept_ports in the defaults section: the wrapper passes it on.
{ printf 'defaults\nintercept_ports 2525,2526\n\n'; rig_account; } |
    conf_file "$tmp/ports.conf"
timeout 30 "$SUBMITIFY" -c "$tmp/ports.conf" -- "$TESTBIN/smtpclient" -q -p 2526 \
    -i "p2526-$id@test" 192.0.2.10 || fail "intercept_ports 2526 not intercepted"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "p2526-$id@test" 20 >/dev/null ||
    fail "2526: not delivered"
timeout 30 "$SUBMITIFY" -c "$tmp/ports.conf" -- "$TESTBIN/smtpclient" -q -p 25 \
    127.0.0.1 > "$tmp/out" 2>&1
[ $? = 2 ] || fail "port 25 was intercepted with intercept_ports 2525,2526"
note "LD_PRELOAD alone delivers; SUBMITIFY_PORTS and intercept_ports decide what is taken"
