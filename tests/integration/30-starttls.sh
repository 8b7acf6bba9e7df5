#!/bin/bash
# Hostile STARTTLS servers (docs/SECURITY.md cases 1-4), against the scripted
# server.  Each check runs against the real helper (it must hold) and, where
# a build switch removes the protection, against that weakened helper (the
# check must then fail, which shows that it can).
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init

# ---- Case 1: response injection ------------------------------------------
# Bytes that came with the STARTTLS 220 abort the session before the
# handshake: no TLS, no AUTH, the program greeted 421 naming the injection.
check_injection() {
    refused_with "$1" "$2" 4.7.0 \
        "sent data after its STARTTLS reply" no_credentials \
        tls=0
}
hs_server inj "$CASES/01-starttls-injection.json"
hs_conf inj
real check_injection inj
sup check_injection inj
weak starttls-buffer check_injection inj

# The 220 followed by the start of a line that never ends.
hs_server injp "$CASES/01-starttls-injection-partial.json"
hs_conf injp
real check_injection injp
sup check_injection injp
weak starttls-buffer check_injection injp

# ---- Case 2: command injection, the other direction -----------------------
# The helper's setup is strictly command-reply (it writes STARTTLS and then
# waits for the reply), and it does not read the program's socket at all
# before the greeting.  Two weak helpers break each half: starttls-pipeline
# sends its next command along with STARTTLS, early-relay passes on what the
# program sent early as soon as TLS is up, before AUTH.

# The 220 comes 2 s late: nothing may reach the server in between (the
# record would show plaintext_after_starttls), and no plaintext byte at all
# follows the STARTTLS line.
check_quiet_after_starttls() {
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test" || return 1
    expect_facts "$1" injected=0 plain_after_starttls=0 starttls=1
}
hs_server late "$CASES/02-starttls-delayed-220.json"
hs_conf late
real check_quiet_after_starttls late
weak starttls-pipeline check_quiet_after_starttls late

# A program that talks before it is greeted (a whole pipelined session in
# one write, straight after connect()).  Its bytes may reach the server only
# over TLS and only after AUTH succeeded.
EARLY='exec 3<>/dev/tcp/192.0.2.30/25 || exit 2
printf "EHLO early.test\r\nMAIL FROM:<early@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nMessage-ID: <early-1@test>\r\nSubject: early\r\n\r\nsent before the greeting\r\n.\r\nQUIT\r\n" >&3
while IFS= read -r -t 15 line <&3; do printf "<- %s\n" "${line%$'"'\r'"'}"; done
exit 0'
check_early_talker_ok() {
    local first
    HS_PROG=(bash -c "$EARLY")
    hs_run "$1" "$2"
    HS_PROG=()
    expect_helper_gone "$1" || return 1
    first=$(first_reply "$1")
    want "$1" "not greeted 220 first: $first" \
        eval '[[ $first == "220 "* ]]' || return 1
    want "$1" "the message did not get its 250: $(cat "$HS_TMP/$1.out")" \
        grep -q '^<- 250 2.0.0 Ok: queued' "$HS_TMP/$1.out" || return 1
    expect_facts "$1" injected=0 plain_after_starttls=0 auth_ok=1 \
        mail_before_auth=0 mail=1 messages=1 "message_ids=<early-1@test>"
}
real check_early_talker_ok early
weak early-relay check_early_talker_ok early

# The same program when AUTH fails: not one of its bytes reaches the server.
check_early_talker_refused() {
    local first
    HS_PROG=(bash -c "$EARLY")
    hs_run "$1" "$2"
    HS_PROG=()
    expect_helper_gone "$1" || return 1
    first=$(first_reply "$1")
    want "$1" "not greeted 421: $first" \
        eval '[[ $first == "421 4.7.0 submitify: authentication as alice"* ]]' ||
        return 1
    expect_facts "$1" mail=0 rcpt=0 data=0 messages=0 helo=0 ehlo_tls=1 \
        injected=0
}
hs_server early535 "$CASES/08-auth-535.json"
hs_conf early535
real check_early_talker_refused early535
sup check_early_talker_refused early535
weak early-relay check_early_talker_refused early535

# The server never answers the ClientHello: the helper sends nothing more in
# plaintext while it waits, and gives up within its budget.
check_stalled_handshake() {
    refused_with "$1" "$2" 4.4.2 "in time" no_credentials \
        injected=0 plain_after_starttls=0 tls=0
}
hs_server hold "$CASES/13-stall-handshake.json"
hs_conf hold timeout 3
real check_stalled_handshake hold
sup check_stalled_handshake hold
weak starttls-pipeline check_stalled_handshake hold

