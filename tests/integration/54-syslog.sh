#!/bin/bash
# syslog: one line per connection at facility mail, info for a good
# session and err for a failed one; none with `syslog off`.  /dev/log is a
# socket of the test's own, inside a mount namespace with /dev overlaid.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd unshare python3 openssl
tmp=$(mktmp)
"$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
scripted_start "$tmp" srv --mode starttls --cert "$tmp/certs/server.pem" \
    --key "$tmp/certs/server.key" --users alice:sys-pw
account() { # NAME PASSWORD [extra]
    conf_file "$tmp/$1.conf" <<CONF
account $1
host localhost
port $SCRIPTED_PORT
tls_trust_file $tmp/certs/ca.pem
user alice
password $2
${3:-}
CONF
}
account on sys-pw
account bad wrong-pw
account off sys-pw "syslog off"
mkdir -p "$tmp/upper" "$tmp/work"
cat > "$tmp/inside.sh" <<SH
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/dev,upperdir=$tmp/upper,workdir=$tmp/work /dev
python3 -c '
import os, socket, sys
try:
    os.unlink("/dev/log")
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(20)
with open(sys.argv[1], "w") as out:
    out.write("ready\n")
    out.flush()
    try:
        while True:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
    except socket.timeout:
        pass
' $tmp/syslog &
listener=\$!
for i in \$(seq 1 50); do [ -s $tmp/syslog ] && break; sleep 0.1; done
for a in on bad off; do
    LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/\$a.conf timeout 30 \
        $TESTBIN/smtpclient -q -i syslog-\$a@test 192.0.2.34 > $tmp/\$a.out 2>&1 || true
done
sleep 1
kill \$listener
SH
timeout 60 unshare -m sh "$tmp/inside.sh" || fail "namespace: $(cat "$tmp/syslog" 2>/dev/null)"
# <22> is mail.info, <19> is mail.err.
grep -q '^<22>.*submitify\[[0-9]*\]: submitify\[smtpclient:[0-9]*\] prog=smtpclient.* account=on .*messages=1' \
    "$tmp/syslog" || fail "no mail.info line for the good session: $(cat "$tmp/syslog")"
grep -q '^<19>.* account=bad .*error=authentication as alice' "$tmp/syslog" ||
    fail "no mail.err line for the failed session: $(cat "$tmp/syslog")"
! grep -q 'account=off' "$tmp/syslog" || fail "syslog off still logged"
assert_not_contains "$tmp/syslog" "sys-pw"
note "mail.info and mail.err lines; none with syslog off"
