#!/bin/bash
# 36-fault-eod-smuggling: docs/SECURITY.md case 11, where the data ends.
# A raw client (tests/harness/rawsmtp.py) sends exact bytes through the
# intercepted connection: "\n.\n", "\n.\r\n", "\r\n.\n", bare CR, dot-stuffed
# lines (also split across writes), content pipelined after DATA, the
# classic SMTP smuggling payload (CVE-2023-51764), and BDAT.  The same cases
# run against a strict server (data ends only at CRLF.CRLF) and a lenient
# one (also at LF.LF, CRLF.LF, LF.CRLF): with bare-LF repair on, both must
# record the same single message and answer what follows as commands; a
# dot line next to a bare LF in a message whose lines end in CRLF is
# ambiguous (it is the smuggling payload's shape) and refused, while a
# program that ends every line, commands included, with a bare LF ends its
# message at LF.LF;
# from a program that has sent CRLF (here its commands), a dot next to a
# bare LF never ends the data, even when the message's first lines end in
# a bare LF; with fix_bare_lf off a bare LF is refused; a bare CR is refused in both
# modes; the smuggled MAIL FROM:<evil@x> is never accepted.  The naive-data weak
# helper (message bytes verbatim, end only at CRLF.CRLF) must fail the
# smuggling cases against the lenient server.  Every case that ends in a
# refusal (the 421s, the refused RCPT) runs once more, with the same
# checks, with the program under the seccomp supervisor ("seccomp": true).
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib/common.sh"
. "$ROOT/tests/harness/lib.sh"
hs_init

