#!/bin/bash
# tls_legacy: an old server whose certificate has a 1024-bit RSA key.
# OpenSSL 3 at Debian's security level refuses it, and the 421 names
# tls_legacy; with `tls_legacy on` the same server works (TLS 1.2 or later
# all the same).
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
c=$tmp/certs
openssl req -new -newkey rsa:1024 -nodes -keyout "$tmp/old.key" -subj /CN=localhost \
    -out "$tmp/old.csr" 2> /dev/null || fail "csr"
printf 'subjectAltName=DNS:localhost\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/old.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$tmp/ext" -out "$tmp/old.pem" 2> /dev/null ||
    fail "sign"
scripted_start "$tmp" old --mode starttls --cert "$tmp/old.pem" --key "$tmp/old.key" \
    --seclevel 0 --users alice:old-pw --spool "$tmp/spool"
account() { # NAME [extra]
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $SCRIPTED_PORT
tls_trust_file $c/ca.pem
user alice
password old-pw
${2:-}
CONF
}
account strict
account legacy "tls_legacy on"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/strict.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "strict@test" 192.0.2.33 > "$tmp/strict.out" 2>&1
[ $? = 1 ] || fail "the 1024-bit key was accepted without tls_legacy"
assert_contains "$tmp/strict.out" "421 4.7.0 submitify: "
assert_contains "$tmp/strict.out" "tls_legacy on may help"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/legacy.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "legacy@test" 192.0.2.33 > "$tmp/legacy.out" 2>&1 ||
    fail "tls_legacy on did not reach the old server: $(cat "$tmp/legacy.out")"
note "refused by default ($(grep -o 'submitify: .*' "$tmp/strict.out" | head -1)); accepted with tls_legacy on"
