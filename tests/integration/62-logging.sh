#!/bin/bash
# One log line per connection, in the log file; nothing on the program's
# stderr unless the session fails (then one line naming the cause) or the
# transcript is asked for (redacted); and never on a stderr the program has
# replaced (docs/DESIGN.md decision 8).
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3
tmp=$(mktmp)
id=$$.$RANDOM
conf() { # NAME PASSWORD
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $RIG_SUB_PORT
tls_trust_file $RIG_CA
user alice
password $2
logfile $tmp/$1.log
CONF
}
conf good "$RIG_ALICE_PASS"
conf bad "wrong-pw-Xy7"

# A good session: silence on stderr, one complete line in the log file.
"$SUBMITIFY" -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -q -i "log-$id@test" \
    192.0.2.26 > "$tmp/good.out" 2> "$tmp/good.err" || fail "good session failed"
[ ! -s "$tmp/good.err" ] || fail "stderr not empty: $(cat "$tmp/good.err")"
wait_for_file "$tmp/good.log" 10 || fail "no log file"
[ "$(wc -l < "$tmp/good.log")" = 1 ] || fail "expected one log line: $(cat "$tmp/good.log")"
for field in "prog=smtpclient[" "dest=192.0.2.26:25" "account=good" \
    "upstream=localhost:$RIG_SUB_PORT" "tls=TLSv1." "auth=PLAIN" \
    "messages=1" "last=221" " up=" " down=" " ms="; do
    assert_contains "$tmp/good.log" "$field"
done
[ "$(stat -c %a "$tmp/good.log")" = 600 ] || fail "log file is not mode 600"

# A failing session: one line on stderr naming the cause.
"$SUBMITIFY" -c "$tmp/bad.conf" -- "$TESTBIN/smtpclient" -q -i "logbad-$id@test" \
    192.0.2.26 > "$tmp/bad.out" 2> "$tmp/bad.err"
grep '^submitify\[' "$tmp/bad.err" > "$tmp/bad.lines"
[ "$(wc -l < "$tmp/bad.lines")" = 1 ] || fail "expected one stderr line: $(cat "$tmp/bad.err")"
assert_contains "$tmp/bad.lines" "error=authentication as alice"
assert_not_contains "$tmp/bad.err" "wrong-pw-Xy7"

# -v: the transcript, with AUTH redacted in every form.
"$SUBMITIFY" -v -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -q \
    -a "alice:program-pw-Q2" -i "logv-$id@test" 192.0.2.26 > "$tmp/v.out" 2> "$tmp/v.err" ||
    fail "-v session failed"
assert_contains "$tmp/v.err" "program: EHLO client.test"
assert_contains "$tmp/v.err" "server: 250"
assert_contains "$tmp/v.err" "(credentials, not shown)"
b64() { printf '%s' "$1" | base64 -w0; }
for secret in "$RIG_ALICE_PASS" "$(b64 "$RIG_ALICE_PASS")" "program-pw-Q2" \
    "$(printf '\0alice\0program-pw-Q2' | base64 -w0)" \
    "$(printf '\0alice\0%s' "$RIG_ALICE_PASS" | base64 -w0)"; do
    grep -qF -- "$secret" "$tmp/v.err" "$tmp/good.log" && fail "a secret was logged"
done

# A daemon that closed fd 2 and opened a file in its place: the helper's
# failure line must not land in that file.
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/bad.conf python3 - "$tmp/victim" <<'PY'
import os, smtplib, sys
os.close(2)
f = open(sys.argv[1], "w")          # takes fd 2
assert f.fileno() == 2
try:
    smtplib.SMTP("192.0.2.27", 25, timeout=20)
except smtplib.SMTPException:
    pass
f.flush()
PY
sleep 1
[ -e "$tmp/victim" ] || fail "the victim file was not created"
[ ! -s "$tmp/victim" ] || fail "the helper wrote into the program's replaced fd 2: $(cat "$tmp/victim")"
assert_contains "$tmp/bad.log" "dest=192.0.2.27:25"
note "one log line per connection; stderr only on failure, and only the original one"
