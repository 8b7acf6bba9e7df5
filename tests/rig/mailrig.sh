#!/bin/bash
# A private Postfix + Dovecot mail server for the submitify tests.
#
#   mailrig.sh start DIR                      build and start a rig in DIR
#   mailrig.sh stop DIR                       stop the rig in DIR (nothing else)
#   mailrig.sh wait-mail DIR USER NEEDLE [T]  print the path of USER's first message that
#                                             contains NEEDLE; exit 1 after T seconds (20)
#   mailrig.sh count-mail DIR USER NEEDLE     print how many of USER's messages contain NEEDLE
#
# Knobs for start (environment, defaults in brackets):
#   RIG_ADDR [127.0.0.1]  address all listeners bind to (IPv4 or IPv6, no brackets)
#   RIG_SMTP_PORT [10025] plain MX: takes mail for example.test from anyone, no AUTH, no TLS
#   RIG_SUB_PORT [10587]  submission: STARTTLS required, then AUTH required
#   RIG_SUBS_PORT [10465] submissions: implicit TLS, then AUTH required
#   RIG_SUBNP_PORT [RIG_SUB_PORT+1]
#                         submission as RIG_SUB_PORT, but AUTH PLAIN is not offered
#   RIG_SUBCC_PORT [RIG_SUB_PORT+2]
#                         submission as RIG_SUB_PORT, and the TLS client must present a
#                         certificate signed by RIG_CA (smtpd_tls_req_ccert)
#   RIG_CERT, RIG_KEY     server certificate and key [DIR/certs/server.pem, .key, made by
#                         certs.sh when missing]
#   RIG_CA                CA that signed RIG_CERT [ca.pem next to RIG_CERT]
#   RIG_PROCS [250]       Postfix default_process_limit (caps concurrent smtpd processes)
#   RIG_BARE_LF [no]      smtpd_forbid_bare_newline for every listener (no|normalize|reject)
#   RIG_AUTH_DELAY [0]    Dovecot auth_failure_delay in seconds (Dovecot's own default is 2)
#
# Users (login name / password, address NAME@example.test):
#   alice / alice-secret-1, bob / bob-secret-2, carol / p@ss wörd "quoted" (not ASCII:
#   SCRAM would need SASLprep, so submitify skips it for her),
#   dave / dave-secret-4 (stored as a SHA512-CRYPT hash: Dovecot offers SCRAM and
#   CRAM-MD5, but cannot do them for dave), erin / erin-secret #5 (a "#" after a blank,
#   which msmtp and submit.conf read as part of a value)
# start writes DIR/rig.env with all of the above for tests to source.
# Logs: DIR/maillog (Postfix), DIR/dovecot.log (Dovecot, failed logins included).
# DIR and its parents must be traversable by other users (mktemp -d under /tmp is fine):
# Dovecot and Postfix's delivery agent run unprivileged.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
me=mailrig.sh

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# How long a rig may take to start and to stop, in seconds.
START_TIMEOUT=20
STOP_TIMEOUT=10

USERS="alice bob carol dave erin"
declare -A PASS=(
    [alice]='alice-secret-1'
    [bob]='bob-secret-2'
    [carol]='p@ss wörd "quoted"'
    [dave]='dave-secret-4'
    [erin]='erin-secret #5'
)
# Users whose passdb entry is a hash: only mechanisms that send the password
# itself (PLAIN, LOGIN) can work for them.
HASHED="dave"

# Quotes a value for a shell assignment: single quotes, embedded ones escaped.
shquote() {
    local q="'\\''"
    printf "'%s'" "${1//\'/$q}"
}

