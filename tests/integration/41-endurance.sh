#!/bin/bash
# One host process sends 5,000 messages in sequence, each over a new
# connection, into the project's scripted server (discard mode, STARTTLS
# and AUTH): its open descriptors and anonymous resident memory are the
# same at the end as after the first hundred, and no helper is left.
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
timeout 880 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/loadclient" -e \
    -c 1 -n "$n" -w 840 -i end 192.0.2.50 > "$tmp/out" 2>&1
rc=$?
grep -v '^submitify' "$tmp/out" | tail -3
[ $rc = 0 ] || fail "exit $rc: $(grep -v '^submitify' "$tmp/out" | tail -5)"
grep -q "^sent $n of $n" "$tmp/out" || fail "not every message was accepted"
sleep 1
left=$(pgrep -f "submitify-helper .*--dest 192.0.2.50:25" | wc -l)
[ "$left" = 0 ] || fail "$left helpers left"
note "$(grep '^after 100' "$tmp/out")"
