#!/bin/bash
# 43-fault-split-replies: replies cut at awkward places.  Multi-line
# replies (greeting and EHLO before TLS) split across TCP segments with
# pauses between them; after TLS, replies split across TLS records (each
# piece its own record), and the TLS bytes themselves cut into 1-byte TCP
# segments; a multi-line reply to the final dot whose last line, or only
# its LF, comes late; pipelined MAIL/RCPT/DATA whose split replies must
# still go to the right commands.  Each case: the message is accepted once
# and the program sees exactly the server's reply lines, in order, with one
# final 250 per message.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init
spec=$HS_TMP/split.jsonl
hs_spec "$spec"
cat >> "$spec" <<'EOF'
{"name": "multi-line greeting in 1-byte TCP segments", "rules": [{"on": "connect", "do": [{"reply": ["220-mail.test first line", "220-second line", "220 mail.test ESMTP"], "segment": 1, "delay": 0.005}]}], "expect": {"exit": [0], "acc": 1}}
{"name": "multi-line greeting split mid-line with 0.4 s pauses", "rules": [{"on": "connect", "do": [{"reply": ["220-mail.test first line", "220 mail.test ESMTP"], "split": [5, 22, 3], "delay": 0.4}]}], "expect": {"exit": [0], "acc": 1}}
{"name": "EHLO reply before TLS split at each line end and mid-line", "rules": [{"on": "EHLO", "layer": "plain", "do": [{"reply": ["250-mail.test", "250-PIPELINING", "250-SIZE 200000000", "250 STARTTLS"], "split": [15, 4, 12, 20, 2], "delay": 0.2}]}], "expect": {"exit": [0], "acc": 1}}
{"name": "EHLO reply after TLS, one TLS record per 3 bytes", "rules": [{"on": "EHLO", "layer": "tls", "do": [{"reply": ["250-mail.test", "250-PIPELINING", "250-SIZE 200000000", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250 AUTH PLAIN LOGIN"], "segment": 3, "delay": 0.01}]}], "expect": {"exit": [0], "acc": 1}}
{"name": "EHLO reply after TLS, its ciphertext in 1-byte TCP segments", "rules": [{"on": "EHLO", "layer": "tls", "do": [{"reply": ["250-mail.test", "250-PIPELINING", "250-SIZE 200000000", "250 AUTH PLAIN LOGIN"], "wire_segment": 1, "wire_delay": 0.001}]}], "expect": {"exit": [0], "acc": 1}}
{"name": "whole session after TLS: every TCP segment 7 bytes", "rules": [{"on": "tls", "do": [{"set": {"wire_segment": 7}}]}], "args": ["-n", "2"], "expect": {"exit": [0], "acc": 2}}
{"name": "multi-line MAIL reply split across TLS records with pauses", "rules": [{"on": "MAIL", "do": [{"reply": ["250-2.1.0 sender part one", "250-2.1.0 sender part two", "250 2.1.0 Ok"], "split": [4, 30, 1, 20], "delay": 0.3}]}], "expect": {"exit": [0], "acc": 1, "out": ["^-> MAIL FROM:<\\S+>\\n<- 250-2\\.1\\.0 sender part one\\n<- 250-2\\.1\\.0 sender part two\\n<- 250 2\\.1\\.0 Ok\\n-> RCPT "]}}
{"name": "multi-line reply to the final dot, last line 1 s late in its own record", "rules": [{"on": "eod", "do": [{"reply": ["250-2.0.0 first part", "250 2.0.0 Ok: queued as SPLIT1"], "split": [22], "delay": 1.0}]}], "expect": {"exit": [0], "acc": 1, "out": ["^-> \\.\\n<- 250-2\\.0\\.0 first part\\n<- 250 2\\.0\\.0 Ok: queued as SPLIT1\\n-> QUIT"]}}
{"name": "reply to the final dot with its LF 1 s late", "rules": [{"on": "eod", "do": [{"send": "250 2.0.0 Ok: queued as SPLIT2\r\n", "split": [31], "delay": 1.0}]}], "expect": {"exit": [0], "acc": 1, "out": ["^-> \\.\\n<- 250 2\\.0\\.0 Ok: queued as SPLIT2\\n-> QUIT"]}}
{"name": "reply to the final dot, one TLS record per byte", "rules": [{"on": "eod", "do": [{"reply": ["250-2.0.0 one", "250 2.0.0 Ok: queued as BYTES"], "segment": 1, "delay": 0}]}], "expect": {"exit": [0], "acc": 1, "out": ["^<- 250 2\\.0\\.0 Ok: queued as BYTES$"]}}
{"name": "pipelined MAIL/RCPT/DATA, multi-line RCPT reply split mid-line", "rules": [{"on": "RCPT", "do": [{"reply": ["250-2.1.5 recipient part", "250 2.1.5 Ok"], "split": [10, 7], "delay": 0.3}]}], "args": ["-P", "-n", "2"], "expect": {"exit": [0], "acc": 2, "out": ["^<- 250 2\\.1\\.0 Ok\\n<- 250-2\\.1\\.5 recipient part\\n<- 250 2\\.1\\.5 Ok\\n<- 354 "]}}
{"name": "pipelined, MAIL/RCPT/DATA replies in one record then split", "rules": [{"on": "DATA", "do": [{"reply": "354 End data with <CR><LF>.<CR><LF>", "split": [2], "delay": 0.3}]}], "args": ["-P", "-n", "3"], "expect": {"exit": [0], "acc": 3}}
{"name": "one-byte TCP segments from the first byte (greeting, handshake, records)", "rules": [{"on": "connect", "do": [{"set": {"wire_segment": 1}}]}], "expect": {"exit": [0], "acc": 1}}
EOF
hs_group split "$spec"
hs_finish
