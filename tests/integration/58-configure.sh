#!/bin/bash
# submitify --configure ADDRESS: the submission server from DNS SRV records
# (RFC 6186), probed as --check does, printed as an account block.  The DNS
# server is a dnsmasq of the test's own in a network namespace of its own
# (ip netns exec binds /etc/netns/NS/resolv.conf over /etc/resolv.conf), with
# records for:
#   good.test     _submissions and _submission -> mail.good.test (trusted)
#   outside.test  _submission -> mail.good.test: outside the address's domain
#   badcert.test  _submission -> mail.badcert.test, whose certificate names
#                 only mail.good.test
#   none.test     no records
#   slow.test     forwarded to a server that never answers (a timeout)
# The block printed for good.test is then used, with a password added, to
# deliver a message through the shim to the scripted server it names.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ip dnsmasq openssl python3
tmp=$(mktmp)
ns=sfy-cfg-$$

ip netns add "$ns" || skip "cannot create network namespaces here"
on_exit "ip netns del $ns"
ip -n "$ns" link set lo up
mkdir -p "/etc/netns/$ns"
on_exit "rm -rf /etc/netns/$ns"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n' > "/etc/netns/$ns/hosts"
# in_ns CMD...: CMD in the namespace.  A background job is started with
# ip netns exec itself, which execs CMD, so that $! is the pid to end (a
# function in the background would be a subshell, and CMD would outlive it).
in_ns() { ip netns exec "$ns" "$@"; }

# A certificate for mail.good.test from the test CA.
certs=$tmp/certs
"$ROOT/tests/rig/certs.sh" "$certs" > /dev/null || fail "certs.sh failed"
printf 'subjectAltName=DNS:mail.good.test\n' > "$tmp/san.ext"
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/good.key" \
    -subj /CN=mail.good.test -out "$tmp/good.csr" > /dev/null 2>&1 &&
    openssl x509 -req -in "$tmp/good.csr" -CA "$certs/ca.pem" \
        -CAkey "$certs/ca.key" -CAcreateserial -days 2 -extfile "$tmp/san.ext" \
        -out "$tmp/good.pem" > /dev/null 2>&1 || fail "cannot make a certificate"

# Two scripted servers in the namespace: implicit TLS and STARTTLS.
start_server() { # NAME MODE
    rm -f "$tmp/$1.port"
    ip netns exec "$ns" python3 "$SCRIPTED" --listen 127.0.0.1:0 --mode "$2" \
        --cert "$tmp/good.pem" --key "$tmp/good.key" \
        --users "alice@good.test:Cfg-secret-7" --spool "$tmp/$1.spool" \
        --ready-file "$tmp/$1.port" --record "$tmp/$1.record" > "$tmp/$1.out" 2>&1 &
    on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
    wait_for_file "$tmp/$1.port" 10 || fail "$1 did not start: $(cat "$tmp/$1.out")"
}
start_server tls implicit
start_server plain starttls
TLS_PORT=$(cat "$tmp/tls.port")
STARTTLS_PORT=$(cat "$tmp/plain.port")

# A DNS server that never answers, for slow.test.
ip netns exec "$ns" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 5353))
end = time.monotonic() + 120
while time.monotonic() < end:
    s.settimeout(1)
    try:
        s.recvfrom(512)
    except OSError:
        pass
' &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"

ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
    --listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root \
    --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" \
    --address=/mail.good.test/127.0.0.1 --address=/mail.badcert.test/127.0.0.1 \
    --srv-host=_submissions._tcp.good.test,mail.good.test,"$TLS_PORT",10,0 \
    --srv-host=_submission._tcp.good.test,mail.good.test,"$STARTTLS_PORT",10,0 \
    --srv-host=_submission._tcp.outside.test,mail.good.test,"$STARTTLS_PORT",10,0 \
    --srv-host=_submission._tcp.badcert.test,mail.badcert.test,"$STARTTLS_PORT",10,0 \
    --local=/test/ --server=/slow.test/127.0.0.2#5353 &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
for ((i = 0; i < 50; i++)); do
    in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/53' 2>/dev/null && break
    sleep 0.1
done

