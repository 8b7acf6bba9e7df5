#!/bin/bash
# Certificates (docs/SECURITY.md case 5), against the scripted server: every
# certificate that does not verify is refused before AUTH (the record shows
# no AUTH at all); a pin replaces the chain; tls_certcheck off is logged.
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init

# A refusal of the certificate: 421 naming it, no AUTH, the handshake failed
# on the server's side (the helper sent an alert).
check_cert_refused() {
    refused_with "$1" "$2" 4.7.0 \
        "TLS certificate not trusted: $3" no_credentials \
        tls=0 end=tls_handshake_failed
}

# Self-signed (same names as the real one), STARTTLS and implicit TLS.
HS_CERT=selfsigned hs_server self "$CASES/05-certificate.json"
hs_conf self
real check_cert_refused self "self-signed certificate"
sup check_cert_refused self "self-signed certificate"
weak no-verify check_cert_refused self "self-signed certificate"

HS_CERT=selfsigned hs_server self465 "$CASES/05-certificate.json" --mode implicit
hs_conf self465 tls_starttls off
real check_cert_refused self465 "self-signed certificate"
sup check_cert_refused self465 "self-signed certificate"
weak no-verify check_cert_refused self465 "self-signed certificate"

# A good certificate, but the trust file holds another CA only.
hs_server good "$CASES/05-certificate.json"
GOOD_PORT=$SCRIPTED_PORT
GOOD_REC=$HS_REC
hs_conf otherca tls_trust_file "$CERTS/other-ca.pem"
real check_cert_refused otherca "unable to get local issuer certificate"
sup check_cert_refused otherca "unable to get local issuer certificate"
weak no-verify check_cert_refused otherca "unable to get local issuer certificate"

# Signed by the trusted CA, for another name (wrong.test, not localhost).
HS_CERT=wrongname hs_server wrongname "$CASES/05-certificate.json"
hs_conf wrongname
real check_cert_refused wrongname "hostname mismatch"
sup check_cert_refused wrongname "hostname mismatch"
weak no-verify check_cert_refused wrongname "hostname mismatch"

# tls_host_override: the same server, verified against the name its
# certificate does carry, which also goes out as SNI; another override is
# still a mismatch.
check_host_override() {
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test" || return 1
    expect_facts "$1" sni=wrong.test
}
hs_conf wrongnameovr tls_host_override wrong.test
real check_host_override wrongnameovr
hs_conf wrongnameovr2 tls_host_override other.test
real check_cert_refused wrongnameovr2 "hostname mismatch"
sup check_cert_refused wrongnameovr2 "hostname mismatch"

# Signed by the trusted CA, expired in 2020.
HS_CERT=expired hs_server expired "$CASES/05-certificate.json"
hs_conf expired
real check_cert_refused expired "certificate has expired"
sup check_cert_refused expired "certificate has expired"
weak no-verify check_cert_refused expired "certificate has expired"

# ---- Pins ---------------------------------------------------------------------
# A pin that does not match refuses even a chain that verifies.  The pin
# check is not under the no-verify switch (which removes SSL_VERIFY_PEER
# only), and no other switch removes it: real helper only.
check_pin_mismatch() {
    hs_run "$1" "$2" -i "$1@test"
    expect_refused "$1" 4.7.0 "fingerprint does not match tls_fingerprint" ||
        return 1
    expect_no_credentials "$1"
}
HS_REC=$GOOD_REC SCRIPTED_PORT=$GOOD_PORT
hs_conf badpin tls_fingerprint \
    00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
real check_pin_mismatch badpin
sup check_pin_mismatch badpin

fingerprint() {
    openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^.*=//'
}

# A pin that matches is trusted instead of the chain: a self-signed server
# works without turning verification off, and no trust file is needed.
check_pin_match() {
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test"
}
hs_conf goodpin tls_trust_file - tls_fingerprint "$(fingerprint "$CERTS/server.pem")"
real check_pin_match goodpin
HS_REC=$HS_TMP/srv-self.record
SCRIPTED_PORT=$(cat "$HS_TMP/srv-self.port")
hs_conf selfpin tls_trust_file - tls_fingerprint "$(fingerprint "$CERTS/selfsigned.pem")"
real check_pin_match selfpin

