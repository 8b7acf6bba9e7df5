#!/bin/bash
# Terminal escapes (docs/SECURITY.md case 25), against the scripted server:
# what a server says (a greeting forged before TLS, an EHLO keyword, the AUTH
# result, a MAIL reply, a multi-line QUIT reply, a refusal) reaches
# `submitify --check`, its -v transcript, the helper's debug transcript on
# the program's stderr, the log file and the program's 421 only with its
# control bytes escaped (\x1b, \r, ...): no escape sequence, no bare CR and
# no line of the server's making ("result: OK" after a CR).
# time limit: 180
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init

# raw_bytes FILE: how many bytes of FILE are neither printable ASCII nor
# a line feed (ESC, BEL, CR, 0x9b, ...); 0 is right.
raw_bytes() {
    LC_ALL=C tr -d '\n\040-\176' < "$1" | wc -c
}

# clean LABEL FILE WHAT: no raw control byte in FILE.
clean() {
    local n
    n=$(raw_bytes "$2")
    want "$1" "$3 holds $n raw control or 8-bit bytes: $(LC_ALL=C grep -n $'[\x1b\r\x07]' "$2" | head -3 | cat -v)" \
        test "$n" = 0
}

# has LABEL FILE TEXT WHAT: FILE holds TEXT (the escaped form) verbatim.
has() {
    want "$1" "$4 lacks the escaped text '$3': $(head -c 2000 "$2" | cat -v)" \
        grep -qF -- "$3" "$2"
}

# no_fake LABEL FILE WHAT: no line of FILE starts with the server's words.
no_fake() {
    local file=$2
    want "$1" "$3 has a result line the server made: $(grep -n '^result' "$2" | cat -v)" \
        eval '! grep -q "^result: OK: FAKE" "$file" &&
            [ "$(grep -c "^result:" "$file")" = 1 ]'
}

hs_server esc "$HS_CASES/68-escapes.json"
hs_conf esc timeout 20

# ---- submitify --check, with and without -v --------------------------------
# stdout and stderr to one file, as a terminal would show them.
check_report() {
    local l=$1 f=$HS_TMP/$1.check rc
    shift 2     # the helper: --check runs no program
    timeout 60 "$SUBMITIFY" -c "$HS_CONF" --check "$@" > "$f" 2>&1
    rc=$?
    want "$l" "--check exit $rc, expected 0: $(cat -v "$f" | tail -5)" \
        test $rc = 0 || return 1
    clean "$l" "$f" "the --check output" || return 1
    no_fake "$l" "$f" "the --check output" || return 1
    want "$l" "no 'result: OK' line of submitify's own: $(grep '^result' "$f")" \
        grep -qx 'result: OK: this account can submit mail' "$f" || return 1
    has "$l" "$f" 'greeting: 220 mail.test \x1b]0;TITLE-MARK\x07\x1b[2J ready' \
        "the greeting line" || return 1
    has "$l" "$f" 'AUTH result: 235 2.7.0 \x1b[31mok\x1b]0;AUTH-TITLE\x07' \
        "the AUTH result line" || return 1
    has "$l" "$f" 'QUIT: 221-bye \x1b[2J\r\n221-\rresult: OK: FAKE-QUIT\r\n221 2.0.0 bye' \
        "the QUIT line" || return 1
}
real check_report check
check_verbose() {
    local f=$HS_TMP/$1.check
    check_report "$1" "$2" -v || return 1
    # The transcript: the greeting in full (after its bare CR too), each
    # line of the EHLO reply on a line of its own.
    has "$1" "$f" '<- 220 mail.test \x1b]0;TITLE-MARK\x07\x1b[2J ready\rresult: OK: FAKE-GREETING' \
        "the -v transcript" || return 1
    has "$1" "$f" '<- 250 X-ESC \x1b[2J\x9b2J EHLO-MARK' "the -v transcript"
}
real check_verbose checkv

# ---- a program's session: debug transcript on its stderr and in the log -------
check_session() {
    local l=$1 f=$HS_TMP/$1
    HS_ENV=(SUBMITIFY_DEBUG=1)
    hs_run "$l" "$2" -i "$l@test"
    HS_ENV=()
    expect_delivered "$l" "$l@test" || return 1
    clean "$l" "$f.err" "the program's stderr" || return 1
    clean "$l" "$f.log" "the log file" || return 1
    want "$l" "a line on stderr that is not the helper's: $(grep -v '^submitify\[' "$f.err" | head -3 | cat -v)" \
        eval '! grep -qv "^submitify\[" "$f.err"' || return 1
    want "$l" "a log line without its time stamp: $(grep -v '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] ' "$f.log" | head -3 | cat -v)" \
        eval '! grep -qv "^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] " "$f.log"' || return 1
    has "$l" "$f.err" '<- 220 mail.test \x1b]0;TITLE-MARK\x07\x1b[2J ready\rresult: OK: FAKE-GREETING' \
        "the transcript on stderr" || return 1
    has "$l" "$f.log" 'server: 250 2.1.0 \x1b[2Jok\rresult: OK: FAKE-MAIL' \
        "the transcript in the log file" || return 1
}
real check_session session

# ---- a refusal: the 421, the log line, --check's result ---------------------
hs_server escno "$HS_CASES/68-escapes-refused.json"
hs_conf escno timeout 20
check_refusal() {
    local l=$1 f=$HS_TMP/$1 line
    hs_run "$l" "$2" -i "$l@test"
    expect_refused "$l" 4.7.0 'refused EHLO: 554-5.7.0 \x1b]0;REFUSED-TITLE\x07\x1b[2J no\r\n554 5.7.0 \rresult: OK: FAKE-421' ||
        return 1
    line=$(grep -m1 '^<- 421' "$f.out")
    want "$l" "the 421 holds raw control bytes: $(printf '%s' "$line" | cat -v)" \
        eval '[ "$(printf "%s" "$line" | LC_ALL=C tr -d "\040-\176" | wc -c)" = 0 ]' ||
        return 1
    clean "$l" "$f.log" "the log file" || return 1
    clean "$l" "$f.err" "the program's stderr" || return 1
    timeout 60 "$SUBMITIFY" -c "$HS_CONF" --check > "$f.check" 2>&1
    clean "$l" "$f.check" "the --check output" || return 1
    no_fake "$l" "$f.check" "the --check output" || return 1
    has "$l" "$f.check" 'result: FAILED: localhost:' "the --check output" ||
        return 1
    has "$l" "$f.check" '\rresult: OK: FAKE-421' "the --check result line"
}
real check_refusal refused
