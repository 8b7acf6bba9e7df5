#!/bin/bash
# AUTH mechanism choice and fallback against the real Postfix + Dovecot
# (docs/DESIGN.md, "AUTH"): dave's password is stored as a SHA512-CRYPT
# hash, so Dovecot offers SCRAM-SHA-256 and CRAM-MD5 but cannot do them for
# him.  With "auth on" submitify takes msmtp's order over TLS (PLAIN first)
# and, where PLAIN is not offered, goes on to the next offered mechanism
# after a refusal.  A mechanism the account names is never replaced, and a
# wrong password is not tried with every mechanism once PLAIN or LOGIN has
# been refused with 535 (servers ban after failed logins).  carol's
# password is not ASCII: SCRAM-SHA-256 would need SASLprep, so submitify
# does not try it, and says so as a step of the fallback.  Each session has
# an AUTH memory of its own (49 tests the memory), so that every one starts
# from msmtp's order.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd msmtp
tmp=$(mktmp)
id=$$.$RANDOM

# dave_conf FILE PORT PASSWORD [KEY VALUE]...
dave_conf() {
    local f=$1 port=$2 pw=$3
    shift 3
    {
        printf 'account d\nhost localhost\nport %s\ntls_trust_file %s\n' \
            "$port" "$RIG_CA"
        printf 'user dave\npassword %s\nlogfile %s\n' "$pw" "$f.log"
        conf_lines "$@"
    } | conf_file "$f"
}
send() { # CONF MSGID
    XDG_STATE_HOME=$1.state timeout 60 "$SUBMITIFY" -c "$1" -- \
        "$TESTBIN/smtpclient" -i "$2" 192.0.2.10 > "$1.out" 2> "$1.err"
}
arrived() {
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1>" 20 > /dev/null ||
        fail "$1 did not arrive: $(tail -3 "$2.out")"
}
# Postfix's log lines about dave's logins since mark (a line count).
mark() { wc -l < "$RIG_MAILLOG"; }
since() { tail -n +$(($1 + 1)) "$RIG_MAILLOG" | grep -F "sasl_username=$2" || true; }
settle() { sleep 1; }
SCRAM_FAIL="SASL SCRAM-SHA-256 authentication failed"
CRAM_FAIL="SASL CRAM-MD5 authentication failed"

# 1. PLAIN offered: taken first, as msmtp does; one login, no failure.
dave_conf "$tmp/plain.conf" "$RIG_SUB_PORT" "$RIG_DAVE_PASS"
m=$(mark)
send "$tmp/plain.conf" "fb-plain-$id@test" || fail "PLAIN port: not served: $(tail -3 "$tmp/plain.conf.out")"
arrived "fb-plain-$id@test" "$tmp/plain.conf"
settle
since "$m" dave > "$tmp/plain.log"
grep -q "sasl_method=PLAIN, sasl_username=dave" "$tmp/plain.log" ||
    fail "PLAIN port: not PLAIN: $(cat "$tmp/plain.log")"
! grep -q "authentication failed" "$tmp/plain.log" ||
    fail "PLAIN port: a failed login first: $(cat "$tmp/plain.log")"
note "PLAIN offered: PLAIN, no failed login"

# msmtp with the same account makes the same choice.
printf 'Subject: x\nMessage-ID: <fb-msmtp-%s@test>\n\nhi\n' "$id" > "$tmp/msg"
m=$(mark)
timeout 60 msmtp --host=localhost --port="$RIG_SUB_PORT" --tls=on \
    --tls-starttls=on --tls-trust-file="$RIG_CA" --auth=on --user=dave \
    --passwordeval="echo $RIG_DAVE_PASS" --from=dave@example.test \
    bob@example.test < "$tmp/msg" > "$tmp/msmtp.out" 2>&1 ||
    fail "msmtp failed: $(cat "$tmp/msmtp.out")"
arrived "fb-msmtp-$id@test" "$tmp/msmtp"
settle
since "$m" dave | grep -q "sasl_method=PLAIN, sasl_username=dave" ||
    fail "msmtp did not use PLAIN: $(since "$m" dave)"
