#!/bin/bash
# tls_crl_file, tls_priorities and tls_min_dh_prime_bits.
# A CRL that revokes the rig's server certificate: 421 naming it, and the
# server sees no AUTH; a CRL that revokes nothing: delivered.
# tls_priorities narrowing to TLS 1.3 or to 1.2: --check shows that
# version; SECURE256 against a server with 128-bit ciphers only, and TLS
# 1.3 only against a TLS 1.2 server: refused, where NORMAL delivers; a part
# that cannot be honoured: a file:line error naming the key.
# tls_min_dh_prime_bits against a DHE-only TLS 1.2 server with a 2048-bit
# prime: 3072 refused (before AUTH), three times with the warm helper (no
# session of the refused handshake resumed), 2048 delivered.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3 openssl
tmp=$(mktmp)
certs=$(dirname "$RIG_CA")
[ -s "$certs/crl-server.pem" ] && [ -s "$certs/crl-none.pem" ] ||
    fail "the rig's certificates have no CRLs (tests/rig/certs.sh)"
id=$$.$RANDOM

check() { # NAME EXPECTED-EXIT
    timeout 60 "$SUBMITIFY" -c "$tmp/$1.conf" --check > "$tmp/$1.check" 2>&1
    local rc=$?
    [ $rc = "$2" ] || fail "$1: --check exit $rc, expected $2: $(cat "$tmp/$1.check")"
}

# --- tls_crl_file, against Postfix ---
# carol logs in only here: any AUTH of hers in the server's logs is ours.
carol=("user carol" "password $RIG_CAROL_PASS")
logins() {
    cat "$RIG_MAILLOG" "$RIG_DOVECOT_LOG" 2>/dev/null | grep -c "carol"
}
before=$(logins)
localhost_account "$tmp" revoked "$RIG_SUB_PORT" "${carol[@]}" "tls_crl_file $certs/crl-server.pem"
send_one "$tmp" revoked "$id" 1
expect_421 "$tmp/revoked.out" "421 4.7.0 submitify: localhost:$RIG_SUB_PORT: TLS certificate not trusted: certificate revoked"
check revoked 76
assert_contains "$tmp/revoked.check" "verification: FAILED: TLS certificate not trusted: certificate revoked"
sleep 1
[ "$(logins)" = "$before" ] || fail "revoked: the server saw carol's AUTH"
[ "$("$RIG" count-mail "$SUBMITIFY_RIG" bob "revoked-$id@test")" = 0 ] ||
    fail "revoked: delivered"

localhost_account "$tmp" clean "$RIG_SUB_PORT" "${carol[@]}" "tls_crl_file $certs/crl-none.pem"
send_one "$tmp" clean "$id" 0
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "clean-$id@test" > /dev/null ||
    fail "clean: not delivered"

# A file without a CRL: 421 naming it.
localhost_account "$tmp" notcrl "$RIG_SUB_PORT" "${carol[@]}" "tls_crl_file $RIG_CA"
send_one "$tmp" notcrl "$id" 1
expect_421 "$tmp/notcrl.out" "421 4.3.5 submitify: cannot load tls_crl_file"
assert_contains "$tmp/notcrl.out" "$RIG_CA"

# --- tls_priorities ---
localhost_account "$tmp" tls13 "$RIG_SUB_PORT" "${carol[@]}" "tls_priorities NORMAL:-VERS-ALL:+VERS-TLS1.3"
check tls13 0
assert_contains "$tmp/tls13.check" "TLS: TLSv1.3,"
localhost_account "$tmp" tls12 "$RIG_SUB_PORT" "${carol[@]}" "tls_priorities NORMAL:-VERS-TLS1.3"
check tls12 0
assert_contains "$tmp/tls12.check" "TLS: TLSv1.2,"
send_one "$tmp" tls12 "$id" 0

# A TLS 1.2 server with 128-bit ciphers only.
scripted_start "$tmp" aes128 --mode starttls --cert "$certs/server.pem" \
    --key "$certs/server.key" --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 \
    --users alice:alice-pw --spool "$tmp/spool"
AES_PORT=$SCRIPTED_PORT
login=("user alice" "password alice-pw")
localhost_account "$tmp" normal "$AES_PORT" "${login[@]}" "tls_priorities NORMAL"
send_one "$tmp" normal "$id" 0
localhost_account "$tmp" sec256 "$AES_PORT" "${login[@]}" "tls_priorities SECURE256"
send_one "$tmp" sec256 "$id" 1
expect_421 "$tmp/sec256.out" "421 4.7.0 submitify: localhost:$AES_PORT: TLS handshake failed"
localhost_account "$tmp" only13 "$AES_PORT" "${login[@]}" "tls_priorities PFS:-VERS-TLS1.2"
send_one "$tmp" only13 "$id" 1
expect_421 "$tmp/only13.out" "TLS handshake failed"
[ "$(scripted_auths "$tmp/aes128.record" 1)" = "PLAIN:235" ] || fail "normal: no AUTH"
[ "$(scripted_auths "$tmp/aes128.record" 3)$(scripted_auths "$tmp/aes128.record" 2)" = "" ] ||
    fail "AUTH after a refused handshake"
