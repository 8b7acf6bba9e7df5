#!/bin/bash
# bench/run.sh: submitify's benchmark (run by `make bench`).
#
#   bench/run.sh [--smoke]
#
# Runs every comparison of the performance issue side by side, in one run,
# against one set of local servers started here on loopback:
#   - tests/scripted/smtpd.py (STARTTLS, AUTH required, --discard),
#   - stunnel in client mode (protocol = smtp, protocolAuthentication =
#     plain, chain and host name verified), reached through proxychains-ng
#     (a `raw` entry), the do-it-yourself peer,
# and prints one Markdown table (medians with min-max over repetitions)
# and the machine it ran on.  Every load loop is bounded in count and in
# time; every server started here is stopped by its pid, also on failure.
# Rows 1-5 measure the cold helper (SUBMITIFY_WARM=0); row 6 the warm
# helper next to it.  The warm helpers live in a directory of this run's
# own (XDG_RUNTIME_DIR) and are stopped with `submitify --warm-stop`
# between variants and on exit, also on failure.
#
# --smoke runs each row with tiny counts (well under 60 s); it checks that
# every row still produces numbers, not the numbers themselves.  The exit
# status is 0 when every row produced numbers, whether or not its target
# was met; 1 otherwise; 2 when something needed is missing.
#
# The full run keeps its table and raw data in bench/results/DATE/ and
# copies the table to bench/results/last.md; a smoke run overwrites
# bench/results/smoke/.  It needs `make` (the bench target builds the
# programs first), cc and the OpenSSL headers, python3, openssl, stunnel4,
# proxychains4 and msmtp; run as root it installs the last three with
# apt-get when they are missing.
set -u
export LC_ALL=C
# Whatever the caller preloads or configures must not leak into a variant.
unset LD_PRELOAD SUBMITIFY_CONF SUBMITIFY_HELPER SUBMITIFY_PORTS SUBMITIFY_ACCOUNT \
    SUBMITIFY_DEBUG SUBMITIFY_WARM PROXYCHAINS_CONF_FILE PROXYCHAINS_QUIET_MODE

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

smoke=0
case "${1:-}" in
"") ;;
--smoke) smoke=1 ;;
-h | --help)
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "usage: bench/run.sh [--smoke]" >&2
    exit 64
    ;;
esac

# The system store rows mount a copy of the store that also holds the bench
# CA over OpenSSL's default directory, in a private mount namespace of this
# run (nothing outside it sees the copy).  That needs root; without it those
# rows are left out.
if [ "$(id -u)" = 0 ] && [ -z "${SUBMITIFY_BENCH_NS:-}" ] &&
    unshare --mount --propagation private true 2>/dev/null; then
    SUBMITIFY_BENCH_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi

if [ $smoke = 1 ]; then
    R1_REPS=2 TRUE_RUNS=20 PY_RUNS=2 WRAP_RUNS=5
    R2_REPS=2 R2_CALLS=5000 R2_BLOCKS=2
    R3_REPS=2 R3_SESS=2
    R4_REPS=1 R4_SIZE=2000000 HWM_SMALL=100000
    R5_REPS=1 R5_C=10 R5_N=20
    MEM_N=10
    R6_REPS=2 R6_SESS=3 R6_FIRST=2 BURST=5 R6_BURST_REPS=1 WMEM_A=5 WMEM_B=20
else
    R1_REPS=9 TRUE_RUNS=500 PY_RUNS=40 WRAP_RUNS=100
    R2_REPS=9 R2_CALLS=100000 R2_BLOCKS=10
    R3_REPS=7 R3_SESS=20
    R4_REPS=7 R4_SIZE=100000000 HWM_SMALL=1000000
    R5_REPS=3 R5_C=200 R5_N=2000
    MEM_N=200
    R6_REPS=7 R6_SESS=20 R6_FIRST=9 BURST=30 R6_BURST_REPS=5 WMEM_A=100 WMEM_B=10000
fi

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit "${2:-1}"
}

# ---------------------------------------------------------------- prerequisites

for f in shim/libsubmitify.so helper/submitify-helper wrapper/submitify \
    tests/bin/smtpclient tests/bin/loadclient; do
    [ -x "$root/$f" ] || [ -f "$root/$f" ] || die "$f is missing: run make bench" 2
done

pkg_missing=""
command -v stunnel4 >/dev/null 2>&1 || pkg_missing="$pkg_missing stunnel4"
command -v proxychains4 >/dev/null 2>&1 || pkg_missing="$pkg_missing proxychains4"
command -v msmtp >/dev/null 2>&1 || pkg_missing="$pkg_missing msmtp"
[ -s /etc/ssl/certs/ca-certificates.crt ] || pkg_missing="$pkg_missing ca-certificates"
if [ -n "$pkg_missing" ]; then
    [ "$(id -u)" = 0 ] || die "please install:$pkg_missing (apt-get install$pkg_missing)" 2
    say "installing:$pkg_missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        $pkg_missing >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends $pkg_missing >/dev/null 2>&1; } ||
        die "apt-get install$pkg_missing failed" 2
fi
for c in cc python3 openssl; do
    command -v $c >/dev/null 2>&1 || die "needs $c" 2
