#!/bin/bash
# Secrets (docs/SECURITY.md cases 19-20): a config file others may read is
# refused; the password and its AUTH forms appear in no log, no debug
# transcript, no server record and no memory image of a live helper.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
need_root
need_cmd gcore setpriv
id nobody >/dev/null 2>&1 || skip "needs the nobody user"
hs_init
SECRETS=$ROOT/tests/harness/secrets.py

# ---- Case 19: the config file's owner and mode -------------------------------
# Refused before anything else: the helper answers 421 (on stderr, as the
# account and its logfile are not known yet) and never contacts the server.
# Under the supervisor (sup) the wrapper reads the file before the program
# starts and would refuse it itself, with no program and no helper (06
# checks that refusal); so there the file is made private and root's for
# the wrapper, and the program puts back the mode and owner under test
# before it connects: the helper the supervisor starts must refuse the file
# as it finds it then, as the shim's does.
check_conf_refused() {
    local was=""
    if [ "$HS_VIA" = seccomp ]; then
        was=$(stat -c '%a %u:%g' "$HS_CONF")
        chmod 600 "$HS_CONF" && chown 0:0 "$HS_CONF" ||
            fail "$1: cannot make $HS_CONF private"
        # shellcheck disable=SC2016 # the program's shell expands them
        HS_PROG=(sh -c 'chmod "$1" "$3" && chown "$2" "$3" && shift 3 &&
            exec "$@"' sh "${was% *}" "${was#* }" "$HS_CONF"
            "$TESTBIN/smtpclient" -i "$1@test" "$HS_DEST")
    fi
    hs_run "$1" "$2" -i "$1@test"
    HS_PROG=()
    if [ -n "$was" ]; then
        chmod "${was% *}" "$HS_CONF" && chown "${was#* }" "$HS_CONF" ||
            fail "$1: cannot give $HS_CONF back its mode and owner"
    fi
    expect_refused "$1" 4.3.5 "$3" stderr || return 1
    expect_facts "$1" sessions=0
}
hs_server perm "$CASES/00-normal.json"
for mode in 640 604 620; do
    hs_conf "perm$mode" logfile -
    chmod "$mode" "$HS_CONF"
    # Writable by the group: refused for that before the password rule.
    why="contains a password but group or others may access it; run: chmod 600"
    [ "$mode" = 620 ] && why="group or others may change it; run: chmod go-w"
    real check_conf_refused "perm$mode" "$why"
    sup check_conf_refused "perm$mode" "$why"
    weak no-perm-check check_conf_refused "perm$mode" "$why"
done
hs_conf permowner logfile -
chown nobody: "$HS_CONF"
real check_conf_refused permowner \
    "owned by another user (uid $(id -u nobody)); it must be yours or root's"
sup check_conf_refused permowner \
    "owned by another user (uid $(id -u nobody)); it must be yours or root's"
weak no-perm-check check_conf_refused permowner \
    "owned by another user (uid $(id -u nobody)); it must be yours or root's"

# ---- Case 20: no secret left behind ------------------------------------------
# A program that sends one message and then holds its connection, silent,
# so that the helper is alive after AUTH and after a whole message; it says
# "ready" when the message got its 250.  If HELD_AUTH_FILE is set, it first
# sends the AUTH line in that file itself (read from the file, so that the
# secret is not in the environment, which the helper inherits); with
# HELD_ONLY_AUTH=1 it is ready after that AUTH and sends no message.
HELD='exec 3<>/dev/tcp/192.0.2.30/25 || exit 2
line=""
r() { IFS= read -r -t 15 line <&3 || exit 3; line=${line%$'"'\r'"'}; printf "<- %s\n" "$line"; }
rr() { r; while [ "${line:3:1}" = - ]; do r; done; }
say() { printf "%s\r\n" "$1" >&3; rr; }
rr
say "EHLO held.test"
if [ -n "${HELD_AUTH_FILE:-}" ]; then say "$(cat "$HELD_AUTH_FILE")"; fi
if [ "${HELD_ONLY_AUTH:-}" != 1 ]; then
    say "MAIL FROM:<alice@example.test>"
    say "RCPT TO:<bob@example.test>"
    say "DATA"
    say "$(printf "Message-ID: <held@test>\r\nSubject: held\r\n\r\nheld\r\n.")"
fi
case $line in 2[35]*) echo ready ;; *) exit 4 ;; esac
read -r -t 40 line <&3
exit 0'

# The hook: once the program is ready, take the image of its helper (gcore
# as root: ptrace works although the helper is not dumpable; if gcore fails,
# read /proc/PID/mem through the maps), look at how the helper's /proc
# files are owned, then let the program go.
take_image() {
    local l=$1 pid=$2 i hp
    IMG="" IMG_NOTE="" IMG_OWNER="" IMG_PEEK=""
    for ((i = 0; i < 200; i++)); do
        grep -q '^ready$' "$HS_TMP/$l.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    hp=$(hs_helper_of "$pid")
    if grep -q '^ready$' "$HS_TMP/$l.out" && [ -n "$hp" ]; then
        IMG_OWNER=$(stat -c %U "/proc/$hp/environ" 2>/dev/null)
        # Can a process of the program's user read the helper's memory?
        if [ "$HELD_USER" = nobody ] &&
            setpriv --reuid=nobody --regid=nogroup --clear-groups \
                cat "/proc/$hp/environ" >/dev/null 2>&1; then
            IMG_PEEK=yes
        fi
        if timeout 60 gcore -o "$HS_TMP/$l.core" "$hp" > "$HS_TMP/$l.gcore" 2>&1 &&
            [ -s "$HS_TMP/$l.core.$hp" ]; then
            IMG=$HS_TMP/$l.core.$hp
        elif "$HS_PY" "$SECRETS" dump "$hp" "$HS_TMP/$l.mem"; then
            IMG=$HS_TMP/$l.mem
            IMG_NOTE="gcore failed ($(tail -1 "$HS_TMP/$l.gcore")), read /proc/$hp/mem"
        else
            IMG_NOTE="no image: gcore and /proc/$hp/mem both failed"
        fi
    else
        IMG_NOTE="the session never got ready: $(tail -2 "$HS_TMP/$l.out")"
    fi
    kill "$pid" 2>/dev/null
}

