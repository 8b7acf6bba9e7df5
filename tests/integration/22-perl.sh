#!/bin/bash
# Perl's Net::SMTP (a core module) wrapped by submitify: one message to two
# recipients; both copies must arrive over TLS + AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd perl
perl -MNet::SMTP -e 1 2>/dev/null || skip "Perl's Net::SMTP is not installed"
rt_setup

id=$(rt_msgid net-smtp)
rt_send "$RT_TMP/perl.log" "the Net::SMTP client" perl "$RT_DIR/send.pl" \
    "$RT_DEST" "$id" "$RT_FROM" bob@example.test carol@example.test
assert_contains "$RT_TMP/perl.log" "ESMTP submitify"
assert_contains "$RT_TMP/perl.log" "auth: PLAIN LOGIN"
for u in bob carol; do
    f=$(rt_delivered "$u" "$id") || exit 1
    rt_line "$f" ".a line with a leading dot"
    note "$u got $f"
done
exit 0
