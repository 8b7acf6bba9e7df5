#!/bin/bash
# Load and endurance through the warm helper, into the real Postfix
# submission service.  One long-lived program sends 10,000 messages in
# sequence (WARM_LOAD_MESSAGES), each over a new connection; then 200
# threads send 1,000 more (WARM_LOAD_CONCURRENT) at once.  Every message is
# delivered exactly once (each Message-ID counted in the mailbox); all but
# the first few sessions were served warm, most of them resumed TLS, and
# the warm helper's own count matches the log; its resident memory grows
# by no more than 1 MiB and its descriptors not at all between message
# 500 and message 10,000; at the end it runs no session and has no child.
# time limit: 540
. "$(dirname "$0")/../lib/common.sh"
rig_env
# This scenario is about the warm helper itself: it runs with it whatever
# make check-cold asks of the others.
unset SUBMITIFY_WARM
tmp=$(mktmp)
rig_account logfile "$tmp/log" | conf_file "$tmp/submit.conf"
n=${WARM_LOAD_MESSAGES:-10000}
m=${WARM_LOAD_CONCURRENT:-1000}
first=500
[ "$n" -gt "$first" ] || fail "WARM_LOAD_MESSAGES must be more than $first"
id=W$$x$RANDOM

# expect_delivered PREFIX COUNT SECONDS: <PREFIX.0@load.test> ...
# <PREFIX.COUNT-1@load.test> each in bob's mailbox once, within SECONDS.
expect_delivered() {
    local got i
    seq 0 $(($2 - 1)) | sed "s/.*/<$1.&@load.test>/" | sort > "$tmp/want"
    for ((i = 0; i < $3; i++)); do
        grep -rh "^Message-ID: <$1\." "$RIG_MAILDIR_BOB"/new \
            "$RIG_MAILDIR_BOB"/cur 2>/dev/null |
            sed 's/^Message-ID: //; s/\r$//' | sort > "$tmp/got"
        got=$(wc -l < "$tmp/got")
        [ "$got" -ge "$2" ] && break
        sleep 1
    done
    uniq -d "$tmp/got" > "$tmp/dup"
    [ -s "$tmp/dup" ] && fail "delivered more than once: $(head -3 "$tmp/dup")"
    comm -23 "$tmp/want" "$tmp/got" > "$tmp/missing"
    [ -s "$tmp/missing" ] && fail "$(wc -l < "$tmp/missing") of $2 not delivered after $3 s: $(head -3 "$tmp/missing")"
    comm -13 "$tmp/want" "$tmp/got" > "$tmp/extra"
    [ -s "$tmp/extra" ] && fail "delivered but never sent: $(head -3 "$tmp/extra")"
    return 0
}

# The sequence, from one program: paused after the first 500 to look at
# the warm helper, then the rest.
start=$(date +%s)
load_paused "$tmp/seq.out" "$first" 120 timeout 500 "$SUBMITIFY" \
    -c "$tmp/submit.conf" -- "$TESTBIN/loadclient" -c 1 -n "$n" \
    -P "$first" -w 480 -i "$id" 192.0.2.73
t500=$(($(date +%s) - start))
warm_settle 10 || fail "after $first sessions the warm helper still runs some: $("$SUBMITIFY" --warm-status)"
wpid=$(warm_pid) || exit 1
rss1=$(warm_rss "$wpid")
fds1=$(warm_fds "$wpid")
note "after $first sessions (${t500} s): warm helper $wpid, VmRSS $rss1 kB, $fds1 descriptors"
load_resume
rc=$?
secs=$(($(date +%s) - start))
grep -q "^sent $n of $n " "$tmp/seq.out" ||
    fail "loadclient (exit $rc): $(grep -v '^submitify' "$tmp/seq.out" | tail -5)"
