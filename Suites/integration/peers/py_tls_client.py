#!/usr/bin/env python3
"""Interop peer: an asyncio TLS client (Python's ssl module).

Connects --connections times (offering the previous connection's session each time after
the first), sends a line, reads it back and prints, per connection:
`CONN version=TLSv1.3 alpn=h2 reused=True echo=<line>`.
"""
import argparse, asyncio, ssl, sys


class ResumingContext(ssl.SSLContext):
    """asyncio has no `session=` parameter: this context offers `self.offer` to every client connection."""
    offer = None

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return super().wrap_bio(incoming, outgoing, server_side=server_side, server_hostname=server_hostname,
                                session=session or self.offer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--version", choices=["1.2", "1.3"])
    ap.add_argument("--alpn")
    ap.add_argument("--connections", type=int, default=1)
    a = ap.parse_args()

    ctx = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    if a.version:
        v = ssl.TLSVersion.TLSv1_2 if a.version == "1.2" else ssl.TLSVersion.TLSv1_3
        ctx.minimum_version = ctx.maximum_version = v
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))

    async def run():
        for i in range(a.connections):
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", a.port, ssl=ctx, server_hostname="localhost"), timeout=10)
            line = b"python line %d\n" % i
            writer.write(line)
            await writer.drain()
            echo = await asyncio.wait_for(reader.readline(), timeout=10)
            obj = writer.get_extra_info("ssl_object")
            print("CONN version=%s alpn=%s reused=%s echo=%s" % (obj.version(), obj.selected_alpn_protocol(),
                                                                 obj.session_reused, echo.decode().strip()), flush=True)
            ctx.offer = obj.session  # TLS 1.3: the ticket arrived with the echo
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError):
                pass

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