# True while the process exists and is not a zombie. A zombie has already closed its
# sockets and files; its reaper may be slow (e.g. a container's init).
pid_alive() {
    local stat
    [ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# Prints the pid from a pid file if that process still exists.
read_pid() {
    local pid
    [ -r "$1" ] || return 0
    pid=$(tr -dc '0-9' <"$1")
    if pid_alive "$pid"; then
        echo "$pid"
    fi
}

# Stops the rig's Postfix master and Dovecot master (both by their own pid files, both
# exit on TERM and take their children along), waits until they and their children are
# gone, and KILLs whatever is left after STOP_TIMEOUT. Only those pids are ever signalled.
cmd_stop() {
    local dir=$1 masters pids="" pid left end=$((SECONDS + STOP_TIMEOUT))
    masters="$(read_pid "$dir/queue/pid/master.pid") $(read_pid "$dir/dovecot/run/master.pid")"
    for pid in $masters; do
        pids="$pids $pid $(pgrep -P "$pid" | tr '\n' ' ')"
    done
    [ -n "${pids// /}" ] || return 0
    # shellcheck disable=SC2086 # word splitting of the pid lists is intended
    kill -TERM $masters 2>/dev/null || true
    while :; do
        left=""
        for pid in $pids; do
            if pid_alive "$pid"; then left="$left $pid"; fi
        done
        [ -z "$left" ] && return 0
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.1
    done
    echo "$me: killing processes that ignored TERM:$left" >&2
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
}

# Can an unprivileged process reach PATH? Postfix's virtual agent and Dovecot's auth
# process need this.
check_reachable() {
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$1"; then
        die "$1 is not reachable for other users; use a directory whose parents are " \
            "world-searchable (e.g. mktemp -d under /tmp)"
    fi
}

# Prints the tails of the logs and stops whatever was started.
start_failed() {
    echo "$me: start failed: $*" >&2
    local log
    for log in "$dir/postfix-start.log" "$dir/maillog" "$dir/dovecot.log"; do
        if [ -s "$log" ]; then
            echo "--- tail of $log" >&2
            tail -n 20 "$log" >&2
        fi
    done
    cmd_stop "$dir"
    exit 1
}

write_postfix_config() {
    local inet_protocols=ipv4 svc=$addr
    case $addr in
        *:*) inet_protocols=all; svc="[$addr]" ;;
    esac

    mkdir -p "$dir/postfix"
    cat >"$dir/postfix/main.cf" <<CF
# Written by $me; a private instance, not the system's Postfix.
compatibility_level = 3.6
config_directory = $dir/postfix
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
syslog_name = postfix-rig

myhostname = mail.test
myorigin = \$myhostname
mydestination =
mynetworks =
inet_interfaces = $addr
inet_protocols = $inet_protocols
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
# Nothing leaves the rig: mail for other domains bounces at once, without DNS.
default_transport = error:5.7.1 this test rig only delivers to example.test
smtpd_peername_lookup = no
in_flow_delay = 0s
default_process_limit = $procs
smtpd_client_connection_count_limit = 0

message_size_limit = 200000000
mailbox_size_limit = 0
virtual_mailbox_limit = 0
virtual_mailbox_domains = example.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = inline:{ alice@example.test=alice/, bob@example.test=bob/, carol@example.test=carol/, dave@example.test=dave/, erin@example.test=erin/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534

smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = $cert
smtpd_tls_key_file = $key
smtpd_tls_security_level = none
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
smtpd_sasl_authenticated_header = yes
smtpd_forbid_bare_newline = $bare_lf
smtpd_forbid_bare_newline_exclusions =
CF

    # Debian's master.cf minus its port 25 listener, nothing chrooted, plus our three.
    cp /etc/postfix/master.cf "$dir/postfix/master.cf"
    postconf -c "$dir/postfix" -MX smtp/inet
    postconf -c "$dir/postfix" -F '*/*/chroot = n'
    cat >>"$dir/postfix/master.cf" <<CF

# Test rig listeners (written by $me).
$svc:$smtp_port inet n - n - - smtpd
  -o syslog_name=postfix-rig/mx
$svc:$sub_port inet n - n - - smtpd
  -o syslog_name=postfix-rig/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$svc:$subs_port inet n - n - - smtpd
  -o syslog_name=postfix-rig/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$svc:$subnp_port inet n - n - - smtpd
  -o syslog_name=postfix-rig/submission-noplain
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_mechanism_filter=!plain,static:all
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$svc:$subcc_port inet n - n - - smtpd
  -o syslog_name=postfix-rig/submission-ccert
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_req_ccert=yes
  -o smtpd_tls_CAfile=$ca
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
CF
}

write_dovecot_config() {
    local d=$dir/dovecot u
    # Sockets left by an earlier run would only mislead the new one.
    rm -rf "$d/run"
    mkdir -p "$d/run" "$d/state"
    : >"$d/passwd"
    for u in $USERS; do
        case " $HASHED " in
        *" $u "*)
            printf '%s:{SHA512-CRYPT}%s::::::\n' "$u" \
                "$(openssl passwd -6 -stdin <<<"${PASS[$u]}")" >>"$d/passwd"
            ;;
        *) printf '%s:{PLAIN}%s::::::\n' "$u" "${PASS[$u]}" >>"$d/passwd" ;;
        esac
    done
    chmod 644 "$d/passwd"

    cat >"$d/dovecot.conf" <<CF
# Written by $me; Dovecot here only answers Postfix's SASL questions.
base_dir = $d/run
state_dir = $d/state
protocols =
ssl = no
log_path = $dir/dovecot.log
auth_verbose = yes
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
auth_failure_delay = $auth_delay
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
# Anvil would delay every login from an IP that recently failed one (2 s, 4 s, ... 15 s);
# the tests fail logins on purpose, so switch that off.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener $dir/queue/private/auth {
    mode = 0666
  }
}
CF
}

