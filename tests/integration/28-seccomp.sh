#!/bin/bash
# Static and Go programs, which LD_PRELOAD cannot reach, are served by the
# seccomp supervisor (supervise/): their port-25 mail arrives through the
# rig's submission port over TLS with AUTH as a dynamic program's does,
# with the same refusals; the program keeps its pid, getpeername() shows
# the original destination, other ports and signals behave as the
# kernel's own, and what the supervisor cannot do fails loudly.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_cmd gcc setpriv python3
tmp=$(mktmp)
SUPERVISE=$ROOT/supervise/submitify-supervise
[ -x "$SUPERVISE" ] || fail "supervise/submitify-supervise is not built"
rig_account | conf_file "$tmp/submit.conf"
run() {
    local opt=
    [ "$1" = --seccomp ] && { opt=$1; shift; }
    timeout 60 "$SUBMITIFY" -c "$tmp/submit.conf" $opt -- "$@"
}
id=$$.$RANDOM

gcc -static -O2 -o "$tmp/supclient" "$ROOT/tests/bin/supclient.c" \
    -lpthread 2>"$tmp/cc.err" || fail "gcc -static: $(cat "$tmp/cc.err")"
gcc -static -O2 -o "$tmp/smtpclient" "$ROOT/tests/bin/smtpclient.c" \
    2>"$tmp/cc.err" || fail "gcc -static: $(cat "$tmp/cc.err")"
file_is_static() { ! readelf -l "$1" | grep -q INTERP; }
file_is_static "$tmp/supclient" || fail "supclient is not static"

# delivered NAME...: each Message-Id <NAME@test> arrived once, by ESMTPSA
# (UTF8SMTPSA for Go, which asks for SMTPUTF8) as alice.
delivered() {
    local c f n
    for c in "$@"; do
        f=$("$RIG" wait-mail "$SUBMITIFY_RIG" bob "<$c@test>" 30) ||
            fail "$c: the message did not arrive"
        grep -qE "with (ESMTPSA|UTF8SMTPSA)" "$f" ||
            fail "$c: not received with ESMTPSA: $(grep -A5 "^Received" "$f")"
        grep -q "Authenticated sender: alice" "$f" ||
            fail "$c: not authenticated as alice"
        n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "<$c@test>")
        [ "$n" = 1 ] || fail "$c: delivered $n times"
    done
}

# The supervisor of this scenario's current run: its exe is this tree's
# and its environment names this scenario's config.
our_supervisors() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$SUPERVISE" ] || continue
        tr '\0' '\n' < "$p/environ" 2>/dev/null |
            grep -qx "SUBMITIFY_CONF=$1" && echo "${p#/proc/}"
    done
}

# 1. Blocking and non-blocking, IPv4, IPv6 and v4-mapped; getpeername()
# reports the destination the program asked for.
for t in "v4 192.0.2.28" "v4nb 198.51.100.28 nb" "v6 2001:db8::28" \
    "v6nb 2001:db8::29 nb" "mapped ::ffff:203.0.113.28"; do
    set -- $t
    name=$1 addr=$2 mode=${3:-}
    run "$tmp/supclient" mail "$addr" 25 "s-$name-$id" $mode \
        > "$tmp/$name.out" 2>&1 || fail "$name: $(cat "$tmp/$name.out")"
    case $addr in *:*) want="[$addr]:25" ;; *) want="$addr:25" ;; esac
    assert_contains "$tmp/$name.out" "peer: $want"
    delivered "s-$name-$id"
    note "static $name: delivered, getpeername() says $want"
done
# The wrapper said nothing about reach: the program was served.
assert_not_contains "$tmp/v4.out" "cannot intercept"

# The kernel reads connect()'s length as an int: junk in the register's
# upper half must not make the supervisor let a port-25 connect through.
run "$tmp/supclient" mail 192.0.2.33 25 "s-hilen-$id" hilen \
    > "$tmp/hilen.out" 2>&1 || fail "hilen: $(cat "$tmp/hilen.out")"
assert_contains "$tmp/hilen.out" "peer: 192.0.2.33:25"
delivered "s-hilen-$id"
note "a length with its upper 32 bits set: still taken"

# 2. The static smtpclient (getaddrinfo, the shim's usual client).
run "$tmp/smtpclient" -q -i "s-smtpclient-$id@test" 192.0.2.10 ||
    fail "the static smtpclient was not served"
