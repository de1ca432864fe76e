#!/usr/bin/env python3
"""Interop peer: an asyncio TLS echo server (Python's ssl module).

Prints `LISTENING <port>` once bound, then one line per accepted connection:
`CONN version=TLSv1.3 alpn=h2 reused=False peer=CN=test-client`, and echoes what it reads.
Exits after --connections connections have ended.
"""
import argparse, asyncio, ssl, sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", help="require a client certificate chaining to this CA")
    ap.add_argument("--version", choices=["1.2", "1.3"])
    ap.add_argument("--alpn", help="comma-separated protocols to accept")
    ap.add_argument("--connections", type=int, default=1)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.version:
        v = ssl.TLSVersion.TLSv1_2 if a.version == "1.2" else ssl.TLSVersion.TLSv1_3
        ctx.minimum_version = ctx.maximum_version = v
    if a.client_ca:
        ctx.load_verify_locations(a.client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))

    async def run():
        done = asyncio.Event()
        remaining = [a.connections]

        async def handle(reader, writer):
            obj = writer.get_extra_info("ssl_object")
            peer = obj.getpeercert()
            cn = "none"
            if peer:
                cn = ",".join("%s=%s" % kv for rdn in peer.get("subject", ()) for kv in rdn)
            print("CONN version=%s alpn=%s reused=%s peer=%s" % (obj.version(), obj.selected_alpn_protocol(),
                                                                 obj.session_reused, cn), flush=True)
            try:
                while data := await reader.read(4096):
                    writer.write(data)
                    await writer.drain()
                writer.close()
                await writer.wait_closed()
            except (ConnectionError, ssl.SSLError) as e:
                print("CONN-ERROR %s" % e, flush=True)
            remaining[0] -= 1
            if remaining[0] <= 0:
                done.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, ssl_handshake_timeout=10)
        print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await asyncio.wait_for(done.wait(), timeout=60)

    asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
