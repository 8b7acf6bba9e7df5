#!/bin/bash
# The warm helper is its uid's alone (docs/DESIGN.md, "The warm helper";
# docs/SECURITY.md), with a second, unprivileged uid U of the test's own:
# 1. U cannot reach root's warm helper, and when the modes let it connect,
#    the warm helper closes on it unanswered;
# 2. a directory or socket planted in U's way (another uid's directory, a
#    directory others may read, a symbolic link, a socket of root's at the
#    exact path; /tmp/submitify-UID without XDG_RUNTIME_DIR) is refused:
#    the session is cold and delivered, nothing is created there and the
#    planted socket hears nothing; and root refuses U's directory;
# 3. no TLS session crosses from root's warm helper to U's;
# 4. another mount or network namespace of the same uid gets no answer
#    from the host's warm helper, and uses one of its own;
# 5. a setuid host run by U never hands its connection to U's warm helper;
# 6. a sandbox of U's in another mount namespace that takes the warm
#    helper's lock and path is handed nothing by U's programs;
# 7. a Landlock-confined program of U's is not served by U's unconfined
#    warm helper (its passwordeval stays confined) but by one of its own
#    (noted, not checked, when the kernel has no Landlock).
# time limit: 120
. "$(dirname "$0")/../lib/common.sh"
# This scenario is about the warm helper itself: it runs with it whatever
# make check-cold asks of the others (its own cold cases say so).
unset SUBMITIFY_WARM
rig_env
need_root
need_cmd python3 setpriv unshare
tmp=$(mktmp)
id=I$$x$RANDOM
n=0
W=$XDG_RUNTIME_DIR/submitify

# A uid nobody else uses: no passwd entry, no process.
U=""
for u in $(seq $((40000 + $$ % 9000)) $((40100 + $$ % 9000))); do
    if ! getent passwd "$u" > /dev/null && ! pgrep -U "$u" > /dev/null &&
        [ ! -e "/tmp/submitify-$u" ]; then
        U=$u
        break
    fi
done
[ -n "$U" ] || skip "no free uid found"
uhome=$tmp/uhome
mkdir -m 700 "$uhome" "$uhome/state"
chown -R "$U:$U" "$uhome"

# as_u XDG COMMAND...: COMMAND as U with only its own environment; XDG is
# its XDG_RUNTIME_DIR ("-" for none).
as_u() {
    local xdg=$1
    shift
    setpriv --reuid="$U" --regid="$U" --clear-groups env -i PATH=/usr/bin:/bin \
        HOME="$uhome" XDG_STATE_HOME="$uhome/state" "${SAN_ENV[@]}" \
        ${xdg:+$([ "$xdg" = - ] || echo "XDG_RUNTIME_DIR=$xdg")} "$@"
}
# U's configuration, its own and private.
{
    printf 'account u\nhost localhost\nport %s\ntls_trust_file %s\n' "$RIG_SUB_PORT" "$RIG_CA"
    printf 'user alice\npassword %s\nlogfile %s\n' "$RIG_ALICE_PASS" "$uhome/u.log"
} | conf_file "$uhome/u.conf"
chown "$U:$U" "$uhome/u.conf"
rig_account logfile "$tmp/root.log" | conf_file "$tmp/root.conf"