delivered "s-smtpclient-$id"
note "static smtpclient: delivered"

# 3. A signal storm (SA_RESTART every 50 us) across connect and session.
run "$tmp/supclient" mail 192.0.2.31 25 "s-storm-$id" storm \
    > "$tmp/storm.out" 2>&1 || fail "storm: $(cat "$tmp/storm.out")"
delivered "s-storm-$id"
note "under a signal storm: $(grep signals "$tmp/storm.out"), delivered once"

# 4. 16 threads at once.
run "$tmp/supclient" threads 16 192.0.2.16 "s-thr-$id" > "$tmp/thr.out" 2>&1 ||
    fail "threads: $(cat "$tmp/thr.out")"
for i in $(seq 0 15); do delivered "s-thr-$id-$i"; done
note "16 threads: 16 messages, each once"

# 5. A fork tree whose children and daemonised grandchild mail after the
# top program has exited; a $(...) around it sees EOF when it ends.
start=$(date +%s)
out=$(run "$tmp/supclient" fork 3 192.0.2.5 "s-fork-$id") ||
    fail "fork: $out"
[ $(( $(date +%s) - start )) -lt 5 ] || fail "\$(...) waited for the children"
for i in 0 1 2 3; do delivered "s-fork-$id-$i"; done
note "fork tree: 3 children and a daemon delivered after the top exited"

# 6. The program keeps its pid (the wrapper execs it), and --seccomp
# serves a dynamic program too, without the shim in its LD_PRELOAD.
timeout 30 bash -c 'echo "shell=$$"; exec "$0" -c "$1" --seccomp -- \
    /bin/sh -c "echo \"sh=\$\$ preload=\${LD_PRELOAD:-}\""' \
    "$SUBMITIFY" "$tmp/submit.conf" > "$tmp/pid.out" 2>&1 ||
    fail "--seccomp /bin/sh: $(cat "$tmp/pid.out")"
shell=$(sed -n 's/^shell=//p' "$tmp/pid.out")
grep -q "^sh=$shell " "$tmp/pid.out" ||
    fail "the program did not keep the wrapper's pid: $(cat "$tmp/pid.out")"
assert_not_contains "$tmp/pid.out" "libsubmitify"
LD_PRELOAD=$SHIM_PRELOAD run --seccomp "$tmp/supclient" mail 192.0.2.6 25 \
    "s-dyn-$id" > "$tmp/dyn.out" 2>&1 || fail "--seccomp: $(cat "$tmp/dyn.out")"
delivered "s-dyn-$id"
note "--seccomp: the program runs as the wrapper's pid ($shell), no shim preloaded"

# 7. Go, CGO_ENABLED=0, net/smtp.
if command -v go >/dev/null 2>&1; then
    mkdir -p "$tmp/go" "$tmp/gocache"
    cat > "$tmp/go/main.go" <<'GO'
package main

import (
	"fmt"
	"net"
	"net/smtp"
	"os"
)

func main() {
	c, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(2)
	}
	fmt.Println("peer:", c.RemoteAddr())
	c.Close()
	msg := "Subject: go\r\nMessage-Id: <" + os.Args[2] + "@test>\r\n\r\nfrom Go\r\n"
	err = smtp.SendMail(os.Args[1], nil, "alice@example.test",
		[]string{"bob@example.test"}, []byte(msg))
	if err != nil {
		fmt.Println("sendmail:", err)
		os.Exit(1)
	}
}
GO
    (cd "$tmp/go" && HOME=$tmp GOCACHE=$tmp/gocache GOPATH=$tmp/gopath \
        GO111MODULE=off CGO_ENABLED=0 GOFLAGS= timeout 300 go build \
        -o "$tmp/gomail" main.go) > "$tmp/go.err" 2>&1 ||
        fail "go build: $(cat "$tmp/go.err")"
    run "$tmp/gomail" 192.0.2.60:25 "s-go-$id" > "$tmp/go.out" 2>&1 ||
        fail "Go: $(cat "$tmp/go.out")"
    assert_contains "$tmp/go.out" "peer: 192.0.2.60:25"
    delivered "s-go-$id"
    note "Go (CGO_ENABLED=0, net/smtp): delivered"
else
    fail "go is not installed (tests/deps.sh installs golang-go)"
fi

