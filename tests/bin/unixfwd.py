#!/usr/bin/env python3
"""A forwarder from a UNIX-domain socket to a TCP port, for tests.

    unixfwd.py --socket PATH --to HOST:PORT --ready-file F --log F
               [--lifetime S]

Listens on the UNIX-domain socket PATH and joins each connection to a new
TCP connection to HOST:PORT, bytes passed both ways unchanged (TLS goes
through end to end).  Writes PATH to the ready file once it listens, and
one JSON line per connection to the log: {"to": "HOST:PORT", "ok": true}.
It exits by itself after --lifetime seconds (default 300) and removes
PATH.
"""
import argparse
import asyncio
import json
import os

from streams import close, pipe


class Forwarder:
    def __init__(self, args):
        self.args = args
        self.host, port = args.to.rsplit(":", 1)
        self.port = int(port)

    def log(self, entry):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    async def serve(self, reader, writer):
        try:
            ur, uw = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 10)
        except (OSError, asyncio.TimeoutError):
            self.log({"to": self.args.to, "ok": False})
            close(writer)
            return
        self.log({"to": self.args.to, "ok": True})
        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    server = await asyncio.start_unix_server(Forwarder(args).serve,
                                             args.socket)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(args.socket + "\n")
    os.rename(tmp, args.ready_file)
    try:
        async with server:
            try:
                await asyncio.wait_for(server.serve_forever(), args.lifetime)
            except asyncio.TimeoutError:
                pass
    finally:
        try:
            os.unlink(args.socket)
        except OSError:
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
