#!/bin/bash
# The warm helper (docs/DESIGN.md, "The warm helper") against the rig, as
# root: a burst goes warm and resumes TLS, each message delivered once; a
# config edit applies to the next warm session; a crashed session leaves
# the warm helper serving, a killed warm helper costs one cold session;
# $(...) and a pipe to EOF are not held up by it; -v and a config error
# reach the program from a warm session; resumption never crosses trust
# stores, pins or a changed trust file; warm_idle N/off, SUBMITIFY_WARM=0
# and --no-warm; --warm-status and --warm-stop; no warm helper for a
# program that never mails; a warm helper whose executable changed exits.
# time limit: 120
. "$(dirname "$0")/../lib/common.sh"
# This scenario is about the warm helper itself: it runs with it whatever
# make check-cold asks of the others (its own cold cases say so).
unset SUBMITIFY_WARM
rig_env
need_root
need_cmd python3
tmp=$(mktmp)
id=W$$x$RANDOM
W=$XDG_RUNTIME_DIR/submitify
n=0

# acct NAME [LINE...]: $tmp/NAME.conf, the rig's account logging to
# $tmp/NAME.log, with the LINEs (a password line unless one is given).
acct() {
    local name=$1
    shift
    {
        printf 'account %s\nhost localhost\nport %s\nuser alice\n' \
            "$name" "$RIG_SUB_PORT"
        printf 'logfile %s\n' "$tmp/$name.log"
        printf '%s\n' "$@"
        printf '%s\n' "$@" | grep -q '^tls_trust_file ' ||
            printf 'tls_trust_file %s\n' "$RIG_CA"
        printf '%s\n' "$@" | grep -q '^password' ||
            printf 'password %s\n' "$RIG_ALICE_PASS"
    } | conf_file "$tmp/$name.conf"
}
# summaries NAME: the session summary lines of $tmp/NAME.log (-v adds
# the transcript there too).
summaries() { grep -s ' warm=' "$tmp/$1.log"; }
# logline NAME N: summary N of $tmp/NAME.log, once it is there.
logline() { summary_line "$tmp/$1.log" "$2"; }
# send NAME EXIT [WRAPPER-OPTION...]: one message (Message-ID $MID) through
# the wrapper with $tmp/NAME.conf; its log line in $LOG.
send() {
    local name=$1 want=$2 before
    shift 2
    n=$((n + 1))
    MID=$id-$n@test
    before=$(summaries "$name" | wc -l)
    timeout 60 "$SUBMITIFY" "$@" -c "$tmp/$name.conf" -- "$TESTBIN/smtpclient" \
        -q -i "$MID" 192.0.2.72 > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    [ $rc = "$want" ] || fail "$name #$n: exit $rc, expected $want: $(cat "$tmp/out" "$tmp/err")"
    LOG=$(logline "$name" $((before + 1)))
    [ -n "$LOG" ] || fail "$name #$n: no log line"
}
# logged TEXT...: the last session's log line holds each TEXT.
logged() {
    local t
    for t in "$@"; do
        case $LOG in *"$t"*) ;; *) fail "#$n: no '$t' in: $LOG" ;; esac
    done
}
delivered() {
    "$RIG" wait-mail "$SUBMITIFY_RIG" bob "$MID" 20 > /dev/null ||
        fail "#$n: $MID not delivered"
}
undelivered() {
    sleep 1
    [ "$("$RIG" count-mail "$SUBMITIFY_RIG" bob "$MID")" = 0 ] ||
        fail "#$n: $MID was delivered"
}
# The pid of the (one) warm helper in $W, or nothing.
wpid() {
    "$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid \([0-9]*\) at .*/\1/p' | head -1
}
# gone PID SECONDS: 0 once PID has exited, within SECONDS.
gone() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    return 1
}
stop_all() {
    timeout 20 "$SUBMITIFY" --warm-stop > /dev/null 2>&1
    [ -z "$(wpid)" ] || fail "a warm helper survived --warm-stop"
}
sockets() { find "$1" -type s 2>/dev/null | wc -l; }

acct good
acct burst

# 1. A burst of five sessions from one process: cold, then warm and
# resumed; each message delivered exactly once.
timeout 60 "$SUBMITIFY" -c "$tmp/burst.conf" -- "$TESTBIN/loadclient" -c 1 -n 5 \
    -w 50 -i "$id.b" 192.0.2.71 > "$tmp/burst.out" 2>&1 ||
    fail "burst: $(tail -3 "$tmp/burst.out")"
