#!/usr/bin/env python3
"""bench.py: a bounded SMTP submission load generator for smtpd.py (or any
server on this machine).

N concurrent sessions each do greeting, EHLO, STARTTLS (or implicit TLS),
EHLO, AUTH PLAIN, then M messages of SIZE bytes (MAIL, RCPT, DATA pipelined),
then QUIT.  Prints messages, seconds, messages/s and MB/s; with --server-pid
also the server's CPU seconds and messages per server-CPU-second (the server's
own capacity when the client is the bottleneck).  Only loopback targets.

  bench.py --port P --sessions 50 --messages 40 --size 10240 --cafile cert.pem
"""

import argparse
import asyncio
import base64
import ipaddress
import os
import ssl
import sys
import time


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def session(args, ctx, body, counter):
    host = args.host
    if args.mode == "implicit":
        r, w = await asyncio.open_connection(host, args.port, ssl=ctx,
                                             server_hostname=args.sni)
    else:
        r, w = await asyncio.open_connection(host, args.port)

    async def reply(want):
        while True:
            line = await r.readline()
            if not line:
                raise EOFError("server closed the connection")
            if line[3:4] != b"-":
                code = int(line[:3])
                if code != want:
                    raise RuntimeError(f"wanted {want}, got {line!r}")
                return

    try:
        await reply(220)
        w.write(b"EHLO bench.test\r\n")
        await reply(250)
        if args.mode == "starttls":
            w.write(b"STARTTLS\r\n")
            await reply(220)
            await w.start_tls(ctx, server_hostname=args.sni)
            w.write(b"EHLO bench.test\r\n")
            await reply(250)
        if args.user:
            name, _, secret = args.user.partition(":")
            w.write(b"AUTH PLAIN " + base64.b64encode(f"\0{name}\0{secret}".encode()) + b"\r\n")
            await reply(235)
        for _ in range(args.messages):
            w.write(b"MAIL FROM:<bench@bench.test>\r\nRCPT TO:<sink@example.test>\r\nDATA\r\n")
            await reply(250)
            await reply(250)
            await reply(354)
            w.write(body)
            await reply(250)
            counter[0] += 1
        w.write(b"QUIT\r\n")
        await reply(221)
    finally:
        w.close()


async def run(args):
    ctx = None
    if args.mode != "plain":
        ctx = ssl.create_default_context(cafile=args.cafile)
        if args.insecure or not args.cafile:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    line = b"x" * 76 + b"\r\n"
    text = b"Subject: bench\r\nMessage-ID: <bench@bench.test>\r\n\r\n"
    text += line * max(0, (args.size - len(text)) // len(line))
    body = text + b".\r\n"
    counter = [0]
    tasks = [session(args, ctx, body, counter) for _ in range(args.sessions)]
    res = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True),
                                 args.time_limit)
    return counter[0], [r for r in res if r is not None]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["starttls", "implicit", "plain"], default="starttls")
    p.add_argument("--sni", default="mail.test")
    p.add_argument("--cafile")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--user", default="alice:secret", help="name:secret, empty for no AUTH")
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--messages", type=int, default=40, help="messages per session")
    p.add_argument("--size", type=int, default=10240)
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--server-pid", type=int)
    args = p.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        p.error("bench.py only targets loopback addresses")
    cpu0 = cpu_seconds(args.server_pid) if args.server_pid else None
    t = time.monotonic()
    n, errors = asyncio.run(run(args))
    dt = time.monotonic() - t
    print(f"messages={n} seconds={dt:.2f} msgs_per_s={n / dt:.0f} "
          f"MB_per_s={n * args.size / dt / 1e6:.1f} sessions={args.sessions} "
          f"size={args.size} errors={len(errors)}")
    if cpu0 is not None:
        cpu = cpu_seconds(args.server_pid) - cpu0
        print(f"server_cpu_s={cpu:.2f} msgs_per_server_cpu_s={n / cpu:.0f}")
    if errors:
        print(f"first error: {errors[0]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
