#!/bin/bash
# A certificate that does not verify (unknown CA; pin mismatch): refused
# before AUTH, so the server never sees a login attempt, and the program
# is greeted 421 naming the cause.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
id=$$.$RANDOM
before=$(grep -c "sasl_method" "$RIG_MAILLOG" || true)
authlog=$(grep -c "alice" "$RIG_DOVECOT_LOG" || true)

try() {
    local name=$1 code=$2 expect=$3
    timeout 30 "$SUBMITIFY" -c "$tmp/$name.conf" -- "$TESTBIN/smtpclient" \
        -i "$name-$id@test" 192.0.2.10 > "$tmp/$name.out" 2>&1
    [ $? = 1 ] || fail "$name: the client was not refused: $(cat "$tmp/$name.out")"
    assert_contains "$tmp/$name.out" "<- 421 $code submitify: "
    assert_contains "$tmp/$name.out" "$expect"
    note "$name: $(grep -m1 '<- 421' "$tmp/$name.out")"
}
conf_file "$tmp/ca.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_DIR/certs/other-ca.pem
user alice
password $RIG_ALICE_PASS
CONF
try ca 4.7.0 "TLS certificate not trusted"
conf_file "$tmp/pin.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
user alice
password $RIG_ALICE_PASS
CONF
try pin 4.7.0 "fingerprint does not match"
conf_file "$tmp/empty.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_trust_file $tmp/empty.pem
user alice
password $RIG_ALICE_PASS
CONF
: > "$tmp/empty.pem"
try empty 4.3.5 "cannot load tls_trust_file"

sleep 1
after=$(grep -c "sasl_method" "$RIG_MAILLOG" || true)
[ "$before" = "$after" ] || fail "Postfix logged an AUTH ($before -> $after)"
authlog2=$(grep -c "alice" "$RIG_DOVECOT_LOG" || true)
[ "$authlog" = "$authlog2" ] || fail "Dovecot saw a login for alice"
for n in ca pin empty; do
    [ "$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$n-$id@test")" = 0 ] ||
        fail "$n: delivered"
done

# The right pin is trusted instead of the chain (no trust file needed).
conf_file "$tmp/goodpin.conf" <<CONF
account rig
host localhost
port $RIG_SUB_PORT
tls_fingerprint $(cat "$RIG_DIR/certs/server.sha256")
user alice
password $RIG_ALICE_PASS
CONF
timeout 30 "$SUBMITIFY" -c "$tmp/goodpin.conf" -- "$TESTBIN/smtpclient" -q \
    -i "goodpin-$id@test" 192.0.2.10 || fail "the right pin was refused"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "goodpin-$id@test" 20 >/dev/null ||
    fail "pinned: not delivered"
note "no AUTH reached the server; the matching pin delivers"