# ---- Case 3: stripping ------------------------------------------------------
# STARTTLS missing: refused, nothing sent in the clear.
check_no_starttls() {
    refused_with "$1" "$2" 4.7.0 "does not offer STARTTLS" no_credentials \
        tls=0 starttls=0
}
hs_server strip "$CASES/03-no-starttls.json"
hs_conf strip
real check_no_starttls strip
sup check_no_starttls strip
weak starttls-optional check_no_starttls strip

# STARTTLS offered but refused with 454, 502 or a nonsense 354.
check_starttls_refused() {
    hs_run "$1" "$2" -i "$1@test"
    expect_refused "$1" 4.7.0 "refused STARTTLS: $3" || return 1
    expect_no_credentials "$1" || return 1
    # One EHLO only: no carrying on in plaintext.
    expect_facts "$1" tls=0 ehlo_plain=1
}
for code in 454 502 354; do
    hs_server "st$code" "$CASES/03-starttls-$code.json"
    hs_conf "st$code"
    real check_starttls_refused "st$code" "$code"
    sup check_starttls_refused "st$code" "$code"
    weak starttls-optional check_starttls_refused "st$code" "$code"
done

# Plaintext EHLO offering AUTH (and the server would take it in the clear):
# no credential may leave without TLS.  With the switch off, the record
# shows an AUTH in the plain layer: the leak itself.
check_plaintext_auth() {
    refused_with "$1" "$2" 4.7.0 "does not offer STARTTLS" \
        auth=0 auth_plain=0 auth_cmds=0 mail=0 messages=0
}
hs_server plainauth "$CASES/03-plaintext-auth.json"
hs_conf plainauth
real check_plaintext_auth plainauth
sup check_plaintext_auth plainauth
weak starttls-optional check_plaintext_auth plainauth

# EHLO refused to force HELO: the helper never falls back to HELO.  No
# switch removes this (the helper has no HELO path at all), so the real
# helper is checked only.
check_ehlo_refused() {
    refused_with "$1" "$2" 4.7.0 "refused EHLO: 502" no_credentials \
        helo=0 starttls=0 tls=0
}
hs_server noehlo "$CASES/03-ehlo-refused.json"
hs_conf noehlo
real check_ehlo_refused noehlo
sup check_ehlo_refused noehlo

# No opportunistic mode: "tls off" with credentials is a configuration
# error, and the server is not even contacted.  (Not under the supervisor:
# there the wrapper refuses the file before the program starts, as 06
# checks.)
check_tls_off_with_password() {
    hs_run "$1" "$2" -i "$1@test"
    expect_refused "$1" 4.3.5 "tls off would send the password in clear text" stderr ||
        return 1
    expect_facts "$1" sessions=0
}
hs_server tlsoff "$CASES/00-normal.json" --mode plain
hs_conf tlsoff tls off logfile -
real check_tls_off_with_password tlsoff

# "tls off" without credentials (explicit opt-in, plain server): the
# program's own AUTH is not offered and not relayed in the clear.
check_tls_off_program_auth() {
    local f=$HS_TMP/$1
    hs_run "$1" "$2" -a "alice:$HS_PW" -i "$1@test"
    expect_helper_gone "$1" || return 1
    want "$1" "the EHLO shown to the program offers AUTH: $(cat "$f.out")" \
        eval '! grep -q "^<- 250.AUTH" "$f.out"' || return 1
    want "$1" "the program's AUTH was not answered 454 by submitify: $(cat "$HS_TMP/$1.out")" \
        grep -q '^<- 454 4.7.0 submitify: AUTH is not relayed without TLS' \
        "$HS_TMP/$1.out" || return 1
    expect_facts "$1" sessions=1 auth=0 auth_cmds=0 tls=0
}
hs_conf tlsoff2 tls off user - password -
real check_tls_off_program_auth tlsoff2

# ---- Case 4: pre-TLS knowledge ---------------------------------------------
# Junk, SIZE 1 and a fake AUTH list before TLS: forgotten; EHLO again after
# TLS; the mechanism comes from the post-TLS list; the program never sees the
# plaintext greeting or capabilities.
check_pretls_forgotten() {
    local f=$HS_TMP/$1
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test" || return 1
    want "$1" "pre-TLS text reached the program: $(grep -E 'PRETLS|CRAM|SIZE 1$|X-JUNK' "$f.out")" \
        eval '! grep -qE "PRETLS|CRAM|SIZE 1\$|X-JUNK" "$f.out"' || return 1
    want "$1" "the program did not see the post-TLS SIZE" \
        grep -q '^<- 250-SIZE 200000000' "$f.out" || return 1
    expect_facts "$1" ehlo_plain=1 ehlo_tls=1 auth_mechs=PLAIN
}
hs_server pretls "$CASES/04-pretls-junk.json"
hs_conf pretls
real check_pretls_forgotten pretls
weak pretls-caps check_pretls_forgotten pretls
