#!/bin/bash
# The account chosen by the program's envelope sender (msmtp's `from`, with
# patterns) against the real Postfix + Dovecot: a local greeting, three
# accounts in one SMTP session, each message authenticated as its own user;
# a pattern account whose sender goes through unchanged and a plain address
# that is rewritten; the same account kept for a second message; MAIL
# parameters the server offers and does not offer; and failures at MAIL
# FROM (a wrong password, no account, an account without user) answered
# with a 421 and nothing delivered.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3
tmp=$(mktmp)
id=$$.$RANDOM
RAW=$ROOT/tests/harness/rawsmtp.py
base="host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA
logfile $tmp/helper.log
syslog off"
# The head of the configurations below: alice's account for her address.
good="defaults
$base

account good
user alice
password $RIG_ALICE_PASS
from alice@example.test"

# raw CONF OUT [submitify options --] STEPS...: one SMTP session of rawsmtp's
# steps through submitify; its replies go to OUT, the helper's stderr to OUT.err.
raw() {
    local conf=$1 out=$2
    shift 2
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    timeout 60 "$SUBMITIFY" -c "$conf" "${opts[@]}" -- python3 "$RAW" \
        --wait 40 --quiet 3 "$@" > "$out" 2> "$out.err" ||
        fail "rawsmtp failed: $(cat "$out" "$out.err")"
}
# msg MSGID: the steps of one message to bob after its MAIL.
msg() {
    printf '%s\n' '>RCPT TO:<bob@example.test>\r\n' '<' '>DATA\r\n' '<' \
        ">Subject: $1\\r\\nMessage-ID: <$1>\\r\\n\\r\\nbody\\r\\n.\\r\\n" '<'
}
arrived() { "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1>" 20 || fail "$1 did not arrive"; }
absent() {
    sleep 2
    [ "$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<$1>")" = 0 ] || fail "$1 was delivered"
}

conf_file "$tmp/three.conf" <<CONF
defaults
$base

account plain
user alice
password $RIG_ALICE_PASS
from alice@example.test

account pattern
user bob
password $RIG_BOB_PASS
from *@B.Example.Test

account default
user dave
password $RIG_DAVE_PASS
CONF

# One session, three accounts: a pattern (sender kept, SIZE offered by
# Postfix), a plain address (sender rewritten, subaddress matched), and no
# match (the default, with a parameter Postfix does not offer first).
mapfile -t m1 < <(msg "pat-$id@test")
mapfile -t m2 < <(msg "plain-$id@test")
mapfile -t m3 < <(msg "dflt-$id@test")
raw "$tmp/three.conf" "$tmp/three.out" -- '<' '>EHLO prog.test\r\n' '<' \
    '>RCPT TO:<bob@example.test>\r\n' '<' '>DATA\r\n' '<' '>AUTH PLAIN AGJvYgB4\r\n' '<' \
    '>VRFY bob\r\n' '<' '>NOOP\r\n' '<' '>RSET\r\n' '<' '>HELP\r\n' '<' \
    ">MAIL FROM:<Carl.Pat-$id@b.example.test> SIZE=200\\r\\n" '<' "${m1[@]}" \
    '>MAIL FROM:<alice+detail@EXAMPLE.test>\r\n' '<' "${m2[@]}" \
    '>MAIL FROM:<nobody@elsewhere.test> XFOO=1\r\n' '<' \
    '>MAIL FROM:<nobody@elsewhere.test>\r\n' '<' "${m3[@]}" \
    '>QUIT\r\n' '<*'
out=$tmp/three.out
# Greeted and answered here, before any server: no extension offered.
sed -n 1p "$out" | grep -q '^<- 220 .* ESMTP submitify$' || fail "no local greeting: $(cat "$out")"
sed -n 2p "$out" | grep -q '^<- 250 [^-]' || fail "the local EHLO reply offers extensions: $(cat "$out")"
assert_not_contains "$out" "AUTH PLAIN"
assert_not_contains "$out" "PIPELINING"
[ "$(grep -c '^<- 503 5.5.1 submitify: MAIL FROM first' "$out")" = 3 ] ||
    fail "RCPT, DATA and VRFY before MAIL were not refused here: $(cat "$out")"
