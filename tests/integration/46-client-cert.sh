#!/bin/bash
# tls_cert_file/tls_key_file and auth external.
# Postfix's submission port that requires a client certificate
# (smtpd_tls_req_ccert): with the account's certificate the message is
# delivered; without one, or with one of another CA, the program gets a 421
# naming the cause and nothing is delivered.  A key that is not the
# certificate's, or a key file others may read, is a 421 naming the file,
# and --check says so; --check names the certificate it sent.
# AUTH EXTERNAL against the scripted server (Postfix does not hand the
# certificate to Dovecot): accepted, delivered; refused, a 421 with no other
# mechanism tried; not offered, a 421 naming it.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3 openssl
tmp=$(mktmp)
certs=$(dirname "$RIG_CA")
[ -s "$certs/client.pem" ] && [ -n "${RIG_SUBCC_PORT:-}" ] ||
    fail "the rig has no client certificate or no port requiring one (tests/rig/certs.sh, mailrig.sh)"
id=$$.$RANDOM

rig_login=("user alice" "password $RIG_ALICE_PASS")
client=("tls_cert_file $certs/client.pem" "tls_key_file $certs/client.key")

# send NAME EXPECTED-EXIT: one message through submitify, to port 25.
send() {
    send_one "$tmp" "$1" "$id" "$2"
    # The key is never shown, whatever happened.
    assert_not_contains "$tmp/$1.out" "PRIVATE KEY"
    assert_not_contains "$tmp/$1.err" "PRIVATE KEY"
    assert_not_contains "$tmp/$1.err" "$(sed -n 2p "$certs/client.key")"
}

# --- Postfix requires a client certificate ---
localhost_account "$tmp" cc "$RIG_SUBCC_PORT" "${rig_login[@]}" "${client[@]}"
send cc 0
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "cc-$id@test" > /dev/null ||
    fail "cc: not delivered"

localhost_account "$tmp" nocert "$RIG_SUBCC_PORT" "${rig_login[@]}"
send nocert 1
expect_421 "$tmp/nocert.out" "submitify: "
assert_contains "$tmp/nocert.out" "certificate"

cp "$certs/other-client.pem" "$tmp/other.pem"
install -m 600 "$certs/other-client.key" "$tmp/other.key"
localhost_account "$tmp" otherca "$RIG_SUBCC_PORT" "${rig_login[@]}" \
    "tls_cert_file $tmp/other.pem" "tls_key_file $tmp/other.key"
send otherca 1
expect_421 "$tmp/otherca.out" "submitify: "

# The key of another certificate: refused before anything is sent.
localhost_account "$tmp" wrongkey "$RIG_SUBCC_PORT" "${rig_login[@]}" \
    "tls_cert_file $certs/client.pem" "tls_key_file $certs/server.key"
send wrongkey 1
expect_421 "$tmp/wrongkey.out" "421 4.3.5 submitify: tls_key_file $certs/server.key: not the key of tls_cert_file $certs/client.pem"

# A key file others may read: refused, naming it.
install -m 644 "$certs/client.key" "$tmp/open.key"
localhost_account "$tmp" openkey "$RIG_SUBCC_PORT" "${rig_login[@]}" \
    "tls_cert_file $certs/client.pem" "tls_key_file $tmp/open.key"
send openkey 1
expect_421 "$tmp/openkey.out" "tls_key_file $tmp/open.key: others may access it"

# An unreadable certificate file.
localhost_account "$tmp" nofile "$RIG_SUBCC_PORT" "${rig_login[@]}" \
    "tls_cert_file $tmp/missing.pem" "tls_key_file $certs/client.key"
send nofile 1
expect_421 "$tmp/nofile.out" "cannot load tls_cert_file (No such file or directory)"
assert_contains "$tmp/nofile.out" "$tmp/missing.pem"
for n in nocert otherca wrongkey openkey nofile; do
    nothing_delivered "$n"
done

# --check: the certificate sent, or the file that failed (exit 78).
timeout 60 "$SUBMITIFY" -c "$tmp/cc.conf" --check > "$tmp/check-cc.out" 2>&1 ||
    fail "--check cc: $(cat "$tmp/check-cc.out")"
