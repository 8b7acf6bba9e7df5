#!/usr/bin/env python3
"""A UNIX-socket forwarder for tests: msmtp's `socket` key in front of a TCP
server.

    unixfwd.py --listen PATH --connect HOST:PORT --ready-file F --log F
               [--lifetime S]

Listens on the UNIX stream socket PATH (mode 600) and joins each client to a
new TCP connection to HOST:PORT, bytes unchanged both ways.  Writes "ready"
to the ready file once it listens, and one JSON line per client to the log:
{"connected": true} or {"connected": false, "error": ...}.  It removes PATH
and exits by itself after --lifetime seconds (default 300).
"""
import argparse
import asyncio
import json
import os
import sys

# The byte pump and the serving loop of the SOCKS5 test proxy beside this
# file (imported without leaving a compiled copy in the source tree).
sys.dont_write_bytecode = True
from socks5 import close, pipe, serve_for  # noqa: E402


class Forwarder:
    def __init__(self, args):
        self.args = args
        self.host, port = args.connect.rsplit(":", 1)
        self.port = int(port)

    def log(self, entry):
        with open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    async def serve(self, reader, writer):
        try:
            ur, uw = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 10)
        except (OSError, asyncio.TimeoutError) as e:
            self.log({"connected": False, "error": str(e)})
            close(writer)
            return
        self.log({"connected": True})
        await asyncio.gather(pipe(reader, uw), pipe(ur, writer))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--connect", required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    old = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(Forwarder(args).serve,
                                                 args.listen)
    finally:
        os.umask(old)
    try:
        await serve_for(server, args.ready_file, "ready\n", args.lifetime)
    finally:
        try:
            os.unlink(args.listen)
        except OSError:
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