assert_contains "$out" "<- 503 5.5.1 submitify: AUTH was not offered"
assert_contains "$out" "<- 214 2.0.0 submitify:"
[ "$(grep -c '^<- 250 2.0.0 submitify: OK' "$out")" = 2 ] || fail "NOOP and RSET not answered here"
# XFOO is not Postfix's: its own 555 reaches the program, not a 421.
grep -q '^<- 555 .*XFOO' "$out" || fail "the server's reply to XFOO=1 did not reach the program: $(cat "$out")"
assert_not_contains "$out" "421"
[ "$(grep -c '^<- 250 2.0.0 Ok: queued' "$out")" = 3 ] || fail "not three messages queued: $(cat "$out")"
f=$(arrived "pat-$id@test")
grep -q "Authenticated sender: bob" "$f" || fail "the pattern's message was not sent as bob"
grep -q "^Return-Path: <Carl.Pat-$id@b.example.test>" "$f" || fail "the pattern changed the sender"
f=$(arrived "plain-$id@test")
grep -q "Authenticated sender: alice" "$f" || fail "the plain address's message was not sent as alice"
grep -q "^Return-Path: <alice@example.test>" "$f" || fail "the plain address did not rewrite the sender"
f=$(arrived "dflt-$id@test")
grep -q "Authenticated sender: dave" "$f" || fail "the unmatched sender did not get the default account"
grep -q "^Return-Path: <nobody@elsewhere.test>" "$f" || fail "the default changed the sender"
grep -q "account=pattern,plain,default .*messages=3" "$tmp/helper.log" ||
    fail "the log line does not name the accounts used: $(cat "$tmp/helper.log")"
note "three accounts by sender in one session, pattern kept, address rewritten, XFOO refused by Postfix"

# The same account for a second message keeps its upstream session: Postfix
# sees one connection with two messages.
mapfile -t r1 < <(msg "same1-$id@test")
mapfile -t r2 < <(msg "same2-$id@test")
before=$(grep -c "disconnect from .* mail=2 rcpt=2 data=2" "$RIG_MAILLOG")
raw "$tmp/three.conf" "$tmp/same.out" -- '<' '>EHLO prog.test\r\n' '<' \
    ">MAIL FROM:<one-$id@b.example.test>\\r\\n" '<' "${r1[@]}" \
    '>EHLO again.test\r\n' '<' '>AUTH PLAIN AGJvYgB4\r\n' '<' \
    ">MAIL FROM:<two-$id@B.EXAMPLE.TEST>\\r\\n" '<' "${r2[@]}" '>QUIT\r\n' '<*'
arrived "same1-$id@test" >/dev/null
arrived "same2-$id@test" >/dev/null
sleep 1
[ "$(grep -c "disconnect from .* mail=2 rcpt=2 data=2" "$RIG_MAILLOG")" -gt "$before" ] ||
    fail "two messages of one account did not share one upstream session"
# With the server's session open, EHLO is still ours and AUTH still refused:
# the server's capabilities and its AUTH are never shown.
[ "$(grep -c '^<- 250 .* submitify: MAIL FROM chooses the account$' "$tmp/same.out")" = 2 ] ||
    fail "the second EHLO was not answered locally: $(cat "$tmp/same.out")"
assert_contains "$tmp/same.out" "<- 503 5.5.1 submitify: AUTH was not offered"
assert_not_contains "$tmp/same.out" "AUTH PLAIN LOGIN"
assert_not_contains "$tmp/same.out" "<- 235"
note "the same account again keeps its session; EHLO and AUTH stay local"

# -a still chooses before the sender: the server's own capabilities and
# greeting, and the account's own rewrite.
raw "$tmp/three.conf" "$tmp/a.out" -a plain -- '<' '>EHLO prog.test\r\n' '<' '>QUIT\r\n' '<*'
assert_contains "$tmp/a.out" "AUTH PLAIN LOGIN"
assert_not_contains "$tmp/a.out" "MAIL FROM chooses"

