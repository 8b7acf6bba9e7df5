#!/bin/bash
# A submission host with two addresses whose first (IPv6, as getaddrinfo
# orders it) silently drops packets, as on hosts with broken IPv6: the
# helper starts the IPv4 attempt after a short delay (RFC 8305) and
# delivers, instead of spending its whole budget on the first address.
# All of it inside a network namespace of the test's own; nft drops the
# SYNs to the IPv6 address on their way in.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ip nft python3
tmp=$(mktmp)
ns=sfy-dual-$$
v6=2001:db8::25

ip netns add "$ns" || skip "cannot create network namespaces here"
on_exit "ip netns del $ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$v6/128" dev lo nodad || fail "cannot add $v6"
mkdir -p "/etc/netns/$ns"
on_exit "rm -rf /etc/netns/$ns"
printf '%s mail.test\n127.0.0.1 mail.test\n127.0.0.1 localhost\n' "$v6" > "/etc/netns/$ns/hosts"
# in_ns CMD...: CMD in the namespace.  A background job is started with
# ip netns exec itself, which execs CMD, so that $! is the pid to end (a
# function in the background would be a subshell, and CMD would outlive it).
in_ns() { ip netns exec "$ns" "$@"; }

# getaddrinfo must give the IPv6 address first, or this proves nothing.
first=$(in_ns python3 -c 'import socket; print(socket.getaddrinfo("mail.test", 1, type=socket.SOCK_STREAM)[0][4][0])')
[ "$first" = "$v6" ] || fail "getaddrinfo puts $first first, not $v6"

certs=$tmp/certs
"$ROOT/tests/rig/certs.sh" "$certs" > /dev/null || fail "certs.sh failed"
ip netns exec "$ns" python3 "$SCRIPTED" --listen 127.0.0.1:0 --mode starttls \
    --cert "$certs/server.pem" --key "$certs/server.key" \
    --users "alice:Dual-secret-3" --spool "$tmp/spool" \
    --ready-file "$tmp/port" --record "$tmp/record" > "$tmp/server.out" 2>&1 &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
wait_for_file "$tmp/port" 10 || fail "the server did not start: $(cat "$tmp/server.out")"
port=$(cat "$tmp/port")

in_ns nft -f - <<NFT || fail "nft"
table inet sfydual {
    chain in {
        type filter hook input priority 0;
        ip6 daddr $v6 tcp dport $port drop
    }
}
NFT

conf_file "$tmp/submit.conf" <<CONF
account dual
host mail.test
port $port
tls_trust_file $certs/ca.pem
user alice
password Dual-secret-3
timeout 10
CONF

# The dropped address really is silent: a plain connect to it times out.
in_ns timeout 2 bash -c "exec 3<>/dev/tcp/$v6/$port" 2>/dev/null &&
    fail "$v6 port $port answers: the drop rule is not in place"

t0=$(date +%s%N)
in_ns timeout 60 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" \
    -i "dual-$$@test" 192.0.2.1 > "$tmp/out" 2>&1 ||
    fail "not delivered: $(tail -3 "$tmp/out")"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -rqF "dual-$$@test" "$tmp/spool" || fail "the message is not in the spool"
[ "$ms" -lt 5000 ] || fail "delivered, but after $ms ms (the budget is 10 s)"
note "IPv6 silent, IPv4 delivered in $ms ms"

# With only the silent address, the budget still bounds the wait.
printf '%s mail.test\n127.0.0.1 localhost\n' "$v6" > "/etc/netns/$ns/hosts"
sed -i 's/^timeout 10$/timeout 3/' "$tmp/submit.conf"
t0=$(date +%s%N)
in_ns timeout 60 "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" \
    -i "dual2-$$@test" 192.0.2.1 > "$tmp/out2" 2>&1 && fail "delivered through a silent address"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_contains "$tmp/out2" "<- 421 4.4.2 submitify: no answer from mail.test:$port in time"
[ "$ms" -lt 10000 ] || fail "the 421 came after $ms ms (timeout 3)"
note "only the silent address: 421 'no answer in time' after $ms ms"
