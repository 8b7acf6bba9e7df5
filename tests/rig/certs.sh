#!/bin/bash
# Usage: certs.sh DIR [EXTRA_IP...]
#
# Creates the TLS material the mail rig and the tests use, all with the openssl CLI:
#   ca.pem/ca.key                test CA
#   server.pem/server.key        signed by the CA for mail.test, localhost, 127.0.0.1, ::1
#                                and every EXTRA_IP
#   server.sha256                SHA-256 fingerprint of server.pem (AA:BB:... form)
#   other-ca.pem/other-ca.key    a second CA that signed nothing the rig uses
#   selfsigned.pem/.key          self-signed, same names as the server
#   wrongname.pem/.key           signed by the CA, valid only for wrong.test
#   expired.pem/.key             signed by the CA, same names as the server, expired in 2020
#   client.pem/.key              a client certificate (clientAuth) signed by the CA, CN client.test
#   other-client.pem/.key        a client certificate signed by other-ca
#   crl-server.pem               the CA's CRL revoking server.pem
#   crl-none.pem                 the CA's CRL revoking nothing
# Existing files are kept; server.pem is re-issued only when the wanted names change.
# Prints nothing unless something fails.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [EXTRA_IP...]" >&2
    exit 2
fi
dir=$1
shift

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
umask 077

# Two rigs sharing one DIR may call this at the same moment.
exec 9>"$dir/.certs.lock"
flock 9

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command silently; shows its output only if it fails.
quiet() {
    if ! "$@" >"$tmp/out" 2>&1; then
        echo "certs.sh: failed: $*" >&2
        cat "$tmp/out" >&2
        exit 1
    fi
}

server_san="DNS:mail.test,DNS:localhost,IP:127.0.0.1,IP:::1"
for ip in "$@"; do
    server_san="$server_san,IP:$ip"
done