# A wrong password for the account the sender chooses: the greeting was
# ours, MAIL FROM gets the 421, and nothing goes further.
conf_file "$tmp/wrong.conf" <<CONF
$good

account wrong
user bob
password not-$RIG_BOB_PASS
from *@wrong.test
CONF
mapfile -t w1 < <(msg "wrong-$id@test")
raw "$tmp/wrong.conf" "$tmp/wrong.out" -- '<' '>EHLO prog.test\r\n' '<' \
    ">MAIL FROM:<x-$id@wrong.test>\\r\\n" '<' "${w1[@]}" '<*'
sed -n 1p "$tmp/wrong.out" | grep -q '^<- 220 ' || fail "no local greeting"
sed -n 3p "$tmp/wrong.out" | grep -q '^<- 421 4.7.0 submitify: authentication as bob' ||
    fail "MAIL FROM did not get the 421 naming the AUTH failure: $(cat "$tmp/wrong.out")"
[ "$(grep -c '^<- ' "$tmp/wrong.out")" = 3 ] || fail "replies after the 421: $(cat "$tmp/wrong.out")"
absent "wrong-$id@test"
note "a wrong password gives the 421 at MAIL FROM"

# No account for the sender and no default: our configuration's failure.
mapfile -t n1 < <(msg "none-$id@test")
raw "$tmp/wrong.conf" "$tmp/none.out" -- '<' '>EHLO prog.test\r\n' '<' \
    '>MAIL FROM:<who@nowhere.test>\r\n' '<' "${n1[@]}" '<*'
grep -q "^<- 421 4.3.5 submitify: .*no account's from matches the sender <who@nowhere.test>" \
    "$tmp/none.out" || fail "an unmatched sender without default: $(cat "$tmp/none.out")"
absent "none-$id@test"

# An account without user cannot be chosen by the sender: the program's
# AUTH would have had to come before its account was known.
conf_file "$tmp/nouser.conf" <<CONF
$good

account anon
from *@anon.test
CONF
raw "$tmp/nouser.conf" "$tmp/nouser.out" -- '<' '>EHLO prog.test\r\n' '<' \
    '>MAIL FROM:<me@anon.test>\r\n' '<*'
grep -q "^<- 421 4.3.5 submitify: account anon (.*nouser.conf:[0-9]*) was chosen by the sender but has no user" \
    "$tmp/nouser.out" || fail "an account without user chosen by sender: $(cat "$tmp/nouser.out")"

# A second message whose sender chooses an account that fails: the first
# stays delivered, the second gets the 421.
mapfile -t g1 < <(msg "good-$id@test")
mapfile -t g2 < <(msg "bad-$id@test")
raw "$tmp/wrong.conf" "$tmp/switch.out" -- '<' '>EHLO prog.test\r\n' '<' \
    '>MAIL FROM:<alice@example.test>\r\n' '<' "${g1[@]}" \
    ">MAIL FROM:<y-$id@wrong.test>\\r\\n" '<' "${g2[@]}" '<*'
grep -q "Authenticated sender: alice" "$(arrived "good-$id@test")" || fail "good: not alice"
grep -q '^<- 421 4.7.0 submitify: authentication as bob' "$tmp/switch.out" ||
    fail "the second account's failure: $(cat "$tmp/switch.out")"
absent "bad-$id@test"
note "no account, no user, and a failing second account: 421 at MAIL FROM, nothing sent"
# The From: fix of a pattern account stands for the sender the server
# accepted, never for a later MAIL that was refused (here, or by the
# server) or could not be read; a sender outside the pattern is refused;
# and a MAIL for another account right behind a message's dot waits for
# the dot's reply instead of being refused.
# three.conf, with set_from_header on for the pattern account.
sed '/^from \*@B.Example.Test$/a set_from_header on' "$tmp/three.conf" |
    conf_file "$tmp/hdr.conf"
