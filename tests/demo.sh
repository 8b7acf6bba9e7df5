#!/bin/bash
# make demo: the main job on an embedded default.  A submission server of
# the project's own (STARTTLS required, then AUTH required) on loopback, an
# unmodified plain-SMTP client that sends to some host's port 25, and
# submitify in between.  Shows the client's view and the stored message.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/submitify-demo.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

say "A test CA and a certificate for the local server"
"$root/tests/rig/certs.sh" "$tmp/certs" >/dev/null || exit 1
echo "made $tmp/certs/ca.pem and server.pem (CN=mail.test)"

say "The submission server: 127.0.0.1, STARTTLS and AUTH required, user alice"
python3 "$root/tests/scripted/smtpd.py" --listen 127.0.0.1:0 --mode starttls \
    --cert "$tmp/certs/server.pem" --key "$tmp/certs/server.key" \
    --users alice:demo-password-1 --spool "$tmp/spool" \
    --ready-file "$tmp/port" > "$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { cat "$tmp/server.log"; exit 1; }
port=$(cat "$tmp/port")
echo "listening on 127.0.0.1:$port"

say "submit.conf (mode 600)"
umask 077
cat > "$tmp/submit.conf" <<CONF
account demo
host localhost
port $port
tls_trust_file $tmp/certs/ca.pem
user alice
password demo-password-1
CONF
sed 's/^password .*/password */' "$tmp/submit.conf"

say "submitify -- smtpclient 192.0.2.25   (plain SMTP to port 25 of a TEST-NET address where nothing listens; no TLS, no AUTH)"
"$root/wrapper/submitify" -c "$tmp/submit.conf" -- \
    "$root/tests/bin/smtpclient" -i demo@submitify.test 192.0.2.25 || {
    echo "demo: the client was not served"; exit 1; }

say "What the server stored"
for _ in $(seq 50); do ls "$tmp/spool"/* >/dev/null 2>&1 && break; sleep 0.1; done
msg=$(ls "$tmp/spool"/* 2>/dev/null | head -1)
[ -n "$msg" ] || { echo "demo: nothing arrived"; cat "$tmp/server.log"; exit 1; }
sed -n '1,8p' "$msg"
if grep -q "with ESMTPSA" "$msg" && grep -q "authenticated as alice" "$msg"; then
    say "OK: the message arrived over TLS, authenticated as alice (ESMTPSA)"
else
    echo "demo: the message did not arrive authenticated over TLS"
    exit 1
fi
