#!/bin/bash
# A mail user agent: s-nail's built-in SMTP client, configured with
# mta=smtp://192.0.2.10:25 and no STARTTLS or AUTH of its own (submitify does
# both), wrapped by submitify; the message, Message-ID included, must arrive
# over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd s-nail
rt_setup

id=$(rt_msgid s-nail)
log=$RT_TMP/s-nail.log
# -t: recipients and headers (our Message-ID too) from the message itself.
printf '%s\n' \
    "From: Alice <$RT_FROM>" \
    "To: $RT_RCPT" \
    "Subject: s-nail $id" \
    "Message-ID: <$id>" \
    "" \
    "Sent by s-nail through submitify." \
    ".a line with a leading dot" \
    "" \
    "Needle: $id" > "$RT_TMP/msg.txt"
# No mailrc of anyone's; nothing saved or written outside RT_TMP.
RT_STDIN=$RT_TMP/msg.txt RT_TIMEOUT=20 MAILRC=/dev/null HOME=$RT_TMP \
    rt_send "$log" s-nail s-nail -n -t \
    -S v15-compat -S sendwait -S nosave -S "DEAD=$RT_TMP/dead.letter" \
    -S ttycharset=us-ascii -S hostname=client.test -S "from=$RT_FROM" \
    -S "mta=smtp://$RT_DEST:25" -S smtp-auth=none -X 'unset smtp-use-starttls'
[ ! -s "$RT_TMP/dead.letter" ] ||
    { rt_show "$log" "$RT_TMP/dead.letter"; fail "s-nail wrote a dead.letter"; }
f=$(rt_delivered bob "$id") || exit 1
assert_contains "$f" "Message-ID: <$id>"
assert_contains "$f" "User-Agent: s-nail"
rt_line "$f" ".a line with a leading dot"
note "delivered to $f"
exit 0