assert_contains "$tmp/check-cc.out" "client certificate: /CN=client.test ($certs/client.pem)"
# The plain submission port asks for none.
localhost_account "$tmp" plain "$RIG_SUB_PORT" "${rig_login[@]}" "${client[@]}"
timeout 60 "$SUBMITIFY" -c "$tmp/plain.conf" --check > "$tmp/check-plain.out" 2>&1 ||
    fail "--check plain: $(cat "$tmp/check-plain.out")"
assert_contains "$tmp/check-plain.out" "client certificate: not asked for by the server"
timeout 60 "$SUBMITIFY" -c "$tmp/wrongkey.conf" --check > "$tmp/check-wk.out" 2>&1
rc=$?
[ $rc = 78 ] || fail "--check wrongkey: exit $rc, expected 78: $(cat "$tmp/check-wk.out")"
assert_contains "$tmp/check-wk.out" "not the key of tls_cert_file"
# The pair, or an error naming the missing one.
localhost_account "$tmp" half "$RIG_SUBCC_PORT" "${rig_login[@]}" "tls_cert_file $certs/client.pem"
timeout 30 "$SUBMITIFY" -c "$tmp/half.conf" --check-config > "$tmp/half.out" 2>&1
rc=$?
[ $rc = 78 ] || fail "half: exit $rc, expected 78"
assert_contains "$tmp/half.out" "half.conf:1: account half: tls_cert_file needs tls_key_file"

# --- AUTH EXTERNAL against the scripted server ---
scripted_start "$tmp" ext --mode starttls --cert "$certs/server.pem" \
    --key "$certs/server.key" --client-ca "$RIG_CA" --users alice:alice-pw \
    --auth-mechs "PLAIN LOGIN EXTERNAL" --spool "$tmp/spool"
EXT_PORT=$SCRIPTED_PORT
EXT_REC=$tmp/ext.record
localhost_account "$tmp" ext "$EXT_PORT" "auth external" "${client[@]}"
send ext 0
[ "$(scripted_auths "$EXT_REC" 1)" = "EXTERNAL:235" ] || fail "ext: AUTH was: $(scripted_auths "$EXT_REC" 1)"
grep -rqs "ext-$id@test" "$tmp/spool" || fail "ext: not delivered"
grep -q '"authzid": ""' "$EXT_REC" || fail "ext: the identity was not empty (=)"

# The server refuses the identity asked for: 421, and neither PLAIN nor
# LOGIN follows, though both are offered and a password is there.
localhost_account "$tmp" extno "$EXT_PORT" "auth external" "${client[@]}" "user bob" "password alice-pw"
send extno 1
expect_421 "$tmp/extno.out" "421 4.7.0 submitify: authentication as bob with EXTERNAL failed: 535"
[ "$(scripted_auths "$EXT_REC" 2)" = "EXTERNAL:535" ] || fail "extno: AUTH was: $(scripted_auths "$EXT_REC" 2)"
grep -rqs "extno-$id@test" "$tmp/spool" && fail "extno: delivered"

# A server that does not offer EXTERNAL: 421 naming it, no AUTH at all.
scripted_start "$tmp" noext --mode starttls --cert "$certs/server.pem" \
    --key "$certs/server.key" --client-ca "$RIG_CA" --users alice:alice-pw \
    --auth-mechs "PLAIN LOGIN" --spool "$tmp/spool2"
localhost_account "$tmp" noext "$SCRIPTED_PORT" "auth external" "${client[@]}" "user alice" "password alice-pw"
send noext 1
expect_421 "$tmp/noext.out" "does not offer AUTH EXTERNAL"
[ "$(scripted_auths "$tmp/noext.record" 1)" = "" ] || fail "noext: AUTH was tried"

# auth external without a certificate: a configuration error naming it.
localhost_account "$tmp" extnocert "$EXT_PORT" "auth external"
timeout 30 "$SUBMITIFY" -c "$tmp/extnocert.conf" --check-config > "$tmp/extnocert.out" 2>&1
[ $? = 78 ] || fail "extnocert: accepted"
assert_contains "$tmp/extnocert.out" "auth external needs a client certificate"
note "client certificate required by Postfix: delivered with it, 421 without; EXTERNAL accepted, refused and absent"