# tls_certcheck off: works, and says so in the log.
check_certcheck_off() {
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test" || return 1
    want "$1" "the opt-in is not logged: $(cat "$HS_TMP/$1.log")" \
        grep -q "tls_certcheck off: the server's certificate is not checked" \
        "$HS_TMP/$1.log"
}
hs_conf nocheck tls_trust_file - tls_certcheck off
real check_certcheck_off nocheck

# ---- Trust files --------------------------------------------------------------
# Empty, missing or unreadable: refused before the handshake, so no AUTH.
# The check is before TLS starts and no switch skips it: real helper only.
check_trust_file_bad() {
    refused_with "$1" "$2" 4.3.5 "cannot load tls_trust_file" no_credentials \
        tls=0
}
HS_REC=$GOOD_REC SCRIPTED_PORT=$GOOD_PORT
: > "$HS_TMP/empty.pem"
hs_conf emptyca tls_trust_file "$HS_TMP/empty.pem"
real check_trust_file_bad emptyca
sup check_trust_file_bad emptyca
hs_conf missingca tls_trust_file "$HS_TMP/no-such-ca.pem"
real check_trust_file_bad missingca
sup check_trust_file_bad missingca

# Unreadable needs a user that file modes apply to: root reads anything.
# The program (and so the helper) runs as nobody, with its own config.
# (Not under the supervisor, whose helper runs as the wrapper's user.)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    nb=$HS_TMP/nobody
    mkdir "$nb"
    cp "$CA" "$nb/ca.pem"
    chmod 000 "$nb/ca.pem"
    hs_conf unreadca tls_trust_file "$nb/ca.pem" logfile "$nb/unreadca.logfile"
    mv "$HS_CONF" "$nb/unreadca.conf"
    HS_CONF=$nb/unreadca.conf
    chown -R nobody: "$nb"
    chown root: "$nb/ca.pem"
    check_unreadable_ca() {
        HS_PROG=(setpriv --reuid=nobody --regid=nogroup --clear-groups
            "$TESTBIN/smtpclient" -i "$1@test" "$HS_DEST")
        hs_run "$1" "$2"
        HS_PROG=()
        expect_refused "$1" 4.3.5 "cannot load tls_trust_file" || return 1
        expect_no_credentials "$1" || return 1
        expect_facts "$1" tls=0
    }
    real check_unreadable_ca unreadca
else
    note "unreadable trust file: not checked (needs root and the nobody user)"
fi

# ---- The handshake itself -----------------------------------------------------
# SNI carries the host name.
check_sni() {
    hs_run "$1" "$2" -i "$1@test"
    expect_delivered "$1" "$1@test" || return 1
    expect_facts "$1" sni=localhost
}
HS_REC=$GOOD_REC SCRIPTED_PORT=$GOOD_PORT
hs_conf sni
real check_sni sni

# A server that speaks TLS 1.0 and 1.1 only: no handshake, no AUTH.  The
# minimum version is not under a switch: real helper only.
check_old_tls() {
    refused_with "$1" "$2" 4.7.0 "TLS handshake failed" no_credentials \
        tls=0 end=tls_handshake_failed
}
hs_server tls11 "$CASES/05-tls-1.1-only.json"
hs_conf tls11
real check_old_tls tls11
sup check_old_tls tls11

# ---- The system store ---------------------------------------------------------
# Without tls_trust_file the helper trusts the system store.  With neither
# SSL_CERT_FILE nor SSL_CERT_DIR set and hash links in OpenSSL's default
# directory, it reads that directory alone (on Debian it holds every CA of
# the bundle file, and only the issuers a chain needs are read); otherwise
# OpenSSL's default paths, as OpenSSL reads them.  To trust the test CA
# through the default directory, a store built here is mounted over it in
# a private mount namespace (unshare), so nothing outside the test sees it.
# `submitify --check` names the store a session used.
need_cmd unshare mount
OSSLDIR=$(openssl version -d | sed 's/^OPENSSLDIR: "\(.*\)"$/\1/')
DEFDIR=$OSSLDIR/certs
DEFFILE=$OSSLDIR/cert.pem
MNTDIR=$(readlink -f "$DEFDIR")
[ -d "$MNTDIR" ] || fail "OpenSSL's default directory $DEFDIR is missing"
ls "$MNTDIR" | grep -qE '^[0-9a-f]{8}\.[0-9]$' ||
    fail "$DEFDIR holds no hash links (is ca-certificates installed?)"
