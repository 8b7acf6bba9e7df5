#!/usr/bin/env python3
"""smtpd.py: the scripted SMTP submission server of submitify's tests.

Without a script it is a correct, strict submission server (STARTTLS on a
plaintext port, implicit TLS, or no TLS at all) that checks SMTP AUTH against
a small user table, spools or discards messages, and records every session
as JSON.  With a script (tests/scripted/cases/*.json) it turns hostile or
broken at chosen points of a session, so that submitify's helper can be
played against each case of docs/SECURITY.md.  See README.md beside this
file for the script and record formats.

Python 3.11 standard library only.  One asyncio event loop serves every
session; TLS is driven through ssl.MemoryBIO so that the server sees raw
bytes, decides itself when a handshake starts, and can close a TLS stream
with or without close_notify.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import collections
import ctypes
import email.utils
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import sys
import termios
import time
import traceback
import warnings

PROG = "smtpd.py"
HOSTNAME = "mail.test"
GREETING = "220 mail.test ESMTP smtpd.py"
SIZE_LIMIT = 200_000_000
READ_CHUNK = 65536
INBUF_HIGH = 1 << 20          # stop reading from a client this far ahead of us
HEAD_KEEP = 65536             # message bytes kept to find the Message-ID header
AUTH_LINE_MAX = 16384         # an AUTH response line may be longer than a command
SCRAM_COMPUTE_MAX = 1_000_000  # iteration counts above this are never computed
CRLF = b"\r\n"
AUTH_LINE = re.compile(rb"(?im)^[ \t]*AUTH[ \t]+\S+[ \t]*([^\r\n]*)")

# Settings a script may change for one session ("set" action) or for all
# sessions ("server" block); the values here are the defaults.
SESSION_DEFAULTS = {
    "greeting": GREETING,
    "auth_mechs": "PLAIN LOGIN XOAUTH2 OAUTHBEARER",
    "ehlo_remove": [],
    "ehlo_add": [],
    "allow_plaintext": False,
    "bare_lf": "accept",
    "eod": "strict",
    "wire_segment": 0,
    "wire_delay": 0.0,
    "scram_iterations": 4096,
    "scram_bad_signature": False,
}
# Settings that only the "server" block (or the command line) can give.
SERVER_KEYS = {"mode", "tls_min", "tls_max", "users", "tickets", "timeout",
               "max_sessions", "discard"}

SUCCESS = {
    "connect": (220,), "EHLO": (250,), "HELO": (250,), "STARTTLS": (220,),
    "AUTH": (235,), "MAIL": (250,), "RCPT": (250, 251), "DATA": (354,),
    "eod": (250,), "RSET": (250,), "QUIT": (221,),
}


class ScriptError(Exception):
    """A case file that cannot be understood."""


class SessionEnd(Exception):
    """Raised inside a session to end it; carries the reason for the record."""

    def __init__(self, reason: str, **info):
        super().__init__(reason)
        self.reason = reason
        self.info = info


class AuthAbort(Exception):
    """Ends an AUTH exchange early with the given reply line."""

    def __init__(self, reply: str):
        super().__init__(reply)
        self.reply = reply


# ---------------------------------------------------------------------------
# Scripts

REPLY_KINDS = {"reply", "send", "send_hex", "drip", "long_line", "lines"}
SEND_OPTS = {"split", "segment", "delay", "wire_segment", "wire_delay"}
ACTION_OPTS = {
    "reply": SEND_OPTS, "send": SEND_OPTS, "send_hex": SEND_OPTS,
    "drip": {"interval", "wire_segment", "wire_delay"},
    "long_line": {"prefix", "fill", "end", "wire_segment", "wire_delay"},
    "lines": {"line", "last", "delay", "wire_segment", "wire_delay"},
    "default": set(), "sleep": set(), "stall": set(), "close": set(),
    "reset": set(), "tls_abort": set(), "key_update": set(),
    "session_tickets": set(), "set": set(), "ehlo_remove": set(),
    "ehlo_add": set(), "auth_result": set(), "auth_challenges": {"repeat"},
    "note": set(),
}
FIXED_TRIGGERS = {"connect", "handshake", "tls", "eod", "data_bytes"}
TRIGGER_ALIASES = {"greeting": "connect", "end_of_data": "eod"}


class Action:
    __slots__ = ("kind", "value", "opts")

    def __init__(self, kind, value, opts):
        self.kind, self.value, self.opts = kind, value, opts


def _check_setting(key, value, where):
    if key not in SESSION_DEFAULTS:
        raise ScriptError(f"{where}: unknown setting {key!r}")
    want = type(SESSION_DEFAULTS[key])
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if want is list and isinstance(value, str):
        value = [value]
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise ScriptError(f"{where}: setting {key!r} wants a {want.__name__}")
    if key == "bare_lf" and value not in ("accept", "reject"):
        raise ScriptError(f"{where}: bare_lf is accept or reject")
    if key == "eod" and value not in ("strict", "lenient"):
        raise ScriptError(f"{where}: eod is strict or lenient")
    return value


def _parse_action(d, where):
    if not isinstance(d, dict):
        raise ScriptError(f"{where}: an action is an object")
    kinds = [k for k in d if k in ACTION_OPTS]
    if len(kinds) != 1:
        raise ScriptError(f"{where}: an action needs exactly one of "
                          f"{sorted(ACTION_OPTS)}, got {sorted(d)}")
    kind = kinds[0]
    opts = {k: v for k, v in d.items() if k != kind}
    extra = set(opts) - ACTION_OPTS[kind] - {"note"}
    if extra:
        raise ScriptError(f"{where}: {kind} takes no option {sorted(extra)}")
    value = d[kind]
    if kind in ("reply",) and not isinstance(value, (str, list)):
        raise ScriptError(f"{where}: reply is a line or a list of lines")
    if kind in ("send", "drip", "auth_result", "note") and not isinstance(value, str):
        raise ScriptError(f"{where}: {kind} takes a string")
    if kind == "send_hex":
        try:
            value = bytes.fromhex(value)
        except (TypeError, ValueError):
            raise ScriptError(f"{where}: send_hex takes hex digits") from None
    if kind in ("long_line", "lines", "session_tickets") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ScriptError(f"{where}: {kind} takes a count")
    if kind == "sleep" and not isinstance(value, (int, float)):
        raise ScriptError(f"{where}: sleep takes seconds")
    if kind == "stall" and value != "forever" and not isinstance(value, (int, float)):
        raise ScriptError(f"{where}: stall takes seconds or \"forever\"")
    if kind == "key_update" and value not in (True, "requested", "not_requested"):
        raise ScriptError(f"{where}: key_update is true, requested or not_requested")
    if kind in ("ehlo_remove", "ehlo_add", "auth_challenges"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ScriptError(f"{where}: {kind} takes a list of strings")
    if kind == "set":
        if not isinstance(value, dict):
            raise ScriptError(f"{where}: set takes an object")
        value = {k: _check_setting(k, v, where) for k, v in value.items()}
    if "split" in opts:
        sp = opts["split"]
        if not isinstance(sp, list) or not all(isinstance(x, int) and x > 0 for x in sp):
            raise ScriptError(f"{where}: split is a list of positive sizes")
    for k in ("segment", "wire_segment", "repeat"):
        if k in opts and (not isinstance(opts[k], int) or opts[k] < 0):
            raise ScriptError(f"{where}: {k} is a count")
    for k in ("delay", "wire_delay", "interval"):
        if k in opts and not isinstance(opts[k], (int, float)):
            raise ScriptError(f"{where}: {k} is seconds")
    return Action(kind, value, opts)


class Rule:
    __slots__ = ("index", "on", "nth", "layer", "sessions", "nbytes",
                 "proceed", "actions")

    def __init__(self, index, d, default_sessions):
        where = f"rules[{index}]"
        if not isinstance(d, dict):
            raise ScriptError(f"{where}: a rule is an object")
        known = {"on", "nth", "layer", "session", "bytes", "proceed", "do", "note"}
        extra = set(d) - known
        if extra:
            raise ScriptError(f"{where}: unknown keys {sorted(extra)}")
        on = d.get("on")
        if not isinstance(on, str) or not on:
            raise ScriptError(f"{where}: \"on\" names a trigger")
        on = TRIGGER_ALIASES.get(on, on)
        if on not in FIXED_TRIGGERS:
            if not re.fullmatch(r"[A-Za-z]{1,16}", on):
                raise ScriptError(f"{where}: unknown trigger {on!r}")
            on = on.upper()
        self.index, self.on = index, on
        nth = d.get("nth")
        if nth is None:
            self.nth = None
        elif isinstance(nth, int) and not isinstance(nth, bool):
            self.nth = {nth}
        elif isinstance(nth, list) and all(isinstance(x, int) for x in nth):
            self.nth = set(nth)
        else:
            raise ScriptError(f"{where}: nth is a number or a list of numbers")
        self.layer = d.get("layer")
        if self.layer not in (None, "plain", "tls"):
            raise ScriptError(f"{where}: layer is plain or tls")
        self.sessions = _parse_sessions(d.get("session", default_sessions), where)
        self.nbytes = d.get("bytes", 0)
        if on == "data_bytes" and (not isinstance(self.nbytes, int) or self.nbytes < 0):
            raise ScriptError(f"{where}: data_bytes needs \"bytes\": a count")
        self.proceed = d.get("proceed")
        if self.proceed not in (None, True, False):
            raise ScriptError(f"{where}: proceed is true or false")
        do = d.get("do", [])
        if not isinstance(do, list):
            raise ScriptError(f"{where}: do is a list of actions")
        self.actions = [_parse_action(a, f"{where}.do[{i}]") for i, a in enumerate(do)]

    def matches(self, n, layer, sid):
        if self.nth is not None and n not in self.nth:
            return False
        if self.layer is not None and self.layer != layer:
            return False
        if self.sessions is not None and not self.sessions(sid):
            return False
        return True


def _parse_sessions(v, where):
    if v is None or v == "all":
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return lambda sid: sid == v
    if isinstance(v, list) and all(isinstance(x, int) for x in v):
        s = set(v)
        return lambda sid: sid in s
    if isinstance(v, dict) and set(v) <= {"from", "to"}:
        lo, hi = v.get("from", 1), v.get("to", 1 << 62)
        return lambda sid: lo <= sid <= hi
    raise ScriptError(f"{where}: session is a number, a list, "
                      "{\"from\": A, \"to\": B} or \"all\"")


class Script:
    """A parsed case file: server settings plus rules indexed by trigger."""

    def __init__(self, path=None, doc=None):
        self.path = path
        self.description = ""
        self.server = {}
        self.by_trigger = collections.defaultdict(list)
        if doc is None:
            return
        if not isinstance(doc, dict):
            raise ScriptError("a case file is a JSON object")
        extra = set(doc) - {"description", "item", "server", "session", "rules",
                            "note", "notes"}
        if extra:
            raise ScriptError(f"unknown top-level keys {sorted(extra)}")
        self.description = doc.get("description", "")
        server = doc.get("server", {})
        if not isinstance(server, dict):
            raise ScriptError("server is an object")
        for k, v in server.items():
            if k in SERVER_KEYS:
                self.server[k] = v
            else:
                self.server[k] = _check_setting(k, v, "server")
        rules = doc.get("rules", [])
        if not isinstance(rules, list):
            raise ScriptError("rules is a list")
        for i, r in enumerate(rules):
            rule = Rule(i, r, doc.get("session"))
            self.by_trigger[rule.on].append(rule)

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise ScriptError(str(e)) from None
        return cls(path, doc)

    def match(self, trigger, n, layer, sid):
        rules = self.by_trigger.get(trigger)
        if not rules:
            return ()
        return [r for r in rules if r.matches(n, layer, sid)]


# ---------------------------------------------------------------------------
# Optional TLS extras through ctypes: KeyUpdate and extra session tickets.

class OpenSSLExtras:
    """Calls SSL_key_update / SSL_new_session_ticket on an SSLObject.

    Python's ssl module has no API for either.  The SSL pointer is read from
    CPython's PySSLSocket struct, and only after two fields around it have
    been checked (the socket weakref is NULL for a memory-BIO object, and the
    context pointer is the object's own context), so a different layout
    leads to "unsupported", never to a bad call.
    """

    def __init__(self):
        self.lib = None
        self.why = None
        self.tried = False

    def _load(self):
        if self.tried:
            return
        self.tried = True
        if sys.implementation.name != "cpython":
            self.why = "not CPython"
            return
        path = None
        try:
            with open("/proc/self/maps", encoding="utf-8") as f:
                for line in f:
                    if "libssl.so" in line:
                        path = line.split()[-1]
                        break
        except OSError as e:
            self.why = f"/proc/self/maps: {e}"
            return
        if not path:
            self.why = "libssl is not a shared library in this process"
            return
        try:
            lib = ctypes.CDLL(path)
            lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
            lib.SSL_key_update.restype = ctypes.c_int
            lib.SSL_new_session_ticket.argtypes = [ctypes.c_void_p]
            lib.SSL_new_session_ticket.restype = ctypes.c_int
            lib.SSL_get_version.argtypes = [ctypes.c_void_p]
            lib.SSL_get_version.restype = ctypes.c_char_p
        except (OSError, AttributeError) as e:
            self.why = f"{path}: {e}"
            return
        self.lib = lib

    def _ptr(self, sslobj):
        self._load()
        if self.lib is None:
            return None
        inner = getattr(sslobj, "_sslobj", None)
        if inner is None:
            self.why = "SSLObject has no _sslobj"
            return None
        p = ctypes.sizeof(ctypes.c_void_p)
        base = id(inner)
        sock_field = ctypes.c_void_p.from_address(base + 2 * p).value
        ctx_field = ctypes.c_void_p.from_address(base + 4 * p).value
        if sock_field is not None or ctx_field != id(inner.context):
            self.why = "unknown PySSLSocket layout"
            return None
        ptr = ctypes.c_void_p.from_address(base + 3 * p).value
        if not ptr or self.lib.SSL_get_version(ptr) != inner.version().encode():
            self.why = "unknown PySSLSocket layout"
            return None
        return ptr

    def key_update(self, sslobj, requested):
        ptr = self._ptr(sslobj)
        if ptr is None:
            return False, self.why
        if self.lib.SSL_key_update(ptr, 1 if requested else 0) != 1:
            return False, "SSL_key_update failed (TLS 1.3 only)"
        return True, None

    def new_ticket(self, sslobj):
        ptr = self._ptr(sslobj)
        if ptr is None:
            return False, self.why
        if self.lib.SSL_new_session_ticket(ptr) != 1:
            return False, "SSL_new_session_ticket failed (TLS 1.3 only)"
        return True, None


EXTRAS = OpenSSLExtras()


# ---------------------------------------------------------------------------
# DATA: end-of-data detection and un-stuffing, a chunk at a time.

class DataReader:
    """Finds the end of a DATA stream and un-stuffs it without a byte loop.

    feed() takes raw bytes and returns (body, done, rest): body is the
    un-stuffed message text that is now certain, done tells whether the
    terminator was seen, rest is what followed the terminator (pipelined
    commands).  At most four raw bytes are carried between calls.  The
    stream is treated as if a CRLF preceded it, so ".\\r\\n" right after
    the 354 ends an empty message.
    """

    __slots__ = ("buf", "skip", "ctx", "lenient", "bare_lf", "bare_cr", "raw")

    def __init__(self, lenient=False):
        self.buf = CRLF
        self.skip = 2          # bytes at the front of buf already accounted for
        self.ctx = CRLF        # the two raw bytes before buf[skip]
        self.lenient = lenient
        self.bare_lf = 0
        self.bare_cr = 0
        self.raw = 0           # raw message bytes, terminator excluded

    def _emit(self, raw, lookahead):
        ctx = self.ctx
        joined = ctx + raw
        if raw:
            # CRLF pairs whose LF is in raw, then those whose CR is in raw.
            pairs = joined.count(CRLF) - (ctx == CRLF)
            self.bare_lf += raw.count(b"\n") - pairs
            self.bare_cr += raw.count(b"\r") - pairs \
                + (ctx[1:] == b"\r" and raw[:1] == b"\n") \
                - (raw[-1:] == b"\r" and lookahead == b"\n")
            self.raw += len(raw)
        self.ctx = joined[-2:]
        # The context must be shorter than the pattern, or a dot removed
        # by the previous call could be removed again.
        if self.lenient:
            return (ctx[-1:] + raw).replace(b"\n.", b"\n")[1:]
        return joined.replace(b"\r\n.", CRLF)[2:]

    def feed(self, chunk):
        buf = self.buf + chunk
        if self.lenient:
            a, b = buf.find(b"\n.\n"), buf.find(b"\n.\r\n")
            if a >= 0 and (b < 0 or a <= b):
                end, term_end = a + 1, a + 3
            elif b >= 0:
                end, term_end = b + 1, b + 4
            else:
                end = -1
        else:
            i = buf.find(b"\r\n.\r\n")
            end, term_end = (i + 2, i + 5) if i >= 0 else (-1, -1)
        if end >= 0:
            body = self._emit(buf[self.skip:end], buf[end:end + 1])
            return body, True, buf[term_end:]
        cut = len(buf) - 4
        if cut > self.skip:
            body = self._emit(buf[self.skip:cut], buf[cut:cut + 1])
            self.buf, self.skip = buf[cut:], 0
            return body, False, b""
        self.buf = buf
        return b"", False, b""


# ---------------------------------------------------------------------------
# The record

def _json_default(o):
    if isinstance(o, (bytes, bytearray, memoryview)):
        return bytes(o).decode("latin-1")
    if isinstance(o, set):
        return sorted(o)
    raise TypeError(f"cannot record {type(o).__name__}")


class Recorder:
    """Keeps the JSON record and rewrites it atomically, coalescing writes.

    The file is one JSON document laid out for people and line tools: the
    server and totals objects on one line each, each session's fields on one
    line, then its events one per line.
    """

    def __init__(self, path, server):
        self.path = path
        self.server = server
        self.sessions = []
        self.handle = None
        self.cost = 0.0

    def add(self, rec):
        self.sessions.append(rec)

    def render(self):
        def dump(o):
            return json.dumps(o, default=_json_default)
        out = ['{"version": 1,\n "server": ', dump(self.server.info()),
               ',\n "totals": ', dump(self.server.totals()), ',\n "sessions": [']
        for i, rec in enumerate(self.sessions):
            head = dump({k: v for k, v in rec.items() if k != "events"})
            out.append(("\n  " if i == 0 else ",\n  ") + head[:-1] + ', "events": [')
            evs = rec["events"]
            out.append(",".join("\n   " + dump(e) for e in evs))
            out.append("\n  ]}" if evs else "]}")
        out.append("\n ]}\n")
        return "".join(out)

    def dirty(self, delay=0.05):
        if self.handle is None:
            delay = max(delay, self.cost * 4)
            self.handle = asyncio.get_running_loop().call_later(delay, self.write)

    def write(self):
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        t = time.perf_counter()
        for s in self.server.active:
            s.redact_pending()
        text = self.render()
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, self.path)
        self.cost = time.perf_counter() - t


# ---------------------------------------------------------------------------
# Sessions

def fmt_addr(a):
    if not a:
        return None
    host, port = a[0], a[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def reply_code(data):
    m = re.match(rb"(\d{3})", data)
    return int(m.group(1)) if m else None


def b64(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    """Strict base64 for AUTH responses; an empty response is empty data."""
    if text in ("", "="):
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuthAbort("501 5.5.2 Error: invalid base64 data") from None


class Session:
    """One client connection, from accept to close."""

    def __init__(self, srv, reader, writer, sid):
        self.srv = srv
        self.cfg = srv.cfg
        self.script = srv.script
        self.sid = sid
        self.reader = reader
        self.writer = writer
        self.transport = writer.transport
        self.loop = asyncio.get_running_loop()
        sock = writer.get_extra_info("socket")
        self.sock = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass
        self.peer = fmt_addr(writer.get_extra_info("peername"))
        self.set = {k: (list(v) if isinstance(v, list) else v)
                    for k, v in srv.session_settings.items()}
        self.t0 = time.monotonic()
        # input
        self.inbuf = bytearray()
        self.in_off = 0
        self.layer_off = {"plain": 0, "tls": 0}
        self.input_event = asyncio.Event()
        self.drained = asyncio.Event()
        self.input_closed = False
        self.eof_reason = None
        self.last_rx = self.loop.time()
        self.waiting = False
        # TLS
        self.tls = None
        self.tls_in = self.tls_out = None
        self.hs = None               # None, hold, run, done, failed
        self.hs_event = asyncio.Event()
        self.hs_error = None
        self.raw_head = bytearray()
        self.close_notify = False
        self.shutdown_sent = False
        self.tls_count = 0
        self.tls_switch_pending = False
        self.tls_mark = None
        # output
        self.wq = collections.deque()
        self.wtask = None
        self.cork = False            # hold replies while pipelined commands wait
        self.obuf = []
        # SMTP state
        self.layer = "plain"
        self.counts = collections.Counter()
        self.helo = None
        self.user = None
        self.mail_from = None
        self.rcpts = []
        self.msgno = 0
        self.cur_msg = None
        self.in_data = False
        self.in_auth = False
        self.ended = False
        self.reader_task = None
        self.watchdog = None
        self.data_budget = self.cfg.record_data_max
        if srv.recorder is not None:
            self.events = []
            self.rec = {
                "id": sid, "peer": self.peer,
                "local": fmt_addr(writer.get_extra_info("sockname")),
                "started": round(self.t0 - srv.t0, 4), "ended": None,
                "end": None, "tls": None, "helo": None, "user": None,
                "messages": 0, "commands": self.counts, "events": self.events,
            }
            srv.recorder.add(self.rec)
            srv.recorder.dirty()
        else:
            self.events = None
            self.rec = None

    # -- recording --------------------------------------------------------

    def ev(self, kind, /, **kw):
        if self.events is None:
            return None
        d = {"t": round(time.monotonic() - self.t0, 4), "ev": kind}
        d.update(kw)
        self.events.append(d)
        return d

    def ev_data(self, kind, layer, data, off=None):
        events = self.events
        if events is None or not data:
            return
        n = len(data)
        if n <= self.data_budget and not (self.in_data and self.cfg.discard):
            self.data_budget -= n
            d = {"t": round(time.monotonic() - self.t0, 4), "ev": kind,
                 "layer": layer, "data": bytearray(data)}
            if off is not None:
                d["offset"] = off
            events.append(d)
            return
        last = events[-1] if events else None
        if (last is not None and last.get("truncated") and last["ev"] == kind
                and last["layer"] == layer):
            last["len"] += n
            last["chunks"] += 1
            return
        d = {"t": round(time.monotonic() - self.t0, 4), "ev": kind,
             "layer": layer, "len": n, "chunks": 1, "truncated": True}
        if off is not None:
            d["offset"] = off
        events.append(d)

    def redact(self, layer, start, end):
        """Overwrite stream bytes [start, end) of a layer in recorded recv events."""
        if self.events is None or end <= start:
            return
        for d in reversed(self.events):
            if d["ev"] != "recv" or d.get("layer") != layer or "data" not in d:
                continue
            s = d["offset"]
            data = d["data"]
            e = s + len(data)
            if e <= start:
                break
            a, b = max(s, start), min(e, end)
            if a < b:
                data[a - s:b - s] = b"*" * (b - a)

    def redact_pending(self):
        """Redact credentials in input that was recorded but not yet parsed:
        all of it inside an AUTH exchange, else the argument of AUTH lines."""
        if self.events is None or not self.inbuf or self.tls is not None and self.hs != "done":
            return
        start = self.in_off
        if self.in_auth:
            self.redact(self.layer, start, start + len(self.inbuf))
            return
        for m in AUTH_LINE.finditer(self.inbuf):
            self.redact(self.layer, start + m.start(1), start + m.end(1))

    def dirty(self):
        if self.srv.recorder is not None:
            self.srv.recorder.dirty()

    # -- input ------------------------------------------------------------

    async def _read_loop(self):
        reader = self.reader
        try:
            while True:
                if len(self.inbuf) > INBUF_HIGH:
                    self.drained.clear()
                    await self.drained.wait()
                    continue
                data = await reader.read(READ_CHUNK)
                if not data:
                    if self.tls is None:
                        self._input_end("eof")
                    elif self.hs != "done":
                        self._input_end("eof_during_handshake")
                    else:
                        self._input_end("eof" if self.close_notify
                                        else "eof_no_close_notify")
                    return
                self.last_rx = self.loop.time()
                self.srv.bytes_in += len(data)
                if self.tls is None:
                    self._deliver(data, "plain")
                else:
                    if self.hs != "done" and len(self.raw_head) < 256:
                        self.raw_head += data[:256 - len(self.raw_head)]
                    self.tls_in.write(data)
                    self._tls_pump(len(data))
        except (ConnectionResetError, BrokenPipeError):
            self._input_end("reset")
        except OSError as e:
            self._input_end("error", str(e))

    def _input_end(self, reason, error=None):
        if self.input_closed:
            return
        self.input_closed = True
        self.eof_reason = reason
        if error:
            self.ev("input_error", error=error)
        self.input_event.set()
        self.drained.set()
        self.hs_event.set()

    def _deliver(self, data, layer):
        off = self.layer_off[layer]
        self.layer_off[layer] = off + len(data)
        self.ev_data("recv", layer, data, off)
        self.inbuf += data
        self.input_event.set()

    async def _need_input(self):
        """Wait for more input; False once the client has stopped sending."""
        self.uncork()
        if self.input_closed:
            return False
        if len(self.inbuf) <= INBUF_HIGH:
            self.drained.set()
        self.input_event.clear()
        self.waiting = True
        self.last_rx = self.loop.time()
        try:
            await self.input_event.wait()
        finally:
            self.waiting = False
        return True

    async def read_line(self, limit):
        """Next line (with its terminator), its stream offset, and whether it
        was over the limit (then its bytes are dropped).  (None, 0, False)
        at end of input."""
        buf = self.inbuf
        scan = 0
        dropped = 0
        while True:
            i = buf.find(b"\n", scan)
            if i >= 0:
                off = self.in_off
                n = i + 1
                if dropped or n > limit + 2:
                    del buf[:n]
                    self.in_off += n
                    return b"", off, dropped + n
                line = bytes(buf[:n])
                del buf[:n]
                self.in_off += n
                return line, off, 0
            if len(buf) > limit + 2:
                dropped += len(buf)
                self.in_off += len(buf)
                buf.clear()
                scan = 0
            else:
                scan = len(buf)
            if not await self._need_input():
                return None, 0, 0

    # -- TLS --------------------------------------------------------------

    def begin_tls(self):
        """Switch the connection to TLS; the handshake waits for handshake()."""
        mark = self.tls_mark if self.tls_mark is not None else len(self.inbuf)
        injected = bytes(self.inbuf[:mark])
        early = bytes(self.inbuf[mark:])
        if injected:
            start = self.in_off
            for m in AUTH_LINE.finditer(injected):
                self.redact("plain", start + m.start(1), start + m.end(1))
                injected = injected[:m.start(1)] + b"*" * (m.end(1) - m.start(1)) \
                    + injected[m.end(1):]
            self.ev("plaintext_after_starttls", data=injected, len=len(injected))
        self.inbuf.clear()
        self.in_off = 0
        self.tls_mark = None
        self.tls_switch_pending = False
        self.tls_in = ssl.MemoryBIO()
        self.tls_out = ssl.MemoryBIO()
        self.tls = self.srv.ssl_ctx.wrap_bio(self.tls_in, self.tls_out, server_side=True)
        self.hs = "hold"
        self.hs_event.clear()
        if early:
            self.raw_head += early[:256]
            self.tls_in.write(early)

    async def handshake(self):
        self.tls_count += 1
        await self.fire("handshake", None, self.d_noop)
        self.hs = "run"
        self.uncork()
        self._tls_pump(0)
        try:
            self.waiting = True
            self.last_rx = self.loop.time()
            await self.hs_event.wait()
        finally:
            self.waiting = False
        if self.hs == "failed":
            raise SessionEnd("tls_handshake_failed", error=self.hs_error,
                             raw_head=bytes(self.raw_head))
        if self.hs != "done":
            raise SessionEnd(self.eof_reason or "eof_during_handshake",
                             during="handshake", raw_head=bytes(self.raw_head))
        t = self.tls
        cipher = t.cipher()
        info = {"version": t.version(), "cipher": cipher[0] if cipher else None,
                "sni": getattr(t, "sni_name", None),
                "session_reused": t.session_reused,
                "client_cn": client_cn(t)}
        self.ev("tls_established", **info)
        if self.rec is not None:
            self.rec["tls"] = info
        self.layer = "tls"
        self.helo = None
        self.user = None
        self.mail_from = None
        self.rcpts = []
        self.dirty()
        await self.fire("tls", None, self.d_noop)

    def _tls_pump(self, nraw):
        if self.hs == "hold":
            if nraw:
                self.ev("recv_held", layer="raw", len=nraw)
            return
        if self.hs == "run":
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                self._tls_flush()
                return
            except (ssl.SSLError, ValueError, OSError) as e:
                self._tls_flush()
                self.hs = "failed"
                self.hs_error = str(e)
                self.hs_event.set()
                return
            self._tls_flush()
            self.hs = "done"
            self.hs_event.set()
        if self.hs != "done":
            return
        out = []
        tls = self.tls
        while True:
            try:
                d = tls.read(READ_CHUNK)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                d = b""
            except (ssl.SSLError, OSError) as e:
                self.ev("tls_error", error=str(e))
                self._input_end("tls_error")
                break
            if not d:
                # Python returns b"" (or raises SSLZeroReturnError once our
                # own close_notify is out) when the peer's close_notify came.
                if not self.close_notify:
                    self.close_notify = True
                    if out:
                        self._deliver(b"".join(out), "tls")
                        out = []
                    self.ev("close_notify")
                    self._input_end("eof")
                break
            out.append(d)
        if out:
            self._deliver(b"".join(out), "tls")
        if self.tls_out.pending:
            self._tls_flush()

    def _tls_flush(self):
        if self.tls_out is not None and self.tls_out.pending:
            self._wire(self.tls_out.read(), self.set["wire_segment"],
                       self.set["wire_delay"])

    def _tls_poke(self):
        """Let OpenSSL write what it has scheduled (KeyUpdate, tickets)."""
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as e:
            self.ev("tls_error", error=str(e))
        self._tls_flush()

    # -- output -----------------------------------------------------------

    def out_layer(self):
        if self.tls is None:
            return "plain"
        return "tls" if self.hs == "done" else "raw"

    def _wire(self, data, seg=0, seg_delay=0.0, after=0.0):
        if not data or self.transport.is_closing():
            return
        if not seg and not after and not self.wq and self.wtask is None:
            if self.cork:
                self.obuf.append(data)
            elif self.obuf:
                self.obuf.append(data)
                self.uncork()
            else:
                self.transport.write(data)
            return
        self.uncork()
        self.wq.append((data, seg, seg_delay, after))
        if self.wtask is None:
            self.wtask = asyncio.ensure_future(self._write_loop())

    async def _write_loop(self):
        tr = self.transport
        try:
            while self.wq:
                data, seg, seg_delay, after = self.wq.popleft()
                if seg:
                    for i in range(0, len(data), seg):
                        if tr.is_closing():
                            self.wq.clear()
                            return
                        tr.write(data[i:i + seg])
                        await self.writer.drain()
                        if seg_delay:
                            await asyncio.sleep(seg_delay)
                else:
                    if tr.is_closing():
                        self.wq.clear()
                        return
                    tr.write(data)
                    await self.writer.drain()
                if after:
                    await asyncio.sleep(after)
        except (ConnectionError, OSError):
            self.wq.clear()
        finally:
            self.wtask = None

    def uncork(self):
        """Write the replies held back while pipelined commands were read."""
        self.cork = False
        if self.obuf:
            data = b"".join(self.obuf)
            self.obuf.clear()
            if not self.transport.is_closing():
                self.transport.write(data)

    async def flush_out(self):
        self.uncork()
        while self.wtask is not None:
            await asyncio.wait({self.wtask})
        if self.transport.get_write_buffer_size() > 65536:
            try:
                await self.writer.drain()
            except (ConnectionError, OSError):
                pass

    def _encrypt(self, data):
        if self.tls is not None and self.hs == "done":
            try:
                self.tls.write(data)
            except ssl.SSLError as e:
                self.ev("tls_error", error=str(e))
                return b""
            return self.tls_out.read()
        return data

    async def send(self, data, split=None, segment=0, delay=None,
                   wire_segment=None, wire_delay=None):
        """Send bytes, optionally as separate pieces (TCP segments, and TLS
        records under TLS) with a delay between pieces."""
        if self.tls_switch_pending and self.tls_mark is None:
            self.tls_mark = len(self.inbuf)
        if split or segment:
            pieces = []
            pos = 0
            for n in split or ():
                if pos >= len(data):
                    break
                pieces.append(data[pos:pos + n])
                pos += n
            rest = data[pos:]
            if segment:
                pieces.extend(rest[i:i + segment] for i in range(0, len(rest), segment))
            elif rest:
                pieces.append(rest)
            if delay is None:
                delay = 0.05
        else:
            pieces = [data]
        ws = self.set["wire_segment"] if wire_segment is None else wire_segment
        wd = self.set["wire_delay"] if wire_delay is None else wire_delay
        layer = self.out_layer()
        last = len(pieces) - 1
        for i, p in enumerate(pieces):
            self.ev_data("send", layer, p)
            self._wire(self._encrypt(p), ws, wd, (delay or 0.0) if i < last else 0.0)
        if self.wtask is not None or self.transport.get_write_buffer_size() > 65536:
            await self.flush_out()

    async def reply(self, *lines):
        await self.send("".join(line + "\r\n" for line in lines).encode("latin-1"))

    async def close_graceful(self, linger=0.0):
        """close_notify (under TLS), then FIN; optionally wait for the client."""
        await self.flush_out()
        if self.tls is not None and self.hs == "done" and not self.shutdown_sent:
            self.shutdown_sent = True
            try:
                self.tls.unwrap()
            except (ssl.SSLWantReadError, ssl.SSLError, OSError):
                pass
            self._tls_flush()
            await self.flush_out()
        if linger and not self.input_closed:
            try:
                await asyncio.wait_for(self._wait_gone(), linger)
            except asyncio.TimeoutError:
                pass
        self.transport.close()

    async def _wait_gone(self):
        while not self.input_closed:
            self.input_event.clear()
            if self.inbuf:
                self.inbuf.clear()
            await self.input_event.wait()

    async def _wait_sent(self, limit=2.0):
        """Wait until written bytes have left asyncio's buffer and the
        kernel's send queue, so that an RST does not discard them."""
        deadline = self.loop.time() + limit
        while self.loop.time() < deadline and not self.transport.is_closing():
            try:
                queued = struct.unpack("i", fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ,
                                                        b"\0\0\0\0"))[0]
            except OSError:
                queued = 0
            if not queued and not self.transport.get_write_buffer_size():
                return
            await asyncio.sleep(0.005)

    def abort_reset(self):
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.transport.abort()

    # -- the script engine ------------------------------------------------

    def trigger_count(self, trigger):
        if trigger in ("connect",):
            return 1
        if trigger in ("handshake", "tls"):
            return self.tls_count
        if trigger in ("eod", "data_bytes"):
            return self.msgno
        return self.counts[trigger]

    async def fire(self, trigger, arg, default, effect=None):
        """Run the script's rules for a trigger, or the default behaviour."""
        script = self.script
        rules = script.match(trigger, self.trigger_count(trigger), self.layer, self.sid) \
            if script.by_trigger else ()
        if trigger == "STARTTLS":
            self.tls_switch_pending = True
            self.tls_mark = None
        try:
            if not rules:
                await default(arg, {})
                return
            mods = {}
            replied = False
            code = None
            handled = False
            proceed = None
            for rule in rules:
                self.ev("script", trigger=trigger, rule=rule.index,
                        actions=[a.kind for a in rule.actions])
                for act in rule.actions:
                    r = await self.run_action(act, mods)
                    if r == "default":
                        await default(arg, mods)
                        handled = True
                    elif r is not None:
                        if not replied:
                            replied, code = True, r[1]
                if rule.proceed is not None:
                    proceed = rule.proceed
            if handled:
                return
            if not replied:
                await default(arg, mods)
                return
            ok = proceed if proceed is not None else code in SUCCESS.get(trigger, ())
            if effect is not None:
                await effect(arg, ok, mods)
        finally:
            if trigger == "STARTTLS" and self.tls is None:
                self.tls_switch_pending = False
                self.tls_mark = None

    async def run_action(self, a, mods):
        k, v, o = a.kind, a.value, a.opts
        if k == "default":
            return "default"
        if k in REPLY_KINDS:
            self.uncork()
            code = await self._act_send(k, v, o)
            self.uncork()
            return ("reply", code)
        if k == "sleep":
            await self.flush_out()
            await asyncio.sleep(v)
        elif k == "stall":
            await self._stall(v)
        elif k == "close":
            self.ev("action", kind="close")
            await self.close_graceful()
            raise SessionEnd("script_close")
        elif k == "reset":
            self.ev("action", kind="reset")
            await self.flush_out()
            await self._wait_sent()
            self.abort_reset()
            raise SessionEnd("script_reset")
        elif k == "tls_abort":
            # A TCP FIN after what was written, without close_notify.
            self.ev("action", kind="tls_abort")
            await self.flush_out()
            self.transport.close()
            raise SessionEnd("script_tls_abort")
        elif k == "key_update":
            if self.tls is None or self.hs != "done":
                ok, why = False, "no TLS session"
            else:
                ok, why = EXTRAS.key_update(self.tls, v != "not_requested")
                if ok:
                    self._tls_poke()
            self.ev("action", kind="key_update", ok=ok, why=why)
            await self.flush_out()
        elif k == "session_tickets":
            ok, why, sent = True, None, 0
            if self.tls is None or self.hs != "done":
                ok, why = False, "no TLS session"
            for _ in range(v if ok else 0):
                ok, why = EXTRAS.new_ticket(self.tls)
                if not ok:
                    break
                self._tls_poke()
                sent += 1
            self.ev("action", kind="session_tickets", ok=ok, sent=sent, why=why)
            await self.flush_out()
        elif k == "set":
            self.set.update(v)
        elif k in ("ehlo_remove", "ehlo_add"):
            mods.setdefault(k, []).extend(v)
        elif k == "auth_result":
            mods["auth_result"] = v
        elif k == "auth_challenges":
            mods["auth_challenges"] = (v, o.get("repeat", 1))
        elif k == "note":
            self.ev("note", text=v)
        return None

    async def _act_send(self, k, v, o):
        ws, wd = o.get("wire_segment"), o.get("wire_delay")
        if k in ("reply", "send", "send_hex"):
            if k == "reply":
                lines = [v] if isinstance(v, str) else v
                data = "".join(line + "\r\n" for line in lines).encode("latin-1")
            elif k == "send":
                data = v.encode("latin-1")
            else:
                data = v
            await self.send(data, o.get("split"), o.get("segment", 0), o.get("delay"),
                            ws, wd)
            return reply_code(data)
        if k == "drip":
            data = v.encode("latin-1")
            await self.send(data, None, 1, float(o.get("interval", 1.0)), ws, wd)
            return reply_code(data)
        if k == "long_line":
            prefix = o.get("prefix", "250 ").encode("latin-1")
            fill = o.get("fill", "x").encode("latin-1") or b"x"
            end = o.get("end", "\r\n").encode("latin-1")
            left = max(0, v - len(prefix))
            await self.send(prefix, wire_segment=ws, wire_delay=wd)
            block = (fill * (65536 // len(fill) + 1))[:65536]
            while left > 0 and not self.transport.is_closing():
                n = min(left, len(block))
                await self.send(block[:n], wire_segment=ws, wire_delay=wd)
                await self._drain()
                left -= n
            await self.send(end, wire_segment=ws, wire_delay=wd)
            return reply_code(prefix)
        if k == "lines":
            line = o.get("line", "250-x").encode("latin-1") + CRLF
            delay = float(o.get("delay", 0.0))
            batch = 1 if delay else max(1, 16384 // len(line))
            left = v
            while left > 0 and not self.transport.is_closing() and not self.input_closed:
                n = min(batch, left)
                await self.send(line * n, wire_segment=ws, wire_delay=wd)
                await self._drain()
                left -= n
                if delay:
                    await asyncio.sleep(delay)
            last = o.get("last")
            if last is not None:
                await self.send(last.encode("latin-1") + CRLF, wire_segment=ws, wire_delay=wd)
            return reply_code(line)
        raise AssertionError(k)

    async def _drain(self):
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            pass

    async def _stall(self, v):
        """Answer nothing for v seconds ("forever": until the client leaves,
        bounded by --stall-max).  Input is still read and recorded."""
        await self.flush_out()
        forever = v == "forever"
        limit = self.cfg.stall_max if forever else float(v)
        self.ev("action", kind="stall", seconds=None if forever else limit)
        deadline = self.loop.time() + limit
        while not self.input_closed:
            left = deadline - self.loop.time()
            if left <= 0:
                break
            if forever and self.inbuf:
                self.in_off += len(self.inbuf)
                self.inbuf.clear()
                self.drained.set()
            self.input_event.clear()
            try:
                await asyncio.wait_for(self.input_event.wait(), left)
            except asyncio.TimeoutError:
                break
        if self.input_closed and (forever or not self.inbuf):
            raise SessionEnd(self.eof_reason or "eof", during="stall")
        if forever:
            raise SessionEnd("stall_limit")

    # -- the session --------------------------------------------------------

    async def run(self):
        reason, info = "eof", {}
        try:
            self.watchdog = self.loop.call_later(self._watch_period(), self._watch)
            if self.cfg.mode == "implicit":
                self.begin_tls()
            self.reader_task = asyncio.ensure_future(self._read_loop())
            if self.cfg.mode == "implicit":
                await self.handshake()
            await self.fire("connect", None, self.d_greeting)
            await self.command_loop()
            reason = self.eof_reason or "eof"
            if reason == "timeout":
                await self.reply("421 4.4.2 mail.test Error: timeout exceeded")
                await self.close_graceful()
        except SessionEnd as e:
            reason, info = e.reason, e.info
        except asyncio.CancelledError:
            reason = "server_shutdown"
        except (ConnectionError, OSError) as e:
            reason, info = "error", {"error": str(e)}
        except Exception as e:  # a bug here must not take the server down
            traceback.print_exc()
            reason, info = "server_error", {"error": repr(e)}
        finally:
            self.finish(reason, info)

    def _watch_period(self):
        return max(0.05, min(self.cfg.timeout / 4, 5.0))

    def _watch(self):
        if self.ended:
            return
        if self.waiting and self.loop.time() - self.last_rx > self.cfg.timeout:
            self._input_end("timeout")
            return
        self.watchdog = self.loop.call_later(self._watch_period(), self._watch)

    def finish(self, reason, info):
        if self.ended:
            return
        self.ended = True
        end = {"reason": reason}
        end.update(info)
        if self.tls is not None and self.hs == "done":
            end["client_close_notify"] = self.close_notify
        if self.tls is not None and self.hs == "done" and not self.shutdown_sent \
                and reason in ("eof", "timeout", "server_shutdown") \
                and not self.transport.is_closing():
            self.shutdown_sent = True
            try:
                self.tls.unwrap()
            except (ssl.SSLError, OSError):
                pass
            if self.tls_out.pending:
                self.transport.write(self.tls_out.read())
        self.uncork()
        self.redact_pending()
        self.ev("end", **end)
        if self.watchdog is not None:
            self.watchdog.cancel()
        if self.reader_task is not None:
            self.reader_task.cancel()
        if self.wtask is not None:
            self.wtask.cancel()
        if not self.transport.is_closing():
            self.transport.close()
        if self.rec is not None:
            self.rec["ended"] = round(time.monotonic() - self.srv.t0, 4)
            self.rec["end"] = end
            self.rec["helo"] = self.helo
            self.rec["user"] = self.user
        self.srv.session_ended(self, end)

    async def command_loop(self):
        while True:
            line, off, too_long = await self.read_line(self.cfg.max_line)
            if line is None:
                return
            if too_long:
                self.ev("line_too_long", layer=self.layer, len=too_long)
                await self.reply("500 5.5.2 Error: line too long")
                continue
            if line.endswith(CRLF):
                text = line[:-2]
                bare = False
            else:
                text = line[:-1]
                bare = True
            s = text.decode("latin-1")
            verb, _, arg = s.lstrip(" ").partition(" ")
            verb = verb.upper()
            if verb == "AUTH":
                m = re.match(rb"[ \t]*\S+[ \t]+\S+[ \t]*", text)
                if m and m.end() < len(text):
                    self.redact(self.layer, off + m.end(), off + len(text))
                shown = arg.split(" ", 1)[0]
            else:
                shown = arg[:512]
            if self.events is not None:
                d = self.ev("cmd", layer=self.layer, verb=verb, arg=shown)
                if bare:
                    d["bare_lf"] = True
            if not verb:
                await self.reply("500 5.5.2 Error: bad syntax")
                continue
            self.counts[verb] += 1
            self.cork = b"\n" in self.inbuf
            default = getattr(self, "c_" + verb, None) if verb.isalpha() else None
            effect = getattr(self, "x_" + verb, None) if default else None
            await self.fire(verb, arg, default or self.c_unknown, effect)

    # -- defaults and effects ---------------------------------------------
    # c_X(arg, mods): the default reply and what follows from it.
    # x_X(arg, ok, mods): what follows when a script sent the reply itself.

    async def d_noop(self, arg, mods):
        pass

    async def d_greeting(self, arg, mods):
        await self.reply(self.set["greeting"])

    async def c_unknown(self, arg, mods):
        await self.reply("502 5.5.2 Error: command not recognized")

    def ehlo_caps(self, mods):
        tls_up = self.tls is not None and self.hs == "done"
        caps = ["PIPELINING", f"SIZE {SIZE_LIMIT}", "8BITMIME", "ENHANCEDSTATUSCODES"]
        if self.cfg.mode == "starttls" and not tls_up:
            caps.append("STARTTLS")
        if self.set["auth_mechs"] and (tls_up or self.cfg.mode == "plain"):
            caps.append("AUTH " + self.set["auth_mechs"])
        remove = {x.upper() for x in self.set["ehlo_remove"] + mods.get("ehlo_remove", [])}
        caps = [c for c in caps if c.split(" ", 1)[0].upper() not in remove
                and c.upper() not in remove]
        return caps + self.set["ehlo_add"] + mods.get("ehlo_add", [])

    async def c_EHLO(self, arg, mods):
        if not arg.strip():
            await self.reply("501 5.5.4 Syntax: EHLO hostname")
            return
        caps = self.ehlo_caps(mods)
        lines = [f"250-{HOSTNAME}"] + [f"250-{c}" for c in caps]
        lines[-1] = "250 " + lines[-1][4:]
        await self.reply(*lines)
        await self.x_EHLO(arg, True, mods)

    async def x_EHLO(self, arg, ok, mods):
        if ok:
            self.helo = arg.strip() or "unknown"
            self.mail_from = None
            self.rcpts = []

    async def c_HELO(self, arg, mods):
        if not arg.strip():
            await self.reply("501 5.5.4 Syntax: HELO hostname")
            return
        await self.reply(f"250 {HOSTNAME}")
        await self.x_EHLO(arg, True, mods)

    x_HELO = x_EHLO

    async def c_STARTTLS(self, arg, mods):
        if self.tls is not None:
            await self.reply("554 5.5.1 Error: TLS already active")
            return
        if self.cfg.mode != "starttls":
            await self.reply("502 5.5.1 Error: command not implemented")
            return
        if arg.strip():
            await self.reply("501 5.5.4 Syntax: STARTTLS")
            return
        await self.reply("220 2.0.0 Ready to start TLS")
        await self.x_STARTTLS(arg, True, mods)

    async def x_STARTTLS(self, arg, ok, mods):
        if not ok or self.tls is not None:
            return
        if self.srv.ssl_ctx is None:
            self.ev("note", text="STARTTLS effect skipped: no certificate")
            return
        self.begin_tls()
        await self.handshake()

    async def c_NOOP(self, arg, mods):
        await self.reply("250 2.0.0 Ok")

    async def c_VRFY(self, arg, mods):
        await self.reply("252 2.0.0 Cannot VRFY user, but will accept message")

    async def c_HELP(self, arg, mods):
        await self.reply("214 2.0.0 See RFC 5321")

    async def c_RSET(self, arg, mods):
        await self.reply("250 2.0.0 Ok")
        await self.x_RSET(arg, True, mods)

    async def x_RSET(self, arg, ok, mods):
        if ok:
            self.mail_from = None
            self.rcpts = []

    async def c_QUIT(self, arg, mods):
        await self.reply("221 2.0.0 Bye")
        await self.x_QUIT(arg, True, mods)

    async def x_QUIT(self, arg, ok, mods):
        if ok:
            await self.close_graceful(linger=self.cfg.quit_linger if self.tls else 0)
            raise SessionEnd("quit")

    def tls_up(self):
        return self.tls is not None and self.hs == "done"

    async def c_MAIL(self, arg, mods):
        if self.helo is None:
            return await self.reply("503 5.5.1 Error: send HELO/EHLO first")
        if self.cfg.mode == "starttls" and not self.tls_up() and not self.set["allow_plaintext"]:
            return await self.reply("530 5.7.0 Must issue a STARTTLS command first")
        if self.srv.users and self.user is None:
            return await self.reply("530 5.7.0 Authentication required")
        if self.mail_from is not None:
            return await self.reply("503 5.5.1 Error: nested MAIL command")
        m = re.fullmatch(r"(?i)FROM:\s*<([^<>]*)>((?:\s+\S+)*)\s*", arg)
        if not m:
            return await self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
        for p in m.group(2).split():
            k, _, v = p.partition("=")
            if k.upper() == "SIZE" and v.isdigit() and int(v) > SIZE_LIMIT:
                return await self.reply("552 5.3.4 Message size exceeds fixed limit")
        await self.reply("250 2.1.0 Ok")
        await self.x_MAIL(arg, True, mods)

    async def x_MAIL(self, arg, ok, mods):
        if ok:
            m = re.match(r"(?i)FROM:\s*<([^<>]*)>", arg)
            self.mail_from = m.group(1) if m else arg
            self.rcpts = []

    async def c_RCPT(self, arg, mods):
        if self.srv.users and self.user is None:
            return await self.reply("530 5.7.0 Authentication required")
        if self.mail_from is None:
            return await self.reply("503 5.5.1 Error: need MAIL command")
        m = re.fullmatch(r"(?i)TO:\s*<([^<>]*)>((?:\s+\S+)*)\s*", arg)
        if not m or not m.group(1):
            return await self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
        await self.reply("250 2.1.5 Ok")
        await self.x_RCPT(arg, True, mods)

    async def x_RCPT(self, arg, ok, mods):
        if ok:
            m = re.match(r"(?i)TO:\s*<([^<>]*)>", arg)
            self.rcpts.append(m.group(1) if m else arg)

    async def c_DATA(self, arg, mods):
        if self.mail_from is None:
            return await self.reply("503 5.5.1 Error: need MAIL command")
        if not self.rcpts:
            return await self.reply("503 5.5.1 Error: need RCPT command")
        if arg.strip():
            return await self.reply("501 5.5.4 Syntax: DATA")
        await self.reply("354 End data with <CR><LF>.<CR><LF>")
        await self.x_DATA(arg, True, mods)

    async def x_DATA(self, arg, ok, mods):
        if ok:
            await self.data_phase()

    # -- DATA ---------------------------------------------------------------

    def received_line(self):
        tls = self.tls_up()
        proto = "ESMTP" + ("S" if tls else "") + ("A" if self.user else "")
        extra = ""
        if tls:
            c = self.tls.cipher()
            extra += f" ({self.tls.version()} {c[0] if c else '?'})"
        if self.user:
            extra += f" authenticated as {self.user}"
        return (f"Received: from {self.helo or 'unknown'} by {HOSTNAME} ({PROG}) "
                f"with {proto}{extra}; {email.utils.formatdate(localtime=True)}\r\n")

    async def data_phase(self):
        self.msgno += 1
        msg = self.srv.new_queue_id()
        dr = DataReader(lenient=self.set["eod"] == "lenient")
        h = hashlib.sha256()
        size = 0
        head = bytearray()
        f = tmp = None
        spool = self.cfg.spool
        if spool and not self.cfg.discard:
            tmp = os.path.join(spool, f".{msg}.tmp")
            f = open(tmp, "wb")
            f.write(self.received_line().encode("utf-8", "replace"))
        pending = [r for r in self.script.match("data_bytes", self.msgno, self.layer, self.sid)]
        pending.sort(key=lambda r: r.nbytes)
        self.ev("data_start", layer=self.layer)
        raw_total = 0
        self.in_data = True
        try:
            while True:
                if not self.inbuf:
                    if not await self._need_input():
                        raise SessionEnd(self.eof_reason or "eof", during="data",
                                         data_bytes=raw_total)
                    continue
                chunk = bytes(self.inbuf)
                self.inbuf.clear()
                body, done, rest = dr.feed(chunk)
                used = len(chunk) - len(rest)
                self.in_off += used
                raw_total += used
                if body:
                    h.update(body)
                    size += len(body)
                    if len(head) < HEAD_KEEP:
                        head += body[:HEAD_KEEP - len(head)]
                    if f is not None:
                        f.write(body)
                if done:
                    self.inbuf += rest
                while pending and pending[0].nbytes <= raw_total:
                    rule = pending.pop(0)
                    self.ev("script", trigger="data_bytes", rule=rule.index,
                            actions=[a.kind for a in rule.actions], at=raw_total)
                    for act in rule.actions:
                        await self.run_action(act, {})
                if done:
                    break
        except BaseException:
            if f is not None:
                f.close()
                os.unlink(tmp)
            raise
        finally:
            self.in_data = False
        if f is not None:
            f.close()
        info = {
            "queue_id": msg, "size": size, "sha256": h.hexdigest(),
            "message_id": header_value(head, "message-id"),
            "mail_from": self.mail_from, "rcpt": list(self.rcpts),
            "bare_lf": dr.bare_lf, "bare_cr": dr.bare_cr, "layer": self.layer,
        }
        self.cur_msg = (info, tmp)
        self.cork = b"\n" in self.inbuf
        try:
            await self.fire("eod", info, self.d_eod, self.x_eod)
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            self.cur_msg = None
            self.mail_from = None
            self.rcpts = []

    async def d_eod(self, info, mods):
        if info["size"] > SIZE_LIMIT:
            await self.reply("552 5.3.4 Error: message file too big")
            return self._reject(info, 552, "size")
        if info["bare_lf"] and self.set["bare_lf"] == "reject":
            await self.reply("550 5.5.2 bare LF")
            return self._reject(info, 550, "bare_lf")
        self._accept(info)
        await self.reply(f"250 2.0.0 Ok: queued as {info['queue_id']}")

    async def x_eod(self, info, ok, mods):
        if ok:
            self._accept(info)
        else:
            self._reject(info, None, "script")

    def _accept(self, info):
        _, tmp = self.cur_msg
        if tmp is not None:
            name = f"{info['queue_id']}.eml"
            os.replace(tmp, os.path.join(self.cfg.spool, name))
            info["file"] = name
        else:
            info["file"] = None
        self.srv.messages += 1
        self.srv.bytes_accepted += info["size"]
        if self.rec is not None:
            self.rec["messages"] += 1
        self.ev("message", **info)
        self.dirty()

    def _reject(self, info, code, why):
        self.srv.rejected += 1
        self.ev("message_rejected", code=code, why=why, **info)
        self.dirty()

    # -- AUTH ---------------------------------------------------------------

    async def auth_read(self):
        line, off, too_long = await self.read_line(AUTH_LINE_MAX)
        if line is None:
            raise SessionEnd(self.eof_reason or "eof", during="auth")
        if too_long:
            raise AuthAbort("500 5.5.6 Authentication exchange line is too long")
        text = line[:-2] if line.endswith(CRLF) else line[:-1]
        self.redact(self.layer, off, off + len(text))
        text = text.decode("latin-1").strip()
        if text == "*":
            raise AuthAbort("501 5.7.0 Authentication aborted")
        return text

    async def challenge(self, data):
        await self.reply("334 " + b64(data) if data else "334 ")
        return unb64(await self.auth_read())

    def check(self, user, secret):
        users = self.srv.users
        if not users:
            return None
        want = users.get(user)
        if want is None:
            hmac.compare_digest(b"x", b"y")
            return False
        return hmac.compare_digest(want.encode("utf-8"), secret)

    def record_auth(self, mech, user, ok, final):
        self.srv.auth_attempts += 1
        code = reply_code(final.encode("latin-1"))
        if code == 235:
            self.srv.auth_ok += 1
        self.ev("auth", layer=self.layer, mechanism=mech, username=user,
                secret_ok=ok, result=code)
        self.dirty()

    async def c_AUTH(self, arg, mods):
        parts = arg.split(None, 1)
        if not parts:
            return await self.reply("501 5.5.4 Syntax: AUTH mechanism")
        mech = parts[0].upper()
        ir = parts[1].strip() if len(parts) > 1 else None
        if self.user is not None:
            return await self.reply("503 5.5.1 Error: already authenticated")
        if self.mail_from is not None:
            return await self.reply("503 5.5.1 Error: MAIL transaction in progress")
        if self.cfg.mode == "starttls" and not self.tls_up() and not self.set["allow_plaintext"]:
            user, ok = self.peek_plain(mech, ir)
            final = "530 5.7.0 Must issue a STARTTLS command first"
            self.record_auth(mech, user, ok, final)
            return await self.reply(final)
        if mech not in self.set["auth_mechs"].upper().split():
            final = "504 5.5.4 Unrecognized authentication type"
            self.record_auth(mech, None, None, final)
            return await self.reply(final)
        user = ok = None
        self.auth_user = self.auth_ok = None
        self.in_auth = True
        try:
            if "auth_challenges" in mods:
                lines, repeat = mods["auth_challenges"]
                for _ in range(repeat):
                    for line in lines:
                        await self.reply(line)
                        await self.auth_read()
                ok = False
            else:
                fn = {"PLAIN": self.mech_plain, "LOGIN": self.mech_login,
                      "XOAUTH2": self.mech_xoauth2, "OAUTHBEARER": self.mech_oauthbearer,
                      "SCRAM-SHA-1": self.mech_scram, "SCRAM-SHA-256": self.mech_scram,
                      "EXTERNAL": self.mech_external}.get(mech)
                if fn is None:
                    raise AuthAbort("504 5.5.4 Unrecognized authentication type")
                user, ok = await fn(mech, ir)
            final = mods.get("auth_result") or (
                "235 2.7.0 Authentication successful" if ok is not False
                else "535 5.7.8 Error: authentication failed")
        except AuthAbort as e:
            final = e.reply
            user, ok = self.auth_user, self.auth_ok
        self.in_auth = False      # stays set when the session ends mid-exchange
        self.record_auth(mech, user, ok, final)
        await self.reply(final)
        if reply_code(final.encode("latin-1")) == 235:
            self.user = user or "unknown"

    async def x_AUTH(self, arg, ok, mods):
        if ok:
            parts = arg.split(None, 1)
            user, _ = self.peek_plain(parts[0].upper() if parts else "",
                                      parts[1] if len(parts) > 1 else None)
            self.user = user or "unknown"

    def peek_plain(self, mech, ir):
        """User name and verdict from a PLAIN initial response, if there is one."""
        if mech != "PLAIN" or not ir:
            return None, None
        try:
            f = base64.b64decode(ir, validate=True).split(b"\0")
        except (binascii.Error, ValueError):
            return None, None
        if len(f) != 3:
            return None, None
        user = f[1].decode("utf-8", "replace")
        return user, self.check(user, f[2])

    async def mech_plain(self, mech, ir):
        data = unb64(ir) if ir is not None else await self.challenge(b"")
        f = data.split(b"\0")
        if len(f) != 3:
            raise AuthAbort("501 5.5.2 Error: malformed PLAIN response")
        user = f[1].decode("utf-8", "replace")
        return self._learned(user, self.check(user, f[2]))

    def _learned(self, user, ok):
        self.auth_user, self.auth_ok = user, ok
        return user, ok

    async def mech_external(self, mech, ir):
        """RFC 4422 appendix A: the verified client certificate is the
        credential; the message names the identity to act as, which must
        be empty or the certificate's CN."""
        authzid = unb64(ir) if ir is not None else await self.challenge(b"")
        authzid = authzid.decode("utf-8", "replace")
        cn = client_cn(self.tls) if self.tls is not None else None
        self.ev("external", authzid=authzid, client_cn=cn)
        return self._learned(authzid or cn, cn is not None and authzid in ("", cn))

    async def mech_login(self, mech, ir):
        u = unb64(ir) if ir is not None else await self.challenge(b"Username:")
        user = self.auth_user = u.decode("utf-8", "replace")
        pw = await self.challenge(b"Password:")
        return self._learned(user, self.check(user, pw))

    async def _bearer_failed(self, err):
        await self.reply("334 " + b64(json.dumps(err)))
        await self.auth_read()

    async def mech_xoauth2(self, mech, ir):
        data = unb64(ir) if ir is not None else await self.challenge(b"")
        m = re.fullmatch(rb"user=([^\x01]*)\x01auth=Bearer ([^\x01]*)\x01\x01", data)
        if not m:
            raise AuthAbort("501 5.5.2 Error: malformed XOAUTH2 response")
        user = m.group(1).decode("utf-8", "replace")
        user, ok = self._learned(user, self.check(user, m.group(2)))
        if ok is False:
            await self._bearer_failed({"status": "401", "schemes": "bearer",
                                       "scope": "https://mail.test/"})
        return user, ok

    async def mech_oauthbearer(self, mech, ir):
        data = unb64(ir) if ir is not None else await self.challenge(b"")
        head, sep, kvs = data.partition(b"\x01")
        gs2 = head.split(b",")
        if not sep or len(gs2) < 2 or gs2[0] not in (b"n", b"y"):
            raise AuthAbort("501 5.5.2 Error: malformed OAUTHBEARER response")
        user = None
        for g in gs2[1:]:
            if g.startswith(b"a="):
                user = g[2:].replace(b"=2C", b",").replace(b"=3D", b"=").decode(
                    "utf-8", "replace")
        token = None
        for kv in kvs.split(b"\x01"):
            if kv.startswith(b"auth="):
                scheme, _, tok = kv[5:].partition(b" ")
                if scheme.lower() == b"bearer":
                    token = tok
        if token is None or not kvs.endswith(b"\x01\x01"):
            raise AuthAbort("501 5.5.2 Error: malformed OAUTHBEARER response")
        user, ok = self._learned(user, self.check(user or "", token))
        if ok is False:
            await self._bearer_failed({"status": "invalid_token", "scope": "",
                                       "openid-configuration": ""})
        return user, ok

    async def mech_scram(self, mech, ir):
        hname = "sha256" if mech == "SCRAM-SHA-256" else "sha1"

        def hmac_(key, msg):
            return hmac.new(key, msg, hname).digest()

        first = (unb64(ir) if ir is not None else await self.challenge(b"")).decode(
            "utf-8", "replace")
        parts = first.split(",", 2)
        if len(parts) != 3 or parts[0] not in ("n", "y") and not parts[0].startswith("p="):
            raise AuthAbort("501 5.5.2 Error: malformed SCRAM client-first message")
        if parts[0].startswith("p="):
            raise AuthAbort("535 5.7.8 Error: channel binding is not supported")
        gs2_header = parts[0] + "," + parts[1] + ","
        bare = parts[2]
        attrs = dict(a.split("=", 1) for a in bare.split(",") if "=" in a)
        if "n" not in attrs or "r" not in attrs:
            raise AuthAbort("501 5.5.2 Error: malformed SCRAM client-first message")
        user = self.auth_user = attrs["n"].replace("=2C", ",").replace("=3D", "=")
        nonce = attrs["r"] + b64(secrets.token_bytes(18))
        salt = secrets.token_bytes(16)
        iters = self.set["scram_iterations"]
        server_first = f"r={nonce},s={b64(salt)},i={iters}"
        final = (await self.challenge(server_first.encode())).decode("utf-8", "replace")
        if ",p=" not in final:
            raise AuthAbort("501 5.5.2 Error: malformed SCRAM client-final message")
        without_proof, proof64 = final.rsplit(",p=", 1)
        fattrs = dict(a.split("=", 1) for a in without_proof.split(",") if "=" in a)
        if fattrs.get("r") != nonce or fattrs.get("c") != b64(gs2_header):
            return self._learned(user, False)
        try:
            proof = base64.b64decode(proof64, validate=True)
        except (binascii.Error, ValueError):
            raise AuthAbort("501 5.5.2 Error: invalid base64 data") from None
        pw = self.srv.users.get(user)
        if pw is None or iters > SCRAM_COMPUTE_MAX:
            return self._learned(user, False)
        salted = hashlib.pbkdf2_hmac(hname, pw.encode("utf-8"), salt, iters)
        client_key = hmac_(salted, b"Client Key")
        stored = hashlib.new(hname, client_key).digest()
        am = f"{bare},{server_first},{without_proof}".encode("utf-8")
        sig = hmac_(stored, am)
        if len(proof) != len(sig):
            return self._learned(user, False)
        recovered = bytes(a ^ b for a, b in zip(proof, sig))
        if not hmac.compare_digest(hashlib.new(hname, recovered).digest(), stored):
            return self._learned(user, False)
        self._learned(user, True)
        server_sig = hmac_(hmac_(salted, b"Server Key"), am)
        if self.set["scram_bad_signature"]:
            server_sig = bytes(b ^ 0x55 for b in server_sig)
        await self.challenge(("v=" + b64(server_sig)).encode())
        return user, True


def header_value(head, name):
    """Value of the first header `name` in the header block of `head`."""
    end = head.find(b"\r\n\r\n")
    block = bytes(head if end < 0 else head[:end])
    block = re.sub(rb"\r?\n[ \t]+", b" ", block)
    for line in block.split(b"\n"):
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name.encode():
            return v.strip().decode("latin-1")
    return None


# ---------------------------------------------------------------------------
# The server

class Server:
    def __init__(self, cfg, script):
        self.cfg = cfg
        self.script = script
        self.users = cfg.users
        self.session_settings = cfg.session_settings
        self.ssl_ctx = make_ssl_context(cfg) if cfg.cert else None
        self.t0 = time.monotonic()
        self.started = time.time()
        self.next_sid = 0
        self.active = {}
        self.ended = 0
        self.messages = 0
        self.rejected = 0
        self.bytes_in = 0
        self.bytes_accepted = 0
        self.auth_attempts = 0
        self.auth_ok = 0
        self.qseq = 0
        self.qprefix = secrets.token_hex(3).upper()
        self.port = None
        self.stop = None
        self.recorder = Recorder(cfg.record, self) if cfg.record else None

    def new_queue_id(self):
        self.qseq += 1
        return f"{self.qprefix}{self.qseq:06X}"

    def info(self):
        c = self.cfg
        return {"pid": os.getpid(), "listen": fmt_addr((c.host, self.port)), "mode": c.mode,
                "script": c.script, "description": self.script.description,
                "started": email.utils.formatdate(self.started, localtime=True),
                "tls_min": c.tls_min, "tls_max": c.tls_max, "discard": c.discard,
                "spool": c.spool, "users": sorted(self.users)}

    def totals(self):
        return {"sessions": self.next_sid, "sessions_ended": self.ended,
                "sessions_active": len(self.active), "auth_attempts": self.auth_attempts,
                "auth_ok": self.auth_ok, "messages_accepted": self.messages,
                "messages_rejected": self.rejected, "bytes_received": self.bytes_in,
                "bytes_accepted": self.bytes_accepted}

    async def on_connect(self, reader, writer):
        self.next_sid += 1
        sid = self.next_sid
        if self.stop is not None and self.stop.is_set():
            writer.transport.abort()
            return
        if self.cfg.max_sessions and len(self.active) >= self.cfg.max_sessions:
            self._refuse(writer, sid)
            return
        s = Session(self, reader, writer, sid)
        self.active[s] = asyncio.current_task()
        try:
            await s.run()
        finally:
            self.active.pop(s, None)

    def _refuse(self, writer, sid):
        if self.cfg.mode != "implicit":
            writer.write(b"421 4.7.0 mail.test Error: too many connections\r\n")
        writer.close()
        self.ended += 1
        end = {"reason": "max_sessions"}
        if self.recorder is not None:
            now = round(time.monotonic() - self.t0, 4)
            self.recorder.add({"id": sid, "peer": fmt_addr(writer.get_extra_info("peername")),
                               "started": now, "ended": now, "end": end, "tls": None,
                               "helo": None, "user": None, "messages": 0,
                               "commands": {}, "events": []})
            self.recorder.dirty(0)
        self._check_exit()

    def session_ended(self, s, end):
        self.ended += 1
        if self.cfg.verbose:
            tls = s.tls.version() if s.tls is not None and s.hs == "done" else "-"
            print(f"{PROG}: session {s.sid} {s.peer} tls={tls} user={s.user or '-'} "
                  f"messages={s.rec['messages'] if s.rec else '?'} end={end['reason']} "
                  f"{time.monotonic() - s.t0:.3f}s", file=sys.stderr, flush=True)
        if self.recorder is not None:
            self.recorder.dirty(0)
        self._check_exit()

    def _check_exit(self):
        if self.cfg.exit_after and self.ended >= self.cfg.exit_after and self.stop:
            self.stop.set()

    def dump_stats(self):
        t = self.totals()
        print(f"{PROG}: " + " ".join(f"{k}={v}" for k, v in t.items()),
              file=sys.stderr, flush=True)
        if self.recorder is not None:
            self.recorder.write()

    async def serve(self):
        loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        cfg = self.cfg
        server = await asyncio.start_server(self.on_connect, cfg.host, cfg.port,
                                            backlog=4096, reuse_address=True)
        self.port = server.sockets[0].getsockname()[1]
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        loop.add_signal_handler(signal.SIGUSR1, self.dump_stats)
        if self.recorder is not None:
            self.recorder.write()
        if cfg.ready_file:
            tmp = f"{cfg.ready_file}.tmp{os.getpid()}"
            with open(tmp, "w", encoding="ascii") as f:
                f.write(f"{self.port}\n")
            os.replace(tmp, cfg.ready_file)
        print(self.port, flush=True)
        await self.stop.wait()
        server.close()
        for s, task in list(self.active.items()):
            s.finish("server_shutdown", {})
            task.cancel()
        if self.active:
            await asyncio.wait(list(self.active.values()), timeout=2)
        if self.recorder is not None:
            self.recorder.write()
        self.dump_stats_line()

    def dump_stats_line(self):
        t = self.totals()
        print(f"{PROG}: exiting: sessions={t['sessions']} messages={t['messages_accepted']} "
              f"rejected={t['messages_rejected']} auth={t['auth_ok']}/{t['auth_attempts']}",
              file=sys.stderr, flush=True)


TLS_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
                "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def _sni_callback(sslobj, name, ctx):
    sslobj.sni_name = name


def client_cn(sslobj):
    """The CN of the client certificate the handshake verified, or None."""
    try:
        cert = sslobj.getpeercert()
    except (ValueError, ssl.SSLError):
        return None
    for rdn in (cert or {}).get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def make_ssl_context(cfg):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if cfg.seclevel is not None:
        # Lets an old, small key be served, as old servers do.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=%d" % cfg.seclevel)
    ctx.load_cert_chain(cfg.cert, cfg.key)
    lo, hi = cfg.tls_min, cfg.tls_max
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if float(lo) < 1.2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = TLS_VERSIONS[lo]
        ctx.maximum_version = TLS_VERSIONS[hi]
    ctx.sni_callback = _sni_callback
    if cfg.client_ca:
        # Ask for a client certificate; without one (or one of another
        # CA) the handshake fails.
        ctx.load_verify_locations(cfg.client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    if cfg.dh_params:
        ctx.load_dh_params(cfg.dh_params)
    if cfg.ciphers:
        ctx.set_ciphers(cfg.ciphers)
    if cfg.tickets is not None:
        ctx.num_tickets = cfg.tickets
    return ctx


# ---------------------------------------------------------------------------
# Command line

class Config:
    pass


def parse_users(text):
    users = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, sep, secret = item.partition(":")
        if not sep or not name:
            raise ValueError(f"--users wants name:secret, got {item!r}")
        users[name] = secret
    return users


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"--listen wants HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def build_parser():
    p = argparse.ArgumentParser(
        prog=PROG, description="Scripted SMTP submission server for submitify's tests.")
    p.add_argument("--listen", default="127.0.0.1:0",
                   help="HOST:PORT to listen on; port 0 picks a free one")
    p.add_argument("--mode", choices=["starttls", "implicit", "plain"],
                   help="STARTTLS on a plaintext port, TLS from the first byte, or no TLS")
    p.add_argument("--cert", help="certificate chain (PEM)")
    p.add_argument("--key", help="private key (PEM)")
    p.add_argument("--users", help="name:secret,... (also the XOAUTH2/OAUTHBEARER tokens)")
    p.add_argument("--spool", help="directory for accepted messages, one file each")
    p.add_argument("--script", help="case file (JSON) with the hostile behaviour")
    p.add_argument("--record", help="JSON record of every session, kept current")
    p.add_argument("--ready-file", help="written with the port number once listening")
    p.add_argument("--max-sessions", type=int,
                   help="concurrent sessions; more are answered 421 and closed")
    p.add_argument("--exit-after", type=int, default=0,
                   help="exit once this many sessions have ended")
    p.add_argument("--discard", action="store_true", default=None,
                   help="accept and count messages without storing them")
    p.add_argument("--bare-lf", choices=["accept", "reject"],
                   help="what to do with a bare LF inside DATA (default accept)")
    p.add_argument("--eod", choices=["strict", "lenient"],
                   help="end of data: only CRLF.CRLF, or also LF.LF and mixtures")
    p.add_argument("--auth-mechs", help="mechanisms offered after TLS "
                   "(default: PLAIN LOGIN XOAUTH2 OAUTHBEARER; SCRAM-SHA-1 and "
                   "SCRAM-SHA-256 also exist)")
    p.add_argument("--tls-min", choices=sorted(TLS_VERSIONS))
    p.add_argument("--tls-max", choices=sorted(TLS_VERSIONS))
    p.add_argument("--client-ca", help="require a TLS client certificate signed by "
                   "this CA (PEM); AUTH EXTERNAL then stands for its CN")
    p.add_argument("--dh-params", help="finite-field DH parameters (PEM) for DHE")
    p.add_argument("--ciphers", help="OpenSSL cipher list for TLS 1.2 and older")
    p.add_argument("--tickets", type=int, help="TLS 1.3 session tickets after a handshake")
    p.add_argument("--seclevel", type=int, help="OpenSSL security level of the server "
                   "(0 serves an RSA key of 1024 bits)")
    p.add_argument("--timeout", type=float, help="idle timeout in seconds (default 300)")
    p.add_argument("--stall-max", type=float, default=3600.0,
                   help="upper bound of a \"forever\" stall (default 3600)")
    p.add_argument("--quit-linger", type=float, default=1.0,
                   help="after QUIT under TLS, wait this long for the client's close_notify")
    p.add_argument("--max-line", type=int, default=4096,
                   help="longest command line in bytes (default 4096)")
    p.add_argument("--record-data-max", type=int, default=256 * 1024,
                   help="bytes of sent/received data kept per session in the record "
                   "(default 262144; later chunks are recorded as lengths only)")
    p.add_argument("--verbose", "-v", action="store_true", help="one stderr line per session")
    return p


def resolve(args, script):
    """CLI (when given) over the script's server block over the defaults."""
    sv = script.server
    cfg = Config()

    def pick(cli, key, default):
        if cli is not None:
            return cli
        return sv.get(key, default)

    cfg.host, cfg.port = parse_listen(args.listen)
    cfg.mode = pick(args.mode, "mode", "starttls")
    if cfg.mode not in ("starttls", "implicit", "plain"):
        raise ValueError(f"mode {cfg.mode!r}")
    cfg.cert, cfg.key = args.cert, args.key
    if cfg.mode != "plain" and not (cfg.cert and cfg.key):
        raise ValueError(f"--mode {cfg.mode} needs --cert and --key")
    users = args.users if args.users is not None else sv.get("users", "")
    if isinstance(users, dict):
        cfg.users = {str(k): str(v) for k, v in users.items()}
    else:
        cfg.users = parse_users(users or "")
    cfg.spool = args.spool
    cfg.script = args.script
    cfg.record = args.record
    cfg.ready_file = args.ready_file
    cfg.max_sessions = pick(args.max_sessions, "max_sessions", 0)
    cfg.exit_after = args.exit_after
    cfg.discard = bool(pick(args.discard, "discard", False))
    cfg.tls_max = pick(args.tls_max, "tls_max", "1.3")
    cfg.tls_min = pick(args.tls_min, "tls_min", min("1.2", cfg.tls_max))
    if cfg.tls_min not in TLS_VERSIONS or cfg.tls_max not in TLS_VERSIONS \
            or cfg.tls_min > cfg.tls_max:
        raise ValueError(f"TLS versions {cfg.tls_min}..{cfg.tls_max}")
    cfg.tickets = pick(args.tickets, "tickets", None)
    cfg.seclevel = pick(args.seclevel, "seclevel", None)
    cfg.client_ca = pick(args.client_ca, "client_ca", None)
    cfg.dh_params = pick(args.dh_params, "dh_params", None)
    cfg.ciphers = pick(args.ciphers, "ciphers", None)
    cfg.timeout = float(pick(args.timeout, "timeout", 300.0))
    cfg.stall_max = args.stall_max
    cfg.quit_linger = args.quit_linger
    cfg.max_line = args.max_line
    cfg.record_data_max = args.record_data_max
    cfg.verbose = args.verbose
    st = dict(SESSION_DEFAULTS)
    st.update({k: v for k, v in sv.items() if k in SESSION_DEFAULTS})
    if args.bare_lf:
        st["bare_lf"] = args.bare_lf
    if args.eod:
        st["eod"] = args.eod
    if args.auth_mechs is not None:
        st["auth_mechs"] = args.auth_mechs
    cfg.session_settings = st
    if cfg.spool and not cfg.discard:
        os.makedirs(cfg.spool, exist_ok=True)
    return cfg


def raise_fd_limit():
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        script = Script.load(args.script) if args.script else Script()
    except ScriptError as e:
        print(f"{PROG}: {args.script}: {e}", file=sys.stderr)
        return 2
    try:
        cfg = resolve(args, script)
        srv = Server(cfg, script)
    except (ValueError, OSError, ssl.SSLError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    raise_fd_limit()
    try:
        asyncio.run(srv.serve())
    except OSError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