# as_root XDG COMMAND...: COMMAND as root with that XDG_RUNTIME_DIR.
as_root() {
    local xdg=$1
    shift
    XDG_RUNTIME_DIR=$xdg "$@"
}
# send_as u|root XDG TEXT...: one message from smtpclient through the
# wrapper, as U or root with its own configuration; delivered, and its
# log line holding each TEXT.
send_as() {
    local who=$1 xdg=$2 dir=$tmp before line t
    shift 2
    [ "$who" = u ] && dir=$uhome
    n=$((n + 1))
    before=$(grep -sc ' warm=' "$dir/$who.log")
    "as_$who" "$xdg" timeout 60 "$SUBMITIFY" -c "$dir/$who.conf" -- \
        "$TESTBIN/smtpclient" -q -i "$id-$n@test" 192.0.2.71 > "$tmp/out" 2>&1 ||
        fail "$who #$n: $(cat "$tmp/out")"
    line=$(summary_line "$dir/$who.log" $((before + 1)))
    for t in "$@"; do
        case $line in *"$t"*) ;; *) fail "$who #$n: no '$t' in: $line" ;; esac
    done
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$id-$n@test" 20 > /dev/null ||
        fail "$who #$n: not delivered"
}
usend() { send_as u "$@"; }
rsend() { send_as root "$@"; }
# status_pid [XDG]: root's (or, with XDG, U's) warm helper pid.
status_pid() {
    if [ $# = 0 ]; then
        "$SUBMITIFY" --warm-status
    else
        as_u "$1" "$SUBMITIFY" --warm-status
    fi | sed -n 's/^warm helper pid \([0-9]*\) at .*/\1/p' | head -1
}
served() { "$SUBMITIFY" --warm-status | sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p'; }
empty() { [ -z "$(ls -A "$1")" ] || fail "$2: $1 holds $(ls -A "$1")"; }

# warmq.py SOCKET: one WARM_STATUS request; prints "reply N" (its size),
# "eof", "timeout", "error ERRNO" or "connect-failed ERRNO".
cat > "$tmp/warmq.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect-failed", e.errno)
    sys.exit(0)
s.settimeout(3)
try:
    s.sendall(struct.pack("<4I", 0x53575231, 1, 2, 0))
    r = s.recv(4096)
except socket.timeout:
    print("timeout")
except OSError as e:
    print("error", e.errno)
else:
    print("reply %d" % len(r) if r else "eof")
PY
chmod 644 "$tmp/warmq.py"

# 1. U and root's warm helper.
rsend "$XDG_RUNTIME_DIR" warm=no
rsend "$XDG_RUNTIME_DIR" warm=yes
rwp=$(status_pid)
sock=$("$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid [0-9]* at \(.*\): .*/\1/p')
[ -n "$rwp" ] && [ -S "$sock" ] || fail "root's warm helper is not running"
r=$(as_u - python3 "$tmp/warmq.py" "$sock")
[ "$r" = "connect-failed 13" ] || fail "U reached root's warm helper through its directory: $r"
smode=$(stat -c %a "$sock")
chmod 711 "$XDG_RUNTIME_DIR" "$W"
chmod 777 "$sock"
r=$(as_u - python3 "$tmp/warmq.py" "$sock")
rr=$(python3 "$tmp/warmq.py" "$sock")
chmod 700 "$XDG_RUNTIME_DIR" "$W"
chmod "$smode" "$sock"
case $r in connect-failed*) fail "U could not connect with the modes opened: $r" ;; esac
case $r in reply*) fail "root's warm helper answered U: $r" ;; esac
[ "$rr" = "reply 36" ] || fail "root's own request: $rr"
note "U: EACCES at the directory; connected, closed unanswered ($r); root: $rr"

# 2. Planted directories and sockets.
urun=$tmp/urun
mkdir -m 700 "$urun"
chown "$U:$U" "$urun"
# (a) another uid's directory, others may write in it.
mkdir -m 777 "$urun/submitify"
usend "$urun" warm=no
usend "$urun" warm=no
empty "$urun/submitify" "root's directory"
rm -rf "$urun/submitify"
# (a') root's program and a private directory of U's.
mkdir -m 700 "$tmp/rrun" "$tmp/rrun/submitify"
chown "$U:$U" "$tmp/rrun/submitify"
rsend "$tmp/rrun" warm=no
rsend "$tmp/rrun" warm=no
empty "$tmp/rrun/submitify" "U's directory, for root"
# (b) U's own, but others may read and search it.
as_u - mkdir -m 755 "$urun/submitify"
usend "$urun" warm=no
usend "$urun" warm=no
empty "$urun/submitify" "a directory of mode 0755"
[ "$(stat -c %a "$urun/submitify")" = 755 ] || fail "the mode of $urun/submitify was changed"
rm -rf "$urun/submitify"
# (c) a symbolic link to a private directory of U's.
as_u - mkdir -m 700 "$urun/real"
as_u - ln -s "$urun/real" "$urun/submitify"
usend "$urun" warm=no
usend "$urun" warm=no
empty "$urun/real" "through a symbolic link"
rm -rf "$urun/submitify" "$urun/real"
# The fallback without XDG_RUNTIME_DIR, planted by root.
mkdir -m 777 "/tmp/submitify-$U"
on_exit "rm -rf '/tmp/submitify-$U'"
usend - warm=no
usend - warm=no
empty "/tmp/submitify-$U" "/tmp/submitify-$U of root's"
rm -rf "/tmp/submitify-$U"
note "another uid's directory, mode 0755, a symbolic link, /tmp/submitify-$U of root's: cold, nothing made there"

