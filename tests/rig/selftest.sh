#!/bin/bash
# Self-test of the mail rig: starts one in a scratch directory, submits mail the ways
# submitify will (587 STARTTLS + AUTH, 465 implicit TLS + AUTH), checks that it arrives
# as authenticated mail, that a wrong password is refused, and that the plain port-25
# style listener takes mail without AUTH. Exit 0 = rig works; 77 = not root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
rig=$here/mailrig.sh

if [ "$(id -u)" -ne 0 ]; then
    echo "selftest: needs root (the rig runs Postfix); skipped" >&2
    exit 77
fi
command -v swaks >/dev/null || { echo "selftest: FAIL: swaks is not installed" >&2; exit 1; }

dir=$(mktemp -d /tmp/mailrig-selftest.XXXXXX)
out=$dir/swaks.out
cleanup() {
    "$rig" stop "$dir" || true
    rm -rf "$dir"
}
trap cleanup EXIT

fail() {
    echo "selftest: FAIL: $*" >&2
    if [ -s "$out" ]; then
        echo "--- last swaks transcript" >&2
        cat "$out" >&2
    fi
    if [ -s "$dir/maillog" ]; then
        echo "--- tail of maillog" >&2
        tail -n 15 "$dir/maillog" >&2
    fi
    exit 1
}

"$rig" start "$dir" || fail "the rig did not start"
# shellcheck source=/dev/null
. "$dir/rig.env"

tag="selftest-$(date +%s)-$$"

# send ID PORT [swaks options...]: one message from alice to bob, Message-Id <ID>.
send() {
    local id=$1 port=$2
    shift 2
    swaks --server "$RIG_ADDR" --port "$port" \
        --from "$RIG_ALICE_ADDR" --to "$RIG_BOB_ADDR" \
        --header "Message-Id: <$id>" --header "Subject: rig self-test $id" \
        "$@" >"$out" 2>&1
}

# Options for a TLS session that verifies the rig's certificate against its CA.
tls_verify=(--tls-verify --tls-ca-path "$RIG_CA")

# 1. Submission: STARTTLS, AUTH PLAIN.
send "$tag-587@rig" "$RIG_SUB_PORT" --tls "${tls_verify[@]}" \
    --auth PLAIN --auth-user "$RIG_ALICE" --auth-password "$RIG_ALICE_PASS" ||
    fail "587 STARTTLS + AUTH PLAIN was not accepted"

# 2. Submissions: implicit TLS, AUTH LOGIN.
send "$tag-465@rig" "$RIG_SUBS_PORT" --tls-on-connect "${tls_verify[@]}" \
    --auth LOGIN --auth-user "$RIG_ALICE" --auth-password "$RIG_ALICE_PASS" ||
    fail "465 implicit TLS + AUTH LOGIN was not accepted"

# 3. A wrong password must get 535 and never reach DATA.
if send "$tag-badpass@rig" "$RIG_SUB_PORT" --tls "${tls_verify[@]}" \
    --auth PLAIN --auth-user "$RIG_ALICE" --auth-password "not-$RIG_ALICE_PASS"; then
    fail "a wrong password was accepted"
fi
grep -Eq '^<[~*]* 535' "$out" || fail "a wrong password did not get a 535 reply"

# 4. Carol's password (space, double quotes, non-ASCII) survives rig.env and Dovecot.
swaks --server "$RIG_ADDR" --port "$RIG_SUB_PORT" --tls "${tls_verify[@]}" \
    --auth PLAIN --auth-user "$RIG_CAROL" --auth-password "$RIG_CAROL_PASS" \
    --quit-after AUTH >"$out" 2>&1 || fail "carol could not log in"

# 5. Submission without STARTTLS is refused before any mail is taken.
if send "$tag-notls@rig" "$RIG_SUB_PORT"; then
    fail "587 took mail without STARTTLS"
fi
grep -Eq '^<[~*]* 530' "$out" || fail "587 without STARTTLS did not answer 530"

# 6. The plain port-25 style listener takes mail for example.test without AUTH.
send "$tag-25@rig" "$RIG_SMTP_PORT" || fail "the plain listener refused mail for bob"
: >"$out"

# Deliveries.
for id in "$tag-587@rig" "$tag-465@rig"; do
    f=$("$rig" wait-mail "$dir" bob "<$id>" 15) || fail "message $id did not arrive"
    sed '/^$/q' "$f" | grep -q 'with ESMTPSA' ||
        fail "message $id has no 'with ESMTPSA' Received header"
    sed '/^$/q' "$f" | grep -q "Authenticated sender: $RIG_ALICE" ||
        fail "message $id has no 'Authenticated sender' in its Received header"
done
"$rig" wait-mail "$dir" bob "<$tag-25@rig>" 15 >/dev/null ||
    fail "the message sent to the plain listener did not arrive"
# Everything accepted earlier has arrived by now, so the refused ones had their chance.
for id in "$tag-badpass@rig" "$tag-notls@rig"; do
    n=$("$rig" count-mail "$dir" bob "<$id>")
    [ "$n" -eq 0 ] || fail "refused message $id was delivered ($n copies)"
done

echo "selftest: OK (mail rig works: 587 STARTTLS+AUTH, 465 TLS+AUTH, 535 on bad password, plain MX)"
