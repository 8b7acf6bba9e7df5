#!/bin/bash
# The helper under valgrind memcheck for whole sessions: 587 and 465, a
# small and a 10 MB message, and an upstream failure (wrong password).
# No errors, nothing definitely or indirectly lost.
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
note "4 helper runs under memcheck: no errors, no definite or indirect leaks"