# (d) a socket of root's at the exact path of U's warm helper.
usend "$urun" warm=no
usend "$urun" warm=yes
usock=$(as_u "$urun" "$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid [0-9]* at \(.*\): .*/\1/p')
[ -n "$usock" ] || fail "U's warm helper is not running"
as_u "$urun" "$SUBMITIFY" --warm-stop > /dev/null
[ ! -e "$usock" ] || fail "$usock left after --warm-stop"
cat > "$tmp/plant.py" <<'PY'
import os, socket, sys
path, rec, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path)
os.chmod(path, 0o777)
s.listen(16)
open(rec, "w").close()
open(ready, "w").write("ok")
while True:
    c, _ = s.accept()
    with open(rec, "a") as f:
        f.write("connection\n")
    c.settimeout(2)
    try:
        d = c.recv(65536)
        with open(rec, "a") as f:
            f.write("data %d bytes\n" % len(d))
    except OSError:
        pass
    c.close()
PY
python3 "$tmp/plant.py" "$usock" "$tmp/plant.rec" "$tmp/plant.ready" &
plant=$!
on_exit "kill $plant 2>/dev/null"
wait_for_file "$tmp/plant.ready" 10 || fail "the planted listener did not start"
[ "$(stat -c %u "$usock")" = 0 ] || fail "the planted socket is not root's"
usend "$urun" warm=no
sleep 0.5
[ ! -s "$tmp/plant.rec" ] || fail "the planted socket was reached: $(cat "$tmp/plant.rec")"
kill "$plant"
wait "$plant" 2>/dev/null
as_u "$urun" "$SUBMITIFY" --warm-stop > /dev/null
note "a socket of root's at U's path: cold, not connected to"

# 3. No resumption across uids.
rsend "$XDG_RUNTIME_DIR" warm=yes resumed=yes
[ "$(status_pid)" = "$rwp" ] || fail "root's warm helper changed"
rm -rf "$urun"
mkdir -m 700 "$urun"
chown "$U:$U" "$urun"
usend "$urun" warm=no resumed=no
usend "$urun" warm=yes resumed=no
usend "$urun" warm=yes resumed=yes
uwp=$(status_pid "$urun")
[ -n "$uwp" ] && [ "$uwp" != "$rwp" ] || fail "U's warm helper: '$uwp', root's: $rwp"
[ "$(stat -c %u "/proc/$uwp")" = "$U" ] || fail "U's warm helper $uwp is not U's"
as_u "$urun" "$SUBMITIFY" --warm-stop > /dev/null
note "U's first warm session not resumed from root's (warm helpers $rwp and $uwp)"

# 4. Namespaces of the same uid.
before=$(served)
nlog=$(grep -c ' warm=' "$tmp/root.log")
cat > "$tmp/ns.sh" <<SH
for i in 1 2; do
    timeout 60 "$SUBMITIFY" -c "$tmp/root.conf" -- "$TESTBIN/smtpclient" -q \
        -i "$id-mnt\$i@test" 192.0.2.71 || exit 1
done
"$SUBMITIFY" --warm-status
timeout 20 "$SUBMITIFY" --warm-stop > /dev/null
SH
timeout 90 unshare -m bash "$tmp/ns.sh" > "$tmp/ns.out" 2>&1 || fail "mount namespace: $(cat "$tmp/ns.out")"
summary_line "$tmp/root.log" $((nlog + 1)) | grep -q "warm=no" ||
    fail "mount namespace: the first session was not cold: $(tail -2 "$tmp/root.log")"
