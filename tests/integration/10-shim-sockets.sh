#!/bin/bash
# 10-shim-sockets: the program's socket stays the socket it asked for
# (docs/DESIGN.md decision 2, docs/SECURITY.md cases 14 and 17).
# tests/bin/probe plays the host against the shared Postfix rig:
#   options        blocking connect(); errno untouched on success; same fd,
#                  inode, status and fd flags; TCP_NODELAY, SO_KEEPALIVE,
#                  TCP_KEEPIDLE, SO_RCVTIMEO, SO_SNDTIMEO set before and
#                  after connect(); an idle recv() times out by SO_RCVTIMEO;
#                  getpeername() is the original destination (also into a
#                  short buffer); getsockname() a real local address.
#                  IPv4, IPv6, v4-mapped, and wildcard-bound sockets.
#   nonblock       -1/EINPROGRESS or 0; writable for poll, select and epoll;
#                  SO_ERROR 0; connect() again answers as on a plain socket
#                  and starts no second helper; O_NONBLOCK, FD_CLOEXEC kept.
#   nonblock-stall an account whose server never speaks: connect() still
#                  returns at once and the host is not blocked.
#   reuse          close() and reuse of the fd number, dup(), dup2() both ways.
#   fdlimit        no descriptor left when connect() is called: -1 with
#                  ECONNREFUSED, no crash; the next connection delivers.
#   closedfds      fds 0, 1 and 2 closed before connect(): delivered.
# Every message the probe sends must arrive in bob's mailbox exactly once.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"

# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/probe.sh"

# --- options: IPv4, IPv6, v4-mapped; then wildcard-bound sockets.
probe_run options-v4 "${W[@]}" -c "$conf" -- "$P" options 192.0.2.25 "$ID-o4"
probe_run options-v6 "${W[@]}" -c "$conf" -- "$P" options 2001:db8::25 "$ID-o6"
probe_run options-mapped "${W[@]}" -c "$conf" -- "$P" options ::ffff:192.0.2.25 "$ID-om"
probe_run options-v4-bound "${W[@]}" -c "$conf" -- "$P" options 192.0.2.25 "$ID-ob4" bind
probe_run options-v6-bound "${W[@]}" -c "$conf" -- "$P" options 2001:db8::25 "$ID-ob6" bind
expect_mail "$ID-o4@probe.test" "$ID-o6@probe.test" "$ID-om@probe.test" \
    "$ID-ob4@probe.test" "$ID-ob6@probe.test"

# --- nonblock: poll, select, epoll; IPv4 and IPv6.
probe_run nonblock-v4 "${W[@]}" -c "$conf" -- "$P" nonblock 192.0.2.25 "$ID-nb4"
probe_run nonblock-v6 "${W[@]}" -c "$conf" -- "$P" nonblock 2001:db8::25 "$ID-nb6"
for api in poll select epoll; do
    expect_mail "$ID-nb4.$api@probe.test" "$ID-nb6.$api@probe.test"
done

# --- nonblock-stall: the account's server accepts TCP and never speaks.
"$P" listen-silent "$tmp/silent.port" 60 >"$tmp/silent.out" 2>&1 &
silent=$!
on_exit "kill $silent 2>/dev/null; wait $silent 2>/dev/null"
wait_for_file "$tmp/silent.port" 10 || fail "the silent server did not start"
conf_file "$tmp/stall.conf" <<EOF
account stall
host 127.0.0.1
port $(cat "$tmp/silent.port")
tls_trust_file $RIG_CA
user alice
password $RIG_ALICE_PASS
timeout 5
EOF
probe_run nonblock-stall "${W[@]}" -c "$tmp/stall.conf" -- "$P" nonblock-stall 192.0.2.25

# --- reuse: close() and fd reuse, dup(), dup2().
probe_run reuse "${W[@]}" -c "$conf" -- "$P" reuse 192.0.2.25 "$ID-re"
expect_mail "$ID-re.first@probe.test" "$ID-re.second@probe.test" "$ID-re.dup@probe.test"

# --- fdlimit: no descriptor left for the shim; closedfds: fds 0-2 closed
# (docs/SECURITY.md case 26).
probe_run fdlimit env LD_PRELOAD="$(preload "$SHIM")" SUBMITIFY_CONF="$conf" \
    "$P" fdlimit 192.0.2.25 "$ID-fdl"
expect_mail "$ID-fdl.after@probe.test"
probe_run closedfds env LD_PRELOAD="$(preload "$SHIM")" SUBMITIFY_CONF="$conf" \
    "$P" closedfds 192.0.2.25 "$ID-cfd"
expect_mail "$ID-cfd@probe.test"

[ "$bad" = 0 ] || fail "$bad failure(s):$failures"
echo "PASS: $TEST_NAME"
