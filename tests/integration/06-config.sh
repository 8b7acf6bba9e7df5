#!/bin/bash
# The wrapper checks the configuration before the program starts: errors
# name file and line, exit EX_CONFIG (78), and the program never runs.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktmp)
marker=$tmp/ran

expect_config_error() {
    local conf=$1 text=$2 rc
    "$SUBMITIFY" -c "$conf" -- touch "$marker" > "$tmp/out" 2>&1
    rc=$?
    [ $rc = 78 ] || fail "exit $rc for $conf, expected 78: $(cat "$tmp/out")"
    assert_contains "$tmp/out" "$text"
    [ ! -e "$marker" ] || fail "the program ran despite: $text"
}

conf_file "$tmp/typo.conf" <<'CONF'
account a
host mail.example.org
passwrd secret
CONF
expect_config_error "$tmp/typo.conf" "$tmp/typo.conf:3: unknown key \"passwrd\""

conf_file "$tmp/port.conf" <<'CONF'
# comment
account a
host mail.example.org
port 70000
CONF
expect_config_error "$tmp/port.conf" "$tmp/port.conf:4: port: expected a number"

conf_file "$tmp/nohost.conf" <<'CONF'
account a
user alice
password x
CONF
expect_config_error "$tmp/nohost.conf" "$tmp/nohost.conf:1: account a: no host"

cat > "$tmp/open.conf" <<'CONF'
account a
host mail.example.org
user alice
password secret
CONF
chmod 644 "$tmp/open.conf"
expect_config_error "$tmp/open.conf" "chmod 600 $tmp/open.conf"

conf_file "$tmp/nosecret.conf" <<'CONF'
account a
host mail.example.org
user nobody-in-netrc
CONF
HOME=$tmp expect_config_error "$tmp/nosecret.conf" "no password, passwordeval or ~/.netrc entry"

conf_file "$tmp/ok.conf" <<'CONF'
account a
host mail.example.org
user alice
password secret
CONF
"$SUBMITIFY" -c "$tmp/ok.conf" -a nosuch -- touch "$marker" > "$tmp/out" 2>&1
[ $? = 78 ] || fail "-a nosuch: expected 78"
assert_contains "$tmp/out" "no account \"nosuch\""

"$SUBMITIFY" -c "$tmp/ok.conf" --check-config > "$tmp/out" 2>&1 || fail "--check-config failed"
assert_contains "$tmp/out" "password *"
assert_not_contains "$tmp/out" "secret"
assert_contains "$tmp/out" "port 587"

# The command's own exit status comes back.
"$SUBMITIFY" -c "$tmp/ok.conf" -- sh -c 'exit 7'
[ $? = 7 ] || fail "the command's exit status was not passed through"
SUBMITIFY_CONF=$tmp/ok.conf "$SUBMITIFY" -- true || fail "SUBMITIFY_CONF not used"
note "errors name file:line, exit 78, command status passed through"