# check_wiped LABEL HELPER [AUTH_LINE_FILE [1]]: a whole session with debug
# logging on (SUBMITIFY_DEBUG=1 and the account's logfile), an image of the
# helper after it, and then every log, transcript, the record, the server's
# output and the image searched for the password and its AUTH forms.
HELD_USER=root
check_wiped() {
    local l=$1 f=$HS_TMP/$1 found rc
    if [ "$HELD_USER" = nobody ]; then
        HS_PROG=(setpriv --reuid=nobody --regid=nogroup --clear-groups
            bash -c "$HELD")
    else
        HS_PROG=(bash -c "$HELD")
    fi
    HS_ENV=(SUBMITIFY_DEBUG=1 HELD_AUTH_FILE="${3:-}" HELD_ONLY_AUTH="${4:-}")
    HS_HOOK=take_image
    hs_run "$l" "$2"
    HS_PROG=() HS_ENV=() HS_HOOK=""
    expect_helper_gone "$l" || return 1
    want "$l" "no memory image: $IMG_NOTE" test -n "$IMG" || return 1
    [ -z "$IMG_NOTE" ] || note "$l: $IMG_NOTE"
    want "$l" "the session did not complete: $(tail -3 "$f.out") $(tail -3 "$f.err")" \
        grep -q '^ready$' "$f.out" || return 1
    expect_facts "$l" "messages=$([ -n "${4:-}" ] && echo 0 || echo 1)" auth_ok=1 ||
        return 1
    want "$l" "debug logging was not on (no transcript in the logfile)" \
        grep -q 'server: 2[35][05] ' "$f.log" || return 1
    # A positive control: the image is the helper's memory (it holds the
    # path of its config, from its environment).
    want "$l" "the image does not hold the config path: not the helper's memory?" \
        grep -qaF "$HS_CONF" "$IMG" || return 1
    if [ "$HELD_USER" = nobody ]; then
        want "$l" "the helper is dumpable: its /proc files belong to $IMG_OWNER, not root" \
            test "$IMG_OWNER" = root || return 1
        want "$l" "a process of the program's user read the helper's /proc/PID/environ" \
            test -z "$IMG_PEEK" || return 1
    fi
    found=$("$HS_PY" "$SECRETS" search alice "$HS_PW" "$f.out" "$f.err" \
        "$f.log" "$HS_REC" "${HS_REC%.record}.out" "$IMG" 2>&1)
    rc=$?
    want "$l" "the search itself failed: $found" test $rc != 2 || return 1
    want "$l" "the secret was found: $(echo $found | sed "s|$HS_TMP/||g")" \
        test $rc = 0 -a -z "$found" || return 1
    rm -f "$IMG"
}

hs_server plain "$CASES/00-normal.json"
hs_conf plain timeout 30
real check_wiped plain
weak no-wipe check_wiped plain

hs_conf login timeout 30 auth login
real check_wiped login
hs_conf xoauth2 timeout 30 auth xoauth2
real check_wiped xoauth2
hs_conf oauthbearer timeout 30 auth oauthbearer
real check_wiped oauthbearer

# passwordeval: its output is used once and wiped.
printf '%s\n' "$HS_PW" > "$HS_TMP/pw.txt"
hs_conf peval timeout 30 auth plain password - passwordeval "cat $HS_TMP/pw.txt"
real check_wiped peval

# The program's own AUTH, relayed (an account without credentials).
printf 'AUTH PLAIN %s' "$(printf '\0alice\0%s' "$HS_PW" | base64 -w0)" \
    > "$HS_TMP/auth.line"
hs_conf relayed timeout 30 user - password -
real check_wiped relayed "$HS_TMP/auth.line"

hs_server scram "$CASES/00-normal.json" --auth-mechs SCRAM-SHA-256
hs_conf scram timeout 30 auth scram-sha-256
real check_wiped scram

# The same as a user that file modes apply to: the helper must not be
# dumpable, so that this user cannot read its memory either.
nb=$HS_TMP/nobody
mkdir "$nb"
HS_REC=$HS_TMP/srv-plain.record
SCRIPTED_PORT=$(cat "$HS_TMP/srv-plain.port")
hs_conf nobody timeout 30 logfile "$nb/nobody.logfile"
mv "$HS_CONF" "$nb/nobody.conf"
HS_CONF=$nb/nobody.conf
chown -R nobody: "$nb"
HELD_USER=nobody
real check_wiped nobody
weak no-wipe check_wiped nobody
HELD_USER=root

# The program's relayed AUTH again, imaged straight after its 235, before any
# later command could overwrite a buffer that held it.  (Last, so that a
# failure here hides no other check.)
HS_REC=$HS_TMP/srv-plain.record
SCRIPTED_PORT=$(cat "$HS_TMP/srv-plain.port")
hs_conf relayedauth timeout 30 user - password -
real check_wiped relayedauth "$HS_TMP/auth.line" 1
