#!/bin/bash
# 44-fault-kill-helper: the helper is killed (SIGKILL) in the middle of a
# message, after the final dot before the server's reply, during setup, and
# between two messages of one session.  The program must get an error
# (EOF, reset or a failed write; never a 250 for the message that was in
# flight); the server must not accept a truncated message (it sees the
# connection end inside DATA); a message acknowledged before the kill is
# there once; nothing is left running (fx.py checks /proc for the
# helper's pid and any helper started for the program).  Every case runs
# again with the program under the seccomp supervisor ("seccomp": true),
# which must be gone too.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/kill-helper.jsonl
hs_spec "$spec"
# About 2 KB of message text for the raw client (rawsmtp escapes).
body=$(for i in $(seq 1 100); do printf 'line of text %03d\\\\r\\\\n' "$i"; done)
# Every case runs once more with the program under the supervisor, which
# started the helper: the same checks, the helper found by its .pid file as
# through the shim.
S='"seccomp": true'
BROKEN='"^(EOF|RESET|SEND-FAILED \\S+|SEND-AFTER-\\S+)$"'
cat >> "$spec" <<EOF
{"name": "SIGKILL mid-message (raw program pauses mid-body)", "client": "raw", "raw_opts": ["--wait", "6"], "kill_helper": {"on": "data", "bytes": 500}, "args": ["%hello", "%env", ">Subject: k\\\\r\\\\nMessage-ID: <%ID>\\\\r\\\\n\\\\r\\\\n$body", "=3", ">the rest\\\\r\\\\n.\\\\r\\\\n", "<", "<*"], "expect": {"out": [$BROKEN], "not_out": ["^<- 250 2\\\\.0\\\\.0"], "acc": 0, "end": "^(eof|reset|eof_no_close_notify) during=data", "helper_exit": ["sig9"]}, $S}
{"name": "SIGKILL mid-message (smtpclient, 20 MB message)", "kill_helper": {"on": "data", "bytes": 20000}, "args": ["-s", "20000000"], "expect": {"exit": [2], "not_out": ["^<- 250 2\\\\.0\\\\.0"], "acc": 0, "end": "during=data", "helper_exit": ["sig9"]}, $S}
{"name": "SIGKILL after the final dot, before the server's reply", "rules": [{"on": "eod", "do": [{"sleep": 1.5}, {"default": true}]}], "kill_helper": {"on": "eod"}, "expect": {"exit": [2], "out": ["connection closed"], "not_out": ["^<- 250 2\\\\.0\\\\.0"], "acc_max": 1, "helper_exit": ["sig9"]}, $S}
{"name": "SIGKILL during setup (the greeting is slow)", "rules": [{"on": "connect", "do": [{"sleep": 2}, {"default": true}]}], "kill_helper": {"after": 0.8}, "expect": {"exit": [2], "not_out": ["^<- 220 "], "no_cmd": ["MAIL"], "acc": 0, "helper_exit": ["sig9"]}, $S}
{"name": "SIGKILL between two messages of a session", "rules": [{"on": "MAIL", "nth": 2, "do": [{"sleep": 2}, {"default": true}]}], "kill_helper": {"on": "cmd", "verb": "MAIL", "n": 2}, "args": ["-n", "2"], "expect": {"exit": [2], "out": ["^-> \\\\.\\\\n<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 1, "cmd": {"DATA": 1}, "helper_exit": ["sig9"]}, $S}
EOF
hs_group kill-helper "$spec"
hs_finish