note "msmtp: PLAIN too"

# 2. No PLAIN: SCRAM-SHA-256 and CRAM-MD5 are refused, LOGIN delivers;
# the helper logs it and --check names the line that pins LOGIN.
dave_conf "$tmp/nop.conf" "$RIG_SUBNP_PORT" "$RIG_DAVE_PASS"
m=$(mark)
send "$tmp/nop.conf" "fb-nop-$id@test" || fail "no-PLAIN port: not served: $(tail -3 "$tmp/nop.conf.out")"
arrived "fb-nop-$id@test" "$tmp/nop.conf"
settle
since "$m" dave > "$tmp/nop.log"
for want in "$SCRAM_FAIL" "$CRAM_FAIL" "sasl_method=LOGIN, sasl_username=dave"; do
    grep -q "$want" "$tmp/nop.log" || fail "no-PLAIN port: no '$want' in: $(cat "$tmp/nop.log")"
done
assert_contains "$tmp/nop.conf.log" "AUTH LOGIN worked after SCRAM-SHA-256: 535"
XDG_STATE_HOME=$tmp/check.state timeout 60 "$SUBMITIFY" -c "$tmp/nop.conf" --check > "$tmp/check.out" 2>&1 ||
    fail "--check failed: $(tail -5 "$tmp/check.out")"
grep -q "^AUTH: LOGIN worked after SCRAM-SHA-256: 535 .*; CRAM-MD5: 535 .*; to use it directly: auth login$" \
    "$tmp/check.out" || fail "--check: no fallback line: $(grep ^AUTH "$tmp/check.out")"
assert_contains "$tmp/check.out" "result: OK"
note "no PLAIN: SCRAM-SHA-256 and CRAM-MD5 refused, LOGIN delivered, --check says 'auth login'"

# 3. A named mechanism is never replaced: one SCRAM failure, nothing else.
dave_conf "$tmp/pin.conf" "$RIG_SUBNP_PORT" "$RIG_DAVE_PASS" auth scram-sha-256
m=$(mark)
send "$tmp/pin.conf" "fb-pin-$id@test" && fail "auth scram-sha-256: the program was served"
assert_contains "$tmp/pin.conf.out" "<- 421 4.7.0 submitify: authentication as dave with SCRAM-SHA-256 failed: 535"
settle
since "$m" dave > "$tmp/pin.log"
[ "$(grep -c "authentication failed" "$tmp/pin.log")" = 1 ] && grep -q "$SCRAM_FAIL" "$tmp/pin.log" ||
    fail "auth scram-sha-256: not exactly one SCRAM login: $(cat "$tmp/pin.log")"
! grep -q "sasl_method=" "$tmp/pin.log" || fail "auth scram-sha-256: a login succeeded: $(cat "$tmp/pin.log")"
note "auth scram-sha-256: one refused SCRAM login, 421, no fallback"

# 4. A wrong password without PLAIN: every offered mechanism, each named
# with the server's reply in the 421.
dave_conf "$tmp/wrong.conf" "$RIG_SUBNP_PORT" "not-$RIG_DAVE_PASS"
send "$tmp/wrong.conf" "fb-wrong-$id@test" && fail "wrong password: the program was served"
grep -q "<- 421 4.7.0 submitify: authentication as dave failed: SCRAM-SHA-256: 535 .*; CRAM-MD5: 535 .*; LOGIN: 535 " \
    "$tmp/wrong.conf.out" || fail "wrong password: 421 does not name each: $(grep '^<- 4' "$tmp/wrong.conf.out")"
assert_not_contains "$tmp/wrong.conf.out" "not-$RIG_DAVE_PASS"
note "wrong password, no PLAIN: 421 names SCRAM-SHA-256, CRAM-MD5 and LOGIN"

# 5. A wrong password with PLAIN: PLAIN's 535 ends it, one failed login.
dave_conf "$tmp/wrongp.conf" "$RIG_SUB_PORT" "not-$RIG_DAVE_PASS"
m=$(mark)
send "$tmp/wrongp.conf" "fb-wrongp-$id@test" && fail "wrong password (PLAIN): the program was served"
assert_contains "$tmp/wrongp.conf.out" "<- 421 4.7.0 submitify: authentication as dave with PLAIN failed: 535"
settle
[ "$(since "$m" dave | grep -c "authentication failed")" = 1 ] ||
    fail "wrong password (PLAIN): not one failed login: $(since "$m" dave)"