# 8. The same refusals as under the shim: a wrong password, an untrusted
# certificate: a 421 from submitify to the program, nothing delivered.
{ printf 'account rig\nhost localhost\nport %s\ntls_trust_file %s\n' \
    "$RIG_SUB_PORT" "$RIG_CA"
  printf 'user alice\npassword not-the-password\n'; } | conf_file "$tmp/bad.conf"
timeout 60 "$SUBMITIFY" -c "$tmp/bad.conf" -- "$tmp/smtpclient" \
    -i "s-wrong-$id@test" 192.0.2.10 > "$tmp/wrong.out" 2> "$tmp/wrong.err"
rc=$?
[ $rc = 1 ] || fail "wrong password: exit $rc: $(cat "$tmp/wrong.out" "$tmp/wrong.err")"
expect_421 "$tmp/wrong.out" "submitify: authentication as alice with PLAIN failed: 535"
# The helper's line reaches the program's own stderr, as under the shim.
assert_contains "$tmp/wrong.err" "error=authentication as alice"
{ printf 'account rig\nhost localhost\nport %s\ntls_trust_file %s\n' \
    "$RIG_SUB_PORT" "$RIG_DIR/certs/other-ca.pem"
  printf 'user alice\npassword %s\n' "$RIG_ALICE_PASS"; } | conf_file "$tmp/ca.conf"
timeout 60 "$SUBMITIFY" -c "$tmp/ca.conf" -- "$tmp/smtpclient" \
    -i "s-ca-$id@test" 192.0.2.10 > "$tmp/ca.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "bad certificate: exit $rc: $(cat "$tmp/ca.out")"
expect_421 "$tmp/ca.out" "TLS certificate not trusted"
sleep 1
for c in wrong ca; do
    n=$("$RIG" count-mail "$SUBMITIFY_RIG" bob "s-$c-$id@test")
    [ "$n" = 0 ] || fail "$c: $n messages delivered"
done
note "wrong password and untrusted certificate: 421 submitify:, nothing sent"

# 9. Other ports are the kernel's: a listener sees the connect, the
# program sees the real peer; a connect to a closed port is refused by
# the kernel, not by submitify.
python3 - "$tmp/lport" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(20)
c, _ = s.accept()
c.close()
PY
lpid=$!
on_exit "kill $lpid 2>/dev/null; wait $lpid 2>/dev/null"
wait_for_file "$tmp/lport" 10 || fail "listener did not start"
lport=$(cat "$tmp/lport")
run "$tmp/supclient" peer 127.0.0.1 "$lport" > "$tmp/other.out" 2>&1 ||
    fail "other port: $(cat "$tmp/other.out")"
assert_contains "$tmp/other.out" "peer: 127.0.0.1:$lport"
wait $lpid || fail "the listener on $lport saw no connection"
note "port $lport: connected by the kernel, real peer shown"

# 10. An alarm() timeout on a connect to a port that never answers (a
# listener with a full backlog) still fires.
python3 - "$tmp/bport" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    fill.append(c)
time.sleep(0.5)
open(sys.argv[1], "w").write(str(port))
time.sleep(30)
PY
bpid=$!
on_exit "kill $bpid 2>/dev/null; wait $bpid 2>/dev/null"
wait_for_file "$tmp/bport" 10 || fail "blackhole did not start"
start=$(date +%s%N)
run "$tmp/supclient" alarm 127.0.0.1 "$(cat "$tmp/bport")" > "$tmp/alarm.out" 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_contains "$tmp/alarm.out" "connect: Interrupted system call"
[ "$ms" -lt 5000 ] || fail "alarm(1) took $ms ms to interrupt connect"
note "alarm(1) interrupted a hanging connect after $ms ms"
kill $bpid 2>/dev/null

# 11. io_uring, whose connects no filter sees, and TCP Fast Open, which
# connects without connect(), are refused as a kernel without them would.
run "$tmp/supclient" iouring > "$tmp/uring.out" 2>&1
assert_contains "$tmp/uring.out" "io_uring_setup: Function not implemented"
run "$tmp/supclient" fastopen 192.0.2.25 25 > "$tmp/tfo.out" 2>&1
assert_contains "$tmp/tfo.out" "sendto: Operation not supported"
note "io_uring_setup: ENOSYS; sendto(MSG_FASTOPEN): EOPNOTSUPP"