grep -q '^set_from_header on$' "$tmp/hdr.conf" || fail "hdr.conf: $(cat "$tmp/hdr.conf")"
# body MSGID: a message whose From: is not the account's.
body() { printf '%s' ">From: <ceo@victim.test>\\r\\nSubject: $1\\r\\nMessage-ID: <$1>\\r\\n\\r\\nbody\\r\\n.\\r\\n"; }
from_is() { # MSGID SENDER
    local f
    f=$(arrived "$1")
    grep -q "^From: <$2>" "$f" || fail "$1: the From: is not <$2>: $(grep -i '^from:' "$f")"
    ! grep -qi "ceo@victim" "$f" || fail "$1: the program's From: went through"
}
raw "$tmp/hdr.conf" "$tmp/hdr1.out" -- '<' '>EHLO prog.test\r\n' '<' \
    ">MAIL FROM:<a-$id@b.example.test>\\r\\n" '<' '>RCPT TO:<bob@example.test>\r\n' '<' \
    '>MAIL FROM:<ceo@victim.test>\r\n' '<' '>MAIL FROM:<unclosed\r\n' '<' \
    '>DATA\r\n' '<' "$(body "hdr1-$id@test")" '<' '>QUIT\r\n' '<*'
assert_contains "$tmp/hdr1.out" "<- 503 5.5.1 submitify: a transaction is open"
assert_contains "$tmp/hdr1.out" "<- 501 5.5.4 submitify: MAIL FROM syntax"
from_is "hdr1-$id@test" "a-$id@b.example.test"
raw "$tmp/hdr.conf" "$tmp/hdr2.out" -a pattern -- '<' '>EHLO prog.test\r\n' '<' \
    ">MAIL FROM:<a-$id@b.example.test>\\r\\n" '<' '>RCPT TO:<bob@example.test>\r\n' '<' \
    ">MAIL FROM:<other-$id@b.example.test>\\r\\n" '<' '>MAIL FROM:<unclosed\r\n' '<' \
    '>DATA\r\n' '<' "$(body "hdr2-$id@test")" '<' '>QUIT\r\n' '<*'
grep -q '^<- 503 5.5.1 .*nested MAIL' "$tmp/hdr2.out" || fail "Postfix did not refuse the nested MAIL: $(cat "$tmp/hdr2.out")"
from_is "hdr2-$id@test" "a-$id@b.example.test"
note "a pattern's From: fix keeps the accepted sender after a refused or unreadable MAIL"
raw "$tmp/hdr.conf" "$tmp/hdr3.out" -a pattern -- '<' '>EHLO prog.test\r\n' '<' \
    '>MAIL FROM:<ceo@victim.test>\r\n' '<*'
grep -q "^<- 421 4.5.0 submitify: the sender <ceo@victim.test> is not one account pattern's from pattern (.*hdr.conf:[0-9]*) allows" \
    "$tmp/hdr3.out" || fail "a sender outside the pattern: $(cat "$tmp/hdr3.out")"
mapfile -t p1 < <(msg "pipe1-$id@test")
raw "$tmp/hdr.conf" "$tmp/pipe.out" -- '<' '>EHLO prog.test\r\n' '<' \
    ">MAIL FROM:<p-$id@b.example.test>\\r\\n" '<' '>RCPT TO:<bob@example.test>\r\n' '<' \
    '>DATA\r\n' '<' ">Subject: pipe0-$id\\r\\nMessage-ID: <pipe0-$id@test>\\r\\n\\r\\nbody\\r\\n.\\r\\nMAIL FROM:<alice@example.test>\\r\\n" \
    '<' '<' "${p1[@]}" '>QUIT\r\n' '<*'
assert_not_contains "$tmp/pipe.out" "transaction is open"
grep -q "Authenticated sender: bob" "$(arrived "pipe0-$id@test")" || fail "pipe0: not bob"
grep -q "Authenticated sender: alice" "$(arrived "pipe1-$id@test")" || fail "pipe1: not alice"
note "a sender outside the pattern refused; a MAIL right behind the dot waits for its reply"
exit 0
