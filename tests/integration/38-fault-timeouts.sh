#!/bin/bash
# 38-fault-timeouts: docs/SECURITY.md case 13 (RFC 5321 4.5.3.2 waits).
# With "timeout 3" in submit.conf: a server that never greets, drips its
# greeting or a reply one byte a second, stalls at EHLO, in the TLS
# handshake, after AUTH, MAIL, RCPT, DATA, in the middle of the message or
# after the final dot; a program that connects and says nothing, or stops
# in the middle of a transaction or of the message.  Each must end within
# 8 s with a 421 (or the server's reply), nothing accepted that the program
# was not told about, the helper gone.  Every case runs again with
# helper/weak/submitify-helper-no-timeout, which waits for ever: the
# program is given 12 s, and a twin still waiting then (or a helper still
# running) is the weak helper failing the test, as it must.  When the
# program is the silent one, the helper is expected to end the upstream
# session with QUIT (what relay.c's idle timeout sets out to do).
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/item13.jsonl
hs_spec "$spec"
W='"weak": ["no-timeout"], "bound": 12'
# Each case runs once more with the program under the seccomp supervisor.
S='"seccomp": true'
SETUP='"exit": [1], "no_cmd": ["MAIL"], "secs_max": 8'
cat >> "$spec" <<EOF
{"name": "the server never greets", "rules": [{"on": "connect", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: no answer from \\\\S+ in time$"], $SETUP}}
{"name": "the greeting drips one byte a second", "rules": [{"on": "connect", "do": [{"drip": "220 mail.test ESMTP smtpd.py\\r\\n", "interval": 1}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: no answer from \\\\S+ in time$"], $SETUP}}
{"name": "no reply to EHLO", "rules": [{"on": "EHLO", "layer": "plain", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: "], $SETUP}}
{"name": "the TLS handshake stalls", "rules": [{"on": "handshake", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: "], $SETUP}}
{"name": "the EHLO reply after TLS drips one byte a second", "rules": [{"on": "EHLO", "layer": "tls", "do": [{"drip": "250-mail.test\\r\\n250 AUTH PLAIN LOGIN\\r\\n", "interval": 1}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: "], $SETUP}}
{"name": "no reply to AUTH", "rules": [{"on": "AUTH", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"out": ["^421 4\\\\.4\\\\.2 submitify: "], $SETUP}}
{"name": "no reply to MAIL", "rules": [{"on": "MAIL", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to MAIL within 3 s$"], "acc": 0, "secs_max": 8}}
{"name": "the MAIL reply drips one byte a second", "rules": [{"on": "MAIL", "do": [{"drip": "250 2.1.0 Ok\\r\\n", "interval": 1}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to MAIL within 3 s$"], "acc": 0, "secs_max": 8}}
{"name": "no reply to RCPT", "rules": [{"on": "RCPT", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to command within 3 s$"], "acc": 0, "secs_max": 8}}
{"name": "no reply to DATA", "rules": [{"on": "DATA", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to DATA within 3 s$"], "acc": 0, "secs_max": 8}}
{"name": "the server stops reading in the middle of the message", "rules": [{"on": "data_bytes", "bytes": 1024, "do": [{"stall": "forever"}]}], "args": ["-s", "20000"], $W, $S, "expect": {"exit": [1, 2], "out": ["^421 4\\\\.4\\\\.2 submitify: "], "acc": 0, "secs_max": 8}}
{"name": "no reply to the final dot", "rules": [{"on": "eod", "do": [{"stall": "forever"}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to end of data within 3 s$"], "acc": 0, "secs_max": 8}}
{"name": "the reply to the final dot drips one byte a second", "rules": [{"on": "eod", "do": [{"drip": "250 2.0.0 Ok: queued as DRIP\\r\\n", "interval": 1}]}], $W, $S, "expect": {"exit": [1], "out": ["^421 4\\\\.4\\\\.2 submitify: no reply from \\\\S+ to end of data within 3 s$"], "secs_max": 8}}
{"name": "the program connects and says nothing", "client": "raw", "raw_opts": ["--wait", "11"], "args": ["<", "<"], $W, $S, "expect": {"out": ["^<- 220 ", "^<- 421 4\\\\.[45]\\\\.\\\\d submitify: the program sent nothing for 3 s"], "not_out": ["TIMEOUT"], "cmd": {"QUIT": 1, "MAIL": 0}, "end": "^quit", "secs_max": 8}}
{"name": "the program stops after RCPT", "client": "raw", "raw_opts": ["--wait", "11"], "args": ["%hello", ">MAIL FROM:<a@client.test>\\\\r\\\\n", "<", ">RCPT TO:<b@example.test>\\\\r\\\\n", "<", "<"], $W, $S, "expect": {"out": ["^<- 421 4\\\\.[45]\\\\.\\\\d submitify: the program sent nothing for 3 s"], "not_out": ["TIMEOUT"], "acc": 0, "no_cmd": ["DATA"], "cmd": {"QUIT": 1}, "secs_max": 8}}
{"name": "the program stops in the middle of the message", "client": "raw", "raw_opts": ["--wait", "11"], "args": ["%hello", "%env", ">Subject: t\\\\r\\\\nMessage-ID: <%ID>\\\\r\\\\n\\\\r\\\\nhalf a mess", "<"], $W, $S, "expect": {"out": ["^<- 421 4\\\\.[45]\\\\.\\\\d submitify: the program sent nothing for 3 s"], "not_out": ["TIMEOUT"], "acc": 0, "end": "during=data", "secs_max": 8}}
EOF
hs_group item13 "$spec"
hs_finish
