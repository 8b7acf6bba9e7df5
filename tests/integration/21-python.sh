#!/bin/bash
# Python smtplib wrapped by submitify: SMTP(host, 25, timeout=20) (a
# non-blocking connect inside), send_message() to one recipient, then
# login() + sendmail() to several; every copy must arrive over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd python3
rt_setup
send=$RT_DIR/send_smtplib.py

id1=$(rt_msgid send-message)
rt_send "$RT_TMP/py1.log" "smtplib send_message" python3 "$send" \
    send_message "$RT_DEST" "$id1" "$RT_FROM" "$RT_RCPT"
assert_contains "$RT_TMP/py1.log" "auth: PLAIN LOGIN"
f=$(rt_delivered bob "$id1") || exit 1
rt_line "$f" ".a line with a leading dot"
note "send_message: delivered to $f"

id2=$(rt_msgid sendmail)
rt_send "$RT_TMP/py2.log" "smtplib sendmail" python3 "$send" sendmail \
    "$RT_DEST" "$id2" "$RT_FROM" bob@example.test carol@example.test \
    alice@example.test
for u in bob carol alice; do
    f=$(rt_delivered "$u" "$id2") || exit 1
    note "sendmail: $u got $f"
done
exit 0