note "wrong password, PLAIN offered: one failed login, 421"

# 6. carol, whose password is not ASCII (SASLprep would be needed for
# SCRAM): without PLAIN, SCRAM-SHA-256 is not tried at all, the step is
# reported like a refusal, and CRAM-MD5 delivers; with PLAIN, PLAIN; with
# auth scram-sha-256, a 421 naming SASLprep and no attempt at the server.
carol_conf() { # FILE PORT [KEY VALUE]...
    local f=$1 port=$2
    shift 2
    {
        printf 'account c\nhost localhost\nport %s\ntls_trust_file %s\n' \
            "$port" "$RIG_CA"
        # Quotes around a value are dropped, nothing inside is escaped.
        printf 'user carol\npassword "%s"\nlogfile %s\n' \
            "$RIG_CAROL_PASS" "$f.log"
        conf_lines "$@"
    } | conf_file "$f"
}
SASLPREP="SCRAM-SHA-256 not tried: a non-ASCII user name or password needs SASLprep (RFC 4013)"
carol_conf "$tmp/cnop.conf" "$RIG_SUBNP_PORT"
m=$(mark)
send "$tmp/cnop.conf" "fb-cnop-$id@test" || fail "carol, no-PLAIN port: not served: $(tail -3 "$tmp/cnop.conf.out")"
arrived "fb-cnop-$id@test" "$tmp/cnop.conf"
settle
since "$m" carol > "$tmp/cnop.log"
grep -q "sasl_method=CRAM-MD5, sasl_username=carol" "$tmp/cnop.log" ||
    fail "carol, no-PLAIN port: not CRAM-MD5: $(cat "$tmp/cnop.log")"
! grep -q "authentication failed" "$tmp/cnop.log" ||
    fail "carol, no-PLAIN port: a login failed at the server: $(cat "$tmp/cnop.log")"
assert_contains "$tmp/cnop.conf.log" "AUTH CRAM-MD5 worked after SCRAM-SHA-256: $SASLPREP"
XDG_STATE_HOME=$tmp/ccheck.state timeout 60 "$SUBMITIFY" -c "$tmp/cnop.conf" --check > "$tmp/ccheck.out" 2>&1 ||
    fail "carol --check failed: $(tail -5 "$tmp/ccheck.out")"
assert_contains "$tmp/ccheck.out" "AUTH: CRAM-MD5 worked after SCRAM-SHA-256: $SASLPREP; to use it directly: auth cram-md5"
note "non-ASCII password, no PLAIN: SCRAM not tried (SASLprep), CRAM-MD5 delivered, the step reported"

carol_conf "$tmp/cplain.conf" "$RIG_SUB_PORT"
m=$(mark)
send "$tmp/cplain.conf" "fb-cplain-$id@test" || fail "carol, PLAIN port: not served: $(tail -3 "$tmp/cplain.conf.out")"
arrived "fb-cplain-$id@test" "$tmp/cplain.conf"
settle
since "$m" carol | grep -q "sasl_method=PLAIN, sasl_username=carol" ||
    fail "carol, PLAIN port: not PLAIN: $(since "$m" carol)"
note "non-ASCII password, PLAIN offered: PLAIN"

carol_conf "$tmp/cpin.conf" "$RIG_SUBNP_PORT" auth scram-sha-256
m=$(mark)
send "$tmp/cpin.conf" "fb-cpin-$id@test" && fail "carol, auth scram-sha-256: the program was served"
assert_contains "$tmp/cpin.conf.out" "<- 421 4.7.0 submitify: $SASLPREP"
settle
[ -z "$(since "$m" carol)" ] || fail "carol, auth scram-sha-256: the server saw a login: $(since "$m" carol)"
note "non-ASCII password, auth scram-sha-256: 421 naming SASLprep, nothing sent"
