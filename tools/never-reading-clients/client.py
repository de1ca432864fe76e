#!/usr/bin/env python3
"""Opens N TLS connections to HOST:PORT and, on each, writes up to --bytes without ever reading,
non-blocking, until every connection has written all of it or no connection made progress for
--stall seconds. Then prints one JSON line (bytes written per connection) and holds the
connections open until it is killed, so the server's memory can be read.
With --warmup: one connection that writes a byte, reads it back and closes (not a never-reading client).
"""
import argparse, json, select, socket, ssl, sys, time

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, required=True)
p.add_argument("--ca", required=True)
p.add_argument("--clients", type=int, default=50)
p.add_argument("--bytes", type=int, default=16 << 20)
p.add_argument("--stall", type=float, default=3.0)
p.add_argument("--warmup", action="store_true")
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(a.ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3

if a.warmup:
    with ctx.wrap_socket(socket.create_connection((a.host, a.port)), server_hostname="localhost") as s:
        s.sendall(b"x")
        assert s.recv(1) == b"x"
    sys.exit(0)

conns = []
for _ in range(a.clients):
    raw = socket.create_connection((a.host, a.port))
    s = ctx.wrap_socket(raw, server_hostname="localhost")  # blocking handshake
    s.setblocking(False)
    conns.append(s)

chunk = b"x" * 16384
written = {s: 0 for s in conns}
live = set(conns)
last_progress = time.monotonic()
while live and time.monotonic() - last_progress < a.stall:
    _, w, _ = select.select([], list(live), [], 0.5)
    for s in w:
        try:
            while written[s] < a.bytes:
                n = s.send(chunk)
                written[s] += n
                last_progress = time.monotonic()
        except (ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (ssl.SSLError, OSError) as e:
            print(f"client: connection failed: {e}", file=sys.stderr)
            live.discard(s)
            continue
        if written[s] >= a.bytes:
            live.discard(s)

w = sorted(written.values())
print(json.dumps({"clients": a.clients, "stalled": len(live), "min_written": w[0], "max_written": w[-1],
                  "mean_written": sum(w) // len(w)}), flush=True)
time.sleep(1e9)  # hold the connections until killed
