#!/bin/bash
# More of submit.conf against the scripted server, which records what it
# was told: the EHLO name (`domain`), an account matched by host name, and
# ~/.msmtprc read when there is no submit.conf (said once by the wrapper),
# and source_ip (the server sees the connection come from 127.0.0.2).
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
scripted_start "$tmp" srv --mode starttls --cert "$tmp/certs/server.pem" \
    --key "$tmp/certs/server.key" --users "alice:pw-a,bob:pw-b"
base="host localhost
port $SCRIPTED_PORT
tls_trust_file $tmp/certs/ca.pem"
conf_file "$tmp/submit.conf" <<CONF
defaults
$base
domain client.example.test

account other
match 198.51.100.0/24
user bob
password pw-b

account byname
match localhost
user alice
password pw-a
CONF
# 127.0.0.1:25 is "localhost": the second account, by name.
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/submit.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "byname@test" 127.0.0.1 || fail "match by host name"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/submit.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "byblock@test" 198.51.100.9 || fail "match by block"

# No submit.conf anywhere, but ~/.msmtprc: read, and said once.
mkdir -p "$tmp/home"
conf_file "$tmp/home/.msmtprc" <<CONF
account default
$base
user alice
password pw-a
CONF
env -u SUBMITIFY_CONF HOME="$tmp/home" timeout 30 "$SUBMITIFY" -- \
    "$TESTBIN/smtpclient" -q -i "msmtprc@test" 192.0.2.31 2> "$tmp/err" ||
    fail "~/.msmtprc: $(cat "$tmp/err")"
[ "$(grep -c "no submit.conf found; reading $tmp/home/.msmtprc" "$tmp/err")" = 1 ] ||
    fail "the wrapper did not say it read ~/.msmtprc, once: $(cat "$tmp/err")"

# source_ip: another loopback address of this host.
conf_file "$tmp/source.conf" <<CONF
account src
$base
source_ip 127.0.0.2
user alice
password pw-a
CONF
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/source.conf timeout 30 "$TESTBIN/smtpclient" -q \
    -i "source@test" 192.0.2.32 || fail "source_ip 127.0.0.2"

for _ in $(seq 1 50); do
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["totals"]["sessions_ended"] >= 4 else 1)' \
        "$tmp/srv.record" 2>/dev/null && break
    sleep 0.2
done
python3 - "$tmp/srv.record" <<'PY' || fail "the server's record disagrees"
import json, sys
rec = json.load(open(sys.argv[1]))
users = [s.get("user") for s in rec["sessions"]]
assert users == ["alice", "bob", "alice", "alice"], users
peers = [s["peer"].rsplit(":", 1)[0] for s in rec["sessions"]]
assert peers == ["127.0.0.1"] * 3 + ["127.0.0.2"], peers
ehlo = [e["data"] for s in rec["sessions"][:2] for e in s["events"]
        if e["ev"] == "recv" and e["data"].startswith("EHLO")]
assert ehlo and all(d.startswith("EHLO client.example.test") for d in ehlo), ehlo
PY
note "domain sent as EHLO name; match by name and block; ~/.msmtprc fallback; source_ip"
