#!/bin/bash
# XOAUTH2 and OAUTHBEARER against the project's scripted server: used only
# when `auth` names them, with a token of several kilobytes from
# passwordeval (OAuth access tokens run that long).
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
# A 6 KB token, as an identity provider might hand out.
token=$(head -c 4500 /dev/urandom | base64 -w0 | tr '+/' '-_')
printf '%s\n' "$token" > "$tmp/token"
chmod 600 "$tmp/token"
scripted_start "$tmp" srv --mode starttls --cert "$tmp/certs/server.pem" \
    --key "$tmp/certs/server.key" --users "alice@example.test:$token" \
    --spool "$tmp/spool" --max-line 16384 --auth-mechs "XOAUTH2 OAUTHBEARER"
account() { # NAME AUTH
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $SCRIPTED_PORT
tls_trust_file $tmp/certs/ca.pem
auth $2
user alice@example.test
passwordeval "cat $tmp/token"
CONF
}
id=$$.$RANDOM
for m in xoauth2 oauthbearer; do
    account "$m" "$m"
    LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/$m.conf timeout 30 "$TESTBIN/smtpclient" -q \
        -i "$m-$id@test" 192.0.2.29 > "$tmp/$m.out" 2>&1 ||
        fail "$m: $(cat "$tmp/$m.out")"
done
# auth on does not pick a token mechanism: the password is not a token.
account auto on
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/auto.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "auto-$id@test" 192.0.2.29 > "$tmp/auto.out" 2>&1
[ $? = 1 ] || fail "auth on used a token mechanism"
assert_contains "$tmp/auto.out" "offers none of the mechanisms submitify speaks"

for _ in $(seq 1 50); do
    python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; sys.exit(0 if t["sessions_ended"] >= 3 else 1)' \
        "$tmp/srv.record" 2>/dev/null && break
    sleep 0.2
done
python3 - "$tmp/srv.record" "$token" <<'PY' || fail "the server's record disagrees"
import json, sys
rec = json.load(open(sys.argv[1]))
auths = [e for s in rec["sessions"] for e in s["events"] if e["ev"] == "auth"]
mechs = sorted(a["mechanism"] for a in auths if a.get("secret_ok"))
assert mechs == ["OAUTHBEARER", "XOAUTH2"], mechs
assert all(a["username"] == "alice@example.test" for a in auths), auths
assert rec["totals"]["messages_accepted"] == 2, rec["totals"]
assert sys.argv[2] not in open(sys.argv[1]).read()
PY
note "XOAUTH2 and OAUTHBEARER with a ${#token}-byte token; not chosen by auth on"