# cases FILE WEAKKEY: WEAKKEY is "weak" (the naive-data twin must fail) or
# "weak_info" (run for the record only) for the smuggling cases.
cases() {
    local f=$1 wk=$2
    hs_spec "$f"
    # The header every message starts with, and its stored form.
    local H='Subject: t\\r\\nMessage-ID: <%ID>\\r\\n\\r\\n'
    # The same header from a program that ends every line with a bare LF.
    local HL='Subject: t\\nMessage-ID: <%ID>\\n\\n'
    # The refusals run once more with the program under the supervisor.
    local S='"seccomp": true'
    local SMUG='MAIL FROM:<evil@x>\\r\\nRCPT TO:<victim@y>\\r\\nDATA\\r\\nSubject: evil\\r\\nMessage-ID: <%ID.evil>\\r\\n\\r\\nsmuggled\\r\\n.\\r\\n'
    cat >> "$f" <<EOF
{"name": "an LF-only program (commands too) ends at LF.LF; NOOP after the reply is a command", "client": "raw", "args": ["<", ">EHLO client.test\\\\n", "<", ">MAIL FROM:<a@client.test>\\\\n", "<", ">RCPT TO:<b@example.test>\\\\n", "<", ">DATA\\\\n", "<", ">${HL}line one\\\\nline two\\\\n.\\\\n", "<", ">NOOP\\\\n", "<", ">QUIT\\\\n", "<*"], "weak": ["naive-data"], "expect": {"out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued as \\\\S+\\\\n<- 250 2\\\\.0\\\\.0 Ok\\\\n<- 221 "], "acc": 1, "bare_lf": 0, "cmd": {"NOOP": 1, "DATA": 1, "MAIL": 1}, "body": "${H}line one\\\\r\\\\nline two\\\\r\\\\n"}}
{"name": "a CRLF program whose message starts with bare-LF lines: LF.LF is refused", "client": "raw", "args": ["%hello", "%env", ">${HL}line one\\\\n.\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: a dot line next to a bare LF"], "acc": 0}, $S}
{"name": "smuggling: a CRLF program, a first line ending in LF, LF.LF, then MAIL/RCPT/DATA", "client": "raw", "args": ["%hello", "%env", ">x\\\\n.\\\\n${SMUG}", "<*"], "$wk": ["naive-data"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: a dot line next to a bare LF"], "not_from": ["evil@x"], "acc": 0, "cmd": {"MAIL": 1, "RCPT": 1, "DATA": 1}}, $S}
{"name": "LF.LF after CRLF lines is refused as ambiguous", "client": "raw", "args": ["%hello", "%env", ">${H}line one\\\\nline two\\\\n.\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: a dot line next to a bare LF"], "acc": 0}, $S}
{"name": "LF.CRLF is refused as ambiguous", "client": "raw", "args": ["%hello", "%env", ">${H}line one\\\\n.\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: a dot line next to a bare LF"], "acc": 0}, $S}
{"name": "CRLF.LF is refused as ambiguous", "client": "raw", "args": ["%hello", "%env", ">${H}line one\\\\r\\\\n.\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: a dot line next to a bare LF"], "acc": 0}, $S}
{"name": "smuggling: LF.CRLF then MAIL/RCPT/DATA in the same write", "client": "raw", "args": ["%hello", "%env", ">${H}hello\\\\n.\\\\r\\\\n${SMUG}", "<", ">QUIT\\\\r\\\\n", "<*"], "$wk": ["naive-data"], "expect": {"not_from": ["evil@x"], "acc_max": 1, "cmd": {"MAIL": 1, "DATA": 1}}}
{"name": "smuggling: LF.LF then MAIL/RCPT/DATA in the same write", "client": "raw", "args": ["%hello", "%env", ">${H}hello\\\\n.\\\\n${SMUG}", "<", ">QUIT\\\\r\\\\n", "<*"], "$wk": ["naive-data"], "expect": {"not_from": ["evil@x"], "acc_max": 1, "cmd": {"MAIL": 1, "DATA": 1}}}
{"name": "smuggling: CRLF.LF then MAIL/RCPT/DATA in the same write", "client": "raw", "args": ["%hello", "%env", ">${H}hello\\\\r\\\\n.\\\\n${SMUG}", "<", ">QUIT\\\\r\\\\n", "<*"], "$wk": ["naive-data"], "expect": {"not_from": ["evil@x"], "acc_max": 1, "cmd": {"MAIL": 1, "DATA": 1}}}
{"name": "smuggling: CR.CRLF (bare CR) then MAIL/RCPT/DATA", "client": "raw", "args": ["%hello", "%env", ">${H}hello\\\\r.\\\\r\\\\n${SMUG}", "<*"], "$wk": ["naive-data"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare CR"], "not_from": ["evil@x"], "acc": 0}, $S}
{"name": "smuggling with fix_bare_lf off: LF.CRLF is refused", "client": "raw", "conf": {"fix_bare_lf": "off"}, "args": ["%hello", "%env", ">${H}hello\\\\n.\\\\r\\\\n${SMUG}", "<*"], "$wk": ["naive-data"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare LF"], "not_from": ["evil@x"], "acc": 0}, $S}
{"name": "fix_bare_lf off: a bare LF in a line is refused", "client": "raw", "conf": {"fix_bare_lf": "off"}, "args": ["%hello", "%env", ">${H}line\\\\nmore\\\\r\\\\n.\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare LF in the message"], "not_out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 0, "end": "during=data|eof"}, $S}
{"name": "fix_bare_lf off: LF.LF is refused", "client": "raw", "conf": {"fix_bare_lf": "off"}, "args": ["%hello", "%env", ">${H}line\\\\n.\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare LF"], "acc": 0}, $S}
{"name": "bare CR inside a line is refused (repair on)", "client": "raw", "args": ["%hello", "%env", ">${H}a\\\\rb\\\\r\\\\n.\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare CR"], "acc": 0}, $S}
{"name": "bare CR inside a line is refused (repair off)", "client": "raw", "conf": {"fix_bare_lf": "off"}, "args": ["%hello", "%env", ">${H}a\\\\rb\\\\r\\\\n.\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare CR"], "acc": 0}, $S}
{"name": "CR CR LF is refused", "client": "raw", "args": ["%hello", "%env", ">${H}a\\\\r\\\\r\\\\n.\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 421 4\\\\.5\\\\.0 submitify: bare CR"], "acc": 0}, $S}
{"name": "a CRLF split across two writes is not a bare CR", "client": "raw", "args": ["%hello", "%env", ">${H}abc\\\\r", "=0.3", ">\\\\n.\\\\r\\\\n", "<", ">QUIT\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 1, "body": "${H}abc\\\\r\\\\n"}}
{"name": "dot-stuffed lines reach the server as the program meant them", "client": "raw", "args": ["%hello", "%env", ">${H}..\\\\r\\\\n...\\\\r\\\\n..hidden\\\\r\\\\n.. \\\\r\\\\nend\\\\r\\\\n.\\\\r\\\\n", "<", ">QUIT\\\\r\\\\n", "<*"], "weak_info": ["naive-data"], "expect": {"out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 1, "body": "${H}.\\\\r\\\\n..\\\\r\\\\n.hidden\\\\r\\\\n. \\\\r\\\\nend\\\\r\\\\n"}}
{"name": "a stuffed dot and the end of data split across writes", "client": "raw", "args": ["%hello", "%env", ">${H}one\\\\r\\\\n.", "=0.3", ">.\\\\r\\\\ntwo\\\\r\\\\n.", "=0.3", ">\\\\r\\\\n", "<", ">QUIT\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 250 2\\\\.0\\\\.0 Ok: queued"], "acc": 1, "body": "${H}one\\\\r\\\\n.\\\\r\\\\ntwo\\\\r\\\\n"}}
{"name": "content pipelined after DATA (before the 354), then NOOP", "client": "raw", "args": ["%hello", ">MAIL FROM:<a@client.test>\\\\r\\\\nRCPT TO:<b@example.test>\\\\r\\\\nDATA\\\\r\\\\n${H}body\\\\r\\\\n.\\\\r\\\\nNOOP\\\\r\\\\n", "<5", ">QUIT\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 250 2\\\\.1\\\\.0 Ok\\\\n<- 250 2\\\\.1\\\\.5 Ok\\\\n<- 354 .*\\\\n<- 250 2\\\\.0\\\\.0 Ok: queued as \\\\S+\\\\n<- 250 2\\\\.0\\\\.0 Ok\\\\n<- 221 "], "acc": 1, "cmd": {"NOOP": 1, "MAIL": 1}, "body": "${H}body\\\\r\\\\n"}}
{"name": "pipelined MAIL/RCPT/DATA: a refused RCPT, each reply to its command", "client": "raw", "rules": [{"on": "RCPT", "do": [{"reply": "550 5.1.1 no such user"}]}], "args": ["%hello", ">MAIL FROM:<a@client.test>\\\\r\\\\nRCPT TO:<nobody@example.test>\\\\r\\\\nDATA\\\\r\\\\n", "<3", ">QUIT\\\\r\\\\n", "<*"], "expect": {"out": ["^<- 250 2\\\\.1\\\\.0 Ok\\\\n<- 550 5\\\\.1\\\\.1 no such user\\\\n<- 5\\\\d\\\\d .*\\\\n<- 221 "], "acc": 0}, $S}
{"name": "CHUNKING is not offered; BDAT gets a 421", "client": "raw", "rules": [{"on": "EHLO", "layer": "tls", "do": [{"ehlo_add": ["CHUNKING", "BINARYMIME"]}]}], "args": ["%hello", ">MAIL FROM:<a@client.test>\\\\r\\\\n", "<", ">RCPT TO:<b@example.test>\\\\r\\\\n", "<", ">BDAT 12 LAST\\\\r\\\\nhello world\\\\n", "<*"], "expect": {"out": ["^<- 250-PIPELINING", "^<- 421 4\\\\.5\\\\.0 submitify: BDAT"], "not_out": ["CHUNKING", "BINARYMIME"], "no_cmd": ["BDAT"], "acc": 0}, $S}
EOF
}

cases "$HS_TMP/strict.jsonl" weak_info
cases "$HS_TMP/lenient.jsonl" weak
hs_group item11-strict "$HS_TMP/strict.jsonl" --eod strict
hs_group item11-lenient "$HS_TMP/lenient.jsonl" --eod lenient
hs_finish
