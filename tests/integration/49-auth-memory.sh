#!/bin/bash
# The AUTH memory (helper/authmem.h) against the real Postfix + Dovecot:
# dave's password is stored as a hash, so on the port without PLAIN the
# automatic plan spends a failed SCRAM-SHA-256 and a failed CRAM-MD5 login
# before LOGIN works.  That is remembered, and the next session logs in
# with LOGIN at once: no failed login in the server's log.  A state file
# that is malformed, another user's or a symbolic link is ignored (the
# fallback happens again) and replaced, the link's target untouched; a
# pinned `auth` neither uses nor changes it; a remembered mechanism that
# is refused with 535 ends the plan (one failed login) and is forgotten.
. "$(dirname "$0")/../lib/common.sh"
rig_env
tmp=$(mktmp)
id=$$.$RANDOM
export XDG_STATE_HOME=$tmp/state
mem=$XDG_STATE_HOME/submitify/auth

dave_conf() { # FILE PASSWORD [KEY VALUE]...
    local f=$1 pw=$2
    shift 2
    {
        printf 'account d\nhost localhost\nport %s\ntls_trust_file %s\n' \
            "$RIG_SUBNP_PORT" "$RIG_CA"
        printf 'user dave\npassword %s\nlogfile %s\n' "$pw" "$f.log"
        conf_lines "$@"
    } | conf_file "$f"
}
send() { # CONF MSGID
    timeout 60 "$SUBMITIFY" -c "$1" -- "$TESTBIN/smtpclient" -i "$2" \
        192.0.2.49 > "$1.out" 2> "$1.err"
}
arrived() {
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1>" 20 > /dev/null ||
        fail "$1 did not arrive: $(tail -3 "$2.out")"
}
mark() { wc -l < "$RIG_MAILLOG"; }
# Postfix's lines about dave's logins since a mark, once they are written.
since() { sleep 1; tail -n +$(($1 + 1)) "$RIG_MAILLOG" | grep -F "sasl_username=dave" || true; }
failed() { grep -c "authentication failed" "$1" || true; }
# The state file holds one entry, for LOGIN, and is well formed.
remembers_login() {
    [ -f "$mem" ] && [ ! -L "$mem" ] || fail "$1: no state file"
    [ "$(stat -c '%a %u' "$mem")" = "600 $(id -u)" ] || fail "$1: state file $(stat -c '%a %u' "$mem")"
    grep -qE '^[0-9a-f]{64} LOGIN$' "$mem" && [ "$(grep -vc '^#' "$mem")" = 1 ] ||
        fail "$1: the state file does not remember LOGIN: $(cat "$mem")"
}
# session LABEL: a message through the no-PLAIN port, its server log lines
# in $tmp/LABEL.log.
session() {
    local m
    m=$(mark)
    send "$tmp/d.conf" "mem-$1-$id@test" || fail "$1: not served: $(tail -3 "$tmp/d.conf.out")"
    arrived "mem-$1-$id@test" "$tmp/d.conf"
    since "$m" > "$tmp/$1.log"
    grep -q "sasl_method=LOGIN, sasl_username=dave" "$tmp/$1.log" ||
        fail "$1: no LOGIN: $(cat "$tmp/$1.log")"
}
fell_back() { # LABEL
    [ "$(failed "$tmp/$1.log")" = 2 ] && grep -q "SASL SCRAM-SHA-256 authentication failed" "$tmp/$1.log" ||
        fail "$1: not the whole fallback (SCRAM, CRAM-MD5, LOGIN): $(cat "$tmp/$1.log")"
}

dave_conf "$tmp/d.conf" "$RIG_DAVE_PASS"

# 1. The first session falls back, and the mechanism is remembered.
session first
fell_back first
remembers_login first
[ "$(stat -c %a "$XDG_STATE_HOME/submitify")" = 700 ] || fail "the state directory is not 0700"
! grep -qF -e dave -e "$RIG_DAVE_PASS" "$mem" || fail "the state file names the user or the password"
note "first session: SCRAM-SHA-256 and CRAM-MD5 refused, LOGIN remembered (0600, no user name, no secret)"