grep -rqs "normal-$id@test" "$tmp/spool" || fail "normal: not delivered"

# What cannot be honoured: file:line, the key, the part.
localhost_account "$tmp" badprio "$RIG_SUB_PORT" "${carol[@]}" "tls_priorities NORMAL:+VERS-TLS1.1"
timeout 30 "$SUBMITIFY" -c "$tmp/badprio.conf" --check-config > "$tmp/badprio.out" 2>&1
[ $? = 78 ] || fail "badprio: accepted"
assert_contains "$tmp/badprio.out" "badprio.conf:7: tls_priorities: \"+VERS-TLS1.1\" cannot be honoured"
localhost_account "$tmp" badprio2 "$RIG_SUB_PORT" "${carol[@]}" "tls_priorities NONE:+VERS-TLS1.3:+AES-128-GCM"
timeout 30 "$SUBMITIFY" -c "$tmp/badprio2.conf" -- true > "$tmp/badprio2.out" 2>&1
[ $? = 78 ] || fail "badprio2: the wrapper ran the program"
assert_contains "$tmp/badprio2.out" "badprio2.conf:7: tls_priorities: \"NONE\" cannot be honoured"

# --- tls_min_dh_prime_bits: a DHE-only TLS 1.2 server, 2048-bit prime ---
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/rsa.key" -subj /CN=localhost \
    -out "$tmp/rsa.csr" 2> /dev/null || fail "csr"
printf 'subjectAltName=DNS:localhost\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/rsa.csr" -CA "$RIG_CA" -CAkey "$certs/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 -extfile "$tmp/ext" \
    -out "$tmp/rsa.pem" 2> /dev/null || fail "sign"
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$tmp/dh.pem" ||
    fail "dh params"
scripted_start "$tmp" dhe --mode starttls --cert "$tmp/rsa.pem" --key "$tmp/rsa.key" \
    --tls-max 1.2 --dh-params "$tmp/dh.pem" --ciphers DHE-RSA-AES128-GCM-SHA256 \
    --users alice:alice-pw --spool "$tmp/dhspool"
DH_PORT=$SCRIPTED_PORT
# Refused every time, warm too: a TLS 1.2 session of the refused
# handshake is never kept, so no later session resumes it (an abbreviated
# handshake has no key exchange to check).
localhost_account "$tmp" dh3072 "$DH_PORT" "${login[@]}" "tls_min_dh_prime_bits 3072" \
    "logfile $tmp/dh3072.log"
for i in 1 2 3; do
    send_one "$tmp" dh3072 "$id" 1
    expect_421 "$tmp/dh3072.out" "421 4.7.0 submitify: localhost:$DH_PORT: TLS: the server's Diffie-Hellman prime has 2048 bits, fewer than tls_min_dh_prime_bits 3072"
    [ "$(scripted_auths "$tmp/dhe.record" "$i")" = "" ] || fail "dh3072 #$i: AUTH was sent"
done
grep -rqs "dh3072-$id@test" "$tmp/dhspool" && fail "dh3072: delivered"
for _ in $(seq 50); do
    [ "$(grep -sc ' warm=' "$tmp/dh3072.log")" -ge 3 ] && break
    sleep 0.1
done
[ "$(grep -sc ' warm=' "$tmp/dh3072.log")" = 3 ] || fail "dh3072: not 3 log lines: $(cat "$tmp/dh3072.log")"
grep -q ' resumed=yes' "$tmp/dh3072.log" && fail "dh3072: a refused session was resumed: $(cat "$tmp/dh3072.log")"
[ "${SUBMITIFY_WARM:-}" = 0 ] || sed -n 2,3p "$tmp/dh3072.log" | grep -c ' warm=yes ' | grep -qx 2 ||
    fail "dh3072: the second and third sessions were not warm: $(cat "$tmp/dh3072.log")"
localhost_account "$tmp" dh2048 "$DH_PORT" "${login[@]}" "tls_min_dh_prime_bits 2048"
send_one "$tmp" dh2048 "$id" 0
grep -rqs "dh2048-$id@test" "$tmp/dhspool" || fail "dh2048: not delivered"
check dh2048 0
assert_contains "$tmp/dh2048.check" "TLS: TLSv1.2, cipher DHE-RSA-AES128-GCM-SHA256"
note "CRL revoking: refused before AUTH; clean CRL: delivered; priorities narrow (1.3, 1.2, SECURE256); DH prime floor"