write_env() {
    local u U
    {
        echo "# Written by $me start; source it."
        echo "RIG_DIR=$(shquote "$dir")"
        echo "RIG_ADDR=$(shquote "$addr")"
        echo "RIG_SMTP_PORT=$smtp_port"
        echo "RIG_SUB_PORT=$sub_port"
        echo "RIG_SUBS_PORT=$subs_port"
        echo "RIG_SUBNP_PORT=$subnp_port"
        echo "RIG_SUBCC_PORT=$subcc_port"
        echo "RIG_HOSTNAME=mail.test"
        echo "RIG_DOMAIN=example.test"
        echo "RIG_CA=$(shquote "$ca")"
        echo "RIG_CERT=$(shquote "$cert")"
        echo "RIG_KEY=$(shquote "$key")"
        echo "RIG_MAILLOG=$(shquote "$dir/maillog")"
        echo "RIG_DOVECOT_LOG=$(shquote "$dir/dovecot.log")"
        echo "RIG_USERS=$(shquote "$USERS")"
        for u in $USERS; do
            U=${u^^}
            echo "RIG_$U=$u"
            echo "RIG_${U}_PASS=$(shquote "${PASS[$u]}")"
            echo "RIG_${U}_ADDR=$u@example.test"
            echo "RIG_MAILDIR_$U=$(shquote "$dir/mail/$u")"
        done
    } >"$dir/rig.env"
}

# Counts the listening TCP sockets that would take connections for RIG_ADDR:PORT.
# Postfix binds with SO_REUSEPORT, so a second server on the same port does not fail:
# the kernel would quietly share the connections between the two.
listeners() {
    ss -Hltn "sport = :$1" | awk -v a="$addr" -v p="$1" '
        $4 == a ":" p || $4 == "[" a "]:" p || $4 == "0.0.0.0:" p || $4 == "[::]:" p ||
        $4 == "*:" p { n++ }
        END { print n + 0 }'
}

port_open() {
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$addr" "$1" 2>/dev/null
}

