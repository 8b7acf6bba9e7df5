#!/bin/bash
# Node.js `net` (libuv: non-blocking connect, epoll) wrapped by submitify:
# tests/runtimes/send.js pipelines MAIL, RCPT, RCPT and DATA in one write,
# then the message, its dot and QUIT in another; both copies must arrive
# over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd node
rt_setup

id=$(rt_msgid node-net)
log=$RT_TMP/node.log
rt_send "$log" "the node client" node "$RT_DIR/send.js" "$RT_DEST" 25 "$id" \
    "$RT_FROM" bob@example.test carol@example.test
assert_contains "$log" "greeting: 220 "
assert_contains "$log" "ESMTP submitify"
assert_contains "$log" "AUTH PLAIN LOGIN"
# The point of this scenario: the envelope really went out pipelined.
assert_contains "$log" "pipelined: yes"
assert_contains "$log" "accepted: 250 "
for u in bob carol; do
    f=$(rt_delivered "$u" "$id") || exit 1
    rt_line "$f" ".a line with a leading dot"
    note "$u got $f"
done
exit 0