done
PCLIB=""
for f in /usr/lib/*/libproxychains.so.4 /usr/lib/libproxychains.so.4; do
    [ -f "$f" ] && PCLIB=$f && break
done
[ -n "$PCLIB" ] || die "libproxychains.so.4 not found (package libproxychains4)" 2

# ---------------------------------------------------------------- workspace

T=$(mktemp -d /tmp/submitify-bench.XXXXXX) || die "mktemp failed" 2
chmod 755 "$T"
say "workspace $T"
LOG=$T/bench.log
: >"$LOG"
pids=""
holdfd_open=0
# The warm helpers live in a directory of this run's own: the variants'
# XDG_RUNTIME_DIR.  Nothing of the caller's (or of another run's) is used.
RUN=$T/run
mkdir -m 700 "$RUN" || die "cannot make $RUN" 2
export XDG_RUNTIME_DIR=$RUN
# warm_stop: stop this run's warm helpers (the wrapper waits until each is
# gone, up to 3 s).  Before the wrapper is copied there is none to stop.
warm_stop() {
    [ -x "$T/wrapper/submitify" ] || return 0
    timeout 20 "$T/wrapper/submitify" --warm-stop >>"$LOG" 2>&1
}
cleanup() {
    local p
    [ $holdfd_open = 1 ] && exec 8>&-
    for p in $pids; do
        kill "$p" 2>/dev/null
    done
    for p in $pids; do
        wait "$p" 2>/dev/null
    done
    warm_stop
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
track() { pids="$pids $1"; }
untrack() { pids=$(echo " $pids " | sed "s/ $1 / /"); }
# bg CMD...: run CMD in the background and wait for it.  Bash runs a trap
# only between commands, but `wait` gives way to it at once, so a signal
# stops the run promptly (cleanup then stops CMD too).
bg() {
    local p rc
    "$@" &
    p=$!
    track $p
    wait $p
    rc=$?
    untrack $p
    return $rc
}

show_log() {
    say "last lines of the log:"
    tail -n 25 "$LOG" >&2
}

# Snapshots of what is measured, so that a rebuild in the tree during the run
# cannot change it.  The layout keeps the shim's own lookup of the helper
# (LIB/../helper/submitify-helper) and the wrapper's lookup of both.
mkdir -p "$T/shim" "$T/helper" "$T/wrapper" "$T/supervise" "$T/bin" "$T/hwm" \
    "$T/raw"
cp "$root/shim/libsubmitify.so" "$T/shim/" &&
    cp "$root/helper/submitify-helper" "$T/helper/" &&
    cp "$root/supervise/submitify-supervise" "$T/supervise/" &&
    cp "$root/wrapper/submitify" "$T/wrapper/" &&
    cp "$root/tests/bin/smtpclient" "$root/tests/bin/loadclient" "$T/bin/" ||
    die "cannot copy the build" 2
SHIM=$T/shim/libsubmitify.so
B=$T/bin

CFLAGS_B="-O2 -g -std=gnu11 -Wall -Wextra -Wpedantic -Wshadow"
SSL_CFLAGS=$(pkg-config --cflags openssl 2>/dev/null)
SSL_LIBS=$(pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)
{
    cc $CFLAGS_B -shared -fPIC -o "$B/empty.so" "$here/empty.c" &&
        cc $CFLAGS_B -o "$B/interleave" "$here/interleave.c" &&
        cc $CFLAGS_B -o "$B/connectloop" "$here/connectloop.c" &&
        cc $CFLAGS_B -o "$B/holdclient" "$here/holdclient.c" &&
        cc $CFLAGS_B -o "$B/rusage" "$here/rusage.c" &&
        cc $CFLAGS_B $SSL_CFLAGS -o "$B/tlsclient" "$here/tlsclient.c" \
            $SSL_LIBS -lpthread
} >>"$LOG" 2>&1 || {
    show_log
    die "building the bench programs failed" 2
}

"$root/tests/rig/certs.sh" "$T/certs" >>"$LOG" 2>&1 || {
    show_log
    die "certs.sh failed" 2
}
CA=$T/certs/ca.pem
PW=$(openssl rand -hex 12)

# Waits up to $2 seconds for TCP port $1 to listen on 127.0.0.1.
wait_listen() {
    local hex i
    hex=$(printf '%04X' "$1")
    for ((i = 0; i < $2 * 10; i++)); do
        awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }' \
            /proc/net/tcp && return 0
        sleep 0.1
    done
    return 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- servers

python3 "$root/tests/scripted/smtpd.py" --listen 127.0.0.1:0 --mode starttls \
    --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
    --users "alice:$PW" --discard --timeout 120 \
    --ready-file "$T/smtpd.port" >"$T/smtpd.out" 2>&1 &
SRV=$!
track $SRV
for ((i = 0; i < 150; i++)); do
    [ -s "$T/smtpd.port" ] && break
    kill -0 $SRV 2>/dev/null || break
    sleep 0.1
done
[ -s "$T/smtpd.port" ] || {
    cat "$T/smtpd.out" >&2
    die "smtpd.py did not start"
}
PORT=$(cat "$T/smtpd.port")

umask 077
printf 'account b\nhost localhost\nport %s\ntls_trust_file %s\nuser alice\npassword %s\n' \
    "$PORT" "$CA" "$PW" >"$T/submit.conf"
printf 'defaults\naccount b\nhost localhost\nport %s\ntls on\ntls_starttls on\ntls_trust_file %s\nauth plain\nuser alice\npassword %s\nfrom alice@example.test\n' \
    "$PORT" "$CA" "$PW" >"$T/msmtprc"
umask 022
chmod 600 "$T/submit.conf" "$T/msmtprc"
# The system store, as a user without tls_trust_file has it: Debian's CAs
# and the bench CA, as a directory of hash links (mounted over the default
# directory) and as one bundle file.
printf 'account b\nhost localhost\nport %s\nuser alice\npassword %s\n' \
    "$PORT" "$PW" >"$T/system.conf"
chmod 600 "$T/system.conf"
mkdir "$T/store" &&
    cp -L /etc/ssl/certs/*.pem "$T/store/" 2>>"$LOG" &&
    cp "$CA" "$T/store/bench-ca.pem" &&
    openssl rehash "$T/store" >>"$LOG" 2>&1 &&
    cat /etc/ssl/certs/ca-certificates.crt "$CA" >"$T/bundle.pem" &&
    cp "$T/bundle.pem" "$T/store/ca-certificates.crt" ||
    die "cannot build the system store copy" 2
STORE_ROWS=0
if [ "${SUBMITIFY_BENCH_NS:-}" = 1 ]; then
    CERTDIR=$(openssl version -d | sed 's/^OPENSSLDIR: "\(.*\)"$/\1/')/certs
    mount --bind "$T/store" "$(readlink -f "$CERTDIR")" 2>>"$LOG" && STORE_ROWS=1
fi
NCAS=$(grep -c 'BEGIN CERTIFICATE' "$T/bundle.pem")
printf 'From: <alice@example.test>\r\nTo: <bob@example.test>\r\nSubject: msmtp\r\nMessage-ID: <msmtp@bench.test>\r\n\r\nA message from the submitify benchmark.\r\n' >"$T/msg.txt"

# stunnel: started once and left running, as it is deployed.
for _ in 1 2 3; do
    SPORT=$(free_port)
    cat >"$T/stunnel.conf" <<EOF
foreground = yes
pid =
syslog = no
output = $T/stunnel.log
debug = 4
[smtp]
client = yes
accept = 127.0.0.1:$SPORT
connect = localhost:$PORT
protocol = smtp
protocolAuthentication = plain
protocolUsername = alice
protocolPassword = $PW
verifyChain = yes
CAfile = $CA
checkHost = localhost
EOF
    chmod 600 "$T/stunnel.conf"
    stunnel4 "$T/stunnel.conf" >>"$LOG" 2>&1 &
    STUNNEL=$!
    track $STUNNEL
    wait_listen "$SPORT" 10 && break
    kill $STUNNEL 2>/dev/null
    wait $STUNNEL 2>/dev/null
    untrack $STUNNEL
    STUNNEL=""
done
[ -n "$STUNNEL" ] || {
    cat "$T/stunnel.log" >&2 2>/dev/null
    die "stunnel did not start"
}
cat >"$T/proxychains.conf" <<EOF
strict_chain
quiet_mode
tcp_read_time_out 60000
tcp_connect_time_out 10000
[ProxyList]
raw 127.0.0.1 $SPORT
EOF

# One variant line of an interleave spec: NAME ENV... -- COMMAND ARGS...
TAB=$'\t'
spec_line() {
    local IFS=$TAB
    echo "$*"
}
# "submitify" in rows 1-5 is the cold helper, one per connection, as
# before the warm helper (SUBMITIFY_WARM=0); row 6 compares the two.
E_SUB=("LD_PRELOAD=$SHIM" "SUBMITIFY_CONF=$T/submit.conf" "-SUBMITIFY_HELPER"
    "-SUBMITIFY_PORTS" "-SUBMITIFY_ACCOUNT" "-SUBMITIFY_DEBUG" "SUBMITIFY_WARM=0")
# The same for env(1).
ENV_SUB=(-u SUBMITIFY_HELPER -u SUBMITIFY_PORTS -u SUBMITIFY_ACCOUNT -u SUBMITIFY_DEBUG
    "LD_PRELOAD=$SHIM" "SUBMITIFY_CONF=$T/submit.conf" "SUBMITIFY_WARM=0")
# With the warm helper: the same, warm left on, in this run's directory.
E_WARM=("LD_PRELOAD=$SHIM" "SUBMITIFY_CONF=$T/submit.conf" "-SUBMITIFY_HELPER"
    "-SUBMITIFY_PORTS" "-SUBMITIFY_ACCOUNT" "-SUBMITIFY_DEBUG" "-SUBMITIFY_WARM"
    "XDG_RUNTIME_DIR=$RUN")
ENV_WARM=(-u SUBMITIFY_HELPER -u SUBMITIFY_PORTS -u SUBMITIFY_ACCOUNT -u SUBMITIFY_DEBUG
    -u SUBMITIFY_WARM "LD_PRELOAD=$SHIM" "SUBMITIFY_CONF=$T/submit.conf"
    "XDG_RUNTIME_DIR=$RUN")
E_PC=("LD_PRELOAD=$PCLIB" "PROXYCHAINS_CONF_FILE=$T/proxychains.conf"
    "PROXYCHAINS_QUIET_MODE=1")
DIRECT=("$B/tlsclient" -p "$PORT" -a "alice:$PW" -C "$CA")
WRAP=("$T/wrapper/submitify" -c "$T/submit.conf" --no-warm)
# The system store variants: the account without tls_trust_file.
E_SYS=("LD_PRELOAD=$SHIM" "SUBMITIFY_CONF=$T/system.conf" "-SUBMITIFY_HELPER"
    "-SUBMITIFY_PORTS" "-SUBMITIFY_ACCOUNT" "-SUBMITIFY_DEBUG" "-SSL_CERT_DIR"
    "SUBMITIFY_WARM=0")
E_DIR=("${E_SYS[@]}" "-SSL_CERT_FILE")
E_FILE=("${E_SYS[@]}" "SSL_CERT_FILE=$T/bundle.pem")

# ---------------------------------------------------------------- warm helper

# proc_cpu PID: clock ticks of PID and of its children it has reaped
# (utime + stime + cutime + cstime).
proc_cpu() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null; }
# warm_line: the first line of `submitify --warm-status` that names a
# warm helper, or nothing.
warm_line() {
    timeout 10 "$T/wrapper/submitify" --warm-status 2>>"$LOG" | grep '^warm helper pid ' | head -n 1
}
# warm_prime [CONF]: a warm helper for CONF (default submit.conf) that has
# served a session, so that the next one is warm and can resume its TLS
# session.  The first session is cold and starts it; the second is the
# warm helper's first.  Sets WPID; 0 when it is running.
warm_prime() {
    local conf=${1:-$T/submit.conf} i
    WPID=""
    warm_stop
    timeout 60 env "${ENV_WARM[@]}" "SUBMITIFY_CONF=$conf" "$B/smtpclient" -q 127.0.0.1 \
        <"$T/msg.txt" >>"$LOG" 2>&1 || return 1
    for ((i = 0; i < 100; i++)); do
        WPID=$(warm_line | sed -n 's/^warm helper pid \([0-9]*\) .*/\1/p')
        [ -n "$WPID" ] && break
        sleep 0.1
    done
    [ -n "$WPID" ] || {
        say "no warm helper started"
        return 1
    }
    timeout 60 env "${ENV_WARM[@]}" "SUBMITIFY_CONF=$conf" "$B/smtpclient" -q 127.0.0.1 \
        <"$T/msg.txt" >>"$LOG" 2>&1 || return 1
    warm_settle
}
# warm_settle: until the warm helper has reaped every session process (at
# most 20 s), so that its cutime and cstime hold all of them.
warm_settle() {
    local i
    for ((i = 0; i < 200; i++)); do
        warm_line | grep -q ', 0 running,' && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- sanity

# Every path of row 3, the ones the other rows use among them.
{
    spec_line submitify "${E_SUB[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line warm "${E_WARM[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line direct -- "${DIRECT[@]}" localhost
    spec_line pcst "${E_PC[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line msmtp -- /usr/bin/msmtp -C "$T/msmtprc" -a b bob@example.test
    if [ $STORE_ROWS = 1 ]; then
        spec_line sysdir "${E_DIR[@]}" -- "$B/smtpclient" -q 127.0.0.1
        spec_line sysfile "${E_FILE[@]}" -- "$B/smtpclient" -q 127.0.0.1
        spec_line sysdirect -- "$B/tlsclient" -p "$PORT" -a "alice:$PW" -C "$T/bundle.pem" localhost
    fi
    # Through the wrapper, with the shim and with the seccomp supervisor.
    spec_line wshim -- "${WRAP[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line wsup -- "${WRAP[@]}" --seccomp -- "$B/smtpclient" -q 127.0.0.1
} >"$T/spec.session"
say "checking that every path delivers a message"
"$B/interleave" -r 1 -n 1 -w 60 -i "$T/msg.txt" "$T/spec.session" >"$T/raw/sanity" 2>>"$LOG" || {
    cat "$T/raw/sanity" >&2
    show_log
    die "a path failed before any measurement"
}

# ---------------------------------------------------------------- statistics

# stats FILE MODE A [B] [SCALE]: "median min max" over the repetitions in FILE
# (lines "NAME REP RUNS FAILED WALL X"), or FAIL if a run failed or nothing
# was measured.  MODE: per = A's wall per run times SCALE; rate = SCALE
# divided by A's wall per run; ratio = A's wall per run over B's, paired by
# repetition; inverse = B's over A's (a throughput ratio); x = A's column 6
# per run times SCALE.
stats() {
    awk -v mode="$2" -v a="$3" -v b="${4:-}" -v scale="${5:-1}" '
    $1 == a { wa[$2] = $5 / $3; xa[$2] = $6 / $3; fa[$2] += $4 }
    $1 == b { wb[$2] = $5 / $3; fb[$2] += $4 }
    END {
        n = 0; bad = 0
        for (r in wa) {
            if (fa[r] > 0) { bad = 1; continue }
            if (mode == "per") v = wa[r] * scale
            else if (mode == "rate") v = scale / wa[r]
            else if (mode == "x") v = xa[r] * scale
            else {
                if (!(r in wb) || fb[r] > 0 || wb[r] <= 0) { bad = 1; continue }
                v = mode == "ratio" ? wa[r] / wb[r] : wb[r] / wa[r]
            }
            x[++n] = v
        }
        if (n == 0 || bad) { print "FAIL"; exit }
        for (i = 2; i <= n; i++) {
            v = x[i]
            for (j = i - 1; j >= 1 && x[j] > v; j--) x[j + 1] = x[j]
            x[j + 1] = v
        }
        med = n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        printf "%.9g %.9g %.9g\n", med, x[1], x[n]
    }' "$1"
}

# fmt "MED MIN MAX" PRINTF-FORMAT: "M (m-M)"
fmt() {
    [ "$1" = FAIL ] && {
        echo "FAILED"
        return
    }
    echo "$1" | awk -v f="$2" '{ printf f " (" f "–" f ")", $1, $2, $3 }'
}

# met "MED MIN MAX" OP TARGET [UPPER]: yes/no (OP in: TARGET <= MED <= UPPER)
met() {
    [ "$1" = FAIL ] && {
        echo "—"
        return
    }
    echo "$1" | awk -v op="$2" -v t="$3" -v u="${4:-}" '{
        ok = op == "le" ? $1 <= t : op == "lt" ? $1 < t : op == "ge" ? $1 >= t : op == "in" ? $1 >= t && $1 <= u : $1 > t
        print ok ? "yes" : "**no**" }'
}

TABLE=$T/table.md
failed_rows=0
row() {
    # row NUM WHAT SUBMITIFY BASELINE RATIO TARGET MET
    case "$3$4$5" in *FAILED*) failed_rows=$((failed_rows + 1)) ;; esac
    # Row 6 (the warm helper) is measured among rows 5's and printed last.
    echo "| $1 | $2 | $3 | $4 | $5 | $6 | $7 |" >>"$TABLE$([ "$1" = 6 ] && echo .6)"
}
# pair_row NUM FILE A B SCALE FORMAT WHAT [TARGET OP LIMIT...]: the row of
# variant A's wall per run (times SCALE, printed with FORMAT) against B's,
# and their ratio paired by repetition, checked against LIMIT with OP.
pair_row() {
    local num=$1 f=$2 a=$3 b=$4 scale=$5 form=$6 what=$7 target=${8:-—} op=${9:-} r ok=""
    shift 9 2>/dev/null || shift $#
    r=$(stats "$f" ratio "$a" "$b")
    [ -n "$op" ] && ok=$(met "$r" "$op" "$@")
    row "$num" "$what" "$(fmt "$(stats "$f" per "$a" "" "$scale")" "$form")" \
        "$(fmt "$(stats "$f" per "$b" "" "$scale")" "$form")" "$(fmt "$r" %.3f)" "$target" "$ok"
}

# Runs an interleave spec; keeps its output in $T/raw/NAME.
run_spec() {
    # run_spec NAME REPS RUNS LIMIT [-i FILE]
    local name=$1 reps=$2 runs=$3 limit=$4
    shift 4
    bg timeout $((limit + 60)) "$B/interleave" -r "$reps" -n "$runs" -w "$limit" "$@" \
        "$T/spec.$name" >"$T/raw/$name" 2>>"$LOG" ||
        say "$name: some runs failed (see the table)"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t_start=$(date +%s)

# ---------------------------------------------------------------- 1: start-up

say "1: start-up of programs that send no mail"
{
    spec_line none -- /bin/true
    spec_line empty "LD_PRELOAD=$B/empty.so" -- /bin/true
    spec_line shim "${E_SUB[@]}" -- /bin/true
    spec_line shimwarm "${E_WARM[@]}" -- /bin/true
} >"$T/spec.true"
run_spec true "$R1_REPS" "$TRUE_RUNS" 600
{
    spec_line none -- /usr/bin/python3 -c pass
    spec_line empty "LD_PRELOAD=$B/empty.so" -- /usr/bin/python3 -c pass
    spec_line shim "${E_SUB[@]}" -- /usr/bin/python3 -c pass
} >"$T/spec.python"
run_spec python "$R1_REPS" "$PY_RUNS" 600
{
    spec_line none -- /bin/true
    spec_line wrapper -- "$T/wrapper/submitify" -c "$T/submit.conf" --no-warm -- /bin/true
    spec_line wrapwarm -- "$T/wrapper/submitify" -c "$T/submit.conf" -- /bin/true
} >"$T/spec.wrapper"
run_spec wrapper "$R1_REPS" "$WRAP_RUNS" 300

for prog in true python; do
    f=$T/raw/$prog
    label=/bin/true
    [ $prog = python ] && label="python3 -c pass"
    s=$(stats "$f" per shim "" 1e6)
    e=$(stats "$f" per empty "" 1e6)
    n=$(stats "$f" per none "" 1e6)
    r=$(stats "$f" ratio shim empty)
    row 1 "start of \`$label\`: shim preloaded vs empty preload (µs per start)" \
        "$(fmt "$s" %.0f)" "$(fmt "$e" %.0f)" "$(fmt "$r" %.3f)" "≤ 1.02" "$(met "$r" le 1.02)"
    r=$(stats "$f" ratio shim none)
    row 1 "start of \`$label\`: shim preloaded vs no preload" \
        "$(fmt "$s" %.0f)" "$(fmt "$n" %.0f)" "$(fmt "$r" %.3f)" "—" ""
    r=$(stats "$f" ratio empty none)
    row 1 "start of \`$label\`: empty preload vs no preload (the floor)" \
        "$(fmt "$e" %.0f)" "$(fmt "$n" %.0f)" "$(fmt "$r" %.3f)" "—" ""
    c1=$(awk '$1 == "shim" { s += $6 } $1 == "empty" { e += $6 } END { if (e > 0) printf "%.3f", s / e }' "$f")
    echo "start of $label: CPU time (user + system) shim / empty, all repetitions pooled: ${c1:-n/a}" >>"$T/notes"
done
f=$T/raw/wrapper
row 1 "\`submitify -c CONF --no-warm -- /bin/true\` (the wrapper) vs \`/bin/true\`" \
    "$(fmt "$(stats "$f" per wrapper "" 1e6)" %.0f)" "$(fmt "$(stats "$f" per none "" 1e6)" %.0f)" \
    "$(fmt "$(stats "$f" ratio wrapper none)" %.2f)" "—" ""
# A program that never mails never asks for the warm helper: warm on or off
# must not change its start.
pair_row 1 "$T/raw/true" shimwarm shim 1e6 %.0f \
    "start of \`/bin/true\` (never mails), µs: shim with warm on vs warm off (SUBMITIFY_WARM=0)" \
    "unchanged (0.98–1.02)" in 0.98 1.02
pair_row 1 "$f" wrapwarm wrapper 1e6 %.0f \
    "\`submitify -c CONF -- /bin/true\`, µs: warm on vs \`--no-warm\`" \
    "unchanged (0.98–1.02)" in 0.98 1.02

# ---------------------------------------------------------------- 2: connect()

say "2: connect() to a closed loopback port: no preload, the shim, the supervisor"
: >"$T/raw/connect"
# Each repetition makes R2_CALLS calls per variant in R2_BLOCKS blocks in
# which the variants take turns, each block starting with the next one
# (connectloop times its own loop, so process start-up, and the wrapper's
# with the supervisor, is not counted): load that comes and goes hits all
# alike.
blk=$((R2_CALLS / R2_BLOCKS))
variants=(none shim sup)
for ((r = 1; r <= R2_REPS; r++)); do
    declare -A wsum=() csum=()
    bad=0
    for ((k = 0; k < R2_BLOCKS; k++)); do
        for ((j = 0; j < 3; j++)); do
            v=${variants[$(((r + k + j) % 3))]}
            case $v in
            shim) out=$(timeout 60 env "${ENV_SUB[@]}" "$B/connectloop" -n "$blk" 2>>"$LOG") ;;
            sup) out=$(timeout 60 "${WRAP[@]}" --seccomp -- "$B/connectloop" -n "$blk" 2>>"$LOG") ;;
            *) out=$(timeout 60 "$B/connectloop" -n "$blk" 2>>"$LOG") ;;
            esac
            rc=$?
            w=$(echo "$out" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p')
            c=$(echo "$out" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p')
            if [ $rc != 0 ] || [ -z "$w" ]; then
                bad=1
                continue
            fi
            wsum[$v]=$(awk -v a="${wsum[$v]:-0}" -v b="$w" 'BEGIN { printf "%.6f", a + b }')
            csum[$v]=$(awk -v a="${csum[$v]:-0}" -v b="$c" 'BEGIN { printf "%.6f", a + b }')
        done
    done
    for v in "${variants[@]}"; do
        echo "$v $r $((blk * R2_BLOCKS)) $bad ${wsum[$v]:-0} ${csum[$v]:-0}" >>"$T/raw/connect"
    done
    unset wsum csum
done
f=$T/raw/connect
r=$(stats "$f" ratio shim none)
row 2 "$R2_CALLS connect() calls to a closed loopback port: with vs without the shim (ns per call)" \
    "$(fmt "$(stats "$f" per shim "" 1e9)" %.0f)" "$(fmt "$(stats "$f" per none "" 1e9)" %.0f)" \
    "$(fmt "$r" %.3f)" "≤ 1.01" "$(met "$r" le 1.01)"
c1=$(awk '$1 == "shim" { s += $6 } $1 == "none" { e += $6 } END { if (e > 0) printf "%.3f", s / e }' "$f")
echo "connect(): CPU time shim / none, all repetitions pooled: ${c1:-n/a}" >>"$T/notes"
r=$(stats "$f" ratio sup none)
row 2 "the same calls, a static-like program under the seccomp supervisor (\`submitify --seccomp\`) vs no supervisor (ns per call)" \
    "$(fmt "$(stats "$f" per sup "" 1e9)" %.0f)" "$(fmt "$(stats "$f" per none "" 1e9)" %.0f)" \
    "$(fmt "$r" %.3f)" "—" ""

# ---------------------------------------------------------------- 3: one session

# The helper's own peak RSS and CPU time: SUBMITIFY_HELPER (which the shim
# passes on to the helper's environment) names a script that runs the real
# helper under bench/rusage; each helper appends one line to helpers.txt.
cat >"$B/rusage-helper" <<EOF
#!/bin/sh
exec "$B/rusage" "$T/hwm/helpers.txt" "$T/helper/submitify-helper" "\$@"
EOF
chmod 755 "$B/rusage-helper"
# wait_helpers N: until N helpers have reported (at most 20 s).
wait_helpers() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ "$(cat "$T/hwm/helpers.txt" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

say "3: one complete session, small message"
st0=$(awk '{ print $14 + $15 }' "/proc/$STUNNEL/stat")
run_spec session "$R3_REPS" "$R3_SESS" 600 -i "$T/msg.txt"
st1=$(awk '{ print $14 + $15 }' "/proc/$STUNNEL/stat")
# The helpers' CPU, in as many sessions again, untimed.
rm -f "$T/hwm/helpers.txt"
hcpu=""
for ((i = 0; i < R3_SESS; i++)); do
    timeout 60 env "${ENV_SUB[@]}" "SUBMITIFY_HELPER=$B/rusage-helper" \
        "$B/smtpclient" -q 127.0.0.1 >>"$LOG" 2>&1 || break
done
wait_helpers "$R3_SESS" &&
    hcpu=$(awk '$4 == 0 { s += $2 + $3; n++ } END { if (n) printf "%.3f", 1000 * s / n }' "$T/hwm/helpers.txt")
cp "$T/hwm/helpers.txt" "$T/raw/session-helpers" 2>/dev/null
f=$T/raw/session
s=$(stats "$f" per submitify "" 1e3)
r=$(stats "$f" ratio submitify direct)
row 3 "one session (connect to QUIT), ms: smtpclient through submitify vs tlsclient (bench/, C + OpenSSL) doing STARTTLS + AUTH itself" \
    "$(fmt "$s" %.1f)" "$(fmt "$(stats "$f" per direct "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "≤ 1.10" "$(met "$r" le 1.10)"
r=$(stats "$f" ratio submitify pcst)
row 3 "one session, ms: submitify vs smtpclient under proxychains-ng → stunnel (resident)" \
    "$(fmt "$s" %.1f)" "$(fmt "$(stats "$f" per pcst "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "< 1.00" "$(met "$r" lt 1.00)"
r=$(stats "$f" ratio wsup wshim)
row 3 "one session, ms: \`submitify --seccomp\` (the supervisor) vs \`submitify\` (the shim), wrapper start included in both" \
    "$(fmt "$(stats "$f" per wsup "" 1e3)" %.1f)" "$(fmt "$(stats "$f" per wshim "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "—" ""
r=$(stats "$f" ratio submitify msmtp)
row 3 "one session, ms: submitify vs msmtp (Debian, GnuTLS) doing it itself" \
    "$(fmt "$s" %.1f)" "$(fmt "$(stats "$f" per msmtp "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "—" ""
if [ $STORE_ROWS = 1 ]; then
    s2=$(stats "$f" per sysdir "" 1e3)
    r=$(stats "$f" ratio sysdir sysdirect)
    row 3 "one session with the system store ($NCAS CAs), ms: submitify (no tls_trust_file: the default directory of hash links) vs tlsclient loading the bundle file" \
        "$(fmt "$s2" %.1f)" "$(fmt "$(stats "$f" per sysdirect "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "—" ""
    r=$(stats "$f" ratio sysdir sysfile)
    row 3 "the same, ms: submitify reading the directory vs submitify made to parse the bundle file (SSL_CERT_FILE)" \
        "$(fmt "$s2" %.1f)" "$(fmt "$(stats "$f" per sysfile "" 1e3)" %.1f)" "$(fmt "$r" %.3f)" "—" ""
else
    row 3 "one session with the system store: not measured (needs root, for a private mount namespace)" "—" "—" "—" "—" ""
fi
# CPU per session (user + system, ms): the program's own from wait4, the
# helper's from bench/rusage, stunnel's share from its /proc stat.
pc=$(stats "$f" x submitify "" 1e3)
dc=$(stats "$f" x direct "" 1e3)
sc=$(stats "$f" x pcst "" 1e3)
if [ "$pc" != FAIL ] && [ -n "$hcpu" ] && [ "$dc" != FAIL ]; then
    row 3 "CPU per session, ms (user + system): smtpclient + its helper vs tlsclient" \
        "$(awk -v p="${pc%% *}" -v h="$hcpu" 'BEGIN { printf "%.1f (%.1f + %.1f)", p + h, p, h }')" \
        "$(awk -v d="${dc%% *}" 'BEGIN { printf "%.1f", d }')" \
        "$(awk -v p="${pc%% *}" -v h="$hcpu" -v d="${dc%% *}" 'BEGIN { printf "%.2f", (p + h) / d }')" "—" ""
else
    row 3 "CPU per session, ms (user + system)" FAILED FAILED FAILED "—" ""
fi
if [ "$sc" != FAIL ] && [ -n "$hcpu" ]; then
    row 3 "CPU per session, ms: smtpclient + its helper vs smtpclient + stunnel's share" \
        "$(awk -v p="${pc%% *}" -v h="$hcpu" 'BEGIN { printf "%.1f", p + h }')" \
        "$(awk -v p="${sc%% *}" -v d=$((st1 - st0)) -v hz="$(getconf CLK_TCK)" -v n=$((R3_REPS * R3_SESS)) \
            'BEGIN { printf "%.1f (%.1f + %.1f)", p + 1000 * d / hz / n, p, 1000 * d / hz / n }')" \
        "$(awk -v p="${pc%% *}" -v h="$hcpu" -v q="${sc%% *}" -v d=$((st1 - st0)) -v hz="$(getconf CLK_TCK)" -v n=$((R3_REPS * R3_SESS)) \
            'BEGIN { printf "%.2f", (p + h) / (q + 1000 * d / hz / n) }')" "—" ""
fi

# ---------------------------------------------------------------- 4: big message

mb=$((R4_SIZE / 1000000))
say "4: one ${mb} MB message"
{
    spec_line submitify "${E_SUB[@]}" -- "$B/tlsclient" -m plain -s "$R4_SIZE" 127.0.0.1
    spec_line direct -- "${DIRECT[@]}" -s "$R4_SIZE" localhost
    spec_line pcst "${E_PC[@]}" -- "$B/tlsclient" -m plain -s "$R4_SIZE" 127.0.0.1
} >"$T/spec.big"
run_spec big "$R4_REPS" 1 900
f=$T/raw/big
s=$(stats "$f" per submitify "" 1)
r=$(stats "$f" ratio submitify direct)
row 4 "one ${mb} MB message, s: tlsclient -m plain through submitify vs tlsclient with STARTTLS + AUTH" \
    "$(fmt "$s" %.2f)" "$(fmt "$(stats "$f" per direct "" 1)" %.2f)" "$(fmt "$r" %.3f)" "≤ 1.05" "$(met "$r" le 1.05)"
r=$(stats "$f" ratio submitify pcst)
row 4 "one ${mb} MB message, s: submitify vs the same client under proxychains-ng → stunnel" \
    "$(fmt "$s" %.2f)" "$(fmt "$(stats "$f" per pcst "" 1)" %.2f)" "$(fmt "$r" %.3f)" "—" ""

hwm_kb() {
    # hwm_kb SIZE: the helper's peak RSS in kB for one message of SIZE bytes
    rm -f "$T/hwm/helpers.txt"
    bg timeout 300 env "${ENV_SUB[@]}" "SUBMITIFY_HELPER=$B/rusage-helper" "$B/tlsclient" \
        -m plain -s "$1" 127.0.0.1 >>"$LOG" 2>&1 || return 1
    wait_helpers 1 || return 1
    cp "$T/hwm/helpers.txt" "$T/raw/big-helper-$1"
    awk '$4 == 0 { print $1; exit }' "$T/hwm/helpers.txt" | grep -E '^[0-9]+$'
}
h_small=$(hwm_kb "$HWM_SMALL") || h_small=""
h_big=$(hwm_kb "$R4_SIZE") || h_big=""
# CPU for the big message: the plain client's own (wait4, median) plus its
# helper's (from the peak-RSS run above) against the direct client's.
hb=$(awk '$4 == 0 { printf "%.3f", $2 + $3; exit }' "$T/raw/big-helper-$R4_SIZE" 2>/dev/null)
pc=$(stats "$f" x submitify "" 1)
dc=$(stats "$f" x direct "" 1)
if [ -n "$hb" ] && [ "$pc" != FAIL ] && [ "$dc" != FAIL ]; then
    row 4 "CPU for the ${mb} MB message, s (user + system): plain client + its helper vs tlsclient" \
        "$(awk -v p="${pc%% *}" -v h="$hb" 'BEGIN { printf "%.2f (%.2f + %.2f)", p + h, p, h }')" \
        "$(awk -v d="${dc%% *}" 'BEGIN { printf "%.2f", d }')" \
        "$(awk -v p="${pc%% *}" -v h="$hb" -v d="${dc%% *}" 'BEGIN { printf "%.2f", (p + h) / d }')" "—" ""
else
    row 4 "CPU for the ${mb} MB message" FAILED FAILED FAILED "—" ""
fi
if [ -n "$h_small" ] && [ -n "$h_big" ]; then
    ok=$(awk -v a="$h_small" -v b="$h_big" 'BEGIN { print (b <= 8192 && a <= 8192 && b - a <= 512) ? "yes" : "**no**" }')
    row 4 "helper peak RSS (ru_maxrss, i.e. VmHWM): ${mb} MB message vs $(awk -v s="$HWM_SMALL" 'BEGIN { printf "%g", s / 1e6 }') MB message" \
        "$(awk -v k="$h_big" 'BEGIN { printf "%.2f MB", k / 1024 }')" \
        "$(awk -v k="$h_small" 'BEGIN { printf "%.2f MB", k / 1024 }')" \
        "$(awk -v a="$h_small" -v b="$h_big" 'BEGIN { printf "%+d kB", b - a }')" \
        "same (±512 kB), ≤ 8 MB" "$ok"
else
    row 4 "helper peak RSS (VmHWM)" "FAILED" "FAILED" "FAILED" "≤ 8 MB" "—"
fi

# ---------------------------------------------------------------- 5: load

say "5: $R5_C concurrent sessions, $R5_N messages"
{
    spec_line submitify "${E_SUB[@]}" -- "$B/loadclient" -c "$R5_C" -n "$R5_N" -w 300 127.0.0.1
} >"$T/spec.load.submitify"
{
    spec_line warm "${E_WARM[@]}" -- "$B/loadclient" -c "$R5_C" -n "$R5_N" -w 300 127.0.0.1
} >"$T/spec.load.warm"
{
    spec_line pcst "${E_PC[@]}" -- "$B/loadclient" -c "$R5_C" -n "$R5_N" -w 300 127.0.0.1
} >"$T/spec.load.pcst"
{
    spec_line direct -- "${DIRECT[@]}" -c "$R5_C" -n "$R5_N" -P -w 300 localhost
} >"$T/spec.load.direct"
srv_cpu() { awk '{ print $14 + $15 }' "/proc/$SRV/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
: >"$T/raw/load"
: >"$T/raw/load-cpu"
vs=(submitify warm pcst direct)
for ((r = 1; r <= R5_REPS; r++)); do
    for k in 0 1 2 3; do
        v=${vs[$(((k + r - 1) % 4))]}
        # The warm variant runs with its warm helper already up (the
        # steady state); every other variant with none.
        warm_stop
        s0=""
        case $v in
        warm) warm_prime && s0=$(proc_cpu "$WPID") ;;
        pcst) s0=$(proc_cpu "$STUNNEL") ;;
        esac
        c0=$(srv_cpu)
        rm -f "$T/load.stdout"
        bg timeout 400 "$B/interleave" -r 1 -n 1 -w 330 -o "$T/load.stdout" "$T/spec.load.$v" \
            >"$T/load.one" 2>>"$LOG"
        c1=$(srv_cpu)
        # The driver's own count ("sent N of M (F failed)"): a run in which
        # some messages failed still measures a rate, and the failures are
        # shown with it; a run that reported nothing counts as failed.
        read -r sent lost <<<"$(sed -n 's/^sent \([0-9]*\) of [0-9]* (\([0-9]*\) failed).*/\1 \2/p' \
            "$T/load.stdout" 2>/dev/null | tail -n 1)"
        # NAME REP MESSAGES-SENT FAILED-RUN WALL SERVER-CPU-SECONDS MESSAGES-FAILED
        if [ -n "${sent:-}" ] && [ "$sent" -gt 0 ] && grep -q . "$T/load.one"; then
            awk -v r="$r" -v c=$((c1 - c0)) -v hz="$HZ" -v n="$sent" -v l="$lost" \
                'NF == 6 { print $1, r, n, 0, $5, c / hz, l }' "$T/load.one" >>"$T/raw/load"
            # NAME REP MESSAGES-SENT CLIENT-CPU-SECONDS SERVICE-CPU-SECONDS:
            # the service is the warm helper with its reaped session
            # processes, or stunnel.
            s1=""
            if [ -n "$s0" ]; then
                [ $v = warm ] && warm_settle
                s1=$(proc_cpu "$([ $v = warm ] && echo "$WPID" || echo "$STUNNEL")")
            fi
            [ -n "$s1" ] && awk -v r="$r" -v c=$((s1 - s0)) -v hz="$HZ" -v n="$sent" \
                'NF == 6 { print $1, r, n, $6, c / hz }' "$T/load.one" >>"$T/raw/load-cpu"
        else
            echo "$v $r 1 1 1 1 $R5_N" >>"$T/raw/load"
        fi
        sleep 1 # let the last helpers and TIME_WAIT settle
    done
done
f=$T/raw/load
# lost V: ", N of M messages failed" when some of V's messages failed
lost() {
    awk -v v="$1" '$1 == v { l += $7; n += $3 + $7 } END { if (l > 0) printf "; %d of %d messages failed", l, n }' "$f"
}
s=$(stats "$f" rate submitify "" 1)
r=$(stats "$f" inverse submitify pcst)
row 5 "$R5_C concurrent sessions, $R5_N messages (loadclient), messages/s: submitify vs proxychains-ng → stunnel" \
    "$(fmt "$s" %.0f)$(lost submitify)" "$(fmt "$(stats "$f" rate pcst "" 1)" %.0f)$(lost pcst)" \
    "$(fmt "$r" %.2f)" "—" ""
r=$(stats "$f" inverse submitify direct)
row 5 "the same, messages/s: submitify vs direct TLS clients (tlsclient -c $R5_C -P: the server's capacity)" \
    "$(fmt "$s" %.0f)$(lost submitify)" "$(fmt "$(stats "$f" rate direct "" 1)" %.0f)$(lost direct)" \
    "$(fmt "$r" %.2f)" "—" ""
w=$(stats "$f" rate warm "" 1)
r=$(stats "$f" inverse warm pcst)
row 6 "$R5_C concurrent sessions, $R5_N messages, messages/s: submitify warm (helper running) vs proxychains-ng → stunnel" \
    "$(fmt "$w" %.0f)$(lost warm)" "$(fmt "$(stats "$f" rate pcst "" 1)" %.0f)$(lost pcst)" \
    "$(fmt "$r" %.2f)" "≥ 1.00" "$(met "$r" ge 1.00)"
r=$(stats "$f" inverse warm submitify)
row 6 "the same, messages/s: submitify warm vs cold (SUBMITIFY_WARM=0)" \
    "$(fmt "$w" %.0f)$(lost warm)" "$(fmt "$s" %.0f)$(lost submitify)" "$(fmt "$r" %.2f)" "—" ""
r=$(stats "$f" inverse warm direct)
row 6 "the same, messages/s: submitify warm vs direct TLS clients (tlsclient -c $R5_C -P)" \
    "$(fmt "$w" %.0f)$(lost warm)" "$(fmt "$(stats "$f" rate direct "" 1)" %.0f)$(lost direct)" \
    "$(fmt "$r" %.2f)" "—" ""
# CPU per message, ms: loadclient's own (wait4) plus the warm helper's
# (its /proc stat: utime + stime + cutime + cstime, the reaped session
# processes included), against loadclient under proxychains-ng plus
# stunnel's (utime + stime, its threads included).
cpu_row() {
    awk -v v="$1" '$1 == v && $3 > 0 { c = 1000 * $4 / $3; s = 1000 * $5 / $3
        printf "%.3f %.3f %.3f\n", c + s, c, s }' "$T/raw/load-cpu" | sort -n |
        awk '{ a[NR] = $0 } END { if (NR) print a[int((NR + 1) / 2)]; else print "FAIL" }'
}
cw=$(cpu_row warm)
cs=$(cpu_row pcst)
if [ "$cw" != FAIL ] && [ "$cs" != FAIL ]; then
    r=$(awk -v a="${cw%% *}" -v b="${cs%% *}" 'BEGIN { printf "%.2f", a / b }')
    row 6 "CPU per message under load, ms (user + system, median over repetitions): loadclient + the warm helper and its session processes vs loadclient + stunnel" \
        "$(echo "$cw" | awk '{ printf "%.2f (%.2f + %.2f)", $1, $2, $3 }')" \
        "$(echo "$cs" | awk '{ printf "%.2f (%.2f + %.2f)", $1, $2, $3 }')" \
        "$r" "≤ 1.00" "$(met "$r" le 1.00)"
else
    row 6 "CPU per message under load, ms: warm helper vs stunnel" FAILED FAILED FAILED "≤ 1.00" "—"
fi
# The server's CPU per message, for the notes: it depends on how busy the
# server is (an idle server wakes up once per event, a busy one serves many
# events per wake-up), so it is not a property of the client alone.
for v in submitify warm pcst direct; do
    awk -v v="$v" '$1 == v && $4 == 0 && $6 > 0 { printf "%.2f\n", 1000 * $6 / $3 }' "$f" |
        sort -n | awk -v v="$v" '{ a[NR] = $1 } END { if (NR) printf "load: smtpd.py CPU ms per message, %s: %s (median of %d)\n", v, a[int((NR + 1) / 2)], NR }'
done >>"$T/notes"

# Memory per concurrent session: MEM_N sessions held open after EHLO.
hold() {
    # hold NAME ENV...: start holdclient with that environment; sets HOLD
    local name=$1
    shift
    HOLD=""
    rm -f "$T/hold.in" "$T/hold.out"
    mkfifo "$T/hold.in" || return 1
    env "$@" "$B/holdclient" -c "$MEM_N" -w 120 127.0.0.1 <"$T/hold.in" \
        >"$T/hold.out" 2>>"$LOG" &
    HOLD=$!
    track $HOLD
    # Read-write: opening a FIFO so never blocks, even if the reader died.
    exec 8<>"$T/hold.in"
    holdfd_open=1
    for ((i = 0; i < 900; i++)); do
        grep -q '^open ' "$T/hold.out" && return 0
        kill -0 $HOLD 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
unhold() {
    exec 8>&-
    holdfd_open=0
    [ -n "$HOLD" ] || return 1
    wait $HOLD
    local rc=$?
    untrack $HOLD
    return $rc
}
# Sums over the helpers of one program: "count rss_kb pss_kb".
helpers_mem() {
    python3 - "$1" <<'EOF'
import os, sys
want = sys.argv[1]
n = rss = pss = 0
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        with open(f"/proc/{p}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        if not argv[0].endswith(b"submitify-helper"):
            continue
        if b"--pid" not in argv or argv[argv.index(b"--pid") + 1] != want.encode():
            continue
        with open(f"/proc/{p}/status") as f:
            st = dict(l.split(":", 1) for l in f)
        with open(f"/proc/{p}/smaps_rollup") as f:
            p_kb = [int(l.split()[1]) for l in f if l.startswith("Pss:")][0]
        n += 1
        rss += int(st["VmRSS"].split()[0])
        pss += p_kb
    except (OSError, KeyError, ValueError, IndexError):
        pass
print(n, rss, pss)
EOF
}
proc_mem() {
    # proc_mem PID: "rss_kb pss_kb"
    awk '/^VmRSS:/ { r = $2 } END { printf "%s ", r }' "/proc/$1/status"
    awk '/^Pss:/ { print $2; exit }' "/proc/$1/smaps_rollup"
}

say "5: memory with $MEM_N sessions open"
mem_sub=FAIL
if hold submitify "${ENV_SUB[@]}"; then
    sleep 0.5
    read -r hn hr hp <<<"$(helpers_mem "$HOLD")"
    if unhold && [ "${hn:-0}" = "$MEM_N" ]; then
        mem_sub="$hr $hp"
    else
        say "memory: $hn helpers of $MEM_N found, or holdclient failed"
    fi
else
    say "memory: holdclient through submitify did not open $MEM_N sessions"
    unhold
fi
mem_st=FAIL
read -r s0r s0p <<<"$(proc_mem $STUNNEL)"
if hold pcst "${E_PC[@]}"; then
    sleep 0.5
    read -r s1r s1p <<<"$(proc_mem $STUNNEL)"
    unhold && mem_st="$((s1r - s0r)) $((s1p - s0p))"
else
    say "memory: holdclient through stunnel did not open $MEM_N sessions"
    unhold
fi
per() { [ "$1" = FAIL ] && echo FAILED || echo "$1" | awk -v n="$MEM_N" '{ printf "RSS %.0f kB, PSS %.0f kB", $1 / n, $2 / n }'; }
row 5 "memory per concurrent session ($MEM_N open): sum over the helpers / $MEM_N vs stunnel's growth / $MEM_N" \
    "$(per "$mem_sub")" "$(per "$mem_st")" "—" "—" ""

# The same with the warm helper: its session processes are its children
# (their command line is its own), and the pages they share with it are
# counted once, in the PSS of all of them and of the warm helper.
kids_mem() {
    # kids_mem PID: "count rss_kb pss_kb" over PID's children, plus PID's
    # own "rss_kb pss_kb"
    python3 - "$1" <<'EOF2'
import os, sys
want = sys.argv[1]
def mem(p):
    with open(f"/proc/{p}/status") as f:
        st = dict(l.split(":", 1) for l in f)
    with open(f"/proc/{p}/smaps_rollup") as f:
        pss = [int(l.split()[1]) for l in f if l.startswith("Pss:")][0]
    return int(st["VmRSS"].split()[0]), pss
n = rss = pss = 0
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        with open(f"/proc/{p}/stat") as f:
            ppid = f.read().rsplit(")", 1)[1].split()[1]
        if ppid != want:
            continue
        r, q = mem(p)
        n += 1
        rss += r
        pss += q
    except (OSError, KeyError, ValueError, IndexError):
        pass
try:
    r, q = mem(want)
except (OSError, KeyError, ValueError, IndexError):
    r = q = 0
print(n, rss, pss, r, q)
EOF2
}
say "6: memory with $MEM_N warm sessions open"
mem_warm=FAIL
if warm_prime && hold warm "${ENV_WARM[@]}"; then
    sleep 0.5
    read -r kn kr kp wr wp <<<"$(kids_mem "$WPID")"
    if unhold && [ "${kn:-0}" = "$MEM_N" ]; then
        mem_warm="$kr $kp $wr $wp"
    else
        say "memory: $kn warm session processes of $MEM_N found, or holdclient failed"
    fi
else
    say "memory: holdclient through the warm helper did not open $MEM_N sessions"
    unhold
fi
warm_stop
if [ "$mem_warm" != FAIL ] && [ "$mem_sub" != FAIL ]; then
    row 6 "memory per concurrent session ($MEM_N open), warm: the session processes / $MEM_N (PSS with the warm helper's own added) vs the cold helpers / $MEM_N" \
        "$(echo "$mem_warm" | awk -v n="$MEM_N" '{ printf "RSS %.0f kB, PSS %.0f kB (%.0f with the warm helper)", $1 / n, $2 / n, ($2 + $4) / n }')" \
        "$(per "$mem_sub")" \
        "$(echo "$mem_warm $mem_sub" | awk -v n="$MEM_N" '{ printf "%.2f", ($2 + $4) / $6 }')" "—" ""
else
    row 6 "memory per concurrent session ($MEM_N open), warm vs cold" FAILED "$(per "$mem_sub")" FAILED "—" ""
fi

# ---------------------------------------------------------------- 6: the warm helper

# Row 6's single sessions log their summaries (warm=yes|no resumed=yes|no)
# to a file, so that the run can show how many it resumed; the cold
# variant uses the same account, so both pay for the log line.
cp "$T/submit.conf" "$T/warm.conf"
printf 'logfile %s\n' "$T/sessions.log" >>"$T/warm.conf"
# (Replaced in place: interleave keeps the first of two settings of one
# variable, env(1) the last.)
E_WARM6=("${E_WARM[@]/#SUBMITIFY_CONF=*/SUBMITIFY_CONF=$T/warm.conf}")
E_COLD6=("${E_SUB[@]/#SUBMITIFY_CONF=*/SUBMITIFY_CONF=$T/warm.conf}")

# one_run NAME REP OUT LIMIT [-i FILE]: one repetition of spec.NAME,
# appended to OUT under repetition number REP.
one_run() {
    local name=$1 rep=$2 out=$3 limit=$4
    shift 4
    bg timeout $((limit + 60)) "$B/interleave" -r 1 -n 1 -w "$limit" "$@" \
        "$T/spec.$name" >"$T/one.out" 2>>"$LOG" ||
        say "$name: a run failed (see the table)"
    awk -v r="$rep" 'NF == 6 { $2 = r; print }' "$T/one.out" >>"$out"
}
# count_log WARM RESUMED: summaries in the session log with those values
count_log() { grep -c "warm=$1 resumed=$2" "$T/sessions.log" 2>/dev/null; }

say "6: one session with the warm helper running"
{
    spec_line warm "${E_WARM6[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line cold "${E_COLD6[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line direct -- "${DIRECT[@]}" localhost
    spec_line pcst "${E_PC[@]}" -- "$B/smtpclient" -q 127.0.0.1
} >"$T/spec.warm"
whcpu=""
if warm_prime "$T/warm.conf"; then
    : >"$T/sessions.log"
    w0=$(proc_cpu "$WPID")
    st0=$(proc_cpu "$STUNNEL")
    run_spec warm "$R6_REPS" "$R6_SESS" 600 -i "$T/msg.txt"
    st1=$(proc_cpu "$STUNNEL")
    warm_settle
    w1=$(proc_cpu "$WPID")
    # The same warm helper all along (none exited and was replaced).
    warm_line | grep -q "^warm helper pid $WPID " && [ -n "$w1" ] &&
        whcpu=$(awk -v d=$((w1 - w0)) -v hz="$HZ" -v n=$((R6_REPS * R6_SESS)) \
            'BEGIN { printf "%.3f", 1000 * d / hz / n }')
    echo "warm session row: $(count_log yes yes) of $((R6_REPS * R6_SESS)) warm sessions resumed TLS, $(count_log yes no) did not; $(count_log no no) cold sessions" >>"$T/notes"
    cp "$T/sessions.log" "$T/raw/warm-sessions.log"
else
    echo "warm NA 1 1 1 1" >"$T/raw/warm"
fi
warm_stop
f=$T/raw/warm
pair_row 6 "$f" warm direct 1e3 %.1f \
    "one session, ms, warm (warm helper running, TLS resumed): smtpclient through submitify vs tlsclient doing STARTTLS + AUTH itself" \
    "≤ 0.70" le 0.70
pair_row 6 "$f" warm pcst 1e3 %.1f \
    "one session, ms, warm: submitify vs smtpclient under proxychains-ng → stunnel (resident)" \
    "≤ 1.00" le 1.00
pair_row 6 "$f" cold direct 1e3 %.1f \
    "one session, ms, cold (SUBMITIFY_WARM=0, a helper per connection) vs tlsclient; run 14: 15.5 vs 14.2 ms, 1.093" \
    "≤ 1.10" le 1.10
pair_row 6 "$f" cold pcst 1e3 %.1f "one session, ms, cold vs proxychains-ng → stunnel"
pair_row 6 "$f" warm cold 1e3 %.1f "one session, ms, warm vs cold"
# CPU per session: the program's own (wait4) plus the warm helper's share
# (its /proc stat with its reaped session processes, over the warm runs).
pc=$(stats "$f" x warm "" 1e3)
sc=$(stats "$f" x pcst "" 1e3)
dc=$(stats "$f" x direct "" 1e3)
if [ "$pc" != FAIL ] && [ -n "$whcpu" ] && [ "$sc" != FAIL ] && [ -n "${st1:-}" ]; then
    sh=$(awk -v d=$((st1 - st0)) -v hz="$HZ" -v n=$((R6_REPS * R6_SESS)) 'BEGIN { printf "%.3f", 1000 * d / hz / n }')
    row 6 "CPU per session, ms (user + system), warm: smtpclient + the warm helper's share vs smtpclient + stunnel's share" \
        "$(awk -v p="${pc%% *}" -v h="$whcpu" 'BEGIN { printf "%.1f (%.1f + %.1f)", p + h, p, h }')" \
        "$(awk -v p="${sc%% *}" -v h="$sh" 'BEGIN { printf "%.1f (%.1f + %.1f)", p + h, p, h }')" \
        "$(awk -v p="${pc%% *}" -v h="$whcpu" -v q="${sc%% *}" -v k="$sh" 'BEGIN { printf "%.2f", (p + h) / (q + k) }')" "—" ""
    row 6 "CPU per session, ms, warm: smtpclient + the warm helper's share vs tlsclient" \
        "$(awk -v p="${pc%% *}" -v h="$whcpu" 'BEGIN { printf "%.1f", p + h }')" \
        "$(awk -v d="${dc%% *}" 'BEGIN { printf "%.1f", d }')" \
        "$(awk -v p="${pc%% *}" -v h="$whcpu" -v d="${dc%% *}" 'BEGIN { printf "%.2f", (p + h) / d }')" "—" ""
else
    row 6 "CPU per session, ms (user + system), warm" FAILED FAILED FAILED "—" ""
fi

# The warm helper's first session, which has no TLS session to resume:
# once with the warm helper settled after the cold session that started it,
# once right after that cold session (the second message of a burst).
say "6: the warm helper's first session"
{
    spec_line first "${E_WARM6[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line cold "${E_COLD6[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line direct -- "${DIRECT[@]}" localhost
} >"$T/spec.first"
{
    spec_line starter "${E_WARM6[@]}" -- "$B/smtpclient" -q 127.0.0.1
    spec_line next "${E_WARM6[@]}" -- "$B/smtpclient" -q 127.0.0.1
} >"$T/spec.next"
: >"$T/raw/first"
: >"$T/sessions.log"
for ((r = 1; r <= R6_FIRST; r++)); do
    warm_stop
    timeout 60 env "${ENV_WARM[@]}" "SUBMITIFY_CONF=$T/warm.conf" "$B/smtpclient" -q 127.0.0.1 \
        <"$T/msg.txt" >>"$LOG" 2>&1
    for ((i = 0; i < 100; i++)); do
        warm_line | grep -q . && break
        sleep 0.1
    done
    sleep 0.5
    one_run first "$r" "$T/raw/first" 120 -i "$T/msg.txt"
    warm_stop
    one_run next "$r" "$T/raw/first" 120 -i "$T/msg.txt"
done
warm_stop
cp "$T/sessions.log" "$T/raw/first-sessions.log"
echo "first-session rows, from the session log: $(count_log yes no) warm sessions not resumed, $(count_log yes yes) resumed, $(count_log no no) cold, over $R6_FIRST repetitions of 5 (a cold one to start the warm helper, first, cold, starter, next)" >>"$T/notes"
f=$T/raw/first
pair_row 6 "$f" first cold 1e3 %.1f \
    "one session, ms, the warm helper's first (settled, nothing to resume) vs cold"
pair_row 6 "$f" first direct 1e3 %.1f "the same, ms: the warm helper's first vs tlsclient"
pair_row 6 "$f" next starter 1e3 %.1f \
    "one session, ms: the next right after the cold session that starts the warm helper vs that cold session"

# A burst: one process sending BURST messages one after another, each its
# own session (tlsclient -n): through submitify with warm on (no warm
# helper at the start, so the first session is cold and starts it), with
# warm off, and tlsclient doing STARTTLS + AUTH itself.
say "6: a burst of $BURST sessions from one process"
{
    spec_line warm "${E_WARM[@]}" -- "$B/tlsclient" -m plain -n "$BURST" -w 300 127.0.0.1
} >"$T/spec.burst.warm"
{
    spec_line cold "${E_SUB[@]}" -- "$B/tlsclient" -m plain -n "$BURST" -w 300 127.0.0.1
} >"$T/spec.burst.cold"
{
    spec_line direct -- "${DIRECT[@]}" -n "$BURST" -w 300 localhost
} >"$T/spec.burst.direct"
: >"$T/raw/burst"
vs=(warm cold direct)
for ((r = 1; r <= R6_BURST_REPS; r++)); do
    for k in 0 1 2; do
        v=${vs[$(((k + r - 1) % 3))]}
        warm_stop
        one_run "burst.$v" "$r" "$T/raw/burst" 330
    done
done
warm_stop
f=$T/raw/burst
k=$(awk -v n="$BURST" 'BEGIN { print 1e3 / n }')
pair_row 6 "$f" warm direct "$k" %.1f \
    "$BURST sessions in a row from one process, ms per session: tlsclient -m plain -n $BURST through submitify warm (the first cold) vs tlsclient -n $BURST doing STARTTLS + AUTH itself" \
    "≤ 1.00" le 1.00
pair_row 6 "$f" cold direct "$k" %.1f "the same, ms per session: submitify cold (SUBMITIFY_WARM=0) vs tlsclient"
pair_row 6 "$f" warm cold "$k" %.1f "the same, ms per session: submitify warm vs cold"

# The warm helper's own memory over many sessions: resident after WMEM_A
# and after WMEM_B sessions, one after another (loadclient -c 1).
say "6: the warm helper's RSS over $WMEM_B sessions"
vm_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
ra=""
rb=""
if warm_prime; then
    # warm_prime made 2 sessions, one of them warm.
    timeout 360 env "${ENV_WARM[@]}" "$B/loadclient" -c 1 -n $((WMEM_A - 1)) -w 300 \
        127.0.0.1 >>"$LOG" 2>&1 && warm_settle && ra=$(vm_rss "$WPID")
    [ -n "$ra" ] &&
        timeout 1260 env "${ENV_WARM[@]}" "$B/loadclient" -c 1 -n $((WMEM_B - WMEM_A)) -w 1200 \
            127.0.0.1 >>"$LOG" 2>&1 && warm_settle && rb=$(vm_rss "$WPID")
    served=$(warm_line | sed -n 's/.*: \([0-9]*\) sessions served.*/\1/p')
    [ "$(warm_line | sed -n 's/^warm helper pid \([0-9]*\) .*/\1/p')" = "$WPID" ] || rb=""
    echo "warm helper RSS: $WMEM_A and $WMEM_B sessions into one warm helper (it reports ${served:-?} served)" >>"$T/notes"
fi
warm_stop
if [ -n "$ra" ] && [ -n "$rb" ]; then
    row 6 "warm helper RSS (VmRSS) after $WMEM_B sessions vs after $WMEM_A" \
        "$(awk -v k="$rb" 'BEGIN { printf "%.2f MB", k / 1024 }')" \
        "$(awk -v k="$ra" 'BEGIN { printf "%.2f MB", k / 1024 }')" \
        "$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%+d kB", b - a }')" "flat (±512 kB)" \
        "$(awk -v a="$ra" -v b="$rb" 'BEGIN { d = b - a; print (d <= 512 && d >= -512) ? "yes" : "**no**" }')"
else
    row 6 "warm helper RSS after $WMEM_B sessions vs after $WMEM_A" FAILED FAILED FAILED "flat (±512 kB)" "—"
fi

# ---------------------------------------------------------------- report

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
secs=$(($(date +%s) - t_start))
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
    echo "submitify benchmark ($([ $smoke = 1 ] && echo "SMOKE: tiny counts, numbers meaningless" || echo full)), $started, ${secs} s"
    echo
    echo "Machine: $cpu, $(nproc) cores, $(uname -sr), $(openssl version | cut -d' ' -f1-2),"
    echo "Python $(python3 -c 'import platform; print(platform.python_version())'), stunnel $(stunnel4 -version 2>&1 | awk '/^stunnel/ { print $2; exit }'),"
    echo "proxychains-ng $(dpkg-query -W -f='${Version}' proxychains4 2>/dev/null), load average (1/5/15 min) $load_start at the start, $load_end at the end."
    echo
    echo "Repetitions: start-up $R1_REPS x ($TRUE_RUNS /bin/true, $PY_RUNS python3, $WRAP_RUNS wrapper) per variant;"
    echo "connect $R2_REPS x $R2_CALLS calls (in $R2_BLOCKS alternating blocks); sessions $R3_REPS x $R3_SESS; big message $R4_REPS x 1;"
    echo "load $R5_REPS x ($R5_C threads, $R5_N messages). Warm helper (row 6): sessions $R6_REPS x $R6_SESS;"
    echo "its first session $R6_FIRST x 1; bursts $R6_BURST_REPS x $BURST sessions; its RSS after $WMEM_A and $WMEM_B sessions."
    echo "Variants interleaved run by run;"
    echo "ratios are paired by repetition (submitify / baseline; for messages/s baseline / submitify"
    echo "turned round so that > 1 means submitify is faster)."
    echo
    echo "| # | measurement | submitify | baseline | ratio | target | met |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    cat "$TABLE" "$TABLE.6" 2>/dev/null
    echo
    [ -f "$T/notes" ] && sed 's/^/- /' "$T/notes"
} >"$T/report.md"
cat "$T/report.md"

if [ $smoke = 1 ]; then
    dest=$here/results/smoke
else
    dest=$here/results/$(date -u +%Y%m%d-%H%M%S)
fi
mkdir -p "$dest" 2>/dev/null && {
    cp "$T/report.md" "$dest/table.md"
    cp "$T"/raw/* "$dest/" 2>/dev/null
    cp "$LOG" "$dest/bench.log" 2>/dev/null
    cp "$T/stunnel.log" "$dest/stunnel.log" 2>/dev/null
    cp "$T/smtpd.out" "$dest/smtpd.out" 2>/dev/null
    [ $smoke = 1 ] || cp "$T/report.md" "$here/results/last.md"
}

if [ $failed_rows -gt 0 ]; then
    say "$failed_rows row(s) produced no numbers"
    show_log
    exit 1
fi
exit 0
