#!/bin/bash
# submitify --check against the real server: a working account, a wrong
# password, a wrong port and an untrusted certificate, each with the output
# a person needs and a <sysexits.h> exit code.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
check() { # NAME EXPECTED-EXIT
    timeout 60 "$SUBMITIFY" -c "$tmp/$1.conf" --check > "$tmp/$1.out" 2>&1
    local rc=$?
    [ $rc = "$2" ] || fail "$1: exit $rc, expected $2: $(cat "$tmp/$1.out")"
}
account() { # NAME PORT TRUST PASSWORD [extra line]
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $2
tls_trust_file $3
user alice
password $4
${5:-}
CONF
}

account good "$RIG_SUB_PORT" "$RIG_CA" "$RIG_ALICE_PASS"
check good 0
# In order: greeting, TLS, certificate, verification, AUTH, QUIT.
grep -E '^(greeting|TLS|subject|issuer|valid from|valid until|sha256 fingerprint|verification|AUTH offered after TLS|AUTH chosen|AUTH result|QUIT|result):' \
    "$tmp/good.out" | cut -d: -f1 | uniq | tr '\n' ',' > "$tmp/order"
[ "$(cat "$tmp/order")" = "greeting,TLS,subject,issuer,valid from,valid until,sha256 fingerprint,verification,AUTH offered after TLS,AUTH chosen,AUTH result,QUIT,result," ] ||
    fail "steps out of order: $(cat "$tmp/order")"
assert_contains "$tmp/good.out" "verification: ok: chain trusted and host name matches"
assert_contains "$tmp/good.out" "AUTH result: 235"
assert_contains "$tmp/good.out" "result: OK"
assert_not_contains "$tmp/good.out" "$RIG_ALICE_PASS"

account badpass "$RIG_SUB_PORT" "$RIG_CA" "wrong-password"
check badpass 77
assert_contains "$tmp/badpass.out" "AUTH result: 535"
assert_contains "$tmp/badpass.out" "hint: the server refused these credentials"
assert_not_contains "$tmp/badpass.out" "wrong-password"

# Nothing listens there.
account noport 1 "$RIG_CA" "$RIG_ALICE_PASS"
check noport 69
assert_contains "$tmp/noport.out" "cannot connect to localhost:1: Connection refused"
assert_contains "$tmp/noport.out" "hint: check host and port"
# The implicit-TLS port with STARTTLS settings: the server waits for TLS.
account tlsport "$RIG_SUBS_PORT" "$RIG_CA" "$RIG_ALICE_PASS" "timeout 3"
check tlsport 75
assert_contains "$tmp/tlsport.out" "use tls_starttls off there"

account untrusted "$RIG_SUB_PORT" "$RIG_DIR/certs/other-ca.pem" "$RIG_ALICE_PASS"
check untrusted 76
assert_contains "$tmp/untrusted.out" "verification: FAILED: TLS certificate not trusted"
assert_contains "$tmp/untrusted.out" "hint: the server's certificate is not trusted"
assert_not_contains "$tmp/untrusted.out" "AUTH chosen"
# The fingerprint shown is the one to pin, and pinning it works.
fp=$(sed -n 's/^sha256 fingerprint: //p' "$tmp/untrusted.out")
[ "$fp" = "$(cat "$RIG_DIR/certs/server.sha256")" ] || fail "wrong fingerprint shown: $fp"
account pinned "$RIG_SUB_PORT" "$RIG_DIR/certs/other-ca.pem" "$RIG_ALICE_PASS" "tls_fingerprint $fp"
check pinned 0
assert_contains "$tmp/pinned.out" "verification: ok: the certificate matches tls_fingerprint"

# -v adds the transcript, with AUTH redacted.
timeout 60 "$SUBMITIFY" -c "$tmp/good.conf" --check -v > "$tmp/v.out" 2>&1 || fail "-v"
assert_contains "$tmp/v.out" "-> EHLO"
assert_contains "$tmp/v.out" "(credentials, not shown)"
assert_not_contains "$tmp/v.out" "$RIG_ALICE_PASS"
note "good 0, wrong password 77, wrong port 69/75, untrusted 76, pinned 0"