mkstore() {
    mkdir "$1"
    cp "$2" "$1/ca.pem"
    case "${3:-}" in
    nolinks) cp "$2" "$1/$(basename "$(readlink -f "$DEFFILE")")" ;;
    *) openssl rehash "$1" >/dev/null 2>&1 || fail "openssl rehash $1 failed" ;;
    esac
}
mkstore "$HS_TMP/store" "$CA"
mkstore "$HS_TMP/store-other" "$CERTS/other-ca.pem"
mkstore "$HS_TMP/store-nolinks" "$CA" nolinks
HS_REC=$GOOD_REC SCRIPTED_PORT=$GOOD_PORT
hs_conf system tls_trust_file -
SYSCONF=$HS_CONF

# in_store STORE CMD...: CMD with STORE mounted over the default directory
# ("-": the real one), without OpenSSL's variables unless set by the caller.
in_store() {
    local store=$1
    shift
    if [ "$store" = - ]; then
        env -u SSL_CERT_FILE -u SSL_CERT_DIR ${SF:+SSL_CERT_FILE=$SF} \
            ${SD:+SSL_CERT_DIR=$SD} "$@"
        return
    fi
    env -u SSL_CERT_FILE -u SSL_CERT_DIR ${SF:+SSL_CERT_FILE=$SF} \
        ${SD:+SSL_CERT_DIR=$SD} STORE="$store" MNTDIR="$MNTDIR" \
        unshare --mount --propagation private \
        sh -c 'mount --bind "$STORE" "$MNTDIR" && exec "$@"' sh "$@"
}

# check_store LABEL STORE TRUST-LINE RESULT-REGEX
check_store() {
    local out=$HS_TMP/store-$1.out
    in_store "$2" timeout 30 "$SUBMITIFY" -c "$SYSCONF" --check > "$out" 2>&1
    grep -qxF "trust: $3" "$out" ||
        fail "store $1: no line 'trust: $3' in: $(grep -E '^(trust|result)' "$out") $(tail -2 "$out")"
    grep -qE "^result: $4" "$out" ||
        fail "store $1: the result is not /$4/: $(grep -E '^(trust|result)' "$out")"
    note "store $1: $3: ${4%%:*}"
}
NOISSUER="FAILED: .*unable to get local issuer certificate"
SF="" SD="" check_store dir "$HS_TMP/store" "system store, directory $DEFDIR" OK
SF="" SD="" check_store dir-other "$HS_TMP/store-other" \
    "system store, directory $DEFDIR" "$NOISSUER"
SF="" SD="" check_store system - "system store, directory $DEFDIR" "$NOISSUER"
SF="" SD="$HS_TMP/store" check_store env-dir "$HS_TMP/store-other" \
    "system store, file $DEFFILE and directory $HS_TMP/store" OK
SF="$CA" SD="" check_store env-file "$HS_TMP/store-other" \
    "system store, file $CA and directory $DEFDIR" OK
SF="" SD="" check_store nolinks "$HS_TMP/store-nolinks" \
    "system store, file $DEFFILE and directory $DEFDIR" OK

# And a message through the shim, trusted through the default directory.
check_store_delivery() {
    HS_PROG=(env -u SSL_CERT_FILE -u SSL_CERT_DIR STORE="$HS_TMP/store"
        MNTDIR="$MNTDIR" unshare --mount --propagation private
        sh -c 'mount --bind "$STORE" "$MNTDIR" && exec "$@"' sh
        "$TESTBIN/smtpclient" -i "$1@test" "$HS_DEST")
    hs_run "$1" "$2"
    HS_PROG=()
    expect_delivered "$1" "$1@test"
}
HS_CONF=$SYSCONF
real check_store_delivery storedir
