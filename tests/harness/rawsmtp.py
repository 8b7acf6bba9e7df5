#!/usr/bin/env python3
"""rawsmtp: a byte-exact SMTP client for the fault tests.

Run it under LD_PRELOAD=libsubmitify.so so that its connect() to port 25 is
handed to the helper.  Each argument is one step:

    <          read one whole reply (all its lines) and print it
    <N         read N whole replies
    <*         read replies until EOF, a reset, or --quiet seconds of silence
    >BYTES     send BYTES; Python escapes (\\r \\n \\x00 \\\\) are decoded,
               every other character is one latin-1 byte
    @FILE      send the bytes of FILE
    =S         sleep S seconds
    !          close the socket now (no QUIT)

Every reply line is printed as "<- LINE" (bytes shown with repr escapes for
anything unprintable); the end of the connection as "EOF" or "RESET"; a
read that waited --wait seconds with no complete reply as "TIMEOUT".
Exit status: 0 after the last step, 3 on a bad argument.
"""
import argparse
import codecs
import socket
import sys
import time


def show(line):
    out = []
    for b in line:
        if 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


class Conn:
    def __init__(self, host, port, wait):
        self.sock = socket.create_connection((host, port), timeout=wait)
        self.buf = b""
        self.ended = None
        self.wait = wait

    def fill(self, deadline):
        if self.ended:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            self.ended = "RESET"
            print("RESET", flush=True)
            return False
        except OSError as e:
            self.ended = "ERROR"
            print("ERROR " + str(e), flush=True)
            return False
        if not data:
            self.ended = "EOF"
            print("EOF", flush=True)
            return False
        self.buf += data
        return True

    def reply(self, wait):
        """One whole reply; False when none came."""
        deadline = time.monotonic() + wait
        while True:
            nl = self.buf.find(b"\n")
            if nl < 0:
                if not self.fill(deadline):
                    if not self.ended:
                        print("TIMEOUT", flush=True)
                    return False
                continue
            line, self.buf = self.buf[:nl + 1], self.buf[nl + 1:]
            text = line.rstrip(b"\r\n")
            print("<- " + show(text), flush=True)
            if len(text) < 4 or text[3:4] != b"-":
                return True

    def send(self, data):
        if self.ended:
            print("SEND-AFTER-" + self.ended, flush=True)
            return
        try:
            self.sock.sendall(data)
        except OSError as e:
            print("SEND-FAILED " + type(e).__name__, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="192.0.2.35")
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--wait", type=float, default=10.0,
                   help="the longest wait for one reply")
    p.add_argument("--quiet", type=float, default=2.0,
                   help="silence that ends <*")
    p.add_argument("steps", nargs="*")
    a = p.parse_args()
    c = Conn(a.host, a.port, a.wait)
    for step in a.steps:
        if step.startswith("<*"):
            while not c.ended and c.reply(a.quiet):
                pass
        elif step.startswith("<"):
            n = int(step[1:] or "1")
            for _ in range(n):
                if not c.reply(a.wait):
                    break
        elif step.startswith(">"):
            c.send(codecs.decode(step[1:], "unicode_escape").encode("latin-1"))
        elif step.startswith("@"):
            with open(step[1:], "rb") as f:
                c.send(f.read())
        elif step.startswith("="):
            time.sleep(float(step[1:]))
        elif step == "!":
            c.sock.close()
            return 0
        else:
            print("rawsmtp: bad step " + repr(step), file=sys.stderr)
            return 3
    c.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