# 2. The second session logs in with LOGIN at once.
session second
[ "$(failed "$tmp/second.log")" = 0 ] || fail "second session: a failed login: $(cat "$tmp/second.log")"
note "second session: LOGIN directly, no failed login at the server"

# --check says so, and the line that pins it.
m=$(mark)
timeout 60 "$SUBMITIFY" -c "$tmp/d.conf" --check > "$tmp/check.out" 2>&1 ||
    fail "--check failed: $(tail -5 "$tmp/check.out")"
assert_contains "$tmp/check.out" "AUTH: LOGIN first: it worked after a fallback before ($mem); to use it directly: auth login"
[ "$(grep -m1 '^AUTH chosen:' "$tmp/check.out")" = "AUTH chosen: LOGIN as dave" ] ||
    fail "--check: LOGIN not chosen first: $(grep '^AUTH' "$tmp/check.out")"
since "$m" > "$tmp/check.log"
[ "$(failed "$tmp/check.log")" = 0 ] || fail "--check: a failed login"
note "--check: LOGIN first, remembered, with the auth line that pins it"

# 3. A malformed file: ignored, the fallback again, replaced.
printf 'junk\n' > "$mem"
session junk
fell_back junk
remembers_login junk
note "a malformed state file: ignored and replaced"

# 4. Another user's file: ignored, replaced by one of this user's.
chown 65534:65534 "$mem"
session owner
fell_back owner
remembers_login owner
note "another user's state file: ignored and replaced"

# 5. A symbolic link to a file that remembers LOGIN: not followed, and the
# link is replaced, its target left as it was.
cp "$mem" "$tmp/target"
rm "$mem"
ln -s "$tmp/target" "$mem"
cp "$tmp/target" "$tmp/target.before"
session link
fell_back link
remembers_login link
cmp -s "$tmp/target" "$tmp/target.before" || fail "the symbolic link's target was written"
note "a symbolic link: not followed, replaced, its target untouched"

# 6. A pinned mechanism ignores the memory and leaves it as it is.
cp "$mem" "$tmp/mem.before"
dave_conf "$tmp/pin.conf" "$RIG_DAVE_PASS" auth scram-sha-256
m=$(mark)
send "$tmp/pin.conf" "mem-pin-$id@test" && fail "auth scram-sha-256: the program was served"
assert_contains "$tmp/pin.conf.out" "<- 421 4.7.0 submitify: authentication as dave with SCRAM-SHA-256 failed: 535"
since "$m" > "$tmp/pin.log"
[ "$(failed "$tmp/pin.log")" = 1 ] || fail "auth scram-sha-256: not one failed SCRAM login: $(cat "$tmp/pin.log")"
cmp -s "$mem" "$tmp/mem.before" || fail "auth scram-sha-256 changed the memory"
note "a pinned mechanism: the memory neither used nor changed"

# 7. A wrong password: the remembered LOGIN is refused with 535, which ends
# the plan (one failed login, not three), and the memory is dropped.
dave_conf "$tmp/wrong.conf" "not-$RIG_DAVE_PASS"
m=$(mark)
send "$tmp/wrong.conf" "mem-wrong-$id@test" && fail "wrong password: the program was served"
assert_contains "$tmp/wrong.conf.out" "<- 421 4.7.0 submitify: authentication as dave with LOGIN failed: 535"
since "$m" > "$tmp/wrong.log"
[ "$(failed "$tmp/wrong.log")" = 1 ] || fail "wrong password: not one failed login: $(cat "$tmp/wrong.log")"
! grep -qE '^[0-9a-f]{64} ' "$mem" || fail "wrong password: the entry is still there: $(cat "$mem")"
note "wrong password: the remembered LOGIN refused once, the entry dropped"
