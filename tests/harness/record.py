#!/usr/bin/env python3
"""The one reader of the scripted server's record, for every scenario of the
harness: lib.sh runs it as a command, fx.py imports it.

    record.py started RECORD [SECONDS PID]
                                        totals.sessions (0 if no record yet);
                                        with the server's PID, of a record
                                        made current and settled first
    record.py settle RECORD SECONDS     wait (bounded) until every session
                                        that started has ended; exit 1 if not
    record.py facts RECORD AFTER_ID [SECONDS [PID]]
                                        key=value lines about the sessions
                                        whose id is greater than AFTER_ID,
                                        after settling for up to SECONDS
                                        (exit 1 if it did not settle)

With PID (the server's), the record is first made current: the server
rewrites it on SIGUSR1, and only a record written after the signal counts.
Without that, a record whose writes are spaced out (the server waits four
times as long as the last rewrite took) may not show a session at all yet,
and "no AUTH in the record" would hold for the wrong reason.

The record is rewritten atomically by the server, so a read never sees half
a file; a missing or unreadable record counts as "no session yet".

As a module: load, refresh and settle as above, session (one session by
id), messages (the messages a session accepted) and retransmitted (the
Message-IDs accepted more than once in the whole record).
"""
import json
import os
import signal
import sys
import time


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def started(path):
    d = load(path)
    return d["totals"]["sessions"] if d else 0


def stamp(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def refresh(path, pid, secs):
    """SIGUSR1 to the server, then wait for a rewrite of the record."""
    before = stamp(path)
    until = time.monotonic() + secs
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return 1
    while stamp(path) == before:
        if time.monotonic() >= until:
            return 1
        time.sleep(0.02)
    return 0


def settle(path, secs):
    until = time.monotonic() + secs
    while True:
        d = load(path)
        if d is not None:
            t = d["totals"]
            if t["sessions_ended"] >= t["sessions"] and all(
                    s.get("end") is not None for s in d["sessions"]):
                return 0
        if time.monotonic() >= until:
            return 1
        time.sleep(0.1)


def session(d, n):
    """Session N of a loaded record, or None."""
    for s in (d or {"sessions": []})["sessions"]:
        if s["id"] == n:
            return s
    return None


def messages(s):
    """The messages the server accepted in session S (their events)."""
    return [e for e in s.get("events", []) if e.get("ev") == "message"]


def retransmitted(d):
    """{Message-ID: [session ids]} for every Message-ID accepted twice."""
    seen = {}
    for s in (d or {"sessions": []})["sessions"]:
        for e in messages(s):
            if e.get("message_id"):
                seen.setdefault(e["message_id"], []).append(s["id"])
    return {m: ids for m, ids in seen.items() if len(ids) > 1}


def facts(path, after):
    d = load(path) or {"sessions": []}
    ss = [s for s in d["sessions"] if s["id"] > after]
    f = {
        "sessions": len(ss), "ended": 0, "auth": 0, "auth_plain": 0,
        "auth_ok": 0, "auth_users": [], "auth_mechs": [], "auth_cmds": 0,
        "auth_responses": 0, "mail": 0, "mail_before_auth": 0, "rcpt": 0,
        "data": 0, "messages": 0, "message_ids": [], "rejected": 0,
        "injected": 0, "plain_after_starttls": 0, "tls": 0, "sni": [],
        "tls_version": [], "end": [], "close_notify": [], "ehlo_plain": 0,
        "ehlo_tls": 0, "helo": 0, "starttls": 0, "key_update_ok": 0,
        "key_update_failed": 0, "tickets_sent": 0, "quit": 0,
        "message_sha256": [], "message_sizes": [], "line_too_long": 0,
    }
    for s in ss:
        if s.get("end") is not None:
            f["ended"] += 1
            f["end"].append(s["end"].get("reason", "?"))
            f["close_notify"].append(
                str(s["end"].get("client_close_notify")).lower())
        authed = False
        in_auth = False
        after_starttls = False
        for e in s.get("events", []):
            ev = e.get("ev")
            if ev == "cmd":
                verb = e.get("verb")
                if verb == "AUTH":
                    f["auth_cmds"] += 1
                    in_auth = True
                elif verb == "MAIL":
                    f["mail"] += 1
                    if not authed:
                        f["mail_before_auth"] += 1
                elif verb == "RCPT":
                    f["rcpt"] += 1
                elif verb == "DATA":
                    f["data"] += 1
                elif verb == "QUIT":
                    f["quit"] += 1
                elif verb == "HELO":
                    f["helo"] += 1
                elif verb == "STARTTLS":
                    f["starttls"] += 1
                    after_starttls = True
                elif verb == "EHLO":
                    f["ehlo_" + ("tls" if e.get("layer") == "tls"
                                 else "plain")] += 1
            elif ev == "recv":
                # Lines a client sent inside an AUTH exchange: responses.
                if in_auth and "data" in e:
                    f["auth_responses"] += e["data"].count("\n")
                # Plaintext bytes after STARTTLS: nothing may follow it.
                if after_starttls and e.get("layer") == "plain":
                    f["plain_after_starttls"] += len(e.get("data", "")) or \
                        e.get("len", 0)
            elif ev == "line_too_long":
                # An over-long command line (an AUTH line too) is recorded
                # as this, not as a command.
                f["line_too_long"] += 1
            elif ev == "auth":
                in_auth = False
                f["auth"] += 1
                if e.get("layer") == "plain":
                    f["auth_plain"] += 1
                if e.get("result") == 235:
                    f["auth_ok"] += 1
                    authed = True
                f["auth_users"].append(str(e.get("username")))
                f["auth_mechs"].append(str(e.get("mechanism")))
            elif ev == "message":
                f["messages"] += 1
                f["message_ids"].append(str(e.get("message_id")))
                f["message_sha256"].append(str(e.get("sha256")))
                f["message_sizes"].append(str(e.get("size")))
            elif ev == "message_rejected":
                f["rejected"] += 1
            elif ev == "plaintext_after_starttls":
                f["injected"] += 1
            elif ev == "tls_established":
                f["tls"] += 1
                f["sni"].append(str(e.get("sni")))
                f["tls_version"].append(str(e.get("version")))
            elif ev == "action" and e.get("kind") == "key_update":
                f["key_update_ok" if e.get("ok") else
                  "key_update_failed"] += 1
            elif ev == "action" and e.get("kind") == "session_tickets":
                if e.get("ok"):
                    f["tickets_sent"] += e.get("sent") or 0
    for k in sorted(f):
        v = f[k]
        print("%s=%s" % (k, ",".join(v) if isinstance(v, list) else v))


def main(argv):
    if len(argv) in (3, 5) and argv[1] == "started":
        # A stale record would leave out sessions that already ran, and
        # the next facts would count them as the new one's.
        if len(argv) == 5 and os.path.exists(argv[2]):
            refresh(argv[2], int(argv[4]), float(argv[3]))
            settle(argv[2], float(argv[3]))
        print(started(argv[2]))
        return 0
    if len(argv) == 4 and argv[1] == "settle":
        return settle(argv[2], float(argv[3]))
    if len(argv) in (4, 5, 6) and argv[1] == "facts":
        rc = 0
        if len(argv) == 6:
            rc = refresh(argv[2], int(argv[5]), float(argv[4]))
        if len(argv) >= 5:
            rc |= settle(argv[2], float(argv[4]))
        facts(argv[2], int(argv[3]))
        return rc
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