logline burst 5 > /dev/null
# The first is cold and starts the warm helper; every later one is warm
# (in a sanitized build the warm helper may take a session longer to be
# ready: cold ones then, but none after a warm one).
cold=$(grep -c ' warm=no ' "$tmp/burst.log")
head -1 "$tmp/burst.log" | grep -q ' warm=no ' &&
    { [ "$cold" = 1 ] || { [ -n "$SHIM_SAN" ] && [ "$cold" -le 3 ] &&
        ! sed -n '/ warm=yes /,$p' "$tmp/burst.log" | grep -q ' warm=no '; }; } ||
    fail "burst: the first session alone must be cold: $(cat "$tmp/burst.log")"
[ "$(grep -c ' warm=yes ' "$tmp/burst.log")" = 4 ] || fail "burst: not 4 warm sessions"
grep -q ' warm=yes resumed=yes' "$tmp/burst.log" || fail "burst: no TLS session resumed"
for _ in $(seq 40); do
    [ "$(grep -rl "^Message-ID: <$id\.b\." "$RIG_MAILDIR_BOB"/new "$RIG_MAILDIR_BOB"/cur 2>/dev/null | wc -l)" -ge 5 ] && break
    sleep 0.25
done
grep -rh "^Message-ID: <$id\.b\." "$RIG_MAILDIR_BOB"/new "$RIG_MAILDIR_BOB"/cur |
    sort | uniq -c > "$tmp/ids"
[ "$(wc -l < "$tmp/ids")" = 5 ] || fail "burst: $(wc -l < "$tmp/ids") of 5 messages arrived"
awk '$1 != 1' "$tmp/ids" | grep -q . && fail "burst: delivered more than once: $(cat "$tmp/ids")"
note "burst: cold, then 4 warm (resumed), 5 delivered once each"

# 2. A config edit between two sessions applies to the second.
send good 0
logged warm=yes
delivered
acct good "password wrong-$id"
send good 1
logged warm=yes "error=authentication as alice"
assert_contains "$tmp/out" "421 4.7.0 submitify: authentication as alice"
undelivered
acct good
send good 0
logged warm=yes
delivered
acct good "passwordeval \"echo wrong-$id\""
send good 1
logged warm=yes "error=authentication as alice"
undelivered
acct good "passwordeval \"printf %s '$RIG_ALICE_PASS'\""
send good 0
logged warm=yes
delivered
acct good
note "config edits (password, passwordeval) apply to the next warm session"

# 3. A session process that crashes leaves the warm helper serving.
wp=$(wpid)
[ -n "$wp" ] || fail "no warm helper running"
cat > "$tmp/hold.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("192.0.2.73", 25), timeout=30)
f = s.makefile("rb")
open(sys.argv[1], "w").write(f.readline().decode())
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
try:
    s.sendall(b"QUIT\r\n")
    r = f.readline()
except OSError as e:
    r = repr(e).encode()
open(sys.argv[3], "w").write(repr(r))
PY
timeout 60 "$SUBMITIFY" -c "$tmp/good.conf" -- python3 "$tmp/hold.py" \
    "$tmp/greet" "$tmp/go" "$tmp/after" > "$tmp/hold.out" 2>&1 &
hold=$!
on_exit "kill $hold 2>/dev/null"
wait_for_file "$tmp/greet" 20 || fail "crash: no greeting: $(cat "$tmp/hold.out")"
grep -q '^220 ' "$tmp/greet" || fail "crash: greeting: $(cat "$tmp/greet")"
kid=$(pgrep -P "$wp")
[ -n "$kid" ] && [ "$(echo "$kid" | wc -l)" = 1 ] || fail "crash: session process not found: '$kid'"
# A sanitized build's session process would report a SIGSEGV as a finding
# of make asan's; it does not handle SIGABRT, which crashes it the same.
kill -"$([ -n "$SHIM_SAN" ] && echo ABRT || echo SEGV)" "$kid"
gone "$kid" 5 || fail "crash: session process $kid did not die"
touch "$tmp/go"
wait $hold
grep -q "250\|221" "$tmp/after" && fail "crash: the program got a reply after the crash: $(cat "$tmp/after")"
send good 0
logged warm=yes
delivered
[ "$(wpid)" = "$wp" ] || fail "crash: warm helper $wp replaced by $(wpid)"
for _ in $(seq 40); do
    "$SUBMITIFY" --warm-status | grep -q ' 0 running,' && break
    sleep 0.1
