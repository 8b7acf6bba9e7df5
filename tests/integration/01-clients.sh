#!/bin/bash
# The end-to-end promise: unmodified plain-SMTP clients sending to some
# host's port 25 get their mail submitted to a real Postfix on the
# submission port with STARTTLS and SMTP AUTH.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd curl swaks python3
tmp=$(mktmp)
rig_account | conf_file "$tmp/submit.conf"
run() { timeout 30 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$@"; }
id=$$.$RANDOM

run "$TESTBIN/smtpclient" -q -i "c-$id@test" 192.0.2.10 ||
    fail "the C client was not served"
run swaks --server 198.51.100.20:25 --from alice@example.test \
    --to bob@example.test --header "Message-Id: <swaks-$id@test>" \
    > "$tmp/swaks.out" 2>&1 || fail "swaks failed: $(tail -5 "$tmp/swaks.out")"
printf 'Subject: curl\r\nMessage-Id: <curl-%s@test>\r\n\r\nhello\r\n' "$id" > "$tmp/m"
run curl -sS smtp://203.0.113.30:25 --mail-from alice@example.test \
    --mail-rcpt bob@example.test -T "$tmp/m" || fail "curl failed"
run python3 - "$id" <<'PY' || fail "smtplib failed"
import smtplib, sys
s = smtplib.SMTP("192.0.2.77", 25, timeout=20)
s.sendmail("alice@example.test", ["bob@example.test"],
           "Subject: py\r\nMessage-Id: <py-%s@test>\r\n\r\nhello\r\n" % sys.argv[1])
s.quit()
PY

for c in c swaks curl py; do
    f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$c-$id@test>" 20) ||
        fail "$c: the message did not arrive"
    # The server's own Received header: authenticated TLS submission.
    grep -q "with ESMTPSA" "$f" || fail "$c: not received with ESMTPSA: $(grep -A5 '^Received' "$f")"
    grep -q "Authenticated sender: alice" "$f" || fail "$c: not authenticated as alice"
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<$c-$id@test>")
    [ "$n" = 1 ] || fail "$c: delivered $n times"
    note "$c: delivered once, ESMTPSA, authenticated as alice"
done
