#!/usr/bin/env python3
"""The msmtp-vs-submitify matrix: every block of tests/msmtp/blocks through
msmtp's sendmail mode and through submitify with a plain SMTP program, both
against the rig, and what the rig saw compared.

    matrix.py --blocks FILE --doc submit.conf.5 --man msmtp.1.gz
              --submitify BIN --client BIN --vars VARS.json --tmp DIR
              --maildir DIR --maillog FILE [--proxy-log F] [--socket-log F]

VARS.json holds what each ${NAME} of the blocks stands for; --maildir and
--maillog are the rig's recipient's mailbox and Postfix's log.

What each block must do comes from the status that submit.conf(5)'s MSMTP
KEYS section gives its keys (see the header of the blocks file); the keys
msmtp documents come from msmtp(1), and each must have a status and a
block.  Prints one line per block and exits 1 if any block, or the
completeness check, fails.
"""
import argparse
import email
import email.policy
import email.utils
import gzip
import json
import os
import re
import string
import subprocess
import sys
import time

RCPT = "bob@example.test"
SENDER = "alice@example.test"
PROGRAM_HOST = "192.0.2.25"     # TEST-NET: only the shim can take it
RUN_LIMIT = 60                   # seconds for one msmtp or submitify run
DELIVERY_LIMIT = 30              # seconds for every accepted message to land
EX_CONFIG = 78
# ${BASE} in a block: the rig's submission account for alice, as a pasted
# ~/.msmtprc account has it.
BASE = """host localhost
port ${SUB}
tls on
tls_trust_file ${CA}
auth on
user alice
password ${PASS}
from alice@example.test"""

# What a key's status in submit.conf(5) asks of a block that uses it, in
# order of precedence: a key named under two (protocol: supported as smtp,
# an error otherwise) takes the first.
STATUSES = ("same", "warned", "refused")
PARAGRAPHS = (("Supported", "same"), ("Errors", "refused"),
              ("Read, named in a warning", "warned"))


class Problem(Exception):
    pass


def msmtp_keys(path):
    """The configuration commands of msmtp(1): the .IP entries of its
    CONFIGURATION FILES section and the old names it says it still takes."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        text = f.read()
    parts = re.split(r"^\.SH ", text, flags=re.M)
    sec = [p for p in parts if p.startswith("CONFIGURATION FILES")]
    if len(sec) != 1:
        raise Problem("%s: no CONFIGURATION FILES section" % path)
    keys = set(re.findall(r'^\.IP "([a-z_]+)', sec[0], re.M))
    keys |= set(re.findall(
        r"compatibility with older versions, \\fB([a-z_]+)\\fP", sec[0]))
    if len(keys) < 40 or not {"host", "tls", "account"} <= keys:
        raise Problem("%s: only %d keys found; has its format changed?"
                      % (path, len(keys)))
    return keys


def doc_status(path):
    """Each key of submit.conf(5)'s MSMTP KEYS section and its status."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^\.Sh MSMTP KEYS\n(.*?)^\.Sh ", text, re.M | re.S)
    if m is None:
        raise Problem("%s: no MSMTP KEYS section" % path)
    found = {}
    for para in m.group(1).split("\n.Pp\n"):
        keys = re.findall(r"^\.Cm (\S+)", para, re.M)
        kinds = [k for lead, k in PARAGRAPHS if para.startswith(lead)]
        if not kinds and keys:
            raise Problem("%s: MSMTP KEYS has a paragraph of keys that "
                          "starts \"%s\", with no status this test knows"
                          % (path, para.split("\n")[0]))
        for key in keys:
            found.setdefault(key, set()).update(kinds)
    return {k: next(s for s in STATUSES if s in v) for k, v in found.items()}


def doc_text(path, section):
    """A section of submit.conf(5) as a reader sees it, blanks folded."""
    out = subprocess.run(["mandoc", "-T", "utf8", path], capture_output=True,
                         check=True, timeout=RUN_LIMIT).stdout.decode()
    m = re.search(r"^%s\n(.*?)^\S" % re.escape(section),
                  re.sub(".\b", "", out), re.M | re.S)
    if m is None:
        raise Problem("%s: no %s section" % (path, section))
    return " ".join(m.group(1).split())


def parse_outcome(text):
    """An @msmtp or @submitify line: "delivered" or "not delivered", then
    "; NAME=REGEX" for each fact the rig must have seen (NAME a key of
    facts(), or exit for the exit status)."""
    parts = [p.strip() for p in text.split(";")]
    if parts[0] not in ("delivered", "not delivered"):
        raise Problem("an outcome that is not delivered or not delivered: "
                      + text)
    want = dict(p.split("=", 1) for p in parts[1:])
    return parts[0] == "delivered", want


