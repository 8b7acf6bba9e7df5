#!/bin/bash
# TLS truncation and the non-blocking TLS relay (docs/SECURITY.md cases 6-7),
# against the scripted server.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init

# What the same smtpclient session stores when nothing is in between: a
# plain scripted server, reached directly (not port 25, so not intercepted).
# ref_sha MSGID SIZE COUNT prints the SHA-256 of each message, comma-joined.
scripted_start "$HS_TMP" ref --mode plain --users "alice:$HS_PW" \
    --script "$CASES/00-normal.json"
REF_PORT=$SCRIPTED_PORT
REF_PID=$SCRIPTED_PID
ref_sha() {
    local s0 sha
    s0=$("$HS_PY" -S "$HS_RECORDPY" started "$HS_TMP/ref.record" 5 "$REF_PID")
    timeout 30 "$TESTBIN/smtpclient" -q -p "$REF_PORT" -a "alice:$HS_PW" \
        -i "$1" -s "$2" -n "$3" 127.0.0.1 > "$HS_TMP/ref-$1.out" 2>&1 || {
        echo "the reference session failed: $(cat "$HS_TMP/ref-$1.out")"
        return 1
    }
    sha=$("$HS_PY" -S "$HS_RECORDPY" facts "$HS_TMP/ref.record" "$s0" 5 "$REF_PID" |
        sed -n 's/^message_sha256=//p')
    [ -n "$sha" ] || {
        echo "the reference server recorded no message: $(head -c 2000 "$HS_TMP/ref.record")"
        return 1
    }
    echo "$sha"
}

# ---- Case 6: truncation ------------------------------------------------------
# A TCP close without close_notify is an error, never an end of stream: the
# program gets a 421 naming it and never a 250 for the message.  Each case
# runs again with the program under the seccomp supervisor (sup).

# In the middle of the post-TLS EHLO reply, before AUTH.  No switch: real only.
check_trunc_ehlo() {
    hs_run "$1" "$2" -i "$1@test"
    expect_refused "$1" 4.4.1 "TLS read (unexpected eof while reading)" ||
        return 1
    expect_no_credentials "$1"
}
hs_server truncehlo "$CASES/06-truncate-mid-ehlo.json"
hs_conf truncehlo
real check_trunc_ehlo truncehlo
sup check_trunc_ehlo truncehlo

# In the middle of DATA, and in the middle of the end-of-data reply.  The
# weak fake-250 helper turns that EOF into a 250 for the program.
check_trunc_message() {
    local f=$HS_TMP/$1
    hs_run "$1" "$2" -s 20000 -i "$1@test"
    expect_helper_gone "$1" || return 1
    want "$1" "smtpclient exit $HS_RC, expected 1: $(tail -2 "$f.out")" \
        test "$HS_RC" = 1 || return 1
    want "$1" "the message was not answered 421 naming the truncation: $(tail -2 "$f.out")" \
        grep -q '^<- 421 4.4.1 submitify: lost .*without TLS close_notify\|^<- 421 4.4.1 submitify: lost .*unexpected eof' "$f.out" ||
        return 1
    want "$1" "the program saw a 250 for the message: $(grep '^<- 250 2.0.0' "$f.out")" \
        eval '! grep -q "^<- 250 2.0.0" "$f.out"' || return 1
    want "$1" "the log does not say why: $(cat "$f.log")" \
        grep -q 'error=lost localhost' "$f.log" || return 1
    expect_facts "$1" messages=0
}
hs_server truncdata "$CASES/06-truncate-mid-data.json"
hs_conf truncdata
real check_trunc_message truncdata
sup check_trunc_message truncdata
weak fake-250 check_trunc_message truncdata

hs_server trunceod "$CASES/06-truncate-mid-eod-reply.json"
hs_conf trunceod
real check_trunc_message trunceod
sup check_trunc_message trunceod
weak fake-250 check_trunc_message trunceod

