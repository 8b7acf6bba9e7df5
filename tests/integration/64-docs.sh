#!/bin/bash
# The manual pages are clean under mandoc -Tlint, document every config
# key and option the code has, and --version/--help answer.
. "$(dirname "$0")/../lib/common.sh"
need_cmd mandoc
tmp=$(mktmp)
# From docs/, so the cross-references between the two pages resolve.
( cd "$ROOT/docs" && mandoc -Tlint -W warning submitify.1 submit.conf.5 ) > "$tmp/lint" 2>&1
grep -v "mandoc.db" "$tmp/lint" | grep . && fail "mandoc -Tlint: $(cat "$tmp/lint")"
# Every key in the config reader's table appears in submit.conf(5) and in
# submit.conf.example.
keys=$(sed -n 's/^\t{ "\([a-z_]*\)", K_[A-Z]*, s_[a-z]* },$/\1/p' "$ROOT/helper/conf.c")
[ "$(echo "$keys" | wc -l)" -ge 20 ] || fail "could not read the key table"
for k in $keys; do
    grep -q "^\.It Cm $k\b" "$ROOT/docs/submit.conf.5" || fail "submit.conf(5) lacks $k"
    grep -qE "^#? ?$k( |$)" "$ROOT/submit.conf.example" || fail "submit.conf.example lacks $k"
done
mandoc -Tascii "$ROOT/docs/submitify.1" | col -b > "$tmp/page"
for opt in -c -a -v --force --seccomp --check --check-config --configure --version --help; do
    grep -qe " $opt" "$tmp/page" || fail "submitify(1) lacks $opt"
done
for v in SUBMITIFY_CONF SUBMITIFY_PORTS SUBMITIFY_ACCOUNT SUBMITIFY_DEBUG SUBMITIFY_HELPER; do
    grep -q "$v" "$tmp/page" || fail "submitify(1) lacks $v"
done
"$SUBMITIFY" --version > "$tmp/v" || fail "--version"
grep -qE "^submitify [0-9.]+ \(OpenSSL 3" "$tmp/v" || fail "--version: $(cat "$tmp/v")"
"$SUBMITIFY" --help > "$tmp/h" || fail "--help"
assert_contains "$tmp/h" "usage: submitify"
"$SUBMITIFY" > /dev/null 2>&1
[ $? = 64 ] || fail "no arguments: expected EX_USAGE"
note "manuals lint-clean and complete; --version: $(cat "$tmp/v")"