# One config holds the request defaults and every extension profile.
# SAN is taken from the environment so each leaf can use its own names.
cat >"$tmp/openssl.cnf" <<CNF
[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused
[ ca_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
[ leaf_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = \${ENV::SAN}
[ client_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ ca ]
default_ca = old_ca
[ old_ca ]
database        = $tmp/index.txt
serial          = $tmp/serial
new_certs_dir   = $tmp
certificate     = $dir/ca.pem
private_key     = $dir/ca.key
default_md      = sha256
policy          = any_policy
unique_subject  = no
crlnumber       = $tmp/crlnumber
default_crl_days = 3650
copy_extensions = none
preserve        = yes
[ any_policy ]
commonName = supplied
CNF
export OPENSSL_CONF="$tmp/openssl.cnf"
export SAN=unused

newkey() {
    quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

serial() {
    echo "0x01$(openssl rand -hex 15)"
}

# make_ca NAME CN
make_ca() {
    newkey "$tmp/$1.key"
    quiet openssl req -config "$OPENSSL_CONF" -new -x509 -sha256 -days 3650 \
        -key "$tmp/$1.key" -subj "/CN=$2" -extensions ca_ext \
        -set_serial "$(serial)" -out "$tmp/$1.pem"
    mv "$tmp/$1.key" "$dir/$1.key"
    mv "$tmp/$1.pem" "$dir/$1.pem"
}

# make_leaf NAME CN SAN  (signed by ca.pem)
make_leaf() {
    newkey "$tmp/$1.key"
    quiet openssl req -config "$OPENSSL_CONF" -new -key "$tmp/$1.key" -subj "/CN=$2" \
        -out "$tmp/$1.csr"
    SAN=$3 quiet openssl x509 -req -sha256 -days 3650 -in "$tmp/$1.csr" \
        -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -set_serial "$(serial)" \
        -extfile "$OPENSSL_CONF" -extensions leaf_ext -out "$tmp/$1.pem"
    mv "$tmp/$1.key" "$dir/$1.key"
    mv "$tmp/$1.pem" "$dir/$1.pem"
}

# make_selfsigned NAME CN SAN
make_selfsigned() {
    newkey "$tmp/$1.key"
    SAN=$3 quiet openssl req -config "$OPENSSL_CONF" -new -x509 -sha256 -days 3650 \
        -key "$tmp/$1.key" -subj "/CN=$2" -extensions leaf_ext \
        -set_serial "$(serial)" -out "$tmp/$1.pem"
    mv "$tmp/$1.key" "$dir/$1.key"
    mv "$tmp/$1.pem" "$dir/$1.pem"
}

# make_expired NAME CN SAN: `openssl x509 -req` in OpenSSL 3.0 cannot set past dates,
# `openssl ca` can.
make_expired() {
    newkey "$tmp/$1.key"
    quiet openssl req -config "$OPENSSL_CONF" -new -key "$tmp/$1.key" -subj "/CN=$2" \
        -out "$tmp/$1.csr"
    : >"$tmp/index.txt"
    openssl rand -hex 16 >"$tmp/serial"
    SAN=$3 quiet openssl ca -config "$OPENSSL_CONF" -batch -notext \
        -startdate 20200101000000Z -enddate 20200201000000Z \
        -extensions leaf_ext -in "$tmp/$1.csr" -out "$tmp/$1.pem"
    mv "$tmp/$1.key" "$dir/$1.key"
    mv "$tmp/$1.pem" "$dir/$1.pem"
}

# make_client NAME CN CA  (signed by CA.pem, for TLS client authentication)
make_client() {
    newkey "$tmp/$1.key"
    quiet openssl req -config "$OPENSSL_CONF" -new -key "$tmp/$1.key" -subj "/CN=$2" \
        -out "$tmp/$1.csr"
    quiet openssl x509 -req -sha256 -days 3650 -in "$tmp/$1.csr" \
        -CA "$dir/$3.pem" -CAkey "$dir/$3.key" -set_serial "$(serial)" \
        -extfile "$OPENSSL_CONF" -extensions client_ext -out "$tmp/$1.pem"
    mv "$tmp/$1.key" "$dir/$1.key"
    mv "$tmp/$1.pem" "$dir/$1.pem"
}

# The CA's CRLs: one that revokes nothing, one that revokes server.pem.
make_crls() {
    : >"$tmp/index.txt"
    echo 01 >"$tmp/crlnumber"
    quiet openssl ca -config "$OPENSSL_CONF" -gencrl -out "$tmp/crl-none.pem"
    quiet openssl ca -config "$OPENSSL_CONF" -revoke "$dir/server.pem"
    quiet openssl ca -config "$OPENSSL_CONF" -gencrl -out "$tmp/crl-server.pem"
    mv "$tmp/crl-none.pem" "$dir/crl-none.pem"
    mv "$tmp/crl-server.pem" "$dir/crl-server.pem"
}

have() {
    [ -s "$dir/$1.pem" ] && [ -s "$dir/$1.key" ]
}

if ! have ca; then
    make_ca ca "submitify test CA"
    # Everything signed by an older CA is now useless.
    rm -f "$dir/server.pem" "$dir/wrongname.pem" "$dir/expired.pem" \
        "$dir/client.pem"
fi
have other-ca || make_ca other-ca "submitify other test CA"

if ! have server || [ "$(cat "$dir/server.san" 2>/dev/null)" != "$server_san" ]; then
    make_leaf server mail.test "$server_san"
    echo "$server_san" >"$dir/server.san"
fi
have wrongname || make_leaf wrongname wrong.test "DNS:wrong.test"
have selfsigned || make_selfsigned selfsigned mail.test "$server_san"
have expired || make_expired expired mail.test "$server_san"

have client || make_client client client.test ca
have other-client || make_client other-client client.test other-ca
if ! [ "$dir/crl-server.pem" -nt "$dir/server.pem" ] ||
    ! [ "$dir/crl-server.pem" -nt "$dir/ca.pem" ]; then
    make_crls
fi

fp=$(openssl x509 -noout -fingerprint -sha256 -in "$dir/server.pem")
echo "${fp#*=}" >"$dir/server.sha256"

# Certificates are public; keys stay owner-only.
chmod 644 "$dir"/*.pem "$dir/server.sha256" "$dir/server.san"