# configure ADDRESS: run --configure in the namespace, trusting the test CA.
configure() {
    local t0=$SECONDS
    in_ns env SSL_CERT_FILE="$certs/ca.pem" timeout 60 "$SUBMITIFY" \
        --configure "$1" > "$tmp/$1.out" 2> "$tmp/$1.err"
    RC=$?
    SECS=$((SECONDS - t0))
}

# 1. good.test: implicit TLS preferred, probed, a block that works.
configure alice@good.test
[ "$RC" = 0 ] || fail "good.test: exit $RC: $(cat "$tmp/alice@good.test.err")"
for want in "account good.test" "host mail.good.test" "port $TLS_PORT" \
    "tls on" "tls_starttls off" "user alice@good.test" "from alice@good.test"; do
    grep -qxF "$want" "$tmp/alice@good.test.out" ||
        fail "good.test: no line '$want' in: $(cat "$tmp/alice@good.test.out")"
done
assert_contains "$tmp/alice@good.test.err" "result: OK"
assert_not_contains "$tmp/alice@good.test.out" "WARNING"
note "good.test: _submissions preferred, probed OK, block printed"

# The block as the user would paste it, with a password: a message delivered
# to the server it names, through the shim.
{ cat "$tmp/alice@good.test.out"; printf 'password Cfg-secret-7\n'; } | conf_file "$tmp/pasted.conf"
in_ns env SSL_CERT_FILE="$certs/ca.pem" timeout 60 "$SUBMITIFY" -c "$tmp/pasted.conf" -- \
    "$TESTBIN/smtpclient" -i "cfg-$$@test" 192.0.2.1 > "$tmp/send.out" 2>&1 ||
    fail "the printed block did not deliver: $(tail -3 "$tmp/send.out")"
grep -rqF "cfg-$$@test" "$tmp/tls.spool" || fail "the message is not in the implicit-TLS server's spool"
note "the printed block, with a password, delivered"

# 2. outside.test: the target is outside the domain: printed with a warning.
configure bob@outside.test
[ "$RC" = 0 ] || fail "outside.test: exit $RC: $(cat "$tmp/bob@outside.test.err")"
assert_contains "$tmp/bob@outside.test.out" "host mail.good.test"
grep -q "^# WARNING: .*mail.good.test.* not inside outside.test" "$tmp/bob@outside.test.out" ||
    fail "outside.test: no warning in the block: $(cat "$tmp/bob@outside.test.out")"
grep -q "mail.good.test is not inside outside.test" "$tmp/bob@outside.test.err" ||
    fail "outside.test: no warning on stderr: $(cat "$tmp/bob@outside.test.err")"
note "outside.test: block printed with a warning naming mail.good.test"

# 3. badcert.test: the certificate does not verify: no block, the reason.
configure carol@badcert.test
[ "$RC" != 0 ] || fail "badcert.test: exit 0"
[ ! -s "$tmp/carol@badcert.test.out" ] || fail "badcert.test: a block was printed: $(cat "$tmp/carol@badcert.test.out")"
assert_contains "$tmp/carol@badcert.test.err" "hostname mismatch"
note "badcert.test: refused (hostname mismatch), no block"

# 4. none.test: no records.
configure dave@none.test
[ "$RC" != 0 ] || fail "none.test: exit 0"
[ ! -s "$tmp/dave@none.test.out" ] || fail "none.test: a block was printed"
assert_contains "$tmp/dave@none.test.err" "none.test publishes no submission server"
note "none.test: no SRV records, said so"

# 5. slow.test: no answer: a bounded wait and the reason.
configure erin@slow.test
[ "$RC" != 0 ] || fail "slow.test: exit 0"
assert_contains "$tmp/erin@slow.test.err" "no answer for _submissions._tcp.slow.test"
[ "$SECS" -le 20 ] || fail "slow.test: took $SECS s"
note "slow.test: no answer, gave up after $SECS s"

# 6. Not an address.
configure not-an-address
[ "$RC" = 64 ] || fail "not an address: exit $RC, expected 64 (usage)"
assert_contains "$tmp/not-an-address.err" "not an e-mail address"
note "a bad address: usage error"
