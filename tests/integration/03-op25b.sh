#!/bin/bash
# The point of the project.  Two network namespaces of the test's own: a
# mail server (Postfix: MX on 25, submission on 587) and a client host whose
# "ISP" rejects outbound port 25 (nft: tcp dport 25 reject with tcp reset).
# A plain client that reaches port 25 before the block fails after it;
# wrapped by submitify, the same client's mail arrives over 587.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ip nft postfix
tmp=$(mktmp)
srv=sfy-srv-$$
cli=sfy-cli-$$
addr_srv=198.51.100.1
addr_cli=198.51.100.2

ip netns add "$srv" || skip "cannot create network namespaces here"
on_exit "ip netns del $srv"
ip netns add "$cli" || fail "ip netns add $cli"
on_exit "ip netns del $cli"
ip link add "v$$s" type veth peer name "v$$c" || fail "veth"
ip link set "v$$s" netns "$srv"
ip link set "v$$c" netns "$cli"
ip -n "$srv" addr add "$addr_srv/24" dev "v$$s"
ip -n "$cli" addr add "$addr_cli/24" dev "v$$c"
for ns in "$srv" "$cli"; do
    ip -n "$ns" link set lo up
done
ip -n "$srv" link set "v$$s" up
ip -n "$cli" link set "v$$c" up

# The client host knows the server by name (ip netns exec binds this file).
mkdir -p "/etc/netns/$cli"
on_exit "rm -rf /etc/netns/$cli"
printf '127.0.0.1 localhost\n%s mail.test\n' "$addr_srv" > "/etc/netns/$cli/hosts"

# The mail server, inside its namespace, on the standard ports.
rig=$tmp/rig
mkdir -p "$rig"
"$ROOT/tests/rig/certs.sh" "$rig/certs" "$addr_srv" || fail "certs"
ip netns exec "$srv" env RIG_ADDR=$addr_srv RIG_SMTP_PORT=25 RIG_SUB_PORT=587 \
    RIG_SUBS_PORT=465 timeout 120 "$RIG" start "$rig" > "$tmp/rig.log" 2>&1 ||
    fail "rig in namespace: $(cat "$tmp/rig.log")"
on_exit "ip netns exec $srv timeout 60 $RIG stop $rig >/dev/null 2>&1"
. "$rig/rig.env"

conf_file "$tmp/submit.conf" <<CONF
account isp
host mail.test
port 587
tls_trust_file $RIG_CA
user alice
password $RIG_ALICE_PASS
CONF
id=$$.$RANDOM
client() { ip netns exec "$cli" timeout 30 "$@"; }

# Before the block: port 25 is open and the plain client works.
client "$TESTBIN/smtpclient" -q -i "open-$id@test" mail.test ||
    fail "the plain client failed even without the block"
"$RIG" wait-mail "$rig" bob "open-$id@test" 20 >/dev/null || fail "open: not delivered"

# The ISP's block.
ip netns exec "$cli" nft -f - <<'NFT' || fail "nft"
table inet op25b {
    chain output {
        type filter hook output priority 0;
        tcp dport 25 reject with tcp reset
    }
}
NFT

client "$TESTBIN/smtpclient" -q -i "blocked-$id@test" mail.test > "$tmp/blocked" 2>&1
rc=$?
[ $rc = 2 ] || fail "the blocked client did not fail to connect (exit $rc)"
assert_contains "$tmp/blocked" "Connection refused"
note "without submitify: $(cat "$tmp/blocked")"

client "$SUBMITIFY" -c "$tmp/submit.conf" -- "$TESTBIN/smtpclient" -q \
    -i "wrapped-$id@test" mail.test || fail "the wrapped client failed"
f=$("$RIG" wait-mail "$rig" bob "wrapped-$id@test" 20) || fail "wrapped: not delivered"
grep -q "with ESMTPSA" "$f" || fail "wrapped: not ESMTPSA"
[ "$("$RIG" count-mail "$rig" bob "blocked-$id@test")" = 0 ] || fail "blocked mail arrived?"
note "with submitify: delivered over 587 with ESMTPSA"
