#!/bin/bash
# A wrong password: the program is greeted 421 with the reason, keeps the
# message (no 250, nothing delivered), and the failure is logged once.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
conf_file "$tmp/submit.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA
user alice
password not-the-password
CONF
id=$$.$RANDOM
timeout 30 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" \
    -i "wrong-$id@test" 192.0.2.10 > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc = 1 ] || fail "client exit $rc, expected 1 (refused): $(cat "$tmp/out" "$tmp/err")"
assert_contains "$tmp/out" "<- 421 4.7.0 submitify: authentication as alice with PLAIN failed: 535"
assert_not_contains "$tmp/out" "<- 220"
# The helper's one line, on the stderr the program started with.
assert_contains "$tmp/err" "error=authentication as alice"
assert_not_contains "$tmp/err" "not-the-password"
sleep 1
n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "wrong-$id@test")
[ "$n" = 0 ] || fail "$n messages delivered"
note "421 with the server's 535, nothing delivered"