cmd_start() {
    dir=$1
    addr=${RIG_ADDR:-127.0.0.1}
    smtp_port=${RIG_SMTP_PORT:-10025}
    sub_port=${RIG_SUB_PORT:-10587}
    subs_port=${RIG_SUBS_PORT:-10465}
    subnp_port=${RIG_SUBNP_PORT:-$((sub_port + 1))}
    subcc_port=${RIG_SUBCC_PORT:-$((sub_port + 2))}
    procs=${RIG_PROCS:-250}
    bare_lf=${RIG_BARE_LF:-no}
    auth_delay=${RIG_AUTH_DELAY:-0}
    case $bare_lf in
        no | normalize | reject) ;;
        *) die "RIG_BARE_LF must be no, normalize or reject, not '$bare_lf'" ;;
    esac
    local b
    for b in postfix postconf dovecot openssl setpriv ss; do
        command -v "$b" >/dev/null || die "$b is not installed"
    done

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    case $dir in
        *[[:space:]]*) die "DIR must not contain white space: $dir" ;;
    esac
    if [ -n "$(read_pid "$dir/queue/pid/master.pid")" ] ||
        [ -n "$(read_pid "$dir/dovecot/run/master.pid")" ]; then
        die "a rig is already running in $dir (stop it first)"
    fi
    chmod 755 "$dir"
    local port
    for port in "$smtp_port" "$sub_port" "$subs_port" "$subnp_port" "$subcc_port"; do
        [ "$(listeners "$port")" -eq 0 ] || die "something already listens on $addr port $port"
    done

    if [ -n "${RIG_CERT:-}" ]; then
        cert=$RIG_CERT
        key=${RIG_KEY:-${RIG_CERT%.pem}.key}
        ca=${RIG_CA:-$(dirname "$cert")/ca.pem}
    else
        local extra=()
        case $addr in
            127.0.0.1 | ::1) ;;
            *) extra=("$addr") ;;
        esac
        "$here/certs.sh" "$dir/certs" "${extra[@]}"
        cert=$dir/certs/server.pem
        key=${RIG_KEY:-$dir/certs/server.key}
        ca=${RIG_CA:-$dir/certs/ca.pem}
    fi
    if [ ! -r "$cert" ] || [ ! -r "$key" ]; then
        die "cannot read $cert or $key"
    fi

    local u
    mkdir -p "$dir/mail"
    for u in $USERS; do
        mkdir -p "$dir/mail/$u/new" "$dir/mail/$u/cur" "$dir/mail/$u/tmp"
    done
    chown -R 65534:65534 "$dir/mail"
    chmod 700 "$dir/mail"
    check_reachable "$dir/mail"

    rm -f "$dir/postfix-start.log"
    write_postfix_config
    write_dovecot_config
    write_env

    # The queue layout of Debian's postfix-files, made here: Dovecot needs private/ before
    # Postfix runs, and "quick-start" then lets "postfix start" skip its integrity checks
    # (two seconds of postconf calls on a busy machine; nothing to repair in a new queue).
    local q=$dir/queue sub
    install -d -o root -g root -m 755 "$q" "$q/pid"
    for sub in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        install -d -o postfix -g root -m 700 "$q/$sub"
    done
    install -d -o postfix -g postdrop -m 730 "$q/maildrop"
    install -d -o postfix -g postdrop -m 710 "$q/public"
    install -d -o postfix -g root -m 700 "$dir/data"
    touch "$q/quick-start"
    # Postfix will not read a configuration file changed within the last second or two: it
    # sleeps until the file is older. Back-date the fresh files instead of waiting.
    touch -d '1 minute ago' "$dir/postfix/main.cf" "$dir/postfix/master.cf"
    rm -f "$q/private/auth"

    # Dovecot detaches, but stays attached to inherited stdio: redirect all of it.
    dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1 ||
        start_failed "dovecot did not start"
    local end=$((SECONDS + START_TIMEOUT))
    while [ ! -S "$dir/queue/private/auth" ] && [ "$SECONDS" -lt "$end" ]; do
        sleep 0.1
    done
    [ -S "$dir/queue/private/auth" ] || start_failed "no Dovecot auth socket"

    postfix -c "$dir/postfix" start </dev/null >>"$dir/postfix-start.log" 2>&1 ||
        start_failed "postfix did not start (a configuration error?)"

    local waiting
    while :; do
        waiting=""
        for port in "$smtp_port" "$sub_port" "$subs_port" "$subnp_port" "$subcc_port"; do
            port_open "$port" || waiting="$waiting $port"
        done
        [ -z "$waiting" ] && break
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.1
    done
    [ -z "$waiting" ] || start_failed "ports not accepting connections on $addr:$waiting"
    for port in "$smtp_port" "$sub_port" "$subs_port" "$subnp_port" "$subcc_port"; do
        [ "$(listeners "$port")" -eq 1 ] || start_failed "another server also took port $port"
    done
}

# Lists the delivered messages in Maildir $1 that contain NEEDLE $2.
matching_mail() {
    grep -rlF -e "$2" "$1/new" "$1/cur" 2>/dev/null || true
}

maildir_of() {
    [ -d "$1/mail/$2/new" ] || die "no mailbox for user '$2' in $1"
    echo "$1/mail/$2"
}

cmd_wait_mail() {
    local md timeout=$4 found end
    md=$(maildir_of "$1" "$2")
    case $timeout in
        '' | *[!0-9]*) die "TIMEOUT must be whole seconds, not '$timeout'" ;;
    esac
    end=$((SECONDS + timeout))
    while :; do
        found=$(matching_mail "$md" "$3" | head -n 1)
        if [ -n "$found" ]; then
            echo "$found"
            return 0
        fi
        [ "$SECONDS" -lt "$end" ] || break
        sleep 0.1
    done
    echo "$me: no message for $2 containing '$3' after ${timeout}s" >&2
    return 1
}

cmd_count_mail() {
    local md
    md=$(maildir_of "$1" "$2")
    matching_mail "$md" "$3" | grep -c . || true
}

[ $# -ge 2 ] || usage
if [ "$(id -u)" -ne 0 ]; then
    echo "$me: needs root (Postfix runs as root only); skipping" >&2
    exit 77
fi

case $1 in
    start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    stop) [ $# -eq 2 ] || usage; [ -d "$2" ] || exit 0; cmd_stop "$(cd "$2" && pwd)" ;;
    wait-mail) [ $# -eq 4 ] || [ $# -eq 5 ] || usage; cmd_wait_mail "$2" "$3" "$4" "${5:-20}" ;;
    count-mail) [ $# -eq 4 ] || usage; cmd_count_mail "$2" "$3" "$4" ;;
    *) usage ;;
esac
