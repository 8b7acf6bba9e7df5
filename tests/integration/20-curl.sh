#!/bin/bash
# curl's SMTP client (non-blocking connect, TCP_NODELAY) wrapped by
# submitify: two messages to a TEST-NET address on port 25, one without and
# one with curl's own AUTH (which submitify answers itself), both delivered
# by the rig's submission port over TLS with AUTH.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC1091
. "$ROOT/tests/runtimes/lib.sh"
need_cmd curl
rt_setup

# 1: no AUTH from curl; curl -v shows what submitify advertised.
id1=$(rt_msgid plain)
log=$RT_TMP/curl1.log
rt_message "$RT_TMP/m1.eml" "$id1" "curl plain $RT_TAG"
rt_send "$log" "curl (no AUTH)" curl -v -sS --max-time 20 \
    "smtp://$RT_DEST:25/client.test" \
    --mail-from "$RT_FROM" --mail-rcpt "$RT_RCPT" -T "$RT_TMP/m1.eml"
grep -q '^< 220 .*ESMTP submitify' "$log" ||
    { rt_show "$log"; fail "curl was not greeted by submitify"; }
grep -q '^< 250.AUTH PLAIN LOGIN' "$log" ||
    { rt_show "$log"; fail "the EHLO reply lacks AUTH PLAIN LOGIN"; }
! grep -qi '^< 250.STARTTLS' "$log" ||
    { rt_show "$log"; fail "submitify offered STARTTLS to curl"; }
f=$(rt_delivered bob "$id1") || exit 1
rt_line "$f" ".A line that starts with a dot."
note "curl (no AUTH): delivered to $f"

# 2: curl authenticates (AUTH PLAIN, then the credentials after 334) with
# made-up credentials: submitify answers locally and uses the account's.
id2=$(rt_msgid auth)
log=$RT_TMP/curl2.log
rt_message "$RT_TMP/m2.eml" "$id2" "curl auth $RT_TAG"
rt_send "$log" "curl (with AUTH)" curl -v -sS --max-time 20 \
    "smtp://$RT_DEST:25/client.test" --user "nobody:not-the-password" \
    --mail-from "$RT_FROM" --mail-rcpt "$RT_RCPT" -T "$RT_TMP/m2.eml"
grep -q '^< 235 ' "$log" ||
    { rt_show "$log"; fail "curl's AUTH was not accepted"; }
f=$(rt_delivered bob "$id2") || exit 1
note "curl (with AUTH): delivered to $f"
exit 0