done
"$SUBMITIFY" --warm-status | grep -q ' 0 running,' || fail "crash: still counted: $("$SUBMITIFY" --warm-status)"
note "a crashed session process: warm helper $wp still serves"

# 4. A killed warm helper: the next session is cold and starts another.
kill -9 "$wp"
gone "$wp" 5 || fail "kill: warm helper $wp still there"
send good 0
logged warm=no
delivered
send good 0
logged warm=yes
delivered
wp2=$(wpid)
[ -n "$wp2" ] && [ "$wp2" != "$wp" ] || fail "kill: no new warm helper ($wp, now '$wp2')"
note "killed warm helper: one cold session, then warm helper $wp2"

# 5. $(...) and a pipe read to EOF end with the program, although the warm
# helper (started by that very session) stays.
stop_all
t0=$(date +%s%N)
out=$(timeout 30 "$SUBMITIFY" -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -i "$id-cs@test" 192.0.2.74)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] || fail "\$(...): exit $rc"
[ $ms -lt 4000 ] || fail "\$(...) took $ms ms"
case $out in *"<- 250"*) ;; *) fail "\$(...): no transcript" ;; esac
wp=$(wpid)
[ -n "$wp" ] || fail "\$(...): no warm helper left running"
stop_all
t0=$(date +%s%N)
timeout 30 "$SUBMITIFY" -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -i "$id-cron@test" \
    192.0.2.74 2>&1 | cat > "$tmp/cron.out"
ms2=$((($(date +%s%N) - t0) / 1000000))
[ $ms2 -lt 4000 ] || fail "pipe to EOF took $ms2 ms"
assert_contains "$tmp/cron.out" "<- 221"
wp=$(wpid)
[ -n "$wp" ] && kill -0 "$wp" || fail "pipe: no warm helper left running"
t0=$(date +%s%N)
timeout 30 "$SUBMITIFY" -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -i "$id-cron2@test" \
    192.0.2.74 2>&1 | cat > "$tmp/cron.out"
ms3=$((($(date +%s%N) - t0) / 1000000))
[ $ms3 -lt 4000 ] || fail "warm session through a pipe to EOF took $ms3 ms"
kill -0 "$wp" || fail "the warm helper exited"
note "\$(...) ${ms} ms, pipe to EOF ${ms2} ms (cold) and ${ms3} ms (warm); warm helper $wp alive"

# 6. -v and a config error reach the program from a warm session.
send good 0 -v
logged warm=yes
assert_contains "$tmp/err" "program: EHLO"
assert_contains "$tmp/err" "server: 250"
assert_contains "$tmp/err" "(credentials, not shown)"
assert_not_contains "$tmp/err" "$RIG_ALICE_PASS"
printf 'account bad\nhost localhost\nport %s\nno_such_key 1\n' "$RIG_SUB_PORT" |
    conf_file "$tmp/bad.conf"
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/bad.conf SUBMITIFY_HELPER=$HELPER \
    timeout 30 "$TESTBIN/smtpclient" -i "$id-bad@test" 192.0.2.75 > "$tmp/bad.out" 2> "$tmp/bad.err"
[ $? = 1 ] || fail "config error: $(cat "$tmp/bad.out" "$tmp/bad.err")"
expect_421 "$tmp/bad.out" "submitify: $tmp/bad.conf:4:"
grep -q "warm=yes" "$tmp/bad.err" || fail "config error: not a warm session: $(cat "$tmp/bad.err")"
note "-v transcript and a config error's 421 from warm sessions"

# 7. Resumption keys: another trust file, a pin, a changed trust file.
cp "$RIG_CA" "$tmp/ca-copy.pem"
acct ca "tls_trust_file $RIG_CA"
acct cacopy "tls_trust_file $tmp/ca-copy.pem"
acct pin "tls_fingerprint $(cat "$RIG_DIR/certs/server.sha256")"
send ca 0
send ca 0
logged warm=yes resumed=yes
send cacopy 0
logged warm=yes resumed=no
send pin 0
logged warm=yes resumed=no
send cacopy 0
logged warm=yes resumed=yes
touch "$tmp/ca-copy.pem"
send cacopy 0
logged warm=yes resumed=no
send cacopy 0
logged warm=yes resumed=yes
cp "$RIG_CA" "$tmp/ca-copy.new" && mv "$tmp/ca-copy.new" "$tmp/ca-copy.pem"
send cacopy 0
logged warm=yes resumed=no
send pin 0
logged warm=yes resumed=yes
delivered
note "resumption kept apart by trust file, pin, and trust file identity"

