#!/bin/bash
# 16-setuid-caller: under a setuid or setgid host (AT_SECURE) the helper
# takes nothing of the caller's (docs/SECURITY.md case 21).  The library
# is preloaded machine-wide (/etc/ld.so.preload, in a private mount
# namespace with /etc overlaid); the caller is user nobody.
#   setuid-shadow  a setuid-root client; the caller's HOME holds
#                  .config/submitify/submit.conf as a symlink to a root-only
#                  file, and /etc/submitify/submit.conf does not exist: the
#                  program gets a 421 that names no file of the caller's,
#                  and not a byte of the root-only file reaches it.
#   setuid-error   /etc/submitify/submit.conf has a bad line holding a
#                  marker: the 421 names the file and the line, never the
#                  line's text.
#   setgid         a setgid-mail client; the caller's own config sends to a
#                  server of the caller's and logs to a file the caller may
#                  not write (group mail may): the system account is used,
#                  the caller's server sees nothing, that file is untouched,
#                  and the password is read with the host's group, in /
#                  (not the caller's directory), with no core possible.
#   setuid-memory  a setuid-root client whose session needs an AUTH
#                  fallback: no AUTH memory is written (root's home is a
#                  tmpfs in the namespace, to look).
#   machine-wide   no setuid: a plain client whose SUBMITIFY_PORTS names
#                  the submission port too; the helper, which has the
#                  library loaded from /etc/ld.so.preload, must still reach
#                  the server itself (it connects with the system call).
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd unshare setpriv python3
getent group mail >/dev/null || skip "no group mail"
tmp=$(mktmp)
id=$$.$RANDOM
bad=0
failures=""
failed() { bad=$((bad + 1)); failures="$failures; $*"; echo "  $TEST_NAME: FAILED: $*"; }
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/secure.sh"
secure_install
shim=$INST_SHIM san=$SAN sanenv=$SANENV

# A root-only file, as /etc/shadow is.
SECRET="root:\$6\$Shadow-Marker-$id:19000:0:99999:7:::"
printf '%s\n' "$SECRET" > "$tmp/shadow"
chmod 600 "$tmp/shadow"

# The caller's home, with its own configuration.
home=$tmp/home
mkdir -p "$home/.config/submitify"
evil_server "logfile $tmp/mail-only.log"
# A file group mail may write and nobody may not.
: > "$tmp/mail-only.log"
chown root:mail "$tmp/mail-only.log"
chmod 664 "$tmp/mail-only.log"
chown -R 65534:65534 "$home"

# Clients: setuid root and setgid mail.
cp "$TESTBIN/smtpclient" "$tmp/suid-client"
chown root:root "$tmp/suid-client"
chmod 4755 "$tmp/suid-client"
cp "$TESTBIN/smtpclient" "$tmp/sgid-client"
chown root:mail "$tmp/sgid-client"
chmod 2755 "$tmp/sgid-client"
# The system account's password, for group mail only.
printf '%s\n' "$RIG_ALICE_PASS" > "$tmp/alice.pw"
chown root:mail "$tmp/alice.pw"
chmod 640 "$tmp/alice.pw"

# run_case NAME CLIENT ETC_CONF_FILE|- [noconf]: the client as nobody,
# inside the namespace, SUBMITIFY_CONF naming the caller's configuration
# unless noconf; its output in $tmp/NAME.out.
run_case() {
    local name=$1 client=$2 etc=$3 conf="SUBMITIFY_CONF=$tmp/evil.conf"
    [ "${4:-}" = noconf ] && conf=""
    mkdir -p "$tmp/$name.upper" "$tmp/$name.work"
    cat > "$tmp/$name.sh" <<SH
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/$name.upper,workdir=$tmp/$name.work /etc
printf '%s\n' ${san:+$san} $shim > /etc/ld.so.preload
rm -rf /etc/submitify
if [ "$etc" != - ]; then
    mkdir -p /etc/submitify
    install -m 644 "$etc" /etc/submitify/submit.conf
fi
cd $home
setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=$home $conf $sanenv \
    $client -i $name-$id@test 192.0.2.32
SH
    timeout 60 unshare -m sh "$tmp/$name.sh" > "$tmp/$name.out" 2>&1
    echo $? > "$tmp/$name.rc"
    sed "s/^/  $name: /" "$tmp/$name.out"
}
no_secret() {
    if grep -qF "Shadow-Marker-$id" "$tmp/$1.out"; then
        failed "$1: the root-only file's text reached the caller"
    fi
}

# setuid-shadow: no system configuration; the caller's points at the
# root-only file.  (No SUBMITIFY_CONF either: HOME is the only way in.)
ln -s "$tmp/shadow" "$home/.config/submitify/submit.conf"
run_case setuid-shadow "$tmp/suid-client" - noconf
no_secret setuid-shadow
grep -q "421.*submitify: no configuration" "$tmp/setuid-shadow.out" ||
    failed "setuid-shadow: no 421 naming the missing system configuration"
grep -qF "$home" "$tmp/setuid-shadow.out" &&
    failed "setuid-shadow: the 421 names a file of the caller's"

# setuid-error: the system file has a bad line; the line is not quoted.
printf '%s\n' 'account default' 'host localhost' "Bad-Line-Marker-$id value" \
    > "$tmp/bad.conf"
run_case setuid-error "$tmp/suid-client" "$tmp/bad.conf"
grep -q "421.*/etc/submitify/submit.conf:3:" "$tmp/setuid-error.out" ||
    failed "setuid-error: the 421 does not name the file and line 3"