summary_line "$tmp/root.log" $((nlog + 2)) | grep -q "warm=yes" ||
    fail "mount namespace: its own warm helper did not serve: $(tail -2 "$tmp/root.log")"
nwp=$(sed -n 's/^warm helper pid \([0-9]*\) at .*/\1/p' "$tmp/ns.out")
[ -n "$nwp" ] && [ "$nwp" != "$rwp" ] || fail "mount namespace: warm helper '$nwp' (host's $rwp): $(cat "$tmp/ns.out")"
[ "$(served)" = "$before" ] || fail "the host's warm helper served the mount namespace"
for i in 1 2; do
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$id-mnt$i@test" 20 > /dev/null ||
        fail "mount namespace: message $i not delivered"
done
rn=$(unshare -n python3 "$tmp/warmq.py" "$sock")
rm_=$(unshare -m python3 "$tmp/warmq.py" "$sock")
rh=$(python3 "$tmp/warmq.py" "$sock")
case $rn in connect-failed*) fail "net namespace: could not connect: $rn" ;; reply*) fail "net namespace answered: $rn" ;; esac
case $rm_ in connect-failed*) fail "mount namespace: could not connect: $rm_" ;; reply*) fail "mount namespace answered: $rm_" ;; esac
[ "$rh" = "reply 36" ] || fail "the host's own request: $rh"
note "mount namespace: cold, then its own warm helper $nwp; requests from other namespaces: $rn, $rm_"

# 5. A setuid host run by U, with U's warm helper running and U's
# environment pointing at it, never hands over to it.
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/secure.sh"
secure_install
evil_server
chown "$U:$U" "$tmp/evil.conf"
chmod 600 "$tmp/evil.conf"
cp "$TESTBIN/smtpclient" "$tmp/suid-client"
chown root:root "$tmp/suid-client"
chmod 4755 "$tmp/suid-client"
mkdir -m 700 "$tmp/urun5"
chown "$U:$U" "$tmp/urun5"
uenv="setpriv --reuid=$U --regid=$U --clear-groups env -i PATH=/usr/bin:/bin HOME=$uhome XDG_STATE_HOME=$uhome/state XDG_RUNTIME_DIR=$tmp/urun5 SUBMITIFY_CONF=$tmp/evil.conf $SANENV"
wrap=$tmp/inst/usr/local/bin/submitify
cat > "$tmp/inside.sh" <<SH
set -e
$(secure_system_lines)
trap '$uenv $wrap --warm-stop > /dev/null 2>&1' EXIT
$uenv $TESTBIN/smtpclient -q -i plain1-$id@test 192.0.2.77
$uenv $TESTBIN/smtpclient -q -i plain2-$id@test 192.0.2.77
$uenv $wrap --warm-status > $tmp/st1
$uenv $tmp/suid-client -q -i secure-$id@test 192.0.2.78
$uenv $wrap --warm-status > $tmp/st2
SH
timeout 60 unshare -m sh "$tmp/inside.sh" > "$tmp/suid.out" 2>&1 ||
    fail "setuid: $(tail -5 "$tmp/suid.out")"
grep -q "^warm helper pid [0-9]* at $tmp/urun5/submitify/warm-.*: 1 sessions served" "$tmp/st1" ||
    fail "setuid: U's warm helper did not serve U's second session: $(cat "$tmp/st1")"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "secure-$id@test" 20 > /dev/null ||
    fail "setuid: not delivered through the system account"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["totals"]["sessions"] != 2)' \
    "$tmp/evil.record" || fail "setuid: the setuid host's session reached U's server"
[ "$(sed 's/ at .*//' "$tmp/st1")" = "$(sed 's/ at .*//' "$tmp/st2")" ] &&
    grep -q ": 1 sessions served" "$tmp/st2" ||
    fail "setuid: U's warm helper was used: $(cat "$tmp/st1" "$tmp/st2")"
note "setuid host: cold, the system account, U's warm helper untouched"

