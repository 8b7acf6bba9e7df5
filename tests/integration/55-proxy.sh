#!/bin/bash
# proxy_host / proxy_port: the session goes through a SOCKS5 proxy, which
# is handed the server's name to resolve (as msmtp does), and TLS is still
# verified against the server's own name end to end.  The proxy is the
# test's own (tests/bin/socks5.py), which logs each CONNECT; one variant
# refuses every CONNECT, another wants a password submitify does not have,
# and a port where nothing listens stands for a proxy that is down.
. "$(dirname "$0")/../lib/common.sh"
need_cmd python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
scripted_start "$tmp" srv --mode starttls --cert "$tmp/certs/server.pem" \
    --key "$tmp/certs/server.key" --users "alice:pw-a" --spool "$tmp/spool"

# proxy NAME [ARGS...]: start a proxy; its port in PROXY_PORT.
proxy() {
    local name=$1
    shift
    python3 "$ROOT/tests/bin/socks5.py" --ready-file "$tmp/$name.port" \
        --log "$tmp/$name.log" --lifetime 120 "$@" > "$tmp/$name.out" 2>&1 &
    on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
    wait_for_file "$tmp/$name.port" 10 || fail "proxy $name did not start: $(cat "$tmp/$name.out")"
    PROXY_PORT=$(cat "$tmp/$name.port")
}
# send NAME PROXYPORT: one message through the account with that proxy.
send() {
    conf_file "$tmp/$1.conf" <<CONF
account p
host localhost
port $SCRIPTED_PORT
tls_trust_file $tmp/certs/ca.pem
proxy_host 127.0.0.1
proxy_port $2
user alice
password pw-a
timeout 10
CONF
    LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/$1.conf timeout 30 \
        "$TESTBIN/smtpclient" -i "$1-$$@test" 192.0.2.40 > "$tmp/$1.client" 2>&1
}

# Through the proxy: delivered, and the proxy was asked for the name.
proxy good
send good "$PROXY_PORT" || fail "not delivered through the proxy: $(tail -3 "$tmp/good.client")"
grep -rqF "good-$$@test" "$tmp/spool" || fail "the message is not in the spool"
python3 - "$tmp/good.log" "$SCRIPTED_PORT" <<'PY' || fail "the proxy's log disagrees: $(cat "$tmp/good.log")"
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
assert entries == [{"atyp": 3, "host": "localhost", "port": int(sys.argv[2]),
                    "cmd": 1, "rep": 0}], entries
PY
note "through the SOCKS5 proxy: delivered, the proxy asked for localhost by name"

# A proxy that refuses the CONNECT: a 421 with its words, nothing sent.
proxy refuse --refuse
send refuse "$PROXY_PORT" && fail "delivered through a refusing proxy"
assert_contains "$tmp/refuse.client" "421 4.4.1 submitify: the SOCKS5 proxy could not connect to localhost:$SCRIPTED_PORT: connection refused"
note "a refusing proxy: 421 naming its reply"

# A proxy that wants a password: said so.
proxy auth --want-auth
send auth "$PROXY_PORT" && fail "delivered through a proxy that wants a password"
assert_contains "$tmp/auth.client" "the SOCKS5 proxy wants authentication, which submitify does not do"
note "a proxy that wants a password: 421 saying so"

# No proxy at all on that port: the proxy is named, not the server.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
send dead "$dead" && fail "delivered through no proxy"
assert_contains "$tmp/dead.client" "cannot connect to the SOCKS5 proxy 127.0.0.1:$dead"
note "no proxy listening: 421 naming the proxy"
