#!/usr/bin/env python3
"""A small SOCKS5 proxy (RFC 1928, CONNECT, no authentication) for tests.

    socks5.py --ready-file F --log F [--listen 127.0.0.1:0]
              [--refuse] [--want-auth] [--lifetime S]

Writes its port to the ready file once it listens, and one JSON line per
CONNECT to the log: {"atyp": 3, "host": ..., "port": ..., "rep": 0}.
Domain names are resolved here, as a proxy does.  --refuse answers every
CONNECT with reply 5 (connection refused); --want-auth accepts only the
username/password method, which a client without credentials cannot use.
It exits by itself after --lifetime seconds (default 300).
"""
import argparse
import asyncio
import json
import os
import socket
import struct

from streams import close, pipe


async def serve_for(server, ready_file, ready, lifetime):
    """Say READY in the ready file (whole, by a rename), then serve for
    LIFETIME seconds."""
    tmp = ready_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(ready)
    os.rename(tmp, ready_file)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), lifetime)
        except asyncio.TimeoutError:
            pass


class Proxy:
    def __init__(self, args):
        self.args = args

    def log(self, entry):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    async def serve(self, reader, writer):
        try:
            await self.session(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            close(writer)

    async def session(self, reader, writer):
        ver, n = await reader.readexactly(2)
        methods = await reader.readexactly(n)
        want = 2 if self.args.want_auth else 0
        if ver != 5 or want not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            self.log({"methods": list(methods), "refused": "method"})
            return
        writer.write(bytes([5, want]))
        await writer.drain()
        ver, cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif atyp == 3:
            (hl,) = await reader.readexactly(1)
            host = (await reader.readexactly(hl)).decode("ascii", "replace")
        else:
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        entry = {"atyp": atyp, "host": host, "port": port, "cmd": cmd}
        if self.args.refuse or cmd != 1:
            entry["rep"] = 5 if cmd == 1 else 7
            self.log(entry)
            writer.write(bytes([5, entry["rep"], 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()
            return
        try:
            ur, uw = await asyncio.wait_for(
                asyncio.open_connection(host, port), 10)
        except (OSError, asyncio.TimeoutError):
            entry["rep"] = 5
            self.log(entry)
            writer.write(bytes([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()
            return
        entry["rep"] = 0
        self.log(entry)
        bound = uw.get_extra_info("sockname")
        if ":" in bound[0]:
            addr = bytes([4]) + socket.inet_pton(socket.AF_INET6, bound[0])
        else:
            addr = bytes([1]) + socket.inet_aton(bound[0])
        writer.write(bytes([5, 0, 0]) + addr + struct.pack("!H", bound[1]))
        await writer.drain()
        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--refuse", action="store_true")
    ap.add_argument("--want-auth", action="store_true")
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = await asyncio.start_server(Proxy(args).serve, host, int(port))
    await serve_for(server, args.ready_file,
                    "%d\n" % server.sockets[0].getsockname()[1], args.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