# 6. A sandbox of U's (another mount namespace) that shares U's runtime
# directory takes the warm helper's place: it holds the lock (no warm
# helper of U's can start) and binds its own socket at the host's exact
# path, answering every request "taken" with an SMTP server of its own.
# U's programs in the host do not talk to it: cold, and delivered.
urun6=$tmp/urun6
mkdir -m 700 "$urun6" "$tmp/fake"
chown "$U:$U" "$urun6" "$tmp/fake"
usend "$urun6" warm=no
usend "$urun6" warm=yes
usock=$(as_u "$urun6" "$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid [0-9]* at \(.*\): .*/\1/p')
[ -n "$usock" ] || fail "impostor: U's warm helper is not running"
as_u "$urun6" "$SUBMITIFY" --warm-stop > /dev/null
cat > "$tmp/fake/fake.py" <<'PY'
import fcntl, os, socket, struct, sys
path, out = sys.argv[1:3]
lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ls.bind(path)
ls.listen(16)
open(out + "/ready", "w").write(os.readlink("/proc/self/ns/mnt"))


def smtp(lfd):
    # The program's connection, answered by the impostor: 250 to all.
    l = socket.socket(fileno=lfd)
    l.settimeout(5)
    p, _ = l.accept()
    p.settimeout(5)
    f = p.makefile("rwb", buffering=0)
    f.write(b"220 impostor ESMTP\r\n")
    data = False
    for line in f:
        if data:
            if line == b".\r\n":
                data = False
                f.write(b"250 2.0.0 kept by the impostor\r\n")
        elif line[:4].upper() == b"DATA":
            data = True
            f.write(b"354 go on\r\n")
        elif line[:4].upper() == b"QUIT":
            f.write(b"221 bye\r\n")
            break
        else:
            f.write(b"250 ok\r\n")
    p.close()


while True:
    c, _ = ls.accept()
    c.settimeout(2)
    try:
        msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
    except OSError:
        msg, fds = b"", []
    if msg:
        with open(out + "/rec", "a") as f:
            f.write("request of %d bytes, %d descriptors\n" % (len(msg), len(fds)))
        c.send(struct.pack("<IIiiiIIII", 0x53575231, 1, 0, os.getpid(),
                           os.getpid(), 1, 1, 0, 60))
        if fds:
            try:
                smtp(fds[0])
            except OSError:
                pass
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    c.close()
PY
chmod 644 "$tmp/fake/fake.py"
timeout 60 unshare -m --propagation private setpriv --reuid="$U" --regid="$U" --clear-groups \
    env -i PATH=/usr/bin:/bin python3 "$tmp/fake/fake.py" "$usock" "$tmp/fake" \
    > "$tmp/fake.out" 2>&1 &
fake=$!
on_exit "kill $fake 2>/dev/null"
wait_for_file "$tmp/fake/ready" 10 || fail "impostor: did not start: $(cat "$tmp/fake.out")"
[ "$(cat "$tmp/fake/ready")" != "$(readlink /proc/self/ns/mnt)" ] ||
    fail "impostor: not in a mount namespace of its own"
[ "$(stat -c %u "$usock")" = "$U" ] || fail "impostor: its socket is not U's"
(usend "$urun6" warm=no && usend "$urun6" warm=no) > "$tmp/imp.out" 2>&1
rc=$?
n=$((n + 2))
[ ! -s "$tmp/fake/rec" ] || fail "impostor: a program handed it its session: $(cat "$tmp/fake/rec")"
[ $rc = 0 ] || fail "impostor: $(cat "$tmp/imp.out")"
kill "$fake"
wait "$fake" 2>/dev/null
note "a sandbox of U's posing as its warm helper: U's programs cold and delivered, nothing handed to it"

# 7. A program of U's confined by Landlock (with no_new_privs, as an
# unprivileged process must) while U's unconfined warm helper runs: it is
# not served by that warm helper (its session, and passwordeval, would run
# outside the sandbox), but by a cold helper and then by a warm helper of
# its own, confined like itself.
if ! "$TESTBIN/landlock" -a > /dev/null 2>&1; then
    note "Landlock: not checked, the kernel has no Landlock ($("$TESTBIN/landlock" -a 2>&1))"
    exit 0
fi
# make asan: the sanitizer runtime of the confined programs reports into a
# directory outside the sandbox; this part runs in the plain build only.
if [ -n "$SHIM_SAN" ]; then
    note "Landlock: not checked under the sanitizer build"
    exit 0
fi
urun7=$tmp/urun7
box=$tmp/box
out7=$tmp/outside
mkdir -m 700 "$urun7" "$box" "$out7"
chown "$U:$U" "$urun7" "$box" "$out7"
as_u - sh -c "echo 'outside secret $id' > '$out7/secret.txt'"
on_exit "as_u '$urun7' timeout 20 '$SUBMITIFY' --warm-stop > /dev/null 2>&1"
usend "$urun7" warm=no
usend "$urun7" warm=yes
uwp=$(status_pid "$urun7")
[ -n "$uwp" ] || fail "Landlock: U's warm helper is not running"
userved=$(as_u "$urun7" "$SUBMITIFY" --warm-status | sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p')
{
    printf 'account u\nhost localhost\nport %s\ntls_trust_file %s\nuser alice\n' "$RIG_SUB_PORT" "$RIG_CA"
    printf 'passwordeval "cat %s > %s; touch %s; printf %%s %s"\n' \
        "$out7/secret.txt" "$box/leak.txt" "$out7/PWNED" "$RIG_ALICE_PASS"
    printf 'logfile %s\n' "$box/box.log"
} | conf_file "$box/evil.conf"
cat > "$box/box.sh" <<SH
for i in 1 2; do
    SUBMITIFY_CONF=$box/evil.conf LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_HELPER=$HELPER \
        timeout 30 $TESTBIN/smtpclient -q -i $id-box\$i@test 192.0.2.71 || exit 1
done
$SUBMITIFY --warm-status
timeout 20 $SUBMITIFY --warm-stop > /dev/null
SH
chown "$U:$U" "$box/evil.conf" "$box/box.sh"
ro=/usr:/lib:/lib64:/bin:/etc:/proc:/dev:$ROOT:$(dirname "$RIG_CA")
rw=$box:$urun7:$uhome/state:/dev/null
as_u "$urun7" timeout 90 "$TESTBIN/landlock" "$ro" "$rw" sh "$box/box.sh" > "$tmp/box.out" 2>&1 ||
    fail "Landlock: the confined program failed: $(cat "$tmp/box.out")"
for p in $(pgrep -f -- "--warm-serve $urun7/"); do
    [ "$p" = "$uwp" ] || { kill "$p"; fail "Landlock: its warm helper $p outlived --warm-stop"; }
done
[ ! -e "$out7/PWNED" ] || fail "Landlock: passwordeval ran outside the sandbox"
grep -qs "outside secret" "$box/leak.txt" && fail "Landlock: the secret outside the sandbox was read"
for i in 1 2; do
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$id-box$i@test" 20 > /dev/null ||
        fail "Landlock: message $i not delivered"
done
sed -n 1p "$box/box.log" | grep -q ' warm=no ' ||
    fail "Landlock: the first confined session was not cold: $(cat "$box/box.log")"
sed -n 2p "$box/box.log" | grep -q ' warm=yes ' ||
    fail "Landlock: no warm helper of the sandbox's own: $(cat "$box/box.log" "$tmp/box.out")"
bwp=$(sed -n 's/^warm helper pid \([0-9]*\) at .*/\1/p' "$tmp/box.out")
[ -n "$bwp" ] && [ "$bwp" != "$uwp" ] ||
    fail "Landlock: the sandbox's warm helper is '$bwp' (U's unconfined one: $uwp): $(cat "$tmp/box.out")"
[ "$(as_u "$urun7" "$SUBMITIFY" --warm-status | sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p')" = "$userved" ] ||
    fail "Landlock: U's unconfined warm helper served the confined program"
note "Landlock: the confined program cold, then its own warm helper $bwp (U's unconfined: $uwp, not used); passwordeval stayed confined"
