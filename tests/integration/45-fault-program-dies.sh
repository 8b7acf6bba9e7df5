#!/bin/bash
# 45-fault-program-dies: the program is killed (SIGKILL) or closes its
# socket without QUIT: in the middle of the message, right after its final
# dot, while the server holds the reply to it, between transactions, after
# RCPT, during setup, before the greeting.  The helper must end the
# upstream session itself (QUIT when no message is open; a dropped
# connection inside DATA, so that no partial message is accepted), exit
# within 6 s, and leave no process behind.  A message whose final dot the
# server received whole may be accepted (the program was not there to be
# told); anything cut short must not be.  The cases in which nothing may be
# accepted run again with the program under the seccomp supervisor
# ("seccomp": true): there the helper the supervisor started must end its
# session and exit in the same way, and the supervisor must be gone within
# the same 6 s.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/program-dies.jsonl
hs_spec "$spec"
body=$(for i in $(seq 1 100); do printf 'line of text %03d\\\\r\\\\n' "$i"; done)
# The cases in which nothing may be delivered run once more with the
# program under the supervisor.
S='"seccomp": true'
H='>Subject: p\\r\\nMessage-ID: <%ID>\\r\\n\\r\\n'
cat >> "$spec" <<EOF
{"name": "SIGKILL mid-message (raw program)", "client": "raw", "kill_client": {"on": "data", "bytes": 500}, "args": ["%hello", "%env", "$H$body", "=15"], "expect": {"acc": 0, "end": "during=data", "helper_exit": ["1"], "log": "error=the program left during DATA; the message was not sent"}, $S}
{"name": "SIGKILL mid-message (smtpclient, 20 MB message)", "kill_client": {"on": "data", "bytes": 20000}, "args": ["-s", "20000000"], "expect": {"acc": 0, "end": "during=data", "helper_exit": ["1"]}, $S}
{"name": "SIGKILL while the server holds its reply to the final dot", "rules": [{"on": "eod", "do": [{"sleep": 1.5}, {"default": true}]}], "kill_client": {"on": "eod"}, "expect": {"acc": 1, "cmd": {"QUIT": 1}, "end": "^quit", "helper_exit": ["0", "1"]}}
{"name": "SIGKILL during setup (the greeting is slow)", "rules": [{"on": "connect", "do": [{"sleep": 1.5}, {"default": true}]}], "kill_client": {"after": 0.5}, "expect": {"acc": 0, "no_cmd": ["MAIL"], "helper_exit": ["0", "1"]}, $S}
{"name": "close without QUIT after a complete message", "client": "raw", "args": ["%hello", "%env", "${H}all of it\\\\r\\\\n.\\\\r\\\\n", "<", "!"], "expect": {"out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 1, "cmd": {"QUIT": 1}, "end": "^quit", "helper_exit": ["0"]}}
{"name": "close without QUIT after RCPT", "client": "raw", "args": ["%hello", ">MAIL FROM:<a@client.test>\\\\r\\\\n", "<", ">RCPT TO:<b@example.test>\\\\r\\\\n", "<", "!"], "expect": {"acc": 0, "no_cmd": ["DATA"], "cmd": {"QUIT": 1}, "end": "^quit", "helper_exit": ["0"]}, $S}
{"name": "close right after the final dot, before the reply", "client": "raw", "args": ["%hello", "%env", "${H}all of it\\\\r\\\\n.\\\\r\\\\n", "!"], "expect": {"acc_max": 1, "cmd": {"QUIT": 1}, "end": "^quit", "helper_exit": ["0", "1"]}}
{"name": "close in the middle of the message", "client": "raw", "args": ["%hello", "%env", "$H$body", "=0.3", "!"], "expect": {"acc": 0, "end": "during=data", "helper_exit": ["1"], "log": "the program left during DATA"}, $S}
{"name": "close in the middle of a line of the message", "client": "raw", "args": ["%hello", "%env", "${H}half a li", "=0.3", "!"], "expect": {"acc": 0, "end": "during=data", "helper_exit": ["1"]}, $S}
{"name": "close before reading the greeting", "client": "raw", "args": ["!"], "expect": {"acc": 0, "no_cmd": ["MAIL"], "helper_exit": ["0", "1"]}, $S}
EOF
hs_group program-dies "$spec"
hs_finish
