#!/bin/bash
# A Java program (tests/runtimes/Send.java, single-file source launch) with a
# plain java.net.Socket, wrapped by submitify: connect with a timeout (a
# non-blocking connect in the JDK), one command at a time; the message must
# arrive over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd java
rt_setup
# The JVM and the in-memory compile of Send.java take a while to start.
RT_TIMEOUT=60

id=$(rt_msgid java-socket)
log=$RT_TMP/java.log
rt_send "$log" "java Send.java" java -Xshare:auto -XX:TieredStopAtLevel=1 \
    "$RT_DIR/Send.java" "$RT_DEST" 25 "$id" "$RT_FROM" "$RT_RCPT"
assert_contains "$log" "ESMTP submitify"
assert_contains "$log" "ext: AUTH PLAIN LOGIN"
assert_contains "$log" "accepted: 250 "
f=$(rt_delivered bob "$id") || exit 1
rt_line "$f" ".a line with a leading dot"
note "delivered to $f"
exit 0
