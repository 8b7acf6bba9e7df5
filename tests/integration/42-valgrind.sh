#!/bin/bash
# The helper under valgrind memcheck for whole sessions: 587 and 465, a
# small and a 10 MB message, and an upstream failure (wrong password), each
# a cold helper's; then a warm helper under memcheck (its session processes
# are its forks, traced too) for the same four sessions, the later ones
# resumed.  No errors, nothing definitely or indirectly lost.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd valgrind
tmp=$(mktmp)
cat > "$tmp/vghelper" <<SH
#!/bin/sh
exec valgrind --quiet --suppressions=$ROOT/tests/valgrind.supp --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --show-leak-kinds=definite,indirect --error-exitcode=99 \\
    --log-file=$tmp/vg.%p.log "$HELPER" "\$@"
SH
chmod +x "$tmp/vghelper"
account() { # NAME PORT STARTTLS PASSWORD
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $2
tls_starttls $3
tls_trust_file $RIG_CA
user alice
password $4
timeout 120
CONF
}
account sub "$RIG_SUB_PORT" on "$RIG_ALICE_PASS"
account subs "$RIG_SUBS_PORT" off "$RIG_ALICE_PASS"
account bad "$RIG_SUB_PORT" on wrong-password
id=$$.$RANDOM
run() { # CONF MSGID SIZE
    SUBMITIFY_HELPER=$tmp/vghelper LD_PRELOAD=$SHIM SUBMITIFY_CONF=$tmp/$1.conf \
        SUBMITIFY_WARM=${WARM:-0} \
        timeout 240 "$TESTBIN/smtpclient" -q -s "$3" -i "$2" 192.0.2.60
}
run sub "vg-small-$id@test" 0 || fail "587 small"
run subs "vg-465-$id@test" 0 || fail "465 small"
run sub "vg-big-$id@test" 10485760 || fail "587 10 MB"
run bad "vg-bad-$id@test" 0 > "$tmp/bad.out" 2>&1
[ $? = 1 ] || fail "the wrong password was not refused"
assert_contains "$tmp/bad.out" "421 4.7.0 submitify:"
# The logs are complete once the helpers have exited.
for _ in $(seq 1 100); do
    pgrep -f "valgrind.*submitify-helper" > /dev/null || break
    sleep 0.2
done
logs=$(ls "$tmp"/vg.*.log 2>/dev/null | wc -l)
[ "$logs" = 4 ] || fail "$logs valgrind logs, expected 4"
for f in "$tmp"/vg.*.log; do
    if [ -s "$f" ]; then
        cat "$f"
        fail "valgrind reported problems in $(basename "$f")"
    fi
done
for m in "vg-small-$id" "vg-465-$id" "vg-big-$id"; do
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$m@test>" 30 > /dev/null || fail "$m not delivered"
done
note "4 cold helper runs under memcheck: no errors, no definite or indirect leaks"

# The warm helper: where the shim will look for it (a warm helper started
# by a session, found and stopped), then one of its own under memcheck
# there.  Its forks (the session processes) are traced too.
mkdir -p "$tmp/vgw"
WARM=1 run sub "vgw-find-$id@test" 0 || fail "587, the session that starts a warm helper"
for _ in $(seq 1 50); do
    sock=$(timeout 20 "$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid [0-9]* at \([^:]*\):.*/\1/p')
    [ -n "$sock" ] && break
    sleep 0.2
done
[ -n "$sock" ] || fail "no warm helper was started"
timeout 20 "$SUBMITIFY" --warm-stop > /dev/null
valgrind --quiet --suppressions="$ROOT/tests/valgrind.supp" --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=99 --log-file="$tmp/vgw/vg.%p.log" \
    "$HELPER" --warm-serve "$sock" --idle 60 &
vgw=$!
on_exit "kill $vgw 2>/dev/null"
# OpenSSL's set-up comes before the socket, and memcheck makes it slow.
for _ in $(seq 1 600); do
    [ -S "$sock" ] && break
    sleep 0.1
done
[ -S "$sock" ] || fail "the warm helper under memcheck did not open $sock: $(ls -la "$(dirname "$sock")"; kill -0 $vgw && echo running; cat "$tmp"/vgw/vg.*.log)"
WARM=1 run sub "vgw-small-$id@test" 0 || fail "warm: 587 small"
WARM=1 run subs "vgw-465-$id@test" 0 || fail "warm: 465 small"
WARM=1 run sub "vgw-big-$id@test" 10485760 || fail "warm: 587 10 MB"
WARM=1 run sub "vgw-again-$id@test" 0 || fail "warm: 587 again"
WARM=1 run bad "vgw-bad-$id@test" 0 > "$tmp/vgw/bad.out" 2>&1
[ $? = 1 ] || fail "warm: the wrong password was not refused"
timeout 60 "$SUBMITIFY" --warm-status > "$tmp/vgw/status"
# Under memcheck the warm helper may answer a first request later than
# the shim waits (then that session is cold): most must be its own.
served=$(sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p' "$tmp/vgw/status")
[ "${served:-0}" -ge 4 ] || fail "the warm helper under memcheck served ${served:-0} of the 5 sessions: $(cat "$tmp/vgw/status")"
timeout 60 "$SUBMITIFY" --warm-stop > /dev/null
wait $vgw
rc=$?
[ $rc = 0 ] || fail "the warm helper under memcheck exited $rc: $(cat "$tmp"/vgw/vg.*.log)"
# One log for the warm helper and one for each session process it forked.
logs=$(ls "$tmp"/vgw/vg.*.log 2>/dev/null | wc -l)
[ "$logs" = $((served + 1)) ] || fail "$logs valgrind logs of the warm helper and its sessions, expected $((served + 1))"
for f in "$tmp"/vgw/vg.*.log; do
    if [ -s "$f" ]; then
        cat "$f"
        fail "valgrind reported problems in the warm helper: $(basename "$f")"
    fi
done
for m in "vgw-small-$id" "vgw-465-$id" "vgw-big-$id" "vgw-again-$id"; do
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$m@test>" 30 > /dev/null || fail "$m not delivered"
done
note "a warm helper and its $served session processes under memcheck: no errors, no definite or indirect leaks"
