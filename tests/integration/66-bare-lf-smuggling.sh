#!/bin/bash
# docs/SECURITY.md case 11 against the real Postfix: smuggling through the
# bare-LF repair.  A program that speaks CRLF (its commands, its DATA line)
# sends a message whose first line ends in a bare LF, then "\n.\n" and a
# whole second transaction (MAIL/RCPT/DATA and a message) in the same
# write.  The dot is text to that program: submitify must refuse the
# message with a 421 and drop the upstream session, so that neither the
# first part nor the smuggled message is delivered.  A program that ends
# every line with a bare LF, its commands included, still has "\n.\n" taken
# as its end and its message delivered.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3
tmp=$(mktmp)
rig_account | conf_file "$tmp/submit.conf"
id=$$.$RANDOM

# The program: EOL is the line end of its commands; the message is sent
# in one write after the 354; then every reply up to the end is printed.
cat > "$tmp/prog.py" <<'PY'
import socket, sys
host, eol, body = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode(), sys.argv[3]
s = socket.create_connection((host, 25), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            return "EOF"
        if line[3:4] != b"-":
            return line.decode(errors="replace").strip()
print(reply())
for cmd in ("EHLO program.test", "MAIL FROM:<alice@example.test>",
            "RCPT TO:<bob@example.test>", "DATA"):
    s.sendall(cmd.encode() + eol)
    print(reply())
s.sendall(open(body, "rb").read())
while True:
    r = reply()
    print(r)
    if r == "EOF" or r.startswith("221") or r.startswith("421"):
        break
    s.sendall(b"QUIT" + eol)
PY
prog() {
    LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/submit.conf timeout 30 \
        python3 "$tmp/prog.py" 192.0.2.66 "$@"
}

# The payload of the review: the first line ends in a bare LF, so the old
# code took the message for a bare-LF one and "\n.\n" for its end.
printf 'first-%s\n.\nMAIL FROM:<smuggled.%s@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\nMessage-ID: <smuggled-%s@test>\r\n\r\nsmuggled-%s\r\n.\r\n' \
    "$id" "$id" "$id" "$id" > "$tmp/smuggle"
prog '\r\n' "$tmp/smuggle" > "$tmp/crlf.out" 2>&1
grep -q "^421 4\.5\.0 submitify: a dot line next to a bare LF" "$tmp/crlf.out" ||
    fail "the CRLF program did not get a 421: $(cat "$tmp/crlf.out")"
! grep -q "^250 2\.0\.0" "$tmp/crlf.out" ||
    fail "a message of the CRLF program was accepted: $(cat "$tmp/crlf.out")"
note "CRLF program: $(grep '^421' "$tmp/crlf.out")"

# A program that ends every line with a bare LF: delivered.  Its delivery
# is also the point by which anything queued before it has been delivered.
printf 'Subject: bare LF\nMessage-ID: <lf-%s@test>\n\nline one\nline two\n.\n' "$id" > "$tmp/lf"
prog '\n' "$tmp/lf" > "$tmp/lf.out" 2>&1
grep -q "^250 2\.0\.0 Ok: queued" "$tmp/lf.out" || fail "the bare-LF program: $(cat "$tmp/lf.out")"
f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<lf-$id@test>" 20) ||
    fail "the bare-LF program's message was not delivered"
grep -q "^line two$" "$f" || fail "the bare-LF message lost a line"
note "bare-LF program: delivered"

for needle in "smuggled-$id" "first-$id"; do
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$needle")
    [ "$n" = 0 ] || fail "$needle was delivered ($n)"
done
! grep -qF "smuggled.$id@example.test" "$RIG_MAILLOG" ||
    fail "the server saw the smuggled sender: $(grep -F "smuggled.$id@" "$RIG_MAILLOG" | head -3)"
note "neither the first part nor the smuggled message was delivered"