def read_blocks(path, subst):
    blocks, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("== "):
                cur = {"name": line[3:].strip(), "opts": {}, "lines": []}
                blocks.append(cur)
            elif cur is None:
                continue
            elif line.startswith("@"):
                key, _, val = line[1:].partition(" ")
                cur["opts"][key] = string.Template(val).substitute(subst)
            else:
                cur["lines"].append(line)
    for b in blocks:
        # Comments between blocks belong to no block.
        while b["lines"] and (not b["lines"][-1].strip() or
                              b["lines"][-1].startswith("#")):
            b["lines"].pop()
        text = "\n".join(b["lines"]).replace("${BASE}", BASE)
        b["text"] = string.Template(text).substitute(subst) + "\n"
        b["keys"] = {}
        for n, line in enumerate(b["text"].split("\n"), 1):
            words = line.split()
            if words and not words[0].startswith("#"):
                b["keys"].setdefault(words[0], n)
    return blocks


def expectation(block, status):
    """'same', 'warned' (with the keys) or 'refused' (with the first key
    and its line); None and the keys for keys without a status."""
    unknown = [k for k in block["keys"] if k not in status]
    if unknown:
        return None, unknown
    if "expect" in block["opts"]:
        return "expect", block["opts"]["expect"]
    if "differs" in block["opts"]:
        return "differs", {side: parse_outcome(block["opts"].get(side, ""))
                           for side in ("msmtp", "submitify")}
    refused = [(n, k) for k, n in block["keys"].items()
               if status[k] == "refused"]
    if refused:
        return "refused", min(refused)
    warned = [k for k in block["keys"] if status[k] == "warned"]
    if warned:
        return "warned", warned
    return "same", None


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


class Mailbox:
    """The rig's mailbox of the recipient, by Message-ID."""

    def __init__(self, maildir):
        self.maildir = maildir
        self.seen = {}

    def scan(self):
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            for name in os.listdir(d):
                base = name.split(":")[0]
                if base in self.seen:
                    continue
                with open(os.path.join(d, name), "rb") as f:
                    msg = email.message_from_binary_file(
                        f, policy=email.policy.compat32)
                self.seen[base] = (os.path.join(d, name),
                                   (msg["Message-ID"] or "").strip("<> "))

    def find(self, msgid):
        return [p for p, m in self.seen.values() if m == msgid]


def facts(path, maillog):
    """What the rig saw of one delivered message."""
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    rcvd = " ".join(msg.get_all("Received")[0].split())
    m = re.match(r"from (\S+) \(\S+ \[([^\]]+)\]\)", rcvd)
    tls = re.search(r"\(using (TLSv[0-9.]+) ", rcvd)
    via = re.search(r" with (\w+) id (\w+)", rcvd)
    if m is None or via is None:
        raise Problem("%s: a Received: field this test cannot read: %s"
                      % (path, rcvd))
    log = re.search(r"postfix-rig/([\w-]+)/smtpd\[\d+\]: %s: client=[^\n]*"
                    % via.group(2), maillog)
    sasl = re.search(r"sasl_method=([^,\s]+), sasl_username=(\S+)",
                     log.group(0)) if log else None
    return {
        "listener": log.group(1) if log else "?",
        "ehlo": m.group(1),
        "client": m.group(2),
        "tls": tls.group(1) if tls else "none",
        "with": via.group(1),
        "auth": "%s as %s" % sasl.groups() if sasl else "none",
        "mail_from": (msg["Return-Path"] or "").strip(),
        "rcpt_to": (msg["Delivered-To"] or "").strip(),
        "from_field": email.utils.parseaddr(msg["From"] or "")[1],
    }


