#!/bin/bash
# swaks wrapped by submitify: one plain session, and one with --pipeline
# (MAIL, RCPT and DATA in one write); both messages must arrive over
# TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd swaks
rt_setup

# send NAME [SWAKS-OPTIONS...]
send() {
    local name=$1 id log f
    shift
    id=$(rt_msgid "swaks-$name")
    log=$RT_TMP/$name.log
    rt_send "$log" "swaks ($name)" swaks --server "$RT_DEST" --port 25 \
        --helo client.test \
        --timeout 20 --from "$RT_FROM" --to "$RT_RCPT" \
        --header "Subject: swaks $name $id" --header "Message-Id: <$id>" \
        --body "Sent by swaks ($name) through submitify.
.a line with a leading dot

Needle: $id" "$@"
    grep -q '^<- *220 .*ESMTP submitify' "$log" ||
        { rt_show "$log"; fail "swaks ($name) was not greeted by submitify"; }
    grep -q '^<- *250.AUTH PLAIN LOGIN' "$log" ||
        { rt_show "$log"; fail "swaks ($name): EHLO lacks AUTH PLAIN LOGIN"; }
    f=$(rt_delivered bob "$id") || exit 1
    assert_contains "$f" "Message-Id: <$id>"
    rt_line "$f" ".a line with a leading dot"
    note "$name: delivered to $f"
}

send plain
send pipeline --pipeline
# Pipelined: swaks sent DATA before it read the reply to MAIL.
awk '/^ -> DATA/ { data = NR } /^<- *250 2\.1\.0/ && !mail { mail = NR }
     END { exit !(data && mail && data < mail) }' "$RT_TMP/pipeline.log" ||
    { rt_show "$RT_TMP/pipeline.log"; fail "swaks --pipeline did not pipeline"; }
exit 0
