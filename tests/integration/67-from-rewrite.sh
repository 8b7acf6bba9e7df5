#!/bin/bash
# docs/SECURITY.md case 24 against the real Postfix: with "from" and
# "set_from_header on", no spelling of MAIL and no shape of the header lets
# the program's own sender reach the server.  One program sends a message
# per shape (MAIL with leading blanks, without angle brackets, with blanks
# after the colon, in odd case, with parameters, with a tab; a dot-stuffed,
# folded, repeated, upper-case, over-long and blank-before-colon From:).
# Every delivered message must have the account's envelope sender
# (Return-Path) and exactly one From:, the account's, and hold the forged
# address nowhere.  A MAIL line submitify cannot parse gets its own 501
# and reaches no server.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd python3
tmp=$(mktmp)
rig_account from alice@example.test set_from_header on | conf_file "$tmp/submit.conf"
id=$$.$RANDOM

cat > "$tmp/prog.py" <<'PY'
import socket, sys
host, mid = sys.argv[1], sys.argv[2]
EVIL = "evil@attacker.test"
MAIL = "MAIL FROM:<%s>" % EVIL
HDR = "Subject: shape\r\nTo: <bob@example.test>\r\n"
LONG = "From: <%s> (%s)\r\n" % (EVIL, "x" * 9000)
shapes = [
    # name, MAIL line, header lines
    ("blank", " MAIL FROM:<%s>" % EVIL, "From: <%s>\r\n" % EVIL),
    ("nobrackets", "MAIL FROM:%s" % EVIL, ""),
    ("colonblank", "MAIL FROM: <%s>" % EVIL, ""),
    ("case", "mail from:<%s>" % EVIL, ""),
    ("params", "MAIL FROM:<%s> BODY=8BITMIME SIZE=1000" % EVIL, ""),
    ("tab", "MAIL\tFROM:<%s>" % EVIL, ""),
    ("nobracketsparams", "  MAIL FROM:%s BODY=7BIT" % EVIL, ""),
    ("stuffed", MAIL, ".From: <%s>\r\n" % EVIL),
    ("folded", MAIL, "From:\r\n <%s>\r\n" % EVIL),
    ("repeated", MAIL, "From: <a@example.test>\r\nFrom: <%s>\r\n" % EVIL),
    ("stuffedsecond", MAIL, "From: <a@example.test>\r\n.From: <%s>\r\n" % EVIL),
    ("upper", MAIL, "FROM: <%s>\r\n" % EVIL),
    ("long", MAIL, LONG),
    ("colonspace", MAIL, "From : <%s>\r\n" % EVIL),
]
s = socket.create_connection((host, 25), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            print("EOF")
            sys.exit(1)
        if line[3:4] != b"-":
            return line.decode(errors="replace").strip()
def cmd(line):
    s.sendall(line.encode() + b"\r\n")
    return reply()
reply()
cmd("EHLO program.test")
for name, mail, hdr in shapes:
    r = cmd(mail)
    if not r.startswith("250"):
        print("%s: MAIL %s" % (name, r))
        cmd("RSET")
        continue
    cmd("RCPT TO:<bob@example.test>")
    if not cmd("DATA").startswith("354"):
        print("%s: DATA refused" % name)
        continue
    s.sendall(("%s%sMessage-ID: <%s-%s>\r\n\r\nbody of %s\r\n.\r\n" %
               (hdr, HDR, name, mid, name)).encode())
    print("%s: %s" % (name, reply()))
# What cannot be parsed is answered here, and nothing is sent on.
print("unparsed: %s" % cmd("MAIL FROM :<%s>" % EVIL))
print("after: %s" % cmd("RCPT TO:<bob@example.test>"))
cmd("QUIT")
for name, _, _ in shapes:
    print("shape", name)
PY

LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/submit.conf timeout 60 \
    python3 "$tmp/prog.py" 192.0.2.67 "$id@test" > "$tmp/out" 2>&1 ||
    fail "the program failed: $(cat "$tmp/out")"

bad=""
grep -q "^unparsed: 501 5\.5\.4 submitify: " "$tmp/out" ||
    bad="$bad unparsed(not answered by submitify: $(grep unparsed "$tmp/out"))"
grep -q "^after: 503 " "$tmp/out" ||
    bad="$bad unparsed(the server had a transaction after it: $(grep after "$tmp/out"))"
for shape in $(sed -n 's/^shape //p' "$tmp/out"); do
    grep -q "^$shape: 250 2\.0\.0 Ok: queued" "$tmp/out" || {
        bad="$bad $shape(not accepted: $(grep "^$shape:" "$tmp/out"))"
        continue
    }
    f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$shape-$id@test>" 20) || {
        bad="$bad $shape(not delivered)"
        continue
    }
    # The header section, folded lines joined to their field.
    hdr=$(sed -n '/^\r\{0,1\}$/q;p' "$f" | tr -d '\r')
    rp=$(grep -c '^Return-Path: <alice@example\.test>$' <<< "$hdr")
    nfrom=$(grep -ci '^from[[:blank:]]*:' <<< "$hdr")
    from=$(grep -i '^from[[:blank:]]*:' <<< "$hdr")
    [ "$rp" = 1 ] || bad="$bad $shape(Return-Path: $(grep '^Return-Path' <<< "$hdr"))"
    [ "$nfrom" = 1 ] && [ "$from" = "From: <alice@example.test>" ] ||
        bad="$bad $shape($nfrom From: fields: $(tr '\n' '|' <<< "$from" | cut -c1-120))"
    ! grep -q "attacker\.test" "$f" || bad="$bad $shape(forged address in: $(grep -m1 'attacker\.test' "$f" | cut -c1-80))"
done
[ -z "$bad" ] || fail "the forged sender got through:$bad"
note "$(grep -c '^shape ' "$tmp/out") shapes: envelope sender and the one From: are the account's"

# msmtp's %U and %H in from are taken from the system, and not at all inside
# a user namespace, where the program that made it chooses the host name
# (a UTS namespace) and what getuid() says: there the account is refused
# with a 421 that names the key, and nothing is sent.
rig_account from "%U@%H.example.test" set_from_header on | conf_file "$tmp/subst.conf"
timeout 60 "$SUBMITIFY" -c "$tmp/subst.conf" -- unshare --user --map-root-user --uts \
    sh -c 'hostname victim-host && exec "$@"' _ \
    "$TESTBIN/smtpclient" -i "subst-$id@test" localhost > "$tmp/subst.out" 2>&1 &&
    fail "a user namespace chose the sender: $(cat "$tmp/subst.out")"
grep -q "421 .*submitify: .*subst.conf:[0-9]*: from: %U: not made inside a user namespace" \
    "$tmp/subst.out" || fail "no 421 naming the substitution: $(cat "$tmp/subst.out")"
sleep 1
[ "$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<subst-$id@test>")" = 0 ] ||
    fail "a message from inside the user namespace was delivered"
note "%U and %H are not made inside a user namespace"