# 11b. A stream socket that is not TCP (MPTCP, which falls back to plain
# TCP against an ordinary server) is refused at port 25, under the
# supervisor and under the shim alike, never let through; a datagram
# socket's connect still works as the kernel's.
gcc -O2 -o "$tmp/supclient-dyn" "$ROOT/tests/bin/supclient.c" -lpthread \
    2>"$tmp/cc.err" || fail "gcc: $(cat "$tmp/cc.err")"
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ]; then
    for prog in "$tmp/supclient" "$tmp/supclient-dyn"; do
        run "$prog" mptcp 192.0.2.26 25 > "$tmp/mptcp.out" 2>&1
        assert_contains "$tmp/mptcp.out" "connect: Operation not permitted"
    done
    note "an MPTCP connect to port 25: EPERM under the supervisor and the shim"
else
    note "no MPTCP in this kernel (net.mptcp.enabled is not 1): that case not run"
fi
run "$tmp/supclient" udp 192.0.2.26 25 > "$tmp/udp.out" 2>&1
assert_contains "$tmp/udp.out" "connect: ok"

# 12. The supervisor killed mid-run: the next connect fails with ENOSYS
# (no mail lost silently: the program sees the error).
rm -f "$tmp/go-on"
run "$tmp/supclient" twice 192.0.2.12 "s-twice-$id" "$tmp/go-on" \
    > "$tmp/twice.out" 2>&1 &
tpid=$!
on_exit "kill $tpid 2>/dev/null; wait $tpid 2>/dev/null"
for i in $(seq 100); do
    grep -q "first: delivered" "$tmp/twice.out" && break
    sleep 0.2
done
assert_contains "$tmp/twice.out" "first: delivered"
sups=$(our_supervisors "$tmp/submit.conf")
[ -n "$sups" ] || fail "no supervisor found for the running program"
kill -9 $sups
touch "$tmp/go-on"
wait $tpid
assert_contains "$tmp/twice.out" "second connect: Function not implemented"
delivered "s-twice-$id"
note "supervisor killed: the next connect failed with ENOSYS"

# 13. Run as a user: a non-dumpable program cannot be inspected, and its
# connect is refused (EACCES), never let through unseen; a set-user-ID
# root program it starts runs without the privilege and says so.
udir=$(mktmp)
chown 65534:65534 "$udir"
rig_account | setpriv --reuid=65534 --regid=65534 --clear-groups \
    sh -c "umask 077; cat > '$udir/submit.conf'"
cp "$tmp/supclient" "$udir/supclient"
cp "$tmp/supclient" "$udir/supclient-root"
chown root:root "$udir/supclient-root"
chmod 4755 "$udir/supclient-root"
asuser() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        env HOME="$udir" XDG_STATE_HOME="$udir/state" \
        timeout 60 "$SUBMITIFY" -c "$udir/submit.conf" -- "$@"
}
"$udir/supclient-root" priv > /dev/null 2>&1 ||
    fail "the set-user-ID copy does not run as root outside submitify"
asuser "$udir/supclient" mail 192.0.2.40 25 "s-user-$id" > "$udir/user.out" 2>&1 ||
    fail "as nobody: $(cat "$udir/user.out")"
delivered "s-user-$id"
asuser "$udir/supclient" nondump 192.0.2.41 25 > "$udir/nd.out" 2>&1
assert_contains "$udir/nd.out" "connect: Permission denied"
note "as nobody: delivered; a non-dumpable program's connect: EACCES"
asuser "$udir/supclient" spawn "$udir/supclient-root" priv > "$udir/suid.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "the set-user-ID child: exit $rc: $(cat "$udir/suid.out")"
assert_contains "$udir/suid.out" "set-user-ID root did not take effect"
# The wrapper refuses a set-user-ID program outright.
asuser "$udir/supclient-root" priv > "$udir/direct.out" 2>&1
rc=$?
[ $rc = 69 ] || fail "set-user-ID program run directly: exit $rc"
assert_contains "$udir/direct.out" "set-user-ID"
note "set-user-ID child: no privilege, fails loudly; run directly: refused (69)"

# 14. Nothing of this scenario's supervisors is left running.
sleep 2
left=$(our_supervisors "$tmp/submit.conf")$(our_supervisors "$udir/submit.conf")
[ -z "$left" ] || fail "supervisors still running: $left"
note "every supervisor exited with its last program"
