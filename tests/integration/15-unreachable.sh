#!/bin/bash
# Programs LD_PRELOAD cannot reach are named before they start: a static
# binary (no PT_INTERP), a Go binary (its build-id note; made here by
# adding that note to a C program, since the detection reads only the
# note), a setuid program, a program with file capabilities, and a script
# whose interpreter is static.  One line each, exit 69 (EX_UNAVAILABLE);
# --force runs them anyway; an ordinary program is not held up.
. "$(dirname "$0")/../lib/common.sh"
need_cmd cc objcopy
tmp=$(mktmp)
conf_file "$tmp/submit.conf" <<'CONF'
account a
host mail.example.org
CONF
printf 'int main(void) { return 0; }\n' > "$tmp/t.c"
cc -o "$tmp/dynamic" "$tmp/t.c" || fail "cc"
cc -static -o "$tmp/static" "$tmp/t.c" 2> "$tmp/cc.err" ||
    fail "cc -static (libc6-dev provides libc.a): $(cat "$tmp/cc.err")"
# A Go build ID note: name "Go", type 4, as Go's linker writes it.
printf '\004\000\000\000\010\000\000\000\004\000\000\000Go\000\000buildid!' > "$tmp/note"
objcopy --add-section .note.go.buildid="$tmp/note" \
    --set-section-flags .note.go.buildid=alloc,readonly "$tmp/dynamic" "$tmp/go" ||
    fail "objcopy"
cp "$tmp/dynamic" "$tmp/setuid"
chmod 4755 "$tmp/setuid"
printf '#!%s\n' "$tmp/static" > "$tmp/script"
chmod 755 "$tmp/script"

expect_refused() { # PROGRAM WORDS
    "$SUBMITIFY" -c "$tmp/submit.conf" -- "$1" > "$tmp/out" 2>&1
    local rc=$?
    [ $rc = 69 ] || fail "$1: exit $rc, expected 69: $(cat "$tmp/out")"
    [ "$(wc -l < "$tmp/out")" = 1 ] || fail "$1: not one line: $(cat "$tmp/out")"
    assert_contains "$tmp/out" "submitify: cannot intercept this program: "
    assert_contains "$tmp/out" "$2"
    "$SUBMITIFY" -c "$tmp/submit.conf" --force -- "$1" > "$tmp/out" 2>&1 ||
        fail "$1 --force: $(cat "$tmp/out")"
    assert_contains "$tmp/out" "(running it anyway: --force)"
    note "$(basename "$1"): refused ($2); runs with --force"
}
expect_refused "$tmp/static" "is statically linked"
expect_refused "$tmp/go" "is a Go program"
expect_refused "$tmp/setuid" "set-user-ID"
expect_refused "$tmp/script" "is statically linked"
if command -v setcap > /dev/null && [ "$(id -u)" = 0 ]; then
    cp "$tmp/dynamic" "$tmp/caps"
    setcap cap_net_raw+ep "$tmp/caps" || fail "setcap"
    expect_refused "$tmp/caps" "file capabilities"
else
    fail "setcap (libcap2-bin) and root are needed for the capabilities case"
fi
"$SUBMITIFY" -c "$tmp/submit.conf" -- "$tmp/dynamic" > "$tmp/out" 2>&1 ||
    fail "an ordinary program was held up: $(cat "$tmp/out")"
[ ! -s "$tmp/out" ] || fail "an ordinary program got a message: $(cat "$tmp/out")"
