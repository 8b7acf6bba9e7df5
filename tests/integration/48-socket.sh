#!/bin/bash
# socket (msmtp's key): the session goes through a local UNIX-domain socket
# instead of host and port, here a forwarder of the test's own
# (tests/bin/unixfwd.py) to the Postfix rig.  Everything after the connect
# is as over TCP: STARTTLS or implicit TLS, the certificate verified against
# the account's host (mail.test, which nothing resolves: only the socket is
# dialled), AUTH.  The socket wins over port, proxy_host and source_ip, as
# in msmtp; ~/ is expanded; a socket that is not there is named in the 421.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3
tmp=$(mktmp)
id=$$.$RANDOM

# fwd NAME SOCKET PORT: a forwarder from SOCKET to the rig's PORT.
fwd() {
    python3 "$ROOT/tests/bin/unixfwd.py" --socket "$2" --to "$RIG_ADDR:$3" \
        --ready-file "$tmp/$1.ready" --log "$tmp/$1.log" --lifetime 120 \
        > "$tmp/$1.out" 2>&1 &
    on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
    wait_for_file "$tmp/$1.ready" 10 || fail "forwarder $1 did not start: $(cat "$tmp/$1.out")"
}
# conf NAME [KEY VALUE]...: alice's account at mail.test through a socket.
conf() {
    local f=$tmp/$1.conf
    shift
    {
        printf 'account s\nhost mail.test\ntls_trust_file %s\n' "$RIG_CA"
        printf 'user alice\npassword %s\nlogfile %s\n' "$RIG_ALICE_PASS" "$f.log"
        conf_lines "$@"
    } | conf_file "$f"
}
send() { # NAME MSGID
    timeout 60 "$SUBMITIFY" -c "$tmp/$1.conf" -- "$TESTBIN/smtpclient" -i "$2" \
        192.0.2.48 > "$tmp/$1.out" 2> "$tmp/$1.err"
}
arrived() { # MSGID NAME
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$1>" 20 > /dev/null ||
        fail "$1 did not arrive: $(tail -3 "$tmp/$2.out")"
}
mark() { wc -l < "$RIG_MAILLOG"; }
logins() { sleep 1; tail -n +$(($1 + 1)) "$RIG_MAILLOG" | grep -F "sasl_username=alice" || true; }
connections() { [ -f "$tmp/$1.log" ] && grep -c '"ok": true' "$tmp/$1.log" || echo 0; }

# 1. STARTTLS through the socket; port 9 is not used.
fwd sub "$tmp/sub.sock" "$RIG_SUB_PORT"
conf starttls socket "$tmp/sub.sock" port 9
m=$(mark)
send starttls "sock-starttls-$id@test" || fail "STARTTLS through the socket: not served: $(tail -3 "$tmp/starttls.out")"
arrived "sock-starttls-$id@test" starttls
[ "$(connections sub)" = 1 ] || fail "the forwarder did not carry the session: $(cat "$tmp/sub.log" 2>/dev/null)"
logins "$m" | grep -q "sasl_method=PLAIN, sasl_username=alice" || fail "no login through the socket: $(logins "$m")"
grep -q "upstream=$tmp/sub.sock tls=TLSv1\.[23]/.* auth=PLAIN" "$tmp/starttls.conf.log" ||
    fail "the log line does not name the socket: $(cat "$tmp/starttls.conf.log")"
note "STARTTLS through the socket: delivered with AUTH, the log names the socket"

# --check names the socket and verifies mail.test.
timeout 60 "$SUBMITIFY" -c "$tmp/starttls.conf" --check > "$tmp/check.out" 2>&1 ||
    fail "--check failed: $(tail -5 "$tmp/check.out")"
for want in "server: mail.test through the socket $tmp/sub.sock, STARTTLS" \
    "connected: $tmp/sub.sock" "verification: ok: chain trusted and host name matches" \
    "result: OK"; do
    assert_contains "$tmp/check.out" "$want"
done
note "--check: names the socket, verifies mail.test"
# The forwarder's end of the socket may be gone when --check writes its
# close_notify after QUIT: that is EPIPE, never a SIGPIPE that kills
# --check before its result (about one run in seven did).
for i in $(seq 1 20); do
    timeout 60 "$SUBMITIFY" -c "$tmp/starttls.conf" --check > "$tmp/check.$i" 2>&1 ||
        fail "--check run $i ended with $?: $(tail -2 "$tmp/check.$i")"
    assert_contains "$tmp/check.$i" "result: OK"
done
note "--check through the socket: 20 runs, each to its result"

# 2. Implicit TLS through a socket to the submissions port, with ~/.
mkdir -p "$tmp/home"
fwd subs "$tmp/home/subs.sock" "$RIG_SUBS_PORT"
conf implicit socket "~/subs.sock" tls_starttls off
HOME=$tmp/home send implicit "sock-implicit-$id@test" || fail "implicit TLS through ~/subs.sock: not served: $(tail -3 "$tmp/implicit.out")"
arrived "sock-implicit-$id@test" implicit
[ "$(connections subs)" = 1 ] || fail "the forwarder to 465 did not carry the session"
note "implicit TLS through ~/subs.sock: delivered"

# 3. The certificate is verified against host, not the socket: a host the
# certificate does not name is refused before AUTH.
conf wrongname socket "$tmp/sub.sock" host wrong.example
m=$(mark)
send wrongname "sock-wrongname-$id@test" && fail "a certificate for another name was accepted"
grep -q "<- 421 4.7.0 submitify: $tmp/sub.sock: .*certificate" "$tmp/wrongname.out" ||
    fail "no 421 for the name mismatch: $(grep '^<-' "$tmp/wrongname.out")"
[ -z "$(logins "$m")" ] || fail "a login happened for a server that did not verify: $(logins "$m")"
note "host wrong.example through the socket: certificate refused, no AUTH"

# 4. No socket there: a 421 naming it.
conf none socket "$tmp/none.sock"
send none "sock-none-$id@test" && fail "served without a socket"
assert_contains "$tmp/none.out" "<- 421 4.4.1 submitify: cannot connect to the socket $tmp/none.sock: No such file or directory"
note "a socket that does not exist: 421 naming it"

# 5. socket with proxy_host, proxy_port and source_ip: the socket wins, as
# in msmtp (no proxy listens on that port; 192.0.2.99 is no address here).
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf both socket "$tmp/sub.sock" proxy_host 127.0.0.1 proxy_port "$dead" source_ip 192.0.2.99
n=$(connections sub)
send both "sock-both-$id@test" || fail "socket and proxy_host: not served: $(tail -3 "$tmp/both.out")"
arrived "sock-both-$id@test" both
[ "$(connections sub)" = $((n + 1)) ] || fail "socket and proxy_host: not through the socket"
note "socket with proxy_host and source_ip: the socket is used, as msmtp does"