hs_server trunceod465 "$CASES/06-truncate-mid-eod-reply.json" --mode implicit
hs_conf trunceod465 tls_starttls off
real check_trunc_message trunceod465
sup check_trunc_message trunceod465
weak fake-250 check_trunc_message trunceod465

# ---- Case 7: the non-blocking relay ------------------------------------------
# Whole sessions must work, each message must arrive byte for byte as it
# does without submitify, and the TLS 1.3 extras must really have been sent
# (otherwise the check would prove nothing).  The weak tls-want helper
# takes a readable socket that yields no application data (part of a
# record, a ticket, a KeyUpdate) as the end of the connection, the classic
# mistake of a relay that treats TLS like a plain socket.
check_relay() {
    local l=$1 size=$3 count=$4 f=$HS_TMP/$1 want_sha
    hs_run "$l" "$2" -s "$size" -n "$count" -i "$l@test"
    expect_helper_gone "$l" || return 1
    want "$l" "smtpclient exit $HS_RC, expected 0: $(tail -3 "$f.out") $(cat "$f.err")" \
        test "$HS_RC" = 0 || return 1
    want "$l" "an error was logged: $(cat "$f.log")" \
        eval '! grep -q "error=" "$f.log"' || return 1
    want_sha=$(ref_sha "$l@test" "$size" "$count") ||
        { HS_WHY="$l: $want_sha"; return 1; }
    expect_facts "$l" auth_ok=1 "messages=$count" "message_sha256=$want_sha"
}

hs_server seg1 "$CASES/07-one-byte-segments.json"
hs_conf seg1
real check_relay seg1 60000 3
weak tls-want check_relay seg1 60000 3

hs_server seg1i "$CASES/07-one-byte-segments.json" --mode implicit
hs_conf seg1i tls_starttls off
real check_relay seg1i 60000 2

hs_server rec1 "$CASES/07-one-byte-records.json"
hs_conf rec1
real check_relay rec1 60000 3

check_tls13_extras() {
    check_relay "$@" || return 1
    # If the server's ctypes hook could not send them, this proves nothing.
    expect_at_least "$1" key_update_ok 1 || return 1
    expect_facts "$1" key_update_failed=0
}
hs_server keyupd "$CASES/07-key-update-tickets.json" --tickets 3
hs_conf keyupd
real check_tls13_extras keyupd 60000 3
weak tls-want check_tls13_extras keyupd 60000 3

# KeyUpdate while a 1 MB message is being written (SSL_write has to deal with
# the server's records), with 1-byte segments from the server.
hs_server keydata "$HS_CASES/32-key-update-in-data.json"
hs_conf keydata
real check_tls13_extras keydata 1000000 2

# TLS 1.2 only: no KeyUpdate, no post-handshake tickets; still works.
hs_server tls12 "$CASES/05-tls-1.2-only.json"
hs_conf tls12
check_tls12() {
    check_relay "$@" || return 1
    expect_facts "$1" tls_version=TLSv1.2
}
real check_tls12 tls12 60000 2

# ---- Case 6: close_notify after QUIT -----------------------------------------
# Last, because it needs nothing else: after the program's QUIT the helper
# must close TLS with close_notify (the record's client_close_notify), in
# both modes.  No switch removes it: real helper only.
# Whether the server's own close_notify is read before the helper ends is a
# matter of timing (about one session in three shows the difference here),
# so eight sessions each.
check_close_notify() {
    local i
    for i in 1 2 3 4 5 6 7 8; do
        hs_run "$1.$i" "$2" -i "$1.$i@test"
        expect_delivered "$1.$i" "$1.$i@test" &&
            expect_facts "$1.$i" end=quit close_notify=true ||
            { HS_WHY="$HS_WHY (session $i of 8)"; return 1; }
    done
}
hs_server quit "$CASES/00-normal.json"
hs_conf quit
real check_close_notify quit
hs_server quit465 "$CASES/00-normal.json" --mode implicit
hs_conf quit465 tls_starttls off
real check_close_notify quit465
