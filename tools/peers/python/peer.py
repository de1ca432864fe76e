#!/usr/bin/env python3
"""Python's peer for tools/compare-peers (contract: tools/peers/README.md): asyncio + ssl.

    peer.py server    --port P --tls 1.3|tcp --cert c.pem --key k.pem
    peer.py echo      --port P --tls 1.3|tcp --ca c.pem --clients N --chunk B --duration S
    peer.py handshake --port P --ca c.pem --clients N --duration S --mode full

server prints {"listening":PORT}; echo and handshake print ONE JSON line of raw measurements.
Pinned like every peer: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519 (openssl-pins.cnf), TCP_NODELAY,
server verified. asyncio's streams take no TLS session, so --mode resumed is refused.
"""
import os
import sys

os.environ["OPENSSL_CONF"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openssl-pins.cnf")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import time  # noqa: E402


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def client_context(a):
    if a.tls == "tcp":
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the hostname
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(a.ca)
    return ctx


async def server(a):
    ctx = None
    if a.tls != "tcp":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(a.cert, a.key)

    async def handle(reader, writer):
        nodelay(writer)
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, a.host, a.port, ssl=ctx, backlog=4096)
    print(json.dumps({"listening": srv.sockets[0].getsockname()[1]}), flush=True)
    async with srv:
        await srv.serve_forever()


async def open_stream(a, ctx):
    reader, writer = await asyncio.open_connection(a.host, a.port, ssl=ctx,
                                                   server_hostname=a.server_name if ctx else None)
    nodelay(writer)
    return reader, writer


async def echo(a):
    ctx = client_context(a)
    conns, errors = [], 0
    for _ in range(a.clients):
        try:
            conns.append(await open_stream(a, ctx))
        except Exception as e:  # noqa: BLE001 — counted and reported
            errors += 1
            print(f"connect: {e}", file=sys.stderr)
    cipher = conns[0][1].get_extra_info("cipher")[0] if conns and ctx else None
    payload = b"\x5a" * a.chunk
    start = time.perf_counter()
    deadline = start + a.duration

    async def run(reader, writer):
        sent = received = iterations = 0
        try:
            while time.perf_counter() < deadline:
                writer.write(payload)
                sent += len(payload)
                back = await reader.readexactly(len(payload))
                received += len(back)
                iterations += 1
            return sent + received, iterations, False
        except Exception:  # noqa: BLE001 — a failed client is counted
            return sent + received, iterations, True
        finally:
            writer.close()

    results = await asyncio.gather(*(run(r, w) for r, w in conns))
    seconds = time.perf_counter() - start
    out({"stack": "python", "workload": "echo", "transport": "tcp" if a.tls == "tcp" else "tls1.3",
         "clients": a.clients, "chunk": a.chunk, "duration": a.duration, "seconds": seconds,
         "bytes": sum(r[0] for r in results), "iterations": sum(r[1] for r in results), "connected": len(conns),
         "errors": errors + sum(1 for r in results if r[2]), "per_client_bytes": [r[0] for r in results],
         "cipher": cipher})


async def handshake(a):
    if a.mode != "full":
        print("asyncio streams take no TLS session: only --mode full", file=sys.stderr)
        sys.exit(2)
    a.tls = "1.3"
    ctx = client_context(a)
    start = time.perf_counter()
    deadline = start + a.duration

    async def worker():
        latencies, errors, cipher = [], 0, None
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                reader, writer = await open_stream(a, ctx)
                writer.write(b"\x5a")
                await reader.readexactly(1)
                latencies.append(int((time.perf_counter() - t0) * 1e6))
                cipher = writer.get_extra_info("cipher")[0]
                writer.close()
            except Exception:  # noqa: BLE001 — counted and reported
                errors += 1
                if errors > 1000:
                    break
        return latencies, errors, cipher

    workers = await asyncio.gather(*(worker() for _ in range(a.clients)))
    seconds = time.perf_counter() - start
    latencies = [x for w in workers for x in w[0]]
    out({"stack": "python", "workload": "handshake", "mode": a.mode, "clients": a.clients, "duration": a.duration,
         "seconds": seconds, "handshakes": len(latencies), "resumed": 0, "errors": sum(w[1] for w in workers),
         "latencies_us": latencies, "cipher": next((w[2] for w in workers if w[2]), None)})


def out(obj):
    print(json.dumps(obj), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["server", "echo", "handshake"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", default="1.3", choices=["1.3", "tcp"])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--chunk", type=int, default=65536)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--mode", default="full", choices=["full", "resumed"])
    p.add_argument("--threads", type=int, default=1)  # contract option; asyncio runs one loop
    a = p.parse_args()
    asyncio.run({"server": server, "echo": echo, "handshake": handshake}[a.cmd](a))


if __name__ == "__main__":
    main()
