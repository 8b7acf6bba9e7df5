# Shared by the setuid and setgid scenarios (14, 16): an installed tree
# for /etc/ld.so.preload, and a server of the caller's that records any
# session reaching it.  Source after common.sh, with $tmp set.
#
#   secure_install    make install into $tmp/inst; sets INST_SHIM, and for
#                     a sanitized build (make asan) SAN (its runtime, to go
#                     first in /etc/ld.so.preload) and SANENV (the sanitizer
#                     options, for an env -i command line)
#   secure_system_lines
#                     shell lines for a script run by unshare -m: /etc
#                     overlaid ($tmp/upper, $tmp/work), the installed shim
#                     in /etc/ld.so.preload, and the rig's account (alice)
#                     as /etc/submitify/submit.conf
#   evil_server [LINE...]
#                     the caller's server ($tmp/evil.record) and
#                     $tmp/evil.conf, an account for it (LINEs added)
# shellcheck shell=bash

secure_install() {
    make -C "$ROOT" -s install DESTDIR="$tmp/inst" PREFIX=/usr/local \
        > "$tmp/install.log" 2>&1 ||
        fail "make install: $(tail -5 "$tmp/install.log")"
    INST_SHIM=$tmp/inst/usr/local/lib/submitify/libsubmitify.so
    SAN=$(ldd "$INST_SHIM" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
    SANENV="${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS}"
}

secure_system_lines() {
    mkdir -p "$tmp/upper" "$tmp/work"
    cat <<SH
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/upper,workdir=$tmp/work /etc
printf '%s\\n' ${SAN:+$SAN} $INST_SHIM > /etc/ld.so.preload
mkdir -p /etc/submitify
umask 077
printf '%s\\n' 'account default' 'host localhost' 'port $RIG_SUB_PORT' \\
    'tls_trust_file $RIG_CA' 'user alice' 'password $RIG_ALICE_PASS' \\
    > /etc/submitify/submit.conf
SH
}

evil_server() {
    local line
    "$ROOT/tests/rig/certs.sh" "$tmp/certs" > /dev/null || fail "certs"
    chmod 755 "$tmp/certs"
    chmod 644 "$tmp/certs"/*.pem
    scripted_start "$tmp" evil --mode starttls --cert "$tmp/certs/server.pem" \
        --key "$tmp/certs/server.key" --users evil:evil-pw
    printf '%s\n' 'account evil' 'host localhost' "port $SCRIPTED_PORT" \
        "tls_trust_file $tmp/certs/ca.pem" 'user evil' \
        'passwordeval "echo evil-pw"' > "$tmp/evil.conf"
    for line in "$@"; do
        printf '%s\n' "$line" >> "$tmp/evil.conf"
    done
}
