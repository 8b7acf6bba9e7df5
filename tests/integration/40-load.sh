#!/bin/bash
# 200 concurrent sessions through submitify into the real Postfix
# submission service: every message delivered exactly once, counted by
# Message-ID in the mailbox, and every helper gone afterwards.  Once with
# the tests' own threaded C driver (one host process, 200 threads), once
# with Postfix's smtp-source (200 parallel sessions).  With the warm helper
# (the default) it served sessions and runs none at the end; with
# SUBMITIFY_WARM=0 none runs at all.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd smtp-source
tmp=$(mktmp)
# The log says why a session failed, and whether it was warm.
rig_account logfile "$tmp/log" | conf_file "$tmp/submit.conf"
id=L$$x$RANDOM

# The C driver: 200 threads, 400 messages.
timeout 280 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/loadclient" \
    -c 200 -n 400 -w 240 -i "$id" 192.0.2.40 > "$tmp/load.out" 2>&1 &
pid=$!
on_exit "kill $pid 2>/dev/null"
wait $pid
rc=$?
tail -1 "$tmp/load.out" | grep -q "^sent 400 of 400" ||
    fail "loadclient (exit $rc): $(grep -v '^submitify' "$tmp/load.out" | tail -5)
$(grep -o ' warm=.* error=.*' "$tmp/log" | sort | uniq -c | sort -rn | head -5)"
# Each Message-ID once, none missing.
for i in $(seq 1 50); do
    n=$(grep -rhl "^Message-ID: <$id\." "$RIG_MAILDIR_BOB"/new "$RIG_MAILDIR_BOB"/cur 2>/dev/null | wc -l)
    [ "$n" -ge 400 ] && break
    sleep 0.5
done
grep -rh "^Message-ID: <$id\." "$RIG_MAILDIR_BOB"/new "$RIG_MAILDIR_BOB"/cur |
    sort | uniq -c > "$tmp/ids"
[ "$(wc -l < "$tmp/ids")" = 400 ] || fail "$(wc -l < "$tmp/ids") distinct messages of 400 arrived"
awk '$1 != 1' "$tmp/ids" | grep -q . && fail "delivered more than once: $(awk '$1 != 1' "$tmp/ids" | head -3)"
note "loadclient: 400 messages, 200 at a time, each delivered exactly once"

# smtp-source, 200 sessions of one message each, unique recipient tag.
tag=ss$$x$RANDOM
timeout 280 "$SUBMITIFY" -c "$tmp/submit.conf" -- smtp-source -s 200 -m 200 \
    -f alice@example.test -t "bob@example.test" -S "$tag" -c 192.0.2.41:25 \
    > "$tmp/ss.out" 2>&1 || fail "smtp-source failed: $(tail -5 "$tmp/ss.out")
$(grep -o ' warm=.* error=.*' "$tmp/log" | sort | uniq -c | sort -rn | head -5)"
for i in $(seq 1 50); do
    n=$(grep -rl "^Subject: $tag" "$RIG_MAILDIR_BOB"/new "$RIG_MAILDIR_BOB"/cur 2>/dev/null | wc -l)
    [ "$n" -ge 200 ] && break
    sleep 0.5
done
[ "$n" = 200 ] || fail "smtp-source: $n of 200 delivered"
note "smtp-source: 200 sessions, 200 delivered"

# No helper outlives its session (they are nobody's children: look by name).
sleep 1
left=$(pgrep -f "submitify-helper .*--dest 192.0.2.4[01]:25" | wc -l)
[ "$left" = 0 ] || fail "$left helpers still running"
note "no helper left"
# Every session logged; with SUBMITIFY_WARM=0 every one cold.
warm=$(grep -c ' warm=yes ' "$tmp/log")
cold=$(grep -c ' warm=no ' "$tmp/log")
[ $((warm + cold)) = 600 ] || fail "$((warm + cold)) sessions logged, 600 sent"
[ "${SUBMITIFY_WARM:-}" != 0 ] || [ "$warm" = 0 ] || fail "SUBMITIFY_WARM=0, yet $warm sessions were warm"
note "log: $warm sessions warm, $cold cold"
# A warm helper's sessions are its children, with its command line: none
# may be left either.
warm_check_done $((warm > 0 ? warm : 1))
