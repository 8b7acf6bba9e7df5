#!/bin/bash
# Legacy line endings against a Postfix that rejects bare LF
# (smtpd_forbid_bare_newline = reject): a program writing bare LF is
# refused when it talks to that server itself, delivered through submitify
# (bare LF made CRLF, "\n.\n" ends the message for both), and refused with a
# 421 when the account turns the repair off.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd postfix python3
tmp=$(mktmp)
rig=$tmp/rig
mkdir -p "$rig"
b=$(( ${RIG_BASE:-11000} + 5000 ))
RIG_BARE_LF=reject RIG_SMTP_PORT=$((b + 25)) RIG_SUB_PORT=$((b + 587)) RIG_SUBS_PORT=$((b + 465)) \
    timeout 120 "$RIG" start "$rig" > "$tmp/rig.log" 2>&1 || fail "rig: $(cat "$tmp/rig.log")"
on_exit "timeout 60 '$RIG' stop '$rig' >/dev/null 2>&1"
. "$rig/rig.env"
id=$$.$RANDOM

# A legacy program: every line ends in a bare LF, commands included.
cat > "$tmp/lf.py" <<'PY'
import socket, sys
host, port, mid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            return "closed"
        if line[3:4] != b"-":
            return line.decode().strip()
print(reply())
for cmd in ("EHLO legacy.test", "MAIL FROM:<alice@example.test>",
            "RCPT TO:<bob@example.test>", "DATA"):
    s.sendall(cmd.encode() + b"\n")
    print(reply())
s.sendall(("Subject: bare LF\nMessage-ID: <%s>\n\nline one\nline two\n.\n" % mid).encode())
print(reply())
s.sendall(b"QUIT\n")
print(reply())
PY

python3 "$tmp/lf.py" 127.0.0.1 "$RIG_SMTP_PORT" "direct-$id@test" > "$tmp/direct.out" 2>&1
grep -q "^550" "$tmp/direct.out" || fail "the server did not reject bare LF itself: $(cat "$tmp/direct.out")"
note "directly: $(grep '^550' "$tmp/direct.out")"

rig_account | conf_file "$tmp/on.conf"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/on.conf timeout 30 python3 "$tmp/lf.py" \
    192.0.2.28 25 "repaired-$id@test" > "$tmp/on.out" 2>&1
grep -q "^250 2.0.0 Ok: queued" "$tmp/on.out" || fail "repair on: $(cat "$tmp/on.out")"
f=$("$RIG" wait-mail "$rig" bob "repaired-$id@test" 20) || fail "repair on: not delivered"
grep -q "^line two$" "$f" || fail "the body lost a line"
note "through submitify: delivered"

rig_account fix_bare_lf off | conf_file "$tmp/off.conf"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/off.conf timeout 30 python3 "$tmp/lf.py" \
    192.0.2.28 25 "unrepaired-$id@test" > "$tmp/off.out" 2>&1
grep -q "^421 4.5.0 submitify: bare LF in the message" "$tmp/off.out" ||
    fail "repair off: $(cat "$tmp/off.out")"
sleep 1
[ "$("$RIG" count-mail "$rig" bob "unrepaired-$id@test")" = 0 ] || fail "repair off: delivered"
note "repair off: 421, nothing delivered"