# 8. warm_idle N and off, SUBMITIFY_WARM=0, --no-warm.
stop_all
acct idle2 "warm_idle 2"
send idle2 0
logged warm=no
wp=$(wpid)
[ -n "$wp" ] || fail "warm_idle 2: no warm helper"
"$SUBMITIFY" --warm-status | grep -q "exits after 2 s idle" ||
    fail "warm_idle 2: $("$SUBMITIFY" --warm-status)"
gone "$wp" 6 || fail "warm_idle 2: warm helper $wp still there after 6 s"
acct off "warm_idle off"
send off 0
logged warm=no
delivered
sleep 0.5
[ "$(sockets "$W")" = 0 ] || fail "warm_idle off: a warm helper was started"
send good 0
send good 0
logged warm=yes
wp=$(wpid)
send off 0
logged warm=no
delivered
gone "$wp" 3 || fail "warm_idle off: the running warm helper $wp did not exit"
stop_all
SUBMITIFY_WARM=0 send good 0
logged warm=no
send good 0 --no-warm
logged warm=no
sleep 0.5
[ "$(sockets "$W")" = 0 ] || fail "SUBMITIFY_WARM=0/--no-warm: a warm helper was started"
send good 0
send good 0
logged warm=yes
served=$("$SUBMITIFY" --warm-status | sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p')
send good 0 --no-warm
logged warm=no
SUBMITIFY_WARM=0 send good 0
logged warm=no
"$SUBMITIFY" --warm-status | grep -q ": $served sessions served," ||
    fail "--no-warm used the running warm helper: $("$SUBMITIFY" --warm-status)"
note "warm_idle 2 exits, warm_idle off starts none and stops one, SUBMITIFY_WARM=0 and --no-warm stay cold"

# 9. --warm-status and --warm-stop; no warm helper for a program that
# never mails.
wp=$(wpid)
"$SUBMITIFY" --warm-status > "$tmp/status"
grep -qE "^warm helper pid $wp at $W/warm-[0-9a-f]{16}: [0-9]+ sessions served, [0-9]+ running, [0-9]+ TLS sessions kept, exits after 60 s idle\$" \
    "$tmp/status" || fail "--warm-status: $(cat "$tmp/status")"
[ "$(wc -l < "$tmp/status")" = 1 ] || fail "--warm-status: $(cat "$tmp/status")"
sock=$(sed -n 's/^warm helper pid [0-9]* at \(.*\): .*/\1/p' "$tmp/status")
"$SUBMITIFY" --warm-stop > "$tmp/stop" || fail "--warm-stop failed"
[ "$(cat "$tmp/stop")" = "stopped warm helper pid $wp at $sock" ] || fail "--warm-stop: $(cat "$tmp/stop")"
kill -0 "$wp" 2>/dev/null && fail "--warm-stop: $wp still running"
[ ! -e "$sock" ] || fail "--warm-stop: $sock left"
[ "$("$SUBMITIFY" --warm-status)" = "no warm helper is running for this user" ] ||
    fail "--warm-status with none: $("$SUBMITIFY" --warm-status)"
mkdir -m 700 "$tmp/run9"
XDG_RUNTIME_DIR=$tmp/run9 timeout 20 "$SUBMITIFY" -c "$tmp/good.conf" -- true || fail "true failed"
XDG_RUNTIME_DIR=$tmp/run9 timeout 20 "$SUBMITIFY" -c "$tmp/good.conf" -- python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
assert s.recv(100).startswith(b"220")
s.sendall(b"QUIT\r\n")
s.recv(100)' "$RIG_SMTP_PORT" || fail "a connection to port $RIG_SMTP_PORT failed"
sleep 0.5
[ ! -e "$tmp/run9/submitify" ] || fail "a program that never mailed started a warm helper"
note "--warm-status, --warm-stop; none for true or an unintercepted port"

# 10. A warm helper whose executable changes (a rebuild, an upgrade) exits.
cp "$HELPER" "$tmp/helper-copy"
copy_send() {
    n=$((n + 1))
    MID=$id-$n@test
    local before
    before=$(summaries good | wc -l)
    LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/good.conf SUBMITIFY_HELPER=$tmp/helper-copy \
        timeout 30 "$TESTBIN/smtpclient" -q -i "$MID" 192.0.2.76 > "$tmp/out" 2>&1 ||
        fail "copy #$n: $(cat "$tmp/out")"
    LOG=$(logline good $((before + 1)))
}
copy_send
logged warm=no
copy_send
logged warm=yes
wp=""
for p in $("$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid \([0-9]*\) at .*/\1/p'); do
    [ "$(readlink "/proc/$p/exe")" = "$tmp/helper-copy" ] && wp=$p
done
[ -n "$wp" ] || fail "no warm helper runs the copy"
touch "$tmp/helper-copy"
gone "$wp" 5 || fail "the warm helper of a changed executable is still running"
copy_send
logged warm=no
delivered
note "a changed executable: its warm helper exits, the next session is cold"

# 11. Stalls.  A program whose configuration is a FIFO (nobody writes to
# it) gets its 421 at once, and the warm helper goes on serving: the next
# program is warm, delivered within seconds.  A warm helper that does not
# accept (stopped) with a full queue sends the next program cold at once,
# not into a connect() that never returns.
stop_all
send good 0
send good 0
logged warm=yes
wp=$(wpid)
mkfifo -m 600 "$tmp/fifo"
# Should a reader block on it, a writer lets it go.
on_exit "timeout 2 sh -c ': > \"$tmp/fifo\"' 2>/dev/null"
t0=$(date +%s%N)
LD_PRELOAD=$SHIM_PRELOAD SUBMITIFY_CONF=$tmp/fifo SUBMITIFY_HELPER=$HELPER \
    timeout 10 "$TESTBIN/smtpclient" -i "$id-fifo@test" 192.0.2.79 > "$tmp/fifo.out" 2> "$tmp/fifo.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 1 ] || fail "FIFO: exit $rc after $ms ms: $(cat "$tmp/fifo.out" "$tmp/fifo.err")"
expect_421 "$tmp/fifo.out" "submitify: $tmp/fifo: not a regular file"
t0=$(date +%s%N)
send good 0
ms2=$((($(date +%s%N) - t0) / 1000000))
logged warm=yes
delivered
[ $ms2 -lt 5000 ] || fail "FIFO: the next program took $ms2 ms"
[ "$(wpid)" = "$wp" ] || fail "FIFO: warm helper $wp replaced by '$(wpid)'"
note "a FIFO as the configuration: 421 in $ms ms; the next program warm, $ms2 ms"
cat > "$tmp/fill.py" <<'PY'
import os, resource, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
resource.setrlimit(resource.RLIMIT_NOFILE, (6000, 6000))
held, refused = [], 0
for _ in range(5000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setblocking(False)
    if s.connect_ex(path) == 0:
        held.append(s)
        continue
    s.close()
    refused += 1
    if refused >= 5:
        break
with open(out + ".tmp", "w") as f:
    f.write("%d %d\n" % (len(held), refused))
os.rename(out + ".tmp", out)
time.sleep(30)
PY
sock=$("$SUBMITIFY" --warm-status | sed -n 's/^warm helper pid [0-9]* at \(.*\): .*/\1/p')
kill -STOP "$wp"
on_exit "kill -CONT $wp 2>/dev/null"
python3 "$tmp/fill.py" "$sock" "$tmp/fill.res" &
fill=$!
on_exit "kill $fill 2>/dev/null"
wait_for_file "$tmp/fill.res" 20 || fail "full queue: the filler did not finish"
read -r held refused < "$tmp/fill.res"
[ "$refused" -ge 5 ] || fail "full queue: the queue never filled ($held connections)"
before=$(summaries good | wc -l)
t0=$(date +%s%N)
timeout 20 "$SUBMITIFY" -c "$tmp/good.conf" -- "$TESTBIN/smtpclient" -q \
    -i "$id-full@test" 192.0.2.79 > "$tmp/out" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
kill "$fill" 2>/dev/null
wait "$fill" 2>/dev/null
kill -CONT "$wp"
[ $rc = 0 ] || fail "full queue: exit $rc after $ms ms: $(cat "$tmp/out")"
[ $ms -lt 8000 ] || fail "full queue: the program took $ms ms"
n=$((n + 1))
MID=$id-full@test
LOG=$(logline good $((before + 1)))
logged warm=no
delivered
send good 0
logged warm=yes
[ "$(wpid)" = "$wp" ] || fail "full queue: warm helper $wp replaced by '$(wpid)'"
note "a stopped warm helper, $held connections queued: cold in $ms ms; then warm again"
