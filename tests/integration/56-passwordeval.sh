#!/bin/bash
# passwordeval (docs/SECURITY.md cases 19-21), against the scripted server:
#  - a command that fails: the program's 421 and the log name what failed,
#    never the command or what it said on stderr (the program may run as
#    another user than the config's); `submitify --check`, the user's own
#    tool, shows the stderr line;
#  - a command that leaves a job in the background holding stdout or
#    stderr open: the password is what the shell printed, the session is
#    served at once, and the job is ended with the shell;
#  - a command that prints 2,000,000 bytes: refused with the 1 MiB limit
#    named, and nothing at all sent as AUTH.
# time limit: 240
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
tag=$$$RANDOM

hs_server pe "$CASES/00-normal.json"

# ---- a failing command: the reason, not its words ---------------------------
mark=PEVAL-MARK-$tag
cmd="echo $mark complaint >&2; exit 3"
check_failing() {
    local l=$1 f=$HS_TMP/$1 rc
    refused_with "$l" "$2" 4.3.5 "passwordeval failed (exit status 3)" \
        no_credentials || return 1
    want "$l" "the program or the log saw the command's stderr: $(grep -F "$mark" "$f.out" "$f.err" "$f.log")" \
        eval '! grep -qF "$mark" "$f.out" "$f.err" "$f.log"' || return 1
    want "$l" "the program or the log saw the command: $(grep -F "exit 3" "$f.out" "$f.err" "$f.log")" \
        eval '! grep -qF "exit 3" "$f.out" "$f.err" "$f.log"' || return 1
    # --check: the user's own diagnostics show what the command said.
    timeout 60 "$SUBMITIFY" -c "$HS_CONF" --check > "$f.check" 2>&1
    rc=$?
    want "$l" "--check exit $rc, expected 78 (EX_CONFIG): $(tail -3 "$f.check")" \
        test $rc = 78 || return 1
    want "$l" "--check does not show the command's stderr line: $(cat "$f.check")" \
        grep -qxF "passwordeval said: $mark complaint" "$f.check" || return 1
    want "$l" "--check does not name the failure: $(grep '^result' "$f.check")" \
        grep -qxF "result: FAILED: passwordeval failed (exit status 3)" "$f.check"
}
hs_conf fail timeout 20 auth plain password - passwordeval "$cmd"
real check_failing fail

# ---- a job left in the background -----------------------------------------------
# Each form leaves `sleep DUR` running, DUR unique to this run (so that
# pgrep finds this job and no other); the account's timeout is 20 s, so a
# session served in under 8 s did not wait for the job.
jobs_of() { pgrep -f "^sleep $1\$"; }
on_exit "for p in \$(pgrep -f '^sleep 9[0-9]\\.$tag\$'); do kill \$p; done"
check_background() {
    local l=$1 f=$HS_TMP/$1 dur=$3 i
    hs_run "$l" "$2" -i "$l@test"
    expect_delivered "$l" "$l@test" || return 1
    want "$l" "the session took $HS_MS ms: it waited for the background job" \
        test "$HS_MS" -lt 8000 || return 1
    for ((i = 0; i < 30; i++)); do
        [ -z "$(jobs_of "$dur")" ] && break
        sleep 0.1
    done
    want "$l" "the background job outlived the command: $(jobs_of "$dur" | tr '\n' ' ')" \
        test -z "$(jobs_of "$dur")"
}
n=0
for form in 'sleep %s & echo %s' '(sleep %s >&2 &); echo %s' \
    'sleep %s >/dev/null 2>&1 & echo %s'; do
    n=$((n + 1))
    dur=9$n.$tag
    # shellcheck disable=SC2059
    hs_conf "bg$n" timeout 20 auth plain password - \
        passwordeval "$(printf "$form" "$dur" "$HS_PW")"
    real check_background "bg$n" "$dur"
done

# ---- 2,000,000 bytes of output -----------------------------------------------------
check_huge() {
    refused_with "$1" "$2" 4.3.5 "passwordeval printed more than 1048576 bytes" \
        no_credentials line_too_long=0
}
hs_conf huge timeout 20 auth plain password - \
    passwordeval "head -c 2000000 /dev/zero | tr '\\0' k"
real check_huge huge
note "failure reason without the command's words; background jobs ended; 1 MiB limit"