grep -qF "Bad-Line-Marker-$id" "$tmp/setuid-error.out" &&
    failed "setuid-error: the 421 quotes the line's text"
no_secret setuid-error

# setgid: the caller's own configuration (SUBMITIFY_CONF, HOME) is ignored.
rm -f "$home/.config/submitify/submit.conf"
cp "$tmp/evil.conf" "$home/.config/submitify/submit.conf"
chown 65534:65534 "$home/.config/submitify/submit.conf"
# The command also says where it ran and with what core limit: never in
# the caller's directory, and with no core that the caller could read.
mkdir -m 1777 "$tmp/eval"
printf '%s\n' 'account default' 'host localhost' "port $RIG_SUB_PORT" \
    "tls_trust_file $RIG_CA" 'user alice' \
    "passwordeval \"pwd > $tmp/eval/cwd; grep core /proc/self/limits > $tmp/eval/core; cat $tmp/alice.pw\"" \
    > "$tmp/system.conf"
run_case setgid "$tmp/sgid-client" "$tmp/system.conf"
[ "$(cat "$tmp/setgid.rc")" = 0 ] || failed "setgid: the client was not served"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "setgid-$id@test" 20 > /dev/null ||
    failed "setgid: not delivered through the system account"
[ -s "$tmp/mail-only.log" ] && failed "setgid: the caller's logfile was written: $(head -2 "$tmp/mail-only.log")"
[ "$(cat "$tmp/eval/cwd" 2>/dev/null)" = / ] ||
    failed "setgid: passwordeval ran in $(cat "$tmp/eval/cwd" 2>/dev/null), not in /"
read -r _ _ _ _ soft hard _ < "$tmp/eval/core" 2>/dev/null
# (Under make asan, the runtime that ld.so.preload puts in every process
# lowers the soft limit to 0 by itself.)
case "${soft:-}/${hard:-}" in 1/1 | 0/1) ;; *) false ;; esac ||
    failed "setgid: passwordeval may dump core: $(cat "$tmp/eval/core" 2>/dev/null)"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["totals"]["sessions"])' \
    "$tmp/evil.record" 2>/dev/null || failed "setgid: a session reached the caller's server"

# setuid-memory: a setuid host's session that needed a fallback (dave on
# the port without PLAIN: SCRAM-SHA-256 and CRAM-MD5 refused, LOGIN
# works) leaves no AUTH memory (helper/authmem.c); it would be root's,
# under /root, a tmpfs in the namespace here.
printf '%s\n' "$RIG_DAVE_PASS" > "$tmp/dave.pw"
chmod 600 "$tmp/dave.pw"
printf '%s\n' 'account default' 'host localhost' "port $RIG_SUBNP_PORT" \
    "tls_trust_file $RIG_CA" 'user dave' "passwordeval \"cat $tmp/dave.pw\"" \
    > "$tmp/mem.conf"
mkdir -p "$tmp/mem.upper" "$tmp/mem.work"
cat > "$tmp/mem.sh" <<SH
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/mem.upper,workdir=$tmp/mem.work /etc
printf '%s\n' ${san:+$san} $shim > /etc/ld.so.preload
rm -rf /etc/submitify
mkdir -p /etc/submitify
install -m 644 "$tmp/mem.conf" /etc/submitify/submit.conf
mount -t tmpfs tmpfs /root
cd $home
setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=$home $sanenv \
    $tmp/suid-client -i setuid-memory-$id@test 192.0.2.32
echo "memory: \$(ls -A /root/.local/state/submitify 2>/dev/null | tr '\n' ' ')"
SH
timeout 60 unshare -m sh "$tmp/mem.sh" > "$tmp/mem.out" 2>&1 ||
    failed "setuid-memory: the client was not served: $(tail -3 "$tmp/mem.out")"
sed "s/^/  setuid-memory: /" "$tmp/mem.out"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "setuid-memory-$id@test" 20 > /dev/null ||
    failed "setuid-memory: not delivered"
grep -qx "memory: " "$tmp/mem.out" ||
    failed "setuid-memory: a setuid host wrote the AUTH memory: $(grep '^memory:' "$tmp/mem.out")"

# machine-wide: the helper's own connection is never taken.
rig_account | conf_file "$tmp/rig.conf"
mkdir -p "$tmp/mw.upper" "$tmp/mw.work"
cat > "$tmp/mw.sh" <<SH
set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/mw.upper,workdir=$tmp/mw.work /etc
printf '%s\n' ${san:+$san} $shim > /etc/ld.so.preload
env SUBMITIFY_CONF=$tmp/rig.conf SUBMITIFY_PORTS=25,$RIG_SUB_PORT \
    $TESTBIN/smtpclient -i mw-$id@test 192.0.2.32
SH
timeout 60 unshare -m sh "$tmp/mw.sh" > "$tmp/mw.out" 2>&1 ||
    failed "machine-wide: the client was not served: $(tail -3 "$tmp/mw.out")"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "mw-$id@test" 20 > /dev/null ||
    failed "machine-wide: not delivered"

# A sanitizer in a setuid or setgid process ignores ASAN_OPTIONS and
# reports on stderr, not in make asan's log directory: look there too.
if grep -l "Sanitizer\|runtime error:" "$tmp"/*.out 2>/dev/null; then
    failed "a sanitizer report in the output above"
fi

[ "$bad" = 0 ] || fail "$bad failure(s)$failures"
echo "PASS: $TEST_NAME"
