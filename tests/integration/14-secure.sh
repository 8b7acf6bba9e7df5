#!/bin/bash
# AT_SECURE: a setuid-root program run by an unprivileged user, with the
# library preloaded machine-wide (/etc/ld.so.preload, inside a mount
# namespace with /etc overlaid).  The user's environment tries to send the
# mail elsewhere (SUBMITIFY_CONF to an account of the attacker's,
# SUBMITIFY_HELPER to a program of the attacker's, SUBMITIFY_PORTS to
# another port): all of it is ignored; the system configuration is used.
. "$(dirname "$0")/../lib/common.sh"
rig_env
need_root
need_cmd unshare setpriv python3
tmp=$(mktmp)
chmod 755 "$tmp"
id=$$.$RANDOM
# shellcheck disable=SC1091 # sourced from the tree
. "$(dirname "$0")/../lib/secure.sh"
secure_install
evil_server
chmod 644 "$tmp/evil.conf"
cat > "$tmp/evil-helper" <<SH
#!/bin/sh
touch $tmp/evil-helper-ran
SH
chmod 755 "$tmp/evil-helper"

# A setuid-root plain client.
cp "$TESTBIN/smtpclient" "$tmp/suid-client"
chown root:root "$tmp/suid-client"
chmod 4755 "$tmp/suid-client"

cat > "$tmp/inside.sh" <<SH
set -e
$(secure_system_lines)
setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=$tmp SUBMITIFY_CONF=$tmp/evil.conf $SANENV \
    SUBMITIFY_HELPER=$tmp/evil-helper SUBMITIFY_PORTS=2525 \
    SUBMITIFY_ACCOUNT=evil SUBMITIFY_DEBUG=1 \
    $tmp/suid-client -q -i secure-$id@test 192.0.2.32
SH
timeout 60 unshare -m sh "$tmp/inside.sh" > "$tmp/out" 2>&1 ||
    fail "the setuid client was not served: $(tail -5 "$tmp/out")"
"$RIG" wait-mail "$SUBMITIFY_RIG" bob "secure-$id@test" 20 > /dev/null ||
    fail "not delivered through the system account"
[ ! -e "$tmp/evil-helper-ran" ] || fail "SUBMITIFY_HELPER from the environment was run"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["totals"]["sessions"])' \
    "$tmp/evil.record" 2>/dev/null || fail "a session reached the attacker's server"
# A sanitizer in a setuid process ignores ASAN_OPTIONS and reports on
# stderr, not in make asan's log directory: look there too.
assert_not_contains "$tmp/out" "Sanitizer"
assert_not_contains "$tmp/out" "runtime error:"
# SUBMITIFY_DEBUG from the environment is ignored too: no transcript.
assert_not_contains "$tmp/out" "program: EHLO"
note "setuid host: environment ignored, system account used"