class Matrix:
    def __init__(self, args):
        self.args = args
        with open(args.vars, encoding="utf-8") as f:
            self.vars = json.load(f)
        self.runid = "%d.%d" % (os.getpid(), int(time.time()))
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SUBMITIFY_") and k != "LD_PRELOAD"}
        self.env["HOME"] = os.path.join(args.tmp, "home")
        os.makedirs(self.env["HOME"], exist_ok=True)
        self.failures = []

    def vias(self):
        return {"proxy": self.args.proxy_log, "socket": self.args.socket_log}

    def run(self, block, side, idx):
        """One delivery attempt; returns what happened."""
        conf = os.path.join(self.args.tmp, "block%02d.conf" % idx)
        msgid = "m%02d-%s-%s@matrix.test" % (idx, side, self.runid)
        sender = block["opts"].get("sender", SENDER)
        acct = block["opts"].get("account")
        if side == "msmtp":
            cmd = ["msmtp", "-C", conf] + (["-a", acct] if acct else [])
            cmd += [RCPT]
            stdin = ("From: <%s>\nTo: <%s>\nSubject: matrix %s\n"
                     "Message-ID: <%s>\n\nOne message of the msmtp matrix.\n"
                     % (sender, RCPT, block["name"], msgid)).encode()
        else:
            cmd = [self.args.submitify, "-c", conf]
            cmd += (["-a", acct] if acct else []) + ["--"]
            cmd += [self.args.client, "-f", sender, "-t", RCPT, "-i", msgid,
                    PROGRAM_HOST]
            stdin = b""
        watched = {k: p for k, p in self.vias().items()
                   if k == block["opts"].get("via")}
        if "logfile" in block["opts"]:
            watched["logfile"] = block["opts"]["logfile"]
        before = {k: count_lines(p) for k, p in watched.items()}
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True,
                                  env=self.env, timeout=RUN_LIMIT)
            rc, out = proc.returncode, (proc.stdout + proc.stderr).decode(
                "utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, out = "timeout", ""
        return {"side": side, "rc": rc, "out": out, "msgid": msgid,
                "conf": conf, "added": {k: count_lines(p) - before[k]
                                        for k, p in watched.items()}}

    def fail(self, block, why):
        line = "FAILED: %s: %s" % (block["name"], why)
        self.failures.append(line)
        print(line, flush=True)

    def last_said(self, r):
        lines = [l for l in r["out"].splitlines() if l.strip()]
        return "exit %s: %s" % (r["rc"], lines[-1] if lines else "")

    def delivered(self, block, r, mbox):
        """Whether r delivered exactly once, with its side's own checks."""
        n = len(mbox.find(r["msgid"]))
        if r["rc"] != 0 or n != 1:
            self.fail(block, "%s did not deliver once (%d copies; %s)"
                      % (r["side"], n, self.last_said(r)))
            return False
        for what, added in r["added"].items():
            if added < 1:
                self.fail(block, "%s delivered without its %s"
                          % (r["side"], what))
                return False
        return True

    def not_delivered(self, block, r, mbox, maillog):
        """submitify refused the file: the program never ran, the rig never
        saw the message."""
        if mbox.find(r["msgid"]) or ("message-id=<%s>" % r["msgid"]) in maillog:
            self.fail(block, "submitify refused but the message reached the rig")
            return False
        if any(r["added"].values()):
            self.fail(block, "submitify refused but went through the %s"
                      % ", ".join(k for k, v in r["added"].items() if v))
            return False
        if "<- " in r["out"] or "-> " in r["out"]:
            self.fail(block, "submitify refused but the program ran: %s"
                      % self.last_said(r))
            return False
        return True

    def refused(self, block, r, line, words):
        """Exit EX_CONFIG with a file:line: error (line: a number, or a
        pattern) that says words."""
        want = r"(^|\n)submitify: %s:%s: [^\n]*?\b%s\b" % (
            re.escape(r["conf"]), line, re.escape(words))
        if r["rc"] != EX_CONFIG or not re.search(want, r["out"]):
            self.fail(block, "submitify did not refuse with %s:%s: ...%s "
                      "(%s)" % (r["conf"], line, words, self.last_said(r)))
            return False
        return True

    def documented(self, block, key, doc):
        """Whether the @key phrase of block is in DIFFERENCES FROM MSMTP."""
        phrase = block["opts"].get(key, "")
        if not phrase or " ".join(phrase.split()) not in doc:
            self.fail(block, "submit.conf(5)'s DIFFERENCES FROM MSMTP does "
                      "not say: %s" % phrase)
            return False
        return True

    def outcome(self, block, r, want, mbox, maillog):
        """Whether r did what an @msmtp or @submitify line says; returns
        what it did, or None (and the block failed)."""
        delivered, facts_want = want
        copies = mbox.find(r["msgid"])
        if delivered and not self.delivered(block, r, mbox):
            return None
        if not delivered and (r["rc"] == 0 or copies or (
                "message-id=<%s>" % r["msgid"]) in maillog):
            self.fail(block, "%s delivered, or accepted the message (%s)"
                      % (r["side"], self.last_said(r)))
            return None
        seen = facts(copies[0], maillog) if delivered else {}
        seen["exit"] = str(r["rc"])
        for k, rx in sorted(facts_want.items()):
            if k not in seen or not re.fullmatch(rx, seen[k]):
                self.fail(block, "%s: %s is %s, not %s" % (
                    r["side"], k, seen.get(k, "unknown"), rx))
                return None
        return "%s%s" % ("delivered" if delivered else "not delivered",
                         "".join(", %s %s" % (k, seen[k])
                                 for k in sorted(facts_want)))

    def judge(self, block, kind, detail, m, s, mbox, maillog, doc):
        name = block["name"]
        if kind == "differs":
            if not self.documented(block, "differs", doc):
                return
            said = [self.outcome(block, r, detail[r["side"]], mbox, maillog)
                    for r in (m, s)]
            if None not in said:
                print("differs as documented: %s (msmtp: %s; submitify: %s)"
                      % (name, said[0], said[1]))
            return
        if kind == "expect":
            if not self.documented(block, "doc", doc):
                return
            if not (self.refused(block, s, r"\d+", detail) and
                    self.not_delivered(block, s, mbox, maillog)):
                return
            ms = ("delivered" if m["rc"] == 0 and mbox.find(m["msgid"])
                  else "not delivered either (%s)" % self.last_said(m))
            print("refused as documented: %s (msmtp: %s)" % (name, ms))
            return
        if not self.delivered(block, m, mbox):
            return
        if kind == "refused":
            key, line = detail[1], detail[0]
            if self.refused(block, s, line, key) and \
                    self.not_delivered(block, s, mbox, maillog):
                print("refused as documented: %s (%s, line %d; msmtp "
                      "delivered)" % (name, key, line))
            return
        if not self.delivered(block, s, mbox):
            return
        fm = facts(mbox.find(m["msgid"])[0], maillog)
        fs = facts(mbox.find(s["msgid"])[0], maillog)
        diff = ["%s: msmtp %s, submitify %s" % (k, fm[k], fs[k])
                for k in fm if fm[k] != fs[k]]
        if kind == "same":
            if diff:
                self.fail(block, "the rig saw different sessions: "
                          + "; ".join(diff))
                return
            print("same: %s (%s)" % (name, ", ".join(
                "%s %s" % (k, fm[k]) for k in ("listener", "tls", "auth"))))
            return
        warning = [l for l in s["out"].splitlines() if "ignoring msmtp "
                   "settings that submitify has no use for:" in l]
        named = set(re.split(r"[\s,]+", warning[0].split("no use for:")[1])
                    ) if warning else set()
        if not set(detail) <= named:
            self.fail(block, "submitify's warning does not name %s: %s"
                      % (", ".join(sorted(set(detail) - named)),
                         warning[0] if warning else "no warning"))
            return
        print("warned as documented: %s%s" % (
            name, " (unlike msmtp's: %s)" % "; ".join(diff) if diff else ""))

    def main(self):
        a = self.args
        keys = msmtp_keys(a.man)
        status = doc_status(a.doc)
        doc = doc_text(a.doc, "DIFFERENCES FROM MSMTP")
        blocks = read_blocks(a.blocks, self.vars)
        plan = []
        for idx, b in enumerate(blocks, 1):
            with open(os.path.join(a.tmp, "block%02d.conf" % idx), "w",
                      encoding="utf-8", opener=lambda p, fl: os.open(
                          p, fl, 0o600)) as f:
                f.write(b["text"])
            kind, detail = expectation(b, status)
            if kind is None:
                self.fail(b, "keys without a status in submit.conf(5): %s"
                          % ", ".join(detail))
                continue
            plan.append((b, kind, detail, self.run(b, "msmtp", idx),
                         self.run(b, "submitify", idx)))
        mbox = Mailbox(a.maildir)
        want = [r["msgid"] for p in plan for r in p[3:] if r["rc"] == 0]
        deadline = time.monotonic() + DELIVERY_LIMIT
        while True:
            mbox.scan()
            if all(mbox.find(i) for i in want) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(1)           # a second copy, or a refused one, would show
        mbox.scan()
        with open(a.maillog, encoding="utf-8", errors="replace") as f:
            maillog = f.read()
        for p in plan:
            self.judge(*p, mbox=mbox, maillog=maillog, doc=doc)

        nostatus = sorted(keys - set(status))
        if nostatus:
            self.failures.append("msmtp keys without a status in "
                                 "submit.conf(5)'s MSMTP KEYS: "
                                 + ", ".join(nostatus))
        used = set().union(*(b["keys"] for b in blocks))
        noblock = sorted(keys - used)
        if noblock:
            self.failures.append("msmtp keys in no block of the matrix: "
                                 + ", ".join(noblock))
        print("%d blocks, %d msmtp keys (all with a status and a block "
              "unless said below); %d failed" % (
                  len(blocks), len(keys), len(self.failures)))
        for f in self.failures:
            print(f)
        return 1 if self.failures else 0


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--blocks", "--doc", "--man", "--submitify", "--client",
                "--vars", "--tmp", "--maildir", "--maillog"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--proxy-log", default="")
    ap.add_argument("--socket-log", default="")
    try:
        return Matrix(ap.parse_args()).main()
    except Problem as e:
        print("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