warm_settle 10 || fail "after $n sessions the warm helper still runs some: $("$SUBMITIFY" --warm-status)"
[ "$(warm_pid)" = "$wpid" ] || fail "warm helper $wpid was replaced: $("$SUBMITIFY" --warm-status)"
rss2=$(warm_rss "$wpid")
fds2=$(warm_fds "$wpid")
note "$n sessions in sequence: $secs s ($((n / (secs > 0 ? secs : 1))) messages/s)"
note "after $n sessions: VmRSS $rss2 kB ($((rss2 - rss1)) kB more), $fds2 descriptors"
rss_bounded "$rss1" "$rss2" ||
    fail "the warm helper grew from $rss1 kB after $first sessions to $rss2 kB after $n"
[ "$fds2" = "$fds1" ] ||
    fail "the warm helper held $fds1 descriptors after $first sessions, $fds2 after $n"
expect_delivered "$id" "$n" 120
note "$n messages in sequence, each delivered exactly once"

# 200 at once.
cid=C$$x$RANDOM
start=$(date +%s.%N)
timeout 280 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/loadclient" \
    -c 200 -n "$m" -w 240 -i "$cid" 192.0.2.74 > "$tmp/conc.out" 2>&1
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
tail -1 "$tmp/conc.out" | grep -q "^sent $m of $m " ||
    fail "loadclient -c 200 (exit $rc): $(grep -v '^submitify' "$tmp/conc.out" | tail -5)"
note "$m messages from 200 threads: $secs s, $(echo "scale=1; $m / $secs" | bc) messages/s"
expect_delivered "$cid" "$m" 60
note "$m messages, 200 at a time, each delivered exactly once"

# Every session logged, warm but for the first few; the warm helper's
# count is the log's, and it runs nothing now.
warm_settle 10 || fail "the warm helper still runs sessions: $("$SUBMITIFY" --warm-status)"
[ "$(warm_pid)" = "$wpid" ] || fail "warm helper $wpid was replaced: $("$SUBMITIFY" --warm-status)"
total=$((n + m))
lines=$(grep -c ' prog=loadclient\[' "$tmp/log")
warm=$(grep -c ' warm=yes ' "$tmp/log")
cold=$(grep -c ' warm=no ' "$tmp/log")
resumed=$(grep -c ' resumed=yes' "$tmp/log")
errors=$(grep -c ' error=' "$tmp/log")
served=$(warm_stat served)
note "log: $lines sessions, $warm warm, $cold cold, $resumed resumed, $errors errors; warm helper: $served served, $(warm_stat kept) TLS sessions kept"
[ "$lines" = "$total" ] || fail "$lines sessions logged, $total sent"
[ "$errors" = 0 ] || fail "errors logged: $(grep ' error=' "$tmp/log" | head -3)"
# Cold only at the start; in a sanitized build a fork of the warm helper
# is slow enough that, under 200 at once, the shim's 3 s wait can run out
# and a session go cold: not more than a tenth there.
maxcold=3
[ -z "$SHIM_SAN" ] || maxcold=$((total / 10))
[ "$cold" -le "$maxcold" ] || fail "$cold of $total sessions were cold: $(grep ' warm=no ' "$tmp/log" | head -3)"
# Each session it forked is a warm one in the log, but for those whose
# program had already gone cold (the shim's wait ran out: then the cold
# helper served, and the warm one logged that the connection did not
# arrive), which a sanitized build alone may see.
[ "$served" = "$warm" ] || { [ -n "$SHIM_SAN" ] && [ "$served" -gt "$warm" ] &&
    [ "$served" -le $((warm + cold)) ]; } ||
    fail "the warm helper says it served $served sessions, the log has $warm warm ones"
[ "$resumed" -ge $((total * 9 / 10)) ] || fail "only $resumed of $total sessions resumed TLS"
[ -z "$(pgrep -f "submitify-helper .*--dest 192.0.2.7[34]:25")" ] ||
    fail "cold helpers left: $(pgrep -af "submitify-helper .*--dest 192.0.2.7[34]:25")"
rss3=$(warm_rss "$wpid")
fds3=$(warm_fds "$wpid")
note "at the end: VmRSS $rss3 kB, $fds3 descriptors"
[ "$fds3" = "$fds1" ] || fail "the warm helper held $fds1 descriptors after $first sessions, $fds3 at the end"
