"""Byte pumps shared by the test servers in tests/bin (socks5.py,
unixfwd.py): copy one stream to another until its end, and close a writer
that may already be gone."""


def close(writer):
    try:
        writer.close()
    except OSError:
        pass


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        close(writer)
