#!/usr/bin/env python3
"""Look for a password, in the forms SMTP AUTH gives it, in files and in a
process's memory, for the hostile-server tests (docs/SECURITY.md case 20).

    secrets.py forms USER PASSWORD
        print the searched forms, one "name<TAB>text" a line
    secrets.py search USER PASSWORD FILE...
        print "FILE: form" for every form found in a FILE; exit 1 if any was
        found, 0 if none (a missing FILE is an error, exit 2)
    secrets.py dump PID OUT
        write every readable mapping of PID to OUT through /proc/PID/mem
        (ptrace access, so root); exit 1 if nothing could be read

The forms: the password itself; base64 of the PLAIN blob "\\0user\\0pass", of
the password alone (LOGIN), of the XOAUTH2 and OAUTHBEARER strings; and,
because base64 of any longer text holding the password contains one of them,
the base64 characters that depend on the password alone at each of the three
alignments.
"""
import base64
import sys


def b64(b):
    return base64.b64encode(b).decode("ascii")


def forms(user, pw):
    u, p = user.encode(), pw.encode()
    out = [
        ("password", pw),
        ("PLAIN blob base64", b64(b"\0" + u + b"\0" + p)),
        ("LOGIN base64", b64(p)),
        ("XOAUTH2 base64", b64(b"user=" + u + b"\x01auth=Bearer " + p +
                               b"\x01\x01")),
        ("OAUTHBEARER base64", b64(b"n,a=" + u + b",\x01auth=Bearer " + p +
                                   b"\x01\x01")),
    ]
    for k in range(3):
        enc = b64(b"\0" * k + p)
        g0 = (k + 2) // 3
        g1 = (k + len(p)) // 3
        core = enc[4 * g0:4 * g1]
        if len(core) >= 12:
            out.append(("base64 core, offset %d" % k, core))
    return out


def search(user, pw, files):
    found = 0
    fs = [(n, t.encode("ascii")) for n, t in forms(user, pw)]
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for name, text in fs:
            if text in data:
                print("%s: %s" % (path, name))
                found += 1
    return 1 if found else 0


def dump(pid, out):
    total = 0
    with open("/proc/%s/maps" % pid) as maps, \
            open("/proc/%s/mem" % pid, "rb", 0) as mem, open(out, "wb") as o:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or (len(fields) > 5 and
                                        fields[5] == "[vvar]"):
                continue
            try:
                mem.seek(lo)
                chunk = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            o.write(chunk)
            total += len(chunk)
    return 0 if total else 1


def main(a):
    if len(a) == 4 and a[1] == "forms":
        for n, t in forms(a[2], a[3]):
            print("%s\t%s" % (n, t))
        return 0
    if len(a) >= 5 and a[1] == "search":
        try:
            return search(a[2], a[3], a[4:])
        except OSError as e:
            sys.stderr.write("secrets.py: %s\n" % e)
            return 2
    if len(a) == 4 and a[1] == "dump":
        return dump(a[2], a[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
