#!/bin/bash
# 39-fault-phase-matrix: "Nothing lost, nothing falsely acknowledged".
# One generated case per (phase, fault): the scripted server closes,
# resets, truncates TLS, stalls, or answers 421 (and closes) / 451 / 452 /
# 554 at the greeting, EHLO (before and after TLS), STARTTLS, the TLS
# handshake, AUTH, MAIL, RCPT, DATA, in the middle of the message, after
# the final dot before its reply, after its reply, and at QUIT.
#
# What must hold, by phase:
#   setup (greeting .. AUTH)  the program is greeted 421 "submitify: ..."
#                             (never 220), the server sees no MAIL
#   MAIL, RCPT, DATA          a code is relayed verbatim; a vanished server
#                             or a stall gives 421 4.4.x; nothing accepted
#   mid-message               no 250 for the message, nothing accepted
#   final dot, no reply yet   421 (the server's own codes verbatim), nothing
#                             accepted
#   after the 250, QUIT       the program saw the 250 and the server holds
#                             the message exactly once
# and, for every case (tests/harness/fx.py): a 250 the program saw matches a
# message the server accepted, no message is accepted twice, the helper
# ends (0 or 1, no signal) within 6 s of the program and leaves nothing.
# Every case of the first four classes (the refusals) runs once more with
# the program under the seccomp supervisor instead of the shim.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/matrix.jsonl
hs_spec "$spec"

# phase: NAME|TRIGGER (rule keys)|CLASS|CLIENT ARGS (JSON list)|TLS?
phases=(
    'greeting|"on": "connect"|setup|[]|plain'
    'EHLO before TLS|"on": "EHLO", "layer": "plain"|setup|[]|plain'
    'STARTTLS|"on": "STARTTLS"|setup|[]|plain'
    'TLS handshake|"on": "handshake"|setup|[]|handshake'
    'EHLO after TLS|"on": "EHLO", "layer": "tls"|setup|[]|tls'
    'AUTH|"on": "AUTH"|setup|[]|tls'
    'MAIL|"on": "MAIL"|txn|[]|tls'
    'RCPT|"on": "RCPT"|txn|[]|tls'
    'DATA|"on": "DATA"|txn|[]|tls'
    'mid-message|"on": "data_bytes", "bytes": 4096|mid|["-s", "40000"]|tls'
    'final dot, before the reply|"on": "eod"|eod|[]|tls'
    'after the 250 to the final dot|"on": "eod"|after|[]|tls'
    'QUIT|"on": "QUIT"|quit|[]|tls'
)
# fault: NAME|ACTIONS|KIND
faults=(
    'close|{"close": true}|gone'
    'reset|{"reset": true}|gone'
    'TLS truncation|{"tls_abort": true}|gone'
    'stall|{"stall": "forever"}|stall'
    '421 and close|{"reply": "421 4.3.2 mail.test Service shutting down"}, {"close": true}|421'
    '451|{"reply": "451 4.3.0 fault injected here"}|code'
    '452|{"reply": "452 4.3.1 fault injected here"}|code'
    '554|{"reply": "554 5.3.0 fault injected here"}|code'
)

n=0
for p in "${phases[@]}"; do
    IFS='|' read -r pname trig class cargs layer <<< "$p"
    for f in "${faults[@]}"; do
        IFS='|' read -r fname acts kind <<< "$f"
        # TLS truncation only where TLS is up; no reply codes in a handshake.
        [ "$kind" = gone ] && [ "$fname" = "TLS truncation" ] && [ "$layer" != tls ] && continue
        [ "$layer" = handshake ] && { [ "$kind" = code ] || [ "$kind" = 421 ]; } && continue
        # In the middle of the message a server can only hang up.
        [ "$class" = mid ] && [ "$kind" = code ] && [ "$fname" != 554 ] && continue
        [ "$class" = mid ] && [ "$fname" = 554 ] && acts="$acts, {\"close\": true}"
        code=${fname%% *}
        case $class in
        setup)
            case $kind in
            gone) want='"^421 4\\.\\d\\.\\d submitify: \\S"' ;;
            stall) want='"^421 4\\.4\\.2 submitify: no answer from \\S+ in time$"' ;;
            *) want="\"^421 4\\\\.\\\\d\\\\.\\\\d submitify: .*$code \"" ;;
            esac
            exp="\"exit\": [1], \"out\": [$want], \"not_out\": [\"^<- 220 \"], \"no_cmd\": [\"MAIL\"], \"acc\": 0"
            ;;
        txn | eod)
            case $kind in
            gone) want='"^421 4\\.4\\.1 submitify: \\S"' ;;
            stall) want='"^421 4\\.4\\.2 submitify: no reply from \\S+ to .* within 3 s$"' ;;
            421) want='"^421 4\\.3\\.2 mail\\.test Service shutting down$"' ;;
            code) want="\"^$code ${code:0:1}\\\\.3\\\\.[01] fault injected here$\"" ;;
            esac
            exp="\"exit\": [1], \"out\": [$want], \"acc\": 0"
            ;;
        mid)
            exp='"exit": [1, 2], "not_out": ["^<- 250 2\\.0\\.0"], "acc": 0'
            ;;
        after | quit)
            # The reply to the final dot went out whole; then the fault.
            exp='"exit": [0, 2], "out": ["^-> \\.\\n<- 250 2\\.0\\.0 Ok: queued as \\S+$"], "acc": 1'
            ;;
        esac
        [ "$kind" = stall ] && exp="$exp, \"secs_max\": 8"
        if [ "$class" = after ]; then
            do="{\"default\": true}, $acts"
        else
            do=$acts
        fi
        # A refusal runs once more with the program under the supervisor.
        case $class in
        after | quit) sup=false ;;
        *) sup=true ;;
        esac
        printf '{"name": "%s: %s", "rules": [{%s, "do": [%s]}], "args": %s, "expect": {%s}, "seccomp": %s}\n' \
            "$pname" "$fname" "$trig" "$do" "$cargs" "$exp" "$sup" >> "$spec"
        n=$((n + 1))
    done
done
python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$spec" ||
    fail "the generated case list is not JSON"
note "$n generated cases"
hs_group matrix "$spec"
hs_finish
