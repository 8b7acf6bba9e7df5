#!/bin/bash
# 35-fault-false-250: docs/SECURITY.md case 10, "never a false 250".
# The scripted server closes, resets or truncates TLS during DATA and after
# the final dot, answers 451/554 to it, sends "250-" and then EOF, or
# never answers.  For every case: the program (smtpclient) sees a 250 for
# a message only when the server accepted that message (fx.py checks the
# transcript against the server record), no message is accepted twice in
# the whole record (no retransmission), the helper ends and leaves nothing
# behind.  The cases marked "weak" run again with helper/weak/
# submitify-helper-fake-250 (or -no-timeout for the reply timeout), which
# must FAIL the same checks.  Every case but the control runs once more with
# the program under the seccomp supervisor ("seccomp": true), with the same
# checks.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/item10.jsonl
hs_spec "$spec"
cat >> "$spec" <<'EOF'
{"name": "close during DATA, after the program's final dot", "rules": [{"on": "data_bytes", "bytes": 64, "do": [{"sleep": 1.0}, {"close": true}]}], "args": ["-s", "2000"], "weak": ["fake-250"], "expect": {"exit": [1, 2], "out": ["^421 4\\.4\\.1 submitify: .*closed the connection"], "acc": 0}, "seccomp": true}
{"name": "close during DATA, mid-message (200 KB)", "rules": [{"on": "data_bytes", "bytes": 4096, "do": [{"close": true}]}], "args": ["-s", "200000"], "expect": {"exit": [1, 2], "not_out": ["^<- 250 2\\.0\\.0"], "acc": 0}, "seccomp": true}
{"name": "TLS truncation during DATA, after the final dot", "rules": [{"on": "data_bytes", "bytes": 64, "do": [{"sleep": 1.0}, {"tls_abort": true}]}], "args": ["-s", "2000"], "weak": ["fake-250"], "expect": {"exit": [1, 2], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "reset during DATA, after the final dot", "rules": [{"on": "data_bytes", "bytes": 64, "do": [{"sleep": 1.0}, {"reset": true}]}], "args": ["-s", "2000"], "weak": ["fake-250"], "expect": {"exit": [1, 2], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "reset during DATA, mid-message (200 KB)", "rules": [{"on": "data_bytes", "bytes": 4096, "do": [{"reset": true}]}], "args": ["-s", "200000"], "expect": {"exit": [1, 2], "not_out": ["^<- 250 2\\.0\\.0"], "acc": 0}, "seccomp": true}
{"name": "close after the final dot, before the reply", "rules": [{"on": "eod", "do": [{"close": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify: .*closed the connection"], "acc": 0}, "seccomp": true}
{"name": "TLS truncation after the final dot, before the reply", "rules": [{"on": "eod", "do": [{"tls_abort": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "reset after the final dot, before the reply", "rules": [{"on": "eod", "do": [{"reset": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "451 to the final dot", "rules": [{"on": "eod", "do": [{"reply": "451 4.3.0 Error: queue file write error"}]}], "weak_info": ["fake-250"], "expect": {"exit": [1], "out": ["^451 4\\.3\\.0 Error: queue file write error$"], "acc": 0}, "seccomp": true}
{"name": "554 to the final dot", "rules": [{"on": "eod", "do": [{"reply": "554 5.7.1 Error: message content rejected"}]}], "weak_info": ["fake-250"], "expect": {"exit": [1], "out": ["^554 5\\.7\\.1 Error: message content rejected$"], "acc": 0}, "seccomp": true}
{"name": "451 to the final dot, then close", "rules": [{"on": "eod", "do": [{"reply": "451 4.3.0 try later"}, {"close": true}]}], "weak_info": ["fake-250"], "expect": {"exit": [1], "out": ["^451 4\\.3\\.0 try later$"], "acc": 0}, "seccomp": true}
{"name": "250- continuation then EOF", "rules": [{"on": "eod", "do": [{"send": "250-2.0.0 Ok: queued as X\r\n"}, {"close": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "not_out": ["^250 "], "acc": 0}, "seccomp": true}
{"name": "250- continuation then TLS truncation", "rules": [{"on": "eod", "do": [{"send": "250-2.0.0 Ok: queued as X\r\n"}, {"tls_abort": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "a partial 250 line then TLS truncation", "rules": [{"on": "eod", "do": [{"send": "250 2.0.0 Ok: que"}, {"tls_abort": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "a 250 line without CRLF then close", "rules": [{"on": "eod", "do": [{"send": "250 2.0.0 Ok: queued as Z"}, {"close": true}]}], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "no reply to the final dot (reply timeout)", "rules": [{"on": "eod", "do": [{"stall": "forever"}]}], "bound": 12, "weak": ["no-timeout"], "weak_info": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.2 submitify: no reply from .* to end of data within 3 s"], "acc": 0, "secs_max": 8}, "seccomp": true}
{"name": "3 messages, close after the 2nd final dot", "rules": [{"on": "eod", "nth": 2, "do": [{"close": true}]}], "args": ["-n", "3"], "weak": ["fake-250"], "expect": {"exit": [1, 2], "out": ["^421 4\\.4\\.1 submitify"], "acc": 1}, "seccomp": true}
{"name": "3 messages, reset after the 2nd final dot (pipelined)", "rules": [{"on": "eod", "nth": 2, "do": [{"reset": true}]}], "args": ["-n", "3", "-P"], "weak": ["fake-250"], "expect": {"exit": [1, 2], "out": ["^421 4\\.4\\.1 submitify"], "acc": 1}, "seccomp": true}
{"name": "3 messages, 451 to the 2nd final dot", "rules": [{"on": "eod", "nth": 2, "do": [{"reply": "451 4.3.0 not this one"}]}], "args": ["-n", "3"], "expect": {"exit": [1], "out": ["^451 4\\.3\\.0 not this one$"], "acc": 1}, "seccomp": true}
{"name": "close after the final dot, pipelined MAIL/RCPT/DATA", "rules": [{"on": "eod", "do": [{"close": true}]}], "args": ["-P"], "weak": ["fake-250"], "expect": {"exit": [1], "out": ["^421 4\\.4\\.1 submitify"], "acc": 0}, "seccomp": true}
{"name": "control: a normal message", "rules": [], "args": ["-n", "2"], "expect": {"exit": [0], "acc": 2}}
EOF
hs_group item10 "$spec"
hs_finish
