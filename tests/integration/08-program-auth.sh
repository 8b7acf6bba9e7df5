#!/bin/bash
# An account without user: the program's own AUTH is relayed over TLS, and
# without it the refusal the program sees is the server's own reply.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
conf_file "$tmp/submit.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA
CONF
id=$$.$RANDOM
timeout 30 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" \
    -a "alice:$RIG_ALICE_PASS" -i "own-$id@test" 192.0.2.10 > "$tmp/out" 2>&1 ||
    fail "the program's own AUTH did not work: $(cat "$tmp/out")"
f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "own-$id@test" 20) || fail "not delivered"
grep -q "with ESMTPSA" "$f" || fail "not ESMTPSA"
timeout 30 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" \
    -i "noauth-$id@test" 192.0.2.10 > "$tmp/out2" 2>&1
[ $? = 1 ] || fail "delivered without AUTH?"
grep -q "^<- 5" "$tmp/out2" || fail "the refusal was not the server's 5xx: $(cat "$tmp/out2")"
assert_not_contains "$tmp/out2" "submitify:"
note "the program's AUTH relayed; the server's own refusal reaches it"
