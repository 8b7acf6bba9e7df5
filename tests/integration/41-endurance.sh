#!/bin/bash
# One host process sends 5,000 messages in sequence, each over a new
# connection, into the project's scripted server (discard mode, STARTTLS
# and AUTH): its open descriptors and anonymous resident memory are the
# same at the end as after the first hundred, and no helper is left.  With
# the warm helper (the default) it served all but the first few sessions,
# its descriptors are the same and its resident memory at most 1 MiB more
# at the end, and it runs no session; with SUBMITIFY_WARM=0 none runs.
# time limit: 900
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
scripted_start "$tmp" srv --mode starttls --cert "$tmp/certs/server.pem" \
    --key "$tmp/certs/server.key" --users alice:endurance-pw --discard
conf_file "$tmp/submit.conf" <<CONF
account s
host localhost
port $SCRIPTED_PORT
tls_trust_file $tmp/certs/ca.pem
user alice
password endurance-pw
CONF
n=${ENDURANCE_MESSAGES:-5000}
# Paused after the first hundred to look at the warm helper.
load_paused "$tmp/out" 100 60 timeout 880 "$SUBMITIFY" -c "$tmp/submit.conf" \
    -- "$TESTBIN/loadclient" -e -c 1 -n "$n" -P 100 -w 840 -i end 192.0.2.50
if [ "${SUBMITIFY_WARM:-}" != 0 ]; then
    warm_settle 10 || fail "after 100 sessions the warm helper still runs some: $("$SUBMITIFY" --warm-status)"
    wpid=$(warm_pid) || exit 1
    rss100=$(warm_rss "$wpid")
    fds100=$(warm_fds "$wpid")
fi
load_resume
rc=$?
grep -v '^submitify' "$tmp/out" | tail -3
[ $rc = 0 ] || fail "exit $rc: $(grep -v '^submitify' "$tmp/out" | tail -5)"
grep -q "^sent $n of $n" "$tmp/out" || fail "not every message was accepted"
sleep 1
left=$(pgrep -f "submitify-helper .*--dest 192.0.2.50:25" | wc -l)
[ "$left" = 0 ] || fail "$left helpers left"
note "$(grep '^after 100' "$tmp/out")"
# The first session or two start the warm helper; it serves the rest.
warm_check_done $((n - 3))
if [ "${SUBMITIFY_WARM:-}" != 0 ]; then
    [ "$(warm_pid)" = "$wpid" ] || fail "warm helper $wpid was replaced: $("$SUBMITIFY" --warm-status)"
    rss=$(warm_rss "$wpid")
    fds=$(warm_fds "$wpid")
    note "warm helper after 100: $fds100 fds, VmRSS $rss100 kB; at the end: $fds fds, VmRSS $rss kB"
    [ "$fds" = "$fds100" ] || fail "the warm helper's descriptors went from $fds100 to $fds"
    rss_bounded "$rss100" "$rss" || fail "the warm helper grew from $rss100 kB to $rss kB"
fi
