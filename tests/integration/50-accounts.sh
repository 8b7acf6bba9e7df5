#!/bin/bash
# submit.conf in msmtp's language against the real Postfix + Dovecot: each
# AUTH mechanism, accounts chosen by destination, a pasted ~/.msmtprc block,
# envelope and header sender rewriting, passwordeval and ~/.netrc.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
id=$$.$RANDOM
send() { # CONF MSGID DEST [smtpclient args...]
    local conf=$1 mid=$2 dest=$3
    shift 3
    timeout 30 "$SUBMITIFY" -c "$conf" -- "$TESTBIN/smtpclient" -q -i "$mid" "$@" "$dest"
}
arrived() { "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1>" 20 || fail "$1 did not arrive"; }
base="host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA"

# Each mechanism, named in auth; Postfix logs the one used.
for m in plain login cram-md5 scram-sha-256; do
    conf_file "$tmp/$m.conf" <<CONF
account m
$base
auth $m
user alice
password $RIG_ALICE_PASS
CONF
    send "$tmp/$m.conf" "mech-$m-$id@test" 192.0.2.10 || fail "auth $m: not served"
    arrived "mech-$m-$id@test" >/dev/null
done
sleep 1
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256; do
    grep -q "sasl_method=$m, sasl_username=alice" "$RIG_MAILLOG" ||
        fail "Postfix never saw AUTH $m"
done
note "PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256 accepted by Dovecot"

# auth on takes PLAIN first over TLS (msmtp's order), also for a password that
# would need SASLprep (SCRAM is skipped for those).
conf_file "$tmp/carol.conf" <<CONF
account c
$base
user carol
password "p@ss wörd "quoted""
CONF
send "$tmp/carol.conf" "carol-$id@test" 192.0.2.10 || fail "carol's password (quoted, non-ASCII) failed"
arrived "carol-$id@test" >/dev/null
grep -q "sasl_method=PLAIN, sasl_username=carol" "$RIG_MAILLOG" ||
    fail "carol: not PLAIN (non-ASCII passwords need SASLprep for SCRAM)"

# Two accounts, routed by the program's destination.
conf_file "$tmp/route.conf" <<CONF
defaults
$base

account first
match 192.0.2.0/24 203.0.113.5
user alice
password $RIG_ALICE_PASS

account second
match 198.51.100.7
user bob
password $RIG_BOB_PASS

account default : first
CONF
send "$tmp/route.conf" "r1-$id@test" 192.0.2.99 -f alice@example.test || fail "route 1"
send "$tmp/route.conf" "r2-$id@test" 198.51.100.7 -f bob@example.test || fail "route 2"
send "$tmp/route.conf" "r3-$id@test" 203.0.113.99 -f alice@example.test || fail "route default"
grep -q "Authenticated sender: alice" "$(arrived "r1-$id@test")" || fail "r1 not alice"
grep -q "Authenticated sender: bob" "$(arrived "r2-$id@test")" || fail "r2 not bob"
grep -q "Authenticated sender: alice" "$(arrived "r3-$id@test")" || fail "r3 not default"
# -a overrides the match.
timeout 30 "$SUBMITIFY" -c "$tmp/route.conf" -a second -- "$TESTBIN/smtpclient" -q \
    -i "r4-$id@test" 192.0.2.99 || fail "-a second"
grep -q "Authenticated sender: bob" "$(arrived "r4-$id@test")" || fail "-a did not pick bob"
note "accounts chosen by destination, default and -a"

# A block as it would stand in ~/.msmtprc, pasted unchanged.
conf_file "$tmp/msmtprc" <<CONF
# msmtp settings
defaults
auth           on
tls            on
tls_trust_file $RIG_CA
logfile        $tmp/msmtp.log
aliases        /etc/aliases

account        work
host           localhost
port           $RIG_SUB_PORT
from           alice@example.test
user           alice
passwordeval   "printf '%s\n' '$RIG_ALICE_PASS'"
dsn_notify     off

account default : work
CONF
timeout 30 "$SUBMITIFY" -c "$tmp/msmtprc" -- "$TESTBIN/smtpclient" -q \
    -f root@localhost -i "msmtprc-$id@test" 192.0.2.10 2> "$tmp/warn" ||
    fail "the msmtp block did not work: $(cat "$tmp/warn")"
assert_contains "$tmp/warn" "ignoring msmtp settings that submitify has no use for: aliases, dsn_notify"
f=$(arrived "msmtprc-$id@test")
grep -q "^Return-Path: <alice@example.test>" "$f" || fail "MAIL FROM not rewritten to from"
grep -q "^From: <root@localhost>" "$f" || fail "the From: header changed although set_from_header is off"
# The helper writes its line just after the program's QUIT.
wait_for_file "$tmp/msmtp.log" 10 || fail "no logfile written"
grep -q "account=default" "$tmp/msmtp.log" || fail "log: $(cat "$tmp/msmtp.log")"
note "a pasted msmtp block: warning for unused keys, from rewrites MAIL FROM, logfile written"

# set_from_header on / auto.
for mode in on auto; do
    conf_file "$tmp/fh-$mode.conf" <<CONF
account a
$base
user alice
password $RIG_ALICE_PASS
from alice@example.test
set_from_header $mode
CONF
    send "$tmp/fh-$mode.conf" "fh-$mode-$id@test" 192.0.2.10 -f root@localhost || fail "fh $mode"
done
grep -q "^From: <alice@example.test>" "$(arrived "fh-on-$id@test")" || fail "set_from_header on: not replaced"
grep -q "^From: <root@localhost>" "$(arrived "fh-auto-$id@test")" || fail "set_from_header auto: replaced an existing From:"

# ~/.netrc supplies the password when the account has none.
mkdir -p "$tmp/home"
printf 'machine localhost login alice password %s\n' "$RIG_ALICE_PASS" > "$tmp/home/.netrc"
chmod 600 "$tmp/home/.netrc"
conf_file "$tmp/netrc.conf" <<CONF
account n
$base
user alice
CONF
HOME=$tmp/home send "$tmp/netrc.conf" "netrc-$id@test" 192.0.2.10 || fail "~/.netrc"
arrived "netrc-$id@test" >/dev/null

# A failing passwordeval: the wrapper accepts the config; the program gets
# a 421 naming how it failed, but not the command's complaint (that is for
# submitify --check, tests/integration/56-passwordeval.sh).
conf_file "$tmp/evalfail.conf" <<CONF
account e
$base
user alice
passwordeval "echo vault is locked >&2; exit 3"
CONF
send "$tmp/evalfail.conf" "evalfail-$id@test" 192.0.2.10 > "$tmp/ef.out" 2>&1
[ $? = 1 ] || fail "a failing passwordeval did not refuse"
assert_contains "$tmp/ef.out" "421 4.3.5 submitify: passwordeval failed (exit status 3)"
assert_not_contains "$tmp/ef.out" "vault is locked"
note "set_from_header, ~/.netrc and passwordeval behave as documented"
