#!/bin/bash
# Port 465: implicit TLS (tls_starttls off), against Postfix in wrapper mode.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
conf_file "$tmp/submit.conf" <<CONF
account smtps
host localhost
port $RIG_SUBS_PORT
tls_starttls off
tls_trust_file $RIG_CA
user alice
password $RIG_ALICE_PASS
CONF
id=$$.$RANDOM
timeout 30 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" -q \
    -i "smtps-$id@test" 192.0.2.10 || fail "the client was not served"
f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<smtps-$id@test>" 20) ||
    fail "the message did not arrive"
grep -q "with ESMTPSA" "$f" || fail "not ESMTPSA"
note "delivered over implicit TLS on $RIG_SUBS_PORT"
