#!/bin/bash
# A working msmtp account block works unchanged in submit.conf: every block
# of tests/msmtp/blocks, which together use every key msmtp(1) documents,
# goes through msmtp's sendmail mode and through submitify (the same file,
# a plain SMTP program), against the rig; tests/msmtp/matrix.py compares
# what the rig saw (listener, EHLO name, client address, TLS version, AUTH
# mechanism and user, envelope, From: address).  What each block must do
# is what submit.conf(5)'s MSMTP KEYS section says of its keys: the same
# delivery, a file:line: error naming the key (and no delivery by
# submitify), or a warning naming the key.  Each key of msmtp(1) must have
# a status there and a block here.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd msmtp python3 mandoc
man=/usr/share/man/man1/msmtp.1.gz
[ -r "$man" ] || skip "needs msmtp's manual page ($man)"
[ -x "$TESTBIN/smtpclient" ] || fail "tests/bin/smtpclient is not built"
certs=$(dirname "$RIG_CA")
for f in client.pem client.key crl-none.pem; do
    [ -s "$certs/$f" ] || fail "$certs/$f is missing (tests/rig/certs.sh makes it)"
done
tmp=$(mktmp)

# The SOCKS5 proxy of the proxy_host block, and the UNIX-socket forwarder
# to the submission port of the socket block; each logs a line a client.
python3 "$TESTBIN/socks5.py" --ready-file "$tmp/proxy.port" \
    --log "$tmp/proxy.log" --lifetime 230 > "$tmp/proxy.out" 2>&1 &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
python3 "$TESTBIN/unixfwd.py" --socket "$tmp/sub.sock" \
    --to "127.0.0.1:$RIG_SUB_PORT" --ready-file "$tmp/sock.ready" \
    --log "$tmp/sock.log" --lifetime 230 > "$tmp/sock.out" 2>&1 &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
wait_for_file "$tmp/proxy.port" 10 || fail "the proxy did not start: $(cat "$tmp/proxy.out")"
wait_for_file "$tmp/sock.ready" 10 || fail "the forwarder did not start: $(cat "$tmp/sock.out")"

umask 077
printf '%s\n' "$RIG_ALICE_PASS" > "$tmp/alice.password"
# Local names only; the blocks send to full addresses.
printf 'root: bob@example.test\n' > "$tmp/aliases"

proxy_port=$(cat "$tmp/proxy.port")
fp=$(openssl x509 -noout -fingerprint -sha256 -in "$RIG_CERT") ||
    fail "no fingerprint of $RIG_CERT"
# What ${NAME} stands for in the blocks.
export SUB=$RIG_SUB_PORT SUBS=$RIG_SUBS_PORT MX=$RIG_SMTP_PORT CA=$RIG_CA \
    CERTS=$certs PASS=$RIG_ALICE_PASS TMP=$tmp SOCK=$tmp/sub.sock \
    PROXY=$proxy_port FP=${fp#*=}
python3 -c 'import json, os, sys
names = "SUB SUBS MX CA CERTS FP PASS TMP PROXY SOCK".split()
json.dump({n: os.environ[n] for n in names}, open(sys.argv[1], "w"))' "$tmp/vars.json"

python3 "$ROOT/tests/msmtp/matrix.py" --blocks "$ROOT/tests/msmtp/blocks" \
    --doc "$ROOT/docs/submit.conf.5" --man "$man" --submitify "$SUBMITIFY" \
    --client "$TESTBIN/smtpclient" --vars "$tmp/vars.json" --tmp "$tmp" \
    --maildir "$RIG_MAILDIR_BOB" --maillog "$RIG_MAILLOG" \
    --proxy-log "$tmp/proxy.log" --socket-log "$tmp/sock.log" ||
    fail "the matrix does not hold (the FAILED lines above)"
