#!/bin/bash
# Programs LD_PRELOAD cannot reach: a static binary (no PT_INTERP), a Go
# binary (its build-id note; made here by adding that note to a C program,
# since the detection reads only the note) and a script whose interpreter
# is static run under the seccomp supervisor, silently; a setuid program
# and a program with file capabilities are named before they start, one
# line each, exit 69 (EX_UNAVAILABLE), with --seccomp too; --force runs
# them anyway; an ordinary program is not held up, nor filtered.
. "$(dirname "$0")/../lib/common.sh"
need_cmd cc objcopy
tmp=$(mktmp)
conf_file "$tmp/submit.conf" <<'CONF'
account a
host mail.example.org
CONF
# Each says whether it runs under a seccomp filter (2) or not (0).
cat > "$tmp/t.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void) {
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "Seccomp:", 8) == 0)
            fputs(line, stdout);
    return 0;
}
C
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
expect_supervised() { # PROGRAM
    "$SUBMITIFY" -c "$tmp/submit.conf" -- "$1" > "$tmp/out" 2>&1 ||
        fail "$1: $(cat "$tmp/out")"
    [ "$(cat "$tmp/out")" = "$(printf 'Seccomp:\t2')" ] ||
        fail "$1: not run under the supervisor's filter: $(cat "$tmp/out")"
    note "$(basename "$1"): run under the seccomp supervisor"
}
expect_supervised "$tmp/static"
expect_supervised "$tmp/go"
expect_supervised "$tmp/script"
expect_refused "$tmp/setuid" "set-user-ID"
"$SUBMITIFY" -c "$tmp/submit.conf" --seccomp -- "$tmp/setuid" > "$tmp/out" 2>&1
[ $? = 69 ] || fail "--seccomp ran a set-user-ID program: $(cat "$tmp/out")"
assert_contains "$tmp/out" "set-user-ID"
if command -v setcap > /dev/null && [ "$(id -u)" = 0 ]; then
    cp "$tmp/dynamic" "$tmp/caps"
    setcap cap_net_raw+ep "$tmp/caps" || fail "setcap"
    expect_refused "$tmp/caps" "file capabilities"
else
    fail "setcap (libcap2-bin) and root are needed for the capabilities case"
fi
"$SUBMITIFY" -c "$tmp/submit.conf" -- "$tmp/dynamic" > "$tmp/out" 2>&1 ||
    fail "an ordinary program was held up: $(cat "$tmp/out")"
[ "$(cat "$tmp/out")" = "$(printf 'Seccomp:\t0')" ] ||
    fail "an ordinary program got a message or a filter: $(cat "$tmp/out")"
